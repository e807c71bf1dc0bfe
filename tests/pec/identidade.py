"""Helpers for the identity and access tests: a login through the real login page, a
verified e-mail address, a local SMTP server and allauth's rate limits. The people and
places come from tests/mundo.py."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller
from django.test import Client

from pec.embedded import free_port
from pec.identity.login import SESSION_LOTACAO
from pec.models import Lotacao, Usuario
from tests.mundo import SENHA


def email_confirmado(usuario: Usuario, email: str) -> None:
    """The account's verified address (pec.identity.contas): what "Esqueci minha senha" mails."""
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=usuario, email=email, verified=True, primary=True)


def cliente_pela_pagina(usuario: Usuario, lot: Lotacao | None = None) -> Client:
    """Like tests.mundo.entrar, but through the login page: no second step is assumed
    (force_login stands for a login that passed MFA, see tests/conftest.py)."""
    client = Client()
    assert client.post("/conta/login/", {"login": usuario.cpf, "password": SENHA}).status_code == 302
    if lot is not None:
        assert client.post("/lotacao/", {"lotacao": lot.id}).status_code == 302
        assert client.session[SESSION_LOTACAO] == lot.id
    return client


@dataclass
class ServidorSMTP:
    """A real SMTP server (aiosmtpd) on localhost that keeps what it receives."""

    porta: int
    recebidas: list = field(default_factory=list)
    chegou: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.recebidas.append(envelope)
        self.chegou.set()
        return "250 Message accepted for delivery"


@contextlib.contextmanager
def servidor_smtp() -> Iterator[ServidorSMTP]:
    servidor = ServidorSMTP(porta=free_port())
    controller = Controller(servidor, hostname="127.0.0.1", port=servidor.porta)
    controller.start()
    try:
        yield servidor
    finally:
        controller.stop()


def limpar_limites_allauth() -> None:
    """Forget allauth's rate-limit counters (only those): a rerun within the hour must
    start from zero, and the broker sharing this Redis must not be touched."""
    from django.core.cache import cache

    cliente_redis = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
    for chave in cliente_redis.scan_iter(match="*allauth:rl:*"):
        cliente_redis.delete(chave)
