"""Beat: warn the municipal administrators before the A1 certificate expires; release the
records whose missing documents were entered (rnds.pendencias)."""

from __future__ import annotations

from celery import shared_task

from pec.models import Municipio
from pec.tasks import fan_out
from pec.tenancy import tenant_context, tenant_task
from rnds.pendencias import pendencias_liberar
from rnds.services import certificados_avisar_vencimento


@shared_task
@tenant_task
def certificado_avisar(*, municipio_id: int) -> int:
    return certificados_avisar_vencimento(municipio_id=municipio_id)


@shared_task
def certificados_avisar_todos() -> int:
    return fan_out(certificado_avisar)


@shared_task
def pendencias_liberar_todas() -> int:
    """Every minute, in one task (a query per municipality, like pec.outbox.outbox_varrer):
    the rows made due are then delivered by the outbox sweeper."""
    total = 0
    for municipio_id in Municipio.objects.filter(ativo=True).values_list("id", flat=True):
        with tenant_context(municipio_id):
            total += pendencias_liberar(municipio_id=municipio_id)
    return total
