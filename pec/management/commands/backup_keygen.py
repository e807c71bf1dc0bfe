"""`manage.py backup_keygen`: the key pairs of backups.

Encryption (default): run it OFF the server; only the public key goes to the server.
Signing (`--signing`): run it on the server; the private key becomes the backup unit's
credential backup_signing_key, the public key goes to where backups are verified and
restored (PEC_BACKUP_TRUSTED_KEYS or --signing-key).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from pec.backups.chaves import assinatura_chave_gerar, chave_gerar, chave_publica_carregar, impressao_digital


class Command(BaseCommand):
    help = (
        "Write an X25519 key pair for backups. Keep the private key off the server (it reads every backup); "
        "copy only the public key to the server and set PEC_BACKUP_PUBLIC_KEY."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("private_key", type=Path, help="where to write the private key (created 0600)")
        parser.add_argument("public_key", type=Path, help="where to write the public key")
        parser.add_argument("--signing", action="store_true", help="an Ed25519 signing pair instead (see pec.backups)")

    def handle(self, *args: Any, **options: Any) -> None:
        privada, publica = assinatura_chave_gerar() if options["signing"] else chave_gerar()
        try:
            fd = os.open(options["private_key"], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError as exc:
            raise CommandError(f"{options['private_key']} exists; refusing to overwrite a key.") from exc
        with os.fdopen(fd, "wb") as saida:
            saida.write(privada)
        options["public_key"].write_bytes(publica)
        if options["signing"]:
            self.stdout.write(self.style.SUCCESS("Signing key pair written."))
            return
        digital = impressao_digital(chave_publica_carregar(options["public_key"]))
        self.stdout.write(self.style.SUCCESS(f"Key pair written; fingerprint {digital}."))
