"""Installation-wide Celery tasks.

Periodic work fans out: the beat task runs without a tenant and queues one task per
active municipality, each of which runs inside `tenant_context(municipio_id)`.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from pec.models import Equipe, Estabelecimento, Lotacao, Municipio, Profissional
from pec.tenancy import tenant_task


def fan_out(task: Any, **kwargs: Any) -> int:
    """Queue `task` once per active municipality; return how many were queued."""
    ids = list(Municipio.objects.filter(ativo=True).values_list("id", flat=True))
    for municipio_id in ids:
        task.delay(municipio_id=municipio_id, **kwargs)
    return len(ids)


@shared_task
@tenant_task
def municipio_resumo(*, municipio_id: int) -> dict[str, Any]:
    """Counts of a municipality's registry, for operators and the health of imports."""
    return {
        "municipio_id": municipio_id,
        "estabelecimentos": Estabelecimento.objects.count(),
        "equipes": Equipe.objects.count(),
        "profissionais": Profissional.objects.count(),
        "lotacoes_ativas": Lotacao.objects.filter(ativo=True).count(),
        # What the database let this task see, whatever the ORM asked for.
        "municipios_vistos": sorted(set(Estabelecimento.objects.values_list("municipio_id", flat=True))),
    }


# Tasks defined next to their service; imported here so the worker registers them.
from pec.backups import services as backups  # noqa: E402
from pec.backups.avisos import BackupError  # noqa: E402
from pec.email import email_enviar_task, email_varrer  # noqa: E402, F401
from pec.outbox import outbox_drenar_task, outbox_varrer  # noqa: E402, F401


# The nightly backup outlives the default 5-minute limit, and must not be redelivered to a
# second worker after the broker's visibility timeout: acknowledge on receipt (a run lost
# with its worker is reported by backup_verificar_atraso) and hold an advisory lock.
@shared_task(acks_late=False, time_limit=12 * 3600, soft_time_limit=12 * 3600 - 300)
def backup_noturno() -> int | None:
    try:
        registro = backups.backup_noturno()
    except BackupError:
        return None  # recorded on its Backup row and e-mailed to the admins
    return registro.pk if registro else None


@shared_task
def backup_verificar_atraso() -> bool:
    return backups.backup_verificar_atraso()
