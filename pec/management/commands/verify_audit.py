"""Walk every audit chain and report the first broken link of each (exit 1 if any)."""

from __future__ import annotations

import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from pec.audit import INSTALACAO, cabecas_das_cadeias, verificar_cadeias


class Command(BaseCommand):
    help = (
        "Verify the hash chains of the audit trail (one per municipality plus the installation's). "
        "Connects as the read-only backup role, which sees every municipality."
    )

    def handle(self, *args: object, **options: object) -> None:
        with self._connect() as conn:
            cabecas = cabecas_das_cadeias(conn)
            problemas = verificar_cadeias(conn, progresso=self._progresso)
        quebradas = {problema.split(":", 1)[0] for problema in problemas}
        for cadeia, cabeca in sorted(cabecas.items(), key=lambda item: (item[0] != INSTALACAO, item[0].zfill(12))):
            nome = INSTALACAO if cadeia == INSTALACAO else f"municipio {cadeia}"
            if nome not in quebradas:
                self.stdout.write(f"{nome}: OK ({cabeca['sequencia']} events, head {cabeca['hash']})")
        for problema in problemas:
            self.stderr.write(self.style.ERROR(problema))
        if problemas:
            raise CommandError(f"audit trail broken: {len(problemas)} problem(s)")
        self.stdout.write(self.style.SUCCESS(f"{len(cabecas)} chain(s) intact."))

    def _connect(self) -> psycopg.Connection:
        database = settings.DATABASES["default"]
        role = settings.DB_ROLES["backup"]
        # One read-only snapshot: the chains are checked as of a single instant even while
        # the application keeps appending.
        conn = psycopg.connect(
            dbname=database["NAME"],
            host=database.get("HOST") or None,
            port=database.get("PORT") or None,
            user=role["USER"],
            password=role["PASSWORD"] or None,
            application_name="pec-verify-audit",
        )
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        return conn

    def _progresso(self, cadeia: str, linhas: int) -> None:
        self.stdout.write(f"{cadeia}: {linhas} events checked...")
