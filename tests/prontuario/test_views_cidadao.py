"""Cidadão pages as the receptionist uses them, and what others may not see."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from pec.models import EventoAuditoria
from pec.tenancy import tenant_context
from prontuario.models import Cidadao, CidadaoVersao
from tests.prontuario import fabricas
from tests.prontuario.conftest import entrar

pytestmark = pytest.mark.django_db


def formulario(**campos):
    base = {
        "nome": "Maria José da Silva", "data_nascimento": "1980-03-12", "sexo": "1", "raca_cor": "4",
        "nome_mae": "Ana Aparecida da Silva", "pai_desconhecido": "on", "nacionalidade": "1",
        "uf_nascimento": "MG", "municipio_nascimento": "belo horizonte",
    }
    base.update(campos)
    return base


def test_cadastrar_pelo_formulario(alice, mundo):
    cpf = fabricas.cpf()
    resposta = alice.post(reverse("cidadao_novo"), formulario(cpf=f"{cpf[:3]}.{cpf[3:6]}.{cpf[6:9]}-{cpf[9:]}"))
    with tenant_context(mundo.a.id):
        cidadao = Cidadao.objects.get()
    assert resposta.status_code == 302 and resposta.url == reverse("cidadao_detalhe", args=[cidadao.pk])
    assert (cidadao.cpf, cidadao.municipio_nascimento_ibge) == (cpf, "3106200")


def test_erros_claros_em_portugues(alice, mundo):
    resposta = alice.post(
        reverse("cidadao_novo"),
        formulario(nome="Joaquim", cpf="111.111.111-11", municipio_nascimento="Cidade Que Não Existe", raca_cor="5"),
    )
    assert resposta.status_code == 200
    html = resposta.content.decode()
    assert "Corrija os campos indicados." in html
    assert "CPF inválido: confira os 11 dígitos." in html
    assert "Município não encontrado nesta UF" in html
    resposta = alice.post(reverse("cidadao_novo"), formulario(nome="Joaquim", raca_cor="5"))
    html = resposta.content.decode()
    assert "O nome deve ter nome e sobrenome." in html
    assert "Informe a etnia do cidadão indígena." in html
    with tenant_context(mundo.a.id):
        assert not Cidadao.objects.exists()


def test_duplicado_mostra_candidatos_e_pede_confirmacao(alice, mundo):
    existente = fabricas.cidadao(mundo.alice)
    resposta = alice.post(reverse("cidadao_novo"), formulario(nome="MARIA JOSE SILVA"))
    html = resposta.content.decode()
    assert resposta.status_code == 200
    assert "Possível cadastro duplicado" in html
    assert reverse("cidadao_detalhe", args=[existente.pk]) in html
    with tenant_context(mundo.a.id):
        assert Cidadao.objects.count() == 1
    resposta = alice.post(reverse("cidadao_novo"), formulario(nome="MARIA JOSE SILVA", confirmar_duplicado="1"))
    assert resposta.status_code == 302
    with tenant_context(mundo.a.id):
        assert Cidadao.objects.count() == 2


def test_editar_grava_versao_e_historico_mostra(alice, mundo):
    cidadao = fabricas.cidadao(mundo.alice)
    url = reverse("cidadao_editar", args=[cidadao.pk])
    assert alice.get(url).status_code == 200
    resposta = alice.post(url, formulario(bairro="Jardim das Flores", versao="1"))
    assert resposta.status_code == 302
    historico = alice.get(reverse("cidadao_historico", args=[cidadao.pk])).content.decode()
    assert "Versão 2 · Atualização" in historico and "Jardim das Flores" in historico
    # A stale form (version 1 again) is refused instead of overwriting.
    resposta = alice.post(url, formulario(bairro="Centro", versao="1"))
    assert "alterado por outra pessoa" in resposta.content.decode()
    with tenant_context(mundo.a.id):
        assert CidadaoVersao.objects.filter(cidadao=cidadao).count() == 2


def test_abrir_o_cadastro_grava_leitura_na_auditoria(alice, mundo):
    cidadao = fabricas.cidadao(mundo.alice)
    resposta = alice.get(reverse("cidadao_detalhe", args=[cidadao.pk]))
    assert resposta.status_code == 200 and "MARIA JOSÉ DA SILVA" in resposta.content.decode()
    with tenant_context(mundo.a.id):
        evento = EventoAuditoria.objects.filter(evento="leitura_prontuario").get()
    assert (evento.cidadao_id, evento.o_que, evento.lotacao_id) == (cidadao.pk, "cadastro", mundo.alice.id)


def test_resultado_pelo_nome_da_mae_diz_por_que_apareceu(alice, mundo):
    filho = fabricas.cidadao(mundo.alice, nome="Pedro Henrique Costa", sexo=0, nome_mae="Ana Aparecida da Silva")
    html = alice.post(reverse("cidadao_lista"), {"q": "aparecida ana"}, follow=True).content.decode()
    linha = html[html.index(filho.nome_exibicao):]
    assert "encontrado pelo nome da mãe" in linha[: linha.index("</tr>")]
    html = alice.post(reverse("cidadao_lista"), {"q": "pedro costa"}, follow=True).content.decode()
    assert filho.nome_exibicao in html and "encontrado pelo nome da mãe" not in html


def test_busca_pela_pagina_com_consultas_fixas(alice, mundo, django_assert_num_queries):
    fabricas.cidadao(mundo.alice)
    alice.get(reverse("cidadao_lista"))  # session and permissions warmed like any request
    # session, user, session limits, savepoint + user and tenant settings, lotação,
    # permissions, the search's word counts and the search, release: nothing grows with
    # the number of results.
    # The search is posted: the request's setup, no search, and the session saved with it
    # (12); then shown at ?busca=<id> with the same 11 queries as when it was in the URL.
    with django_assert_num_queries(12):
        resposta = alice.post(reverse("cidadao_lista"), {"q": "silva maria"})
    assert resposta.status_code == 302 and "silva" not in resposta.url
    with django_assert_num_queries(11):
        resposta = alice.get(resposta.url)
    assert "MARIA JOSÉ DA SILVA" in resposta.content.decode()


def test_unificar_pela_pagina(client, mundo):
    coordenador = fabricas.dar_perfis(
        __import__("tests.factories", fromlist=["lotacao"]).lotacao(
            mundo.a, __import__("tests.factories", fromlist=["usuario"]).usuario("Heitor"), cbo="131210",
            estabelecimento=mundo.ubs,
        )
    )
    entrar(client, coordenador)
    um = fabricas.cidadao(mundo.alice, cpf=fabricas.cpf())
    dois = fabricas.cidadao(mundo.alice, cns=fabricas.cns_provisorio())
    url = reverse("cidadao_unificar", args=[um.pk])
    assert "Buscar o outro cadastro" in client.get(url).content.decode()
    assert f"?outro={dois.pk}" in client.post(url, {"q": "maria"}, follow=True).content.decode()
    resposta = client.post(url, {"outro": dois.pk, "sobrevivente": "este", "motivo": "CPF e CNS conferidos"})
    assert resposta.status_code == 302
    with tenant_context(mundo.a.id):
        dois.refresh_from_db()
        um.refresh_from_db()
        assert dois.unificado_com_id == um.pk and um.cns == dois.cns
        assert EventoAuditoria.objects.filter(evento="unificacao_cadastro", cidadao_id=um.pk).exists()


def test_recepcao_nao_unifica(alice, mundo):
    um = fabricas.cidadao(mundo.alice)
    assert alice.get(reverse("cidadao_unificar", args=[um.pk])).status_code == 403


def test_sem_login_vai_para_o_login(client, mundo):
    cidadao = fabricas.cidadao(mundo.alice)
    resposta = client.get(reverse("cidadao_detalhe", args=[cidadao.pk]))
    assert resposta.status_code == 302 and "/conta/login/" in resposta.url


@pytest.mark.parametrize(("campo", "valor", "mensagem"), [
    ("cpf", "abc.def.ghi-jk", "CPF inválido"),
    ("cpf", "123.456.789-0²", "CPF inválido"),
    ("cns", "abc", "CNS inválido"),
    ("cep", "abc", "CEP inválido"),
    ("telefone_celular", "(31) 9abc-0000", "Telefone inválido"),
])
def test_documento_com_letras_e_recusado_e_nada_e_gravado(alice, mundo, campo, valor, mensagem):
    """Letters in a document were dropped and the citizen saved without it: refused instead."""
    resposta = alice.post(reverse("cidadao_novo"), formulario(**{campo: valor}))
    assert resposta.status_code == 200 and mensagem in resposta.content.decode()
    with tenant_context(mundo.a.id):
        assert not Cidadao.objects.exists()
    cidadao = fabricas.cidadao(mundo.alice, cep="30110000")
    resposta = alice.post(reverse("cidadao_editar", args=[cidadao.pk]), formulario(**{campo: valor, "versao": "1"}))
    assert resposta.status_code == 200 and mensagem in resposta.content.decode()
    with tenant_context(mundo.a.id):
        cidadao.refresh_from_db()
        assert cidadao.versao == 1 and cidadao.cep == "30110000"
