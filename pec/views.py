from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from pec.celery import app as celery_app


@login_required
def inicio(request: HttpRequest) -> HttpResponse:
    return render(request, "pec/inicio.html", {"lotacao": request.lotacao})


@never_cache
def saude(request: HttpRequest) -> JsonResponse:
    """Health check for monitoring: PostgreSQL, Redis and a Celery worker must answer."""
    checks = {"postgresql": _check_postgresql(), "redis": _check_redis(), "worker": _check_worker()}
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "falha", **checks}, status=200 if healthy else 503)


def _check_postgresql() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as exc:  # a health check reports, it does not raise
        return f"erro: {exc.__class__.__name__}"


def _check_redis() -> str:
    try:
        cache.set("saude", "ok", 5)
        return "ok" if cache.get("saude") == "ok" else "erro: leitura"
    except Exception as exc:
        return f"erro: {exc.__class__.__name__}"


def _check_worker() -> str:
    try:
        replies = celery_app.control.ping(timeout=1.0)
    except Exception as exc:
        return f"erro: {exc.__class__.__name__}"
    return "ok" if replies else "erro: nenhum worker respondeu"
