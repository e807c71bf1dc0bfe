"""Who wrote a backup file, proven before anything reads it.

Origin: a signature, or the SHA-256 kept off the server
-------------------------------------------------------
Encryption proves integrity, not origin: the public key is not secret, so anyone holding
it can write a perfectly valid container around a database of their making, and a
restore would load it (and run its SQL). Each backup is therefore signed: Ed25519 over
the whole file's SHA-256, in `<file>.sig` ("ed25519 <signer fingerprint> <base64>").
The signing key (`backup_keygen --signing`) is a systemd credential of the backup unit
alone (deploy/systemd/pec-backup.service): the web, the workers and beat never see it,
so a code-execution bug there cannot sign. `verify_backup` and `restore` refuse a file
before decrypting it unless either its signature verifies with a public key the restorer
trusts (PEC_BACKUP_TRUSTED_KEYS or `--signing-key`, kept where restores happen), or the
operator gives the file's SHA-256 as recorded off the server (`--sha256`).

A key that signs every night must be where the backup runs, so a signature proves "made
by this installation's backup unit", not "made before the server was taken": someone
who owns the whole server owns the unit's credential too. Against that, keep each
night's SHA-256 off the host (the copy in PEC_BACKUP_COPY_DIR carries it in its
`.sha256` and `.json`, written by the server at backup time; record it from there, from
monitoring or from the admin page the same day) and restore with `--sha256`, which
accepts exactly that file and nothing else.
"""

from __future__ import annotations

import base64
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings

from pec.backups.arquivos import arquivos_de, gravar_pequeno, sha256_arquivo
from pec.backups.avisos import BackupError
from pec.backups.chaves import assinatura_publica_carregar, impressao_digital


def _assinado(sha256: str) -> bytes:
    """What is signed: the whole file's SHA-256, in a domain of its own."""
    return f"pec-backup signature v1\nsha256 {sha256}\n".encode()


def assinatura_gravar(*, arquivo: Path, sha256: str, chave: Ed25519PrivateKey) -> None:
    """`<file>.sig`: the signing key's fingerprint and the signature, one line of text."""
    assinatura = base64.b64encode(chave.sign(_assinado(sha256))).decode()
    gravar_pequeno(arquivos_de(arquivo)[3], f"ed25519 {impressao_digital(chave.public_key())} {assinatura}\n")


def origem_conferir(*, arquivo: Path, chaves_confiaveis: list[str | Path], sha256: str = "") -> str:
    """Refuse a file whose origin is not proven; returns how it was proven.

    Proven means: its SHA-256 equals one recorded off the server (`sha256`), or its `.sig`
    verifies with one of the signing keys the restorer trusts. Encryption alone proves
    nothing: the public key that writes a valid container is not secret.
    """
    lido = sha256_arquivo(arquivo)
    if sha256:
        if lido != sha256.strip().lower():
            raise BackupError(
                f"{arquivo.name} is not the backup recorded off the server: SHA-256 {lido}, expected {sha256}."
            )
        return f"SHA-256 matches the one recorded off the server ({lido[:16]}…)"
    if not chaves_confiaveis:
        raise BackupError(
            "The backup's origin cannot be checked: give the signing public key you trust (--signing-key or "
            "PEC_BACKUP_TRUSTED_KEYS) or the file's SHA-256 recorded off the server (--sha256)."
        )
    lado = arquivos_de(arquivo)[3]
    if not lado.is_file():
        raise BackupError(f"{arquivo.name} has no signature ({lado.name}): refusing a backup whose origin is unknown.")
    try:
        _, impressao, assinatura = lado.read_text().split()
        bruta = base64.b64decode(assinatura, validate=True)
    except ValueError as exc:
        raise BackupError(f"{lado.name} is not a backup signature.") from exc
    for caminho in chaves_confiaveis:
        chave = assinatura_publica_carregar(caminho)
        try:
            chave.verify(bruta, _assinado(lido))
        except InvalidSignature:
            continue
        return f"signed by the trusted key {impressao_digital(chave)[:16]}…"
    raise BackupError(
        f"{arquivo.name} is not signed by a trusted key (signer {impressao[:16]}…): it was altered or forged; "
        "refusing to restore it."
    )


def confiaveis(chaves: list[str | Path] | None) -> list[str | Path]:
    return [*settings.BACKUP_TRUSTED_KEYS, *(chaves or [])]
