"""Django finds an app's models here; they live by sub-domain in prontuario/<sub>/models.py.

Model labels stay `prontuario.<model>`, so moving a model between sub-packages needs no migration.
"""

from prontuario.agenda.models import (
    AgendaBloqueio,
    AgendaConfiguracao,
    AgendaHorario,
    Agendamento,
    EntradaLista,
)
from prontuario.cadastro.models import (
    Cidadao,
    CidadaoVersao,
    PalavraFrequencia,
    Unificacao,
    _validar_cpf_opcional,  # noqa: F401 (migration 0001 refers to it here)
)
from prontuario.clinico.models import (
    Adendo,
    Alergia,
    Atendimento,
    Atestado,
    Encaminhamento,
    EscutaInicial,
    ExameSolicitado,
    Medicao,
    Prescricao,
    Problema,
    ProblemaAvaliado,
)
from prontuario.terminologia.models import CiapCid, Terminologia, Termo
from prontuario.vacinacao.models import RegraVacinacao, Vacinacao

__all__ = [
    "Adendo",
    "AgendaBloqueio",
    "AgendaConfiguracao",
    "AgendaHorario",
    "Agendamento",
    "Alergia",
    "Atendimento",
    "Atestado",
    "CiapCid",
    "Cidadao",
    "CidadaoVersao",
    "Encaminhamento",
    "EntradaLista",
    "EscutaInicial",
    "ExameSolicitado",
    "Medicao",
    "PalavraFrequencia",
    "Prescricao",
    "Problema",
    "ProblemaAvaliado",
    "RegraVacinacao",
    "Terminologia",
    "Termo",
    "Unificacao",
    "Vacinacao",
]
