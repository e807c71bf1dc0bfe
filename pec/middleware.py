from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers


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
