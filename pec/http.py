"""Typed requests for views (as healthchecks' `hc/accounts/http.py`): what the middleware
adds to Django's HttpRequest, so a view reads `request.lotacao` without a `type: ignore`.

The classes only describe; nothing constructs them. A view behind `requer_permissao` or
`requer_lotacao` is only reached with an active lotação, so it takes a
`RequisicaoComLotacao`; one behind `login_required` alone takes a `RequisicaoAutenticada`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest

if TYPE_CHECKING:
    from pec.ator import Ator
    from pec.models import Lotacao, Usuario


class RequisicaoPec(HttpRequest):
    """Any request that went through the middleware: request id, actor, maybe a lotação."""

    user: Usuario | AnonymousUser
    request_id: str
    ator: Ator
    lotacao: Lotacao | None


class RequisicaoAutenticada(RequisicaoPec):
    """A logged-in user, not necessarily with a lotação chosen."""

    user: Usuario


class RequisicaoComLotacao(RequisicaoAutenticada):
    """A logged-in user acting under an active lotação (and so in its municipality)."""

    lotacao: Lotacao
