"""The Ficha de Atividade Coletiva (LEDI tipo 6) typed through its page: the activity and
its participants saved, exported as XML valid against the official XSD and as .esus that a
fresh load of the official IDL reads back; the activity's own LEDI rules refused next to
their fields with nothing written; corrected from its saved values."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from cds.models import FichaCds, FichaCdsLinha
from pec.models import Profissional
from pec.tenancy import tenant_context
from sisab import envio, ledi
from sisab.models import FichaSisab
from tests import mundo as fabricas
from tests.cds import mundo_fichas
from tests.sisab import mundo_envio

pytestmark = pytest.mark.django_db


@pytest.fixture
def m() -> mundo_fichas.MundoFichas:
    return mundo_fichas.mundo()


def _cns(lot) -> str:
    with tenant_context(lot.municipio_id):
        return Profissional.objects.get(id=lot.profissional_id).cns


def _atividade(m: mundo_fichas.MundoFichas, **campos: object) -> dict[str, object]:
    return {
        "atividade_tipo": "5",
        "num_participantes": "12",
        "outra_localidade": "Salão da igreja",
        "publico_alvo": ["1", "12"],
        "temas_saude": ["1", "4"],
        "profissionais": f"{_cns(m.bob)} 225142",
        **campos,
    }


def _participantes(m: mundo_fichas.MundoFichas, cns: str) -> list[dict[str, str]]:
    return [
        {"documento": m.maria.cpf, "nascimento": "1990-05-10", "sexo": "1", "avaliacao_alterada": "on", "peso": "70.2"},
        {"documento": cns, "nascimento": "1948-02-01", "sexo": "0", "altura": "171.5"},
    ]


def _digitar(m: mundo_fichas.MundoFichas, participantes: list[dict[str, str]], **atividade: object):
    cabecalho = {"data_atendimento": timezone.localdate().isoformat(), "turno": "2"}
    dados = mundo_fichas.post(cabecalho, participantes, **atividade)
    return fabricas.entrar(m.nina).post("/cds/fichas/nova/6/", dados)


def test_a_group_activity_typed_on_its_page_exports_as_valid_xml_and_esus(m):
    cns = fabricas.cns_provisorio()
    resposta = _digitar(m, _participantes(m, cns), **_atividade(m))
    assert resposta.status_code == 302, resposta.content.decode()[:3000]
    with tenant_context(m.municipio.id):
        ficha = FichaCds.objects.get()
        linhas = list(ficha.linhas.all())
    assert ficha.tipo == 6 and ficha.turno == 2 and ficha.lotacao_id == m.nina.id
    assert ficha.dados["atividadeTipo"] == 5 and ficha.dados["publicoAlvo"] == [1, 12]
    assert ficha.dados["profissionais"] == [{"cnsProfissional": _cns(m.bob), "codigoCbo2002": "225142"}]
    assert [linha.cidadao_id for linha in linhas] == [m.maria.id, None]
    assert linhas[1].dados["cnsParticipante"] == cns and linhas[1].dados["altura"] == 171.5

    envio.fichas_gerar(municipio_id=m.municipio.id)
    with tenant_context(m.municipio.id):
        exportada = FichaSisab.objects.get(tipo=6)
    assert exportada.status == FichaSisab.Status.VALIDA, exportada.erros
    assert exportada.origem == "cds_atividade" and exportada.origem_id == ficha.id
    d = exportada.dados
    assert d["tbCdsOrigem"] == 3 and d["turno"] == 2 and d["numParticipantes"] == 12
    assert d["numAvaliacoesAlteradas"] == 1 and d["pseEducacao"] is False and d["pseSaude"] is False
    assert d["outraLocalidade"] == "Salão da igreja" and d["participantes"] == [linha.dados for linha in linhas]

    lido = ledi.de_xml(mundo_envio.exportado(m.municipio, exportada, "xml"))  # validated against the XSD
    assert lido.tipo == 6 and lido.ficha == d
    esus = mundo_envio.exportado(m.municipio, exportada, "esus")
    assert ledi.de_esus(esus).ficha == d
    oficial = mundo_envio.decodificado_pela_idl_oficial(esus, 6)
    assert oficial.uuidFicha == d["uuidFicha"] and oficial.atividadeTipo == 5 and oficial.tbCdsOrigem == 3
    assert oficial.temasParaSaude == [1, 4] and oficial.publicoAlvo == [1, 12]
    assert [(p.cpfParticipante, p.cnsParticipante) for p in oficial.participantes] == [(m.maria.cpf, None), (None, cns)]
    assert oficial.participantes[0].avaliacaoAlterada is True and oficial.participantes[0].peso == 70.2
    assert [(p.cnsProfissional, p.codigoCbo2002) for p in oficial.profissionais] == [(_cns(m.bob), "225142")]
    assert oficial.headerTransport.cboCodigo_2002 == "223565"


def test_a_team_meeting_has_themes_and_no_participants(m):
    resposta = _digitar(
        m,
        [],
        atividade_tipo="1",
        num_participantes="6",
        temas_reuniao=["2", "6"],
        temas_saude=["16"],
        cnes_local=m.nina.estabelecimento.cnes,
    )
    assert resposta.status_code == 302, resposta.content.decode()[:3000]
    envio.fichas_gerar(municipio_id=m.municipio.id)
    with tenant_context(m.municipio.id):
        exportada = FichaSisab.objects.get(tipo=6)
    assert exportada.status == FichaSisab.Status.VALIDA, exportada.erros
    assert "participantes" not in exportada.dados and "publicoAlvo" not in exportada.dados
    assert ledi.de_xml(mundo_envio.exportado(m.municipio, exportada, "xml")).ficha == exportada.dados
    oficial = mundo_envio.decodificado_pela_idl_oficial(mundo_envio.exportado(m.municipio, exportada, "esus"), 6)
    assert oficial.temasParaReuniao == [2, 6] and oficial.cnesLocalAtividade == m.nina.estabelecimento.cnes


@pytest.mark.parametrize(
    "atividade,participante,mensagem",
    [
        ({"atividade_tipo": "1"}, {}, "Temas para reunião: Reuniões precisam de pelo menos um tema para reunião."),
        ({"publico_alvo": []}, {}, "Público-alvo: Informe o público-alvo da atividade."),
        (
            {"num_participantes": "1"},
            {},
            "Nº de participantes: O número de participantes (1) é menor que os 2 listados.",
        ),
        ({"pse_saude": "on"}, {}, "INEP da escola: Atividade do PSE precisa do INEP da escola."),
        (
            {"praticas": ["2"]},
            {},
            "Práticas em saúde: Flúor e escovação supervisionada só em avaliação/procedimento coletivo.",
        ),
        (
            {"atividade_tipo": "4", "praticas": ["20"]},
            {},
            "Práticas em saúde: Práticas em saúde só se aplicam a atendimento em grupo e avaliação/procedimento coletivo.",
        ),
        (
            {},
            {"cessou_fumar": "1"},
            "Linha 1, Cessou o hábito de fumar: &quot;Cessou o hábito de fumar&quot; só é informado nas sessões do Programa Nacional de Controle do Tabagismo.",
        ),
        ({}, {"documento": ""}, "Linha 1, CPF ou CNS: O cidadão não tem CPF nem CNS: informe um dos dois na linha."),
        ({}, {"sexo": ""}, "Linha 1, Sexo: Informe o sexo do participante."),
        (
            {"profissionais": "123 225142"},
            {},
            "Profissionais participantes: O CNS do profissional participante (123) é inválido.",
        ),
    ],
)
def test_bad_activity_input_is_refused_next_to_its_field_and_nothing_is_written(m, atividade, participante, mensagem):
    participantes = _participantes(m, fabricas.cns_provisorio())
    participantes[0] = {**participantes[0], **participante}
    resposta = _digitar(m, participantes, **_atividade(m, **atividade))
    assert resposta.status_code == 200
    pagina = resposta.content.decode()
    assert "A ficha não foi salva" in pagina and mensagem in pagina
    with tenant_context(m.municipio.id):
        assert not FichaCds.objects.exists() and not FichaCdsLinha.objects.exists()


def test_the_correction_form_starts_from_the_saved_activity(m):
    _digitar(m, _participantes(m, fabricas.cns_provisorio()), **_atividade(m))
    with tenant_context(m.municipio.id):
        ficha = FichaCds.objects.get()
    pagina = fabricas.entrar(m.nina).get(f"/cds/fichas/{ficha.id}/corrigir/").content.decode()
    assert 'value="Salão da igreja"' in pagina and f"{_cns(m.bob)} 225142" in pagina
    marcados = re.findall(r'name="publico_alvo" value="(\d+)"[^>]*checked', pagina)
    assert marcados == ["1", "12"]
    assert f'value="{m.maria.cpf}"' in pagina and 'name="linhas-2-sexo"' not in pagina
    # Ana (ACS) may type an activity too, and correct one of her UBS.
    assert fabricas.entrar(m.ana).get(f"/cds/fichas/{ficha.id}/corrigir/").status_code == 200
