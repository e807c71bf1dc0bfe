"""Agenda scope: the agendas, bookings and blocks of a UBS are reached only from a lotação
of that UBS. A receptionist of UBS Jardim gets 404 on every agenda URL of UBS Centro, and
nothing there changes; Centro's own receptionist keeps full access."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from pec.tenancy import tenant_context
from prontuario.agenda import services as agenda
from prontuario.models import AgendaBloqueio, Agendamento
from tests import mundo as fabricas
from tests.mundo import dar_perfis, entrar
from tests.prontuario.clinica import clinica

pytestmark = pytest.mark.django_db


@pytest.fixture
def m():
    mundo = clinica()
    mundo.rita = dar_perfis(
        fabricas.lotacao(mundo.a, fabricas.usuario("Rita Centro"), cbo="422110", estabelecimento=mundo.centro)
    )
    mundo.joana = dar_perfis(
        fabricas.lotacao(mundo.a, fabricas.usuario("Joana Jardim"), cbo="422110", estabelecimento=mundo.jardim)
    )
    with tenant_context(mundo.a.id):
        agenda.agenda_configurar(
            agenda=mundo.bob, duracao_minutos=20, periodos=[(d, datetime.time(7), datetime.time(17)) for d in range(7)]
        )
        amanha = (timezone.localtime() + datetime.timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
        mundo.inicio = amanha
        mundo.agendamento = agenda.agendar(agenda=mundo.bob, cidadao=mundo.maria, inicio=amanha, por=mundo.rita)
        mundo.bloqueio = AgendaBloqueio.objects.create(
            municipio_id=mundo.a.id,
            lotacao=mundo.bob,
            inicio=amanha + datetime.timedelta(hours=3),
            fim=amanha + datetime.timedelta(hours=4),
            motivo="Reunião",
            criado_por=mundo.rita,
        )
    return mundo


def _urls(m):  # type: ignore[no-untyped-def]
    a, ag, bl = m.bob.pk, m.agendamento.pk, m.bloqueio.pk
    livre = (m.inicio + datetime.timedelta(hours=1)).isoformat()
    return [
        ("get", f"/agenda/{a}/", {}),
        ("get", f"/agenda/{a}/horarios/", {}),
        ("post", f"/agenda/{a}/horarios/", {"duracao_minutos": "30"}),
        ("get", f"/agenda/{a}/bloqueios/", {}),
        ("post", f"/agenda/{a}/bloqueios/", {"inicio": livre, "fim": livre, "motivo": "x"}),
        ("post", f"/agenda/bloqueios/{bl}/remover/", {}),
        ("get", f"/agenda/{a}/agendar/", {"inicio": livre}),
        ("post", f"/agenda/{a}/agendar/", {"inicio": livre, "cidadao": str(m.maria.pk)}),
        ("get", f"/agendamentos/{ag}/", {}),
        ("get", f"/agendamentos/{ag}/comprovante/", {}),
        ("post", f"/agendamentos/{ag}/cancelar/", {"motivo": "x"}),
        ("post", f"/agendamentos/{ag}/faltou/", {}),
        ("post", f"/agendamentos/{ag}/chegada/", {}),
    ]


def test_another_ubs_gets_404_on_every_agenda_url_and_nothing_changes(m):
    joana = entrar(m.joana)
    for metodo, url, dados in _urls(m):
        assert getattr(joana, metodo)(url, dados).status_code == 404, url
    with tenant_context(m.a.id):
        assert Agendamento.objects.get().situacao == Agendamento.Situacao.AGENDADO
        assert AgendaBloqueio.objects.count() == 1
        assert m.bob.agenda_configuracao.duracao_minutos == 20
    # Nor does Bob's agenda appear on Jardim's agenda page.
    assert "Bob Médico" not in joana.get("/agenda/").content.decode()


def test_the_ubs_own_reception_keeps_access(m):
    rita = entrar(m.rita)
    for metodo, url, _ in _urls(m):
        if metodo == "get":
            assert rita.get(url, {"inicio": (m.inicio + datetime.timedelta(hours=1)).isoformat()}).status_code == 200, (
                url
            )
    assert "Bob Médico" in rita.get("/agenda/").content.decode()
    assert rita.post(f"/agendamentos/{m.agendamento.pk}/cancelar/", {"motivo": "pediu"}).status_code == 302
    with tenant_context(m.a.id):
        assert Agendamento.objects.get().situacao == Agendamento.Situacao.CANCELADO
