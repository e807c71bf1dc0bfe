"""The demo installation seeded like a small real municipality: its own CNES file through
the importer, professionals with CNS, agendas, citizens with documents and a year of care
written by the clinical services; and a month of it exported to SISAB passes our checks."""

from __future__ import annotations

import datetime
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from cds.models import Familia, Imovel
from cnes_import.models import ImportacaoCnes
from pec.demo import FAMILIAS_DO_HISTORICO, MUNICIPIOS, PESSOAS, cnes_arquivo, demo_configurar, lotacao_demo, seed_demo
from pec.documentos import cns_valido, cpf_valido
from pec.models import Municipio, Outbox, Profissional, Usuario
from pec.tenancy import tenant_context
from prontuario.models import AgendaHorario, Agendamento, Atendimento, Cidadao, EscutaInicial, Vacinacao
from rnds.models import CertificadoA1, ConfiguracaoRNDS
from sisab import ledi, regras
from sisab.models import CredencialRecebimento, DestinoSisab, FichaSisab, InstalacaoSisab
from tests.mundo import entrar

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    seed_demo(cidadaos_historico=40)
    return Municipio.objects.get(ibge=MUNICIPIOS[0][0])


def test_production_municipality_is_seeded_like_a_real_one(demo):
    with tenant_context(demo.id):
        [importacao] = ImportacaoCnes.objects.all()
        assert importacao.status == ImportacaoCnes.Status.CONCLUIDA and importacao.versao == "3.0"
        profissionais = list(Profissional.objects.all())
        assert len(profissionais) == len(PESSOAS) and all(cns_valido(p.cns) for p in profissionais)
        assert AgendaHorario.objects.values("lotacao").distinct().count() == 6  # médico, enfermeira, dentista x 2 UBS
        cidadaos = list(Cidadao.objects.all())
        assert len(cidadaos) == 43
        assert all(cpf_valido(c.cpf) or cns_valido(c.cns) for c in cidadaos)
        assert InstalacaoSisab.objects.get().contra_chave
        atendimentos = Atendimento.objects.filter(status=Atendimento.Status.FINALIZADO)
        assert atendimentos.count() > 20 and EscutaInicial.objects.count() == atendimentos.count()
        meses = {a.finalizado_em.date().replace(day=1) for a in atendimentos}
        assert len(meses) >= 8
        assert Vacinacao.objects.count() > 10
        # The territory, typed by the ACS: domicílios with the demo families, and others.
        imoveis = list(Imovel.objects.all())
        assert {i.tipo for i in imoveis} >= {1, 2, 5} and all(i.atualizado_por.cbo == "515105" for i in imoveis)
        familias = Familia.objects.filter(data_mudanca__isnull=True)
        assert familias.count() == 2 + FAMILIAS_DO_HISTORICO
        maria = Cidadao.objects.get(nome="MARIA APARECIDA DOS SANTOS")
        assert set(familias.get(responsavel=maria).membros.values_list("cidadao__nome", flat=True)) == {
            "MARIA APARECIDA DOS SANTOS",
            "ANA BEATRIZ FERREIRA",
        }
    assert cnes_arquivo(demo.ibge).read_bytes().startswith(b"<?xml")


def exportar_mes(demo: Municipio, competencia: datetime.date, formato: str, saida: Path, capsys: Any) -> list[int]:
    """export_sisab of the month makes every ficha of the demo (none invalid), and each file,
    read back, passes the LEDI rules and the official XSD again: the tipos exported."""
    call_command(
        "export_sisab",
        "--municipio",
        demo.ibge,
        "--competencia",
        f"{competencia:%Y%m}",
        "--format",
        formato,
        "--output",
        str(saida),
        "--processes",
        "1",
    )
    assert ", 0 invalid" in capsys.readouterr().err
    with tenant_context(demo.id):
        assert not FichaSisab.objects.filter(status=FichaSisab.Status.INVALIDA).exists()
        do_mes = FichaSisab.objects.filter(competencia=competencia)
        esperados = {f.uuid: f.tipo for f in do_mes}
    tipos = {}
    with zipfile.ZipFile(saida) as arquivo:
        for nome in arquivo.namelist():
            conteudo = arquivo.read(nome)
            dado = ledi.de_xml(conteudo) if formato == "xml" else ledi.de_esus(conteudo)
            assert regras.ficha_erros(tipo=dado.tipo, dados=dado.ficha) == [], nome
            assert regras.xsd_erros(dado) == [], nome
            tipos[dado.uuid] = dado.tipo
    assert tipos == esperados
    return list(tipos.values())


@pytest.mark.parametrize("formato", ["xml", "thrift"])
def test_month_export_passes_the_project_checks_with_vaccinations(demo, tmp_path, formato, capsys):
    with tenant_context(demo.id):
        competencia = Vacinacao.objects.latest("data_aplicacao").data_aplicacao.replace(day=1)
    tipos = exportar_mes(demo, competencia, formato, tmp_path / "sisab.zip", capsys)
    assert 14 in tipos and 4 in tipos  # vacinação and atendimento individual


@pytest.mark.parametrize("formato", ["xml", "thrift"])
def test_the_month_the_territory_and_the_cds_fichas_were_typed_exports_them(demo, tmp_path, formato, capsys):
    tipos = exportar_mes(demo, timezone.localdate().replace(day=1), formato, tmp_path / "sisab.zip", capsys)
    assert tipos.count(3) == 4 + FAMILIAS_DO_HISTORICO  # a domicílio per family, a commerce, a school
    assert {6, 8, 10, 11, 12, 13} <= set(tipos)  # one paper ficha of each typed CDS type


def make_run(porta_web: int, porta_rnds: int, pasta) -> None:
    """What `serve --demo` does to the database: the demo without history if missing, the
    peers' addresses, then (in the background) the year of care and the week's bookings."""
    call_command("seed_demo", "--if-empty", "--cidadaos", "0")
    demo_configurar(url_web=f"http://127.0.0.1:{porta_web}", url_rnds=f"https://127.0.0.1:{porta_rnds}", pasta=pasta)
    call_command("seed_demo", "--completar", "--cidadaos", "12")


def test_a_second_make_run_duplicates_nothing(settings, tmp_path, capsys):
    """seed_demo --if-empty, the per-run configuration (local peers) and --completar (the
    year of care, the week's bookings) are idempotent; only the peers' addresses follow
    the new ports."""
    settings.VAR_DIR = tmp_path
    make_run(8000, 9443, tmp_path / "pki")
    saida = capsys.readouterr().out
    assert "Serra Azul/BA (9999902): TREINAMENTO — tudo funciona, nada é transmitido." in saida
    assert "Vila Esperança/MG (9999901): produção" in saida
    assert "Demo history ready: 12 citizens" in saida
    antes = contagens()
    make_run(8080, 9444, tmp_path / "pki")
    assert "Demo history already present" in capsys.readouterr().out
    assert contagens() == antes
    assert antes["cidadaos"] == 15 + 3 and antes["atendimentos"] > 0  # 3 named + 12, and Serra Azul's 3
    assert antes["agendamentos"] >= 9  # three agendas of UBS Centro, three a working day
    municipio = Municipio.objects.get(ibge=MUNICIPIOS[0][0])
    with tenant_context(municipio.id):
        assert DestinoSisab.objects.get().url == "http://127.0.0.1:8080"
        assert ConfiguracaoRNDS.objects.get().url_servicos == "https://127.0.0.1:9444"
        dias = {timezone.localtime(a.inicio).date() for a in Agendamento.objects.all()}
        assert all(dia > timezone.localdate() and dia.weekday() < 5 for dia in dias)


def contagens() -> dict[str, int]:
    total = {"usuarios": Usuario.objects.count(), "municipios": Municipio.objects.count()}
    for municipio in Municipio.objects.all():
        with tenant_context(municipio.id):
            for nome, modelo in [
                ("cidadaos", Cidadao),
                ("atendimentos", Atendimento),
                ("vacinas", Vacinacao),
                ("importacoes", ImportacaoCnes),
                ("agendamentos", Agendamento),
                ("destinos", DestinoSisab),
                ("credenciais", CredencialRecebimento),
                ("certificados", CertificadoA1),
                ("outbox", Outbox),
            ]:
                total[nome] = total.get(nome, 0) + modelo.objects.count()  # type: ignore[attr-defined]  # each concrete model has objects
    return total


def test_the_demo_cnes_file_previews_with_nothing_to_change(
    settings, tmp_path, celery_eager, django_capture_on_commit_callbacks
):
    """What the README tells the municipal admin to try: send the demo's CNES file again on
    the CNES page; the preview finds everything already as the file says."""
    settings.VAR_DIR = tmp_path
    seed_demo(cidadaos_historico=0)
    municipio = Municipio.objects.get(ibge=MUNICIPIOS[0][0])
    with tenant_context(municipio.id):
        admin = lotacao_demo(municipio, cbo="131205")
    cliente = entrar(admin)
    # The preview runs in a worker (eager here) once the upload's request has committed.
    with cnes_arquivo(municipio.ibge).open("rb") as arquivo, django_capture_on_commit_callbacks(execute=True):
        resposta = cliente.post(reverse("cnes_importacoes"), {"arquivo": arquivo})
    pagina = cliente.get(resposta.url).content.decode()  # type: ignore[attr-defined]  # a redirect carries .url; the test client type lacks it
    assert "Prévia da importação" in pagina and "Aplicar" in pagina
    with tenant_context(municipio.id):
        previa = ImportacaoCnes.objects.get(simulacao=True)
    assert previa.ok and previa.rejeicoes == []
    assert all(
        not n.get("criados") and not n.get("atualizados") and not n.get("desativados")
        for n in previa.contagens.values()
    )
