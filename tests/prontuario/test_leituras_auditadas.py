"""Every page that shows a citizen writes exactly one read of that citizen to the audit
trail (issue 16, item 3): the read goes through a selector that audits, never a lookup in
the view. The events are counted in PostgreSQL, inside the municipality's tenant (the
chain is under row-level security)."""

from __future__ import annotations

import datetime

import pytest
from django.http import QueryDict
from django.utils import timezone

from pec.audit.chain import audit_read
from pec.models import EventoAuditoria
from pec.tenancy import tenant_context
from prontuario.agenda import services as agenda
from prontuario.clinico import services as clinico
from prontuario.vacinacao import services as vacinacao
from tests import mundo as fabricas
from tests.atores import ator_de
from tests.mundo import dar_perfis, entrar, na_fila
from tests.prontuario.clinica import clinica, formulario_atendimento

pytestmark = pytest.mark.django_db

DOSE = {
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
}


def leituras(mundo, cidadao) -> int:
    with tenant_context(mundo.a.id):
        return EventoAuditoria.objects.filter(evento="leitura_prontuario", cidadao_id=cidadao.pk).count()


def _qd(dados):
    consulta = QueryDict(mutable=True)
    for chave, valor in dados.items():
        consulta.setlist(chave, valor if isinstance(valor, list) else [valor])
    return consulta


@pytest.fixture
def m():
    mundo = clinica()
    mundo.rita = dar_perfis(
        fabricas.lotacao(mundo.a, fabricas.usuario("Rita Recepção"), cbo="422110", estabelecimento=mundo.centro)
    )
    with tenant_context(mundo.a.id):
        rascunho = clinico.atendimento_iniciar(cidadao=mundo.maria, lotacao=mundo.bob)
        mundo.atendimento = clinico.atendimento_finalizar(
            atendimento=rascunho,
            lotacao=mundo.bob,
            versao=1,
            dados=_qd(
                formulario_atendimento(
                    **{
                        "prescricoes-0-medicamento": "BR0268315",
                        "prescricoes-0-dose": "1 cp",
                        "prescricoes-0-via": "0",
                        "prescricoes-0-posologia": "12/12h",
                        "prescricoes-0-uso_continuo": "on",
                    }
                )
            ),
        )
        mundo.dose = vacinacao.vacinacao_registrar(
            cidadao=mundo.maria, lotacao=mundo.nina, dados={**DOSE, "data_aplicacao": timezone.localdate()}
        )
        agenda.agenda_configurar(
            agenda=mundo.bob, duracao_minutos=20, periodos=[(d, datetime.time(7), datetime.time(17)) for d in range(7)]
        )
        amanha = timezone.localtime() + datetime.timedelta(days=1)
        amanha = amanha.replace(hour=9, minute=0, second=0, microsecond=0)
        mundo.agendamento = agenda.agendar(agenda=mundo.bob, cidadao=mundo.maria, inicio=amanha, por=mundo.rita)
    mundo.entrada = na_fila(mundo.maria, mundo.nina)
    return mundo


# (who opens it, the page): every page of municipality A that shows Maria.
PAGINAS = {
    "cadastro": ("rita", lambda m: f"/cidadaos/{m.maria.pk}/"),
    "cadastro (edição)": ("rita", lambda m: f"/cidadaos/{m.maria.pk}/editar/"),
    "histórico do cadastro": ("rita", lambda m: f"/cidadaos/{m.maria.pk}/historico/"),
    "inclusão na lista": ("rita", lambda m: f"/cidadaos/{m.maria.pk}/lista/"),
    "agendamento": ("rita", lambda m: f"/agendamentos/{m.agendamento.pk}/"),
    "comprovante de agendamento": ("rita", lambda m: f"/agendamentos/{m.agendamento.pk}/comprovante/"),
    "escolha do horário": (
        "rita",
        lambda m: f"/agenda/{m.bob.pk}/agendar/?inicio=2030-01-07T08:00:00&cidadao={m.maria.pk}",
    ),
    "folha de rosto": ("bob", lambda m: f"/prontuario/cidadaos/{m.maria.pk}/"),
    "histórico clínico": ("bob", lambda m: f"/prontuario/cidadaos/{m.maria.pk}/historico/"),
    "atendimento": ("bob", lambda m: f"/prontuario/atendimentos/{m.atendimento.pk}/"),
    "documento": ("bob", lambda m: f"/prontuario/atendimentos/{m.atendimento.pk}/prescricao.pdf"),
    "escuta inicial": ("nina", lambda m: f"/prontuario/lista/{m.entrada.pk}/escuta/"),
    "vacinação": ("nina", lambda m: f"/prontuario/cidadaos/{m.maria.pk}/vacinacao/"),
    "correção de dose": ("nina", lambda m: f"/prontuario/vacinacoes/{m.dose.pk}/corrigir/"),
}


def test_o_contador_ve_uma_leitura_gravada(m):
    """Positive control: a read written through the audit shows in the count."""
    assert leituras(m, m.maria) == 0
    with tenant_context(m.a.id):
        audit_read(ator=ator_de(m.bob), cidadao_id=m.maria.pk, o_que="controle")
    assert leituras(m, m.maria) == 1


def test_pagina_sem_cidadao_nao_grava_leitura(m):
    assert entrar(m.rita).get("/lista/").status_code == 200
    assert leituras(m, m.maria) == 0


@pytest.mark.parametrize("pagina", PAGINAS)
def test_cada_pagina_que_mostra_o_cidadao_grava_exatamente_uma_leitura(m, pagina):
    quem, url = PAGINAS[pagina]
    antes = leituras(m, m.maria)
    resposta = entrar(getattr(m, quem)).get(url(m))
    assert resposta.status_code == 200, (pagina, resposta.status_code)
    assert leituras(m, m.maria) - antes == 1, pagina
