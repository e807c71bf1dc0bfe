"""Put a municipality's dead-lettered RNDS rows back in the queue and drain them now."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pec.models import Municipio, Outbox
from pec.outbox import outbox_drenar, outbox_reenviar
from pec.tenancy import tenant_context


class Command(BaseCommand):
    help = "Requeue RNDS rows in error (all, or the given ids) and deliver what is due."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--municipio", required=True, help="IBGE code")
        parser.add_argument("ids", nargs="*", type=int)

    def handle(self, *args: object, municipio: str, ids: list[int], **options: object) -> None:
        alvo = Municipio.objects.filter(ibge=municipio).first()
        if alvo is None:
            raise CommandError(f"no municipality with IBGE {municipio}")
        with tenant_context(alvo.id):
            ids = ids or list(
                Outbox.objects.filter(municipio_id=alvo.id, destino="rnds", status=Outbox.Status.ERRO).values_list(
                    "id", flat=True
                )
            )
        requeued = outbox_reenviar(municipio_id=alvo.id, ids=ids)
        resultado = outbox_drenar(municipio_id=alvo.id, destino="rnds")
        self.stdout.write(f"requeued {requeued}; delivery: " + ", ".join(f"{k!s}={v}" for k, v in resultado.items()))
