"""Re-encrypt the stored secrets (A1 certificates, SMTP password) with the newest key.

Put the new key first in PEC_ENCRYPTION_KEYS (keep the old ones after it), run this,
then remove the old keys.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from rnds.services import segredos_recifrar


class Command(BaseCommand):
    help = "Re-encrypt stored secrets with the first key of PEC_ENCRYPTION_KEYS."

    def handle(self, *args: object, **options: object) -> None:
        contagem = segredos_recifrar()
        self.stdout.write(f"re-encrypted {contagem['certificados']} certificate(s) and {contagem['smtp']} SMTP password(s)")
