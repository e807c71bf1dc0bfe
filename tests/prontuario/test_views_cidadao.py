"""Cidadão pages as the receptionist uses them, and what others may not see."""

from __future__ import annotations

import pytest
from django.urls import reverse

from pec.models import EventoAuditoria
from pec.tenancy import tenant_context
from prontuario.models import Cidadao, CidadaoVersao
from tests import mundo as fabricas
from tests.mundo import entrar

pytestmark = pytest.mark.django_db


def formulario(**campos):
    base = {
        "nome": "Maria José da Silva",
        "data_nascimento": "1980-03-12",
        "sexo": "1",
        "raca_cor": "4",
        "nome_mae": "Ana Aparecida da Silva",
        "pai_desconhecido": "on",
        "nacionalidade": "1",
        "uf_nascimento": "MG",
        "municipio_nascimento": "belo horizonte",
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
    linha = html[html.index(filho.nome_exibicao) :]
    assert "encontrado pelo nome da mãe" in linha[: linha.index("</tr>")]
    html = alice.post(reverse("cidadao_lista"), {"q": "pedro costa"}, follow=True).content.decode()
    assert filho.nome_exibicao in html and "encontrado pelo nome da mãe" not in html


def test_busca_pela_pagina_com_consultas_fixas(alice, mundo, django_assert_num_queries):
    fabricas.cidadao(mundo.alice)
    alice.get(reverse("cidadao_lista"))  # session and permissions warmed like any request
    # session, user, session limits, savepoint + user and tenant settings, lotação,
    # permissions, the search's word counts, the search and its audit event, release:
    # nothing grows with the number of results.
    # The search is posted: the request's setup, no search, and the session saved with it
    # (12); then shown at ?busca=<id> with 12 queries, as when it was in the URL.
    with django_assert_num_queries(12):
        resposta = alice.post(reverse("cidadao_lista"), {"q": "silva maria"})
    assert resposta.status_code == 302 and "silva" not in resposta.url
    with django_assert_num_queries(12):
        resposta = alice.get(resposta.url)
    assert "MARIA JOSÉ DA SILVA" in resposta.content.decode()


def test_unificar_pela_pagina(client, mundo):
    coordenador = fabricas.dar_perfis(
        fabricas.lotacao(
            mundo.a,
            fabricas.usuario("Heitor"),
            cbo="131210",
            estabelecimento=mundo.ubs,
        )
    )
    entrar(coordenador, client=client)
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


# --- Every page that shows a citizen writes its read (issue 14, item 3) ----------------------


def eventos_de_a(mundo) -> list[tuple[str, int | None, str]]:
    with tenant_context(mundo.a.id):
        return [
            (e.evento, e.cidadao_id, e.o_que)
            for e in EventoAuditoria.objects.filter(evento__in=["leitura_prontuario", "busca_cidadao"]).order_by(
                "sequencia"
            )
        ]


def coordenador(client, mundo):
    lotacao = fabricas.lotacao(mundo.a, fabricas.usuario("Heitor"), cbo="131210", estabelecimento=mundo.ubs)
    return entrar(fabricas.dar_perfis(lotacao), client=client)


def test_formulario_de_edicao_grava_uma_leitura(alice, mundo):
    cidadao = fabricas.cidadao(mundo.alice)
    assert alice.get(reverse("cidadao_editar", args=[cidadao.pk])).status_code == 200
    assert eventos_de_a(mundo) == [("leitura_prontuario", cidadao.pk, "cadastro (edição)")]


def test_incluir_na_lista_grava_uma_leitura(alice, mundo):
    cidadao = fabricas.cidadao(mundo.alice)
    assert alice.get(reverse("lista_adicionar", args=[cidadao.pk])).status_code == 200
    assert eventos_de_a(mundo) == [("leitura_prontuario", cidadao.pk, "inclusão na lista de atendimentos")]


def test_agendar_com_cidadao_escolhido_grava_uma_leitura(alice, mundo):
    cidadao = fabricas.cidadao(mundo.alice)
    inicio = "2030-01-07T08:00:00"
    resposta = alice.get(reverse("agendar", args=[mundo.bob.id]), {"inicio": inicio, "cidadao": cidadao.pk})
    assert resposta.status_code == 200 and cidadao.nome_exibicao in resposta.content.decode()
    assert eventos_de_a(mundo) == [("leitura_prontuario", cidadao.pk, "agendamento (escolha do horário)")]


def test_pagina_de_unificacao_grava_uma_leitura_por_cidadao_mostrado(client, mundo):
    coordenador(client, mundo)
    um = fabricas.cidadao(mundo.alice, cpf=fabricas.cpf())
    dois = fabricas.cidadao(mundo.alice, cns=fabricas.cns_provisorio())
    url = reverse("cidadao_unificar", args=[um.pk])
    assert client.get(url).status_code == 200
    assert eventos_de_a(mundo) == [("leitura_prontuario", um.pk, "cadastro (unificação)")]
    assert client.get(url, {"outro": dois.pk}).status_code == 200
    assert eventos_de_a(mundo)[1:] == [
        ("leitura_prontuario", um.pk, "cadastro (unificação)"),
        ("leitura_prontuario", dois.pk, "cadastro (unificação)"),
    ]


def test_busca_grava_o_hmac_da_consulta_e_os_ids_mostrados_nunca_o_texto(alice, mundo):
    from pec.audit.chain import consulta_hmac

    maria = fabricas.cidadao(mundo.alice, cpf=fabricas.cpf())
    fabricas.cidadao(mundo.alice, nome="Pedro Henrique Costa", sexo=0)
    resposta = alice.post(reverse("cidadao_lista"), {"q": maria.cpf}, follow=True)
    assert maria.nome_exibicao in resposta.content.decode()
    alice.post(reverse("cidadao_lista"), {"q": "ninguem comessenome"}, follow=True)
    with tenant_context(mundo.a.id):
        buscas = list(EventoAuditoria.objects.filter(evento="busca_cidadao").order_by("sequencia"))
        assert EventoAuditoria.objects.exclude(evento="busca_cidadao").filter(evento="leitura_prontuario").count() == 0
    assert [(b.cidadao_id, b.detalhes["cidadaos"], b.o_que) for b in buscas] == [
        (None, [maria.pk], "busca de cidadão (1 resultado(s))"),
        (None, [], "busca de cidadão (0 resultado(s))"),
    ]
    assert buscas[0].detalhes["consulta_hmac"] == consulta_hmac(f"  {maria.cpf} ")
    assert buscas[1].detalhes["consulta_hmac"] == consulta_hmac("Ninguem  ComEsseNome")
    texto = "".join(f"{b.o_que}{b.detalhes}" for b in buscas)
    assert maria.cpf not in texto and "ninguem" not in texto.lower()


def test_possiveis_duplicados_mostrados_vao_para_a_auditoria(alice, mundo):
    existente = fabricas.cidadao(mundo.alice)
    resposta = alice.post(reverse("cidadao_novo"), formulario(nome="MARIA JOSE SILVA"))
    assert "Possível cadastro duplicado" in resposta.content.decode()
    with tenant_context(mundo.a.id):
        evento = EventoAuditoria.objects.get(evento="busca_cidadao")
    assert (evento.o_que, evento.detalhes) == ("possíveis cadastros duplicados (1)", {"cidadaos": [existente.pk]})


@pytest.mark.parametrize(
    ("campo", "valor", "mensagem"),
    [
        ("cpf", "abc.def.ghi-jk", "CPF inválido"),
        ("cpf", "123.456.789-0²", "CPF inválido"),
        ("cns", "abc", "CNS inválido"),
        ("cep", "abc", "CEP inválido"),
        ("telefone_celular", "(31) 9abc-0000", "Telefone inválido"),
    ],
)
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
