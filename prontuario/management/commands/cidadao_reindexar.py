"""Rebuild the citizen search word table (prontuario.CidadaoPalavra) of one municipality or
of all, in batches of citizen ids, one transaction each, with progress.

Run it once after migrating to 0006 on a database that already has citizens; afterwards
the services keep the table. Safe to rerun: each batch deletes and rewrites its rows.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Max, Min

from pec.models import Municipio
from pec.tenancy import tenant_context
from prontuario.models import Cidadao
from prontuario.services import cidadao_palavras_reindexar


class Command(BaseCommand):
    help = "Rebuild the citizen search word table from the citizens' search columns."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--municipio", help="IBGE code; all municipalities when omitted")
        parser.add_argument("--batch", type=int, default=50_000, help="citizen ids per transaction")

    def handle(self, *args: object, **options: object) -> None:
        municipios = Municipio.objects.order_by("ibge")
        if options["municipio"]:
            municipios = municipios.filter(ibge=options["municipio"])
            if not municipios.exists():
                raise CommandError(f"unknown municipality {options['municipio']}")
        for municipio in municipios:
            self._reindexar(municipio=municipio, lote=int(options["batch"]))  # type: ignore[call-overload]

    def _reindexar(self, *, municipio: Municipio, lote: int) -> None:
        inicio = time.monotonic()
        with tenant_context(municipio.id):
            faixa = Cidadao.objects.filter(municipio=municipio).aggregate(lo=Min("id"), hi=Max("id"))
        if faixa["lo"] is None:
            self.stdout.write(f"{municipio}: no citizens")
            return
        linhas = 0
        for de_id in range(faixa["lo"], faixa["hi"] + 1, lote):
            ate_id = min(de_id + lote - 1, faixa["hi"])
            with tenant_context(municipio.id):
                linhas += cidadao_palavras_reindexar(municipio_id=municipio.id, de_id=de_id, ate_id=ate_id)
            feito = (ate_id - faixa["lo"] + 1) / (faixa["hi"] - faixa["lo"] + 1)
            self.stdout.write(f"{municipio}: ids up to {ate_id} ({feito:.0%}), {linhas} words, {time.monotonic() - inicio:.0f}s")
        self.stdout.write(self.style.SUCCESS(f"{municipio}: {linhas} words in {time.monotonic() - inicio:.0f}s"))
