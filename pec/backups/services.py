"""Making a backup: dump, encrypt, write, sign, verify in flight; and the nightly job
around it (copy to the second location, retention, the alert when backups are late).

Nightly verification without the private key
---------------------------------------------
The server cannot decrypt its own backups, by design, so it cannot run `verify_backup` on
the file. Keeping a second "verification" private key on the server would give anyone
who takes the server every past backup, which is what public-key encryption is there to
prevent. Instead the nightly job verifies *in flight*: the very bytes handed to the
encryptor are also piped into `pg_restore --exit-on-error` restoring a scratch database,
which is then checked (row counts against the manifest, forced RLS on every table with
`municipio_id` and the same policies, audit chains recomputed and their heads equal to the
manifest's). Then the written file is re-read: its SHA-256 must equal the one computed
while writing and its frame structure must be complete, and the second location's copy
must have the same SHA-256. What this cannot prove is that the private key opens the file;
each file records the fingerprint of the key it was encrypted to (shown on the admin page),
and `manage.py verify_backup FILE --private-key ...` on the key-holding machine does the
full decrypt-and-restore check. Run it there regularly (weekly is a good habit); the
tests run it on every path.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import tempfile
import time
from datetime import datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from pec.audit import chain as audit
from pec.backups.arquivos import (
    EXTENSION,
    arquivos_de,
    backup_copiar,
    fsync_pasta,
    gravar_pequeno,
    privado,
    retencao_aplicar,
    sha256_arquivo,
)
from pec.backups.avisos import BackupError, Medidor, Progresso, alertar, erro_mensagem, milhares, silencio
from pec.backups.chaves import assinatura_privada_carregar, chave_publica_carregar, impressao_digital
from pec.backups.formato import CHUNK, Cifrador, arquivo_estrutura_verificar
from pec.backups.origem import assinatura_gravar
from pec.backups.postgres import (
    LOCK_KEY,
    PgRestore,
    banco_atual,
    banco_verificar,
    conectar,
    contar_linhas,
    libpq_env,
    major_do_servidor,
    migracoes,
    papel_config,
    pg_ferramenta,
    rls_estado,
    valor,
    versao_ferramenta,
)
from pec.backups.restauracao import (
    Destino,
    banco_apagar,
    banco_rascunho,
    destino_de_rascunho,
    restauracao_iniciar,
    sobras_limpar,
)
from pec.backups.selectors import backup_ultimo_sucesso
from pec.models import Backup
from pec.travas import trava_de_sessao

logger = logging.getLogger(__name__)


def _versao_pec() -> str:
    try:
        return metadata.version("pec")
    except metadata.PackageNotFoundError:
        return "unknown"


def backup_criar(
    *,
    destino: Path | None = None,
    chave_publica: str | Path | None = None,
    verificar: bool = True,
    origem: str = Backup.Origem.MANUAL,
    progresso: Progresso = silencio,
) -> Backup:
    """Dump, encrypt and write one backup; with `verificar`, restore it in flight and check it.

    Every failure leaves a Backup row with status "erro", an e-mail to the installation
    admins and a BackupError; never a partial file under the final name. Runs under the
    backup lock (re-entered by the nightly job, which holds it already) and first removes
    what an interrupted run left behind.
    """
    destino = Path(destino or settings.BACKUP_DIR)
    with trava_de_sessao(LOCK_KEY) as obtida:
        if not obtida:
            raise BackupError("Another backup job is running; nothing done.")
        sobras_limpar(pastas=[destino], progresso=progresso)
        return _backup_criar(
            destino=destino, chave_publica=chave_publica, verificar=verificar, origem=origem, progresso=progresso
        )


def _backup_criar(
    *, destino: Path, chave_publica: str | Path | None, verificar: bool, origem: str, progresso: Progresso
) -> Backup:
    registro = Backup.objects.create(origem=origem)
    try:
        _backup_executar(
            registro=registro,
            destino=destino,
            chave=chave_publica_carregar(chave_publica),
            assinatura=assinatura_privada_carregar(),
            verificar=verificar,
            progresso=progresso,
        )
    except Exception as exc:
        mensagem = erro_mensagem(exc, destino)
        registro.status = Backup.Status.ERRO
        registro.erro = mensagem
        registro.finalizado_em = timezone.now()
        registro.save()
        logger.error("backup %s failed: %s", registro.pk, mensagem)
        alertar(
            assunto="[PEC] Falha no backup do banco de dados",
            corpo=f"O backup iniciado em {timezone.localtime(registro.iniciado_em):%d/%m/%Y %H:%M} falhou.\n\n"
            f"Motivo: {mensagem}\n\nNenhum backup novo foi gravado nesta execução. Veja /instalacao/backups/.",
        )
        raise BackupError(mensagem) from exc
    return registro


def _backup_executar(
    *,
    registro: Backup,
    destino: Path,
    chave: X25519PublicKey,
    assinatura: Ed25519PrivateKey,
    verificar: bool,
    progresso: Progresso,
) -> None:
    inicio = time.monotonic()
    destino.mkdir(parents=True, exist_ok=True)
    banco = banco_atual()
    nome = f"{banco}-{timezone.localtime(registro.iniciado_em):%Y%m%d-%H%M%S}{EXTENSION}"
    final, parcial = destino / nome, destino / (nome + ".part")
    registro.chave_impressao = impressao_digital(chave)
    papel_backup = papel_config("backup")

    with conectar(papel_backup, banco) as snap:
        # One snapshot for the manifest and for pg_dump: counts and heads match the archive.
        snap.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        snapshot = valor(snap, "SELECT pg_export_snapshot()")
        servidor_major = major_do_servidor(snap)
        pg_dump, pg_dump_versao = pg_ferramenta(nome="pg_dump", major_minimo=servidor_major)
        progresso(f"backup: {banco} on PostgreSQL {servidor_major} with {pg_dump_versao} -> {final}")
        cadeias = audit.cabecas_das_cadeias(snap)
        manifesto: dict[str, Any] = {
            "formato": 1,
            "criado_em": timezone.now().isoformat(),
            "banco": banco,
            "pec_versao": _versao_pec(),
            "postgresql": {
                "servidor": valor(snap, "SHOW server_version"),
                "servidor_major": servidor_major,
                "pg_dump": pg_dump_versao,
                "pg_dump_major": versao_ferramenta(str(pg_dump))[0],
            },
            "migracoes": migracoes(snap),
            "linhas": contar_linhas(snap),
            "rls": rls_estado(snap),
            "cadeias": cadeias,
            # The same heads signed, for `verify_audit --heads` on the copy kept off the server.
            "cabecas_assinadas": audit.cabecas_exportar(snap, cadeias=cadeias) if settings.PEC_AUDIT_HEAD_KEY else None,
            "chave_impressao": registro.chave_impressao,
            # This run's own row is in the snapshot as "em andamento"; a restore completes it.
            "backup_id": registro.pk,
        }
        progresso(f"backup: {sum(manifesto['linhas'].values()):,} rows in {len(manifesto['linhas'])} tables")

        restauracao = rascunho = None
        destino_rascunho = destino_de_rascunho() if verificar else None
        try:
            with open(parcial, "xb", opener=privado) as saida:
                cifrador = Cifrador(saida, chave)
                cifrador.manifesto(manifesto)
                if destino_rascunho is not None:
                    rascunho = banco_rascunho("verif")
                    restauracao = restauracao_iniciar(
                        destino=destino_rascunho, banco=rascunho, manifesto=manifesto, progresso=progresso
                    )
                _dump(
                    pg_dump=pg_dump,
                    papel=papel_backup,
                    banco=banco,
                    snapshot=snapshot,
                    sinks=[cifrador] + ([restauracao] if restauracao else []),
                    progresso=progresso,
                )
                cifrador.finalizar()
                saida.flush()
                os.fsync(saida.fileno())
            snap.execute("COMMIT")
            parcial.rename(final)
            fsync_pasta(destino)
            sha256 = cifrador.sha256.hexdigest()
            gravar_pequeno(arquivos_de(final)[1], f"{sha256}  {final.name}\n")
            gravar_pequeno(
                arquivos_de(final)[2],
                json.dumps(
                    {**manifesto, "arquivo": final.name, "tamanho": cifrador.bytes_escritos, "sha256": sha256},
                    indent=2,
                    sort_keys=True,
                ),
            )
            assinatura_gravar(arquivo=final, sha256=sha256, chave=assinatura)
            registro.arquivo, registro.tamanho, registro.sha256 = str(final), cifrador.bytes_escritos, sha256
            registro.manifesto = {
                "linhas": sum(manifesto["linhas"].values()),
                "tabelas": len(manifesto["linhas"]),
                "postgresql": manifesto["postgresql"]["servidor"],
                "pec_versao": manifesto["pec_versao"],
            }
            registro.duracao_segundos = time.monotonic() - inicio
            registro.save()
            progresso(
                f"backup: wrote {cifrador.bytes_escritos / 2**20:,.1f} MiB in {registro.duracao_segundos:.1f} s, sha256 {sha256}"
            )
            arquivo_conferir(caminho=final, sha256=sha256)
            if restauracao is not None and rascunho is not None and destino_rascunho is not None:
                _verificacao_registrar(
                    registro,
                    destino=destino_rascunho,
                    rascunho=rascunho,
                    restauracao=restauracao,
                    manifesto=manifesto,
                    progresso=progresso,
                )
                restauracao = None
        except BaseException:
            if restauracao is not None:
                restauracao.abortar()
            parcial.unlink(missing_ok=True)
            raise
        finally:
            if rascunho is not None and destino_rascunho is not None:
                banco_apagar(destino_rascunho, rascunho)

    registro.status = Backup.Status.SUCESSO
    registro.finalizado_em = timezone.now()
    registro.save()


def _dump(
    *, pg_dump: Path, papel: dict[str, Any], banco: str, snapshot: str, sinks: list[Any], progresso: Progresso
) -> None:
    medidor = Medidor(progresso, "backup")
    with tempfile.TemporaryFile() as erros:
        proc = subprocess.Popen(
            [str(pg_dump), "--format=custom", f"--snapshot={snapshot}", "--no-password"],
            stdout=subprocess.PIPE,
            stderr=erros,
            env=libpq_env(papel, banco),
        )
        lidos = 0
        try:
            assert proc.stdout is not None
            while bloco := proc.stdout.read(CHUNK):
                for sink in sinks:
                    sink.write(bloco)
                lidos += len(bloco)
                medidor(lidos, sinks[0].bytes_escritos)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        codigo = proc.wait()
        medidor(lidos, sinks[0].bytes_escritos, fim=True)
        if codigo != 0:
            erros.seek(0)
            raise BackupError(f"pg_dump failed (exit {codigo}): {erros.read().decode(errors='replace').strip()}")


def arquivo_conferir(*, caminho: Path, sha256: str) -> None:
    """Re-read a written file: same SHA-256 and a complete frame structure (no key needed)."""
    lido = sha256_arquivo(caminho)
    if lido != sha256:
        raise BackupError(f"{caminho} changed after it was written: SHA-256 is {lido}, expected {sha256}.")
    arquivo_estrutura_verificar(caminho)


def _verificacao_registrar(
    registro: Backup,
    *,
    destino: Destino,
    rascunho: str,
    restauracao: PgRestore,
    manifesto: dict[str, Any],
    progresso: Progresso,
) -> None:
    try:
        duracao = restauracao.finalizar()
        progresso("verify: comparing row counts, row-level security and audit chains")
        problemas = banco_verificar(papel=destino.leitor, banco=rascunho, manifesto=manifesto)
    except BackupError as exc:
        duracao, problemas = time.monotonic() - restauracao.inicio, [str(exc)]
    registro.verificado_em = timezone.now()
    registro.verificacao_segundos = duracao
    registro.verificacao = Backup.Verificacao.FALHOU if problemas else Backup.Verificacao.OK
    registro.verificacao_detalhe = "\n".join(problemas) or (
        f"restaurado e conferido: {milhares(sum(manifesto['linhas'].values()))} linhas, RLS e cadeias de auditoria íntegras"
    )
    registro.save()
    if problemas:
        raise BackupError("Verification failed: " + "; ".join(problemas[:5]))
    progresso(f"verify: OK in {duracao:.1f} s")


def backup_noturno(*, progresso: Progresso = silencio) -> Backup | None:
    """The nightly job: back up with in-flight verification, copy, apply retention.

    Returns None when another run holds the lock. A failed backup has already alerted and
    raises BackupError; a failed copy alerts but keeps the (good) local backup.
    """
    with trava_de_sessao(LOCK_KEY) as obtida:
        if not obtida:
            logger.warning("nightly backup skipped: another backup job is running")
            return None
        registro = backup_criar(verificar=True, origem=Backup.Origem.AUTOMATICO, progresso=progresso)
        if settings.BACKUP_COPY_DIR:
            try:
                copia = backup_copiar(registro=registro, pasta=Path(settings.BACKUP_COPY_DIR))
                progresso(f"copy: {copia} (sha256 checked)")
            except Exception as exc:
                mensagem = erro_mensagem(exc, Path(settings.BACKUP_COPY_DIR))
                registro.erro = f"Cópia para o segundo local falhou: {mensagem}"
                registro.save(update_fields=["erro"])
                logger.error("copy of backup %s failed: %s", registro.pk, mensagem)
                alertar(
                    assunto="[PEC] Falha na cópia do backup para o segundo local",
                    corpo=f"O backup {Path(registro.arquivo).name} foi gravado e verificado, mas a cópia para "
                    f"{settings.BACKUP_COPY_DIR} falhou.\n\nMotivo: {mensagem}",
                )
        removidos = retencao_aplicar()
        if removidos:
            progresso(f"retention: removed {len(removidos)} old backups")
        return registro


def backup_verificar_atraso(*, agora: datetime | None = None) -> bool:
    """Alert (at most once a day) when no backup succeeded in the last BACKUP_ATRASO_HORAS.

    Returns True when backups are late.
    """
    agora = agora or timezone.now()
    limite = agora - timedelta(hours=settings.BACKUP_ATRASO_HORAS)
    if (
        Backup.objects.filter(status=Backup.Status.SUCESSO, finalizado_em__gte=limite)
        .exclude(origem=Backup.Origem.VERIFICACAO)
        .exists()
    ):
        return False
    if cache.add("pec:backup:atraso-alertado", "1", timeout=24 * 3600):
        ultimo = backup_ultimo_sucesso()
        quando = f"em {timezone.localtime(ultimo.finalizado_em):%d/%m/%Y %H:%M}" if ultimo else "nunca"
        alertar(
            assunto=f"[PEC] Nenhum backup bem-sucedido nas últimas {settings.BACKUP_ATRASO_HORAS} horas",
            corpo=f"O último backup bem-sucedido foi {quando}. Verifique o worker e o beat do Celery, o espaço "
            "em disco e a chave pública (PEC_BACKUP_PUBLIC_KEY). Veja /instalacao/backups/.",
        )
    return True
