"""Agenda: slots from opening hours, blocked periods, booking conflicts, cancel,
reschedule, faltou, e-mail (and none in a training municipality)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from pec.models import EmailSaidaMunicipio, Municipio
from pec.tenancy import tenant_context
from prontuario.agenda import services as agenda
from prontuario.models import Agendamento
from tests import mundo as fabricas

pytestmark = pytest.mark.django_db

TODOS_OS_DIAS = [(d, datetime.time(8), datetime.time(12)) for d in range(7)]


def amanha_as(hora: int, minuto: int = 0) -> datetime.datetime:
    dia = timezone.localdate() + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(dia, datetime.time(hora, minuto)))


@pytest.fixture
def agenda_bob(mundo):
    with tenant_context(mundo.a.id):
        agenda.agenda_configurar(agenda=mundo.bob, duracao_minutos=20, periodos=TODOS_OS_DIAS)
    return mundo.bob


def agendar(mundo, cidadao, inicio, **kw):
    with tenant_context(mundo.a.id):
        return agenda.agendar(agenda=mundo.bob, cidadao=cidadao, inicio=inicio, por=mundo.alice, **kw)


def test_horarios_do_dia_em_fatias(mundo, agenda_bob):
    with tenant_context(mundo.a.id):
        horarios = agenda.agenda_dia(agenda=mundo.bob, dia=amanha_as(8).date())
    assert len(horarios) == 12 and all(h.livre for h in horarios)
    assert (horarios[0].inicio, horarios[-1].fim) == (amanha_as(8), amanha_as(12))


def test_configuracao_recusa_periodos_sobrepostos(mundo):
    with tenant_context(mundo.a.id), pytest.raises(ValidationError, match="sobrepõem"):
        agenda.agenda_configurar(
            agenda=mundo.bob,
            duracao_minutos=20,
            periodos=[(0, datetime.time(8), datetime.time(12)), (0, datetime.time(11), datetime.time(13))],
        )


def test_conflitos_de_agendamento(mundo, agenda_bob):
    maria = fabricas.cidadao(mundo.alice)
    joao = fabricas.cidadao(mundo.alice, nome="João Pereira", sexo=0)
    agendar(mundo, maria, amanha_as(8))
    with pytest.raises(ValidationError, match="acabou de ser ocupado"):
        agendar(mundo, joao, amanha_as(8))
    with pytest.raises(ValidationError, match="não existe na agenda"):
        agendar(mundo, joao, amanha_as(8, 10))  # not aligned to a 20-minute slot
    with pytest.raises(ValidationError, match="não existe na agenda"):
        agendar(mundo, joao, amanha_as(13))  # outside the opening hours
    passado = timezone.make_aware(
        datetime.datetime.combine(timezone.localdate() - datetime.timedelta(days=1), datetime.time(8))
    )
    with pytest.raises(ValidationError, match="já passou"):
        agendar(mundo, joao, passado)
    # The same citizen cannot be in two places at once, even with another professional.
    with tenant_context(mundo.a.id):
        agenda.agenda_configurar(agenda=mundo.alice, duracao_minutos=20, periodos=TODOS_OS_DIAS)
        with pytest.raises(ValidationError, match="já tem agendamento neste horário"):
            agenda.agendar(agenda=mundo.alice, cidadao=maria, inicio=amanha_as(8), por=mundo.alice)


def test_bloqueio_impede_agendar_e_nao_se_sobrepoe_a_agendamento(mundo, agenda_bob):
    maria = fabricas.cidadao(mundo.alice)
    agendar(mundo, maria, amanha_as(8))
    with tenant_context(mundo.a.id):
        with pytest.raises(ValidationError, match="cancele ou remarque"):
            agenda.agenda_bloquear(
                agenda=mundo.bob, inicio=amanha_as(8), fim=amanha_as(9), motivo="Reunião", por=mundo.alice
            )
        agenda.agenda_bloquear(
            agenda=mundo.bob, inicio=amanha_as(10), fim=amanha_as(11), motivo="Reunião", por=mundo.alice
        )
    with pytest.raises(ValidationError, match="Horário bloqueado: Reunião"):
        agendar(mundo, maria, amanha_as(10, 20))


def test_cancelar_libera_remarcar_e_faltou(mundo, agenda_bob):
    maria = fabricas.cidadao(mundo.alice)
    joao = fabricas.cidadao(mundo.alice, nome="João Pereira", sexo=0)
    primeiro = agendar(mundo, maria, amanha_as(8))
    with tenant_context(mundo.a.id):
        agenda.agendamento_cancelar(agendamento=primeiro, por=mundo.alice, motivo="pediu")
        with pytest.raises(ValidationError, match="já está cancelado"):
            agenda.agendamento_cancelar(agendamento=primeiro, por=mundo.alice, motivo="de novo")
    segundo = agendar(mundo, joao, amanha_as(8))  # the slot is free again
    with tenant_context(mundo.a.id):
        novo = agenda.agendamento_remarcar(agendamento=segundo, novo_inicio=amanha_as(9), por=mundo.alice)
        segundo.refresh_from_db()
        assert (segundo.situacao, novo.remarcado_de_id, novo.inicio) == ("remarcado", segundo.pk, amanha_as(9))
        with pytest.raises(ValidationError, match="depois do horário"):
            agenda.agendamento_faltou(agendamento=novo, por=mundo.alice)
        Agendamento.objects.filter(pk=novo.pk).update(inicio=amanha_as(9) - datetime.timedelta(days=2))
        assert agenda.agendamento_faltou(agendamento=novo, por=mundo.alice).situacao == "faltou"


def test_email_de_confirmacao_vai_para_a_fila_e_nao_sai_em_treinamento(mundo, agenda_bob, alice):
    maria = fabricas.cidadao(mundo.alice, email="maria@example.org")
    agendar(mundo, maria, amanha_as(8))
    with tenant_context(mundo.a.id):
        email = EmailSaidaMunicipio.objects.get()
    assert email.para == ["maria@example.org"] and email.status == "pendente"
    assert "com Bob, na UBS Centro" in email.corpo
    Municipio.objects.filter(pk=mundo.a.pk).update(modo=Municipio.Modo.TREINAMENTO)
    resposta = alice.post(
        reverse("agendar", args=[mundo.bob.pk]), {"inicio": amanha_as(9).isoformat(), "cidadao": maria.pk}, follow=True
    )
    html = resposta.content.decode()
    assert "Município em treinamento: nenhum e-mail foi enviado. Teria sido enviado a maria@example.org" in html
    with tenant_context(mundo.a.id):
        assert EmailSaidaMunicipio.objects.filter(status="suprimido").count() == 1


def test_paginas_da_agenda(alice, mundo, agenda_bob):
    maria = fabricas.cidadao(mundo.alice)
    dia = amanha_as(8).date().isoformat()
    assert "Bob" in alice.get(reverse("agenda_ubs"), {"dia": dia}).content.decode()
    pagina = alice.get(reverse("agenda_profissional", args=[mundo.bob.pk]), {"dia": dia}).content.decode()
    assert "Livre — agendar" in pagina
    assert (
        "MARIA"
        in alice.post(
            reverse("agendar", args=[mundo.bob.pk]), {"inicio": amanha_as(8).isoformat(), "q": "maria"}, follow=True
        ).content.decode()
    )
    resposta = alice.post(
        reverse("agendar", args=[mundo.bob.pk]), {"inicio": amanha_as(8).isoformat(), "cidadao": maria.pk}
    )
    assert resposta.status_code == 302
    semana = alice.get(
        reverse("agenda_profissional", args=[mundo.bob.pk]), {"dia": dia, "semana": "1"}
    ).content.decode()
    assert "MARIA JOSÉ DA SILVA" in semana
    with tenant_context(mundo.a.id):
        agendamento = Agendamento.objects.get()
    comprovante = alice.get(reverse("agendamento_comprovante", args=[agendamento.pk])).content.decode()
    assert "Comprovante de agendamento" in comprovante and "08:00" in comprovante
    resposta = alice.post(
        reverse("agendamento_acao", args=[agendamento.pk, "remarcar"]),
        {"novo_inicio": amanha_as(10).strftime("%Y-%m-%dT%H:%M")},
    )
    assert resposta.status_code == 302
    with tenant_context(mundo.a.id):
        assert list(Agendamento.objects.order_by("id").values_list("situacao", flat=True)) == ["remarcado", "agendado"]
    resposta = alice.post(
        reverse("agenda_configurar", args=[mundo.bob.pk]),
        {
            "duracao_minutos": "30",
            "h-TOTAL_FORMS": "3",
            "h-INITIAL_FORMS": "0",
            "h-MIN_NUM_FORMS": "0",
            "h-MAX_NUM_FORMS": "1000",
            "h-0-dia_semana": "0",
            "h-0-inicio": "13:00",
            "h-0-fim": "17:00",
            "h-1-dia_semana": "",
            "h-1-inicio": "",
            "h-1-fim": "",
            "h-2-dia_semana": "2",
            "h-2-inicio": "",
            "h-2-fim": "",
        },
    )
    assert "Informe o dia, o início e o fim do período." in resposta.content.decode()
    resposta = alice.post(
        reverse("agenda_configurar", args=[mundo.bob.pk]),
        {
            "duracao_minutos": "30",
            "h-TOTAL_FORMS": "2",
            "h-INITIAL_FORMS": "0",
            "h-MIN_NUM_FORMS": "0",
            "h-MAX_NUM_FORMS": "1000",
            "h-0-dia_semana": "0",
            "h-0-inicio": "13:00",
            "h-0-fim": "17:00",
            "h-1-dia_semana": "",
            "h-1-inicio": "",
            "h-1-fim": "",
        },
    )
    assert resposta.status_code == 302
    with tenant_context(mundo.a.id):
        assert [(h.dia_semana, h.inicio) for h in mundo.bob.agenda_horarios.all()] == [(0, datetime.time(13))]


def test_semana_da_ubs_resume_cada_dia_de_cada_profissional(alice, mundo, agenda_bob):
    maria = fabricas.cidadao(mundo.alice)
    joao = fabricas.cidadao(mundo.alice, nome="João Pereira", sexo=0)
    agendar(mundo, maria, amanha_as(8))
    with tenant_context(mundo.a.id):
        agenda.agenda_configurar(
            agenda=mundo.alice,
            duracao_minutos=30,
            periodos=[(amanha_as(8).weekday(), datetime.time(13), datetime.time(15))],
        )
        agenda.agenda_bloquear(
            agenda=mundo.bob, inicio=amanha_as(11), fim=amanha_as(12), motivo="Reunião", por=mundo.alice
        )
        agenda.agenda_bloquear(
            agenda=mundo.alice, inicio=amanha_as(13), fim=amanha_as(14), motivo="Visita", por=mundo.alice
        )
        agenda.agendar(agenda=mundo.alice, cidadao=joao, inicio=amanha_as(14), por=mundo.alice)
        resumos = agenda.agendas_periodo(agendas=[mundo.bob, mundo.alice], dias=[amanha_as(8).date()])
    # Bob: 12 slots of 20 min, 1 booked, 3 blocked; Alice: 4 slots of 30 min, 2 blocked, 1 booked.
    assert agenda.ResumoDia.de(resumos[mundo.bob.pk, amanha_as(8).date()]) == agenda.ResumoDia(1, 0, 8, 3)
    assert agenda.ResumoDia.de(resumos[mundo.alice.pk, amanha_as(8).date()]) == agenda.ResumoDia(1, 0, 1, 2)

    html = alice.get(reverse("agenda_ubs"), {"dia": amanha_as(8).date().isoformat(), "semana": "1"}).content.decode()
    assert "semana de" in html and html.index("Alice") < html.index("Bob")
    assert "8 livres" in html and "3 bloqueados" in html and "1 livre · " in html and "1 livres" not in html
    assert f'?dia={amanha_as(8).date().isoformat()}">1 agendado</a>' in html
    esta_semana = alice.get(reverse("agenda_ubs"), {"semana": "1"}).content.decode()
    assert esta_semana.count('class="hoje"') == 3  # today's header and its cell in both rows


def test_semana_da_ubs_tem_consultas_fixas(alice, mundo, agenda_bob, django_assert_num_queries):
    url, dados = reverse("agenda_ubs"), {"dia": amanha_as(8).date().isoformat(), "semana": "1"}
    alice.get(url, dados)  # the session's first request also touches the session row
    with django_assert_num_queries(14) as uma:  # 10 of session, tenant and menu; 4 of the week
        alice.get(url, dados)
    with tenant_context(mundo.a.id):
        agenda.agenda_configurar(agenda=mundo.alice, duracao_minutos=30, periodos=TODOS_OS_DIAS)
    agendar(mundo, fabricas.cidadao(mundo.alice), amanha_as(8))
    with django_assert_num_queries(len(uma.captured_queries)):
        html = alice.get(url, dados).content.decode()
    assert "Alice" in html and "Bob" in html


def test_semana_do_profissional_tem_consultas_fixas(alice, mundo, agenda_bob, django_assert_num_queries):
    url, dados = (
        reverse("agenda_profissional", args=[mundo.bob.pk]),
        {"dia": amanha_as(8).date().isoformat(), "semana": "1"},
    )
    alice.get(url, dados)  # the session's first request also touches the session row
    # session, tenant, menu and the agenda; then 4 for the whole week, not 4 a day
    with django_assert_num_queries(14):
        alice.get(url, dados)
    agendar(mundo, fabricas.cidadao(mundo.alice), amanha_as(8))
    with django_assert_num_queries(14):
        assert "MARIA JOSÉ DA SILVA" in alice.get(url, dados).content.decode()
