"""Add a municipality (a tenant) from the command line, for the installation's IT staff.

The IBGE code must be one of the LEDI APS reference list (dados/municipios.tsv):
the name and UF come from there, so a typo cannot create a municipality that SISAB and
RNDS would never recognise. Running it again with the same code changes nothing.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from dados import municipios
from pec.administracao import services
from pec.ator import Ator
from pec.models import Municipio

# Lower-case particles of Brazilian place names ("Espigão do Oeste", "Alta Floresta D'Oeste").
_PARTICULAS = {"de", "da", "do", "das", "dos", "e"}


def nome_municipio(nome_ledi: str) -> str:
    """'ALTA FLORESTA D'OESTE' -> 'Alta Floresta D'Oeste', 'ESPIGÃO DO OESTE' -> 'Espigão do Oeste'."""
    palavras = nome_ledi.lower().split()
    return " ".join(
        palavra
        if posicao and palavra in _PARTICULAS
        else re.sub(r"(^|[-'])(\w)", lambda m: m[1] + m[2].upper(), palavra)
        for posicao, palavra in enumerate(palavras)
    )


class Command(BaseCommand):
    help = "Create a municipality (production or training) from its IBGE code, with the default perfis. Idempotent."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("ibge", help="7-digit IBGE code, as in the LEDI APS list of municipalities")
        parser.add_argument(
            "--treinamento", action="store_true", help="training mode: everything works, nothing is transmitted"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        ibge = options["ibge"].strip()
        modo = Municipio.Modo.TREINAMENTO if options["treinamento"] else Municipio.Modo.PRODUCAO
        if ibge not in municipios():
            raise CommandError(f"{ibge!r} is not an IBGE municipality code of the LEDI APS list (7 digits).")
        existente = Municipio.objects.filter(ibge=ibge).first()
        if existente is not None:
            if existente.modo != modo:
                raise CommandError(
                    f"Municipality {existente} ({ibge}) already exists in {existente.modo} mode; "
                    "change its mode on the installation's municipalities page (audited)."
                )
            self.stdout.write(f"Municipality {existente} ({ibge}, {existente.modo}) already exists; nothing changed.")
            return
        nome, uf = municipios()[ibge]
        try:
            municipio = services.municipio_criar(
                ibge=ibge,
                nome=nome_municipio(nome),
                uf=uf,
                modo=modo,
                ator=Ator.do_sistema(None),
                origem="manage.py municipio_criar",
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(
            self.style.SUCCESS(f"Municipality {municipio} ({ibge}, {modo}) created with the default perfis.")
        )
        self.stdout.write(
            "Next: import its CNES XML (manage.py import_cnes) to bring establishments, teams and professionals."
        )
