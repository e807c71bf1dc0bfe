"""Upload caps applied before the body is read (pec.uploads)."""

from __future__ import annotations

from collections.abc import Callable

from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from pec.uploads import limite_upload

MB = 1024 * 1024


def _view_limitada() -> tuple[list[bytes], Callable[[HttpRequest], HttpResponse]]:
    lidos: list[bytes] = []

    def view(request: HttpRequest) -> HttpResponse:
        lidos.append(request.FILES["f"].read())  # type: ignore[union-attr]  # one file under "f"
        return HttpResponse("ok")

    return lidos, limite_upload(MB, lambda request, mensagem: HttpResponse(mensagem, status=413))(view)


def _post(tamanho: int, *, csrf: bool = False) -> HttpRequest:
    request = RequestFactory().post("/", {"f": SimpleUploadedFile("a.bin", b"x" * tamanho)})
    request._dont_enforce_csrf_checks = not csrf  # type: ignore[attr-defined]  # what the test client sets to skip CSRF
    return request


def test_file_within_the_cap_reaches_the_view_whole():
    lidos, view = _view_limitada()
    assert view(_post(MB)).status_code == 200 and lidos == [b"x" * MB]


def test_file_past_the_cap_stops_the_parser_even_when_the_declared_length_fits():
    """1 MB + 10 kB: the body's Content-Length is within the multipart margin, so the
    handler is what stops it, and the view never runs."""
    lidos, view = _view_limitada()
    resposta = view(_post(MB + 10_000))
    assert (resposta.status_code, resposta.content.decode()) == (413, "Arquivo grande demais (máximo de 1 MB).")
    assert lidos == []


def test_csrf_is_still_checked_after_the_cap():
    lidos, view = _view_limitada()
    assert view(_post(10, csrf=True)).status_code == 403 and lidos == []
