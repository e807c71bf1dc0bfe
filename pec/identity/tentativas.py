"""Password guessing limits on top of django-axes' lock per (CPF, address).

axes alone lets 30 addresses guess one CPF, or one address spray a few tries over many
CPFs. Two more limits, counted on axes' failure log (AccessFailureLog, one row per failed
attempt, in the request's transaction) so the web login and the LEDI receiving API share
them:

- per account (the CPF typed, or the API user): from the LIMITE_CONTA-th failure since
  the last successful login (within a day), every further try waits twice as long as the
  one before, up to an hour. The account's verified address is told at the first lock.
  Unknown CPFs count the same, so the answer says nothing about which accounts exist.
- per address: LIMITE_IP failures within JANELA_IP, whatever the accounts, blocks the
  address until the window has room again.

A blocked try is refused before the password is checked and is not counted again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from axes.models import AccessFailureLog, AccessLog
from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from pec.ator import ip_cliente


@dataclass(frozen=True)
class Bloqueio:
    motivo: str  # "conta" or "ip"
    segundos: int

    @property
    def minutos(self) -> int:
        return max(1, math.ceil(self.segundos / 60))

    @property
    def mensagem(self) -> str:
        quem = "este CPF" if self.motivo == "conta" else "este endereço de rede"
        return (
            f"Muitas tentativas de entrada sem sucesso para {quem}. "
            f"Aguarde {self.minutos} minuto(s) e tente de novo, ou use “Esqueci minha senha”."
        )


def _falhas_da_conta(username: str) -> list[AccessFailureLog]:
    agora = timezone.now()
    desde = agora - timedelta(hours=24)
    ultimo_sucesso = (
        AccessLog.objects.filter(username=username, attempt_time__gte=desde)
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)
        .first()
    )
    return list(
        AccessFailureLog.objects.filter(username=username, attempt_time__gte=max(desde, ultimo_sucesso or desde))
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)[: settings.PEC_LOGIN_LIMITE_CONTA + 12]
    )


def espera_da_conta(falhas: int) -> timedelta:
    """The wait after the n-th failure: 1, 2, 4, ... minutes, at most PEC_LOGIN_ESPERA_MAXIMA."""
    if falhas < settings.PEC_LOGIN_LIMITE_CONTA:
        return timedelta(0)
    minutos = 2 ** min(falhas - settings.PEC_LOGIN_LIMITE_CONTA, 12)
    return min(timedelta(minutes=minutos), timedelta(minutes=settings.PEC_LOGIN_ESPERA_MAXIMA_MINUTOS))


def bloqueio_da_conta(*, username: str) -> Bloqueio | None:
    falhas = _falhas_da_conta(username)
    espera = espera_da_conta(len(falhas))
    if not falhas or not espera:
        return None
    restante = (falhas[0] + espera - timezone.now()).total_seconds()
    return Bloqueio("conta", int(restante)) if restante > 0 else None


def bloqueio_do_ip(*, ip: str) -> Bloqueio | None:
    if not ip:
        return None
    janela = timedelta(minutes=settings.PEC_LOGIN_JANELA_IP_MINUTOS)
    limite = settings.PEC_LOGIN_LIMITE_IP
    recentes = list(
        AccessFailureLog.objects.filter(ip_address=ip, attempt_time__gte=timezone.now() - janela)
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)[:limite]
    )
    if len(recentes) < limite:
        return None
    restante = (recentes[-1] + janela - timezone.now()).total_seconds()
    return Bloqueio("ip", int(restante)) if restante > 0 else None


def bloqueio(*, username: str, request: HttpRequest) -> Bloqueio | None:
    """Whether a login try for `username` from this client must be refused now."""
    return bloqueio_do_ip(ip=ip_cliente(request) or "") or bloqueio_da_conta(username=username)


def falha_registrar(*, username: str, request: HttpRequest) -> None:
    """A failed login that does not pass through axes (the LEDI receiving API)."""
    AccessFailureLog.objects.create(
        username=username[:255],
        ip_address=ip_cliente(request) or None,
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:255],
        http_accept=request.META.get("HTTP_ACCEPT", "")[:1025],
        path_info=request.path[:255],
        locked_out=False,
    )


def tentativas_limpar(*, username: str) -> int:
    """Forget every failure of this account (the administrator's unlock)."""
    from axes.utils import reset as axes_reset

    removidas: int = axes_reset(username=username)
    apagadas, _ = AccessFailureLog.objects.filter(username=username).delete()
    total: int = removidas + apagadas
    return total


def ao_falhar_login(
    sender: object, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: object
) -> None:
    """user_login_failed, after axes logged it: at the first lock of the account, tell its
    verified address and the audit trail."""
    from pec.ator import Ator
    from pec.audit.chain import audit_event
    from pec.email import email_enfileirar
    from pec.identity.contas import email_confirmado
    from pec.identity.login import axes_username
    from pec.models import Usuario

    if request is None:
        return
    cpf = axes_username(request, credentials)
    falhas = len(_falhas_da_conta(cpf))
    if falhas != settings.PEC_LOGIN_LIMITE_CONTA:
        return
    usuario = Usuario.objects.filter(cpf=cpf).first() if cpf else None
    audit_event(
        evento="bloqueio",
        ator=Ator.da_requisicao(request),
        usuario=usuario,
        cpf_informado=cpf,
        detalhes={"motivo": "conta", "falhas": falhas},
    )
    endereco = email_confirmado(usuario=usuario) if usuario is not None else ""
    if endereco:
        email_enfileirar(
            para=[endereco],
            assunto="PEC: tentativas de entrada na sua conta",
            corpo=(
                f"Houve {falhas} tentativas de entrada sem sucesso na sua conta do PEC. A partir de agora cada nova "
                "tentativa espera mais tempo (até uma hora).\nSe não foi você, troque a sua senha e avise o "
                "administrador do seu município; se foi, use “Esqueci minha senha”."
            ),
        )
