"""Restoring a backup: into a scratch database to verify it (`backup_verificar`, with the
private key, off the server) or into a new database of the installation (`backup_restaurar`,
then `banco_trocar`), and removing what an interrupted run left behind.

Isolation of the scratch database
---------------------------------
A restore executes SQL written by whoever controlled the source, so the test restores
run as the restore role: CREATEDB and nothing else (no superuser, no CREATEROLE, no
BYPASSRLS, not even CONNECT to the live database). It creates a fresh database of its
own, only it and the backup role (which reads it back) may connect, pg_restore runs
with `--no-owner --no-privileges` (a scratch server may not have our roles), and the
database is always dropped afterwards. It shares the cluster (with the embedded
PostgreSQL there is only one); PEC_BACKUP_SCRATCH_URL points verification at another
server, whose account then does all three, for full isolation. Only `restore` (the real
one, run by the installation admin) creates a database with DATABASE_URL's
administrative account and restores it as the owner, with the grants.

Leftovers: a run killed mid-way (kill -9, a reboot, the OOM killer) leaves a scratch
database holding every patient, `.part` files and its row "em andamento". Every run
takes the backup advisory lock (one run at a time) and first drops every scratch
database of this installation, removes the `.part` files and marks the stuck rows as
interrupted (`sobras_limpar`).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from django.conf import settings
from django.db import connections
from django.utils import timezone
from psycopg import sql

from pec.backups.arquivos import EXTENSION, conferir_sha256_ao_lado, sha256_arquivo
from pec.backups.avisos import BackupError, Medidor, Progresso, alertar, erro_mensagem, milhares, silencio
from pec.backups.chaves import chave_privada_carregar
from pec.backups.formato import Decifrador
from pec.backups.origem import confiaveis, origem_conferir
from pec.backups.postgres import (
    LOCK_KEY,
    PgRestore,
    banco_atual,
    banco_verificar,
    conectar,
    major_do_servidor,
    papel_config,
    pg_ferramenta,
)
from pec.dbroles import admin_connect, drop_database, setup_database
from pec.models import Backup
from pec.travas import trava_de_sessao

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Destino:
    """Where a restore goes: who creates and drops the database, who runs pg_restore into
    it, who reads it back for `banco_verificar`, and whether it is a scratch database."""

    criador: dict[str, Any]
    restaurador: dict[str, Any]
    leitor: dict[str, Any]
    rascunho: bool


def destino_de_rascunho() -> Destino:
    """Scratch databases: the restore role (CREATEDB only) on the installation's server, read
    back by the backup role; or PEC_BACKUP_SCRATCH_URL's account on a server of its own."""
    if settings.BACKUP_SCRATCH_ADMIN:
        outro = settings.BACKUP_SCRATCH_ADMIN
        return Destino(criador=outro, restaurador=outro, leitor=outro, rascunho=True)
    restauracao = papel_config("restore")
    return Destino(criador=restauracao, restaurador=restauracao, leitor=papel_config("backup"), rascunho=True)


def _destino_instalacao() -> Destino:
    """A real restore: a new database with the installation's roles and grants, created by
    the administrative account of DATABASE_URL and restored as the owner."""
    return Destino(
        criador=settings.DB_ADMIN, restaurador=papel_config("owner"), leitor=papel_config("backup"), rascunho=False
    )


def banco_rascunho(sufixo: str) -> str:
    # PostgreSQL cuts names at 63 bytes; keep the timestamp and pid, which make it unique.
    return f"{_prefixo_rascunho(sufixo)}{timezone.localtime():%Y%m%d%H%M%S}_{os.getpid()}"


def _prefixo_rascunho(sufixo: str) -> str:
    return f"{banco_atual()[:24]}_{sufixo}_"


def _banco_criar(destino: Destino, banco: str) -> None:
    if not destino.rascunho:
        setup_database(destino.criador, banco, settings.DB_ROLES)
        return
    with admin_connect(destino.criador, "postgres") as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(sql.Identifier(banco)))
        # It holds a copy of every patient: only its creator and its reader connect.
        conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(banco)))
        if destino.leitor.get("USER") != destino.criador.get("USER"):
            conn.execute(
                sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
                    sql.Identifier(banco), sql.Identifier(destino.leitor["USER"])
                )
            )


def banco_apagar(destino: Destino, banco: str) -> None:
    drop_database(destino.criador, banco)


def _preparar_destino(*, destino: Destino, banco: str, manifesto: dict[str, Any]) -> Path:
    """Create the target database and choose pg_restore; refuse what cannot work."""
    with admin_connect(destino.criador, "postgres") as conn:
        major_alvo = major_do_servidor(conn)
    major_origem = manifesto["postgresql"]["servidor_major"]
    if major_alvo < major_origem:
        raise BackupError(
            f"This backup is of a PostgreSQL {major_origem} server; the target server is PostgreSQL {major_alvo}. "
            f"Restore it into PostgreSQL {major_origem} or newer."
        )
    ferramenta, _ = pg_ferramenta(nome="pg_restore", major_minimo=manifesto["postgresql"]["pg_dump_major"])
    _banco_criar(destino, banco)
    return ferramenta


def restauracao_iniciar(*, destino: Destino, banco: str, manifesto: dict[str, Any], progresso: Progresso) -> PgRestore:
    ferramenta = _preparar_destino(destino=destino, banco=banco, manifesto=manifesto)
    return PgRestore(
        ferramenta=ferramenta,
        papel=destino.restaurador,
        banco=banco,
        progresso=progresso,
        privilegios=not destino.rascunho,
    )


def restaurar_arquivo(
    *, arquivo: Path, chave: X25519PrivateKey, destino: Destino, banco: str, progresso: Progresso
) -> tuple[dict[str, Any], float]:
    """Decrypt `arquivo` into a new database `banco`; returns (manifest, seconds)."""
    with open(arquivo, "rb") as entrada:
        decifrador = Decifrador(entrada, chave)
        manifesto = decifrador.manifesto
        progresso(
            f"restore: backup of {manifesto['banco']} made {manifesto['criado_em']} "
            f"({sum(manifesto['linhas'].values()):,} rows) into new database {banco}"
        )
        restauracao = restauracao_iniciar(destino=destino, banco=banco, manifesto=manifesto, progresso=progresso)
        medidor, lidos = Medidor(progresso, "restore: decrypted"), 0
        try:
            for bloco in decifrador.dados():
                restauracao.write(bloco)
                lidos += len(bloco)
                medidor(lidos)
        except BaseException:
            restauracao.abortar()
            raise
        medidor(lidos, fim=True)
        duracao = restauracao.finalizar()
        if not destino.rascunho:
            # The installation's roles and grants again, and the audit trail's append
            # function back with the audit role (its trigger admits no one else).
            setup_database(destino.criador, banco, settings.DB_ROLES)
        return manifesto, duracao


def backup_verificar(
    *,
    arquivo: Path,
    chave_privada: str | Path | None = None,
    chaves_assinatura: list[str | Path] | None = None,
    sha256: str = "",
    progresso: Progresso = silencio,
) -> Backup:
    """Check the file's origin, decrypt, restore into a scratch database, check it, drop it;
    record and alert. `chaves_assinatura` adds to PEC_BACKUP_TRUSTED_KEYS; `sha256` is the
    file's hash recorded off the server (see origem_conferir)."""
    arquivo = Path(arquivo).resolve()
    with trava_de_sessao(LOCK_KEY) as obtida:
        if not obtida:
            raise BackupError("Another backup job is running; try again when it ends.")
        sobras_limpar(pastas=[], progresso=progresso)
        return _backup_verificar(
            arquivo=arquivo,
            chave_privada=chave_privada,
            chaves_assinatura=confiaveis(chaves_assinatura),
            sha256=sha256,
            progresso=progresso,
        )


def _backup_verificar(
    *,
    arquivo: Path,
    chave_privada: str | Path | None,
    chaves_assinatura: list[str | Path],
    sha256: str,
    progresso: Progresso,
) -> Backup:
    # The run that wrote this file, when it is this installation's (a copy moved elsewhere is
    # found by its SHA-256); otherwise the verification gets a row of its own.
    lido = sha256_arquivo(arquivo) if arquivo.is_file() else ""
    registro = (
        Backup.objects.filter(arquivo=str(arquivo)).order_by("-iniciado_em").first()
        or (Backup.objects.filter(sha256=lido).order_by("-iniciado_em").first() if lido else None)
        or Backup.objects.create(
            origem=Backup.Origem.VERIFICACAO, arquivo=str(arquivo), sha256=lido, status=Backup.Status.EM_ANDAMENTO
        )
    )
    destino, rascunho = destino_de_rascunho(), banco_rascunho("verif")
    inicio = time.monotonic()
    manifesto: dict[str, Any] = {}
    try:
        conferir_sha256_ao_lado(arquivo)
        progresso(
            f"verify: origin: {origem_conferir(arquivo=arquivo, chaves_confiaveis=chaves_assinatura, sha256=sha256)}"
        )
        chave = chave_privada_carregar(chave_privada)
        manifesto, duracao = restaurar_arquivo(
            arquivo=arquivo, chave=chave, destino=destino, banco=rascunho, progresso=progresso
        )
        progresso("verify: comparing row counts, row-level security and audit chains")
        problemas = banco_verificar(papel=destino.leitor, banco=rascunho, manifesto=manifesto)
    except Exception as exc:
        duracao, problemas = time.monotonic() - inicio, [erro_mensagem(exc)]
    finally:
        banco_apagar(destino, rascunho)

    registro.verificado_em = timezone.now()
    registro.verificacao_segundos = duracao
    registro.verificacao = Backup.Verificacao.FALHOU if problemas else Backup.Verificacao.OK
    if problemas:
        registro.verificacao_detalhe = "\n".join(problemas)
        registro.status = Backup.Status.ERRO
        registro.erro = "Verificação falhou: " + problemas[0]
    else:
        registro.verificacao_detalhe = (
            f"restaurado em {duracao:.0f} s e conferido: {milhares(sum(manifesto['linhas'].values()))} linhas, "
            "RLS e cadeias de auditoria íntegras"
        )
        # A good verification overrules an earlier failed one (say, tried with the wrong key).
        if registro.status != Backup.Status.SUCESSO:
            registro.status, registro.finalizado_em = Backup.Status.SUCESSO, registro.finalizado_em or timezone.now()
        if registro.erro.startswith("Verificação falhou"):
            registro.erro = ""
    registro.save()
    if problemas:
        logger.error("verification of %s failed: %s", arquivo, problemas)
        alertar(
            assunto="[PEC] Falha na verificação do backup",
            corpo=f"A verificação do backup {arquivo.name} falhou: ele não pôde ser restaurado íntegro.\n\n"
            + "\n".join(f"- {p}" for p in problemas)
            + "\n\nNão conte com este arquivo para uma restauração. Veja /instalacao/backups/.",
        )
        raise BackupError("Verification failed: " + "; ".join(problemas[:5]))
    progresso(f"verify: OK, restored in {duracao:.1f} s")
    return registro


def backup_restaurar(
    *,
    arquivo: Path,
    chave_privada: str | Path | None = None,
    chaves_assinatura: list[str | Path] | None = None,
    sha256: str = "",
    progresso: Progresso = silencio,
) -> tuple[str, dict[str, Any], float]:
    """Restore into a NEW database on the installation's server and verify it, once the
    file's origin is proven (origem_conferir).

    Returns (new database name, manifest, restore seconds). The current database is not
    touched; on any failure the new one is dropped.
    """
    arquivo = Path(arquivo).resolve()
    conferir_sha256_ao_lado(arquivo)
    progresso(
        f"restore: origin: {origem_conferir(arquivo=arquivo, chaves_confiaveis=confiaveis(chaves_assinatura), sha256=sha256)}"
    )
    chave = chave_privada_carregar(chave_privada)
    novo = banco_rascunho("restaurado")
    destino = _destino_instalacao()
    try:
        manifesto, duracao = restaurar_arquivo(
            arquivo=arquivo, chave=chave, destino=destino, banco=novo, progresso=progresso
        )
        progresso("restore: verifying the new database")
        problemas = banco_verificar(papel=destino.leitor, banco=novo, manifesto=manifesto)
        if problemas:
            raise BackupError("The restored database failed verification: " + "; ".join(problemas[:5]))
        with conectar(papel_config("app"), novo) as conn:
            conn.execute(
                "UPDATE pec_backup SET status = %s, arquivo = %s, sha256 = %s, finalizado_em = now(), "
                "erro = '' WHERE id = %s AND status = %s",
                [
                    Backup.Status.SUCESSO,
                    str(arquivo),
                    sha256_arquivo(arquivo),
                    manifesto["backup_id"],
                    Backup.Status.EM_ANDAMENTO,
                ],
            )
    except BaseException:
        banco_apagar(destino, novo)
        raise
    return novo, manifesto, duracao


def banco_trocar(*, novo: str) -> str:
    """Make `novo` the installation's database by renaming; returns the old one's new name
    ("" when there was no old one: the restore after losing it).

    Both renames happen in one transaction: either the switch is complete or nothing
    changed. Connections to either database are terminated first.
    """
    atual = banco_atual()
    anterior = f"{atual[:40]}_anterior_{timezone.localtime():%Y%m%d%H%M%S}"
    connections.close_all()
    with admin_connect(settings.DB_ADMIN, "postgres") as conn:
        with conn.transaction():
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ANY(%s) AND pid <> pg_backend_pid()",
                [[atual, novo]],
            )
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [atual]).fetchone():
                conn.execute(
                    sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(atual), sql.Identifier(anterior))
                )
            else:
                anterior = ""
            conn.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(novo), sql.Identifier(atual)))
    return anterior


def sobras_limpar(*, pastas: list[Path], progresso: Progresso = silencio) -> list[str]:
    """What a run killed mid-way (kill -9, a reboot, the OOM killer) left behind, removed
    under the backup lock at the start of the next run: its scratch databases (a full copy
    of every patient), its `.part` files, and its row stuck "em andamento". Returns what
    was done."""
    feito: list[str] = []
    try:
        feito += _rascunhos_apagar()
    except (BackupError, psycopg.Error) as exc:
        # The run itself then fails on the same cause, with its row and its alert.
        feito.append(f"could not drop old scratch databases: {exc}")
    extras = [Path(settings.BACKUP_COPY_DIR)] if settings.BACKUP_COPY_DIR else []
    for pasta in {Path(settings.BACKUP_DIR), *pastas, *extras}:
        for parcial in sorted(pasta.glob(f"*{EXTENSION}*.part")) if pasta.is_dir() else []:
            parcial.unlink(missing_ok=True)
            feito.append(f"removed {parcial}")
    interrompidos = Backup.objects.filter(status=Backup.Status.EM_ANDAMENTO).update(
        status=Backup.Status.ERRO,
        finalizado_em=timezone.now(),
        erro="Interrompido antes de terminar (processo encerrado); a execução seguinte apagou o que ficou para trás.",
    )
    if interrompidos:
        feito.append(f"marked {interrompidos} interrupted run(s) as failed")
    for linha in feito:
        logger.warning("backup leftovers: %s", linha)
        progresso(f"cleanup: {linha}")
    return feito


def _rascunhos_apagar() -> list[str]:
    destino = destino_de_rascunho()
    with admin_connect(destino.criador, "postgres") as conn:
        nomes = [
            row[0]
            for row in conn.execute(
                "SELECT datname FROM pg_database WHERE starts_with(datname, %s) ORDER BY 1",
                [_prefixo_rascunho("verif")],
            ).fetchall()
        ]
    for nome in nomes:
        banco_apagar(destino, nome)
    return [f"dropped scratch database {nome}" for nome in nomes]
