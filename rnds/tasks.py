"""Beat: warn the municipal administrators before the A1 certificate expires."""

from __future__ import annotations

from celery import shared_task

from pec.tasks import fan_out
from pec.tenancy import tenant_task
from rnds.services import certificados_avisar_vencimento


@shared_task
@tenant_task
def certificado_avisar(*, municipio_id: int) -> int:
    return certificados_avisar_vencimento(municipio_id=municipio_id)


@shared_task
def certificados_avisar_todos() -> int:
    return fan_out(certificado_avisar)
