"""`manage.py cnes_pasta --municipio IBGE [FOLDER | --remove]`: the folder the weekly job
imports the newest CNES file from. A server path, so it is set here by the installation
administrator and never through the web."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cnes_import.models import ConfiguracaoCnes
from cnes_import.services import arquivo_mais_recente, cnes_pasta_definir
from pec.models import Municipio
from pec.tenancy import tenant_context


class Command(BaseCommand):
    help = "Show or set the folder from which the weekly job imports a municipality's newest CNES file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("pasta", nargs="?", metavar="FOLDER", help="absolute path of the folder")
        parser.add_argument("--municipio", required=True, metavar="IBGE")
        parser.add_argument("--remove", action="store_true", help="stop the weekly import for this municipality")

    def handle(self, *args: Any, **options: Any) -> None:
        municipio = Municipio.objects.filter(ibge=options["municipio"]).first()
        if municipio is None:
            raise CommandError(f"No municipality with IBGE code {options['municipio']} in this installation.")
        if options["remove"]:
            cnes_pasta_definir(municipio=municipio, pasta=None)
            self.stdout.write(f"Weekly CNES import disabled for {municipio.nome} ({municipio.ibge}).")
            return
        if options["pasta"] is None:
            with tenant_context(municipio.id):
                atual = (
                    ConfiguracaoCnes.objects.filter(municipio_id=municipio.id).values_list("pasta", flat=True).first()
                )
            self.stdout.write(f"{municipio.nome} ({municipio.ibge}): {atual or 'no folder configured'}")
            return
        pasta = Path(options["pasta"])
        if not pasta.is_absolute():
            raise CommandError("Give an absolute path: the worker may run from another directory.")
        if not pasta.is_dir():
            raise CommandError(f"Not a directory: {pasta}")
        cnes_pasta_definir(municipio=municipio, pasta=str(pasta))
        recente = arquivo_mais_recente(pasta=pasta)
        self.stdout.write(
            f"Weekly CNES import for {municipio.nome} ({municipio.ibge}) reads {pasta}; "
            f"newest file now: {recente.name if recente else 'none yet'}."
        )
