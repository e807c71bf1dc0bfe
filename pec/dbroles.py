"""Create the database and its three roles, with an administrative connection.

- owner:  owns the schema, runs migrations. Subject to FORCE row-level security.
- app:    web and workers. Not owner, not superuser, NOBYPASSRLS; DML only.
- backup: read-only (pg_read_all_data) with BYPASSRLS, for pg_dump.
- audit:  no login; owns the SECURITY DEFINER function that appends to the audit trail
          (pec.audit.chain), the only way in for the app. The owner is a member so that its
          migrations can hand the function over.
- restore: CREATEDB and nothing else, not even CONNECT to the live database: the nightly
  test restore creates, fills and drops scratch databases of its own (pec.backups), so it
  needs no superuser.

Idempotent: safe to run on every deploy and by several processes at once.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

ROLE_ATTRIBUTES = {
    "owner": "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS",
    "app": "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT",
    "backup": "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE BYPASSRLS",
    "audit": "NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE BYPASSRLS NOINHERIT",
    # INHERIT: it owns its scratch databases, and their schema public through pg_database_owner.
    "restore": "LOGIN NOSUPERUSER CREATEDB NOCREATEROLE NOBYPASSRLS INHERIT",
}

# The audit trail's append function (created by pec/migrations/0008_auditoria_funcao.py).
FUNCAO_AUDITORIA = "pec_auditoria_registrar(bigint,text,bigint,text,bigint,bigint,text,text,text,jsonb)"


def admin_connect(admin: dict[str, Any], dbname: str) -> psycopg.Connection:
    return psycopg.connect(
        dbname=dbname,
        host=admin.get("HOST") or None,
        port=admin.get("PORT") or None,
        user=admin.get("USER") or None,
        password=admin.get("PASSWORD") or None,
        autocommit=True,
    )


def setup_database(admin: dict[str, Any], dbname: str, roles: dict[str, dict[str, str]]) -> list[str]:
    """Create roles and database `dbname` if missing and (re)apply grants. Returns what it did."""
    done: list[str] = []
    with admin_connect(admin, "postgres") as conn:
        for kind, role in roles.items():
            if _create_role(conn, role["USER"], ROLE_ATTRIBUTES[kind]):
                done.append(f"created role {role['USER']}")
            conn.execute(sql.SQL("ALTER ROLE {} " + ROLE_ATTRIBUTES[kind]).format(sql.Identifier(role["USER"])))
            if role.get("PASSWORD"):
                conn.execute(
                    sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                        sql.Identifier(role["USER"]), sql.Literal(role["PASSWORD"])
                    )
                )
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname]).fetchone():
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {} ENCODING 'UTF8' TEMPLATE template0").format(
                    sql.Identifier(dbname), sql.Identifier(roles["owner"]["USER"])
                )
            )
            done.append(f"created database {dbname}")

    owner, app, backup, audit = (sql.Identifier(roles[k]["USER"]) for k in ("owner", "app", "backup", "audit"))
    with admin_connect(admin, dbname) as conn:
        statements: list[sql.SQL | sql.Composed] = [
            sql.SQL("ALTER DATABASE {} OWNER TO {}").format(sql.Identifier(dbname), owner),
            sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(dbname)),
            sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}, {}").format(sql.Identifier(dbname), app, backup),
            sql.SQL("ALTER SCHEMA public OWNER TO {}").format(owner),
            sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC"),
            sql.SQL("GRANT USAGE ON SCHEMA public TO {}, {}").format(app, backup),
            sql.SQL("GRANT pg_read_all_data TO {}").format(backup),
            # Requests are short and many: a parallel plan's worker start-up costs more than
            # it saves and takes cores from the other users' requests (a citizen search
            # walking names: 70-85 ms parallel, 24 ms not; BENCHMARKS.md, "Busca de cidadão").
            sql.SQL("ALTER ROLE {} IN DATABASE {} SET max_parallel_workers_per_gather = 0").format(
                app, sql.Identifier(dbname)
            ),
            # Tables the owner creates from now on: DML for the app, reads for backups.
            # Tables that must be append-only (the audit trail) revoke in their migration.
            sql.SQL(
                "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {}"
            ).format(owner, app),
            sql.SQL(
                "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {}"
            ).format(owner, app),
            sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO {}").format(
                owner, app
            ),
        ]
        for statement in statements + _audit_statements(conn, owner, audit):
            conn.execute(statement)
    return done


def _audit_statements(conn: psycopg.Connection, owner: sql.Identifier, audit: sql.Identifier) -> list[sql.Composed]:
    """The owner may hand the append function over to the audit role (which needs CREATE
    on the schema to own it); a restore with --no-owner leaves the function with the
    restoring role, so it is given back here."""
    statements: list[sql.Composed] = [
        sql.SQL("GRANT {} TO {}").format(audit, owner),
        sql.SQL("GRANT USAGE, CREATE ON SCHEMA public TO {}").format(audit),
    ]
    if conn.execute("SELECT to_regprocedure(%s) IS NOT NULL", [FUNCAO_AUDITORIA]).fetchone()[0]:  # type: ignore[index]  # a SELECT without FROM returns one row
        statements.append(sql.SQL("ALTER FUNCTION " + FUNCAO_AUDITORIA + " OWNER TO {}").format(audit))
    return statements


def _create_role(conn: psycopg.Connection, name: str, attributes: str) -> bool:
    if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name]).fetchone():
        return False
    try:
        conn.execute(sql.SQL("CREATE ROLE {} " + attributes).format(sql.Identifier(name)))
    except (psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation):
        return False  # another process created it between our check and our CREATE
    return True


def drop_database(admin: dict[str, Any], dbname: str) -> None:
    with admin_connect(admin, "postgres") as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname)))
