"""The audit trail: who did what, to which citizen, when, from where (ASVS V16, LGPD).

Append-only (the app role may only INSERT and SELECT; triggers reject UPDATE, DELETE and
TRUNCATE for everyone) and tamper-evident: every municipality has its own hash chain, and
the installation one more (municipio NULL), where each row's hash covers its canonical
content and the previous row's hash. `verificar_cadeias` recomputes them.

The write happens in the caller's transaction (the request's): if it fails, the request
fails with it (ASVS 16.5.3). Appends to one chain are serialised by a transaction-level
advisory lock, so the chain never forks; the price is that requests of one municipality
that have written an event queue behind each other until they commit.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import psycopg
from axes.helpers import get_client_ip_address
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from pec.models import EventoAuditoria, Usuario
from pec.tenancy import TENANT_SETTING, current_municipio_id, get_config, set_config

GENESIS = "0" * 64
INSTALACAO = "instalacao"

# Event codes, with their pt-BR labels for the audit page.
EVENTOS: dict[str, str] = {
    "login_sucesso": "Login",
    "login_falha": "Falha de login",
    "bloqueio": "Bloqueio por tentativas",
    "logout": "Saída",
    "senha_alterada": "Senha alterada",
    "senha_redefinida": "Senha redefinida",
    "mfa_ativado": "Autenticação em dois fatores ativada",
    "mfa_desativado": "Autenticação em dois fatores desativada",
    "lotacao_escolhida": "Lotação escolhida",
    "admin_alteracao": "Alteração administrativa",
    "desbloqueio": "Desbloqueio de acesso",
    "leitura_prontuario": "Acesso ao prontuário",
    "prontuario_adendo": "Adendo a atendimento finalizado",
    "atendimento_assumido": "Atendimento em andamento assumido de outro profissional",
    "vacina_correcao": "Correção de dose de vacina",
    "vacina_exclusao": "Exclusão de dose de vacina",
    "auditoria_consulta": "Consulta à auditoria",
    "auditoria_exportacao": "Exportação da auditoria",
}

# The fields a row's hash covers, in the order of the columns. Adding one is a format
# change: old rows must keep verifying, so it would need a version marker.
_CAMPOS = (
    "municipio_id",
    "sequencia",
    "criado_em",
    "evento",
    "usuario_id",
    "cpf_informado",
    "lotacao_id",
    "cidadao_id",
    "o_que",
    "ip",
    "request_id",
    "detalhes",
)

# Namespace of the advisory locks of the chains (first key); the second is the municipio.
_LOCK_NAMESPACE = 0x41554449  # "AUDI"


def canonico(campos: dict[str, Any]) -> str:
    """The canonical JSON of a row: explicit fields, sorted keys, timestamps in ISO UTC."""
    registro = {nome: campos[nome] for nome in _CAMPOS}
    registro["criado_em"] = campos["criado_em"].astimezone(UTC).isoformat()
    return json.dumps(registro, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def calcular_hash(campos: dict[str, Any], hash_anterior: str) -> str:
    return hashlib.sha256((canonico(campos) + hash_anterior).encode("utf-8")).hexdigest()


def audit_event(
    *,
    evento: str,
    request: HttpRequest | None = None,
    usuario: Usuario | None = None,
    municipio_id: int | None = None,
    cidadao_id: int | None = None,
    o_que: str = "",
    detalhes: dict | None = None,
    cpf_informado: str = "",
    instalacao: bool = False,
) -> EventoAuditoria:
    """Append one event to the chain of its municipality (or of the installation).

    Missing values come from the request: the user, the active lotação (and so the
    municipality), the client IP and the request id. Without a request or a lotação, the
    municipality is that of the current tenant_context, else the installation.
    `instalacao=True` puts the event in the installation chain whatever the request's
    lotação (installation administration: municipalities, SMTP).
    """
    lotacao = getattr(request, "lotacao", None) if request is not None else None
    if usuario is None and request is not None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            usuario = user
    if instalacao:
        if municipio_id is not None:
            raise ValueError("an installation event has no municipio_id")
    elif municipio_id is None:
        municipio_id = lotacao.municipio_id if lotacao is not None else current_municipio_id()
    # JSON round trip: the row must hash to what jsonb gives back. Dates and decimals become
    # strings (DjangoJSONEncoder), and so do floats: jsonb rewrites 1e+20 as
    # 100000000000000000000, which would no longer hash the same.
    detalhes_json = json.loads(json.dumps(detalhes or {}, cls=DjangoJSONEncoder), parse_float=str, parse_constant=str)
    campos: dict[str, Any] = {
        "municipio_id": municipio_id,
        "evento": evento,
        "usuario_id": usuario.pk if usuario is not None else None,
        "cpf_informado": cpf_informado.replace("\x00", "")[:64],
        # A lotação of another municipality (an installation event during a request)
        # would be a dangling reference in this chain.
        "lotacao_id": lotacao.id if lotacao is not None and lotacao.municipio_id == municipio_id else None,
        "cidadao_id": cidadao_id,
        "o_que": o_que,
        "ip": client_ip(request) if request is not None else "",
        "request_id": getattr(request, "request_id", "") if request is not None else "",
        "detalhes": detalhes_json,
    }
    with transaction.atomic(), chain_scope(municipio_id):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, municipio_id or 0])
        anterior = (
            EventoAuditoria.objects.filter(municipio_id=municipio_id)
            .order_by("-sequencia")
            .values_list("sequencia", "hash")
            .first()
        )
        sequencia, hash_anterior = (anterior[0] + 1, anterior[1]) if anterior else (1, GENESIS)
        campos["sequencia"] = sequencia
        # Read under the lock, so time never goes backwards along a chain.
        campos["criado_em"] = timezone.now()
        return EventoAuditoria.objects.create(
            **campos, hash_anterior=hash_anterior, hash=calcular_hash(campos, hash_anterior)
        )


def audit_read(*, request: HttpRequest, cidadao_id: int, o_que: str) -> EventoAuditoria:
    """Record a read of a citizen's record. Call it from every selector that shows one."""
    lotacao = getattr(request, "lotacao", None)
    if lotacao is None:
        raise PermissionDenied("A citizen's record is read only under an active lotação.")
    return audit_event(
        evento="leitura_prontuario",
        request=request,
        municipio_id=lotacao.municipio_id,
        cidadao_id=cidadao_id,
        o_que=o_que,
    )


@contextmanager
def chain_scope(municipio_id: int | None) -> Iterator[None]:
    """Within the current transaction, make the target chain the visible one.

    The policy shows a municipality's rows under its tenant and the installation's with no
    tenant; an event for another chain than the request's (an installation administrator
    creating a municipality) needs the setting switched for the append, then put back.
    """
    wanted = "" if municipio_id is None else str(municipio_id)
    previous = get_config(TENANT_SETTING, "default")
    if previous == wanted:
        yield
        return
    set_config(TENANT_SETTING, wanted, "default")
    try:
        # A savepoint: after a failed append the transaction is usable again, so the
        # setting can be put back and the original error is the one that propagates.
        with transaction.atomic():
            yield
    finally:
        set_config(TENANT_SETTING, previous, "default")


def client_ip(request: HttpRequest) -> str:
    """The client address as django-axes sees it (same proxy settings), normalised."""
    raw = get_client_ip_address(request)
    if not raw:
        return ""
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return ""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return str(address)


# --- Verification ---------------------------------------------------------------------

_SELECT_ROWS = (
    "SELECT id, " + ", ".join(_CAMPOS) + ", hash_anterior, hash FROM pec_eventoauditoria "
    "ORDER BY municipio_id NULLS FIRST, sequencia"
)


def _nome_cadeia(municipio_id: int | None) -> str:
    return INSTALACAO if municipio_id is None else f"municipio {municipio_id}"


def verificar_cadeias(
    conn: psycopg.Connection, *, progresso: Callable[[str, int], None] | None = None, a_cada: int = 10_000
) -> list[str]:
    """Walk every chain, recompute each hash and check the sequence; one problem (the first
    broken link) per broken chain, [] when all are intact.

    `conn` must see every row: a BYPASSRLS role (the backup role) or a superuser. The
    optional `progresso(chain, rows_checked)` is called every `a_cada` rows of a chain.
    """
    problemas = _rls_problema(conn)
    atual: object = object()  # the chain being walked; a sentinel before the first row
    esperado_seq, esperado_hash, quebrada, contagem = 1, GENESIS, False, 0
    anterior_id: int | None = None
    with conn.cursor() as cursor:
        for row in cursor.stream(_SELECT_ROWS):
            linha_id, campos, hash_anterior, hash_gravado = row[0], dict(zip(_CAMPOS, row[1:13])), row[13], row[14]
            municipio_id = campos["municipio_id"]
            if municipio_id != atual:
                atual, esperado_seq, esperado_hash, quebrada, contagem = municipio_id, 1, GENESIS, False, 0
                anterior_id = None
            contagem += 1
            if progresso is not None and contagem % a_cada == 0:
                progresso(_nome_cadeia(municipio_id), contagem)
            if quebrada:
                continue
            problema = _verificar_linha(linha_id, campos, hash_anterior, hash_gravado, esperado_seq, esperado_hash, anterior_id)
            if problema:
                problemas.append(f"{_nome_cadeia(municipio_id)}: {problema}")
                quebrada = True
                continue
            esperado_seq, esperado_hash, anterior_id = campos["sequencia"] + 1, hash_gravado, linha_id
    return problemas


def _verificar_linha(
    linha_id: int,
    campos: dict[str, Any],
    hash_anterior: str,
    hash_gravado: str,
    esperado_seq: int,
    esperado_hash: str,
    anterior_id: int | None,
) -> str:
    seq = campos["sequencia"]
    if seq != esperado_seq:
        depois = f"after seq {esperado_seq - 1} (id {anterior_id})" if anterior_id is not None else "at the start"
        return f"sequence gap {depois}: next row is seq {seq} (id {linha_id}), expected seq {esperado_seq}"
    if hash_anterior != esperado_hash:
        return f"row seq {seq} (id {linha_id}) does not link to the previous row's hash"
    if calcular_hash(campos, hash_anterior) != hash_gravado:
        return f"row seq {seq} (id {linha_id}) hash mismatch"
    return ""


def _rls_problema(conn: psycopg.Connection) -> list[str]:
    row = conn.execute("SELECT rolsuper OR rolbypassrls, rolname FROM pg_roles WHERE rolname = current_user").fetchone()
    if row and not row[0]:
        return [f"role {row[1]} is subject to row-level security: it cannot see every chain"]
    return []


def cabecas_das_cadeias(conn: psycopg.Connection) -> dict[str, dict]:
    """The last link of every chain, to be kept off-host: a truncated tail is caught only
    by comparing with an earlier copy of the heads."""
    rows = conn.execute(
        "SELECT DISTINCT ON (municipio_id) municipio_id, sequencia, hash FROM pec_eventoauditoria "
        "ORDER BY municipio_id NULLS FIRST, sequencia DESC"
    ).fetchall()
    return {
        (INSTALACAO if municipio_id is None else str(municipio_id)): {"sequencia": sequencia, "hash": hash_}
        for municipio_id, sequencia, hash_ in rows
    }


# --- Request id -------------------------------------------------------------------------

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Gives every request an id (nginx's X-Request-ID when sane, else a new uuid4) that
    the audit trail, the logs and the response header share."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        recebido = request.headers.get("X-Request-ID", "")
        request.request_id = recebido if _REQUEST_ID.match(recebido) else uuid.uuid4().hex  # type: ignore[attr-defined]
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id  # type: ignore[attr-defined]
        return response


# --- Authentication events (connected in pec.apps) ---------------------------------------


def _ao_login(sender: Any, request: HttpRequest | None, user: Usuario, **kwargs: Any) -> None:
    audit_event(evento="login_sucesso", request=request, usuario=user)


def _ao_login_falho(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any) -> None:
    informado = str(credentials.get("username") or credentials.get("cpf") or credentials.get("login") or "")
    audit_event(
        evento="login_falha",
        request=request,
        usuario=_usuario_do_cpf(informado),
        cpf_informado=informado,
    )


def _ao_bloqueio(sender: Any, request: HttpRequest | None, username: str | None, **kwargs: Any) -> None:
    informado = username or ""
    audit_event(evento="bloqueio", request=request, usuario=_usuario_do_cpf(informado), cpf_informado=informado)


def _ao_logout(sender: Any, request: HttpRequest | None, user: Usuario | None, **kwargs: Any) -> None:
    audit_event(evento="logout", request=request, usuario=user)


def _ao_trocar_senha(sender: Any, request: HttpRequest | None, user: Usuario, **kwargs: Any) -> None:
    audit_event(evento="senha_alterada", request=request, usuario=user)


def _ao_redefinir_senha(sender: Any, request: HttpRequest | None, user: Usuario, **kwargs: Any) -> None:
    audit_event(evento="senha_redefinida", request=request, usuario=user)


def _ao_adicionar_mfa(sender: Any, request: HttpRequest | None, user: Usuario, authenticator: Any, **kwargs: Any) -> None:
    audit_event(evento="mfa_ativado", request=request, usuario=user, detalhes={"tipo": authenticator.type})


def _ao_remover_mfa(sender: Any, request: HttpRequest | None, user: Usuario, authenticator: Any, **kwargs: Any) -> None:
    audit_event(evento="mfa_desativado", request=request, usuario=user, detalhes={"tipo": authenticator.type})


def _usuario_do_cpf(informado: str) -> Usuario | None:
    """The account a failed attempt aimed at, when the typed login is a known CPF."""
    cpf = re.sub(r"\D", "", informado)
    if len(cpf) != 11:
        return None
    return Usuario.objects.filter(cpf=cpf).first()


def conectar_sinais() -> None:
    from allauth.account import signals as conta
    from allauth.mfa import signals as mfa
    from axes.signals import user_locked_out
    from django.contrib.auth import signals as auth

    auth.user_logged_in.connect(_ao_login, dispatch_uid="pec.audit.login")
    auth.user_login_failed.connect(_ao_login_falho, dispatch_uid="pec.audit.login_falha")
    auth.user_logged_out.connect(_ao_logout, dispatch_uid="pec.audit.logout")
    user_locked_out.connect(_ao_bloqueio, dispatch_uid="pec.audit.bloqueio")
    conta.password_changed.connect(_ao_trocar_senha, dispatch_uid="pec.audit.senha_alterada")
    conta.password_reset.connect(_ao_redefinir_senha, dispatch_uid="pec.audit.senha_redefinida")
    mfa.authenticator_added.connect(_ao_adicionar_mfa, dispatch_uid="pec.audit.mfa_ativado")
    mfa.authenticator_removed.connect(_ao_remover_mfa, dispatch_uid="pec.audit.mfa_desativado")


# --- Selector of the audit page ---------------------------------------------------------


def eventos_auditoria(
    *,
    municipio_id: int | None,
    usuario: str = "",
    cidadao_id: int | None = None,
    de: date | None = None,
    ate: date | None = None,
    evento: str = "",
) -> QuerySet[EventoAuditoria]:
    """A municipality's events (None: the installation's), newest first. `usuario` is a
    CPF (with or without punctuation; also matches the login typed in failed attempts) or
    part of a name. Rows are visible only within chain_scope of the same chain."""
    eventos = EventoAuditoria.objects.filter(municipio_id=municipio_id).select_related("usuario")
    if usuario:
        cpf = re.sub(r"\D", "", usuario)
        if len(cpf) == 11 and not re.search(r"[A-Za-zÀ-ÿ]", usuario):
            eventos = eventos.filter(Q(usuario__cpf=cpf) | Q(cpf_informado__in=[cpf, usuario.strip()]))
        else:
            eventos = eventos.filter(usuario__nome__icontains=usuario.strip())
    if cidadao_id is not None:
        eventos = eventos.filter(cidadao_id=cidadao_id)
    if de is not None:
        eventos = eventos.filter(criado_em__gte=_inicio_do_dia(de))
    if ate is not None:
        eventos = eventos.filter(criado_em__lt=_inicio_do_dia(ate + timedelta(days=1)))
    if evento:
        eventos = eventos.filter(evento=evento)
    return eventos.order_by("-criado_em", "-id")


def _inicio_do_dia(dia: date) -> datetime:
    """Midnight of a local (installation time zone) date: the admin thinks in local days."""
    return timezone.make_aware(datetime.combine(dia, time.min))
