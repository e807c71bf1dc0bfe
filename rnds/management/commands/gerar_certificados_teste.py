"""Generate the test PKI for the local national peer under var/ (never committed)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from rnds.pki import gerar_certificados_teste


class Command(BaseCommand):
    help = "Write a test ICP-Brasil-like chain, the simulator's server certificate and a demo A1 (.pfx)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--pasta", default=str(settings.VAR_DIR / "rnds-teste"))

    def handle(self, *args: object, pasta: str, **options: object) -> None:
        arquivos = gerar_certificados_teste(pasta=Path(pasta))
        self.stdout.write(f"CA (set RNDS_CA_ARQUIVO to it): {arquivos.ca}")
        self.stdout.write(f"demo A1: {arquivos.pfx} (password {arquivos.senha_pfx})")
