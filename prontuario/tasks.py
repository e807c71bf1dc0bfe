"""Beat: the citizen search's word counts, recomputed nightly per municipality."""

from __future__ import annotations

from celery import shared_task

from pec.tasks import fan_out
from pec.tenancy import tenant_task
from prontuario.cadastro.services import palavras_frequencias_atualizar


@shared_task
@tenant_task
def palavras_frequencias(*, municipio_id: int) -> int:
    return palavras_frequencias_atualizar(municipio_id=municipio_id)


@shared_task
def palavras_frequencias_todas() -> int:
    return fan_out(palavras_frequencias)
