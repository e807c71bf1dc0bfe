"""Real clinical records → RNDS documents: an atendimento finalised and doses registered
through the prontuario services are mapped (rnds.mapeamento), built into RAC / RIA-R
Bundles, pass the profile checker and have the shape of the official examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.http import QueryDict
from django.utils import timezone

from pec.identity.acesso import permissoes_da_lotacao
from pec.models import Profissional
from pec.tenancy import tenant_context
from prontuario.clinico import services as clinico
from prontuario.models import Cidadao, EntradaLista
from prontuario.vacinacao import services as vacinacao
from rnds.bundles import SD, bundle_rac, bundle_ria
from rnds.mapeamento import atendimento_para_registro, vacinacao_para_registro
from rnds.perfis import verificar_bundle
from rnds.registros import CONSULTA_MEDICA, CONSULTA_NIVEL_SUPERIOR, Problema, Procedimento
from rnds.verificacao import rnds_verificar
from sisab.fichas import atendimento_individual
from tests.atores import ator_de
from tests.mundo import cns_provisorio, cpf
from tests.prontuario.clinica import clinica, formulario_atendimento
from tests.rnds.conftest import CNS_PROFISSIONAL, SOLICITANTE

pytestmark = pytest.mark.django_db

EXEMPLOS = Path(__file__).resolve().parents[3] / "shared" / "reference" / "rnds" / "examples"
precisa_exemplos = pytest.mark.skipif(not EXEMPLOS.exists(), reason="shared reference examples not present")


def _qd(dados):
    consulta = QueryDict(mutable=True)
    for chave, valor in dados.items():
        consulta.setlist(chave, valor if isinstance(valor, list) else [valor])
    return consulta


def documentada():
    """The clinic of the prontuario tests, with the identifiers the RNDS needs: the
    professionals' CNS (from the CNES import) and Maria's CPF."""
    mundo = clinica()
    with tenant_context(mundo.a.id):
        Profissional.objects.filter(pk=mundo.bob.profissional_id).update(cns=CNS_PROFISSIONAL)
        for lot in (mundo.nina, mundo.olga, mundo.tecnico):
            Profissional.objects.filter(pk=lot.profissional_id).update(cns=cns_provisorio())
        Cidadao.objects.filter(pk=mundo.maria.pk).update(cpf=cpf())
        for lot in (mundo.bob, mundo.nina, mundo.olga, mundo.tecnico):
            lot.profissional.refresh_from_db()
        mundo.maria.refresh_from_db()
    return mundo


def finalizar(mundo, lotacao, **extra):
    with tenant_context(mundo.a.id):
        atendimento = clinico.atendimento_iniciar(cidadao=mundo.maria, lotacao=lotacao)
        return clinico.atendimento_finalizar(
            atendimento=atendimento, lotacao=lotacao, versao=1, dados=_qd(formulario_atendimento(**extra))
        )


def dose(**extra):
    dados = {
        "registro_anterior": False,
        "data_aplicacao": timezone.localdate(),
        "imunobiologico": "15",
        "estrategia": "1",
        "dose": "9",
        "lote": "BCG2026",
        "fabricante": "149",
        "via": "10890",
        "local_aplicacao": "1",
        "grupo_atendimento": "000210",
        "condicao_maternal": "1",
        "comunicante_hanseniase": True,
        "cid10_motivo_indicacao": "",
    }
    dados.update(extra)
    return dados


def _oficial(nome):
    return json.loads((EXEMPLOS / nome).read_text())


def _recursos(bundle):
    return {e["resource"]["resourceType"]: e["resource"] for e in reversed(bundle["entry"])}


def test_atendimento_finalizado_vira_um_rac_valido():
    mundo = documentada()
    atendimento = finalizar(
        mundo,
        mundo.bob,
        **{
            "problemas-1-ciap": "K86",
            "problemas-1-cid10": "I10",
            "problemas-1-situacao": "0",
            "exames-0-sigtap": "0202010295",
            "exames-0-justificativa": "Hipertensão",
        },
    )
    with tenant_context(mundo.a.id):
        registro = atendimento_para_registro(atendimento)
    assert registro.quem.identificador == str(atendimento.uuid)
    assert registro.quem.cidadao_cpf == mundo.maria.cpf
    assert (registro.quem.profissional_cns, registro.quem.profissional_cbo) == (CNS_PROFISSIONAL, "225142")
    assert registro.quem.cnes == mundo.centro.cnes
    # In the order assessed; CID-10 without the dot (the form stores R509, the RNDS wants R509).
    assert registro.problemas == (
        Problema("CIAP2", "A03"),
        Problema("CID10", "R509"),
        Problema("CIAP2", "K86"),
        Problema("CID10", "I10"),
    )
    # The requested exam is a request, not a procedure performed: only the consultation goes.
    assert registro.procedimentos == (Procedimento(CONSULTA_MEDICA),)
    assert registro.fim == atendimento.finalizado_em
    assert rnds_verificar(registro) == []

    bundle = bundle_rac(registro, solicitante=SOLICITANTE)
    assert verificar_bundle(bundle) == []
    tipos = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert tipos == ["Composition", "Encounter", *["Condition"] * 4, "Procedure", "Location"]
    codigos = [
        e["resource"]["code"]["coding"][0] for e in bundle["entry"] if e["resource"]["resourceType"] == "Condition"
    ]
    assert [(c["system"].rsplit("/", 1)[1], c["code"]) for c in codigos] == [
        ("BRCIAP2", "A03"),
        ("BRCID10", "R509"),
        ("BRCIAP2", "K86"),
        ("BRCID10", "I10"),
    ]
    contato = _recursos(bundle)["Encounter"]
    assert contato["participant"][0]["individual"]["identifier"]["value"] == f"{CNS_PROFISSIONAL}-{mundo.centro.cnes}"
    assert contato["period"]["start"] == contato["period"]["end"]  # ERR793, Atenção Básica


def _codigos_do_contato(encontro):
    return tuple(
        parte["coding"][0]["code"]
        for parte in (
            encontro["priority"],
            encontro["hospitalization"]["admitSource"],
            encontro["hospitalization"]["dischargeDisposition"],
        )
    )


@pytest.mark.parametrize(
    "tipo_entrada, tipo_atendimento, condutas, esperado",
    [
        # BRCaraterAtendimento, BRProcedencia, BRMotivoDesfecho
        (EntradaLista.Tipo.AGENDADA, "2", ["1"], ("03", "99", "08")),  # consulta agendada, retorno
        (EntradaLista.Tipo.ESPONTANEA, "5", ["9"], ("05", "09", "01")),  # consulta no dia, alta do episódio
        (
            EntradaLista.Tipo.AGENDADA,
            "1",
            ["2", "4"],
            ("04", "11", "03"),
        ),  # cuidado continuado, retorno + encaminhamento
        (EntradaLista.Tipo.ESPONTANEA, "6", ["7"], ("06", "09", "03")),  # urgência, encaminhada à urgência
    ],
)
def test_carater_procedencia_e_desfecho_do_rac_vem_do_registro(tipo_entrada, tipo_atendimento, condutas, esperado):
    """A scheduled consultation with conduta "retorno" is not "demanda espontânea ... alta
    clínica" at the RNDS, and the SISAB gets the same tipoAtendimento and condutas."""
    mundo = documentada()
    with tenant_context(mundo.a.id):
        entrada = EntradaLista.objects.create(
            municipio_id=mundo.a.id,
            estabelecimento=mundo.centro,
            cidadao=mundo.maria,
            tipo=tipo_entrada,
            chegada_em=timezone.now(),
            criado_por=mundo.bob,
        )
        atendimento = clinico.atendimento_iniciar(cidadao=mundo.maria, lotacao=mundo.bob, entrada=entrada)
        # The page opens with the type the queue entry implies (scheduled → 2, spontaneous → 5).
        assert atendimento.tipo_atendimento == (2 if tipo_entrada == EntradaLista.Tipo.AGENDADA else 5)
        atendimento = clinico.atendimento_finalizar(
            atendimento=atendimento,
            lotacao=mundo.bob,
            versao=1,
            dados=_qd(formulario_atendimento(tipo_atendimento=tipo_atendimento, condutas=condutas)),
        )
        bundle = bundle_rac(atendimento_para_registro(atendimento), solicitante=SOLICITANTE)
        ficha = atendimento_individual(atendimento).dados["atendimentosIndividuais"][0]
    assert _codigos_do_contato(_recursos(bundle)["Encounter"]) == esperado
    assert verificar_bundle(bundle) == []
    assert ficha["tipoAtendimento"] == int(tipo_atendimento)
    assert ficha["condutas"] == [int(c) for c in condutas]


@precisa_exemplos
def test_rac_de_atendimento_real_tem_a_forma_do_exemplo_oficial():
    mundo = documentada()
    atendimento = finalizar(mundo, mundo.nina)
    with tenant_context(mundo.a.id):
        registro = atendimento_para_registro(atendimento)
    assert registro.procedimentos == (Procedimento(CONSULTA_NIVEL_SUPERIOR),)  # enfermeira
    nosso = _recursos(bundle_rac(registro, solicitante=SOLICITANTE))
    deles = _recursos(_oficial("rac/input-Example-Bundle-RAC-Completo.json"))
    for tipo in ("Composition", "Encounter", "Condition", "Procedure", "Location"):
        assert set(nosso[tipo]) <= set(deles[tipo]), (tipo, set(nosso[tipo]) - set(deles[tipo]))
        assert nosso[tipo]["meta"]["profile"] == deles[tipo]["meta"]["profile"], tipo
    for caminho in (("subject", "identifier", "system"), ("author",)):
        a, b = nosso["Composition"], deles["Composition"]
        for passo in caminho:
            a, b = a[passo], b[passo]
        if caminho == ("author",):
            assert [x["identifier"]["system"] for x in a] == [x["identifier"]["system"] for x in b]
        else:
            assert a == b
    # The example is a hospital one (04); ours is 01 Atenção Básica, same code system.
    assert nosso["Composition"]["category"][0]["coding"][0] == {
        "system": deles["Composition"]["category"][0]["coding"][0]["system"],
        "code": "01",
    }


@precisa_exemplos
def test_bcg_aplicada_vira_um_ria_r_valido_com_o_contato_de_hanseniase():
    mundo = documentada()
    with tenant_context(mundo.a.id):
        registrada = vacinacao.vacinacao_registrar(cidadao=mundo.maria, lotacao=mundo.nina, dados=dose())
        registro = vacinacao_para_registro(registrada)
    assert registro.contato_hanseniase is True and registro.indicacao_cid10 == ""
    assert registro.aplicada_em.date() == timezone.localdate()
    assert rnds_verificar(registro) == []
    bundle = bundle_ria(registro, solicitante=SOLICITANTE)
    assert verificar_bundle(bundle) == []
    imunizacao = _recursos(bundle)["Immunization"]
    assert {"url": SD + "BRContatoHanseniase", "valueBoolean": True} in imunizacao["extension"]
    assert imunizacao["vaccineCode"]["coding"][0]["code"] == "15" and imunizacao["lotNumber"] == "BCG2026"
    assert imunizacao["primarySource"] is True and "reportOrigin" not in imunizacao
    deles = _recursos(_oficial("ria/Bundle-example-RIA-R.json"))
    for tipo in ("Composition", "Immunization"):
        assert set(_recursos(bundle)[tipo]) <= set(deles[tipo]), tipo
    assert [e["url"] for e in imunizacao["extension"]] == [e["url"] for e in deles["Immunization"]["extension"]]


def test_estrategia_especial_leva_o_cid10_da_indicacao():
    mundo = documentada()
    with tenant_context(mundo.a.id):
        registrada = vacinacao.vacinacao_registrar(
            cidadao=mundo.maria,
            lotacao=mundo.nina,
            dados=dose(
                imunobiologico="115",
                estrategia="2",
                local_aplicacao="3",
                cid10_motivo_indicacao="P073",
                comunicante_hanseniase=True,
            ),
        )
        registro = vacinacao_para_registro(registrada)
    # Only BCG carries the leprosy-contact flag: a value left over in the form is dropped.
    assert registrada.comunicante_hanseniase is None and registro.contato_hanseniase is None
    assert registro.indicacao_cid10 == "P073"
    bundle = bundle_ria(registro, solicitante=SOLICITANTE)
    assert verificar_bundle(bundle) == []
    recursos = _recursos(bundle)
    assert recursos["Condition"]["code"]["coding"][0]["code"] == "P073"
    assert recursos["Immunization"]["reasonReference"][0]["reference"] in [e["fullUrl"] for e in bundle["entry"]]
    assert all("BRContatoHanseniase" not in e["url"] for e in recursos["Immunization"]["extension"])


def test_transcricao_de_caderneta_sai_como_registro_de_origem_01():
    mundo = documentada()
    antiga = dose(
        registro_anterior=True,
        data_aplicacao=timezone.localdate().replace(year=2015),
        lote="",
        via="",
        local_aplicacao="",
        comunicante_hanseniase=False,
    )
    with tenant_context(mundo.a.id):
        registro = vacinacao_para_registro(
            vacinacao.vacinacao_registrar(cidadao=mundo.maria, lotacao=mundo.nina, dados=antiga)
        )
    imunizacao = _recursos(bundle_ria(registro, solicitante=SOLICITANTE))["Immunization"]
    assert imunizacao["primarySource"] is False
    assert imunizacao["reportOrigin"]["coding"][0]["code"] == "01"
    assert imunizacao["occurrenceDateTime"].startswith(antiga["data_aplicacao"].isoformat() + "T12:00:00")


def test_dose_corrigida_mantem_o_identificador_da_primeira_versao():
    mundo = documentada()
    ator = ator_de(mundo.nina)
    with tenant_context(mundo.a.id):
        primeira = vacinacao.vacinacao_registrar(cidadao=mundo.maria, lotacao=mundo.nina, dados=dose())
        segunda = vacinacao.vacinacao_corrigir(
            vacinacao=primeira,
            lotacao=mundo.nina,
            dados=dose(lote="BCG2027"),
            permissoes=permissoes_da_lotacao(lotacao=mundo.nina),
            ator=ator,
        )
        terceira = vacinacao.vacinacao_corrigir(
            vacinacao=segunda,
            lotacao=mundo.nina,
            dados=dose(lote="BCG2028"),
            permissoes=permissoes_da_lotacao(lotacao=mundo.nina),
            ator=ator,
        )
        registro = vacinacao_para_registro(terceira)
    assert registro.quem.identificador == str(primeira.uuid)  # ERR872: same identifier as the replaced one
    assert registro.lote == "BCG2028"
