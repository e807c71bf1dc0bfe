"""Who is acting: the one value services and selectors take instead of a request.

A request's actor is built once, by `AtorMiddleware` (right after the tenant middleware
has found the session's lotação), and read as `request.ator`; a Celery task or a
manage.py command acts as `Ator.do_sistema(municipio)`; work a request hands to a worker
stores `ator.dados()` with its row and the worker rebuilds the same actor with
`Ator.carregar`. So the same service runs from a view, a task or a command, and its audit
events say who, under which lotação, from which address and in which request.

`ip_cliente` is the project's one reading of the client address: the audit trail, the
login lockout (django-axes' AXES_CLIENT_IP_CALLABLE) and the attempts table all use it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

if TYPE_CHECKING:
    from pec.models import Lotacao, Municipio, Usuario


@dataclass(frozen=True)
class Ator:
    """The acting user, their active lotação (None for the system or before one is
    chosen), the municipality acted in, and where the action came from."""

    municipio_id: int | None
    lotacao: Lotacao | None = None
    usuario: Usuario | None = None
    ip: str = ""
    request_id: str = ""

    @property
    def lotacao_id(self) -> int | None:
        return self.lotacao.id if self.lotacao is not None else None

    def lotacao_exigida(self) -> Lotacao:
        """The lotação, for work only a professional working in one may do (the pages that
        call this sit behind the lotação choice, so None here is a bug, not a user error)."""
        if self.lotacao is None:
            raise PermissionDenied("Escolha uma lotação para continuar.")
        return self.lotacao

    def municipio_exigido(self) -> int:
        """The municipality, for work that only exists inside one."""
        if self.municipio_id is None:
            raise PermissionDenied("Escolha uma lotação para continuar.")
        return self.municipio_id

    @classmethod
    def da_requisicao(cls, request: HttpRequest) -> Ator:
        """As the request stands now: after a login or a lotação switch, build it again."""
        user = getattr(request, "user", None)
        lotacao = getattr(request, "lotacao", None)
        return cls(
            municipio_id=lotacao.municipio_id if lotacao is not None else None,
            lotacao=lotacao,
            usuario=user if user is not None and user.is_authenticated else None,
            ip=ip_cliente(request),
            request_id=getattr(request, "request_id", ""),
        )

    @classmethod
    def do_sistema(cls, municipio: Municipio | int | None) -> Ator:
        """The installation itself (a task, a command): no user, no lotação, no address."""
        municipio_id = municipio if municipio is None or isinstance(municipio, int) else municipio.id
        return cls(municipio_id=municipio_id)

    def com_usuario(self, usuario: Usuario | None) -> Ator:
        """The same origin, acting as (or on behalf of) another account."""
        return replace(self, usuario=usuario)

    def dados(self) -> dict[str, Any]:
        """JSON for a row a worker will process on this actor's behalf (`carregar`)."""
        return {
            "usuario_id": self.usuario.pk if self.usuario is not None else None,
            "lotacao_id": self.lotacao_id,
            "ip": self.ip,
            "request_id": self.request_id,
        }

    @classmethod
    def carregar(cls, dados: dict[str, Any], *, municipio_id: int | None) -> Ator:
        """`dados` back into an actor, inside the tenant context of `municipio_id`."""
        from pec.models import Lotacao, Usuario

        usuario_id, lotacao_id = dados.get("usuario_id"), dados.get("lotacao_id")
        return cls(
            municipio_id=municipio_id,
            lotacao=Lotacao.objects.filter(id=lotacao_id).first() if lotacao_id else None,
            usuario=Usuario.objects.filter(id=usuario_id).first() if usuario_id else None,
            ip=dados.get("ip", ""),
            request_id=dados.get("request_id", ""),
        )


def ip_cliente(request: HttpRequest) -> str:
    """The client's address, honest behind PROXY_COUNT trusted reverse proxies; "" when
    it is not an address.

    Each proxy (nginx: `proxy_add_x_forwarded_for`) appends the address it received the
    connection from, so the client is the PROXY_COUNT-th entry from the right; entries
    further left were written by the client and are not trusted. Without proxies the
    header is ignored, so a client cannot dodge the lockout by inventing addresses.
    An IPv4 address mapped into IPv6 is written as IPv4, so one client is one address.
    """
    bruto = request.META.get("REMOTE_ADDR") or ""
    proxies = settings.AXES_IPWARE_PROXY_COUNT
    if proxies:
        cadeia = [parte.strip() for parte in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if parte.strip()]
        if len(cadeia) >= proxies:
            bruto = cadeia[-proxies]
    try:
        endereco = ipaddress.ip_address(bruto)
    except ValueError:
        return ""
    if isinstance(endereco, ipaddress.IPv6Address) and endereco.ipv4_mapped:
        endereco = endereco.ipv4_mapped
    return str(endereco)


class AtorMiddleware:
    """Sets `request.ator`, once, inside the tenant middleware's transaction (which has
    set `request.lotacao`). Views pass it to services and selectors."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.ator = Ator.da_requisicao(request)  # type: ignore[attr-defined]
        return self.get_response(request)
