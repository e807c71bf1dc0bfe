"""The backup's files on disk: a file and its side files (`.sha256`, `.json`, `.sig`),
written durably (a `.part` renamed into place, fsync of the file and of its folder), copied
to the second location and removed by retention.

Retention is grandfather-father-son over successful, not-failed-verification backups:
the newest of each of the last 7 days, 5 ISO weeks, 12 months and 20 years that have one
(PEC_BACKUP_KEEP_*). Files of failed backups are removed after the daily window.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from pec.backups.avisos import BackupError
from pec.backups.formato import CHUNK
from pec.models import Backup

logger = logging.getLogger(__name__)

EXTENSION = ".pecbackup"


def privado(caminho: str, flags: int) -> int:
    return os.open(caminho, flags, 0o600)


def arquivos_de(caminho: Path) -> list[Path]:
    """The backup and its side files: SHA-256, manifest in clear, signature."""
    return [caminho] + [caminho.with_name(caminho.name + lado) for lado in (".sha256", ".json", ".sig")]


def sha256_arquivo(caminho: Path) -> str:
    sha = hashlib.sha256()
    with open(caminho, "rb") as entrada:
        while bloco := entrada.read(CHUNK):
            sha.update(bloco)
    return sha.hexdigest()


def gravar_pequeno(caminho: Path, texto: str) -> None:
    parcial = caminho.with_name(caminho.name + ".part")
    try:
        with open(parcial, "w") as saida:
            saida.write(texto)
            saida.flush()
            os.fsync(saida.fileno())
        parcial.rename(caminho)
    except BaseException:
        parcial.unlink(missing_ok=True)
        raise


def fsync_pasta(pasta: Path) -> None:
    fd = os.open(pasta, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def conferir_sha256_ao_lado(arquivo: Path) -> None:
    lado = arquivos_de(arquivo)[1]
    if not lado.exists():
        return
    esperado = lado.read_text().split()[0]
    lido = sha256_arquivo(arquivo)
    if lido != esperado:
        raise BackupError(
            f"{arquivo.name} is corrupted: its SHA-256 is {lido}, but {lado.name} says {esperado} "
            "(the file changed after it was written)."
        )


def backup_copiar(*, registro: Backup, pasta: Path) -> Path:
    """Copy the backup and its side files to `pasta`; the copy's SHA-256 must match."""
    pasta.mkdir(parents=True, exist_ok=True)
    origem = Path(registro.arquivo)
    for arquivo in arquivos_de(origem):
        alvo = pasta / arquivo.name
        parcial = alvo.with_name(alvo.name + ".part")
        with open(arquivo, "rb") as entrada, open(parcial, "wb") as saida:
            shutil.copyfileobj(entrada, saida, CHUNK)
            saida.flush()
            os.fsync(saida.fileno())
        parcial.rename(alvo)
    fsync_pasta(pasta)
    copia = pasta / origem.name
    lido = sha256_arquivo(copia)
    if lido != registro.sha256:
        raise BackupError(f"The copy {copia} is corrupted: SHA-256 {lido}, expected {registro.sha256}.")
    registro.copiado_para = str(copia)
    registro.save(update_fields=["copiado_para"])
    return copia


def retencao_selecionar(
    *, copias: list[tuple[int, datetime]], diarios: int, semanais: int, mensais: int, anuais: int
) -> set[int]:
    """Grandfather-father-son: ids to keep, the newest backup of each of the last N days,
    ISO weeks, months and years that have one."""
    ordenadas = sorted(copias, key=lambda c: c[1], reverse=True)
    regras: list[tuple[int, Callable[[datetime], Any]]] = [
        (diarios, lambda t: t.date()),
        (semanais, lambda t: t.isocalendar()[:2]),
        (mensais, lambda t: (t.year, t.month)),
        (anuais, lambda t: t.year),
    ]
    manter: set[int] = set()
    for quantos, periodo in regras:
        vistos: set[Any] = set()
        for ident, quando in ordenadas:
            chave = periodo(timezone.localtime(quando))
            if chave in vistos:
                continue
            if len(vistos) >= quantos:
                break
            vistos.add(chave)
            manter.add(ident)
    return manter


def retencao_aplicar(*, agora: datetime | None = None) -> list[Backup]:
    """Delete the files (here and in the second location) of backups GFS does not keep."""
    agora = agora or timezone.now()
    regras = settings.BACKUP_RETENCAO
    vivos = Backup.objects.filter(apagado_em__isnull=True).exclude(arquivo="").exclude(origem=Backup.Origem.VERIFICACAO)
    candidatos = list(vivos.filter(status=Backup.Status.SUCESSO).exclude(verificacao=Backup.Verificacao.FALHOU))
    manter = retencao_selecionar(
        copias=[(b.pk, b.iniciado_em) for b in candidatos],
        diarios=regras["diarios"],
        semanais=regras["semanais"],
        mensais=regras["mensais"],
        anuais=regras["anuais"],
    )
    limite_falhos = agora - timedelta(days=regras["diarios"])
    apagar = [b for b in candidatos if b.pk not in manter]
    apagar += list(vivos.exclude(pk__in=[b.pk for b in candidatos]).filter(iniciado_em__lt=limite_falhos))
    for registro in apagar:
        for caminho in [registro.arquivo, registro.copiado_para]:
            if caminho:
                for arquivo in arquivos_de(Path(caminho)):
                    arquivo.unlink(missing_ok=True)
        registro.apagado_em = agora
        registro.save(update_fields=["apagado_em"])
        logger.info("retention removed backup %s (%s)", registro.pk, registro.arquivo)
    return apagar
