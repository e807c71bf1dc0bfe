"""`manage.py backup_keygen`: the key pair for backups. Run it OFF the server."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from pec.backups import chave_gerar, chave_publica_carregar, impressao_digital


class Command(BaseCommand):
    help = (
        "Write an X25519 key pair for backups. Keep the private key off the server (it reads every backup); "
        "copy only the public key to the server and set PEC_BACKUP_PUBLIC_KEY."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("private_key", type=Path, help="where to write the private key (created 0600)")
        parser.add_argument("public_key", type=Path, help="where to write the public key")

    def handle(self, *args: Any, **options: Any) -> None:
        privada, publica = chave_gerar()
        try:
            fd = os.open(options["private_key"], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError as exc:
            raise CommandError(f"{options['private_key']} exists; refusing to overwrite a key.") from exc
        with os.fdopen(fd, "wb") as saida:
            saida.write(privada)
        options["public_key"].write_bytes(publica)
        digital = impressao_digital(chave_publica_carregar(options["public_key"]))
        self.stdout.write(self.style.SUCCESS(f"Key pair written; fingerprint {digital}."))
