"""CNES import tasks. Weekly: the beat task fans out one task per active municipality,
each of which imports the newest file of the municipality's folder (ConfiguracaoCnes).
And a file sent on the admin page, previewed or applied out of the request (cnes_import.fila)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from cnes_import.fila import importacao_processar
from cnes_import.services import cnes_importar_da_pasta
from pec.models import Municipio
from pec.tasks import fan_out


@shared_task
def cnes_importar_semanal() -> int:
    return fan_out(cnes_importar_municipio)


# A state-sized file takes about a minute; leave room above the installation's default.
@shared_task(time_limit=1800, soft_time_limit=1500)
def cnes_importar_municipio(*, municipio_id: int) -> dict[str, Any]:
    # The service opens the tenant context itself (the history row is written inside it).
    resultado = cnes_importar_da_pasta(municipio=Municipio.objects.get(id=municipio_id))
    if resultado is None:
        return {"municipio_id": municipio_id, "importado": False}
    return {
        "municipio_id": municipio_id,
        "importado": resultado.ok,
        "importacao_id": resultado.importacao.id,
        "status": resultado.importacao.status,
    }


@shared_task(time_limit=1800, soft_time_limit=1500)
def cnes_importacao_processar(*, municipio_id: int, importacao_id: int) -> dict[str, Any]:
    """A file sent on the page: its preview or its apply (cnes_import.fila)."""
    importacao = importacao_processar(municipio_id=municipio_id, importacao_id=importacao_id)
    return {"importacao_id": importacao_id, "status": importacao.status if importacao else None}
