"""RNDS delivery status of one municipality: counts, oldest pending, refusals."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pec.models import Municipio
from pec.tenancy import tenant_context
from rnds.selectors import rnds_painel


class Command(BaseCommand):
    help = "Show the RNDS outbox of a municipality."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--municipio", required=True, help="IBGE code")

    def handle(self, *args: object, municipio: str, **options: object) -> None:
        alvo = Municipio.objects.filter(ibge=municipio).first()
        if alvo is None:
            raise CommandError(f"no municipality with IBGE {municipio}")
        with tenant_context(alvo.id):
            painel = rnds_painel(municipio_id=alvo.id)
        self.stdout.write(f"{alvo}: " + ", ".join(f"{k}={v}" for k, v in painel.contagens.items()))
        self.stdout.write(f"oldest pending: {painel.pendente_mais_antigo or '-'}")
        if painel.certificado:
            self.stdout.write(
                f"certificate: {painel.certificado.titular}, valid until {painel.certificado.valido_ate:%Y-%m-%d}"
            )
        for item in painel.erros:
            self.stdout.write(f"  error #{item.id} {item.chave}: {item.ultimo_erro[:200]}")
        for pendencia in painel.pendencias:
            self.stdout.write(
                f"  waiting for documents: {pendencia.objeto_tipo} {pendencia.objeto_id} "
                f"(citizen #{pendencia.cidadao_id}, professional #{pendencia.profissional_id})"
            )
