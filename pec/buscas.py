"""Searches by patient identifiers never put them in a URL.

A URL ends up in the access logs of nginx and gunicorn, in the browser's history and in
the Referer header of the next request; a CPF, CNS, name or date of birth typed into a
search box must not. The search form is a POST (with its CSRF token); the view keeps
what was typed in the server-side session under a random id and redirects to
`?busca=<id>`, so reloading, the back button and the result links still work while the
logs see only the id. The session keeps the last few searches and dies with it.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect

CHAVE_SESSAO = "pec_buscas"
GUARDADAS = 20


def busca_guardar(request: HttpRequest, dados: dict[str, str]) -> str:
    """Keep the search's fields in the session; returns its id."""
    buscas: dict[str, dict[str, str]] = dict(request.session.get(CHAVE_SESSAO, {}))
    chave = secrets.token_urlsafe(9)
    buscas[chave] = dados
    for antiga in list(buscas)[:-GUARDADAS]:
        del buscas[antiga]
    request.session[CHAVE_SESSAO] = buscas
    return chave


def busca_ler(request: HttpRequest) -> dict[str, str]:
    """The fields of the search named by `?busca=`; empty when unknown or expired."""
    buscas: dict[str, Any] = request.session.get(CHAVE_SESSAO, {})
    dados = buscas.get(request.GET.get("busca", ""), {})
    return dados if isinstance(dados, dict) else {}


def busca_redirecionar(request: HttpRequest, url: str, dados: dict[str, str], **outros: str) -> HttpResponseRedirect:
    """Post/redirect/get: to `url?busca=<id>` (plus non-identifying parameters)."""
    return redirect(f"{url}?{urlencode({**outros, 'busca': busca_guardar(request, dados)})}")


def busca_postada(request: HttpRequest, url: str, **outros: str) -> HttpResponseRedirect:
    """A posted one-box search (field `q`): kept server-side, shown at url?busca=<id>."""
    entrada = request.POST.get("q", "").strip()[:200]
    if not entrada:
        return redirect(f"{url}?{urlencode(outros)}" if outros else url)
    return busca_redirecionar(request, url, {"q": entrada}, **outros)
