from __future__ import annotations

from collections.abc import Callable

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
