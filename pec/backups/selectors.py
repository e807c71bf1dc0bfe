"""What the installation admin page reads about backups."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from pec.backups.avisos import BackupError
from pec.backups.chaves import chave_publica_carregar, impressao_digital
from pec.models import Backup


def backup_ultimo_sucesso() -> Backup | None:
    return (
        Backup.objects.filter(status=Backup.Status.SUCESSO)
        .exclude(origem=Backup.Origem.VERIFICACAO)
        .order_by("-finalizado_em")
        .first()
    )


def backups_painel() -> dict[str, Any]:
    """What the installation admin page shows."""
    chave = None
    erro_chave = ""
    try:
        chave = impressao_digital(chave_publica_carregar())
    except BackupError:
        # The exception's text is for the log and manage.py (English); the page speaks Portuguese.
        erro_chave = (
            f"Não foi possível ler a chave pública de backup em {settings.BACKUP_PUBLIC_KEY}: confira o arquivo "
            "gerado por manage.py backup_keygen."
            if settings.BACKUP_PUBLIC_KEY
            else "Nenhuma chave pública de backup configurada: defina PEC_BACKUP_PUBLIC_KEY com a chave pública gerada por "
            "manage.py backup_keygen (rode-o em outra máquina, que guarda a chave privada)."
        )
    ultimo = backup_ultimo_sucesso()
    limite = timezone.now() - timedelta(hours=settings.BACKUP_ATRASO_HORAS)
    return {
        "backups": list(Backup.objects.order_by("-iniciado_em")[:60]),
        "ultimo_sucesso": ultimo,
        "atrasado": ultimo is None or (ultimo.finalizado_em or ultimo.iniciado_em) < limite,
        "atraso_horas": settings.BACKUP_ATRASO_HORAS,
        "pasta": settings.BACKUP_DIR,
        "copia": settings.BACKUP_COPY_DIR,
        "chave_impressao": chave,
        "erro_chave": erro_chave,
        "retencao": settings.BACKUP_RETENCAO,
        "hora": settings.BACKUP_HORA,
    }
