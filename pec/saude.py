"""`/saude/`: the health check for monitoring, cheap enough to be polled by anyone.

It used to ping the Celery workers on every call (a web worker blocked for a second: 15
clients took the login page from 7 ms to 4.8 s) and ran inside the request transaction,
so a PostgreSQL that refused connections gave a 500 before the check could say so. Now:

- the worker proves itself: a consumer step (`Batimento`) writes the time to Redis when
  the worker starts and every BATIMENTO_SEGUNDOS from the worker's own event loop, the
  same loop that would answer a ping; the check only reads it (stale after
  PEC_SAUDE_WORKER_SEGUNDOS);
- PostgreSQL (a connection of its own, with a short connect and statement timeout) and
  Redis are checked at most every PEC_SAUDE_INTERVALO seconds per web process; in
  between, the last result is served;
- `SaudeMiddleware` answers before the session, authentication and tenant middleware,
  so no request transaction is opened: a database that refuses is a 503 with the reason.

nginx lets only the monitoring addresses reach it (deploy/nginx/pec.conf).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg
from celery import bootsteps
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers

logger = logging.getLogger(__name__)

CAMINHO = "/saude/"
CHAVE_BATIMENTO = "pec:saude:worker"
BATIMENTO_SEGUNDOS = 30.0
TIMEOUT_SEGUNDOS = 2

_trava = threading.Lock()
_ultimo: dict[str, Any] = {"em": None, "checks": {}}


def saude_verificar() -> dict[str, str]:
    """The checks, from this process's last result when it is recent enough."""
    with _trava:
        agora = time.monotonic()
        if _ultimo["em"] is None or agora - _ultimo["em"] >= settings.PEC_SAUDE_INTERVALO:
            _ultimo["checks"] = {"postgresql": _postgresql(), "redis": _redis(), "worker": _worker()}
            _ultimo["em"] = agora
        return dict(_ultimo["checks"])


def saude_esquecer() -> None:
    """Drop the remembered result: the next call checks again."""
    with _trava:
        _ultimo["em"] = None


def _postgresql() -> str:
    banco = settings.DATABASES["default"]
    try:
        with psycopg.connect(
            dbname=banco["NAME"],
            host=banco.get("HOST") or None,
            port=banco.get("PORT") or None,
            user=banco.get("USER") or None,
            password=banco.get("PASSWORD") or None,
            connect_timeout=TIMEOUT_SEGUNDOS,
            options=f"-c statement_timeout={TIMEOUT_SEGUNDOS * 1000}",
            application_name="pec-saude",
        ) as conexao:
            conexao.execute("SELECT 1")
        return "ok"
    except Exception as exc:  # a health check reports, it does not raise
        return f"erro: {exc.__class__.__name__}"


def _redis() -> str:
    try:
        cache.set("pec:saude:redis", "ok", 30)
        return "ok" if cache.get("pec:saude:redis") == "ok" else "erro: leitura"
    except Exception as exc:
        return f"erro: {exc.__class__.__name__}"


def _worker() -> str:
    try:
        batimento = cache.get(CHAVE_BATIMENTO)
    except Exception as exc:
        return f"erro: {exc.__class__.__name__}"
    if batimento is None:
        return "erro: nenhum worker ativo"
    atraso = time.time() - float(batimento)
    if atraso > settings.PEC_SAUDE_WORKER_SEGUNDOS:
        return f"erro: nenhum worker há {atraso:.0f} s"
    return "ok"


def batimento_gravar() -> None:
    """The worker is alive: its time, kept twice as long as it counts as fresh."""
    cache.set(CHAVE_BATIMENTO, time.time(), timeout=int(settings.PEC_SAUDE_WORKER_SEGUNDOS) * 2)


class Batimento(bootsteps.StartStopStep):
    """Consumer step of every worker: `batimento_gravar` at start and on the consumer's
    timer, so a worker whose event loop is stuck stops beating (as it stops answering a ping)."""

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.tref: Any = None

    def start(self, parent: Any) -> None:
        _batimento_seguro()
        self.tref = parent.timer.call_repeatedly(BATIMENTO_SEGUNDOS, _batimento_seguro)

    def stop(self, parent: Any) -> None:
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None


def _batimento_seguro() -> None:
    # A Redis hiccup must not stop the worker's event loop; the stale beat reports it.
    try:
        batimento_gravar()
    except Exception as exc:
        logger.warning("health heartbeat not written: %s: %s", exc.__class__.__name__, exc)


class SaudeMiddleware:
    """Answers `/saude/` before any middleware that touches the session or the database."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info != CAMINHO:
            return self.get_response(request)
        checks = saude_verificar()
        saudavel = all(valor == "ok" for valor in checks.values())
        resposta = JsonResponse({"status": "ok" if saudavel else "falha", **checks}, status=200 if saudavel else 503)
        add_never_cache_headers(resposta)
        return resposta
