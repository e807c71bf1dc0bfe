"""The active lotação of a logged-in user, kept in the session.

The session stores the lotação id and its municipality; every request re-reads the
lotação (inside the tenant) so a deactivated lotação stops working at once.
"""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest

from pec import tenancy
from pec.models import Lotacao

SESSION_LOTACAO = "lotacao_id"
SESSION_MUNICIPIO = "municipio_id"


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Accounts come from CNES imports and administrators, never self-service.
        return False


def activate_lotacao_from_session(request: HttpRequest) -> int | None:
    """Set the tenant of the request from the session; return its municipio id or None."""
    request.lotacao = None  # type: ignore[attr-defined]
    lotacao_id = request.session.get(SESSION_LOTACAO)
    municipio_id = request.session.get(SESSION_MUNICIPIO)
    if not lotacao_id or not municipio_id:
        return None
    tenancy.set_request_tenant(municipio_id)
    lotacao = (
        Lotacao.objects.select_related("profissional", "estabelecimento", "equipe", "municipio")
        .filter(id=lotacao_id, municipio_id=municipio_id, usuario=request.user, ativo=True)
        .first()
    )
    if lotacao is None:
        request.session.pop(SESSION_LOTACAO, None)
        request.session.pop(SESSION_MUNICIPIO, None)
        return None
    request.lotacao = lotacao  # type: ignore[attr-defined]
    return municipio_id
