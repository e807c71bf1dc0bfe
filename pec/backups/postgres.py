"""The PostgreSQL side of a backup: the pg_dump/pg_restore of a suitable major version,
the roles' connections (passwords through the environment, never the command line), what
a database holds (row counts, row-level security, migrations, audit chain heads) and the
check of a restored database against the manifest of its backup. pg_restore runs as a
sink that takes the archive's bytes as they stream, so no plaintext reaches the disk.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings

from pec.audit import chain as audit
from pec.backups.avisos import BackupError, Progresso

LOCK_KEY = 0x50454342  # "PECB": one nightly job at a time across workers


def _pg_dirs() -> list[Path]:
    dirs = [Path(d) for d in settings.PG_BIN_DIRS]
    try:
        import pgserver

        dirs.append(Path(pgserver.__file__).parent / "pginstall" / "bin")
    except ImportError:
        pass
    dirs += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    encontrado = shutil.which("pg_dump")
    if encontrado:
        dirs.append(Path(encontrado).parent)
    return dirs


@functools.cache
def versao_ferramenta(caminho: str) -> tuple[int, str]:
    saida = subprocess.run([caminho, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    match = re.search(r"\(PostgreSQL\) (\d+)", saida)
    if not match:
        raise BackupError(f"Cannot tell the version of {caminho}: {saida!r}")
    return int(match.group(1)), saida


def pg_ferramenta(*, nome: str, major_minimo: int) -> tuple[Path, str]:
    """The `nome` binary of the same major version, else the oldest newer one."""
    achados: dict[int, tuple[Path, str]] = {}
    for pasta in _pg_dirs():
        caminho = pasta / nome
        if caminho.is_file() and os.access(caminho, os.X_OK):
            major, versao = versao_ferramenta(str(caminho))
            achados.setdefault(major, (caminho, versao))
    servem = sorted(m for m in achados if m >= major_minimo)
    if not servem:
        vistos = ", ".join(f"{m} ({p})" for m, (p, _) in sorted(achados.items())) or "none"
        raise BackupError(
            f"No {nome} of PostgreSQL {major_minimo} or newer found (found: {vistos}). "
            f"Install postgresql-client-{major_minimo} or list its bin directory in PEC_PG_BIN_DIRS."
        )
    return achados[servem[0]]


def papel_config(kind: str) -> dict[str, Any]:
    """Connection settings of one role on the installation's server."""
    if kind not in settings.DB_ROLES:
        raise BackupError(
            f"This process has no credentials for the {kind} role: backups run in the backup unit "
            f"(PEC_DB_ROLES=app,backup,restore and their password files; deploy/env/backup.env)."
        )
    return {
        "HOST": settings.DB_ADMIN.get("HOST", ""),
        "PORT": settings.DB_ADMIN.get("PORT", ""),
        "USER": settings.DB_ROLES[kind]["USER"],
        "PASSWORD": settings.DB_ROLES[kind]["PASSWORD"],
    }


def conectar(papel: dict[str, Any], banco: str) -> psycopg.Connection:
    return psycopg.connect(
        dbname=banco,
        host=papel.get("HOST") or None,
        port=papel.get("PORT") or None,
        user=papel.get("USER") or None,
        password=papel.get("PASSWORD") or None,
        autocommit=True,
        application_name="pec-backup",
    )


def libpq_env(papel: dict[str, Any], banco: str) -> dict[str, str]:
    # The password goes through the environment, never the command line (ps shows that).
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update({"PGDATABASE": banco, "PGUSER": papel["USER"], "PGAPPNAME": "pec-backup"})
    if papel.get("HOST"):
        env["PGHOST"] = str(papel["HOST"])
    if papel.get("PORT"):
        env["PGPORT"] = str(papel["PORT"])
    if papel.get("PASSWORD"):
        env["PGPASSWORD"] = papel["PASSWORD"]
    return env


def valor(conn: psycopg.Connection, consulta: str) -> Any:
    """The one value of a query that always returns one row (SHOW, count, a function call)."""
    linha = conn.execute(consulta).fetchone()
    assert linha is not None, consulta
    return linha[0]


def major_do_servidor(conn: psycopg.Connection) -> int:
    return int(valor(conn, "SHOW server_version_num")) // 10000


def banco_atual() -> str:
    return str(settings.DATABASES["default"]["NAME"])


TABELAS = """
SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
ORDER BY 1
"""


_RLS = """
SELECT format('%I.%I', n.nspname, c.relname), c.relrowsecurity, c.relforcerowsecurity,
       EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'municipio_id'
               AND NOT a.attisdropped),
       coalesce((SELECT array_agg(p.polname ORDER BY p.polname) FROM pg_policy p WHERE p.polrelid = c.oid), '{}')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
ORDER BY 1
"""


def contar_linhas(conn: psycopg.Connection) -> dict[str, int]:
    tabelas = [row[0] for row in conn.execute(TABELAS).fetchall()]
    # Names come from pg_class through format('%I'), so they are already quoted identifiers.
    return {t: int(valor(conn, f"SELECT count(*) FROM {t}")) for t in tabelas}


def rls_estado(conn: psycopg.Connection) -> dict[str, dict[str, Any]]:
    """Row-level security of every table that has it or has `municipio_id`."""
    estado = {}
    for tabela, ativa, forcada, tenant, politicas in conn.execute(_RLS).fetchall():
        if ativa or forcada or tenant or politicas:
            estado[tabela] = {"ativa": ativa, "forcada": forcada, "municipio_id": tenant, "politicas": list(politicas)}
    return estado


def migracoes(conn: psycopg.Connection) -> dict[str, str]:
    try:
        rows = conn.execute("SELECT app, max(name) FROM django_migrations GROUP BY app ORDER BY app").fetchall()
    except psycopg.errors.UndefinedTable:
        return {}
    return dict(rows)


def banco_verificar(*, papel: dict[str, Any], banco: str, manifesto: dict[str, Any]) -> list[str]:
    """Compare a restored database with the manifest of its backup; [] when it matches."""
    problemas: list[str] = []
    with conectar(papel, banco) as conn:
        contagens = contar_linhas(conn)
        esperadas: dict[str, int] = manifesto["linhas"]
        for tabela, n in sorted(esperadas.items()):
            if tabela not in contagens:
                problemas.append(f"table {tabela} is missing")
            elif contagens[tabela] != n:
                problemas.append(f"table {tabela}: {contagens[tabela]} rows restored, {n} in the backup")
        problemas += [f"table {t} is not in the backup manifest" for t in sorted(contagens.keys() - esperadas.keys())]

        estado = rls_estado(conn)
        for tabela, rls in sorted(estado.items()):
            if rls["municipio_id"] and not (rls["ativa"] and rls["forcada"] and rls["politicas"]):
                problemas.append(f"table {tabela} has municipio_id but no forced row-level security")
        if estado != manifesto["rls"]:
            diferentes = sorted(
                t for t in estado.keys() | manifesto["rls"].keys() if estado.get(t) != manifesto["rls"].get(t)
            )
            problemas.append(f"row-level security differs from the backup's on: {', '.join(diferentes)}")

        problemas += [f"audit chain {p}" for p in audit.verificar_cadeias(conn)]
        if audit.cabecas_das_cadeias(conn) != manifesto["cadeias"]:
            problemas.append("audit chain heads differ from those recorded at backup time")
    return problemas


class PgRestore:
    """`pg_restore --exit-on-error` reading the archive from stdin, as the destination's role."""

    def __init__(
        self, *, ferramenta: Path, papel: dict[str, Any], banco: str, progresso: Progresso, privilegios: bool
    ) -> None:
        self.inicio = time.monotonic()
        self.quebrado = False
        self._ultimas: deque[str] = deque(maxlen=12)
        self._objetos = 0
        self._progresso = progresso
        # A scratch database skips the grants: they name roles a scratch server may not have.
        opcoes = [] if privilegios else ["--no-privileges"]
        self.proc = subprocess.Popen(
            [str(ferramenta), "--exit-on-error", "--no-owner", *opcoes, "--verbose", "--dbname", banco],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=libpq_env(papel, banco),
        )
        self._leitor = threading.Thread(target=self._ler_stderr, daemon=True)
        self._leitor.start()

    def _ler_stderr(self) -> None:
        assert self.proc.stderr is not None
        for bruta in self.proc.stderr:
            linha = bruta.decode(errors="replace").rstrip()
            self._ultimas.append(linha)
            if "processing data for table" in linha:
                self._progresso(f"restore: {linha.removeprefix('pg_restore: ')}")
            elif linha.startswith("pg_restore: creating"):
                self._objetos += 1
                if self._objetos % 100 == 0:
                    self._progresso(f"restore: {self._objetos} objects created")

    def write(self, dados: bytes) -> None:
        if self.quebrado:
            return
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(dados)
        except BrokenPipeError:
            # pg_restore stopped at an error; the reason is on its stderr, read in finalizar().
            self.quebrado = True

    def finalizar(self) -> float:
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        codigo = self.proc.wait()
        self._leitor.join()
        if codigo != 0:
            erros = [linha for linha in self._ultimas if "error" in linha.lower()] or list(self._ultimas)
            raise BackupError(f"pg_restore failed (exit {codigo}): " + " | ".join(erros[-4:]))
        self._progresso(f"restore: done, {self._objetos} objects created")
        return time.monotonic() - self.inicio

    def abortar(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._leitor.join()
