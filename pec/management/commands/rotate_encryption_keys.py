"""Re-encrypt every stored secret (pec.cripto.CAMPOS_CIFRADOS) with the newest key.

Put the new key first in PEC_ENCRYPTION_KEYS (keep the old ones after it) and run this.
It reads every value back with the new key alone and says whether the old keys may go:
removing them while a value still needs one stops that feature (gov.br login, SISAB
delivery, RNDS, e-mail) until the key is put back.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from pec.cripto import segredos_recifrar


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret with the first key of PEC_ENCRYPTION_KEYS and check each opens with it alone."
    )

    def handle(self, *args: object, **options: object) -> None:
        rotacao = segredos_recifrar()
        for nome, quantos in rotacao.recifrados.items():
            self.stdout.write(f"{nome}: {quantos} value(s) re-encrypted")
        if rotacao.problemas:
            for problema in rotacao.problemas:
                self.stderr.write(self.style.ERROR(problema))
            raise CommandError(
                f"{len(rotacao.problemas)} value(s) do not decrypt with the new key alone: "
                "KEEP the old key(s) in PEC_ENCRYPTION_KEYS until this is fixed"
            )
        self.stdout.write(
            self.style.SUCCESS(
                "Every stored secret decrypts with the new key alone: the old key(s) may now be removed from PEC_ENCRYPTION_KEYS."
            )
        )
