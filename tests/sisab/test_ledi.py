"""The LEDI codec against the official examples, IDL and XSDs (LEDI 7.2.2)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
import thriftpy2
from lxml import etree
from thriftpy2.protocol import TBinaryProtocolFactory
from thriftpy2.utils import deserialize, serialize

from sisab import ledi

EXAMPLES = Path(__file__).resolve().parents[3] / "shared" / "reference" / "ledi" / "examples"
# SOURCE.md of the reference set: these three upstream examples do not follow the XSD.
BROKEN = {
    "Atendimento_Odontologico.esus.xml": "dataHoraInicialAtendimento",
    "Cadastro_Individual.esus.xml": "informacoesSocioEconomicas",
    "Vacinacao.esus.xml": "dose",
}
VALID = sorted(p.name for p in EXAMPLES.glob("*.esus.xml") if p.name not in BROKEN)


def test_reference_examples_are_present():
    assert len(VALID) == 19


@pytest.mark.parametrize("name", VALID)
def test_valid_example_round_trips_through_thrift_and_xml(name):
    original = ledi.de_xml((EXAMPLES / name).read_bytes())
    assert original.ficha
    via_thrift = ledi.de_esus(ledi.para_esus(original))
    assert via_thrift.ficha == original.ficha
    assert (via_thrift.uuid, via_thrift.tipo, via_thrift.cnes) == (original.uuid, original.tipo, original.cnes)
    via_xml = ledi.de_xml(ledi.para_xml(original))  # de_xml validates against the XSD
    assert via_xml.ficha == original.ficha
    assert via_xml.remetente == original.remetente


@pytest.mark.parametrize("name,element", sorted(BROKEN.items()))
def test_broken_example_is_refused_with_the_reason(name, element):
    with pytest.raises(ledi.LediErro, match=element):
        ledi.de_xml((EXAMPLES / name).read_bytes())


def test_thrift_file_reads_back_with_the_official_idl_loaded_independently():
    """Decode our .esus with a fresh load of the IDL from shared/reference, not our copy."""
    dado = ledi.de_xml((EXAMPLES / "Procedimentos.esus.xml").read_bytes())
    conteudo = ledi.para_esus(dado)
    idl = EXAMPLES.parent / "thrift"
    transporte = thriftpy2.load(
        str(idl / "dado_transporte.thrift"), module_name="ref_dt_thrift", include_dirs=[str(idl)]
    )
    procedimento = thriftpy2.load(
        str(idl / "ficha_atendimento_procedimento.thrift"), module_name="ref_fp_thrift", include_dirs=[str(idl)]
    )
    envelope = deserialize(transporte.DadoTransporteThrift(), conteudo, TBinaryProtocolFactory())
    assert envelope.tipoDadoSerializado == 7
    versao = envelope.versao
    assert {"major": versao.major, "minor": versao.minor, "revision": versao.revision} == dado.versao
    ficha = deserialize(
        procedimento.FichaProcedimentoMasterThrift(), envelope.dadoSerializado, TBinaryProtocolFactory()
    )
    assert ficha.uuidFicha == dado.ficha["uuidFicha"]
    assert ficha.headerTransport.profissionalCNS == dado.ficha["headerTransport"]["profissionalCNS"]
    assert len(ficha.atendProcedimentos) == len(dado.ficha["atendProcedimentos"])


def test_xml_follows_xsd_element_order_not_dict_order():
    dado = ledi.de_xml((EXAMPLES / "Atendimento_Individual.esus.xml").read_bytes())
    dado.ficha = dict(reversed(list(dado.ficha.items())))
    raiz = etree.fromstring(ledi.para_xml(dado))
    ficha = raiz[6]
    assert [etree.QName(child).localname for child in ficha][:2] == ["headerTransport", "atendimentosIndividuais"]
    ledi.validar_xml(raiz)


def test_fai_child_cns_is_cnsCidadao_in_xml():
    dado = ledi.de_xml((EXAMPLES / "Atendimento_Individual.esus.xml").read_bytes())
    child = dado.ficha["atendimentosIndividuais"][0]
    assert "cns" in child or "cpfCidadao" in child
    xml = ledi.para_xml(dado).decode()
    if "cns" in child:
        assert f"<cnsCidadao>{child['cns']}</cnsCidadao>" in xml


def test_garbage_and_hostile_inputs_are_refused_clearly():
    with pytest.raises(ledi.LediErro, match="ilegível"):
        ledi.de_esus(b"\x00\x01 not thrift")
    with pytest.raises(ledi.LediErro, match="malformado"):
        ledi.de_xml(b"<a><b></a>")
    xxe = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    with pytest.raises(ledi.LediErro):
        ledi.de_xml(xxe)


def test_truncated_esus_is_refused():
    dado = ledi.de_xml((EXAMPLES / "Procedimentos.esus.xml").read_bytes())
    conteudo = ledi.para_esus(dado)
    with pytest.raises(ledi.LediErro):
        ledi.de_esus(conteudo[: len(conteudo) // 2])


def test_unknown_field_in_a_mapping_is_a_programming_error():
    dado = ledi.de_xml((EXAMPLES / "Procedimentos.esus.xml").read_bytes())
    dado.ficha["campoInventado"] = 1
    with pytest.raises(KeyError, match="campoInventado"):
        ledi.para_esus(dado)


def test_text_is_escaped_and_reads_back_unchanged():
    dado = ledi.de_xml((EXAMPLES / "Procedimentos.esus.xml").read_bytes())
    dado.remetente["nomeOuRazaoSocial"] = "A & B <SAUDE> \r\n LTDA"
    conteudo = ledi.validado_para_xml(dado)
    assert b"A &amp; B &lt;SAUDE&gt; &#13;" in conteudo
    assert ledi.de_xml(conteudo).remetente["nomeOuRazaoSocial"] == "A & B <SAUDE> \r\n LTDA"


def test_value_that_cannot_be_xml_is_a_value_error_not_a_silent_file():
    dado = ledi.de_xml((EXAMPLES / "Procedimentos.esus.xml").read_bytes())
    dado.remetente["nomeOuRazaoSocial"] = "SMS\x00"
    with pytest.raises(ValueError, match="XML"):
        ledi.validado_para_xml(dado)


def test_ficha_of_another_type_than_declared_is_refused():
    """The envelope's wildcard is lax: a ficha element the declared type's schema does not
    know would pass unchecked, so it is refused by name."""
    conteudo = (EXAMPLES / "Procedimentos.esus.xml").read_bytes()
    outro = conteudo.replace(b"<tipoDadoSerializado>7<", b"<tipoDadoSerializado>14<")
    assert outro != conteudo
    with pytest.raises(ledi.LediErro, match="não corresponde"):
        ledi.de_xml(outro)
    with pytest.raises(ledi.LediErro, match="desconhecido"):
        ledi.de_xml(conteudo.replace(b"<tipoDadoSerializado>7<", b"<tipoDadoSerializado>99<"))


def test_ficha_is_checked_against_its_own_type_schema():
    dado = ledi.de_xml((EXAMPLES / "Procedimentos.esus.xml").read_bytes())
    dado.ficha["atendProcedimentos"][0]["turno"] = "manhã"  # xs:long
    with pytest.raises(ledi.LediErro, match="turno"):
        ledi.validado_para_xml(dado)


def _envelope_com(ficha: bytes) -> bytes:
    """A well-formed envelope around arbitrary ficha bytes."""
    dado = ledi.de_xml((EXAMPLES / "Procedimentos.esus.xml").read_bytes())
    envelope = deserialize(ledi._envelope_cls()(), ledi.para_esus(dado), TBinaryProtocolFactory())
    envelope.dadoSerializado = ficha
    return serialize(envelope, TBinaryProtocolFactory())


# Field 1 of the envelope (a string) declaring 2 GiB - 1 bytes, then 3 bytes: 10 bytes in all.
STRING_DE_2_GIB = b"\x0b\x00\x01" + struct.pack("!i", 2**31 - 1) + b"abc"


@pytest.mark.parametrize(
    "conteudo", [STRING_DE_2_GIB, _envelope_com(STRING_DE_2_GIB)], ids=["envelope", "ficha inside a valid envelope"]
)
def test_esus_declaring_a_string_longer_than_the_file_is_refused_before_reading_it(conteudo):
    """The Thrift library allocated the declared length (4 GB for these 10 bytes)."""
    with pytest.raises(ledi.LediErro, match="declara 2147483647 bytes na posição 7, mas restam 3"):
        ledi.de_esus(conteudo)


def test_esus_declaring_a_list_longer_than_the_file_is_refused():
    tres_milhoes = b"\x0f\x00\x63\x0c" + struct.pack("!i", 3_000_000) + b"\x00" * 170
    with pytest.raises(ledi.LediErro, match="lista de 3000000 itens que não cabe nos 170 bytes"):
        ledi.de_esus(tres_milhoes)
    with pytest.raises(ledi.LediErro, match="lista de -1 itens"):
        ledi.de_esus(b"\x0f\x00\x63\x08" + struct.pack("!i", -1))


def test_esus_with_more_values_than_any_ficha_or_nested_too_deep_is_refused():
    """Each value fits in the file, but a 300 kB list of one-byte structs would still become
    300,000 Python objects; and a deep nest would exhaust the stack."""
    muitos = b"\x0f\x00\x63\x0c" + struct.pack("!i", 300_000) + b"\x00" * 300_000 + b"\x00"
    with pytest.raises(ledi.LediErro, match="mais de 200000 valores"):
        ledi.de_esus(muitos)
    fundo = b"\x0c\x00\x63" * 1000 + b"\x00" * 1001
    with pytest.raises(ledi.LediErro, match="aninhadas demais"):
        ledi.de_esus(fundo)


@pytest.mark.parametrize("texto,valor", [("1", True), ("true", True), ("0", False), ("false", False)])
def test_every_xs_boolean_lexical_form_is_read(texto, valor):
    conteudo = (EXAMPLES / "Atendimento_Individual.esus.xml").read_bytes()
    assert b"<isAvaliado>1</isAvaliado>" in conteudo
    dado = ledi.de_xml(conteudo.replace(b"<isAvaliado>1</isAvaliado>", f"<isAvaliado>{texto}</isAvaliado>".encode()))
    assert dado.ficha["atendimentosIndividuais"][0]["problemasCondicoes"][0]["isAvaliado"] is valor
