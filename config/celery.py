"""The Celery application. Tasks that touch municipal data take `municipio_id`
explicitly and run inside `tenant_context` (see pec.tenancy.tenant_task)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("pec")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

from pec.saude import Batimento  # noqa: E402

# Every worker keeps /saude/'s heartbeat (pec.saude).
app.steps["consumer"].add(Batimento)
