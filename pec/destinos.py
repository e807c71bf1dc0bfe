"""Outbound endpoints typed by a municipal administrator, bounded by the installation.

The RNDS and CADSUS addresses receive the municipality's A1 handshake, patient Bundles
and the users' gov.br tokens; a SISAB destination receives fichas and a password; a
folder destination is a path the worker writes to. A municipal administrator chooses
them, so the installation administrator bounds them in the settings: https only
(PEC_DESTINOS_HTTP lets the tests and the demo's local peers use plain http), hosts from
an allowlist per integration (PEC_HOSTS_RNDS, PEC_HOSTS_SISAB, plus PEC_HOSTS_LOCAIS
outside production), folders only under PEC_SISAB_PASTA_BASE.

The forms check on save (messages in Portuguese, for the municipal administrator) and
the deliverers check again before every use, so a row saved before the rule, or written
around the forms, is refused too and waits (nothing is lost) until it is fixed.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks


class DestinoRecusado(Exception):
    """The installation does not allow this endpoint; the message is for the user (pt-BR)."""


def host_permitido(host: str, permitidos: Iterable[str]) -> bool:
    """Exact host, or any subdomain of an entry that starts with a dot (".saude.gov.br")."""
    host = host.lower().rstrip(".")
    for entrada in permitidos:
        entrada = entrada.lower().strip()
        if entrada.startswith(".") and (host.endswith(entrada) or host == entrada[1:]):
            return True
        if host == entrada:
            return True
    return False


def url_verificar(*, url: str, permitidos: Iterable[str]) -> None:
    """Raise DestinoRecusado unless `url` is https (or allowed http) to an allowed host."""
    partes = urlsplit(url)
    if partes.scheme not in ("https", "http") or not partes.hostname:
        raise DestinoRecusado("Informe um endereço completo, começando por https://.")
    if partes.scheme == "http" and not settings.PEC_DESTINOS_HTTP:
        raise DestinoRecusado("Use https: esta instalação não envia dados por http sem criptografia.")
    if partes.username or partes.password:
        raise DestinoRecusado("O endereço não pode conter usuário ou senha.")
    if not host_permitido(partes.hostname, [*permitidos, *settings.PEC_HOSTS_LOCAIS]):
        raise DestinoRecusado(
            f"O servidor {partes.hostname} não está entre os permitidos nesta instalação; "
            "peça ao administrador da instalação para incluí-lo."
        )


def pasta_verificar(*, pasta: str) -> Path:
    """The folder, resolved (symbolic links and "..") inside PEC_SISAB_PASTA_BASE."""
    base = Path(settings.PEC_SISAB_PASTA_BASE).resolve()
    alvo = (base / pasta).resolve()
    if not alvo.is_relative_to(base):
        raise DestinoRecusado(
            f"A pasta precisa ficar dentro de {base}, a pasta definida pelo administrador da instalação."
        )
    return alvo


@checks.register(checks.Tags.security, deploy=True)
def regras_de_producao(**kwargs: object) -> list[checks.CheckMessage]:
    """`check --deploy`: the relaxations meant for the local peers stay out of production."""
    if not settings.PRODUCTION:
        return []
    relaxadas = [
        nome
        for nome, ligada in (
            ("PEC_DESTINOS_HTTP", settings.PEC_DESTINOS_HTTP),
            ("PEC_HOSTS_LOCAIS", bool(settings.PEC_HOSTS_LOCAIS)),
            ("PEC_SISAB_PASTA_BASE=/", Path(settings.PEC_SISAB_PASTA_BASE).resolve() == Path("/")),
        )
        if ligada
    ]
    if not relaxadas:
        return []
    return [
        checks.Warning(
            f"Outbound endpoints are relaxed in production: {', '.join(relaxadas)}.",
            hint="Those settings exist for the tests' and the demo's local peers; unset them (pec.destinos).",
            id="pec.W010",
        )
    ]
