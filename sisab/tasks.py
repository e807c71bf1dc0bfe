"""SISAB tasks: transmission (an hourly beat fans out per municipality; each run checks
its own night window, sisab.envio.transmitir), and the import of a lote uploaded on the
admin page, out of the request (sisab.recebimento.lote_enfileirar)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from pec.tasks import fan_out
from sisab.envio import transmitir
from sisab.recebimento import lote_processar


@shared_task(time_limit=3 * 3600, soft_time_limit=3 * 3600 - 60)
def sisab_transmitir(*, municipio_id: int) -> dict[str, Any]:
    return transmitir(municipio_id=municipio_id)


@shared_task
def sisab_transmissao_noturna() -> int:
    return fan_out(sisab_transmitir)


# A state's lote of 200,000 fichas takes long; leave room above the installation's default.
@shared_task(time_limit=3 * 3600, soft_time_limit=3 * 3600 - 60)
def sisab_lote_importar(*, municipio_id: int, lote_id: int) -> dict[str, Any]:
    lote = lote_processar(municipio_id=municipio_id, lote_id=lote_id)
    return {"lote_id": lote_id, "status": lote.status if lote else None}
