"""`manage.py restore FILE`: restore a backup into a new database, verify it, then switch.

The current database is never modified before the new one is complete and verified, so
an interrupted or failed restore leaves the installation exactly as it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from pec.backups.avisos import BackupError
from pec.backups.restauracao import backup_restaurar, banco_trocar


class Command(BaseCommand):
    help = "Restore an encrypted backup into a NEW database, verify it, and switch to it (--switch) or explain how."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path)
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
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation (scripts)")
        parser.add_argument(
            "--switch",
            action="store_true",
            help="after verification, rename the current database aside and the restored one into its place",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        atual = settings.DATABASES["default"]["NAME"]
        if not options["file"].is_file():
            raise CommandError(f"{options['file']} does not exist.")
        if not options["yes"]:
            self._confirmar(atual, options)
        try:
            novo, manifesto, duracao = backup_restaurar(
                arquivo=options["file"],
                chave_privada=options["private_key"],
                chaves_assinatura=options["signing_key"],
                sha256=options["sha256"],
                progresso=self.stdout.write,
            )
        except BackupError as exc:
            raise CommandError(f"Restore FAILED, nothing changed (database {atual} untouched): {exc}") from exc
        linhas = sum(manifesto["linhas"].values())
        self.stdout.write(
            self.style.SUCCESS(f"Restored and verified {linhas:,} rows into database {novo} in {duracao:.1f} s.")
        )
        if options["switch"]:
            try:
                anterior = banco_trocar(novo=novo)
            except Exception as exc:
                raise CommandError(
                    f"Switch FAILED, nothing changed: {exc}. Stop web, worker and beat and run the switch again, "
                    f"or use the steps below with database {novo}."
                ) from exc
            self.stdout.write(self.style.SUCCESS(f"Database {atual} is now the restored backup."))
            guardado = (
                f"The previous database is kept as {anterior}." if anterior else "There was no previous database."
            )
            self.stdout.write(
                f"{guardado} Now:\n"
                "  1. manage.py db_setup && manage.py migrate   (grants and any newer migrations)\n"
                "  2. restart web, worker and beat"
                + (f'\n  3. when satisfied: DROP DATABASE "{anterior}";' if anterior else "")
            )
            return
        self.stdout.write(
            f"The installation still uses {atual}. To switch to the restored database:\n"
            "  1. stop web, worker and beat (systemctl stop pec-web pec-worker pec-beat)\n"
            f"  2. either run `manage.py restore {options['file']} --switch` again, or rename by hand as an admin:\n"
            f'       ALTER DATABASE "{atual}" RENAME TO "{atual}_anterior";\n'
            f'       ALTER DATABASE "{novo}" RENAME TO "{atual}";\n'
            f"     or point DATABASE_URL at database {novo}\n"
            "  3. manage.py db_setup && manage.py migrate, then start the services"
        )

    def _confirmar(self, atual: str, options: dict[str, Any]) -> None:
        acao = (
            f"restore {options['file']} into a new database and then REPLACE the database {atual} with it"
            if options["switch"]
            else f"restore {options['file']} into a new database (the database {atual} is not changed)"
        )
        self.stdout.write(f"This will {acao}.")
        resposta = input(f"Type the name of the current database ({atual}) to continue: ")
        if resposta.strip() != atual:
            raise CommandError("Confirmation did not match; nothing done.")
