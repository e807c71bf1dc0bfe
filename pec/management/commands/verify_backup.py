"""`manage.py verify_backup [FILE]`: prove a backup file restores, with the private key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from pec.backups.arquivos import EXTENSION
from pec.backups.avisos import BackupError
from pec.backups.restauracao import backup_verificar


class Command(BaseCommand):
    help = (
        "Check a backup's origin (its signature or its SHA-256 recorded off the server), decrypt it, restore it into a scratch database, compare row counts with its manifest, check "
        "forced row-level security and the audit chains, then drop the scratch database. Default FILE: the newest "
        "backup in PEC_BACKUP_DIR."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", nargs="?", type=Path)
        parser.add_argument("--private-key", help="private key PEM (default: PEC_BACKUP_PRIVATE_KEY)")
        parser.add_argument(
            "--signing-key",
            action="append",
            default=[],
            help="a signing PUBLIC key whose signature (FILE.sig) you trust (adds to PEC_BACKUP_TRUSTED_KEYS)",
        )
        parser.add_argument(
            "--sha256", default="", help="the file's SHA-256 as recorded off the server, instead of a signature"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        arquivo = options["file"] or self._mais_recente()
        self.stdout.write(f"Verifying {arquivo}")
        try:
            registro = backup_verificar(
                arquivo=arquivo,
                chave_privada=options["private_key"],
                chaves_assinatura=options["signing_key"],
                sha256=options["sha256"],
                progresso=self.stdout.write,
            )
        except BackupError as exc:
            raise CommandError(f"Verification FAILED: {exc}") from exc
        self.stdout.write(self.style.SUCCESS(f"Backup OK: {registro.verificacao_detalhe}"))

    def _mais_recente(self) -> Path:
        arquivos = sorted(Path(settings.BACKUP_DIR).glob(f"*{EXTENSION}"), key=lambda p: p.stat().st_mtime)
        if not arquivos:
            raise CommandError(f"No *{EXTENSION} file in {settings.BACKUP_DIR}; give the file to verify.")
        return arquivos[-1]
