"""Run the local peer of RNDS/ehr-auth/CADSUS (rnds.simulador) until Ctrl-C."""

from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from rnds.pki import gerar_certificados_teste
from rnds.simulador import SimuladorNacional


class Command(BaseCommand):
    help = "Serve a local HTTPS peer of the national services (mutual TLS with the test PKI)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--porta", type=int, default=8443)
        parser.add_argument("--pasta", default=str(settings.VAR_DIR / "rnds-teste"))
        parser.add_argument("--atraso", type=float, default=0.0, help="seconds before answering each POST")

    def handle(self, *args: object, porta: int, pasta: str, atraso: float, **options: object) -> None:
        arquivos = gerar_certificados_teste(pasta=Path(pasta))
        simulador = SimuladorNacional(arquivos, porta=porta).iniciar()
        simulador.estado.atraso = atraso
        self.stdout.write(f"national simulator on {simulador.url} (CA {arquivos.ca}); Ctrl-C to stop")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            simulador.parar()
            recebidos = sum(simulador.estado.recebidos.values())
            self.stdout.write(f"stopped; {recebidos} document(s) accepted")
