"""`manage.py busca_contar_palavras [--municipio IBGE]`: recount the citizen search's word
counts now instead of at night, e.g. after importing a large registry. Until the first
count, name searches are correct but slower at a million citizens (BENCHMARKS.md)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pec.models import Municipio
from pec.tenancy import tenant_context
from prontuario.cadastro.services import palavras_frequencias_atualizar


class Command(BaseCommand):
    help = "Recount the words the citizen search uses to plan, for one municipality or all active ones."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--municipio", metavar="IBGE", help="only this municipality (default: every active one)")

    def handle(self, *args: Any, **options: Any) -> None:
        municipios = Municipio.objects.filter(ativo=True).order_by("nome")
        if options["municipio"]:
            municipios = Municipio.objects.filter(ibge=options["municipio"])
            if not municipios:
                raise CommandError(f"No municipality with IBGE code {options['municipio']} in this installation.")
        for numero, municipio in enumerate(municipios, start=1):
            inicio = time.monotonic()
            with tenant_context(municipio.id):
                cidadaos = palavras_frequencias_atualizar(municipio_id=municipio.id)
            self.stdout.write(
                f"[{numero}/{len(municipios)}] {municipio}: {cidadaos} active citizens counted "
                f"({time.monotonic() - inicio:.1f}s)"
            )
