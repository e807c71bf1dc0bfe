"""The LEDI rules of the typed CDS fichas (sisab.regras: dicionario-fvd, dicionario-fac) on
the dict that is sent, each message keyed by the field the typing form shows it on."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from sisab import regras
from tests import mundo as fabricas

AGORA_MS = 1_900_000_000_000
DIA = 1_700_000_000_000
CABECALHO = {
    "profissionalCNS": "",
    "cboCodigo_2002": "515105",
    "cnes": "1234567",
    "dataAtendimento": DIA,
    "codigoIbgeMunicipio": "3106200",
}


def _visita(**campos: Any) -> dict[str, Any]:
    return {"turno": 1, "microArea": "01", "stForaArea": False, "tipoDeImovel": 1, "desfecho": 1, **campos}


def _erros_visita(*visitas: dict[str, Any]) -> dict[str, list[str]]:
    dados = {"headerTransport": CABECALHO, "visitasDomiciliares": list(visitas)}
    erros: dict[str, list[str]] = {}
    for campo, mensagem in regras.visita_erros(dados, AGORA_MS):
        erros.setdefault(campo, []).append(mensagem)
    return erros


def test_a_plain_visit_passes_and_each_rule_names_its_row_and_field():
    assert _erros_visita(_visita()) == {}
    erros = _erros_visita(_visita(), _visita(turno=None, glicemia=90, stForaArea=True))
    assert erros == {
        "linhas.1.turno": ["Informe o turno da visita."],
        "linhas.1.microArea": ["Um imóvel fora de área não tem microárea."],
        "linhas.1.tipoGlicemia": ["Informe a glicemia e o momento da coleta juntos."],
    }


def test_an_imovel_without_people_carries_no_citizen_and_only_its_motivos():
    erros = _erros_visita(_visita(tipoDeImovel=3, sexo=1, motivosVisita=[1, 11], numProntuario="9"))
    assert erros["linhas.0.sexo"] == ["Um imóvel do tipo Terreno baldio não leva sexo."]
    assert erros["linhas.0.numProntuario"] == ["Um imóvel do tipo Terreno baldio não leva número do prontuário."]
    assert erros["linhas.0.motivosVisita"] == ["Um imóvel do tipo Terreno baldio não aceita o(s) motivo(s) 11."]
    assert _erros_visita(_visita(tipoDeImovel=3, motivosVisita=[35, 37])) == {}


def test_a_followed_citizen_needs_birth_date_and_sex_and_a_man_is_never_pregnant():
    erros = _erros_visita(_visita(motivosVisita=[11]))
    assert erros == {
        "linhas.0.dtNascimento": ["Informe a data de nascimento do cidadão visitado."],
        "linhas.0.sexo": ["Informe o sexo do cidadão visitado."],
    }
    erros = _erros_visita(_visita(motivosVisita=[5], sexo=0, dtNascimento=DIA - 10**12))
    assert erros == {"linhas.0.motivosVisita": ["Gestante e puérpera não se aplicam ao sexo masculino."]}


def test_measurements_have_ranges_decimals_and_pairs():
    erros = _erros_visita(
        _visita(
            sexo=1,
            dtNascimento=DIA - 10**12,
            pesoAcompanhamentoNutricional=70.1234,
            alturaAcompanhamentoNutricional=300.0,
            pressaoSistolica=120,
            temperatura=36.55,
        )
    )
    assert erros["linhas.0.pesoAcompanhamentoNutricional"] == ["O peso aceita no máximo 3 casa(s) decimal(is)."]
    assert erros["linhas.0.alturaAcompanhamentoNutricional"] == ["A altura deve estar entre 20 e 250 cm."]
    assert erros["linhas.0.pressaoSistolica"] == ["Informe as pressões sistólica e diastólica juntas."]
    assert erros["linhas.0.temperatura"] == ["A temperatura aceita no máximo 1 casa(s) decimal(is)."]


def test_a_refused_or_absent_visit_has_no_motivos_nor_measurements():
    erros = _erros_visita(_visita(desfecho=2, motivosVisita=[29], temperatura=36.5))
    assert erros["linhas.0.motivosVisita"] == ["Visita recusada ou ausente não tem motivos."]
    assert erros["linhas.0.temperatura"] == ["Visita recusada ou ausente não leva temperatura."]


ATIVIDADE: dict[str, Any] = {
    "headerTransport": CABECALHO,
    "turno": 1,
    "atividadeTipo": 4,
    "numParticipantes": 20,
    "pseEducacao": False,
    "pseSaude": False,
    "outraLocalidade": "Praça",
    "publicoAlvo": [1],
    "temasParaSaude": [1],
}


def _erros_atividade(**campos: Any) -> dict[str, list[str]]:
    dados = {**copy.deepcopy(ATIVIDADE), **campos}
    erros: dict[str, list[str]] = {}
    for campo, mensagem in regras.atividade_erros(dados, AGORA_MS):
        erros.setdefault(campo, []).append(mensagem)
    return erros


def test_a_health_education_activity_passes_and_its_local_is_one_of_three():
    assert _erros_atividade() == {}
    assert _erros_atividade(inep=12345678) == {
        "inep": ["Informe só um local: o INEP da escola, o CNES ou outra localidade."]
    }


def test_pse_needs_the_school_and_pse_education_alone_forbids_health_practices():
    erros = _erros_atividade(pseEducacao=True, atividadeTipo=5, temasParaSaude=[18], profissionais=[{}])
    assert erros["inep"] == ["Atividade do PSE precisa do INEP da escola."]
    assert erros["outraLocalidade"] == ["Atividade do PSE é na escola: informe o INEP, não outro local."]
    assert erros["atividadeTipo"] == ["Só com PSE educação, a atividade não pode ser reunião nem atendimento em grupo."]
    assert erros["profissionais"] == ["Só com PSE educação, a ficha não lista profissionais de saúde."]
    assert erros["participantes"]  # an atendimento em grupo lists its participants


def test_participants_count_and_the_altered_evaluations_match():
    cns = fabricas.cns_provisorio()
    participante = {"cnsParticipante": cns, "dataNascimento": DIA - 10**12, "sexo": 1, "avaliacaoAlterada": True}
    erros = _erros_atividade(
        atividadeTipo=5, numParticipantes=1, participantes=[participante, participante], numAvaliacoesAlteradas=1
    )
    assert erros["numParticipantes"] == ["O número de participantes (1) é menor que os 2 listados."]
    assert erros["numAvaliacoesAlteradas"] == ["O número de avaliações alteradas não confere com os participantes."]


@pytest.mark.parametrize(
    "campos,campo,mensagem",
    [
        (
            {"atividadeTipo": 2, "publicoAlvo": []},
            "temasParaReuniao",
            "Reuniões precisam de pelo menos um tema para reunião.",
        ),
        (
            {"atividadeTipo": 2, "publicoAlvo": [], "temasParaReuniao": [2]},
            "temasParaSaude",
            "Em reuniões, temas para saúde só com o tema Educação permanente.",
        ),
        (
            {"procedimento": "0101010010"},
            "procedimento",
            'O procedimento só é informado com a prática "Outro procedimento coletivo".',
        ),
        (
            {"atividadeTipo": 6, "temasParaSaude": [], "praticasEmSaude": [30], "procedimento": "0301010072"},
            "procedimento",
            "O procedimento 0301010072 não é um procedimento coletivo da tabela LEDI.",
        ),
        ({"temasParaSaude": [18]}, "pseEducacao", "Semana saúde na escola é do PSE: marque PSE educação ou PSE saúde."),
        ({"publicoAlvo": [11]}, "publicoAlvo", "Público-alvo: código(s) 11 não existe(m) na tabela LEDI."),
    ],
)
def test_the_activity_themes_follow_its_type(campos, campo, mensagem):
    assert mensagem in _erros_atividade(**campos).get(campo, []), _erros_atividade(**campos)
