from typing import Any

from django.core.management.base import BaseCommand, CommandError

from pec.models import Municipio
from pec.tenancy import tenant_context
from sisab.envio import reenviar
from sisab.models import DestinoSisab


class Command(BaseCommand):
    help = "Queue again the fichas a destination refused (after the cause was fixed); sent in the next window."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--municipio", required=True, help="IBGE code")
        parser.add_argument("--destino", type=int, help="destination id (default: every destination)")

    def handle(self, *args: object, **options: Any) -> None:
        municipio = Municipio.objects.filter(ibge=options["municipio"]).first()
        if municipio is None:
            raise CommandError(f"No municipality with IBGE code {options['municipio']}.")
        destino_id = options.get("destino")
        if destino_id is not None:
            with tenant_context(municipio.id):
                if not DestinoSisab.objects.filter(municipio=municipio, id=destino_id).exists():
                    raise CommandError(f"Municipality {municipio.ibge} has no destination {destino_id}.")
        total = reenviar(municipio_id=municipio.id, destino_id=destino_id)
        self.stdout.write(f"{total} refused delivery(ies) queued again.")
