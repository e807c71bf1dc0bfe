"""Write the signed heads of every audit chain, to be kept off the server (`verify_audit --heads`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from pec.audit.chain import cabecas_exportar, conectar_todas_cadeias


class Command(BaseCommand):
    help = (
        "Export the heads of the audit chains, signed with PEC_AUDIT_HEAD_KEY, as JSON. Keep the file "
        "off the server: `verify_audit --heads FILE` then shows a chain shortened or deleted since."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", metavar="FILE", help="write here instead of the standard output")

    def handle(self, *args: object, **options: Any) -> None:
        if not settings.PEC_AUDIT_HEAD_KEY:
            raise CommandError("PEC_AUDIT_HEAD_KEY is not set: the heads cannot be signed")
        with conectar_todas_cadeias() as conn:
            texto = json.dumps(cabecas_exportar(conn), indent=2, sort_keys=True) + "\n"
        if options["output"]:
            Path(options["output"]).write_text(texto)
            self.stderr.write(f"audit chain heads written to {options['output']}")
        else:
            self.stdout.write(texto, ending="")
