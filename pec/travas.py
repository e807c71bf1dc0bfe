"""Session-level PostgreSQL advisory locks: one run of a long job at a time across workers.

A session lock (not a transaction one) because the jobs that take it (the nightly backup,
one SISAB destination's delivery) commit many times while they run. PostgreSQL releases
it when the block ends or when the worker's connection dies, so a killed run never leaves
the job locked.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


@contextmanager
def trava_de_sessao(*chave: int) -> Iterator[bool]:
    """Yields True while holding the lock named by one or two integers; False (and holds
    nothing) when another session has it."""
    marcadores = ", ".join(["%s"] * len(chave))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT pg_try_advisory_lock({marcadores})", list(chave))
        obtida = bool(cursor.fetchone()[0])
    try:
        yield obtida
    finally:
        if obtida:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT pg_advisory_unlock({marcadores})", list(chave))
