"""Lista de atendimentos: arrivals, state transitions with timestamps, order by risk then
arrival, filters, the auto-refreshing fragment and its pinned number of queries."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from pec.tenancy import tenant_context
from prontuario.agenda import lista
from prontuario.agenda import services as agenda
from prontuario.models import EntradaLista
from tests import mundo as fabricas

pytestmark = pytest.mark.django_db
S = EntradaLista.Situacao


def incluir(mundo, cidadao, **kw):
    with tenant_context(mundo.a.id):
        return lista.lista_adicionar(por=mundo.alice, cidadao=cidadao, **kw)


def mudar(mundo, entrada, nova, **kw):
    with tenant_context(mundo.a.id):
        return lista.lista_mudar_situacao(entrada=entrada, nova=nova, por=mundo.bob, **kw)


def test_chegada_de_agendamento_e_demanda_espontanea(mundo):
    maria = fabricas.cidadao(mundo.alice)
    joao = fabricas.cidadao(mundo.alice, nome="João Pereira", sexo=0)
    with tenant_context(mundo.a.id):
        agenda.agenda_configurar(
            agenda=mundo.bob,
            duracao_minutos=20,
            periodos=[(d, datetime.time(0), datetime.time(23, 40)) for d in range(7)],
        )
        inicio = timezone.now().replace(second=0, microsecond=0) + datetime.timedelta(hours=1)
        inicio = inicio.replace(minute=(inicio.minute // 20) * 20)
        dia = timezone.localtime(inicio)
        horario = next(h for h in agenda.agenda_dia(agenda=mundo.bob, dia=dia.date()) if h.livre)
        agendamento = agenda.agendar(agenda=mundo.bob, cidadao=maria, inicio=horario.inicio, por=mundo.alice)
    entrada = incluir(mundo, maria, agendamento=agendamento)
    with tenant_context(mundo.a.id):
        agendamento.refresh_from_db()
    assert (entrada.tipo, entrada.profissional_id, agendamento.situacao) == ("agendada", mundo.bob.id, "chegou")
    with pytest.raises(ValidationError, match="já está na lista"):
        incluir(mundo, maria)
    espontanea = incluir(mundo, joao)
    assert (espontanea.tipo, espontanea.situacao) == ("espontanea", "aguardando")


def test_transicoes_com_carimbo_de_tempo(mundo):
    entrada = incluir(mundo, fabricas.cidadao(mundo.alice))
    entrada = mudar(mundo, entrada, S.EM_ESCUTA)
    entrada = mudar(mundo, entrada, S.AGUARDANDO, classificacao_risco=1)
    entrada = mudar(mundo, entrada, S.EM_ATENDIMENTO)
    entrada = mudar(mundo, entrada, S.ATENDIDO)
    assert entrada.escuta_em and entrada.atendimento_em and entrada.atendido_em
    assert (entrada.classificacao_risco, entrada.prioridade) == (1, 1)
    assert [h["situacao"] for h in entrada.historico] == [
        "aguardando",
        "em_escuta",
        "aguardando",
        "em_atendimento",
        "atendido",
    ]
    assert entrada.historico[-1]["lotacao_id"] == mundo.bob.id
    with pytest.raises(ValidationError, match="Não é possível passar de “Atendido” para “Aguardando atendimento”"):
        mudar(mundo, entrada, S.AGUARDANDO)


@pytest.mark.parametrize("final", [S.NAO_AGUARDOU, S.CANCELADO])
def test_nao_aguardou_e_cancelado_sao_finais(mundo, final):
    entrada = mudar(mundo, incluir(mundo, fabricas.cidadao(mundo.alice)), final)
    assert getattr(entrada, "nao_aguardou_em" if final == S.NAO_AGUARDOU else "cancelado_em") is not None
    for nova in (S.AGUARDANDO, S.EM_ATENDIMENTO, S.ATENDIDO):
        with pytest.raises(ValidationError):
            mudar(mundo, entrada, nova)


def test_ordem_por_risco_depois_chegada_e_filtros(mundo):
    a = incluir(mundo, fabricas.cidadao(mundo.alice, nome="Ana Primeira"))
    b = incluir(mundo, fabricas.cidadao(mundo.alice, nome="Beto Segundo", sexo=0), profissional=mundo.bob)
    c = incluir(mundo, fabricas.cidadao(mundo.alice, nome="Caio Terceiro", sexo=0))
    mudar(mundo, mudar(mundo, c, S.EM_ESCUTA), S.AGUARDANDO, classificacao_risco=0)  # emergência
    mudar(mundo, mudar(mundo, a, S.EM_ESCUTA), S.AGUARDANDO, classificacao_risco=3)  # eletivo
    with tenant_context(mundo.a.id):
        ordem = [e.pk for e in lista.lista_do_dia(lotacao=mundo.alice, filtro=lista.FiltroLista())]
        so_bob = [
            e.pk
            for e in lista.lista_do_dia(lotacao=mundo.alice, filtro=lista.FiltroLista(profissional_id=mundo.bob.id))
        ]
    assert ordem == [c.pk, a.pk, b.pk]  # emergência, eletivo, not classified
    assert so_bob == [b.pk]
    mudar(mundo, b, S.NAO_AGUARDOU)
    with tenant_context(mundo.a.id):
        assert b.pk not in [e.pk for e in lista.lista_do_dia(lotacao=mundo.alice, filtro=lista.FiltroLista())]


def test_pagina_fragmento_e_consultas_fixas(alice, mundo, django_assert_num_queries):
    for nome in ("Ana Primeira", "Beto Segundo", "Caio Terceiro"):
        incluir(mundo, fabricas.cidadao(mundo.alice, nome=nome), profissional=mundo.bob)
    pagina = alice.get(reverse("lista_atendimentos")).content.decode()
    assert re.search(r'<script src="[^"]*js/lista[^"]*\.js" nonce="[^"]+" defer>', pagina)
    assert 'data-fragmento="/lista/fragmento/?"' in pagina and "ANA PRIMEIRA" in pagina
    alice.get(reverse("lista_fragmento"))
    # session, user, session limits, savepoint + settings, lotação, permissions, the list:
    # the same with 3 rows as with 300.
    with django_assert_num_queries(10):
        fragmento = alice.get(reverse("lista_fragmento"))
    assert fragmento.content.decode().count("<tr") == 3


def test_recepcao_marca_nao_aguardou_pela_pagina(alice, mundo):
    entrada = incluir(mundo, fabricas.cidadao(mundo.alice))
    resposta = alice.post(reverse("lista_situacao", args=[entrada.pk]), {"situacao": "nao_aguardou"})
    assert resposta.status_code == 302
    with tenant_context(mundo.a.id):
        entrada.refresh_from_db()
    assert entrada.situacao == "nao_aguardou"


def test_incluir_pela_pagina_do_cidadao(alice, mundo):
    maria = fabricas.cidadao(mundo.alice)
    resposta = alice.post(reverse("lista_adicionar", args=[maria.pk]), {"profissional": mundo.bob.pk})
    assert resposta.status_code == 302
    with tenant_context(mundo.a.id):
        assert EntradaLista.objects.get().profissional_id == mundo.bob.id


def test_cuidado_e_recepcao_ao_mesmo_tempo_nao_perdem_historico(mundo):
    from prontuario.clinico import services as clinico

    entrada = incluir(mundo, fabricas.cidadao(mundo.alice), profissional=mundo.bob)
    with tenant_context(mundo.a.id):
        com_a_medica = EntradaLista.objects.get(pk=entrada.pk)  # the doctor's page loaded it
    mudar(mundo, entrada, S.EM_ESCUTA)  # meanwhile the nurse took the citizen to escuta
    with tenant_context(mundo.a.id):
        clinico.atendimento_iniciar(cidadao=com_a_medica.cidadao, lotacao=mundo.bob, entrada=com_a_medica)
        historico = EntradaLista.objects.get(pk=entrada.pk).historico
    assert [h["situacao"] for h in historico][-2:] == [S.EM_ESCUTA, S.EM_ATENDIMENTO]
