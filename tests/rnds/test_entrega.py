"""Delivery to the local national peer: every record reaches the RNDS exactly once
through outages, expired tokens, killed workers and refusals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.db.models import F, Min
from django.utils import timezone

from pec import outbox
from pec.models import Municipio, Outbox
from pec.outbox import outbox_registrar_exclusao, outbox_registrar_substituicao
from pec.tenancy import tenant_context
from rnds import cliente
from rnds.bundles import bundle_construir
from rnds.selectors import rnds_status_do_registro
from tests.browser import database_url_for
from tests.rnds.conftest import SOLICITANTE, atendimento, quem, vacina

pytestmark = pytest.mark.django_db


def linhas(municipio: Municipio) -> list[Outbox]:
    with tenant_context(municipio.id):
        return list(Outbox.objects.filter(destino="rnds").order_by("id"))


def drenar(municipio: Municipio) -> dict[str, int]:
    return outbox.outbox_drenar(municipio_id=municipio.id, destino="rnds")


def passar_o_tempo(municipio: Municipio) -> timedelta:
    """Time passes until the next retry is due: every pending row moves that much closer."""
    with tenant_context(municipio.id):
        pendentes = Outbox.objects.filter(destino="rnds", status=Outbox.Status.PENDENTE)
        proxima = pendentes.aggregate(m=Min("proxima_tentativa"))["m"]
        espera = max(proxima - timezone.now(), timedelta(0))
        pendentes.update(proxima_tentativa=F("proxima_tentativa") - espera)
    return espera


def test_rac_and_ria_are_delivered_with_the_rnds_id(municipio_rnds, simulador, registros):
    _rac, objeto_rac = registros.criar(municipio_rnds, atendimento())
    _ria, _ = registros.criar(municipio_rnds, vacina(), tipo="ria-r")
    assert drenar(municipio_rnds) == {"enviado": 2}
    for item in linhas(municipio_rnds):
        assert item.status == Outbox.Status.ENVIADO
        assert item.resposta["rnds_id"] in simulador.estado.documentos
    assert sorted(simulador.estado.recebidos.values()) == [1, 1]
    with tenant_context(municipio_rnds.id):
        assert rnds_status_do_registro(municipio_id=municipio_rnds.id, objeto=objeto_rac) == "enviado"
    assert simulador.estado.tokens_emitidos == 1  # one mutual-TLS handshake for the batch


def test_peer_down_for_a_day_then_up_delivers_each_record_exactly_once(municipio_rnds, simulador, registros):
    simulador.parar()
    for _ in range(5):
        registros.criar(municipio_rnds, atendimento())
    decorrido = timedelta(0)
    while decorrido < timedelta(days=1):
        assert "enviado" not in drenar(municipio_rnds)
        decorrido += passar_o_tempo(municipio_rnds)
    itens = linhas(municipio_rnds)
    # Far past MAX_TENTATIVAS, and still pending: an outage alone never dead-letters.
    assert all(i.status == Outbox.Status.PENDENTE and i.tentativas > outbox.MAX_TENTATIVAS for i in itens)
    assert "ConnectionRefused" in itens[0].ultimo_erro
    simulador.iniciar()
    enviados = 0
    for _ in range(5):  # each row comes due at its own (jittered) time
        passar_o_tempo(municipio_rnds)
        enviados += drenar(municipio_rnds).get("enviado", 0)
    assert enviados == 5
    assert all(i.status == Outbox.Status.ENVIADO for i in linhas(municipio_rnds))
    assert sorted(simulador.estado.recebidos.values()) == [1] * 5
    assert drenar(municipio_rnds) == {}


def test_503_is_retried_not_refused(municipio_rnds, simulador, registros):
    simulador.estado.fora_do_ar = "503"
    registros.criar(municipio_rnds, vacina(), tipo="ria-r")
    assert drenar(municipio_rnds) == {"pendente": 1}
    assert "503" in linhas(municipio_rnds)[0].ultimo_erro
    simulador.estado.fora_do_ar = ""
    passar_o_tempo(municipio_rnds)
    assert drenar(municipio_rnds) == {"enviado": 1}


def test_token_expiring_mid_batch_is_renewed_once(municipio_rnds, simulador, registros):
    for _ in range(6):
        registros.criar(municipio_rnds, atendimento())
    simulador.estado.expirar_tokens_apos = 3
    assert drenar(municipio_rnds) == {"enviado": 6}
    assert simulador.estado.tokens_emitidos == 2
    assert sorted(simulador.estado.recebidos.values()) == [1] * 6


def test_a_422_is_a_dead_letter_with_the_rnds_message(municipio_rnds, simulador, registros):
    simulador.estado.individuos_desconhecidos.add("11144477735")
    registros.criar(municipio_rnds, atendimento(quem=quem(cpf="11144477735")))
    assert drenar(municipio_rnds) == {"erro": 1}
    item = linhas(municipio_rnds)[0]
    assert item.status == Outbox.Status.ERRO and item.tentativas == 1
    assert "(EDS-MSG001) Indivíduo 11144477735 não encontrado no CADSUS" in item.ultimo_erro


def _configuracao(municipio: Municipio):  # type: ignore[no-untyped-def]
    from rnds.models import CertificadoA1, ConfiguracaoRNDS

    with tenant_context(municipio.id):
        return ConfiguracaoRNDS.objects.select_related("municipio").get(), CertificadoA1.objects.get(ativo=True)


def test_duplicate_identifier_after_a_lost_answer_keeps_the_rnds_id_and_a_correction_replaces_it(
    municipio_rnds,
    simulador,
    registros,
):
    registro = atendimento()
    original, objeto = registros.criar(municipio_rnds, registro)
    # The first attempt reached the RNDS but its answer was lost.
    config, cert = _configuracao(municipio_rnds)
    entregue = cliente.enviar_bundle(
        config=config,
        cert=cert,
        bundle=bundle_construir(registro, solicitante=SOLICITANTE),
        cns_profissional=registro.quem.profissional_cns,
    )
    assert drenar(municipio_rnds) == {"enviado": 1}
    resposta = linhas(municipio_rnds)[0].resposta
    assert resposta["duplicado"] is True and "ERR866" in resposta["mensagem"]
    assert resposta["rnds_id"] == entregue  # found by the local identifier
    assert list(simulador.estado.recebidos.values()) == [1]
    # A later correction replaces that document instead of being dead-lettered.
    with tenant_context(municipio_rnds.id):
        outbox_registrar_substituicao(
            destino="rnds", municipio=municipio_rnds, objeto=objeto, tipo="rac", chave_original=original.chave
        )
    assert drenar(municipio_rnds) == {"enviado": 1}
    assert linhas(municipio_rnds)[1].resposta["substitui"] == entregue
    assert simulador.estado.substituidos == {entregue}


def test_replacement_already_received_keeps_the_id_of_the_replacing_document(municipio_rnds, simulador, registros):
    registro = vacina()
    original, objeto = registros.criar(municipio_rnds, registro, tipo="ria-r")
    drenar(municipio_rnds)
    primeiro = linhas(municipio_rnds)[0].resposta["rnds_id"]
    config, cert = _configuracao(municipio_rnds)
    # The replacement went through, its answer was lost; the resend meets ERR870.
    substituto = cliente.enviar_bundle(
        config=config,
        cert=cert,
        bundle=bundle_construir(registro, solicitante=SOLICITANTE, substitui=primeiro),
        cns_profissional=registro.quem.profissional_cns,
    )
    with tenant_context(municipio_rnds.id):
        outbox_registrar_substituicao(
            destino="rnds", municipio=municipio_rnds, objeto=objeto, tipo="ria-r", chave_original=original.chave
        )
    assert drenar(municipio_rnds) == {"enviado": 1}
    resposta = linhas(municipio_rnds)[1].resposta
    assert (resposta["rnds_id"], resposta["substitui"]) == (substituto, primeiro)
    assert "ERR870" in resposta["mensagem"]


def test_identifier_lookup_answers_each_version(municipio_rnds, simulador):
    from rnds.bundles import sistema_identificador

    config, cert = _configuracao(municipio_rnds)
    registro = vacina()
    primeiro = cliente.enviar_bundle(
        config=config,
        cert=cert,
        bundle=bundle_construir(registro, solicitante=SOLICITANTE),
        cns_profissional=registro.quem.profissional_cns,
    )
    segundo = cliente.enviar_bundle(
        config=config,
        cert=cert,
        bundle=bundle_construir(registro, solicitante=SOLICITANTE, substitui=primeiro),
        cns_profissional=registro.quem.profissional_cns,
    )
    consulta = {
        "config": config,
        "cert": cert,
        "sistema": sistema_identificador(SOLICITANTE),
        "valor": registro.quem.identificador,
        "cns_profissional": registro.quem.profissional_cns,
    }
    versoes = cliente.versoes_do_identificador(tipo_documento="RIA", **consulta)
    assert [(v["id"], v["status"], v["relatesTo"]) for v in versoes] == [
        (primeiro, "entered-in-error", []),
        (segundo, "final", [{"code": "replaces", "targetReference": {"type": "Composition", "id": primeiro}}]),
    ]
    assert versoes[0]["cns"] == registro.quem.cidadao_documento
    assert cliente.versoes_do_identificador(tipo_documento="RAC", **consulta) == []


def test_correction_replaces_once_and_wrong_citizen_is_deleted(municipio_rnds, simulador, registros):
    registro = vacina()
    original, objeto = registros.criar(municipio_rnds, registro, tipo="ria-r")
    drenar(municipio_rnds)
    primeiro = linhas(municipio_rnds)[0].resposta["rnds_id"]
    with tenant_context(municipio_rnds.id):
        outbox_registrar_substituicao(
            destino="rnds", municipio=municipio_rnds, objeto=objeto, tipo="ria-r", chave_original=original.chave
        )
        # The same correction registered twice is one row: the RNDS allows one replacement.
        outbox_registrar_substituicao(
            destino="rnds", municipio=municipio_rnds, objeto=objeto, tipo="ria-r", chave_original=original.chave
        )
    assert drenar(municipio_rnds) == {"enviado": 1}
    substituto = linhas(municipio_rnds)[1]
    assert substituto.resposta["substitui"] == primeiro
    assert primeiro in simulador.estado.substituidos
    composicao = simulador.estado.documentos[substituto.resposta["rnds_id"]]["entry"][0]["resource"]
    assert composicao["relatesTo"] == [
        {"code": "replaces", "targetReference": {"reference": f"Composition/{primeiro}"}}
    ]
    with tenant_context(municipio_rnds.id):
        outbox_registrar_exclusao(
            destino="rnds", municipio=municipio_rnds, objeto=objeto, tipo="ria-r", chave_original=original.chave
        )
    assert drenar(municipio_rnds) == {"enviado": 1}
    assert simulador.estado.excluidos == {substituto.resposta["rnds_id"]}


def test_correction_waits_for_the_original(municipio_rnds, simulador, registros):
    simulador.estado.fora_do_ar = "503"
    original, objeto = registros.criar(municipio_rnds, atendimento())
    with tenant_context(municipio_rnds.id):
        outbox_registrar_substituicao(
            destino="rnds", municipio=municipio_rnds, objeto=objeto, tipo="rac", chave_original=original.chave
        )
    assert drenar(municipio_rnds) == {"pendente": 2}
    assert "aguardando o envio do registro original" in linhas(municipio_rnds)[1].ultimo_erro


def test_an_address_outside_the_allowlist_gets_no_handshake_and_rows_wait(
    municipio_rnds, simulador, registros, settings
):
    """A configuration saved before the rule (or around the form) names a host the
    installation does not allow: no mutual-TLS handshake, no Bundle; the rows wait with
    the reason and go once the host is allowed."""
    registros.criar(municipio_rnds, atendimento())
    settings.PEC_HOSTS_LOCAIS = []
    assert drenar(municipio_rnds) == {"pendente": 1}
    [item] = linhas(municipio_rnds)
    assert "EnderecoNaoPermitido" in item.ultimo_erro and "127.0.0.1 não está entre os permitidos" in item.ultimo_erro
    assert simulador.estado.tokens_emitidos == 0 and sum(simulador.estado.recebidos.values()) == 0
    settings.PEC_HOSTS_LOCAIS = ["127.0.0.1"]
    passar_o_tempo(municipio_rnds)
    assert drenar(municipio_rnds) == {"enviado": 1}


def test_training_municipality_never_sends(simulador, registros):
    from tests import mundo as fabricas

    treino = fabricas.municipio("Treino", modo=Municipio.Modo.TREINAMENTO)
    item, _ = registros.criar(treino, atendimento())
    assert item.status == Outbox.Status.TREINAMENTO
    assert drenar(treino) == {}
    assert not simulador.estado.recebidos


def test_without_certificate_rows_wait(simulador, registros):
    from tests import mundo as fabricas

    municipio = fabricas.municipio("Sem certificado")
    registros.criar(municipio, atendimento())
    assert drenar(municipio) == {"pendente": 1}
    assert "RNDS não habilitada" in linhas(municipio)[0].ultimo_erro


_DRENO = """
import django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()
from pec.outbox import outbox_drenar
from rnds import mapeamento
from rnds.registros import *
import json, datetime, sys
dados = json.loads(sys.argv[1])
def mapear(objeto):
    r = dados[str(objeto.id)]
    q = Identificacao(**r["quem"])
    return RegistroAtendimento(quem=q, inicio=datetime.datetime.fromisoformat(r["inicio"]),
        fim=datetime.datetime.fromisoformat(r["fim"]), problemas=tuple(Problema(**p) for p in r["problemas"]),
        procedimentos=tuple(Procedimento(**p) for p in r["procedimentos"]))
mapeamento.registrar_mapeador("pec.estabelecimento", mapear)
print(outbox_drenar(municipio_id=int(sys.argv[2]), destino="rnds"), flush=True)
"""


@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_send_loses_and_duplicates_nothing(municipio_rnds, simulador, registros, arquivos_pki):
    import dataclasses
    import json

    for _ in range(4):
        registros.criar(municipio_rnds, atendimento())
    dados = {
        str(k): {**dataclasses.asdict(v), "inicio": v.inicio.isoformat(), "fim": v.fim.isoformat()}
        for k, v in registros.por_id.items()
    }
    simulador.estado.atraso = 1.5
    ambiente = {
        **os.environ,
        # The test database, over TCP or the embedded server's unix socket alike.
        "DATABASE_URL": database_url_for(settings.DATABASES["default"]["NAME"]),
        "RNDS_CA_ARQUIVO": str(arquivos_pki.ca),
    }
    worker = subprocess.Popen(
        [sys.executable, "-c", _DRENO, json.dumps(dados), str(municipio_rnds.id)],
        cwd=settings.BASE_DIR,
        env=ambiente,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    limite = time.monotonic() + 60
    while sum(simulador.estado.recebidos.values()) < 2 and time.monotonic() < limite:
        time.sleep(0.05)
    worker.send_signal(signal.SIGKILL)  # mid-send: the third POST is in flight
    worker.wait(timeout=10)
    time.sleep(simulador.estado.atraso + 0.5)  # the peer finishes what it was answering
    recebidos_antes = sum(simulador.estado.recebidos.values())
    assert 2 <= recebidos_antes < 4, worker.stderr.read().decode()[-2000:] if worker.stderr else ""
    itens = linhas(municipio_rnds)
    assert any(i.status == Outbox.Status.PENDENTE for i in itens)
    simulador.estado.atraso = 0
    # The killed worker's claim lasts LEASE; let it run out.
    with tenant_context(municipio_rnds.id):
        Outbox.objects.filter(status=Outbox.Status.PENDENTE).update(proxima_tentativa=timezone.now())
    drenar(municipio_rnds)
    itens = linhas(municipio_rnds)
    assert all(i.status == Outbox.Status.ENVIADO for i in itens)
    assert sorted(simulador.estado.recebidos.values()) == [1] * 4
    # The one in flight when the worker died was refused as a duplicate on resend; its
    # RNDS id was looked up, so every row knows the document it stands for.
    assert sorted(i.resposta["rnds_id"] for i in itens) == sorted(simulador.estado.documentos)
