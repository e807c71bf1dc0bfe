"""Helpers for the identity and access tests: municipalities with their default perfis,
lotações with the perfis of a CBO (or explicit ones), and logged-in clients."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.controller import Controller
from django.test import Client

from pec.embedded import free_port
from pec.identity.login import SESSION_LOTACAO
from pec.models import Lotacao, LotacaoPerfil, Municipio, Usuario
from pec.identity.permissoes import perfis_garantir_padrao, perfis_padrao_para_cbo
from pec.tenancy import tenant_context
from tests import factories

SENHA = "senha-forte-123"


def municipio(nome: str = "Município A", **campos: Any) -> Municipio:
    m = factories.municipio(nome, **campos)
    with tenant_context(m.id):
        perfis_garantir_padrao(municipio_id=m.id)
    return m


def lotacao(
    m: Municipio, usuario: Usuario, *, cbo: str = "225142", perfis: list[str] | None = None, **kwargs: object
) -> Lotacao:
    """A lotação with the default perfis of its CBO, or the given perfil codes."""
    lot = factories.lotacao(m, usuario, cbo=cbo, **kwargs)  # type: ignore[arg-type]
    with tenant_context(m.id):
        todos = perfis_garantir_padrao(municipio_id=m.id)
        for codigo in perfis if perfis is not None else perfis_padrao_para_cbo(cbo):
            LotacaoPerfil.objects.create(municipio=m, lotacao=lot, perfil=todos[codigo])
    return lot


def email_confirmado(usuario: Usuario, email: str) -> None:
    """The account's verified address (pec.identity.contas): what "Esqueci minha senha" mails."""
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=usuario, email=email, verified=True, primary=True)


def cliente(usuario: Usuario, lot: Lotacao | None = None) -> Client:
    """A client logged in as `usuario`, working in `lot` (chosen through the real page)."""
    client = Client()
    client.force_login(usuario, backend="django.contrib.auth.backends.ModelBackend")
    if lot is not None:
        resposta = client.post("/lotacao/", {"lotacao": lot.id})
        assert resposta.status_code == 302, resposta
        assert client.session[SESSION_LOTACAO] == lot.id
    return client


def cliente_pela_pagina(usuario: Usuario, lot: Lotacao | None = None) -> Client:
    """Like `cliente`, but through the login page: no second step is assumed (force_login
    stands for a login that passed MFA, see tests/conftest.py)."""
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
