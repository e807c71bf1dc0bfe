"""The installation administrator's backup page: history and configuration at a glance."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from pec.backups import backups_painel

View = Callable[..., HttpResponse]


def _requer_admin_instalacao(view: View) -> View:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        if not request.user.administrador_instalacao:
            raise PermissionDenied("Somente o administrador da instalação pode acessar esta página.")
        return view(request, *args, **kwargs)

    return wrapper


@_requer_admin_instalacao
def backups(request: HttpRequest) -> HttpResponse:
    return render(request, "pec/instalacao/backups.html", backups_painel())
