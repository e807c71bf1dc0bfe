"""The audit trail: who did what, to which citizen, when, from where (ASVS V16, LGPD).

Rows enter only through the database function `pec_auditoria_registrar` (SECURITY
DEFINER, owned by the audit role that never logs in; migration 0008): the app role may
EXECUTE it and SELECT the table, nothing else. The function, not the caller, sets the
sequence, the time, the database user and the hash, so the application can neither
backdate an event nor fork, reorder or rewrite a chain; it also refuses an event for
another chain than the transaction's tenant or naming a lotação of another municipality.
Triggers reject UPDATE, DELETE, TRUNCATE and any other INSERT, even the owner's.

Tamper-evident: every municipality has its own hash chain, and the installation one more
(municipio NULL), where each row's hash covers its content and the previous row's hash.
`verificar_cadeias` recomputes them here, in Python, without trusting the database's code.
A deleted tail or a whole deleted chain breaks no link: it shows only against heads kept
off the server. `cabecas_exportar` signs the heads (HMAC with PEC_AUDIT_HEAD_KEY, a key
that is not on the database host; the nightly backup's manifest carries them too) and
`verificar_cabecas` (`verify_audit --heads FILE`) reports a chain shorter than or
different from its exported head and a municipality with no chain.

What it cannot stop: whoever can call the function (the application) can append new
events, stamped with the true time and database user; what is there stays.

The write happens in the caller's transaction (the request's): if it fails, the request
fails with it (ASVS 16.5.3). Appends to one chain are serialised by a transaction-level
advisory lock taken in the function, so the chain never forks; the price is that
requests of one municipality that have written an event queue behind each other until
they commit. Removing that queue (rows inserted unlinked, chained at commit) changes only
the function: callers and verification stay as they are.

Row formats: 1, hashed by the application before migration 0008 (`canonico`); 2, by the
function (`canonico_v2`). Along a chain the format never goes back from 2 to 1.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import psycopg
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from pec.ator import Ator
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
    "conta_vinculada": "Conta vinculada a mais um município",
    "conta_email_definido": "E-mail da conta definido pelo administrador da instalação",
    "leitura_prontuario": "Acesso ao prontuário",
    "busca_cidadao": "Busca de cidadão",
    "prontuario_adendo": "Adendo a atendimento finalizado",
    "atendimento_assumido": "Atendimento em andamento assumido de outro profissional",
    "vacina_correcao": "Correção de dose de vacina",
    "vacina_exclusao": "Exclusão de dose de vacina",
    "logradouro_cadastro": "Cadastro de logradouro",
    "logradouro_atualizacao": "Atualização de logradouro",
    "imovel_cadastro": "Cadastro de imóvel",
    "imovel_atualizacao": "Atualização de imóvel",
    "familia_cadastro": "Cadastro de família",
    "familia_atualizacao": "Atualização de família",
    "familia_responsavel": "Troca do responsável familiar",
    "familia_mudanca": "Mudança de família",
    "familia_membro_inclusao": "Inclusão de membro na família",
    "familia_membro_saida": "Saída de membro da família",
    "ficha_cds_digitacao": "Digitação de ficha CDS",
    "ficha_cds_edicao": "Correção de ficha CDS (nova versão)",
    "ficha_cds_cancelamento": "Cancelamento de ficha CDS",
    "auditoria_consulta": "Consulta à auditoria",
    "auditoria_exportacao": "Exportação da auditoria",
}

# The fields a row's hash covers, in the order of the columns: format 1, then format 2.
# Adding one is a format change: old rows must keep verifying.
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
_CAMPOS_V2 = (*_CAMPOS, "usuario_banco")

_REGISTRAR = "SELECT * FROM pec_auditoria_registrar(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb)"


def canonico(campos: dict[str, Any]) -> str:
    """Format 1: the canonical JSON of a row: explicit fields, sorted keys, timestamps in ISO UTC."""
    registro = {nome: campos[nome] for nome in _CAMPOS}
    registro["criado_em"] = campos["criado_em"].astimezone(UTC).isoformat()
    return json.dumps(registro, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonico_v2(campos: dict[str, Any]) -> str:
    """Format 2, as pec_auditoria_registrar writes it: a line per field, `name:<bytes>:value`
    or `name=` for NULL; the time in UTC with microseconds; `detalhes` is PostgreSQL's own
    text of the jsonb value (select it as `detalhes::text`)."""
    linhas = ["pec-auditoria-2"]
    for nome in _CAMPOS_V2:
        valor = campos[nome]
        if nome == "criado_em":
            valor = valor.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        elif valor is not None:
            valor = str(valor)
        linhas.append(f"{nome}=" if valor is None else f"{nome}:{len(valor.encode())}:{valor}")
    return "\n".join(linhas)


def calcular_hash(campos: dict[str, Any], hash_anterior: str, *, formato: int = 1) -> str:
    texto = canonico_v2(campos) if formato == 2 else canonico(campos)
    return hashlib.sha256((texto + hash_anterior).encode("utf-8")).hexdigest()


def audit_event(
    *,
    evento: str,
    ator: Ator | None = None,
    usuario: Usuario | None = None,
    municipio_id: int | None = None,
    cidadao_id: int | None = None,
    o_que: str = "",
    detalhes: dict[str, Any] | None = None,
    cpf_informado: str = "",
    instalacao: bool = False,
) -> EventoAuditoria:
    """Append one event to the chain of its municipality (or of the installation).

    Missing values come from the actor: the user, the lotação (and so the municipality),
    the client IP and the request id. Without an actor's municipality, the municipality
    is that of the current tenant_context, else the installation. `instalacao=True` puts
    the event in the installation chain whatever the actor's lotação (installation
    administration: municipalities, SMTP).
    """
    lotacao = ator.lotacao if ator is not None else None
    if usuario is None and ator is not None:
        usuario = ator.usuario
    if instalacao:
        if municipio_id is not None:
            raise ValueError("an installation event has no municipio_id")
    elif municipio_id is None:
        municipio_id = ator.municipio_id if ator is not None else None
        if municipio_id is None:
            municipio_id = current_municipio_id()
    # JSON round trip: dates and decimals become strings (DjangoJSONEncoder), and so do
    # floats, as format 1 needed (jsonb rewrites 1e+20 as 100000000000000000000, which no
    # longer hashed the same there): details read the same in rows of either format.
    detalhes_json = json.loads(json.dumps(detalhes or {}, cls=DjangoJSONEncoder), parse_float=str, parse_constant=str)
    # In the order of the function's parameters; detalhes last.
    campos: dict[str, Any] = {
        "municipio_id": municipio_id,
        "evento": evento,
        "usuario_id": usuario.pk if usuario is not None else None,
        "cpf_informado": cpf_informado.replace("\x00", "")[:64],
        # A lotação of another municipality (an installation event during a request)
        # would be a dangling reference in this chain (the function refuses it).
        "lotacao_id": lotacao.id if lotacao is not None and lotacao.municipio_id == municipio_id else None,
        "cidadao_id": cidadao_id,
        "o_que": o_que,
        "ip": ator.ip if ator is not None else "",
        "request_id": ator.request_id if ator is not None else "",
    }
    # The database stamps the sequence, time, database user and hash (pec_auditoria_registrar).
    parametros = [*campos.values(), json.dumps(detalhes_json)]
    if municipio_id is not None and municipio_id == current_municipio_id():
        # The common case, a request's own municipality: the transaction's tenant is this
        # chain already (were it not, the function would refuse, not misfile).
        return _registrar(parametros)
    with transaction.atomic(), chain_scope(municipio_id):
        return _registrar(parametros)


def _registrar(parametros: list[Any]) -> EventoAuditoria:
    return next(iter(EventoAuditoria.objects.raw(_REGISTRAR, parametros)))


def audit_read(*, ator: Ator, cidadao_id: int, o_que: str) -> EventoAuditoria:
    """Record a read of a citizen's record. Call it from every selector that shows one."""
    lotacao = ator.lotacao
    if lotacao is None:
        raise PermissionDenied("A citizen's record is read only under an active lotação.")
    return audit_event(
        evento="leitura_prontuario",
        ator=ator,
        municipio_id=lotacao.municipio_id,
        cidadao_id=cidadao_id,
        o_que=o_que,
    )


def audit_search(*, ator: Ator, consulta: str | None, cidadao_ids: list[int], o_que: str) -> EventoAuditoria:
    """Record a list of citizens shown (a search, the likely duplicates of a form): their
    ids and the keyed hash of what was typed (never the text: it holds CPFs, names, birth
    dates), when something was."""
    lotacao = ator.lotacao
    if lotacao is None:
        raise PermissionDenied("Citizens are searched only under an active lotação.")
    detalhes: dict[str, Any] = {"cidadaos": cidadao_ids}
    if consulta is not None:
        detalhes["consulta_hmac"] = consulta_hmac(consulta)
    return audit_event(
        evento="busca_cidadao", ator=ator, municipio_id=lotacao.municipio_id, o_que=o_que, detalhes=detalhes
    )


def consulta_hmac(consulta: str) -> str:
    """HMAC-SHA256 (keyed by SECRET_KEY) of a search as typed, spacing and case aside: who
    holds the key can tell whether someone searched for a given CPF; a reader of the trail
    or of a backup cannot recover it (a bare hash of an 11-digit CPF is trivially reversed)."""
    normalizada = " ".join(consulta.split()).casefold()
    return salted_hmac("pec.audit.chain.busca", normalizada, algorithm="sha256").hexdigest()


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


# --- Verification ---------------------------------------------------------------------

_SELECT_ROWS = (
    "SELECT id, "
    + ", ".join("detalhes::text" if campo == "detalhes" else campo for campo in _CAMPOS_V2)
    + ", formato, hash_anterior, hash FROM pec_eventoauditoria ORDER BY municipio_id NULLS FIRST, sequencia"
)

# Rows naming a lotação of another municipality than their chain's.
_SELECT_LOTACAO_ALHEIA = (
    "SELECT e.municipio_id, e.sequencia, e.id, e.lotacao_id, l.municipio_id FROM pec_eventoauditoria e "
    "JOIN pec_lotacao l ON l.id = e.lotacao_id WHERE l.municipio_id IS DISTINCT FROM e.municipio_id "
    "ORDER BY e.municipio_id NULLS FIRST, e.sequencia"
)


def _nome_cadeia(municipio_id: int | None) -> str:
    return INSTALACAO if municipio_id is None else f"municipio {municipio_id}"


@dataclass
class _Elo:
    """Where the walk of one chain stands: what the next row must be."""

    sequencia: int = 1
    hash: str = GENESIS
    formato: int = 1
    linha_id: int | None = None


def verificar_cadeias(
    conn: psycopg.Connection, *, progresso: Callable[[str, int], None] | None = None, a_cada: int = 10_000
) -> list[str]:
    """Walk every chain, recompute each hash and check the sequence and the format; one
    problem (the first broken link) per broken chain, plus every row naming a lotação of
    another municipality; [] when all are intact.

    `conn` must see every row: a BYPASSRLS role (the backup role) or a superuser. The
    optional `progresso(chain, rows_checked)` is called every `a_cada` rows of a chain.
    """
    problemas = _rls_problema(conn)
    atual: object = object()  # the chain being walked; a sentinel before the first row
    elo, quebrada, contagem = _Elo(), False, 0
    with conn.cursor() as cursor:
        for row in cursor.stream(_SELECT_ROWS):
            linha_id, campos = row[0], dict(zip(_CAMPOS_V2, row[1:14], strict=True))
            formato, hash_anterior, hash_gravado = row[14:17]
            municipio_id = campos["municipio_id"]
            if municipio_id != atual:
                atual, elo, quebrada, contagem = municipio_id, _Elo(), False, 0
            contagem += 1
            if progresso is not None and contagem % a_cada == 0:
                progresso(_nome_cadeia(municipio_id), contagem)
            if quebrada:
                continue
            problema = _verificar_linha(linha_id, campos, formato, hash_anterior, hash_gravado, elo)
            if problema:
                problemas.append(f"{_nome_cadeia(municipio_id)}: {problema}")
                quebrada = True
                continue
            elo = _Elo(campos["sequencia"] + 1, hash_gravado, formato, linha_id)
    for municipio_id, sequencia, linha_id, lotacao_id, da_lotacao in conn.execute(_SELECT_LOTACAO_ALHEIA):
        problemas.append(
            f"{_nome_cadeia(municipio_id)}: row seq {sequencia} (id {linha_id}) names lotação {lotacao_id} "
            f"of {_nome_cadeia(da_lotacao)}"
        )
    return problemas


def _verificar_linha(
    linha_id: int, campos: dict[str, Any], formato: int, hash_anterior: str, hash_gravado: str, elo: _Elo
) -> str:
    seq = campos["sequencia"]
    if seq != elo.sequencia:
        depois = f"after seq {elo.sequencia - 1} (id {elo.linha_id})" if elo.linha_id is not None else "at the start"
        return f"sequence gap {depois}: next row is seq {seq} (id {linha_id}), expected seq {elo.sequencia}"
    if formato not in (1, 2) or formato < elo.formato:
        return f"row seq {seq} (id {linha_id}) has format {formato} after format {elo.formato}: not written by the audit function"
    if hash_anterior != elo.hash:
        return f"row seq {seq} (id {linha_id}) does not link to the previous row's hash"
    if formato == 1:
        campos = campos | {"detalhes": json.loads(campos["detalhes"])}
    if calcular_hash(campos, hash_anterior, formato=formato) != hash_gravado:
        return f"row seq {seq} (id {linha_id}) hash mismatch"
    return ""


def _rls_problema(conn: psycopg.Connection) -> list[str]:
    row = conn.execute("SELECT rolsuper OR rolbypassrls, rolname FROM pg_roles WHERE rolname = current_user").fetchone()
    if row and not row[0]:
        return [f"role {row[1]} is subject to row-level security: it cannot see every chain"]
    return []


def cabecas_das_cadeias(conn: psycopg.Connection) -> dict[str, dict[str, Any]]:
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


# --- Signed heads, kept off the server ---------------------------------------------------


def _municipios(conn: psycopg.Connection) -> list[int]:
    return [row[0] for row in conn.execute("SELECT id FROM pec_municipio ORDER BY id")]


def cabecas_exportar(conn: psycopg.Connection, *, cadeias: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The heads of every chain (`cadeias` when the caller has just read them on the same
    snapshot) and the municipalities that exist, signed with PEC_AUDIT_HEAD_KEY: what
    `verify_audit --heads` compares the live chains against."""
    documento: dict[str, Any] = {
        "formato": 1,
        "exportado_em": timezone.now().isoformat(),
        "cadeias": cabecas_das_cadeias(conn) if cadeias is None else cadeias,
        "municipios": _municipios(conn),
    }
    return documento | {"assinatura": _assinatura(documento)}


def verificar_cabecas(conn: psycopg.Connection, documento: dict[str, Any]) -> list[str]:
    """Compare the live chains with signed exported heads: a chain that no longer reaches
    its exported head (tail deleted), whose row there differs (rewritten) or that is gone,
    and every municipality, exported or live, with no chain at all."""
    if not hmac.compare_digest(str(documento.get("assinatura", "")), _assinatura(documento)):
        return ["heads file: signature does not match (altered, or signed with another PEC_AUDIT_HEAD_KEY)"]
    vivas = cabecas_das_cadeias(conn)
    problemas = []
    for chave, cabeca in sorted(documento["cadeias"].items(), key=lambda item: ordem_cadeia(item[0])):
        problema = _comparar_cabeca(conn, chave, cabeca, vivas.get(chave))
        if problema:
            problemas.append(f"{nome_da_chave(chave)}: {problema}")
    vivos = _municipios(conn)
    for municipio_id in sorted({*documento["municipios"], *vivos}):
        if str(municipio_id) not in vivas and str(municipio_id) not in documento["cadeias"]:
            problemas.append(f"municipio {municipio_id}: no audit chain")
    return problemas


def _comparar_cabeca(conn: psycopg.Connection, chave: str, cabeca: dict[str, Any], viva: dict[str, Any] | None) -> str:
    if viva is None:
        return f"no audit chain; the exported head was seq {cabeca['sequencia']}"
    if viva["sequencia"] < cabeca["sequencia"]:
        return f"chain shortened: it ends at seq {viva['sequencia']}, the exported head was seq {cabeca['sequencia']}"
    if chave == INSTALACAO:
        sql, params = "municipio_id IS NULL AND sequencia = %s", [cabeca["sequencia"]]
    else:
        sql, params = "municipio_id = %s AND sequencia = %s", [int(chave), cabeca["sequencia"]]
    row = conn.execute(f"SELECT hash FROM pec_eventoauditoria WHERE {sql}", params).fetchone()
    if row is None or row[0] != cabeca["hash"]:
        return f"row seq {cabeca['sequencia']} differs from the exported head: the chain was rewritten"
    return ""


def _assinatura(documento: dict[str, Any]) -> str:
    chave = settings.PEC_AUDIT_HEAD_KEY
    if not chave:
        raise ImproperlyConfigured("PEC_AUDIT_HEAD_KEY is not set: audit chain heads cannot be signed or checked")
    corpo = json.dumps({k: v for k, v in documento.items() if k != "assinatura"}, sort_keys=True, separators=(",", ":"))
    return hmac.new(chave.encode(), corpo.encode(), hashlib.sha256).hexdigest()


def nome_da_chave(chave: str) -> str:
    """A chain's name in reports, from its key in cabecas_das_cadeias."""
    return INSTALACAO if chave == INSTALACAO else _nome_cadeia(int(chave))


def ordem_cadeia(chave: str) -> tuple[bool, str]:
    """Installation first, then municipalities by id."""
    return (chave != INSTALACAO, chave.zfill(12))


def conectar_todas_cadeias() -> psycopg.Connection:
    """A read-only snapshot as the backup role, which sees every municipality: the chains
    are checked as of one instant while the application keeps appending."""
    database = settings.DATABASES["default"]
    role = settings.DB_ROLES["backup"]
    conn = psycopg.connect(
        dbname=database["NAME"],
        host=database.get("HOST") or None,
        port=database.get("PORT") or None,
        user=role["USER"],
        password=role["PASSWORD"] or None,
        application_name="pec-verify-audit",
    )
    conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
    return conn


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
    audit_event(evento="login_sucesso", ator=_ator(request), usuario=user)


def _ao_login_falho(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    informado = str(credentials.get("username") or credentials.get("cpf") or credentials.get("login") or "")
    audit_event(
        evento="login_falha",
        ator=_ator(request),
        usuario=_usuario_do_cpf(informado),
        cpf_informado=informado,
    )


def _ao_bloqueio(sender: Any, request: HttpRequest | None, username: str | None, **kwargs: Any) -> None:
    informado = username or ""
    audit_event(evento="bloqueio", ator=_ator(request), usuario=_usuario_do_cpf(informado), cpf_informado=informado)


def _ao_logout(sender: Any, request: HttpRequest | None, user: Usuario | None, **kwargs: Any) -> None:
    audit_event(evento="logout", ator=_ator(request), usuario=user)


def _ao_trocar_senha(sender: Any, request: HttpRequest | None, user: Usuario, **kwargs: Any) -> None:
    audit_event(evento="senha_alterada", ator=_ator(request), usuario=user)


def _ao_redefinir_senha(sender: Any, request: HttpRequest | None, user: Usuario, **kwargs: Any) -> None:
    audit_event(evento="senha_redefinida", ator=_ator(request), usuario=user)


def _ao_adicionar_mfa(
    sender: Any, request: HttpRequest | None, user: Usuario, authenticator: Any, **kwargs: Any
) -> None:
    audit_event(evento="mfa_ativado", ator=_ator(request), usuario=user, detalhes={"tipo": authenticator.type})


def _ao_remover_mfa(sender: Any, request: HttpRequest | None, user: Usuario, authenticator: Any, **kwargs: Any) -> None:
    audit_event(evento="mfa_desativado", ator=_ator(request), usuario=user, detalhes={"tipo": authenticator.type})


def _ator(request: HttpRequest | None) -> Ator | None:
    """A signal's request as it stands (the user may have just logged in or out)."""
    return Ator.da_requisicao(request) if request is not None else None


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

    auth.user_logged_in.connect(_ao_login, dispatch_uid="pec.audit.chain.login")
    auth.user_login_failed.connect(_ao_login_falho, dispatch_uid="pec.audit.chain.login_falha")
    auth.user_logged_out.connect(_ao_logout, dispatch_uid="pec.audit.chain.logout")
    user_locked_out.connect(_ao_bloqueio, dispatch_uid="pec.audit.chain.bloqueio")
    conta.password_changed.connect(_ao_trocar_senha, dispatch_uid="pec.audit.chain.senha_alterada")
    conta.password_reset.connect(_ao_redefinir_senha, dispatch_uid="pec.audit.chain.senha_redefinida")
    mfa.authenticator_added.connect(_ao_adicionar_mfa, dispatch_uid="pec.audit.chain.mfa_ativado")
    mfa.authenticator_removed.connect(_ao_remover_mfa, dispatch_uid="pec.audit.chain.mfa_desativado")


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
    # municipio_id=None is the installation's trail (IS NULL), which django-stubs does not model.
    eventos = EventoAuditoria.objects.filter(municipio_id=municipio_id).select_related("usuario")  # type: ignore[misc]
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
