"""Delivery to the destinations: a receiver that is down, slow, or answers 400/500 causes
retries or dead letters and loses nothing; a training municipality sends nothing; the
folder gets one zip; the admin pages never show another municipality's objects."""

from __future__ import annotations

import datetime
import http.server
import io
import threading
import time
import zipfile

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections
from django.utils import timezone

from pec.models import Municipio
from pec.tenancy import tenant_context
from sisab import envio, ledi, tasks
from sisab.models import DestinoSisab, EntregaSisab, FichaSisab, InstalacaoSisab
from tests import mundo as fabricas
from tests.sisab import mundo_envio

pytestmark = pytest.mark.django_db


class Receptor(http.server.BaseHTTPRequestHandler):
    """A tiny PEC receiving API: `modo` says how it answers each ficha."""

    modo = "ok"
    recebidas: list[bytes] = []

    def do_POST(self) -> None:
        # Read once, at arrival: a slow request outlives its test, and must not answer or
        # count in the next test's mode and list.
        modo, recebidas = self.modo, Receptor.recebidas
        corpo = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path == "/api/recebimento/login":
            self._responder(200, b"Autenticado", {"Set-Cookie": "JSESSIONID=abc; Path=/"})
            return
        if modo == "lento":
            time.sleep(3)
        if modo == "400":
            self._responder(400, "Erro de validação: CNS inválido".encode())
        elif modo == "500":
            self._responder(500, b"Internal error")
        else:
            assert "JSESSIONID=abc" in self.headers.get("Cookie", "")
            recebidas.append(corpo)
            self._responder(200, b"Ficha recebida")

    def _responder(self, status: int, corpo: bytes, cabecalhos: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for nome, valor in (cabecalhos or {}).items():
            self.send_header(nome, valor)
        self.send_header("Content-Length", str(len(corpo)))
        self.end_headers()
        self.wfile.write(corpo)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receptor():
    Receptor.modo, Receptor.recebidas = "ok", []
    servidor = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receptor)
    threading.Thread(target=servidor.serve_forever, daemon=True).start()
    yield servidor
    servidor.shutdown()


@pytest.fixture
def m():
    mundo = mundo_envio.mundo()
    mundo_envio.identificar(mundo.municipio)
    mundo_envio.atendimento(mundo)
    mundo_envio.vacina(mundo)
    return mundo


def _destino(m, **campos) -> DestinoSisab:
    with tenant_context(m.municipio.id):
        destino = DestinoSisab(municipio=m.municipio, nome="Centralizador", **campos)
        return envio.destino_salvar(destino=destino, senha="s3nha")


def _http(m, porta: int) -> DestinoSisab:
    return _destino(m, tipo="http", url=f"http://127.0.0.1:{porta}", usuario="ledi-x")


def _entregas(m) -> list[EntregaSisab]:
    with tenant_context(m.municipio.id):
        return list(EntregaSisab.objects.select_related("ficha").order_by("id"))


def _transmitir(m, agora=None):
    return envio.transmitir(municipio_id=m.municipio.id, agora=agora, ignorar_janela=True)


def test_password_is_encrypted_bound_to_its_row(m, receptor):
    destino = _http(m, receptor.server_port)
    assert destino.senha_cifrada.startswith("g1.") and "s3nha" not in destino.senha_cifrada
    assert envio.destino_senha(destino) == "s3nha"


def test_accepted_fichas_are_never_sent_again(m, receptor):
    _http(m, receptor.server_port)
    resultado = _transmitir(m)
    assert next(iter(resultado["destinos"].values()))["enviadas"] == 3  # cadastro, atendimento, vacinação
    entregas = _entregas(m)
    assert all(e.status == EntregaSisab.Status.ENVIADO and len(e.sha256) == 64 for e in entregas)
    assert sorted(
        ledi.de_esus(c.split(b"\r\n\r\n", 1)[1].rsplit(b"\r\n--", 1)[0]).uuid for c in Receptor.recebidas
    ) == sorted(e.uuid_enviado for e in entregas)
    _transmitir(m, agora=timezone.now() + datetime.timedelta(days=1))
    assert len(Receptor.recebidas) == 3


def test_receiver_down_retries_later_and_loses_nothing(m, receptor):
    porta = receptor.server_port
    receptor.shutdown()
    receptor.server_close()
    _http(m, porta)
    _transmitir(m)
    entregas = _entregas(m)
    assert entregas and all(e.status == EntregaSisab.Status.PENDENTE and e.tentativas == 1 for e in entregas)
    assert all(e.proxima_tentativa > timezone.now() for e in entregas)
    assert "Connection" in entregas[0].ultimo_erro


def test_slow_receiver_times_out_and_is_retried(m, receptor, monkeypatch):
    monkeypatch.setattr(envio, "TIMEOUT", 0.5)
    Receptor.modo = "lento"
    _http(m, receptor.server_port)
    _transmitir(m)
    entregas = _entregas(m)
    assert all(e.status == EntregaSisab.Status.PENDENTE and e.tentativas == 1 for e in entregas)
    assert "Timeout" in entregas[0].ultimo_erro
    Receptor.modo = "ok"
    monkeypatch.setattr(envio, "TIMEOUT", 5)
    _transmitir(m, agora=timezone.now() + datetime.timedelta(hours=7))
    assert all(e.status == EntregaSisab.Status.ENVIADO for e in _entregas(m))


def test_500_is_retried_and_400_is_a_dead_letter_with_the_body_kept(m, receptor):
    destino = _http(m, receptor.server_port)
    Receptor.modo = "500"
    _transmitir(m)
    assert all(e.status == EntregaSisab.Status.PENDENTE and "500" in e.ultimo_erro for e in _entregas(m))
    Receptor.modo = "400"
    _transmitir(m, agora=timezone.now() + datetime.timedelta(hours=7))
    entregas = _entregas(m)
    assert all(e.status == EntregaSisab.Status.ERRO and "CNS inválido" in e.ultimo_erro for e in entregas)
    # The admin fixes the cause and re-sends: they go again, nothing was lost.
    Receptor.modo = "ok"
    assert envio.reenviar(municipio_id=m.municipio.id, destino_id=destino.id) == len(entregas)
    _transmitir(m, agora=timezone.now() + datetime.timedelta(hours=8))
    assert all(e.status == EntregaSisab.Status.ENVIADO for e in _entregas(m))


def test_training_municipality_sends_nothing_but_builds_what_would_go(receptor):
    mundo = mundo_envio.mundo("Treino", modo=Municipio.Modo.TREINAMENTO)
    mundo_envio.identificar(mundo.municipio)
    mundo_envio.atendimento(mundo)
    _http(mundo, receptor.server_port)
    resultado = _transmitir(mundo)
    assert resultado["treinamento"] and Receptor.recebidas == []
    with tenant_context(mundo.municipio.id):
        assert FichaSisab.objects.filter(status=FichaSisab.Status.VALIDA).count() == 2
        assert not EntregaSisab.objects.exists()


def test_nothing_is_sent_without_the_installation_identity(receptor):
    mundo = mundo_envio.mundo("Sem contra-chave")
    mundo_envio.atendimento(mundo)
    _http(mundo, receptor.server_port)
    assert _transmitir(mundo)["sem_identidade"] and Receptor.recebidas == []


def test_night_window(m):
    with tenant_context(m.municipio.id):
        instalacao = envio.instalacao_do_municipio(municipio_id=m.municipio.id)
    meio_dia = timezone.localtime().replace(hour=12)
    assert not envio.na_janela(instalacao, meio_dia)
    assert envio.na_janela(instalacao, meio_dia.replace(hour=23)) and envio.na_janela(
        instalacao, meio_dia.replace(hour=3)
    )
    assert envio.transmitir(municipio_id=m.municipio.id, agora=meio_dia)["fora_da_janela"]


def test_folder_destination_gets_one_zip_of_the_lote(m, tmp_path):
    _destino(m, tipo="pasta", pasta=str(tmp_path))
    _transmitir(m)
    zips = list(tmp_path.glob("*.zip"))
    assert len(zips) == 1 and not list(tmp_path.glob(".*.part"))
    with zipfile.ZipFile(zips[0]) as arquivo:
        nomes = sorted(arquivo.namelist())
        assert all(ledi.de_esus(arquivo.read(nome)).uuid + ".esus" == nome for nome in nomes)
    assert nomes == sorted(f"{e.uuid_enviado}.esus" for e in _entregas(m))


def test_export_streams_the_competencia(m):
    envio.fichas_gerar(municipio_id=m.municipio.id)
    saida = io.BytesIO()
    competencia = timezone.localdate().replace(day=1)
    with tenant_context(m.municipio.id):
        esperadas = FichaSisab.objects.filter(competencia=competencia, status=FichaSisab.Status.VALIDA).count()
    assert envio.exportar(municipio=m.municipio, competencia=competencia, formato="xml", saida=saida) == esperadas
    with zipfile.ZipFile(saida) as arquivo:
        assert all(ledi.de_xml(arquivo.read(n)).tipo in (2, 4, 14) for n in arquivo.namelist())


def test_pages_show_invalid_fichas_and_404_on_another_municipality(m, receptor):
    destino = _http(m, receptor.server_port)
    envio.fichas_gerar(municipio_id=m.municipio.id)
    with tenant_context(m.municipio.id):
        ficha = FichaSisab.objects.first()
    cliente = fabricas.entrar(m.admin.usuario, m.admin, pela_escolha=True)
    pagina = cliente.get("/administracao/sisab/")
    assert pagina.status_code == 200 and "Competência" in pagina.content.decode()
    assert cliente.get(f"/administracao/sisab/fichas/{ficha.id}/").status_code == 200

    outro = mundo_envio.mundo("Município B")
    charlie = fabricas.entrar(outro.admin.usuario, outro.admin, pela_escolha=True)
    assert charlie.get(f"/administracao/sisab/fichas/{ficha.id}/").status_code == 404
    assert charlie.post(f"/administracao/sisab/destinos/{destino.id}/reenviar/").status_code == 404
    assert charlie.post(f"/administracao/sisab/destinos/{destino.id}/desativar/").status_code == 404
    with tenant_context(m.municipio.id):
        assert DestinoSisab.objects.get(id=destino.id).ativo


# --- the beat task ---------------------------------------------------------------------------


def _janela(m, *, inicio: int, fim: int) -> None:
    with tenant_context(m.municipio.id):
        InstalacaoSisab.objects.filter(municipio=m.municipio).update(janela_inicio=inicio % 24, janela_fim=fim % 24)


def test_beat_is_scheduled_hourly_and_names_the_task():
    entrada = settings.CELERY_BEAT_SCHEDULE["sisab-transmissao"]
    assert entrada["task"] == tasks.sisab_transmissao_noturna.name == "sisab.tasks.sisab_transmissao_noturna"
    assert entrada["schedule"].hour == set(range(24))


def test_beat_inside_the_night_window_delivers(m, tmp_path, celery_eager):
    hora = timezone.localtime().hour
    _janela(m, inicio=hora - 1, fim=hora + 2)  # three hours around now: an hour ticking over stays inside
    _destino(m, tipo="pasta", pasta=str(tmp_path))
    assert tasks.sisab_transmissao_noturna() == Municipio.objects.filter(ativo=True).count()
    assert len(list(tmp_path.glob("*.zip"))) == 1
    assert {e.status for e in _entregas(m)} == {EntregaSisab.Status.ENVIADO}


def test_beat_outside_the_night_window_sends_and_builds_nothing(m, tmp_path, celery_eager):
    hora = timezone.localtime().hour
    _janela(m, inicio=hora + 3, fim=hora + 5)
    _destino(m, tipo="pasta", pasta=str(tmp_path))
    tasks.sisab_transmissao_noturna()
    assert list(tmp_path.iterdir()) == []
    with tenant_context(m.municipio.id):
        assert not FichaSisab.objects.exists() and not EntregaSisab.objects.exists()


def test_beat_reaches_every_active_municipality_and_only_those(m, tmp_path, celery_eager):
    hora = timezone.localtime().hour
    _janela(m, inicio=hora - 1, fim=hora + 2)
    _destino(m, tipo="pasta", pasta=str(tmp_path / "a"))
    inativo = mundo_envio.mundo("Inativo", ativo=False)
    mundo_envio.identificar(inativo.municipio)
    mundo_envio.atendimento(inativo)
    _destino(inativo, tipo="pasta", pasta=str(tmp_path / "b"))
    tasks.sisab_transmissao_noturna()
    assert len(list((tmp_path / "a").glob("*.zip"))) == 1
    assert not (tmp_path / "b").exists()


# --- manage.py export_sisab --------------------------------------------------------------------


def _validas(m) -> dict[str, FichaSisab]:
    with tenant_context(m.municipio.id):
        return {f.uuid: f for f in FichaSisab.objects.filter(status=FichaSisab.Status.VALIDA)}


@pytest.mark.parametrize(
    "formato,ler,sufixo,processos", [("thrift", ledi.de_esus, ".esus", 1), ("xml", ledi.de_xml, ".esus.xml", 2)]
)
def test_export_command_writes_the_month_that_reads_back(m, tmp_path, capsys, formato, ler, sufixo, processos):
    saida = tmp_path / "mes.zip"
    call_command(
        "export_sisab",
        "--municipio",
        m.municipio.ibge,
        "--competencia",
        f"{timezone.localdate():%Y%m}",
        "--format",
        formato,
        "--output",
        str(saida),
        "--processes",
        str(processos),
    )
    validas = _validas(m)
    assert len(validas) == 3  # cadastro, atendimento, vacinação, made by the command itself
    with zipfile.ZipFile(saida) as arquivo:
        lidos = {nome: ler(arquivo.read(nome)) for nome in arquivo.namelist()}
    assert sorted(lidos) == sorted(f"{uuid}{sufixo}" for uuid in validas)
    for dado in lidos.values():
        ficha = validas[dado.uuid]
        assert (dado.tipo, dado.cnes, dado.cod_ibge) == (ficha.tipo, ficha.cnes, m.municipio.ibge)
        assert dado.ficha == ficha.dados and dado.remetente["contraChave"] == "PEC-centralizado - 1.0"
    saida_texto = capsys.readouterr()
    assert f"3 fichas -> {saida}" in saida_texto.out and "3 new, 0 invalid" in saida_texto.err
    assert not list(tmp_path.glob("*.part"))


def test_export_command_leaves_invalid_fichas_and_other_months_out(m, tmp_path):
    mundo_envio.atendimento(m, quando=timezone.now() - datetime.timedelta(days=70))
    mundo_envio.atendimento(m, ciap="W78", cid10="O800")  # W78 (gravidez) only goes with a Z34 CID-10: invalid
    saida = tmp_path / "mes.zip"
    call_command(
        "export_sisab",
        "--municipio",
        m.municipio.ibge,
        "--competencia",
        f"{timezone.localdate():%Y%m}",
        "--output",
        str(saida),
        "--processes",
        "1",
    )
    with tenant_context(m.municipio.id):
        do_mes = set(
            FichaSisab.objects.filter(
                status=FichaSisab.Status.VALIDA, competencia=timezone.localdate().replace(day=1)
            ).values_list("uuid", flat=True)
        )
        assert FichaSisab.objects.filter(status=FichaSisab.Status.INVALIDA).count() == 1
    with zipfile.ZipFile(saida) as arquivo:
        assert {ledi.de_esus(arquivo.read(nome)).uuid for nome in arquivo.namelist()} == do_mes
    assert len(do_mes) == 3


def test_export_command_refuses_without_identity_or_municipality(tmp_path):
    mundo = mundo_envio.mundo("Sem contra-chave")
    saida = tmp_path / "mes.zip"
    with pytest.raises(CommandError, match="contra-chave"):
        call_command(
            "export_sisab", "--municipio", mundo.municipio.ibge, "--competencia", "202611", "--output", str(saida)
        )
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(CommandError, match="No municipality"):
        call_command("export_sisab", "--municipio", "0000000", "--competencia", "202611")
    with pytest.raises(CommandError, match="AAAAMM"):
        call_command("export_sisab", "--municipio", mundo.municipio.ibge, "--competencia", "11/2026")


def test_ficha_page_writes_one_read_of_its_citizen(m):
    from pec.models import EventoAuditoria
    from sisab.fichas import REGISTRO

    envio.fichas_gerar(municipio_id=m.municipio.id)
    with tenant_context(m.municipio.id):
        fichas = {ficha.origem: ficha for ficha in FichaSisab.objects.order_by("id")}
        cidadaos = {
            origem: ficha.origem_id
            if origem == "cidadao"
            else REGISTRO[origem].modelo.objects.get(id=ficha.origem_id).cidadao_id
            for origem, ficha in fichas.items()
        }
    assert {"cidadao", "atendimento"} <= fichas.keys()
    cliente = fabricas.entrar(m.admin.usuario, m.admin, pela_escolha=True)
    for origem, ficha in fichas.items():
        with tenant_context(m.municipio.id):
            antes = EventoAuditoria.objects.filter(evento="leitura_prontuario").count()
        assert cliente.get(f"/administracao/sisab/fichas/{ficha.id}/").status_code == 200
        with tenant_context(m.municipio.id):
            novas = list(EventoAuditoria.objects.filter(evento="leitura_prontuario").order_by("sequencia")[antes:])
        assert [(e.cidadao_id, e.o_que) for e in novas] == [(cidadaos[origem], f"ficha SISAB {ficha.uuid}")], origem


# --- claims: a run that lasts longer than a lease never sends a ficha twice -----------------


@pytest.fixture
def receptor_com_gancho():
    """The receiver, plus `gancho` called (in the server's thread, with a connection of its
    own) when a ficha arrives, before it answers: what happens meanwhile elsewhere."""
    Receptor.modo, Receptor.recebidas = "ok", []
    servidor = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receptor)
    servidor.gancho = None  # type: ignore[attr-defined]  # the hook a test sets
    original = Receptor.do_POST

    def do_post(handler: Receptor) -> None:
        if handler.path.endswith("/ficha") and servidor.gancho is not None:  # type: ignore[attr-defined]
            gancho, servidor.gancho = servidor.gancho, None  # type: ignore[attr-defined]
            try:
                gancho()
            finally:
                connections.close_all()
        original(handler)

    Receptor.do_POST = do_post  # type: ignore[method-assign,assignment]  # wrapped for this fixture only
    threading.Thread(target=servidor.serve_forever, daemon=True).start()
    yield servidor
    Receptor.do_POST = original  # type: ignore[method-assign]
    servidor.shutdown()


def _uuids_recebidos() -> list[str]:
    return [ledi.de_esus(c.split(b"\r\n\r\n", 1)[1].rsplit(b"\r\n--", 1)[0]).uuid for c in Receptor.recebidas]


@pytest.mark.django_db(transaction=True)
def test_a_redelivered_run_after_the_lease_does_not_send_again(m, receptor_com_gancho):
    """Celery redelivers the night's task to a second worker while the first is still
    sending, later than the 15-minute lease: the second run must not send what the first
    claimed (on main it sent it too, and the first then sent it again)."""
    _http(m, receptor_com_gancho.server_port)
    depois_da_lease = timezone.now() + datetime.timedelta(minutes=16)  # the claim was for 15
    segunda: list[dict] = []
    receptor_com_gancho.gancho = lambda: segunda.append(_transmitir(m, agora=depois_da_lease))
    primeira = _transmitir(m)
    uuids = _uuids_recebidos()
    assert len(uuids) == 3 and len(set(uuids)) == 3, uuids
    assert next(iter(primeira["destinos"].values()))["enviadas"] == 3
    assert next(iter(segunda[0]["destinos"].values())) == {
        "enviadas": 0,
        "recusadas": 0,
        "adiadas": 0,
        "detalhe": "outra transmissão para este destino em andamento",
    }
    assert {e.status for e in _entregas(m)} == {EntregaSisab.Status.ENVIADO}


@pytest.mark.django_db(transaction=True)
def test_fichas_are_claimed_a_batch_at_a_time(m, receptor_com_gancho, monkeypatch):
    """While the first ficha is being sent, the others are not claimed yet: a run that
    lost its lock (the connection dropped) leaves no long claim behind."""
    monkeypatch.setattr(envio, "LOTE_REIVINDICACAO", 1, raising=False)
    _http(m, receptor_com_gancho.server_port)
    vistas: list[list[datetime.datetime]] = []

    def olhar() -> None:
        with tenant_context(m.municipio.id):
            vistas.append(sorted(EntregaSisab.objects.values_list("proxima_tentativa", flat=True)))

    receptor_com_gancho.gancho = olhar
    _transmitir(m)
    agora = timezone.now()
    assert len(vistas[0]) == 3
    assert sum(quando > agora for quando in vistas[0]) == 1  # only the ficha in flight is claimed
    assert len(set(_uuids_recebidos())) == 3


# --- the installation's rules, checked again when delivering -------------------------------


def test_a_destination_outside_the_allowlist_gets_nothing(m, receptor, settings):
    """A destination saved around the form (or before the rule): no login, no ficha; the
    rows wait with the reason until the admin fixes it, then go."""
    destino = _http(m, receptor.server_port)
    settings.PEC_HOSTS_LOCAIS = []
    resultado = next(iter(_transmitir(m)["destinos"].values()))
    assert resultado["enviadas"] == 0 and "127.0.0.1 não está entre os permitidos" in resultado["detalhe"]
    assert Receptor.recebidas == []
    entregas = _entregas(m)
    assert entregas and all(e.status == EntregaSisab.Status.PENDENTE and e.tentativas == 0 for e in entregas)
    assert "não está entre os permitidos" in entregas[0].ultimo_erro
    settings.PEC_HOSTS_LOCAIS = ["127.0.0.1"]
    _transmitir(m, agora=timezone.now() + datetime.timedelta(hours=1))
    assert len(Receptor.recebidas) == 3 and destino.id


def test_plain_http_is_refused_in_production(m, receptor, settings):
    _http(m, receptor.server_port)
    settings.PEC_DESTINOS_HTTP = False
    resultado = next(iter(_transmitir(m)["destinos"].values()))
    assert "Use https" in resultado["detalhe"] and Receptor.recebidas == []


def test_a_folder_outside_the_base_is_never_written(m, settings, tmp_path):
    fora = tmp_path / "fora"
    _destino(m, tipo="pasta", pasta=str(fora))
    settings.PEC_SISAB_PASTA_BASE = str(tmp_path / "base")
    resultado = next(iter(_transmitir(m)["destinos"].values()))
    assert resultado["enviadas"] == 0 and "A pasta precisa ficar dentro de" in resultado["detalhe"]
    assert not fora.exists()
    # A symbolic link inside the base that points out of it is outside too.
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "atalho").symlink_to(fora, target_is_directory=True)
    with tenant_context(m.municipio.id):
        DestinoSisab.objects.update(pasta=str(tmp_path / "base" / "atalho"))
    _transmitir(m, agora=timezone.now() + datetime.timedelta(hours=1))
    assert not fora.exists()
