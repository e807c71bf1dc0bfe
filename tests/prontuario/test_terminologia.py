"""National terminology: loaded by the data migration with source and version, searchable
by code and by words without accents, served to the autocomplete."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from prontuario.models import CiapCid, RegraVacinacao, Terminologia, Termo
from prontuario.terminologia.services import ler_regras_vacinacao, termo_buscar
from tests.mundo import entrar
from tests.prontuario.clinica import clinica

pytestmark = pytest.mark.django_db


def test_migracao_carrega_todas_as_tabelas_com_fonte_e_versao():
    tabelas = {t.tabela: t for t in Terminologia.objects.all()}
    assert set(tabelas) >= {
        "ciap2",
        "cid10",
        "cbo",
        "sigtap",
        "medicamento",
        "imunobiologico",
        "estrategia",
        "dose",
        "fabricante",
        "via",
        "local_aplicacao",
        "grupo_atendimento",
        "ciap_cid",
        "regra_vacinacao",
    }
    for tabela in tabelas.values():
        assert tabela.fonte and tabela.versao and tabela.quantidade > 0
    assert Termo.objects.filter(tabela="cid10").count() == tabelas["cid10"].quantidade == 14230
    assert "RAC" in tabelas["cid10"].fonte and "1.0.0" in tabelas["cid10"].versao
    assert Termo.objects.get(tabela="ciap2", codigo="W78").descricao.lower().startswith("gravidez")
    assert Termo.objects.get(tabela="ciap2", codigo="ABP005").extra == {"ab": True, "ciap": "K86"}
    assert CiapCid.objects.filter(ciap="A03", cid10="R50").exists()
    assert Termo.objects.get(tabela="estrategia", codigo="10").extra == {"ledi": 11}  # Pesquisa: RNDS 10 = e-SUS 11


def test_tabela_de_regras_de_vacinacao_e_lida_do_arquivo_oficial():
    regras = ler_regras_vacinacao()
    assert len(regras) == RegraVacinacao.objects.count() > 800
    assert ("115", "2", "9") in regras  # Nirsevimabe, Especial, dose única (last row of the page)
    assert ("1", "2", "59") in regras


def test_busca_por_codigo_com_pontuacao_e_por_palavras_sem_acento():
    assert [t.codigo for t in termo_buscar(tabela="cid10", texto="b17.0")][:1] == ["B170"]
    febre = termo_buscar(tabela="ciap2", texto="FEBRE")
    assert "A03" in [t.codigo for t in febre]
    gravidez = termo_buscar(tabela="ciap2", texto="gravidez alto")  # "Gravidez de alto risco"
    assert [t.codigo for t in gravidez] == ["W84"]
    assert termo_buscar(tabela="cid10", texto="colera")[0].codigo == "A00"  # "Cólera", no accent typed
    assert [t.codigo for t in termo_buscar(tabela="sigtap", texto="0202010295")] == ["0202010295"]
    assert termo_buscar(tabela="cid10", texto="   ") == []


def test_recarregar_e_idempotente_e_mostra_progresso():
    saida = io.StringIO()
    call_command("load_terminologia", stdout=saida)
    assert "All tables are up to date." in saida.getvalue()
    saida = io.StringIO()
    call_command("load_terminologia", "--force", stdout=saida)
    texto = saida.getvalue()
    assert "cid10: 14230/14230 (100%)" in texto
    assert Termo.objects.filter(tabela="cid10").count() == 14230


def test_codigo_que_sai_da_tabela_fica_inativo_e_nao_e_sugerido():
    Termo.objects.create(tabela="cid10", codigo="ZZZ9", descricao="Código antigo", busca=" zzz9 codigo antigo ")
    Terminologia.objects.filter(tabela="cid10").update(sha256="outro")
    call_command("load_terminologia", stdout=io.StringIO())
    assert Termo.objects.get(tabela="cid10", codigo="ZZZ9").ativo is False
    assert termo_buscar(tabela="cid10", texto="ZZZ9") == []


def test_endpoint_de_autocompletar():
    mundo = clinica()
    cliente = entrar(mundo.bob)
    resposta = cliente.get("/prontuario/terminologia/ciap2/", {"q": "febre"})
    assert resposta.status_code == 200
    assert {"codigo": "A03", "descricao": "Febre"} in resposta.json()["resultados"]
    assert cliente.get("/prontuario/terminologia/senhas/", {"q": "a"}).status_code == 404


def test_endpoint_exige_login():
    resposta = __import__("django.test", fromlist=["Client"]).Client().get("/prontuario/terminologia/cid10/?q=a")
    assert resposta.status_code == 302
