"""How a backup run reports: BackupError (its English message is for the log and
manage.py), the progress lines an operator watches, and the e-mail alerts to the
installation admins, in Portuguese like every page they read.
"""

from __future__ import annotations

import errno
import logging
import time
from collections.abc import Callable
from pathlib import Path

from pec.models import Usuario

logger = logging.getLogger(__name__)

Progresso = Callable[[str], None]


class BackupError(Exception):
    """A backup, verification or restore failed; the message says what and where."""


def silencio(_: str) -> None:
    pass


class Medidor:
    """Reports bytes every few seconds so an operator sees a long dump moving."""

    def __init__(self, progresso: Progresso, rotulo: str) -> None:
        self._progresso, self._rotulo = progresso, rotulo
        self._ultimo = time.monotonic()

    def __call__(self, bytes_lidos: int, bytes_escritos: int | None = None, *, fim: bool = False) -> None:
        agora = time.monotonic()
        if not fim and agora - self._ultimo < 2:
            return
        self._ultimo = agora
        texto = f"{self._rotulo}: {bytes_lidos / 2**20:,.1f} MiB"
        if bytes_escritos is not None:
            texto += f" read, {bytes_escritos / 2**20:,.1f} MiB written"
        self._progresso(texto)


def milhares(n: int) -> str:
    """1.027.040: the admin page and its messages are in pt-BR."""
    return f"{n:,}".replace(",", ".")


def erro_mensagem(exc: BaseException, pasta: Path | None = None) -> str:
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        onde = f" in {pasta}" if pasta else ""
        return f"No space left to write the backup{onde}: {exc.strerror} (disk full or file size limit)."
    if isinstance(exc, BackupError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def alertar(*, assunto: str, corpo: str) -> None:
    """E-mail the installation admins; a failure to alert is logged, never hides the cause."""
    try:
        from pec.email import email_enfileirar

        para = list(
            Usuario.objects.filter(administrador_instalacao=True, is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
        if not para:
            logger.error("no installation administrator has an e-mail address; alert not sent: %s", assunto)
            return
        email_enfileirar(para=para, assunto=assunto, corpo=corpo)
    except Exception:
        logger.exception("could not queue the alert e-mail %r", assunto)
