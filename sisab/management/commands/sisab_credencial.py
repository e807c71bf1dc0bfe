from django.core.management.base import BaseCommand, CommandError

from pec.models import Municipio, Usuario
from pec.tenancy import tenant_context
from sisab.recebimento import credencial_emitir


class Command(BaseCommand):
    help = (
        "Issue a receiving-API credential for a municipality (for a local server or another system) "
        "and print usuario and senha once, as 'usuario=... senha=...'."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--municipio", required=True, help="IBGE code of the receiving municipality")
        parser.add_argument("--nome", required=True, help="what the credential is for, e.g. 'Servidor UBS Centro'")
        parser.add_argument("--responsavel", default="Equipe de TI")
        parser.add_argument("--documento", default="00000000000000", help="CPF or CNPJ of the responsible")
        parser.add_argument("--email", default="ti@localhost")
        parser.add_argument("--cpf-ator", help="CPF of the user recorded as issuer (default: first installation admin)")

    def handle(self, *args: object, **options: str) -> None:
        municipio = Municipio.objects.filter(ibge=options["municipio"]).first()
        if municipio is None:
            raise CommandError(f"No municipality with IBGE code {options['municipio']}.")
        atores = (
            Usuario.objects.filter(cpf=options["cpf_ator"])
            if options.get("cpf_ator")
            else Usuario.objects.filter(administrador_instalacao=True).order_by("id")
        )
        ator = atores.first()
        if ator is None:
            raise CommandError("No installation administrator to record as issuer; pass --cpf-ator.")
        with tenant_context(municipio.id):
            credencial, senha = credencial_emitir(
                municipio_id=municipio.id,
                nome=options["nome"],
                responsavel=options["responsavel"],
                documento=options["documento"],
                email=options["email"],
                por=ator,
            )
        self.stdout.write(f"usuario={credencial.usuario} senha={senha}")
