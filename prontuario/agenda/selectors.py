"""Reads of the agenda that show a citizen: through here, so each is audited."""

from __future__ import annotations

from pec.ator import Ator
from pec.audit.chain import audit_read
from prontuario.agenda.services import agendamento_obter
from prontuario.models import Agendamento


def agendamento_ler(*, ator: Ator, agendamento_id: int, o_que: str) -> Agendamento:
    """A booking of the actor's UBS for a page that shows it (its citizen's name, CNS,
    phone): the read of that citizen is audited. DoesNotExist otherwise."""
    agendamento = agendamento_obter(lotacao=ator.lotacao_exigida(), agendamento_id=agendamento_id)
    audit_read(ator=ator, cidadao_id=agendamento.cidadao_id, o_que=o_que)
    return agendamento
