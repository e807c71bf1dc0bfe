"""Configure Login gov.br from the command line (the same as the installation page)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from pec.identity.govbr.config import PROVIDER_ID, govbr_configuracao, govbr_configurar, govbr_habilitado, govbr_issuer
from pec.models import ConfiguracaoGovBr

AMBIENTES = {"staging": ConfiguracaoGovBr.Ambiente.HOMOLOGACAO, "production": ConfiguracaoGovBr.Ambiente.PRODUCAO}


class Command(BaseCommand):
    help = (
        "Configure Login gov.br: --environment staging|production or --issuer URL, --client-id, the secret "
        "from --client-secret-file or the GOVBR_CLIENT_SECRET variable, --enable/--disable. "
        "Without options, show the current configuration."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        ambiente = parser.add_mutually_exclusive_group()
        ambiente.add_argument("--environment", choices=sorted(AMBIENTES), help="gov.br's staging or production SSO")
        ambiente.add_argument("--issuer", help="any other OpenID Connect issuer URL")
        parser.add_argument("--client-id")
        parser.add_argument(
            "--client-secret-file",
            type=Path,
            help="file holding the client secret (or set GOVBR_CLIENT_SECRET; never on the command line)",
        )
        ativo = parser.add_mutually_exclusive_group()
        ativo.add_argument("--enable", action="store_true")
        ativo.add_argument("--disable", action="store_true")

    def handle(self, *args: object, **options: object) -> None:
        atual = govbr_configuracao() or ConfiguracaoGovBr()
        segredo: str | None = None
        if options["client_secret_file"]:
            segredo = Path(str(options["client_secret_file"])).read_text().strip()
        elif os.environ.get("GOVBR_CLIENT_SECRET"):
            segredo = os.environ["GOVBR_CLIENT_SECRET"].strip()
        alterou = any(options[nome] for nome in ("environment", "issuer", "client_id", "enable", "disable")) or segredo
        if alterou:
            ambiente, issuer_outro = atual.ambiente, atual.issuer_outro
            if options["environment"]:
                ambiente, issuer_outro = AMBIENTES[str(options["environment"])], ""
            elif options["issuer"]:
                ambiente, issuer_outro = ConfiguracaoGovBr.Ambiente.OUTRO, str(options["issuer"])
            ativo = True if options["enable"] else False if options["disable"] else atual.ativo
            client_id = str(options["client_id"] or atual.client_id)
            if ativo and not (client_id and (segredo or atual.segredo_cifrado)):
                raise CommandError("gov.br needs a client id and a client secret before it can be enabled")
            try:
                atual = govbr_configurar(
                    ativo=ativo,
                    ambiente=ambiente,
                    issuer_outro=issuer_outro,
                    client_id=client_id,
                    novo_segredo=segredo,
                    origem="manage.py govbr_config",
                )
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from exc
        callback = reverse("openid_connect_callback", kwargs={"provider_id": PROVIDER_ID})
        self.stdout.write(f"enabled:       {'yes' if govbr_habilitado(atual) else 'no'}")
        self.stdout.write(f"issuer:        {govbr_issuer(atual) if atual.pk else '-'}")
        self.stdout.write(f"client id:     {atual.client_id or '-'}")
        self.stdout.write(f"client secret: {'stored (encrypted)' if atual.segredo_cifrado else 'not set'}")
        self.stdout.write(f"redirect URI to register: {settings.SITE_URL.rstrip('/')}{callback}")
        self.stdout.write(f"post-logout URI to register: {settings.SITE_URL.rstrip('/')}{reverse('account_login')}")
