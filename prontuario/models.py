"""Django finds an app's models here; they live by sub-domain in prontuario/<sub>/models.py.

Model labels stay `prontuario.<model>`, so moving a model between sub-packages needs no migration.
"""

from prontuario.cadastro.models import _validar_cpf_opcional  # noqa: F401 (migration 0001 refers to it here)
from prontuario.cadastro.models import (
    Cidadao,
    PalavraFrequencia,
    CidadaoVersao,
    Unificacao,
)
from prontuario.agenda.models import (
    AgendaConfiguracao,
    AgendaHorario,
    AgendaBloqueio,
    Agendamento,
    EntradaLista,
)
from prontuario.terminologia.models import Terminologia, Termo, CiapCid
from prontuario.clinico.models import (
    Medicao,
    EscutaInicial,
    Atendimento,
    Adendo,
    Problema,
    ProblemaAvaliado,
    Alergia,
    Prescricao,
    ExameSolicitado,
    Atestado,
    Encaminhamento,
)
from prontuario.vacinacao.models import RegraVacinacao, Vacinacao

__all__ = [
    "Cidadao",
    "PalavraFrequencia",
    "CidadaoVersao",
    "Unificacao",
    "AgendaConfiguracao",
    "AgendaHorario",
    "AgendaBloqueio",
    "Agendamento",
    "EntradaLista",
    "Terminologia",
    "Termo",
    "CiapCid",
    "Medicao",
    "EscutaInicial",
    "Atendimento",
    "Adendo",
    "Problema",
    "ProblemaAvaliado",
    "Alergia",
    "Prescricao",
    "ExameSolicitado",
    "Atestado",
    "Encaminhamento",
    "RegraVacinacao",
    "Vacinacao",
]
