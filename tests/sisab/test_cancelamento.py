"""A dose deleted after its ficha was accepted is withdrawn with a cancelling Ficha de
Vacinação (`uuidFichaCancelada`, Thrift only) sent to the destinations that have it; one
deleted before that sends nothing, ever."""

from __future__ import annotations

import datetime
import io
import zipfile
from pathlib import Path

import pytest
import thriftpy2
from django.core.management import call_command
from django.utils import timezone
from lxml import etree
from thriftpy2.protocol import TBinaryProtocolFactory
from thriftpy2.utils import deserialize

from pec.identity.acesso import permissoes_da_lotacao
from pec.models import Outbox
from pec.outbox import outbox_drenar
from pec.tenancy import tenant_context
from prontuario.vacinacao import services as vacinacao
from sisab import envio, fichas, ledi
from sisab.models import DestinoSisab, EntregaSisab, FichaSisab
from tests.atores import ator_de
from tests.sisab import mundo_envio

pytestmark = pytest.mark.django_db

IDL = Path(__file__).resolve().parents[3] / "shared" / "reference" / "ledi" / "thrift"


@pytest.fixture
def m():
    mundo = mundo_envio.mundo()
    mundo_envio.identificar(mundo.municipio)
    return mundo


def _pasta(m, pasta: Path, nome: str = "Pasta") -> DestinoSisab:
    with tenant_context(m.municipio.id):
        return envio.destino_salvar(
            destino=DestinoSisab(municipio=m.municipio, nome=nome, tipo="pasta", pasta=str(pasta)), senha=None
        )


def _transmitir(m, *, depois: int = 0) -> dict:
    """A run `depois` minutes from now (a folder's zip is named by the minute and second)."""
    agora = timezone.now() + datetime.timedelta(minutes=depois)
    return envio.transmitir(municipio_id=m.municipio.id, agora=agora, ignorar_janela=True)


def _excluir(m, dose) -> None:
    with tenant_context(m.municipio.id):
        vacinacao.vacinacao_excluir(
            vacinacao=dose,
            lotacao=m.nina,
            permissoes=permissoes_da_lotacao(lotacao=m.nina),
            motivo="Registrada no cidadão errado",
            ator=ator_de(m.nina),
        )
    assert outbox_drenar(municipio_id=m.municipio.id, destino="sisab") == {Outbox.Status.ENVIADO: 1}


def _zip(pasta: Path, *, exceto: frozenset[Path] | set[Path] = frozenset()) -> dict[str, bytes]:
    (novo,) = set(pasta.glob("*.zip")) - set(exceto)
    with zipfile.ZipFile(novo) as arquivo:
        return {nome: arquivo.read(nome) for nome in arquivo.namelist()}


def _fichas_da_dose(m, dose) -> list[FichaSisab]:
    with tenant_context(m.municipio.id):
        return list(FichaSisab.objects.filter(origem="vacinacao", origem_id=dose.id).order_by("origem_versao"))


def _decodificar(conteudo: bytes):
    """The .esus read with a fresh load of the official IDL, not our copy."""
    transporte = thriftpy2.load(
        str(IDL / "dado_transporte.thrift"), module_name="ref_dt2_thrift", include_dirs=[str(IDL)]
    )
    vacina = thriftpy2.load(str(IDL / "ficha_vacinacao.thrift"), module_name="ref_fv_thrift", include_dirs=[str(IDL)])
    envelope = deserialize(transporte.DadoTransporteThrift(), conteudo, TBinaryProtocolFactory())
    assert envelope.tipoDadoSerializado == 14
    return envelope, deserialize(
        vacina.FichaVacinacaoMasterThrift(), envelope.dadoSerializado, TBinaryProtocolFactory()
    )


def test_a_dose_deleted_after_it_was_sent_goes_out_as_a_cancelling_ficha_to_that_folder_only(m, tmp_path):
    dose = mundo_envio.vacina(m)
    pasta, outra = tmp_path / "a", tmp_path / "b"
    _pasta(m, pasta)
    _transmitir(m)
    primeiro = set(pasta.glob("*.zip"))
    (original,) = _fichas_da_dose(m, dose)
    assert f"{original.uuid}.esus" in _zip(pasta)

    _excluir(m, dose)
    _pasta(m, outra, nome="Pasta nova")  # a destination that never had the dose
    _transmitir(m, depois=1)

    enviada, cancelamento = _fichas_da_dose(m, dose)
    assert enviada.uuid == original.uuid and cancelamento.status == FichaSisab.Status.VALIDA, cancelamento.erros
    assert cancelamento.dados["uuidFichaCancelada"] == original.uuid != cancelamento.uuid
    assert cancelamento.uuid.startswith(original.cnes + "-") and len(cancelamento.uuid) == 44
    assert cancelamento.dados["vacinacoes"] == original.dados["vacinacoes"]
    segundo = _zip(pasta, exceto=primeiro)
    assert list(segundo) == [f"{cancelamento.uuid}.esus"]  # the cancellation, and the dose not again
    envelope, ficha = _decodificar(segundo[f"{cancelamento.uuid}.esus"])
    assert envelope.uuidDadoSerializado == ficha.uuidFicha == cancelamento.uuid
    assert ficha.uuidFichaCancelada == original.uuid
    assert ficha.vacinacoes[0].vacinas[0].imunobiologico == int(dose.imunobiologico)
    assert ledi.de_esus(segundo[f"{cancelamento.uuid}.esus"]).ficha == cancelamento.dados
    # The new folder got the other fichas (the citizen's cadastro) but neither of the dose's.
    nomes_novos = set(_zip(outra))
    assert nomes_novos and not nomes_novos & {f"{original.uuid}.esus", f"{cancelamento.uuid}.esus"}
    with tenant_context(m.municipio.id):
        assert set(cancelamento.entregas.values_list("destino__nome", "status")) == {("Pasta", "enviado")}


def test_the_cancelling_ficha_is_made_once_however_often_the_deletion_is_delivered(m, tmp_path):
    dose = mundo_envio.vacina(m)
    _pasta(m, tmp_path)
    _transmitir(m)
    _excluir(m, dose)
    (_, cancelamento) = _fichas_da_dose(m, dose)
    with tenant_context(m.municipio.id):
        linha = Outbox.objects.get(destino="sisab", tipo="ficha_vacinacao_exclusao")
        assert linha.resposta == {
            "ficha": cancelamento.dados["uuidFichaCancelada"],
            "cancelamento": cancelamento.uuid,
            "status": FichaSisab.Status.VALIDA,
        }
        assert envio.outbox_entregador(linha)["cancelamento"] == cancelamento.uuid
        assert EntregaSisab.objects.filter(ficha=cancelamento).count() == 1
    assert envio.fichas_gerar(municipio_id=m.municipio.id) == {"novas": 0, "refeitas": 0, "invalidas": 0}
    assert len(_fichas_da_dose(m, dose)) == 2


def test_a_dose_deleted_before_its_ficha_was_sent_sends_nothing_even_after_later_runs(m, tmp_path):
    dose = mundo_envio.vacina(m)
    envio.fichas_gerar(municipio_id=m.municipio.id)
    _excluir(m, dose)
    _pasta(m, tmp_path)
    _transmitir(m)
    _transmitir(m, depois=1)  # the night run rebuilds invalid fichas: a deleted dose's stays held back
    (retida,) = _fichas_da_dose(m, dose)
    assert retida.status == FichaSisab.Status.INVALIDA and "excluída" in retida.erros[0]
    with tenant_context(m.municipio.id):
        assert not retida.entregas.exists()
    (enviados,) = [_zip(tmp_path)]  # one zip: the second run had nothing to send
    assert f"{retida.uuid}.esus" not in enviados and len(enviados) == 1  # only the citizen's cadastro


def test_a_refused_delivery_of_the_deleted_dose_is_dropped_not_retried(m, tmp_path):
    dose = mundo_envio.vacina(m)
    envio.fichas_gerar(municipio_id=m.municipio.id)
    aceitou, recusou = _pasta(m, tmp_path / "a"), _pasta(m, tmp_path / "b", nome="B")
    (original,) = _fichas_da_dose(m, dose)
    with tenant_context(m.municipio.id):
        EntregaSisab.objects.create(municipio=m.municipio, ficha=original, destino=aceitou, status="enviado")
        EntregaSisab.objects.create(municipio=m.municipio, ficha=original, destino=recusou, status="erro")
    _excluir(m, dose)
    (_, cancelamento) = _fichas_da_dose(m, dose)
    with tenant_context(m.municipio.id):
        assert list(original.entregas.values_list("destino_id", flat=True)) == [aceitou.id]
        assert list(cancelamento.entregas.values_list("destino_id", flat=True)) == [aceitou.id]
    assert envio.reenviar(municipio_id=m.municipio.id) == 0


def test_xml_cannot_cancel_so_the_xml_export_leaves_the_deleted_dose_out_and_says_so(m, tmp_path, capsys):
    dose, outra = mundo_envio.vacina(m), mundo_envio.vacina(m)
    _pasta(m, tmp_path)
    _transmitir(m)
    _excluir(m, dose)
    original, cancelamento = _fichas_da_dose(m, dose)
    # The XML form of the cancellation is valid against the XSD, but without the field it
    # would be the dose again under a new uuid: that is why it is never written.
    with tenant_context(m.municipio.id):
        identidade = envio.instalacao_dados(envio.instalacao_do_municipio(municipio_id=m.municipio.id))
    xml = ledi.para_xml(envio.dado_transporte(cancelamento, identidade))
    ledi.validar_xml(etree.fromstring(xml))
    assert b"uuidFichaCancelada" not in xml
    competencia = timezone.localdate().replace(day=1)
    nomes = {}
    for formato in ("xml", "thrift"):
        saida = io.BytesIO()
        envio.exportar(municipio=m.municipio, competencia=competencia, formato=formato, saida=saida)
        with zipfile.ZipFile(saida) as arquivo:
            nomes[formato] = {nome.split(".")[0] for nome in arquivo.namelist()}
    (ficha_outra,) = _fichas_da_dose(m, outra)
    assert ficha_outra.uuid in nomes["xml"] and not {original.uuid, cancelamento.uuid} & nomes["xml"]
    assert {original.uuid, cancelamento.uuid, ficha_outra.uuid} <= nomes["thrift"]
    assert envio.cancelamentos_sem_xml(municipio_id=m.municipio.id, competencia=competencia) == 1
    call_command(
        "export_sisab",
        municipio=m.municipio.ibge,
        competencia=f"{competencia:%Y%m}",
        format="xml",
        output=tmp_path / "x.zip",
        processes=1,
    )
    assert "1 deleted doses left out" in capsys.readouterr().err


def test_the_cancelling_ficha_keeps_every_field_of_the_one_it_cancels():
    enviada = {"uuidFicha": "1234567-" + "a" * 36, "tpCdsOrigem": 3, "headerTransport": {"cnes": "1234567"}}
    dados = fichas.vacinacao_cancelamento(enviada, cnes="1234567")
    assert dados == {**enviada, "uuidFicha": dados["uuidFicha"], "uuidFichaCancelada": enviada["uuidFicha"]}
    assert dados["uuidFicha"] == fichas.vacinacao_cancelamento(enviada, cnes="1234567")["uuidFicha"]
