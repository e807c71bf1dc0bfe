"""A task queued for municipality A, run by a real Celery worker process, sees only A."""

from __future__ import annotations

import psycopg
import pytest

from pec import tasks
from pec.demo import MUNICIPIOS

pytestmark = pytest.mark.browser  # needs the live installation (worker + committed data)


def test_worker_task_for_a_cannot_read_b(pec_server):
    with psycopg.connect(pec_server.database_url) as conn:
        ids: dict[str, int] = dict(conn.execute("SELECT ibge, id FROM pec_municipio").fetchall())
        total = conn.execute("SELECT count(*) FROM pec_estabelecimento").fetchone()[0]
    a, b = ids[MUNICIPIOS[0][0]], ids[MUNICIPIOS[1][0]]
    resumo_a = tasks.municipio_resumo.delay(municipio_id=a).get(timeout=30)
    resumo_b = tasks.municipio_resumo.delay(municipio_id=b).get(timeout=30)
    assert resumo_a["municipios_vistos"] == [a]
    assert resumo_b["municipios_vistos"] == [b]
    assert resumo_a["estabelecimentos"] + resumo_b["estabelecimentos"] == total
