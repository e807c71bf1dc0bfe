"""The backup keys: X25519 to encrypt to, Ed25519 to sign with (see `origem`).

Keys: `manage.py backup_keygen` writes an X25519 key pair in PEM. The server holds only
the public key (PEC_BACKUP_PUBLIC_KEY); the private key (PEC_BACKUP_PRIVATE_KEY or
`--private-key`) lives on the machine that verifies and restores, off the server.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from django.conf import settings

from pec.backups.avisos import BackupError


def _par_pem(privada: X25519PrivateKey | Ed25519PrivateKey) -> tuple[bytes, bytes]:
    privada_pem = privada.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    publica_pem = privada.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return privada_pem, publica_pem


def chave_gerar() -> tuple[bytes, bytes]:
    """A new X25519 key pair as (private PEM, public PEM)."""
    return _par_pem(X25519PrivateKey.generate())


def raw(chave: X25519PublicKey | Ed25519PublicKey) -> bytes:
    return chave.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def impressao_digital(chave: X25519PublicKey | Ed25519PublicKey) -> str:
    """The key's fingerprint as recorded in every file header (hex SHA-256)."""
    return hashlib.sha256(raw(chave)).hexdigest()


def _pem_ler(caminho: str | Path | None, *, privada: bool, tipo: type, o_que: str, falta: str) -> Any:
    """One PEM key of the expected type, or a BackupError that says which and how to fix it."""
    if not caminho:
        raise BackupError(falta)
    try:
        dados = Path(caminho).read_bytes()
        chave = (
            serialization.load_pem_private_key(dados, password=None)
            if privada
            else serialization.load_pem_public_key(dados)
        )
    except (OSError, ValueError, TypeError) as exc:
        raise BackupError(f"Cannot read the {o_que} {caminho}: {exc}") from exc
    if not isinstance(chave, tipo):
        algoritmo = "X25519" if tipo in (X25519PublicKey, X25519PrivateKey) else "Ed25519"
        parte = "private" if privada else "public"
        comando = "backup_keygen" if algoritmo == "X25519" else "backup_keygen --signing"
        raise BackupError(f"{caminho} is not an {algoritmo} {parte} key (made by `manage.py {comando}`).")
    return chave


def chave_publica_carregar(caminho: str | Path | None = None) -> X25519PublicKey:
    chave: X25519PublicKey = _pem_ler(
        caminho or settings.BACKUP_PUBLIC_KEY,
        privada=False,
        tipo=X25519PublicKey,
        o_que="backup public key",
        falta="No backup public key configured: set PEC_BACKUP_PUBLIC_KEY to the public key written by "
        "`manage.py backup_keygen` (run it on another machine, which keeps the private key).",
    )
    return chave


def chave_privada_carregar(caminho: str | Path | None = None) -> X25519PrivateKey:
    chave: X25519PrivateKey = _pem_ler(
        caminho or settings.BACKUP_PRIVATE_KEY,
        privada=True,
        tipo=X25519PrivateKey,
        o_que="backup private key",
        falta="The private key is needed to read a backup: pass --private-key or set PEC_BACKUP_PRIVATE_KEY "
        "(it lives off the server, where backup_keygen was run).",
    )
    return chave


def assinatura_chave_gerar() -> tuple[bytes, bytes]:
    """A new Ed25519 signing pair as (private PEM, public PEM)."""
    return _par_pem(Ed25519PrivateKey.generate())


def assinatura_privada_carregar(caminho: str | Path | None = None) -> Ed25519PrivateKey:
    chave: Ed25519PrivateKey = _pem_ler(
        caminho or settings.BACKUP_SIGNING_KEY,
        privada=True,
        tipo=Ed25519PrivateKey,
        o_que="backup signing key",
        falta="No backup signing key configured: set PEC_BACKUP_SIGNING_KEY (the backup unit's credential "
        "backup_signing_key, made by `manage.py backup_keygen --signing`).",
    )
    return chave


def assinatura_publica_carregar(caminho: str | Path) -> Ed25519PublicKey:
    chave: Ed25519PublicKey = _pem_ler(
        caminho, privada=False, tipo=Ed25519PublicKey, o_que="trusted signing key", falta=""
    )
    return chave
