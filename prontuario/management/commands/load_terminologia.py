"""Load the national terminology tables (CIAP2, CID-10, CBO, SIGTAP, CATMAT, vaccination)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from prontuario.models import Terminologia
from prontuario.terminologia.services import terminologia_carregar


class Command(BaseCommand):
    help = (
        "Load the official terminology tables from prontuario/dados/ (only those whose file changed, "
        "unless --force). Codes missing from a new version are kept inactive."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--force", action="store_true", help="reload every table even if unchanged")

    def handle(self, *args: Any, **options: Any) -> None:
        terminal = self.stdout.isatty()

        def progresso(tabela: str, feitos: int, total: int) -> None:
            linha = f"{tabela}: {feitos}/{total} ({100 * feitos // max(total, 1)}%)"
            if terminal:
                self.stdout.write("\r" + linha.ljust(60), ending="" if feitos < total else "\n")
            elif feitos == total:
                self.stdout.write(linha)
            self.stdout.flush()

        carregadas = terminologia_carregar(progresso=progresso, forcar=options["force"])
        if not carregadas:
            self.stdout.write("All tables are up to date.")
        for tabela in Terminologia.objects.order_by("tabela"):
            self.stdout.write(f"{tabela.tabela:18} {tabela.quantidade:6} rows  {tabela.versao}  [{tabela.fonte}]")
