"""Idle and absolute session limits, set per municipality (Municipio.sessao_*).

Runs before pec.middleware.TenantMiddleware: an expired session is logged out before any
tenant is set and before the view sees the request. While no lotação is active (the
choice page, the installation administrator), the installation defaults apply.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import HttpRequest, HttpResponse

from pec.identity.login import SESSION_ATIVIDADE, SESSION_INICIO, SESSION_MUNICIPIO
from pec.models import Municipio
from pec.tenancy import tenant_context

# Saving the session on every request would write a row per click; a minute of
# imprecision in the idle limit is harmless.
_GRAVAR_ATIVIDADE_A_CADA = 60


def limites_da_sessao(municipio_id: int | None) -> tuple[int, int]:
    """(idle seconds, absolute seconds) for a session working in `municipio_id`."""
    valores = None
    if municipio_id is not None:
        valores = (
            Municipio.objects.filter(id=municipio_id)
            .values_list("sessao_ociosa_minutos", "sessao_maxima_horas")
            .first()
        )
    if valores is None:
        valores = (settings.PEC_SESSAO_OCIOSA_MINUTOS, settings.PEC_SESSAO_MAXIMA_HORAS)
    return valores[0] * 60, valores[1] * 3600


class SessionTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            expirou = self._expirou(request)
            if expirou:
                return self._encerrar(request, expirou)
        return self.get_response(request)

    def _expirou(self, request: HttpRequest) -> str:
        sessao = request.session
        agora = time.time()
        ociosa, maxima = limites_da_sessao(sessao.get(SESSION_MUNICIPIO))
        inicio = sessao.setdefault(SESSION_INICIO, agora)
        ultima = sessao.get(SESSION_ATIVIDADE, agora)
        if agora - ultima > ociosa:
            return "Sua sessão foi encerrada por inatividade. Entre novamente."
        if agora - inicio > maxima:
            return "Sua sessão atingiu a duração máxima permitida. Entre novamente."
        if agora - ultima >= _GRAVAR_ATIVIDADE_A_CADA or SESSION_ATIVIDADE not in sessao:
            sessao[SESSION_ATIVIDADE] = agora
        return ""

    def _encerrar(self, request: HttpRequest, motivo: str) -> HttpResponse:
        municipio_id = request.session.get(SESSION_MUNICIPIO)
        # The logout signal writes the audit trail, in the municipality's chain when the
        # session had one; the write and the logout commit together.
        if municipio_id is not None:
            with tenant_context(municipio_id):
                logout(request)
        else:
            with transaction.atomic():
                logout(request)
        messages.info(request, motivo)
        return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
