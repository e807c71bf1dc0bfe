"""Folha de rosto: one record everywhere (an atendimento at one UBS shows at another, with
where it came from), audited reads, SVG charts, and a pinned number of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pec.models import EventoAuditoria
from pec.tenancy import tenant_context
from prontuario.clinico import services as clinico
from prontuario.vacinacao import services as vacinacao
from tests.mundo import entrar
from tests.prontuario.clinica import clinica, formulario_atendimento

pytestmark = pytest.mark.django_db


def _qd(dados):
    consulta = QueryDict(mutable=True)
    for chave, valor in dados.items():
        consulta.setlist(chave, valor if isinstance(valor, list) else [valor])
    return consulta


def atender(mundo, lotacao, **extra):
    with tenant_context(mundo.a.id):
        atendimento = clinico.atendimento_iniciar(cidadao=mundo.maria, lotacao=lotacao)
        return clinico.atendimento_finalizar(
            atendimento=atendimento, lotacao=lotacao, versao=1, dados=_qd(formulario_atendimento(**extra))
        )


def completo(mundo, n):
    for i in range(n):
        atender(
            mundo,
            mundo.bob,
            **{
                "m-peso": str(70 + i),
                "m-altura": "165",
                "m-pressao_sistolica": str(120 + i),
                "m-pressao_diastolica": "80",
                "prescricoes-0-medicamento": "BR0268315",
                "prescricoes-0-dose": "1 cp",
                "prescricoes-0-via": "0",
                "prescricoes-0-posologia": "12/12h",
                "prescricoes-0-uso_continuo": "on",
                "alergias-0-agente": f"Agente {i}",
                "problemas-1-cid10": "I10",
                "problemas-1-situacao": "0",
            },
        )
    with tenant_context(mundo.a.id):
        for _ in range(n):
            vacinacao.vacinacao_registrar(
                cidadao=mundo.maria,
                lotacao=mundo.nina,
                dados={
                    "data_aplicacao": timezone.localdate(),
                    "imunobiologico": "115",
                    "estrategia": "2",
                    "dose": "9",
                    "lote": "L1",
                    "fabricante": "149",
                    "via": "10890",
                    "local_aplicacao": "3",
                    "grupo_atendimento": "000210",
                    "condicao_maternal": "1",
                    "cid10_motivo_indicacao": "P073",
                },
            )


def test_atendimento_de_uma_ubs_aparece_na_outra_com_a_origem():
    mundo = clinica()
    atender(mundo, mundo.bob, **{"m-peso": "70", "m-altura": "165"})
    pagina = entrar(mundo.olga).get(f"/prontuario/cidadaos/{mundo.maria.pk}/").content.decode()
    assert "UBS Centro" in pagina and "Bob Médico" in pagina
    assert "A03 Febre" in pagina and "R509" in pagina
    assert "<svg" in pagina and "Peso (kg)" in pagina
    with tenant_context(mundo.a.id):
        leitura = EventoAuditoria.objects.filter(evento="leitura_prontuario", o_que="folha de rosto").get()
    assert leitura.cidadao_id == mundo.maria.pk and leitura.lotacao_id == mundo.olga.pk


def test_folha_mostra_problemas_alergias_medicamentos_e_caderneta():
    mundo = clinica()
    completo(mundo, 1)
    pagina = entrar(mundo.olga).get(f"/prontuario/cidadaos/{mundo.maria.pk}/").content.decode()
    for trecho in (
        "Ativo",
        "Agente 0",
        "Abacavir 300 mg",
        "uso contínuo",
        "Nirsevimabe",
        "Registrada no PEC",
        "PA 120/80 mmHg",
        "Pressão arterial (mmHg)",
    ):
        assert trecho in pagina, trecho


# The whole request: session, user and lotação, permissions, transaction and tenant
# settings, the citizen, the audit append (one call of the database's append function), then one query per
# section (problems, allergies, medications, measurements, atendimentos + their problems,
# vaccines, names of codes).
PINNED = 19


def _consultas(cliente, url):
    with CaptureQueriesContext(connection) as consultas:
        assert cliente.get(url).status_code == 200
    return len(consultas)


def test_numero_de_consultas_da_folha_de_rosto_nao_cresce_com_o_prontuario(django_assert_num_queries):
    mundo = clinica()
    completo(mundo, 1)
    olga = entrar(mundo.olga)
    url = f"/prontuario/cidadaos/{mundo.maria.pk}/"
    olga.get(url)  # the first request of a session also touches the session row
    pequeno = _consultas(olga, url)
    completo(mundo, 6)
    with django_assert_num_queries(pequeno):
        olga.get(url)
    assert pequeno == PINNED, pequeno


def test_outro_municipio_404():
    mundo = clinica()
    atender(mundo, mundo.bob)
    for url in (f"/prontuario/cidadaos/{mundo.maria.pk}/", f"/prontuario/cidadaos/{mundo.maria.pk}/historico/"):
        assert entrar(mundo.charlie).get(url).status_code == 404
