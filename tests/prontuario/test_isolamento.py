"""Charlie (municipality B) must get 404 on every page of this app that names an object
of municipality A, whatever his permissions; listing pages never show A's data."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from pec.tenancy import tenant_context
from prontuario.agenda import lista
from prontuario.agenda import services as agenda
from tests import mundo as fabricas
from tests.mundo import entrar

pytestmark = pytest.mark.django_db


@pytest.fixture
def de_a(mundo):
    """One of everything in municipality A."""
    maria = fabricas.cidadao(mundo.alice)
    with tenant_context(mundo.a.id):
        agenda.agenda_configurar(
            agenda=mundo.bob, duracao_minutos=20, periodos=[(d, datetime.time(8), datetime.time(12)) for d in range(7)]
        )
        dia = timezone.localdate() + datetime.timedelta(days=1)
        inicio = timezone.make_aware(datetime.datetime.combine(dia, datetime.time(8)))
        agendamento = agenda.agendar(agenda=mundo.bob, cidadao=maria, inicio=inicio, por=mundo.alice)
        bloqueio = agenda.agenda_bloquear(
            agenda=mundo.bob,
            inicio=inicio + datetime.timedelta(hours=2),
            fim=inicio + datetime.timedelta(hours=3),
            motivo="Reunião",
            por=mundo.alice,
        )
        entrada = lista.lista_adicionar(por=mundo.alice, cidadao=maria)
    return {"cidadao": maria, "agendamento": agendamento, "bloqueio": bloqueio, "entrada": entrada, "inicio": inicio}


@pytest.fixture
def clientes(mundo):
    """Charlie (recepção) and a coordinator (may merge records), both of municipality B."""
    coordenador_b = fabricas.dar_perfis(fabricas.lotacao(mundo.b, fabricas.usuario("Dora"), cbo="131210"))
    return {"recepcao": entrar(mundo.charlie), "coordenacao": entrar(coordenador_b)}


def paginas(mundo, o):
    c, ag, bob = o["cidadao"].pk, o["agendamento"].pk, mundo.bob.pk
    inicio = o["inicio"].isoformat()
    return [
        ("recepcao", "get", reverse("cidadao_detalhe", args=[c]), {}),
        ("recepcao", "get", reverse("cidadao_editar", args=[c]), {}),
        ("recepcao", "post", reverse("cidadao_editar", args=[c]), {"nome": "Invasor Silva"}),
        ("recepcao", "get", reverse("cidadao_historico", args=[c]), {}),
        ("coordenacao", "get", reverse("cidadao_unificar", args=[c]), {}),
        ("recepcao", "get", reverse("lista_adicionar", args=[c]), {}),
        ("recepcao", "post", reverse("lista_adicionar", args=[c]), {}),
        ("recepcao", "get", reverse("agenda_profissional", args=[bob]), {}),
        ("recepcao", "get", reverse("agenda_configurar", args=[bob]), {}),
        ("recepcao", "get", reverse("agenda_bloqueios", args=[bob]), {}),
        ("recepcao", "post", reverse("agenda_desbloquear", args=[o["bloqueio"].pk]), {}),
        ("recepcao", "get", reverse("agendar", args=[bob]), {"inicio": inicio}),
        ("recepcao", "post", reverse("agendar", args=[bob]), {"inicio": inicio, "cidadao": c}),
        ("recepcao", "get", reverse("agendamento_detalhe", args=[ag]), {}),
        ("recepcao", "get", reverse("agendamento_comprovante", args=[ag]), {}),
        *[
            ("recepcao", "post", reverse("agendamento_acao", args=[ag, acao]), {"motivo": "x"})
            for acao in ("cancelar", "faltou", "remarcar", "chegada")
        ],
        ("recepcao", "post", reverse("lista_situacao", args=[o["entrada"].pk]), {"situacao": "cancelado"}),
    ]


def test_outro_municipio_recebe_404_em_toda_pagina_com_id(mundo, de_a, clientes):
    falhas = []
    for quem, metodo, url, dados in paginas(mundo, de_a):
        resposta = getattr(clientes[quem], metodo)(url, dados)
        if resposta.status_code != 404:
            falhas.append((metodo, url, resposta.status_code))
    assert falhas == []


def test_citizen_of_a_as_parameter_of_b_pages_is_404(mundo, de_a, clientes):
    meu = fabricas.cidadao(mundo.charlie, nome="Carlos Bento")
    url = reverse("cidadao_unificar", args=[meu.pk])
    assert clientes["coordenacao"].get(url, {"outro": de_a["cidadao"].pk}).status_code == 404
    with tenant_context(mundo.b.id):
        agenda.agenda_configurar(
            agenda=mundo.charlie,
            duracao_minutos=20,
            periodos=[(d, datetime.time(8), datetime.time(12)) for d in range(7)],
        )
    resposta = clientes["recepcao"].post(
        reverse("agendar", args=[mundo.charlie.pk]),
        {"inicio": de_a["inicio"].isoformat(), "cidadao": de_a["cidadao"].pk},
    )
    assert resposta.status_code == 404


def test_listas_de_b_nao_mostram_dados_de_a(mundo, de_a, clientes):
    c = clientes["recepcao"]
    assert "MARIA" not in c.post(reverse("cidadao_lista"), {"q": "maria silva"}, follow=True).content.decode()
    assert "MARIA" not in c.get(reverse("lista_atendimentos"), {"situacao": "todas"}).content.decode()
    assert "MARIA" not in c.get(reverse("lista_fragmento")).content.decode()
    assert "Bob" not in c.get(reverse("agenda_ubs")).content.decode()
    assert "Bob" not in c.get(reverse("agenda_ubs"), {"semana": "1"}).content.decode()
