"""The Ficha de Marcadores de Consumo Alimentar (LEDI tipo 12) and the Ficha Complementar
Síndrome Neurológica por Zika/Microcefalia (tipo 13) typed through their pages: one
citizen each, saved linked to them, exported as XML valid against the official XSD and as
.esus that a fresh load of the official IDL reads back; the question set that does not
fit the child's age, and the other bad input, refused next to its field with nothing
written; offered only to the CBOs LEDI allows; the official examples pass our rules."""

from __future__ import annotations

import datetime
import html
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from cds.models import FichaCds, FichaCdsLinha
from pec.models import EventoAuditoria
from pec.tenancy import tenant_context
from sisab import envio, ledi, regras
from sisab.fichas import epoch_ms
from sisab.models import FichaSisab
from tests import mundo as fabricas
from tests.cds import mundo_fichas
from tests.sisab import mundo_envio

pytestmark = pytest.mark.django_db

EXEMPLOS = Path(__file__).resolve().parents[3] / "shared" / "reference" / "ledi" / "examples"


@pytest.fixture
def m() -> mundo_fichas.MundoFichas:
    return mundo_fichas.mundo()


def _hoje() -> datetime.date:
    return timezone.localdate()


def _crianca(m: mundo_fichas.MundoFichas, nascimento: datetime.date):
    return fabricas.cidadao(
        m.nina, nome="Pedro Henrique da Silva", data_nascimento=nascimento, sexo=0, cpf=fabricas.cpf()
    )


def _digitar(cliente, tipo: int, cabecalho: dict[str, str], linha: dict[str, Any]):
    return cliente.post(f"/cds/fichas/nova/{tipo}/", mundo_fichas.post(cabecalho, [linha]))


def _exportada(m: mundo_fichas.MundoFichas, tipo: int) -> FichaSisab:
    envio.fichas_gerar(municipio_id=m.municipio.id)
    with tenant_context(m.municipio.id):
        return FichaSisab.objects.get(tipo=tipo)


def _nada_gravado(m: mundo_fichas.MundoFichas) -> None:
    with tenant_context(m.municipio.id):
        assert not FichaCds.objects.exists() and not FichaCdsLinha.objects.exists()
        assert not EventoAuditoria.objects.filter(evento="ficha_cds_digitacao").exists()


def _recusada(resposta, campo: str, mensagem: str, *, na_linha: bool = True) -> None:
    assert resposta.status_code == 200
    pagina = resposta.content.decode()
    assert "A ficha não foi salva" in pagina
    mensagem = html.escape(mensagem)
    assert f"{'Linha 1, ' if na_linha else ''}{campo}: {mensagem}" in pagina  # the summary names the field
    cabecalho, linha = pagina.split('class="um-cidadao"')
    assert f">{mensagem}</span>" in (linha if na_linha else cabecalho)  # and the message sits on it


# --- Marcadores de consumo alimentar -----------------------------------------------------------

# Per age group: days of age on the day typed, the answers typed (form field -> code) and
# the LEDI list they must become.
GRUPOS: dict[str, tuple[int, dict[str, Any], tuple[str, list[dict[str, Any]]]]] = {
    "menos de 6 meses": (
        60,
        {"pergunta1": "1", "pergunta3": "2", "pergunta4": "3", "pergunta9": "2"},
        (
            "perguntasQuestionarioCriancasMenoresSeisMeses",
            [
                {"pergunta": "A_CRIANCA_ONTEM_TOMOU_LEITE_DO_PEITO", "respostaUnicaEscolha": "SIM"},
                {"pergunta": "MINGAU", "respostaUnicaEscolha": "NAO"},
                {"pergunta": "AGUA_CHA", "respostaUnicaEscolha": "NAO_SABE"},
                {"pergunta": "COMIDA_DE_SAL", "respostaUnicaEscolha": "NAO"},
            ],
        ),
    ),
    "6 a 23 meses": (
        250,
        {"pergunta21": "1", "pergunta22": "1", "pergunta23": "5", "pergunta24": "1", "pergunta26": "8"},
        (
            "perguntasQuestionarioCriancasDeSeisVinteTresMeses",
            [
                {"pergunta": "A_CRIANCA_ONTEM_TOMOU_LEITE_PEITO", "respostaUnicaEscolha": "SIM"},
                {"pergunta": "ONTEM_A_CRIANCA_COMEU_FRUTA_INTEIRA_PEDACO_AMASSADO", "respostaUnicaEscolha": "SIM"},
                {"pergunta": "SE_SIM_QUANTAS_VEZES", "respostaUnicaEscolha": "DUAS_VEZES"},
                {"pergunta": "ONTEM_A_CRIANCA_COMEU_COMIDA_DE_SAL", "respostaUnicaEscolha": "SIM"},
                {"pergunta": "SE_SIM_ESSA_COMIDA_FOI_OFERECIDA", "respostaUnicaEscolha": "AMASSADA"},
            ],
        ),
    ),
    "2 anos ou mais": (
        4 * 365,
        {"pergunta11": "2", "pergunta12": ["12", "14", "16"], "pergunta14": "1"},
        (
            "perguntasQuestionarioCriancasComMaisDoisAnos",
            [
                {
                    "pergunta": "VOCE_TEM_COSTUME_DE_REALIZAR_AS_REFEICOES_ASSISTINDO_TV_MEXENDO_NO_COMPUTADOR_E_OU_CELULAR",
                    "respostaUnicaEscolha": "NAO",
                },
                {
                    "pergunta": "QUAIS_REFEICOES_VOCE_FAZ_AO_LONGO_DO_DIA",
                    "respostaMultiplaEscolha": ["CAFE_DA_MANHA", "ALMOCO", "JANTAR"],
                },
                {"pergunta": "FEIJAO", "respostaUnicaEscolha": "SIM"},
            ],
        ),
    ),
}


def _consumo(documento: str, dias: int, respostas: dict[str, Any]) -> dict[str, Any]:
    nascimento = _hoje() - datetime.timedelta(days=dias)
    return {
        "documento": documento,
        "nascimento": nascimento.isoformat(),
        "sexo": "0",
        "local_atendimento": "1",
        **respostas,
    }


@pytest.mark.parametrize("grupo", list(GRUPOS))
def test_a_food_intake_ficha_typed_on_its_page_exports_as_valid_xml_and_esus(m, grupo):
    dias, respostas, (lista, esperado) = GRUPOS[grupo]
    crianca = _crianca(m, _hoje() - datetime.timedelta(days=dias))
    resposta = _digitar(
        fabricas.entrar(m.ana), 12, {"data_atendimento": _hoje().isoformat()}, _consumo(crianca.cpf, dias, respostas)
    )
    assert resposta.status_code == 302, resposta.content.decode()[:3000]
    with tenant_context(m.municipio.id):
        ficha = FichaCds.objects.get()
        [linha] = ficha.linhas.all()
    assert ficha.tipo == 12 and ficha.lotacao_id == m.ana.id and ficha.turno is None
    assert linha.cidadao_id == crianca.id and linha.dados[lista] == esperado

    exportada = _exportada(m, 12)
    assert exportada.status == FichaSisab.Status.VALIDA, exportada.erros
    assert exportada.origem == "cds_alimentar" and exportada.origem_id == ficha.id
    d = exportada.dados
    assert d["cpfCidadao"] == crianca.cpf and d["localAtendimento"] == 1 and d["sexo"] == 0
    assert d[lista] == esperado and d["tpCdsOrigem"] == 3
    assert [grupo for _, _, (grupo, _) in GRUPOS.values() if grupo in d] == [lista]  # one set only

    lido = ledi.de_xml(mundo_envio.exportado(m.municipio, exportada, "xml"))  # validated against the XSD
    assert lido.tipo == 12 and lido.ficha == d
    esus = mundo_envio.exportado(m.municipio, exportada, "esus")
    assert ledi.de_esus(esus).ficha == d
    oficial = mundo_envio.decodificado_pela_idl_oficial(esus, 12)
    assert oficial.cpfCidadao == crianca.cpf and oficial.localAtendimento == 1
    perguntas = getattr(oficial, lista)
    assert len(perguntas) == len(esperado)
    assert perguntas[0].pergunta == int(next(iter(respostas)).removeprefix("pergunta"))
    assert oficial.headerTransport.cboCodigo_2002 == "515105"


def test_a_food_intake_ficha_shows_its_answers_and_is_corrected_as_a_new_version(m):
    dias, respostas, (lista, _) = GRUPOS["6 a 23 meses"]
    crianca = _crianca(m, _hoje() - datetime.timedelta(days=dias))
    ana = fabricas.entrar(m.ana)
    _digitar(ana, 12, {"data_atendimento": _hoje().isoformat()}, _consumo(crianca.cpf, dias, respostas))
    with tenant_context(m.municipio.id):
        antiga = FichaCds.objects.get()
    pagina = ana.get(f"/cds/fichas/{antiga.id}/").content.decode()
    assert "Marcadores de Consumo Alimentar" in pagina and "Amassada" in pagina and "2 vezes" in pagina
    with tenant_context(m.municipio.id):
        assert EventoAuditoria.objects.filter(evento="leitura_prontuario", cidadao_id=crianca.id).exists()
    formulario = ana.get(f"/cds/fichas/{antiga.id}/corrigir/").content.decode()
    assert 'name="linhas-0-pergunta23"' in formulario and 'value="5" selected' in formulario
    corrigida = _consumo(crianca.cpf, dias, {**respostas, "pergunta23": "6"})
    resposta = ana.post(
        f"/cds/fichas/{antiga.id}/corrigir/", mundo_fichas.post({"data_atendimento": _hoje().isoformat()}, [corrigida])
    )
    assert resposta.status_code == 302, resposta.content.decode()[:2000]
    with tenant_context(m.municipio.id):
        nova = FichaCds.objects.get(cancelada_em__isnull=True)
        [linha] = nova.linhas.all()
    assert nova.versao == 2 and nova.uuid_originadora == antiga.uuid
    assert {"pergunta": "SE_SIM_QUANTAS_VEZES", "respostaUnicaEscolha": "TRES_VEZES_OU_MAIS"} in linha.dados[lista]


@pytest.mark.parametrize(
    "mudanca,campo,mensagem",
    [
        (
            {"pergunta1": "1"},
            "A criança ontem tomou leite do peito? (crianças menores de 6 meses)",
            "As perguntas de crianças menores de 6 meses não se aplicam à idade do cidadão na data do atendimento.",
        ),
        (
            {"pergunta22": "2"},
            "Se sim, quantas vezes? (crianças de 6 a 23 meses)",
            '"Se sim, quantas vezes?" só é respondida quando a pergunta anterior é "Sim".',
        ),
        ({"local_atendimento": ""}, "Local de atendimento", "Informe o local de atendimento (códigos 1 a 10)."),
        ({"sexo": ""}, "Sexo", "Informe o sexo do cidadão."),
        ({"documento": "12345678900"}, "CPF ou CNS", "O CPF do cidadão (12345678900) é inválido."),
        ({"documento": ""}, "CPF ou CNS", "Informe o CPF ou o CNS do cidadão."),
        ({"nascimento": ""}, "Data de nascimento", "A data de nascimento do cidadão é obrigatória."),
    ],
)
def test_bad_food_intake_input_is_refused_on_its_field_and_nothing_is_written(m, mudanca, campo, mensagem):
    dias, respostas, _ = GRUPOS["6 a 23 meses"]
    linha = {**_consumo(fabricas.cpf(), dias, respostas), **mudanca}
    resposta = _digitar(fabricas.entrar(m.ana), 12, {"data_atendimento": _hoje().isoformat()}, linha)
    _recusada(resposta, campo, mensagem)
    _nada_gravado(m)


def test_the_question_set_of_the_age_is_required(m):
    dias, _, _ = GRUPOS["2 anos ou mais"]
    _, respostas_bebe, _ = GRUPOS["6 a 23 meses"]
    linha = _consumo(fabricas.cpf(), dias, respostas_bebe)
    resposta = _digitar(fabricas.entrar(m.ana), 12, {"data_atendimento": _hoje().isoformat()}, linha)
    pagina = html.unescape(resposta.content.decode())
    assert "Pela idade na data do atendimento, responda as perguntas de crianças de 2 anos ou mais." in pagina
    assert "As perguntas de crianças de 6 a 23 meses não se aplicam" in pagina
    _nada_gravado(m)


# --- Complementar Zika / microcefalia --------------------------------------------------------


def _zika(documento: str, responsavel: str) -> dict[str, str]:
    ontem = (_hoje() - datetime.timedelta(days=1)).isoformat()
    return {
        "documento": documento,
        "responsavel": responsavel,
        "dataRealizacaoTesteOlhinho": ontem,
        "coResultadoTesteOlhinho": "1",
        "dataRealizacaoUSTransfontanela": ontem,
        "coResultadoUsTransfontanela": "8",
    }


def test_a_zika_ficha_typed_on_its_page_exports_as_valid_xml_and_esus(m):
    crianca = _crianca(m, _hoje() - datetime.timedelta(days=90))
    responsavel = m.maria.cpf
    cabecalho = {"data_atendimento": _hoje().isoformat(), "turno": "2"}
    resposta = _digitar(fabricas.entrar(m.nina), 13, cabecalho, _zika(crianca.cpf, responsavel))
    assert resposta.status_code == 302, resposta.content.decode()[:3000]
    with tenant_context(m.municipio.id):
        ficha = FichaCds.objects.get()
        [linha] = ficha.linhas.all()
    assert ficha.tipo == 13 and ficha.turno == 2 and linha.cidadao_id == crianca.id
    ontem = epoch_ms(_hoje() - datetime.timedelta(days=1))
    assert linha.dados == {
        "cpfCidadao": crianca.cpf,
        "cpfResponsavelFamiliar": responsavel,
        "dataRealizacaoTesteOlhinho": ontem,
        "coResultadoTesteOlhinho": 1,
        "dataRealizacaoUSTransfontanela": ontem,
        "coResultadoUsTransfontanela": 8,
    }

    exportada = _exportada(m, 13)
    assert exportada.status == FichaSisab.Status.VALIDA, exportada.erros
    assert exportada.origem == "cds_zika" and exportada.origem_id == ficha.id
    d = exportada.dados
    assert d["turno"] == 2 and d["cpfCidadao"] == crianca.cpf and d["coResultadoUsTransfontanela"] == 8

    lido = ledi.de_xml(mundo_envio.exportado(m.municipio, exportada, "xml"))
    assert lido.tipo == 13 and lido.ficha == d
    esus = mundo_envio.exportado(m.municipio, exportada, "esus")
    assert ledi.de_esus(esus).ficha == d
    oficial = mundo_envio.decodificado_pela_idl_oficial(esus, 13)
    assert oficial.cpfCidadao == crianca.cpf and oficial.cpfResponsavelFamiliar == responsavel
    assert oficial.turno == 2 and oficial.coResultadoTesteOlhinho == 1 and oficial.dataRealizacaoTesteOlhinho == ontem
    assert oficial.coResultadoExameFundoOlho is None
    assert oficial.headerTransport.cboCodigo_2002 == "223565"


@pytest.mark.parametrize(
    "mudanca,campo,mensagem",
    [
        (
            {"coResultadoTesteOlhinho": ""},
            "Teste do olhinho (TRV): resultado",
            "Informe o resultado do exame Teste do olhinho (TRV).",
        ),
        (
            {"dataRealizacaoUSTransfontanela": ""},
            "US transfontanela: data de realização",
            "Informe a data de realização do exame US transfontanela.",
        ),
        (
            {
                "dataRealizacaoTesteOlhinho": "",
                "coResultadoTesteOlhinho": "",
                "dataRealizacaoUSTransfontanela": "",
                "coResultadoUsTransfontanela": "",
            },
            "Teste do olhinho (TRV): resultado",
            "Informe o resultado de pelo menos um exame.",
        ),
        (
            {"dataRealizacaoTesteOlhinho": "2090-01-01"},
            "Teste do olhinho (TRV): data de realização",
            "A data do exame Teste do olhinho (TRV) é posterior à data do atendimento.",
        ),
        ({"responsavel": "12345678900"}, "CPF ou CNS do responsável", "O CPF do responsável (12345678900) é inválido."),
        ({"documento": ""}, "CPF ou CNS", "Informe o CPF ou o CNS do cidadão."),
    ],
)
def test_bad_zika_input_is_refused_on_its_field_and_nothing_is_written(m, mudanca, campo, mensagem):
    linha = {**_zika(fabricas.cpf(), m.maria.cpf), **mudanca}
    cabecalho = {"data_atendimento": _hoje().isoformat(), "turno": "1"}
    _recusada(_digitar(fabricas.entrar(m.nina), 13, cabecalho, linha), campo, mensagem)
    _nada_gravado(m)


def test_a_zika_ficha_without_turno_is_refused_on_the_header(m):
    resposta = _digitar(
        fabricas.entrar(m.nina), 13, {"data_atendimento": _hoje().isoformat()}, _zika(fabricas.cpf(), "")
    )
    _recusada(resposta, "Turno", "Informe o turno do atendimento.", na_linha=False)
    _nada_gravado(m)


# --- Both ----------------------------------------------------------------------------------


def test_only_the_cbos_ledi_allows_get_each_ficha(m):
    ana, nina = fabricas.entrar(m.ana), fabricas.entrar(m.nina)
    lista_ana, lista_nina = ana.get("/cds/fichas/").content.decode(), nina.get("/cds/fichas/").content.decode()
    assert "/cds/fichas/nova/12/" in lista_ana and "/cds/fichas/nova/13/" not in lista_ana  # an ACS: MCA only
    assert "/cds/fichas/nova/12/" in lista_nina and "/cds/fichas/nova/13/" in lista_nina
    assert ana.get("/cds/fichas/nova/13/").status_code == 403
    cabecalho = {"data_atendimento": _hoje().isoformat(), "turno": "1"}
    assert _digitar(ana, 13, cabecalho, _zika(fabricas.cpf(), "")).status_code == 403
    assert fabricas.entrar(m.admin).get("/cds/fichas/nova/12/").status_code == 403
    _nada_gravado(m)


def test_another_municipality_gets_404_on_these_fichas(m):
    _digitar(
        fabricas.entrar(m.nina), 13, {"data_atendimento": _hoje().isoformat(), "turno": "1"}, _zika(m.maria.cpf, "")
    )
    with tenant_context(m.municipio.id):
        ficha = FichaCds.objects.get()
    outro = mundo_fichas.mundo("Município B")
    cliente = fabricas.entrar(outro.nina)
    assert cliente.get(f"/cds/fichas/{ficha.id}/").status_code == 404
    assert cliente.get(f"/cds/fichas/{ficha.id}/corrigir/").status_code == 404
    assert fabricas.entrar(m.nina).get(f"/cds/fichas/{ficha.id}/").status_code == 200


@pytest.mark.parametrize(
    "arquivo,tipo",
    [
        ("Consumo_Alimentar_Menos6Meses.esus.xml", 12),
        ("Consumo_Alimentar_SeisA23Meses.esus.xml", 12),
        ("Consumo_Alimentar_MaisDoisAnos.esus.xml", 12),
        ("Complementar_Zika_Microcefalia.esus.xml", 13),
    ],
)
def test_the_official_examples_pass_our_rules(arquivo, tipo):
    lido = ledi.de_xml((EXEMPLOS / arquivo).read_bytes())
    assert lido.tipo == tipo
    assert regras.ficha_erros(tipo=tipo, dados=lido.ficha) == []


def test_our_rules_refuse_the_official_example_with_the_wrong_question_set():
    lido = ledi.de_xml((EXEMPLOS / "Consumo_Alimentar_SeisA23Meses.esus.xml").read_bytes())
    dados = {**lido.ficha, "dataNascimento": lido.ficha["headerTransport"]["dataAtendimento"] - 30 * 86_400_000}
    assert regras.ficha_erros(tipo=12, dados=dados) == [
        "Pela idade na data do atendimento, responda as perguntas de crianças menores de 6 meses.",
        "As perguntas de crianças de 6 a 23 meses não se aplicam à idade do cidadão na data do atendimento.",
    ]


@pytest.mark.parametrize("tipo", [12, 13])
def test_the_typing_form_takes_a_fixed_number_of_queries(m, tipo, django_assert_num_queries):
    nina = fabricas.entrar(m.nina)
    nina.get("/cds/fichas/")  # the first request of a session also touches the session row
    with django_assert_num_queries(mundo_fichas.FORMULARIO_CONSULTAS):
        assert nina.get(f"/cds/fichas/nova/{tipo}/").status_code == 200


@pytest.mark.parametrize("tipo", [12, 13])
def test_a_blank_ficha_is_refused_with_the_citizen_asked_for(m, tipo):
    cabecalho = {"data_atendimento": _hoje().isoformat(), "turno": "1"}
    resposta = _digitar(fabricas.entrar(m.nina), tipo, cabecalho, {})
    pagina = resposta.content.decode()
    assert resposta.status_code == 200 and "A ficha não foi salva" in pagina
    assert "Informe o CPF ou o CNS do cidadão." in pagina
    _nada_gravado(m)


def test_a_ficha_of_one_citizen_takes_one_row_only(m):
    dias, respostas, _ = GRUPOS["6 a 23 meses"]
    linha = _consumo(fabricas.cpf(), dias, respostas)
    dados = mundo_fichas.post({"data_atendimento": _hoje().isoformat()}, [linha, linha])
    ana = fabricas.entrar(m.ana)
    resposta = ana.post("/cds/fichas/nova/12/", dados)
    assert resposta.status_code == 200 and "Por favor, envie no máximo 1 formulário." in resposta.content.decode()
    _nada_gravado(m)
    formulario = ana.get("/cds/fichas/nova/12/").content.decode()
    assert 'name="linhas-0-pergunta1"' in formulario and 'name="linhas-1-' not in formulario
    assert 'name="adicionar"' not in formulario
