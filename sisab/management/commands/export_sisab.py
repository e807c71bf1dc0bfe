import datetime
import os
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from pec.models import Municipio
from sisab.envio import SemIdentidade, cancelamentos_sem_xml, exportar, fichas_gerar


class Command(BaseCommand):
    help = (
        "Write a municipality's valid LEDI fichas of one competência into a zip (.esus Thrift or XML), "
        "making the missing fichas first. Progress goes to stderr."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--municipio", required=True, help="IBGE code")
        parser.add_argument("--competencia", required=True, help="AAAAMM")
        parser.add_argument("--format", choices=["thrift", "xml"], default="thrift")
        parser.add_argument("--output", type=Path, help="zip file (default: sisab-<IBGE>-<AAAAMM>.zip)")
        parser.add_argument(
            "--processes",
            type=int,
            default=os.cpu_count() or 1,
            help="worker processes that serialise the fichas (default: one per CPU)",
        )

    def handle(self, *args: object, **options: Any) -> None:
        municipio = Municipio.objects.filter(ibge=options["municipio"]).first()
        if municipio is None:
            raise CommandError(f"No municipality with IBGE code {options['municipio']}.")
        try:
            competencia = datetime.datetime.strptime(str(options["competencia"]), "%Y%m").date()
        except ValueError as exc:
            raise CommandError("--competencia must be AAAAMM, e.g. 202611.") from exc
        saida: Path = options["output"] or Path(f"sisab-{municipio.ibge}-{competencia:%Y%m}.zip")
        geradas = fichas_gerar(municipio_id=municipio.id)
        sys.stderr.write(f"fichas: {geradas['novas']} new, {geradas['invalidas']} invalid (kept, not exported)\n")
        parcial = saida.with_name(saida.name + ".part")
        try:
            with parcial.open("wb") as arquivo:
                total = exportar(
                    municipio=municipio,
                    competencia=competencia,
                    formato=str(options["format"]),
                    saida=arquivo,
                    progresso=lambda n: sys.stderr.write(f"\r{n} fichas written"),
                    processos=int(options["processes"]),
                )
        except SemIdentidade as exc:
            parcial.unlink(missing_ok=True)
            raise CommandError(f"{municipio.ibge}: no contra-chave/installation identity; enter it first.") from exc
        parcial.replace(saida)
        sys.stderr.write("\n")
        self.stdout.write(f"{total} fichas -> {saida}")
        if options["format"] == "xml":
            sem_xml = cancelamentos_sem_xml(municipio_id=municipio.id, competencia=competencia)
            if sem_xml:
                self.stderr.write(
                    f"{sem_xml} deleted doses left out: XML has no uuidFichaCancelada; export --format thrift "
                    "to cancel them at a destination that already has them."
                )
