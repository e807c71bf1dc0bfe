"""SISAB transmission tasks: an hourly beat fans out per municipality; each run checks
its own night window (sisab.envio.transmitir)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from pec.tasks import fan_out
from sisab.envio import transmitir


@shared_task(time_limit=3 * 3600, soft_time_limit=3 * 3600 - 60)
def sisab_transmitir(*, municipio_id: int) -> dict[str, Any]:
    return transmitir(municipio_id=municipio_id)


@shared_task
def sisab_transmissao_noturna() -> int:
    return fan_out(sisab_transmitir)
