"""Rebuild rnds/dados/perfis.json.gz from the RNDS IG files (docs/integracoes/rnds.md)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from rnds.perfis import DADOS, compilar_para_arquivo


class Command(BaseCommand):
    help = "Compile the RAC/RIA StructureDefinitions and terminology into the checker's data file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--origem", default=str(Path(settings.BASE_DIR).parent / "shared" / "reference" / "rnds"))

    def handle(self, *args: object, origem: str, **options: object) -> None:
        tamanho = compilar_para_arquivo(Path(origem))
        self.stdout.write(f"wrote {DADOS} ({tamanho} bytes) from {origem}")
