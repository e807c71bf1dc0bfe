"""The fichas of atenção domiciliar typed through their pages: the Ficha de Atendimento
Domiciliar (LEDI tipo 10, many atendimentos) and the Ficha de Avaliação de Elegibilidade e
Admissão (tipo 11, one citizen). Each is exported as XML valid against the official XSD and
as .esus that a fresh load of the official IDL reads back; bad input is refused next to its
field with nothing written; a CBO LEDI does not allow never gets the form; the official
examples of both types pass our rules; the form's queries are pinned."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from django.utils import timezone

from cds.models import FichaCds, FichaCdsLinha
from pec.models import EventoAuditoria
from pec.tenancy import tenant_context
from sisab import envio, ledi, regras
from sisab.models import FichaSisab
from tests import mundo as fabricas
from tests.cds import mundo_fichas
from tests.sisab import mundo_envio

pytestmark = pytest.mark.django_db

EXEMPLOS = Path(__file__).resolve().parents[3] / "shared" / "reference" / "ledi" / "examples"
BRASILIA = "5300108"  # a real IBGE code: LEDI checks it against its table of municípios


@pytest.fixture
def m() -> mundo_fichas.MundoFichas:
    return mundo_fichas.mundo()


def _hoje() -> str:
    return timezone.localdate().isoformat()


def _atendimentos(m: mundo_fichas.MundoFichas) -> list[dict[str, str]]:
    return [
        {
            "turno": "1",
            "documento": m.maria.cpf,
            "nascimento": "1990-05-10",
            "sexo": "1",
            "local": "4",
            "modalidade": "2",
            "tipo_atendimento": "7",
            "condicoes": "1, 3 17",
            "ciap": "k86",
            "cid10": "I10",
            "procedimentos": "03.01.05.003-1 0101040024",
            "conduta": "7",
        },
        {
            "turno": "2",
            "nascimento": "1940-01-02",
            "sexo": "0",
            "local": "4",
            "tipo_atendimento": "9",
            "cid10": "Z63",
            "conduta": "3",
        },
        {},  # a blank row of the paper: skipped
    ]


def _cidadao(m: mundo_fichas.MundoFichas, **campos: object) -> dict[str, object]:
    return {
        "documento": m.maria.cpf,
        "nome": "Maria Jose da Silva",
        "nascimento": "1990-05-10",
        "sexo": "1",
        "raca_cor": "4",
        "nome_mae": "ANA DA SILVA",
        "desconhece_pai": "on",
        "nacionalidade": "1",
        "municipio_nascimento": BRASILIA,
        "pais_nascimento": "31",
        "email": "maria@exemplo.com.br",
        "tipo_logradouro": "81",
        "logradouro": "DAS FLORES",
        "numero": "120",
        "bairro": "CENTRO",
        "cep": "70000-000",
        "municipio": BRASILIA,
        "telefone_contato": "(61) 99999-1234",
        "procedencia": "11",
        "modalidade": "2",
        "condicoes": ["1", "17"],
        "cid_principal": "i64",
        "cid_secundario_1": "I10",
        "conclusao_elegivel": "1",
        "cuidador": "3",
        **campos,
    }


def _post(m, tipo: int, cabecalho: dict[str, str], linhas: Sequence[Mapping[str, object]], cliente=None):
    cliente = cliente or fabricas.entrar(m.nina)
    return cliente.post(f"/cds/fichas/nova/{tipo}/", mundo_fichas.post(cabecalho, [dict(linha) for linha in linhas]))


def _exportada(m: mundo_fichas.MundoFichas, tipo: int) -> FichaSisab:
    envio.fichas_gerar(municipio_id=m.municipio.id)
    with tenant_context(m.municipio.id):
        return FichaSisab.objects.get(tipo=tipo)


def test_a_home_care_ficha_typed_on_its_page_exports_as_valid_xml_and_esus(m):
    resposta = _post(m, 10, {"data_atendimento": _hoje()}, _atendimentos(m))
    assert resposta.status_code == 302, resposta.content.decode()[:3000]
    with tenant_context(m.municipio.id):
        ficha = FichaCds.objects.get()
        linhas = list(ficha.linhas.all())
    assert ficha.tipo == 10 and ficha.turno is None and ficha.lotacao_id == m.nina.id
    assert [linha.cidadao_id for linha in linhas] == [m.maria.id, None]
    primeira = linhas[0].dados
    assert primeira["condicoesAvaliadas"] == [1, 3, 17]
    assert primeira["procedimentos"] == ["0301050031", "0101040024"]
    assert primeira["problemasCondicoes"] == [{"ciap": "K86", "cid10": "I10", "isAvaliado": True}]
    assert "atencaoDomiciliarModalidade" not in linhas[1].dados  # pós-óbito has no modalidade

    exportada = _exportada(m, 10)
    assert exportada.status == FichaSisab.Status.VALIDA, exportada.erros
    assert exportada.origem == "cds_domiciliar" and exportada.origem_id == ficha.id
    d = exportada.dados
    assert d["tpCdsOrigem"] == 3 and d["uuidFicha"] == f"{m.nina.estabelecimento.cnes}-{ficha.uuid}"
    assert d["headerTransport"]["lotacaoFormPrincipal"]["cboCodigo_2002"] == "223565"
    assert d["atendimentosDomiciliares"] == [linha.dados for linha in linhas]

    lido = ledi.de_xml(mundo_envio.exportado(m.municipio, exportada, "xml"))  # validated against the XSD
    assert lido.tipo == 10 and lido.ficha == d
    esus = mundo_envio.exportado(m.municipio, exportada, "esus")
    assert ledi.de_esus(esus).ficha == d
    oficial = mundo_envio.decodificado_pela_idl_oficial(esus, 10)
    assert oficial.uuidFicha == d["uuidFicha"] and oficial.tpCdsOrigem == 3
    assert [a.tipoAtendimento for a in oficial.atendimentosDomiciliares] == [7, 9]
    assert oficial.atendimentosDomiciliares[0].cpfCidadao == m.maria.cpf
    assert oficial.atendimentosDomiciliares[0].problemasCondicoes[0].cid10 == "I10"
    assert oficial.atendimentosDomiciliares[1].atencaoDomiciliarModalidade is None
    assert (
        oficial.headerTransport.lotacaoFormPrincipal.profissionalCNS
        == d["headerTransport"]["lotacaoFormPrincipal"]["profissionalCNS"]
    )


def test_an_eligibility_ficha_typed_on_its_page_exports_as_valid_xml_and_esus(m):
    resposta = _post(m, 11, {"data_atendimento": _hoje(), "turno": "2"}, [_cidadao(m)])
    assert resposta.status_code == 302, resposta.content.decode()[:3000]
    with tenant_context(m.municipio.id):
        ficha = FichaCds.objects.get()
        [linha] = ficha.linhas.all()
    assert ficha.tipo == 11 and ficha.turno == 2 and linha.cidadao_id == m.maria.id
    assert linha.dados["nomeCidadao"] == "MARIA JOSE DA SILVA" and linha.dados["condicoesAvaliadas"] == [1, 17]
    assert linha.dados["endereco"]["cep"] == "70000000" and linha.dados["endereco"]["tipoLogradouroNumeroDne"] == "081"
    assert linha.dados["endereco"]["numeroDneUf"]  # the UF comes from the município

    exportada = _exportada(m, 11)
    assert exportada.status == FichaSisab.Status.VALIDA, exportada.erros
    assert exportada.origem == "cds_elegibilidade"
    d = exportada.dados
    assert d["turno"] == 2 and d["cpfCidadao"] == m.maria.cpf and d["cid10Principal"] == "I64"
    assert d["conclusaoDestinoElegivel"] == 1 and "conclusaoDestinoInelegivel" not in d
    assert "lotacaoFormPrincipal" in d["headerTransport"]

    lido = ledi.de_xml(mundo_envio.exportado(m.municipio, exportada, "xml"))
    assert lido.tipo == 11 and lido.ficha == d
    esus = mundo_envio.exportado(m.municipio, exportada, "esus")
    assert ledi.de_esus(esus).ficha == d
    oficial = mundo_envio.decodificado_pela_idl_oficial(esus, 11)
    assert oficial.cpfCidadao == m.maria.cpf and oficial.atencaoDomiciliarModalidade == 2
    assert oficial.endereco.nomeLogradouro == "DAS FLORES" and oficial.condicoesAvaliadas == [1, 17]

    pagina = fabricas.entrar(m.nina).get(f"/cds/fichas/{ficha.id}/").content.decode()
    assert "Avaliação de Elegibilidade" in pagina and "Oxigenoterapia domiciliar" in pagina
    with tenant_context(m.municipio.id):
        assert EventoAuditoria.objects.filter(
            evento="leitura_prontuario", cidadao_id=m.maria.id, lotacao_id=m.nina.id
        ).exists()
    formulario = fabricas.entrar(m.nina).get(f"/cds/fichas/{ficha.id}/corrigir/").content.decode()
    assert 'value="DAS FLORES"' in formulario and 'value="17" id="id_linhas-0-condicoes_16" checked' in formulario


@pytest.mark.parametrize(
    "linha,campo,mensagem",
    [
        ({"modalidade": ""}, "Modalidade AD", "Informe a modalidade AD (AD 1, AD 2 ou AD 3)."),
        ({"tipo_atendimento": "9"}, "Modalidade AD", "A visita domiciliar pós-óbito não tem modalidade AD."),
        (
            {"condicoes": "1 25"},
            "Condições avaliadas (códigos)",
            "Condições avaliadas: código(s) 25 não existe(m) na tabela LEDI.",
        ),
        (
            {"procedimentos": "0301050104"},
            "Procedimentos (códigos SIGTAP)",
            'O procedimento 0301050104 é registrado como tipo de atendimento "pós-óbito".',
        ),
        (
            {"procedimentos": "0501010017"},
            "Procedimentos (códigos SIGTAP)",
            "O procedimento 0501010017 não é um código SIGTAP (10 dígitos) dos grupos 01–04 ou do subgrupo 0804.",
        ),
        ({"ciap": "", "cid10": ""}, "CIAP2", "Informe pelo menos um problema/condição avaliado (CIAP2 ou CID-10)."),
        ({"conduta": ""}, "Conduta / desfecho", "Informe a conduta/desfecho do atendimento."),
        ({"documento": "12345678900"}, "CPF ou CNS", "O CPF do cidadão (12345678900) é inválido."),
        ({"nascimento": "2090-01-01"}, "Data de nascimento", "A data de nascimento é posterior à data do atendimento."),
    ],
)
def test_bad_home_care_input_is_refused_next_to_its_field_and_nothing_is_written(m, linha, campo, mensagem):
    atendimentos = _atendimentos(m)
    atendimentos[0] = {**atendimentos[0], **linha}
    resposta = _post(m, 10, {"data_atendimento": _hoje()}, atendimentos)
    assert resposta.status_code == 200
    pagina = resposta.content.decode()
    mensagem = html.escape(mensagem)
    assert f"Linha 1, {campo}: {mensagem}" in pagina
    assert f"{campo}: {mensagem}" in pagina.split("<tbody>")[1]
    with tenant_context(m.municipio.id):
        assert not FichaCds.objects.exists() and not FichaCdsLinha.objects.exists()
        assert not EventoAuditoria.objects.filter(evento="ficha_cds_digitacao").exists()


@pytest.mark.parametrize(
    "campos,campo,mensagem",
    [
        ({"nome": ""}, "Nome completo", "Na admissão na própria EMAD, o nome do cidadão é obrigatório."),
        ({"numero": ""}, "Número", 'Na admissão na própria EMAD, informe o número ou marque "sem número".'),
        ({"cid_principal": ""}, "CID-10 principal", "Informe a CID-10 principal da avaliação."),
        ({"cid_secundario_1": "I64"}, "CID-10 secundário 1", "A CID-10 I64 foi informada mais de uma vez."),
        (
            {"modalidade": "4"},
            "Conclusão / destino (elegível)",
            "Cidadão inelegível não tem conclusão de elegível.",
        ),
        (
            {"cuidador": "1", "documento_cuidador": "52998224725"},
            "CPF ou CNS do cuidador",
            'Sem cuidador ("não possui"), não informe o CPF/CNS do cuidador.',
        ),
        ({"nacionalidade": "2"}, "Data de naturalização", "A data de naturalização é obrigatória para naturalizados."),
        ({"procedencia": ""}, "Procedência", "Informe a procedência do cidadão."),
        ({"raca_cor": "5"}, "Etnia", "A etnia é informada quando, e só quando, a raça/cor é indígena."),
        ({"email": "maria"}, "E-mail", "O e-mail deve seguir o padrão endereco@dominio.extensao (6 a 100 caracteres)."),
    ],
)
def test_bad_eligibility_input_is_refused_next_to_its_field_and_nothing_is_written(m, campos, campo, mensagem):
    resposta = _post(m, 11, {"data_atendimento": _hoje(), "turno": "1"}, [_cidadao(m, **campos)])
    assert resposta.status_code == 200
    pagina = resposta.content.decode()
    mensagem = html.escape(mensagem)
    assert f"Linha 1, {campo}: {mensagem}" in pagina
    # and the message sits on that field, in its <p class="campo com-erro">
    no_campo = rf'<p class="campo com-erro">(?:(?!</p>).)*{re.escape(campo)}(?:(?!</p>).)*{re.escape(mensagem)}</span>'
    assert re.search(no_campo, pagina, re.DOTALL)
    with tenant_context(m.municipio.id):
        assert not FichaCds.objects.exists() and not FichaCdsLinha.objects.exists()


def test_a_cbo_ledi_does_not_allow_never_gets_the_home_care_fichas(m):
    ana, nina = fabricas.entrar(m.ana), fabricas.entrar(m.nina)
    lista_nina = nina.get("/cds/fichas/").content.decode()
    assert "/cds/fichas/nova/10/" in lista_nina and "/cds/fichas/nova/11/" in lista_nina
    lista_ana = ana.get("/cds/fichas/").content.decode()
    assert "/cds/fichas/nova/10/" not in lista_ana and "/cds/fichas/nova/11/" not in lista_ana
    assert ana.get("/cds/fichas/nova/10/").status_code == 403
    assert ana.get("/cds/fichas/nova/11/").status_code == 403
    assert _post(m, 10, {"data_atendimento": _hoje()}, _atendimentos(m), cliente=ana).status_code == 403
    assert _post(m, 11, {"data_atendimento": _hoje(), "turno": "1"}, [_cidadao(m)], cliente=ana).status_code == 403
    with tenant_context(m.municipio.id):
        assert not FichaCds.objects.exists()


@pytest.mark.parametrize(
    "exemplo,tipo",
    [
        ("Atendimento_Domiciliar.esus.xml", 10),
        ("Avaliacao_Elegibilidade_Elegivel.esus.xml", 11),
        ("Avaliacao_Elegibilidade_Inelegivel.esus.xml", 11),
    ],
)
def test_the_official_examples_pass_our_rules(exemplo, tipo):
    lido = ledi.de_xml((EXEMPLOS / exemplo).read_bytes())
    assert lido.tipo == tipo
    assert regras.ficha_erros(tipo=tipo, dados=lido.ficha) == []


def test_the_rules_catch_what_the_official_example_would_break():
    lido = ledi.de_xml((EXEMPLOS / "Avaliacao_Elegibilidade_Inelegivel.esus.xml").read_bytes())
    dados = {**lido.ficha, "conclusaoDestinoElegivel": 1, "cid10SecundarioUm": "Y26"}
    erros = regras.ficha_erros(tipo=11, dados=dados)
    assert "Cidadão inelegível não tem conclusão de elegível." in erros
    assert "A CID-10 Y26 foi informada mais de uma vez." in erros


@pytest.mark.parametrize("tipo", [10, 11])
def test_the_typing_form_takes_a_fixed_number_of_queries(m, tipo, django_assert_num_queries):
    nina = fabricas.entrar(m.nina)
    nina.get("/cds/fichas/")  # the first request of a session also touches the session row
    with django_assert_num_queries(mundo_fichas.FORMULARIO_CONSULTAS):
        assert nina.get(f"/cds/fichas/nova/{tipo}/").status_code == 200


def test_a_home_care_ficha_is_corrected_from_its_saved_values(m):
    _post(m, 10, {"data_atendimento": _hoje()}, _atendimentos(m))
    with tenant_context(m.municipio.id):
        antiga = FichaCds.objects.get()
    nina = fabricas.entrar(m.nina)
    formulario = nina.get(f"/cds/fichas/{antiga.id}/corrigir/").content.decode()
    assert (
        'value="K86"' in formulario and 'value="1 3 17"' in formulario and 'value="0301050031 0101040024"' in formulario
    )
    atendimentos = _atendimentos(m)[:1]
    atendimentos[0]["cid10"] = "I11"
    resposta = nina.post(
        f"/cds/fichas/{antiga.id}/corrigir/", mundo_fichas.post({"data_atendimento": _hoje()}, atendimentos)
    )
    assert resposta.status_code == 302, resposta.content.decode()[:2000]
    with tenant_context(m.municipio.id):
        nova = FichaCds.objects.get(cancelada_em__isnull=True)
        assert nova.versao == 2 and nova.uuid_originadora == antiga.uuid
        assert [linha.dados["problemasCondicoes"][0]["cid10"] for linha in nova.linhas.all()] == ["I11"]


def test_another_municipality_gets_404_on_an_eligibility_ficha(m):
    _post(m, 11, {"data_atendimento": _hoje(), "turno": "1"}, [_cidadao(m)])
    with tenant_context(m.municipio.id):
        ficha = FichaCds.objects.get()
    outra = mundo_fichas.mundo("Município B")
    cliente = fabricas.entrar(outra.nina)
    for caminho in (f"/cds/fichas/{ficha.id}/", f"/cds/fichas/{ficha.id}/corrigir/"):
        assert cliente.get(caminho).status_code == 404
    assert cliente.post(f"/cds/fichas/{ficha.id}/cancelar/").status_code == 404
    with tenant_context(m.municipio.id):
        ficha.refresh_from_db()
        assert not ficha.cancelada
        assert not EventoAuditoria.objects.filter(evento="leitura_prontuario", lotacao_id=outra.nina.id).exists()
    assert fabricas.entrar(m.nina).get(f"/cds/fichas/{ficha.id}/").status_code == 200
