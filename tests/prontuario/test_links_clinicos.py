"""From the citizen's page, each professional reaches the clinical work their perfil allows."""

from __future__ import annotations

import pytest
from django.urls import reverse

from pec.tenancy import tenant_context
from prontuario.clinico.models import Atendimento
from tests import mundo as fabricas
from tests.mundo import entrar

pytestmark = pytest.mark.django_db


def test_doctor_sees_record_atendimento_and_vaccine_links_and_can_start(mundo):
    cidadao = fabricas.cidadao(mundo.alice)
    medico = entrar(mundo.bob)
    html = medico.get(reverse("cidadao_detalhe", args=[cidadao.pk])).content.decode()
    assert reverse("prontuario_folha_rosto", args=[cidadao.pk]) in html
    assert reverse("prontuario_atendimento_iniciar", args=[cidadao.pk]) in html
    resposta = medico.post(reverse("prontuario_atendimento_iniciar", args=[cidadao.pk]))
    with tenant_context(mundo.a.id):
        atendimento = Atendimento.objects.get(cidadao=cidadao)
    assert resposta.url == reverse("prontuario_atendimento", args=[atendimento.pk])  # type: ignore[attr-defined]  # a redirect carries .url; the test client type lacks it


def test_receptionist_sees_no_clinical_actions(mundo, alice):
    cidadao = fabricas.cidadao(mundo.alice)
    html = alice.get(reverse("cidadao_detalhe", args=[cidadao.pk])).content.decode()
    assert reverse("prontuario_folha_rosto", args=[cidadao.pk]) not in html
    assert reverse("prontuario_atendimento_iniciar", args=[cidadao.pk]) not in html
    assert reverse("prontuario_vacinacao", args=[cidadao.pk]) not in html
