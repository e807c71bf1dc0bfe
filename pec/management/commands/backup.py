"""`manage.py backup`: one encrypted backup now (see pec.backups for the format)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from pec.backups.avisos import BackupError
from pec.backups.services import backup_criar, backup_noturno


class Command(BaseCommand):
    help = "Dump the database as the backup role, encrypted to the backup public key, and verify it by restoring it."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dir", type=Path, help="output directory (default: PEC_BACKUP_DIR, var/backups)")
        parser.add_argument("--public-key", help="public key PEM (default: PEC_BACKUP_PUBLIC_KEY)")
        parser.add_argument(
            "--no-verify", action="store_true", help="skip the in-flight restore into a scratch database"
        )
        parser.add_argument(
            "--nightly",
            action="store_true",
            help="run the whole nightly job (backup, verify, copy, retention), for cron instead of Celery beat",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["nightly"]:
                registro = backup_noturno(progresso=self.stdout.write)
                if registro is None:
                    raise CommandError("Another backup job is running; nothing done.")
            else:
                registro = backup_criar(
                    destino=options["dir"],
                    chave_publica=options["public_key"],
                    verificar=not options["no_verify"],
                    progresso=self.stdout.write,
                )
        except BackupError as exc:
            raise CommandError(f"Backup FAILED: {exc}") from exc
        verificado = "verified by restore" if registro.verificacao == registro.Verificacao.OK else "NOT verified"
        self.stdout.write(self.style.SUCCESS(f"Backup written and {verificado}: {registro.arquivo}"))
        if registro.erro:
            raise CommandError(registro.erro)
