"""The audit trail: chained, append-only for everyone, verifiable, and shown to each
municipality's administrator only for their own municipality.

Most tests run in the usual per-test transaction. Those that need other connections
(concurrency, the owner, verify_audit) commit their rows from a separate thread and the
`committed` fixture removes them afterwards as the administrative superuser.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import psycopg
import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.db import DataError, ProgrammingError, connection, connections, transaction
from django.test import Client, RequestFactory
from django.utils import timezone

from pec.ator import Ator
from pec.audit import chain as audit
from pec.identity.permissoes import PERFIS_PADRAO
from pec.models import EventoAuditoria, LotacaoPerfil, Municipio, Perfil, Usuario
from pec.tenancy import tenant_context
from tests import mundo as fabricas
from tests.atores import ator_de

pytestmark = pytest.mark.django_db
T = TypeVar("T")
SENHA = "senha-forte-123"


# --- helpers ---------------------------------------------------------------------------


def pedido(usuario: Usuario, lotacao: Any = None, *, ip: str = "10.0.0.7", request_id: str = "req-0000001") -> Ator:
    return ator_de(lotacao, usuario=usuario, ip=ip, request_id=request_id)


def requisicao_http(usuario: Usuario, lotacao: Any = None) -> Any:
    """For the authentication signals, which still hand the audit a request."""
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.7")
    request.user = usuario
    request.lotacao = lotacao
    request.request_id = "req-0000001"
    return request


def cadeia(municipio_id: int | None) -> list[EventoAuditoria]:
    return list(EventoAuditoria.objects.filter(municipio_id=municipio_id).order_by("sequencia"))


def em_outra_conexao[T](funcao: Callable[[], T]) -> T:
    """Run `funcao` in a thread: its own Django connection, autocommit, so it commits."""
    resultado: list[Any] = []

    def alvo() -> None:
        try:
            resultado.append(funcao())
        except BaseException as exc:  # handed back to the test
            resultado.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=alvo)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive(), "thread did not finish"
    if isinstance(resultado[0], BaseException):
        raise resultado[0]
    return resultado[0]


def conectar(papel: str) -> psycopg.Connection:
    """A psycopg connection to the test database as one of the roles, or the admin."""
    banco = connection.settings_dict
    if papel == "admin":
        usuario, senha = settings.DB_ADMIN.get("USER"), settings.DB_ADMIN.get("PASSWORD")
    else:
        usuario, senha = settings.DB_ROLES[papel]["USER"], settings.DB_ROLES[papel]["PASSWORD"]
    conn = psycopg.connect(
        dbname=banco["NAME"],
        host=banco["HOST"] or None,
        port=banco["PORT"] or None,
        user=usuario or None,
        password=senha or None,
        autocommit=True,
    )
    # A mistake that waits on the test's own transaction fails instead of hanging.
    conn.execute("SET lock_timeout = '10s'")
    return conn


def adulterar(sql: str, params: list[Any], *, municipio_id: int | None) -> None:
    """What an owner bent on hiding something can do: disable the triggers, change the
    table, enable them again, all in one transaction."""
    with conectar("owner") as conn, conn.transaction():
        conn.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending foreign-key check blocks the ENABLE
        conn.execute("ALTER TABLE pec_eventoauditoria DISABLE TRIGGER USER")
        conn.execute("SELECT set_config('app.municipio', %s, true)", [str(municipio_id or "")])
        conn.execute(sql, params)
        conn.execute("ALTER TABLE pec_eventoauditoria ENABLE TRIGGER USER")


@pytest.fixture
def committed() -> Iterator[dict[str, list[int]]]:
    with conectar("admin") as conn:
        ultimo = conn.execute("SELECT coalesce(max(id), 0) FROM pec_eventoauditoria").fetchone()[0]
    criados: dict[str, list[int]] = {"municipios": [], "usuarios": []}
    yield criados
    with conectar("admin") as conn, conn.transaction():
        # Replica mode skips the append-only triggers for this session only.
        conn.execute("SET LOCAL session_replication_role = replica")
        conn.execute("DELETE FROM pec_eventoauditoria WHERE id > %s", [ultimo])
        conn.execute("DELETE FROM pec_municipio WHERE id = ANY(%s)", [criados["municipios"]])
        conn.execute("DELETE FROM pec_usuario WHERE id = ANY(%s)", [criados["usuarios"]])


def municipio_commitado(criados: dict[str, list[int]], nome: str = "Commitado") -> Municipio:
    municipio = em_outra_conexao(lambda: fabricas.municipio(nome))
    criados["municipios"].append(municipio.id)
    return municipio


def eventos_commitados(municipio_id: int | None, quantos: int) -> None:
    def gravar() -> None:
        for n in range(quantos):
            if municipio_id is None:
                audit.audit_event(evento="admin_alteracao", o_que=f"evento {n}")
            else:
                with tenant_context(municipio_id):
                    audit.audit_event(evento="admin_alteracao", o_que=f"evento {n}", detalhes={"n": n, "ç": "ã"})

    em_outra_conexao(gravar)


def verificar() -> list[str]:
    with conectar("backup") as conn:
        return audit.verificar_cadeias(conn)


# --- the chain -------------------------------------------------------------------------


def test_chain_links_every_event_of_a_municipality():
    a, b = fabricas.municipio("A"), fabricas.municipio("B")
    alice = fabricas.usuario("Alice")
    with tenant_context(a.id):
        for n in range(25):
            audit.audit_event(evento="admin_alteracao", usuario=alice, o_que=f"alteração {n}", detalhes={"n": n})
    with tenant_context(b.id):
        audit.audit_event(evento="admin_alteracao", o_que="em B")
    audit.audit_event(evento="login_falha", cpf_informado="00000000000")

    with tenant_context(a.id):
        eventos = cadeia(a.id)
    assert [e.sequencia for e in eventos] == list(range(1, 26))
    assert eventos[0].hash_anterior == audit.GENESIS
    for anterior, atual in itertools.pairwise(eventos):
        assert atual.hash_anterior == anterior.hash
    for evento in eventos:
        campos = {nome: getattr(evento, nome) for nome in audit._CAMPOS_V2}
        campos["detalhes"] = json.dumps(evento.detalhes)  # jsonb's text of these small dicts
        assert evento.formato == 2 and evento.usuario_banco == settings.DB_ROLES["app"]["USER"]
        assert audit.calcular_hash(campos, evento.hash_anterior, formato=2) == evento.hash
    with tenant_context(b.id):
        assert [(e.sequencia, e.hash_anterior) for e in cadeia(b.id)] == [(1, audit.GENESIS)]
    assert [(e.sequencia, e.evento) for e in cadeia(None)] == [(1, "login_falha")]


def test_canonical_record_is_sorted_compact_utf8_with_utc_time():
    quando = timezone.now().replace(microsecond=123456)
    campos = dict.fromkeys(audit._CAMPOS) | {"criado_em": quando, "o_que": "vacinação", "detalhes": {"b": 1, "a": 2}}
    texto = audit.canonico(campos)
    assert '"o_que":"vacinação"' in texto
    assert '"detalhes":{"a":2,"b":1}' in texto
    assert f'"criado_em":"{quando.astimezone(UTC).isoformat()}"' in texto
    assert texto.index('"cidadao_id"') < texto.index('"criado_em"') < texto.index('"evento"')
    outro = audit.calcular_hash(campos | {"o_que": "vacinacao"}, audit.GENESIS)
    assert audit.calcular_hash(campos, audit.GENESIS) != outro


def test_event_takes_user_lotacao_ip_and_request_id_from_the_request():
    a = fabricas.municipio("A")
    alice = fabricas.usuario("Alice")
    lotacao = fabricas.lotacao(a, alice)
    with tenant_context(a.id):
        evento = audit.audit_read(
            ator=pedido(alice, lotacao, ip="203.0.113.9", request_id="abc123def456"),
            cidadao_id=42,
            o_que="folha de rosto",
        )
    assert (evento.evento, evento.municipio_id, evento.usuario_id, evento.lotacao_id) == (
        "leitura_prontuario",
        a.id,
        alice.id,
        lotacao.id,
    )
    assert (evento.cidadao_id, evento.o_que, evento.ip, evento.request_id) == (
        42,
        "folha de rosto",
        "203.0.113.9",
        "abc123def456",
    )


def test_reading_a_record_without_a_lotacao_is_refused():
    alice = fabricas.usuario("Alice")
    with pytest.raises(PermissionDenied):
        audit.audit_read(ator=pedido(alice), cidadao_id=1, o_que="folha de rosto")


def test_event_for_another_chain_is_appended_there_and_the_tenant_put_back():
    a, b = fabricas.municipio("A"), fabricas.municipio("B")
    admin = fabricas.usuario("Admin", administrador_instalacao=True)
    lotacao = fabricas.lotacao(a, admin)
    with tenant_context(a.id):
        audit.audit_event(evento="admin_alteracao", ator=pedido(admin, lotacao))
        evento = audit.audit_event(evento="admin_alteracao", ator=pedido(admin, lotacao), municipio_id=b.id)
        assert [e.municipio_id for e in EventoAuditoria.objects.all()] == [a.id]  # still A's scope
    assert (evento.municipio_id, evento.sequencia, evento.usuario_id) == (b.id, 1, admin.id)
    assert evento.lotacao_id is None  # a lotação of A means nothing in B's chain
    with tenant_context(b.id):
        assert cadeia(b.id) == [evento]


def test_a_failed_append_to_another_chain_raises_its_own_error_and_puts_the_tenant_back():
    a, b = fabricas.municipio("A"), fabricas.municipio("B")
    with tenant_context(a.id):
        with pytest.raises(DataError):
            audit.audit_event(evento="x" * 41, municipio_id=b.id)  # longer than the column
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('app.municipio')")
            assert cursor.fetchone()[0] == str(a.id)


def test_installation_event_during_a_municipal_request():
    a = fabricas.municipio("A")
    admin = fabricas.usuario("Admin", administrador_instalacao=True)
    lotacao = fabricas.lotacao(a, admin)
    with tenant_context(a.id):
        evento = audit.audit_event(evento="admin_alteracao", ator=pedido(admin, lotacao), instalacao=True)
        assert list(EventoAuditoria.objects.all()) == []  # the installation chain is not A's
    assert (evento.municipio_id, evento.lotacao_id, evento.usuario_id) == (None, None, admin.id)
    assert cadeia(None) == [evento]
    with pytest.raises(ValueError):
        audit.audit_event(evento="admin_alteracao", municipio_id=a.id, instalacao=True)


def test_a_failed_audit_write_fails_the_caller():
    alice = fabricas.usuario("Alice")
    with pytest.raises(DataError), transaction.atomic():
        audit.audit_event(evento="x" * 41, usuario=alice)  # longer than the column


# --- append-only ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    ["UPDATE pec_eventoauditoria SET o_que = 'x'", "DELETE FROM pec_eventoauditoria", "TRUNCATE pec_eventoauditoria"],
)
def test_app_role_cannot_change_or_remove_events(sql):
    audit.audit_event(evento="login_falha", cpf_informado="1")
    with pytest.raises(ProgrammingError, match="permission denied"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert EventoAuditoria.objects.count() == 1


def test_app_role_may_only_select_and_append_through_the_audit_function():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT privilege_type FROM information_schema.role_table_grants "
            "WHERE table_name = 'pec_eventoauditoria' AND grantee = current_user ORDER BY 1"
        )
        assert [row[0] for row in cursor.fetchall()] == ["SELECT"]
        cursor.execute(
            "SELECT p.proowner::regrole::text, p.prosecdef, has_function_privilege(current_user, p.oid, 'EXECUTE'), "
            "has_function_privilege('public', p.oid, 'EXECUTE') FROM pg_proc p WHERE p.proname = 'pec_auditoria_registrar'"
        )
        assert cursor.fetchall() == [(settings.DB_ROLES["audit"]["USER"], True, True, False)]


def linha_forjada(conn: psycopg.Connection, municipio_id: int, **mais: Any) -> dict[str, Any]:
    """The next row of a chain as a forger computes it (the hash needs no key)."""
    seq, anterior = conn.execute(
        "SELECT sequencia, hash FROM pec_eventoauditoria WHERE municipio_id = %s ORDER BY sequencia DESC LIMIT 1",
        [municipio_id],
    ).fetchone()
    campos = (
        dict.fromkeys(audit._CAMPOS_V2)
        | {
            "municipio_id": municipio_id,
            "sequencia": seq + 1,
            "criado_em": timezone.now() - timedelta(days=30),
            "evento": "leitura_prontuario",
            "cpf_informado": "",
            "o_que": "nada aconteceu",
            "ip": "",
            "request_id": "",
            "detalhes": {},
            "usuario_banco": "",
        }
        | mais
    )
    formato = campos.pop("formato", 1)
    texto = campos | {"detalhes": "{}"} if formato == 2 else campos
    hash_ = audit.calcular_hash(texto, anterior, formato=formato)
    return campos | {
        "detalhes": json.dumps(campos["detalhes"]),
        "formato": formato,
        "hash_anterior": anterior,
        "hash": hash_,
    }


def inserir(conn: psycopg.Connection, linha: dict[str, Any]) -> None:
    colunas = ", ".join(linha)
    conn.execute(
        f"INSERT INTO pec_eventoauditoria ({colunas}) VALUES ({', '.join(['%s'] * len(linha))})", list(linha.values())
    )


def test_a_forged_append_by_the_app_role_is_refused(committed):
    """Before the audit function, the app role could set any tenant and append a correctly
    chained, backdated row to any chain, and verify_audit called it intact."""
    vitima = municipio_commitado(committed, "Vítima")
    eventos_commitados(vitima.id, 3)
    with conectar("backup") as leitor:
        linha = linha_forjada(leitor, vitima.id)
    with conectar("app") as conn, pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
        conn.execute("SELECT set_config('app.municipio', %s, true)", [str(vitima.id)])
        inserir(conn, linha)
    with conectar("backup") as conn:
        assert conn.execute(
            "SELECT count(*) FROM pec_eventoauditoria WHERE municipio_id = %s", [vitima.id]
        ).fetchone() == (3,)
    assert verificar() == []


def test_rows_that_got_past_the_function_are_reported(committed, capsys):
    """Whoever can disable triggers (the owner) may still write a row by hand: one hashed
    the old way is out of place after the function's rows, and one naming a lotação of
    another municipality is reported even when perfectly chained."""
    a, vitima = municipio_commitado(committed, "A"), municipio_commitado(committed, "Vítima")
    eventos_commitados(vitima.id, 2)
    lotacao_de_a = em_outra_conexao(lambda: fabricas.lotacao(a, fabricas.usuario("Forjador")))
    committed["usuarios"].append(lotacao_de_a.usuario_id)
    with conectar("backup") as leitor:
        linha = linha_forjada(leitor, vitima.id)
    adulterar(
        "INSERT INTO pec_eventoauditoria (" + ", ".join(linha) + ") VALUES (" + ", ".join(["%s"] * len(linha)) + ")",
        list(linha.values()),
        municipio_id=vitima.id,
    )
    with pytest.raises(CommandError, match="1 problem"):
        call_command("verify_audit")
    assert f"municipio {vitima.id}: row seq 3 (id " in capsys.readouterr().err
    assert "has format 1 after format 2: not written by the audit function" in verificar()[0]

    with conectar("admin") as conn, conn.transaction():
        conn.execute("SET LOCAL session_replication_role = replica")
        conn.execute("DELETE FROM pec_eventoauditoria WHERE municipio_id = %s AND sequencia = 3", [vitima.id])
    with conectar("backup") as leitor:
        linha = linha_forjada(
            leitor, vitima.id, formato=2, lotacao_id=lotacao_de_a.id, usuario_banco=settings.DB_ROLES["app"]["USER"]
        )
    adulterar(
        "INSERT INTO pec_eventoauditoria (" + ", ".join(linha) + ") VALUES (" + ", ".join(["%s"] * len(linha)) + ")",
        list(linha.values()),
        municipio_id=vitima.id,
    )
    with conectar("backup") as conn:
        forjada = conn.execute(
            "SELECT id FROM pec_eventoauditoria WHERE municipio_id = %s AND sequencia = 3", [vitima.id]
        ).fetchone()[0]
    assert verificar() == [
        f"municipio {vitima.id}: row seq 3 (id {forjada}) names lotação {lotacao_de_a.id} of municipio {a.id}"
    ]


def test_the_function_refuses_another_chain_than_the_tenant_and_a_lotacao_of_another_municipality(committed):
    a, b = municipio_commitado(committed, "A"), municipio_commitado(committed, "B")
    lotacao_de_a = em_outra_conexao(lambda: fabricas.lotacao(a, fabricas.usuario("Alice")))
    committed["usuarios"].append(lotacao_de_a.usuario_id)
    chamada = "SELECT hash FROM pec_auditoria_registrar(%s, 'admin_alteracao', NULL, '', %s, NULL, 'x', '', '', '{}')"
    with conectar("app") as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="outside the tenant"), conn.transaction():
            conn.execute("SELECT set_config('app.municipio', %s, true)", [str(a.id)])
            conn.execute(chamada, [b.id, None])
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="outside the tenant"), conn.transaction():
            conn.execute(chamada, [b.id, None])  # no tenant: only the installation chain
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="is not of the chain"), conn.transaction():
            conn.execute("SELECT set_config('app.municipio', %s, true)", [str(b.id)])
            conn.execute(chamada, [b.id, lotacao_de_a.id])
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="is not of the chain"), conn.transaction():
            conn.execute(chamada, [None, lotacao_de_a.id])
    with conectar("backup") as conn:
        assert conn.execute(
            "SELECT count(*) FROM pec_eventoauditoria WHERE municipio_id = ANY(%s)", [[a.id, b.id]]
        ).fetchone() == (0,)


def test_the_database_stamps_time_sequence_and_user(committed):
    municipio = municipio_commitado(committed)
    antes = timezone.now()
    eventos_commitados(municipio.id, 2)
    with conectar("backup") as conn:
        linhas = conn.execute(
            "SELECT sequencia, criado_em, usuario_banco, formato FROM pec_eventoauditoria WHERE municipio_id = %s "
            "ORDER BY sequencia",
            [municipio.id],
        ).fetchall()
    assert [(seq, usuario, formato) for seq, _, usuario, formato in linhas] == [
        (1, settings.DB_ROLES["app"]["USER"], 2),
        (2, settings.DB_ROLES["app"]["USER"], 2),
    ]
    assert antes <= linhas[0][1] <= linhas[1][1] <= timezone.now()


def test_triggers_refuse_update_delete_and_truncate_even_to_the_owner(committed):
    eventos_commitados(None, 2)
    with conectar("owner") as conn:
        for sql in (
            "UPDATE pec_eventoauditoria SET o_que = 'apagado'",
            "DELETE FROM pec_eventoauditoria",
            "TRUNCATE pec_eventoauditoria",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
                conn.execute(sql)
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="only through pec_auditoria_registrar"):
            conn.execute(
                "INSERT INTO pec_eventoauditoria (sequencia, criado_em, evento, cpf_informado, o_que, ip, request_id, "
                "detalhes, usuario_banco, formato, hash_anterior, hash) "
                "VALUES (3, now(), 'x', '', '', '', '', '{}', '', 2, '', '')"
            )
        # The owner saw the rows (the policy shows installation rows with no tenant set),
        # so the row triggers did fire; nothing changed.
        assert conn.execute("SELECT count(*), min(o_que) FROM pec_eventoauditoria").fetchone() == (2, "evento 0")
    assert verificar() == []


# --- concurrency ---------------------------------------------------------------------------


def test_concurrent_appends_never_fork_the_chain(committed):
    municipio = municipio_commitado(committed)
    largada = threading.Barrier(2)
    falhas: list[BaseException] = []

    def escrever(nome: str) -> None:
        try:
            largada.wait(timeout=10)
            for n in range(20):
                with tenant_context(municipio.id):
                    audit.audit_event(evento="admin_alteracao", o_que=f"{nome} {n}")
        except BaseException as exc:
            falhas.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=escrever, args=(nome,)) for nome in ("t1", "t2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert falhas == []
    with conectar("backup") as conn:
        linhas = conn.execute(
            "SELECT sequencia, o_que FROM pec_eventoauditoria WHERE municipio_id = %s ORDER BY sequencia",
            [municipio.id],
        ).fetchall()
        assert [seq for seq, _ in linhas] == list(range(1, 41))
        assert {o_que.split()[0] for _, o_que in linhas} == {"t1", "t2"}
        assert audit.verificar_cadeias(conn) == []


def test_an_append_waits_for_the_open_transaction_of_the_previous_one(committed):
    municipio = municipio_commitado(committed)
    primeiro_gravou, liberar = threading.Event(), threading.Event()
    sequencias: dict[str, int] = {}

    def primeiro() -> None:
        try:
            with tenant_context(municipio.id):
                sequencias["primeiro"] = audit.audit_event(evento="admin_alteracao").sequencia
                primeiro_gravou.set()
                liberar.wait(timeout=20)  # the request goes on, its transaction still open
        finally:
            connections.close_all()

    def segundo() -> None:
        try:
            with tenant_context(municipio.id):
                sequencias["segundo"] = audit.audit_event(evento="admin_alteracao").sequencia
        finally:
            connections.close_all()

    t1 = threading.Thread(target=primeiro)
    t1.start()
    assert primeiro_gravou.wait(timeout=20)
    t2 = threading.Thread(target=segundo)
    t2.start()
    t2.join(timeout=1)
    assert t2.is_alive(), "the second append must wait for the chain head"
    liberar.set()
    t1.join(timeout=20)
    t2.join(timeout=20)
    assert sequencias == {"primeiro": 1, "segundo": 2}


# --- verification --------------------------------------------------------------------------


def test_verify_audit_names_the_first_altered_row(committed, capsys):
    municipio = municipio_commitado(committed)
    eventos_commitados(municipio.id, 6)
    eventos_commitados(None, 2)
    call_command("verify_audit")
    saida = capsys.readouterr().out
    assert f"municipio {municipio.id}: OK (6 events" in saida
    assert "instalacao: OK (2 events" in saida

    with conectar("backup") as conn:
        ids: dict[int, int] = dict(
            conn.execute(
                "SELECT sequencia, id FROM pec_eventoauditoria WHERE municipio_id = %s", [municipio.id]
            ).fetchall()
        )
    adulterar(
        "UPDATE pec_eventoauditoria SET o_que = 'nada aconteceu' WHERE id = ANY(%s)",
        [[ids[3], ids[5]]],
        municipio_id=municipio.id,
    )

    with pytest.raises(CommandError, match="1 problem"):
        call_command("verify_audit")
    saida = capsys.readouterr()
    assert f"municipio {municipio.id}: row seq 3 (id {ids[3]}) hash mismatch" in saida.err
    assert "seq 5" not in saida.err  # only the first broken link of the chain
    assert "instalacao: OK (2 events" in saida.out


def test_a_deleted_row_is_a_sequence_gap(committed):
    municipio = municipio_commitado(committed)
    eventos_commitados(municipio.id, 4)
    with conectar("backup") as conn:
        ids: dict[int, int] = dict(
            conn.execute(
                "SELECT sequencia, id FROM pec_eventoauditoria WHERE municipio_id = %s", [municipio.id]
            ).fetchall()
        )
    adulterar("DELETE FROM pec_eventoauditoria WHERE id = %s", [ids[3]], municipio_id=municipio.id)
    assert verificar() == [
        f"municipio {municipio.id}: sequence gap after seq 2 (id {ids[2]}): next row is seq 4 (id {ids[4]}), expected seq 3"
    ]


def test_a_rewritten_chain_tail_does_not_link(committed):
    municipio = municipio_commitado(committed)
    eventos_commitados(municipio.id, 3)
    with conectar("backup") as conn:
        ids: dict[int, int] = dict(
            conn.execute(
                "SELECT sequencia, id FROM pec_eventoauditoria WHERE municipio_id = %s", [municipio.id]
            ).fetchall()
        )
    adulterar(
        "UPDATE pec_eventoauditoria SET hash_anterior = repeat('1', 64) WHERE id = %s",
        [ids[2]],
        municipio_id=municipio.id,
    )
    assert verificar() == [
        f"municipio {municipio.id}: row seq 2 (id {ids[2]}) does not link to the previous row's hash"
    ]


def test_details_hash_the_same_after_the_jsonb_round_trip(committed):
    municipio = municipio_commitado(committed)
    detalhes = {"grande": 1e20, "fracao": 0.1, "valor": Decimal("10.50"), "dia": date(2026, 1, 2), "lista": [3, "ç"]}

    def gravar() -> EventoAuditoria:
        with tenant_context(municipio.id):
            return audit.audit_event(evento="admin_alteracao", detalhes=detalhes)

    evento = em_outra_conexao(gravar)
    assert evento.detalhes == {
        "grande": "1e+20",
        "fracao": "0.1",
        "valor": "10.50",
        "dia": "2026-01-02",
        "lista": [3, "ç"],
    }
    assert verificar() == []


def test_chain_heads_for_off_host_copies(committed):
    municipio = municipio_commitado(committed)
    eventos_commitados(municipio.id, 3)
    eventos_commitados(None, 1)
    with conectar("backup") as conn:
        cabecas = audit.cabecas_das_cadeias(conn)
        ultimo = conn.execute(
            "SELECT hash FROM pec_eventoauditoria WHERE municipio_id = %s AND sequencia = 3", [municipio.id]
        ).fetchone()[0]
    assert cabecas[str(municipio.id)] == {"sequencia": 3, "hash": ultimo}
    assert cabecas["instalacao"]["sequencia"] == 1


CHAVE_DAS_CABECAS = "chave-das-cabecas-guardada-fora-do-servidor-0123"


def apagar_por_baixo(municipio_id: int, a_partir_de: int = 1) -> None:
    """What a superuser can do: remove rows with the triggers off."""
    with conectar("admin") as conn, conn.transaction():
        conn.execute("SET LOCAL session_replication_role = replica")
        conn.execute(
            "DELETE FROM pec_eventoauditoria WHERE municipio_id = %s AND sequencia >= %s", [municipio_id, a_partir_de]
        )


def test_signed_heads_reveal_a_deleted_tail_and_deleted_chains(committed, settings, tmp_path, capsys):
    settings.PEC_AUDIT_HEAD_KEY = CHAVE_DAS_CABECAS
    a, b, c = (municipio_commitado(committed, nome) for nome in ("A", "B", "C"))
    eventos_commitados(a.id, 5)
    eventos_commitados(b.id, 2)
    eventos_commitados(c.id, 1)
    eventos_commitados(None, 1)
    cabecas = tmp_path / "cabecas.json"
    call_command("export_audit_heads", "--output", str(cabecas))
    documento = json.loads(cabecas.read_text())
    assert documento["cadeias"][str(a.id)]["sequencia"] == 5 and a.id in documento["municipios"]
    call_command("verify_audit", "--heads", str(cabecas))
    assert "none shorter than the heads exported" in capsys.readouterr().out

    apagar_por_baixo(a.id, a_partir_de=4)  # the tail
    apagar_por_baixo(b.id)  # the whole chain
    d = municipio_commitado(committed, "D")  # created behind the service's back: no chain at all
    call_command("verify_audit")  # what is left links up: only the heads show the loss
    capsys.readouterr()
    with pytest.raises(CommandError, match="3 problem"):
        call_command("verify_audit", "--heads", str(cabecas))
    erros = capsys.readouterr().err
    assert f"municipio {a.id}: chain shortened: it ends at seq 3, the exported head was seq 5" in erros
    assert f"municipio {b.id}: no audit chain; the exported head was seq 2" in erros
    assert f"municipio {d.id}: no audit chain" in erros
    assert f"municipio {c.id}" not in erros


def test_heads_file_must_carry_a_valid_signature(committed, settings, tmp_path, capsys):
    settings.PEC_AUDIT_HEAD_KEY = CHAVE_DAS_CABECAS
    municipio = municipio_commitado(committed)
    eventos_commitados(municipio.id, 3)
    cabecas = tmp_path / "cabecas.json"
    call_command("export_audit_heads", "--output", str(cabecas))
    documento = json.loads(cabecas.read_text())
    documento["cadeias"][str(municipio.id)]["sequencia"] = 2  # "it was always this short"
    cabecas.write_text(json.dumps(documento))
    with pytest.raises(CommandError):
        call_command("verify_audit", "--heads", str(cabecas))
    assert "signature does not match" in capsys.readouterr().err
    settings.PEC_AUDIT_HEAD_KEY = ""
    with pytest.raises(CommandError, match="PEC_AUDIT_HEAD_KEY is not set"):
        call_command("export_audit_heads")


def test_verification_reports_progress_on_long_chains(committed):
    municipio = municipio_commitado(committed)
    eventos_commitados(municipio.id, 5)
    vistos: list[tuple[str, int]] = []
    with conectar("backup") as conn:
        assert audit.verificar_cadeias(conn, progresso=lambda cadeia, n: vistos.append((cadeia, n)), a_cada=2) == []
    assert vistos == [(f"municipio {municipio.id}", 2), (f"municipio {municipio.id}", 4)]


def test_verification_refuses_to_vouch_for_what_it_cannot_see(committed):
    with conectar("app") as conn:
        assert audit.verificar_cadeias(conn) == [
            f"role {settings.DB_ROLES['app']['USER']} is subject to row-level security: it cannot see every chain"
        ]


# --- authentication events -------------------------------------------------------------


def eventos_de_login() -> list[tuple[str, int | None, str]]:
    return [(e.evento, e.usuario_id, e.cpf_informado) for e in cadeia(None)]


def test_login_failure_success_and_logout_are_recorded():
    alice = fabricas.usuario("Alice")
    cliente = Client(REMOTE_ADDR="198.51.100.4")
    cliente.post("/conta/login/", {"login": alice.cpf, "password": "errada-errada"})
    cliente.post("/conta/login/", {"login": "52998224725", "password": "errada-errada"})
    resposta = cliente.post("/conta/login/", {"login": alice.cpf, "password": SENHA})
    assert resposta.status_code == 302
    cliente.post("/conta/logout/")
    assert eventos_de_login() == [
        ("login_falha", alice.id, alice.cpf),
        ("login_falha", None, "52998224725"),
        ("login_sucesso", alice.id, ""),
        ("logout", alice.id, ""),
    ]
    assert {e.ip for e in cadeia(None)} == {"198.51.100.4"}
    assert len({e.request_id for e in cadeia(None)}) == 4


def test_lockout_is_recorded(settings):
    settings.AXES_LOCKOUT_TEMPLATE = None
    alice = fabricas.usuario("Alice")
    cliente = Client(REMOTE_ADDR="198.51.100.5")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        cliente.post("/conta/login/", {"login": alice.cpf, "password": "errada-errada"})
    eventos = [evento for evento, _, _ in eventos_de_login()]
    assert eventos.count("login_falha") == settings.AXES_FAILURE_LIMIT
    assert eventos.count("bloqueio") == 1
    bloqueio = EventoAuditoria.objects.get(evento="bloqueio")
    assert (bloqueio.usuario_id, bloqueio.cpf_informado, bloqueio.ip) == (alice.id, alice.cpf, "198.51.100.5")


def test_client_ip_behind_nginx_is_the_address_nginx_saw(settings):
    alice = fabricas.usuario("Alice")
    settings.AXES_IPWARE_PROXY_COUNT = 1
    # The left entry was written by the client; nginx appended the address it saw.
    Client(REMOTE_ADDR="127.0.0.1").post(
        "/conta/login/", {"login": alice.cpf, "password": "x"}, HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.50"
    )
    settings.AXES_IPWARE_PROXY_COUNT = 0
    Client(REMOTE_ADDR="::ffff:198.51.100.8").post(
        "/conta/login/", {"login": alice.cpf, "password": "x"}, HTTP_X_FORWARDED_FOR="6.6.6.6"
    )
    assert [e.ip for e in cadeia(None)] == ["203.0.113.50", "198.51.100.8"]


def test_request_id_comes_from_nginx_when_sane():
    alice = fabricas.usuario("Alice")
    resposta = Client().post(
        "/conta/login/", {"login": alice.cpf, "password": "x"}, HTTP_X_REQUEST_ID="0123456789abcdef"
    )
    assert resposta["X-Request-ID"] == "0123456789abcdef"
    resposta = Client().post("/conta/login/", {"login": alice.cpf, "password": "x"}, HTTP_X_REQUEST_ID="<script> x")
    assert resposta["X-Request-ID"] != "<script> x" and len(resposta["X-Request-ID"]) == 32
    assert [e.request_id for e in cadeia(None)] == ["0123456789abcdef", resposta["X-Request-ID"]]


def test_password_and_mfa_signals_are_recorded():
    from allauth.account.signals import password_changed, password_reset
    from allauth.mfa.models import Authenticator
    from allauth.mfa.signals import authenticator_added, authenticator_removed

    a = fabricas.municipio("A")
    alice = fabricas.usuario("Alice")
    lotacao = fabricas.lotacao(a, alice)
    request = requisicao_http(alice, lotacao)
    totp = Authenticator(user=alice, type=Authenticator.Type.TOTP)
    with tenant_context(a.id):
        password_changed.send(sender=Usuario, request=request, user=alice)
        authenticator_added.send(sender=Authenticator, request=request, user=alice, authenticator=totp)
        authenticator_removed.send(sender=Authenticator, request=request, user=alice, authenticator=totp)
        assert [(e.evento, e.detalhes) for e in cadeia(a.id)] == [
            ("senha_alterada", {}),
            ("mfa_ativado", {"tipo": "totp"}),
            ("mfa_desativado", {"tipo": "totp"}),
        ]
    password_reset.send(sender=Usuario, request=requisicao_http(alice), user=alice)  # "Esqueci minha senha": no lotação
    assert [e.evento for e in cadeia(None)] == ["senha_redefinida"]


# --- the audit page ------------------------------------------------------------------------


def dar_perfil(lotacao: Any, codigo: str) -> None:
    nome, permissoes = PERFIS_PADRAO[codigo]
    with tenant_context(lotacao.municipio_id):
        perfil, _ = Perfil.objects.get_or_create(
            municipio_id=lotacao.municipio_id, codigo=codigo, defaults={"nome": nome, "permissoes": permissoes}
        )
        LotacaoPerfil.objects.create(municipio_id=lotacao.municipio_id, lotacao=lotacao, perfil=perfil)


@pytest.fixture
def alice_bob_charlie():
    """Alice administers A, Bob is a doctor in A, Charlie administers B."""
    a, b = fabricas.municipio("A"), fabricas.municipio("B")
    alice, bob, charlie = fabricas.usuario("Alice Admin"), fabricas.usuario("Bob Médico"), fabricas.usuario("Charlie")
    lotacoes = {
        "alice": fabricas.lotacao(a, alice, cbo="131210"),
        "bob": fabricas.lotacao(a, bob),
        "charlie": fabricas.lotacao(b, charlie, cbo="131210"),
    }
    dar_perfil(lotacoes["alice"], "admin_municipal")
    dar_perfil(lotacoes["bob"], "medico")
    dar_perfil(lotacoes["charlie"], "admin_municipal")
    with tenant_context(a.id):
        audit.audit_read(ator=pedido(bob, lotacoes["bob"]), cidadao_id=101, o_que="folha de rosto de A")
        audit.audit_event(evento="admin_alteracao", ator=pedido(alice, lotacoes["alice"]), o_que='=HYPERLINK("x")')
    with tenant_context(b.id):
        audit.audit_read(ator=pedido(charlie, lotacoes["charlie"]), cidadao_id=202, o_que="folha de rosto de B")
    return {
        "a": a,
        "b": b,
        "alice": alice,
        "bob": bob,
        "charlie": charlie,
        **{f"lot_{k}": v for k, v in lotacoes.items()},
    }


def test_audit_page_needs_the_permission(alice_bob_charlie):
    d = alice_bob_charlie
    assert fabricas.entrar(d["bob"], d["lot_bob"]).get("/auditoria/").status_code == 403
    assert fabricas.entrar(d["bob"], d["lot_bob"]).get("/auditoria/?formato=csv").status_code == 403
    anonimo = Client().get("/auditoria/")
    assert anonimo.status_code == 302 and "/conta/login/" in anonimo["Location"]
    sem_lotacao = Client()
    sem_lotacao.force_login(d["alice"])
    assert sem_lotacao.get("/auditoria/")["Location"] == "/lotacao/"


def test_admin_sees_only_her_municipality(alice_bob_charlie):
    d = alice_bob_charlie
    pagina = fabricas.entrar(d["alice"], d["lot_alice"]).get("/auditoria/").content.decode()
    assert "folha de rosto de A" in pagina and "Bob Médico" in pagina
    assert "folha de rosto de B" not in pagina
    pagina = fabricas.entrar(d["charlie"], d["lot_charlie"]).get("/auditoria/").content.decode()
    assert "folha de rosto de B" in pagina and "folha de rosto de A" not in pagina
    pagina = fabricas.entrar(d["charlie"], d["lot_charlie"]).get("/auditoria/?cidadao=101").content.decode()
    assert "0 eventos encontrados" in pagina


def test_filters(alice_bob_charlie):
    d = alice_bob_charlie
    cliente = fabricas.entrar(d["alice"], d["lot_alice"])

    def linhas(query: str) -> list[str]:
        resposta = cliente.get("/auditoria/" + query)
        assert resposta.status_code == 200
        # The page's own consultations are in the trail too; leave them out here.
        return [evento.o_que for evento, _, _ in resposta.context["linhas"] if evento.evento != "auditoria_consulta"]

    assert linhas("?cidadao=101") == ["folha de rosto de A"]
    assert linhas("?evento=leitura_prontuario") == ["folha de rosto de A"]
    assert linhas(f"?usuario={d['bob'].cpf}") == ["folha de rosto de A"]
    assert linhas("?usuario=bob") == ["folha de rosto de A"]
    assert linhas("?usuario=ninguém") == []
    hoje = timezone.localdate()
    assert "folha de rosto de A" in linhas(f"?de={hoje:%Y-%m-%d}&ate={hoje:%Y-%m-%d}")
    assert linhas(f"?de={hoje + timedelta(days=1):%Y-%m-%d}") == []
    assert linhas(f"?ate={hoje - timedelta(days=1):%Y-%m-%d}") == []
    assert (
        "A data inicial é posterior à final."
        in cliente.get(f"/auditoria/?de={hoje:%Y-%m-%d}&ate={hoje - timedelta(days=1):%Y-%m-%d}").content.decode()
    )


def test_page_is_paginated(alice_bob_charlie):
    d = alice_bob_charlie
    with tenant_context(d["a"].id):
        for n in range(60):
            audit.audit_event(evento="admin_alteracao", usuario=d["alice"], o_que=f"lote {n}")
    cliente = fabricas.entrar(d["alice"], d["lot_alice"])
    primeira = cliente.get("/auditoria/?evento=admin_alteracao")
    assert len(primeira.context["linhas"]) == 50
    segunda = cliente.get("/auditoria/?evento=admin_alteracao&pagina=2")
    assert len(segunda.context["linhas"]) == 11
    assert "Página 2 de 2" in segunda.content.decode()


def test_viewing_and_exporting_are_audited(alice_bob_charlie):
    d = alice_bob_charlie
    cliente = fabricas.entrar(d["alice"], d["lot_alice"])
    cliente.get("/auditoria/?evento=leitura_prontuario")
    b"".join(cliente.get("/auditoria/?formato=csv&cidadao=101").streaming_content)  # type: ignore[attr-defined]  # a streamed response; the test client type lacks it
    with tenant_context(d["a"].id):
        registros = [
            (e.evento, e.usuario_id, e.lotacao_id, e.detalhes["filtros"])
            for e in cadeia(d["a"].id)
            if e.evento.startswith("auditoria_")
        ]
    vazio = {"usuario": "", "cidadao_id": None, "de": None, "ate": None, "evento": ""}
    assert registros == [
        ("auditoria_consulta", d["alice"].id, d["lot_alice"].id, vazio | {"evento": "leitura_prontuario"}),
        ("auditoria_exportacao", d["alice"].id, d["lot_alice"].id, vazio | {"cidadao_id": 101}),
    ]


def test_csv_export_has_the_filtered_set_of_the_municipality(alice_bob_charlie):
    d = alice_bob_charlie
    resposta = fabricas.entrar(d["alice"], d["lot_alice"]).get("/auditoria/?formato=csv")
    assert resposta["Content-Type"].startswith("text/csv")
    assert "attachment" in resposta["Content-Disposition"]
    texto = b"".join(resposta.streaming_content).decode("utf-8")  # type: ignore[attr-defined]  # a streamed response; the test client type lacks it
    assert texto.startswith("\ufeff")
    linhas = list(csv.reader(io.StringIO(texto.lstrip("\ufeff")), delimiter=";"))
    assert linhas[0][:3] == ["data e hora", "evento", "usuário"]
    por_o_que = {linha[7]: linha for linha in linhas[1:]}
    assert "folha de rosto de B" not in por_o_que
    leitura = por_o_que["folha de rosto de A"]
    assert leitura[1:4] == ["Acesso ao prontuário", "Bob Médico", d["bob"].cpf]
    assert leitura[6] == "101"
    # A formula typed by someone is exported as text.
    assert '\'=HYPERLINK("x")' in por_o_que
    # Only what was asked for.
    resposta = fabricas.entrar(d["alice"], d["lot_alice"]).get("/auditoria/?formato=csv&cidadao=101")
    linhas = list(
        csv.reader(io.StringIO(b"".join(resposta.streaming_content).decode().lstrip("\ufeff")), delimiter=";")
    )  # type: ignore[attr-defined]  # a streamed response; the test client type lacks it
    assert [linha[7] for linha in linhas[1:]] == ["folha de rosto de A"]


# --- the installation's audit page ---------------------------------------------------------


def test_installation_page_shows_logins_to_the_installation_admin_only(alice_bob_charlie):
    d = alice_bob_charlie
    Client(REMOTE_ADDR="198.51.100.9").post("/conta/login/", {"login": d["bob"].cpf, "password": "errada-errada"})
    assert fabricas.entrar(d["alice"], d["lot_alice"]).get("/instalacao/auditoria/").status_code == 403
    admin = fabricas.usuario("Ivo Instalação", administrador_instalacao=True)
    cliente = Client()
    cliente.force_login(admin)
    resposta = cliente.get("/instalacao/auditoria/")
    pagina = resposta.content.decode()
    assert "Trilha de auditoria da instalação" in pagina and "Falha de login" in pagina and "198.51.100.9" in pagina
    # Municipal chains stay on their own pages.
    assert "folha de rosto de A" not in pagina and "folha de rosto de B" not in pagina
    falhas = cliente.get("/instalacao/auditoria/", {"evento": "login_falha", "usuario": d["bob"].cpf})
    assert [(e.evento, e.usuario_id) for e, _, _ in falhas.context["linhas"]] == [("login_falha", d["bob"].id)]
    csv_texto = b"".join(cliente.get("/instalacao/auditoria/", {"formato": "csv"}).streaming_content).decode()  # type: ignore[attr-defined]  # a streamed response; the test client type lacks it
    assert f"Falha de login;Bob Médico;{d['bob'].cpf};{d['bob'].cpf};" in csv_texto
    # Looking and exporting are in the installation chain, not in a municipality's (the
    # test's one transaction keeps the tenant of the last request: switch chains to read).
    with audit.chain_scope(None):
        assert [e.evento for e in cadeia(None)][-3:] == [
            "auditoria_consulta",
            "auditoria_consulta",
            "auditoria_exportacao",
        ]
    with audit.chain_scope(d["a"].id):
        assert "auditoria_consulta" not in [e.evento for e in cadeia(d["a"].id)]


def test_installation_admin_with_a_lotacao_still_sees_the_installation_chain(alice_bob_charlie):
    d = alice_bob_charlie
    Client().post("/conta/login/", {"login": d["charlie"].cpf, "password": "errada-errada"})
    Usuario.objects.filter(pk=d["alice"].pk).update(administrador_instalacao=True)
    d["alice"].refresh_from_db()
    cliente = fabricas.entrar(d["alice"], d["lot_alice"])
    linhas = cliente.get("/instalacao/auditoria/", {"evento": "login_falha"}).context["linhas"]
    assert [e.usuario_id for e, _, _ in linhas] == [d["charlie"].id]
    # and her municipal page is still A's.
    assert "folha de rosto de A" in cliente.get("/auditoria/").content.decode()
