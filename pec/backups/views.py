"""The installation administrator's backup page: history and configuration at a glance."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from pec.backups.selectors import backups_painel
from pec.identity.acesso import requer_admin_instalacao


@requer_admin_instalacao
def backups(request: HttpRequest) -> HttpResponse:
    return render(request, "pec/instalacao/backups.html", backups_painel())
