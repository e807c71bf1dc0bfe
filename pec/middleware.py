from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import BadRequest
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

from pec.identity.login import activate_lotacao_from_session
from pec.tenancy import USER_SETTING, current_municipio, set_config


class TenantMiddleware:
    """Runs each request in one transaction and sets the tenant of the active lotação.

    It replaces ATOMIC_REQUESTS, which would open its transaction only around the view,
    after middleware; the tenant must be set inside the same transaction as every query.
    A 5xx rolls the transaction back, as ATOMIC_REQUESTS would.

    It lives here, above pec.tenancy, because it needs the identity layer (the session's
    lotação); pec.tenancy stays below everything that imports it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with transaction.atomic():
            municipio_id = None
            if request.user.is_authenticated:
                set_config(USER_SETTING, request.user.pk, "default")
                municipio_id = activate_lotacao_from_session(request)
            with current_municipio(municipio_id):
                response = self.get_response(request)
            if response.status_code >= 500:
                transaction.set_rollback(True)
        return response


class NoStoreForUsersMiddleware:
    """Pages seen by a logged-in user may carry personal health data: never let a
    browser or proxy keep them (shared UBS workstations, back button after logout)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.user.is_authenticated:
            add_never_cache_headers(response)  # max-age=0, no-cache, no-store, must-revalidate, private
        return response


class ParametrosMiddleware:
    """A NUL byte in a query or form parameter is refused with 400 before any view runs:
    PostgreSQL text cannot hold it, so a search or a filter would end in a 500, and no
    field a person types ever carries one.

    Form data is read only where CsrfViewMiddleware reads it anyway; a CSRF-exempt view
    (the LEDI API) may choose its own upload handlers, so its multipart body is left to it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view: Callable[..., HttpResponse], *args: object) -> None:
        valores = list(request.GET.lists())
        isento = getattr(view, "csrf_exempt", False)
        if request.method == "POST" and not (isento and request.content_type == "multipart/form-data"):
            valores += list(request.POST.lists())
        if any("\x00" in nome or any("\x00" in v for v in lista) for nome, lista in valores):
            raise BadRequest("NUL byte in a request parameter")
