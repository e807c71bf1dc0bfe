"""Upload size caps enforced before the body is read.

Django parses a multipart body the first time `request.POST` or `request.FILES` is
touched (CsrfViewMiddleware does it for every POST, before the view), streaming each file
to memory or to a temporary file whatever its size; a size check in a form or a view then
runs after the whole file has arrived. `limite_upload` refuses by the declared
Content-Length before anything is parsed, then parses the body through a handler that
stops reading a file that grows past the cap anyway (a Content-Length that lied). Changing the upload handlers is only possible before the
body is parsed, so the view is exempted from the middleware's CSRF check and checked by
`csrf_protect` right after, the order Django's documentation prescribes for this.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt, csrf_protect

View = Callable[..., HttpResponse]
# The multipart envelope around the file (boundaries, headers, the CSRF field).
FOLGA_MULTIPART = 64 * 1024


def megabytes(limite: int) -> str:
    return f"{limite // (1024 * 1024)} MB"


class _Limite(FileUploadHandler):
    """Stops the parser once a file passes the cap, and says so."""

    def __init__(self, request: HttpRequest, limite: int) -> None:
        super().__init__(request)
        self.limite, self.excedido = limite, False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limite:
            self.excedido = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def tamanho_declarado(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def limite_upload(
    limite: int, recusa: Callable[[HttpRequest, str], HttpResponse], *, csrf: bool = True
) -> Callable[[View], View]:
    """Refuse a POST whose file may be larger than `limite` bytes with `recusa(request,
    message)`, before reading it. `csrf=False` for views that are CSRF-exempt already
    (the receiving API authenticates by its own session cookie)."""

    def decorador(view: View) -> View:
        protegida = csrf_protect(view) if csrf else view

        @csrf_exempt
        @functools.wraps(view)
        def envolvida(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method == "POST":
                mensagem = f"Arquivo grande demais (máximo de {megabytes(limite)})."
                if tamanho_declarado(request) > limite + FOLGA_MULTIPART:
                    return recusa(request, mensagem)
                limitador = _Limite(request, limite)
                request.upload_handlers.insert(0, limitador)
                request.FILES  # parsed here, through the limit  # noqa: B018
                if limitador.excedido:
                    return recusa(request, mensagem)
            return protegida(request, *args, **kwargs)

        return envolvida

    return decorador
