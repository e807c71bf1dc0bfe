"""Encrypted database backups that are proven by restoring them.

What a backup is
----------------
`pg_dump --format=custom` run as the backup role (BYPASSRLS + pg_read_all_data: as the
owner it would stop at FORCE row-level security), streamed through encryption to a
*public* key straight into `<dir>/<banco>-<YYYYmmdd-HHMMSS>.pecbackup`. No plaintext
touches the disk. Beside it:

- `<file>.sha256`: `sha256sum` format, so `sha256sum -c` works anywhere;
- `<file>.json`: the manifest in clear (for people and the admin page), plus file size and
  SHA-256. The copy inside the encrypted file is the one verification trusts;
- `<file>.sig`: who wrote it (below, "Origin").

The manifest is taken inside the dump's own snapshot (the backup role exports a
REPEATABLE READ snapshot and pg_dump runs with `--snapshot`), so its row counts and audit
chain heads describe exactly the rows in the archive, however busy the server is.

File format (version 1)
-----------------------
All integers big-endian.

    header  = "PECBKP01"                     8 bytes, magic + format version
              sha256(recipient public key)  32 bytes, which key can open it
              ephemeral X25519 public key   32 bytes
              salt                          32 bytes, random
    frame   = type (1 byte) | length (4 bytes) | AES-256-GCM ciphertext with its 16-byte tag
    file    = header, frame "M" (manifest JSON), frames "D" (archive bytes, 1 MiB each),
              frame "E" (JSON: plaintext byte count and SHA-256), and nothing after it.

key   = HKDF-SHA256(X25519(ephemeral, recipient), salt, info = "pec-backup v1" |
        ephemeral public | recipient public), 32 bytes. A new ephemeral key per file makes
        every file's key unique, so the nonce can simply be the frame index (12 bytes).
aad   = header | type | frame index (8 bytes). A flipped bit, a reordered, repeated or
        retyped frame fails authentication; a file that stops before its "E" frame is
        reported as truncated; bytes after it as trailing garbage. Each frame is
        authenticated before its plaintext reaches pg_restore.

Keys: `manage.py backup_keygen` writes an X25519 key pair in PEM. The server holds only
the public key (PEC_BACKUP_PUBLIC_KEY); the private key (PEC_BACKUP_PRIVATE_KEY or
`--private-key`) lives on the machine that verifies and restores, off the server.

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
interrupted (`_sobras_limpar`).

Retention is grandfather-father-son over successful, not-failed-verification backups:
the newest of each of the last 7 days, 5 ISO weeks, 12 months and 20 years that have one
(PEC_BACKUP_KEEP_*). Files of failed backups are removed after the daily window.
"""

from __future__ import annotations

import base64
import errno
import functools
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import IO, Any

import psycopg
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.utils import timezone
from psycopg import sql

from pec.audit import chain as audit
from pec.dbroles import admin_connect, drop_database, setup_database
from pec.models import Backup, Usuario
from pec.travas import trava_de_sessao

logger = logging.getLogger(__name__)

Progresso = Callable[[str], None]

MAGIC = b"PECBKP01"
HEADER_SIZE = len(MAGIC) + 32 + 32 + 32
CHUNK = 1 << 20
MAX_META_FRAME = 16 << 20
FRAME_MANIFEST, FRAME_DATA, FRAME_END = b"M", b"D", b"E"
EXTENSION = ".pecbackup"
_HKDF_INFO = b"pec-backup v1"
_LOCK_KEY = 0x50454342  # "PECB": one nightly job at a time across workers


class BackupError(Exception):
    """A backup, verification or restore failed; the message says what and where."""


def _silencio(_: str) -> None:
    pass


# --- Keys ---------------------------------------------------------------------------------


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


def _raw(chave: X25519PublicKey | Ed25519PublicKey) -> bytes:
    return chave.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def impressao_digital(chave: X25519PublicKey | Ed25519PublicKey) -> str:
    """The key's fingerprint as recorded in every file header (hex SHA-256)."""
    return hashlib.sha256(_raw(chave)).hexdigest()


def _pem_ler(caminho: str | Path | None, *, privada: bool, tipo: type, o_que: str, falta: str) -> Any:
    """One PEM key of the expected type, or a BackupError that says which and how to fix it."""
    if not caminho:
        raise BackupError(falta)
    try:
        dados = Path(caminho).read_bytes()
        chave = serialization.load_pem_private_key(dados, password=None) if privada else serialization.load_pem_public_key(dados)
    except (OSError, ValueError, TypeError) as exc:
        raise BackupError(f"Cannot read the {o_que} {caminho}: {exc}") from exc
    if not isinstance(chave, tipo):
        algoritmo = "X25519" if tipo in (X25519PublicKey, X25519PrivateKey) else "Ed25519"
        parte = "private" if privada else "public"
        comando = "backup_keygen" if algoritmo == "X25519" else "backup_keygen --signing"
        raise BackupError(f"{caminho} is not an {algoritmo} {parte} key (made by `manage.py {comando}`).")
    return chave


def chave_publica_carregar(caminho: str | Path | None = None) -> X25519PublicKey:
    return _pem_ler(
        caminho or settings.BACKUP_PUBLIC_KEY, privada=False, tipo=X25519PublicKey, o_que="backup public key",
        falta="No backup public key configured: set PEC_BACKUP_PUBLIC_KEY to the public key written by "
              "`manage.py backup_keygen` (run it on another machine, which keeps the private key).",
    )


def chave_privada_carregar(caminho: str | Path | None = None) -> X25519PrivateKey:
    return _pem_ler(
        caminho or settings.BACKUP_PRIVATE_KEY, privada=True, tipo=X25519PrivateKey, o_que="backup private key",
        falta="The private key is needed to read a backup: pass --private-key or set PEC_BACKUP_PRIVATE_KEY "
              "(it lives off the server, where backup_keygen was run).",
    )


# --- Signatures: who wrote a file ----------------------------------------------------------


def assinatura_chave_gerar() -> tuple[bytes, bytes]:
    """A new Ed25519 signing pair as (private PEM, public PEM)."""
    return _par_pem(Ed25519PrivateKey.generate())


def assinatura_privada_carregar(caminho: str | Path | None = None) -> Ed25519PrivateKey:
    return _pem_ler(
        caminho or settings.BACKUP_SIGNING_KEY, privada=True, tipo=Ed25519PrivateKey, o_que="backup signing key",
        falta="No backup signing key configured: set PEC_BACKUP_SIGNING_KEY (the backup unit's credential "
              "backup_signing_key, made by `manage.py backup_keygen --signing`).",
    )


def _assinatura_publica_carregar(caminho: str | Path) -> Ed25519PublicKey:
    return _pem_ler(caminho, privada=False, tipo=Ed25519PublicKey, o_que="trusted signing key", falta="")


def _assinado(sha256: str) -> bytes:
    """What is signed: the whole file's SHA-256, in a domain of its own."""
    return f"pec-backup signature v1\nsha256 {sha256}\n".encode()


def assinatura_gravar(*, arquivo: Path, sha256: str, chave: Ed25519PrivateKey) -> None:
    """`<file>.sig`: the signing key's fingerprint and the signature, one line of text."""
    assinatura = base64.b64encode(chave.sign(_assinado(sha256))).decode()
    _gravar_pequeno(_arquivos_de(arquivo)[3], f"ed25519 {impressao_digital(chave.public_key())} {assinatura}\n")


def origem_conferir(*, arquivo: Path, chaves_confiaveis: list[str | Path], sha256: str = "") -> str:
    """Refuse a file whose origin is not proven; returns how it was proven.

    Proven means: its SHA-256 equals one recorded off the server (`sha256`), or its `.sig`
    verifies with one of the signing keys the restorer trusts. Encryption alone proves
    nothing: the public key that writes a valid container is not secret.
    """
    lido = _sha256_arquivo(arquivo)
    if sha256:
        if lido != sha256.strip().lower():
            raise BackupError(f"{arquivo.name} is not the backup recorded off the server: SHA-256 {lido}, expected {sha256}.")
        return f"SHA-256 matches the one recorded off the server ({lido[:16]}…)"
    if not chaves_confiaveis:
        raise BackupError(
            "The backup's origin cannot be checked: give the signing public key you trust (--signing-key or "
            "PEC_BACKUP_TRUSTED_KEYS) or the file's SHA-256 recorded off the server (--sha256)."
        )
    lado = _arquivos_de(arquivo)[3]
    if not lado.is_file():
        raise BackupError(f"{arquivo.name} has no signature ({lado.name}): refusing a backup whose origin is unknown.")
    try:
        _, impressao, assinatura = lado.read_text().split()
        bruta = base64.b64decode(assinatura, validate=True)
    except ValueError as exc:
        raise BackupError(f"{lado.name} is not a backup signature.") from exc
    for caminho in chaves_confiaveis:
        chave = _assinatura_publica_carregar(caminho)
        try:
            chave.verify(bruta, _assinado(lido))
        except InvalidSignature:
            continue
        return f"signed by the trusted key {impressao_digital(chave)[:16]}…"
    raise BackupError(
        f"{arquivo.name} is not signed by a trusted key (signer {impressao[:16]}…): it was altered or forged; "
        "refusing to restore it."
    )


def _derivar(compartilhado: bytes, salt: bytes, efemera: bytes, destinatario: bytes) -> AESGCM:
    chave = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=_HKDF_INFO + efemera + destinatario).derive(
        compartilhado
    )
    return AESGCM(chave)


def _nonce(indice: int) -> bytes:
    return indice.to_bytes(12, "big")


# --- Container: encryption ------------------------------------------------------------


class Cifrador:
    """Writes the encrypted container to `saida`, keeping its SHA-256 and size."""

    def __init__(self, saida: IO[bytes], chave_publica: X25519PublicKey) -> None:
        efemera = X25519PrivateKey.generate()
        efemera_raw, destinatario = _raw(efemera.public_key()), _raw(chave_publica)
        salt = os.urandom(32)
        self.cabecalho = MAGIC + hashlib.sha256(destinatario).digest() + efemera_raw + salt
        self._aead = _derivar(efemera.exchange(chave_publica), salt, efemera_raw, destinatario)
        self._saida = saida
        self._indice = 0
        self._buffer = bytearray()
        self._sha_claro = hashlib.sha256()
        self.sha256 = hashlib.sha256()
        self.bytes_claros = 0
        self.bytes_escritos = 0
        self._escrever(self.cabecalho)

    def manifesto(self, manifesto: dict[str, Any]) -> None:
        if self._indice != 0:
            raise ValueError("the manifest is the first frame")
        self._quadro(FRAME_MANIFEST, json.dumps(manifesto, sort_keys=True).encode())

    def write(self, dados: bytes) -> None:
        self._sha_claro.update(dados)
        self.bytes_claros += len(dados)
        self._buffer += dados
        while len(self._buffer) >= CHUNK:
            self._quadro(FRAME_DATA, bytes(self._buffer[:CHUNK]))
            del self._buffer[:CHUNK]

    def finalizar(self) -> None:
        if self._buffer:
            self._quadro(FRAME_DATA, bytes(self._buffer))
            self._buffer.clear()
        fim = {"bytes": self.bytes_claros, "sha256": self._sha_claro.hexdigest()}
        self._quadro(FRAME_END, json.dumps(fim).encode())

    def _quadro(self, tipo: bytes, claro: bytes) -> None:
        cifrado = self._aead.encrypt(_nonce(self._indice), claro, self.cabecalho + tipo + self._indice.to_bytes(8, "big"))
        self._escrever(tipo + len(cifrado).to_bytes(4, "big") + cifrado)
        self._indice += 1

    def _escrever(self, dados: bytes) -> None:
        self._saida.write(dados)
        self.sha256.update(dados)
        self.bytes_escritos += len(dados)


# --- Container: reading ----------------------------------------------------------------


def _ler_exato(entrada: IO[bytes], n: int) -> bytes:
    dados = entrada.read(n)
    return dados if dados is not None else b""


def _cabecalho_ler(entrada: IO[bytes]) -> bytes:
    cabecalho = _ler_exato(entrada, HEADER_SIZE)
    if len(cabecalho) < HEADER_SIZE or not cabecalho.startswith(MAGIC):
        if cabecalho[:6] == MAGIC[:6]:
            raise BackupError(f"Unsupported backup format {cabecalho[:8]!r}; this PEC reads {MAGIC!r}.")
        raise BackupError("Not a PEC backup file (bad header): wrong file, or its beginning is damaged.")
    return cabecalho


def _quadros_brutos(entrada: IO[bytes]) -> Iterator[tuple[int, bytes, bytes, int]]:
    """(index, type, ciphertext, offset) of each frame, checking structure only."""
    indice, posicao = 0, HEADER_SIZE
    while True:
        cabeca = _ler_exato(entrada, 5)
        if not cabeca:
            raise BackupError(
                f"The backup is truncated: it ends after {indice} frames ({posicao} bytes) without its end marker."
            )
        if len(cabeca) < 5:
            raise BackupError(f"The backup is truncated inside frame {indice} (at byte {posicao}).")
        tipo, tamanho = cabeca[:1], int.from_bytes(cabeca[1:], "big")
        esperado = FRAME_MANIFEST if indice == 0 else None
        if tipo not in (FRAME_MANIFEST, FRAME_DATA, FRAME_END) or (esperado and tipo != esperado):
            raise BackupError(f"The backup is corrupted: frame {indice} at byte {posicao} has an invalid type.")
        limite = CHUNK + 16 if tipo == FRAME_DATA else MAX_META_FRAME
        if tamanho < 16 or tamanho > limite:
            raise BackupError(f"The backup is corrupted: frame {indice} at byte {posicao} has an invalid length.")
        cifrado = _ler_exato(entrada, tamanho)
        if len(cifrado) < tamanho:
            raise BackupError(f"The backup is truncated inside frame {indice} (at byte {posicao}).")
        if tipo == FRAME_END and entrada.read(1):
            raise BackupError(f"The backup has unexpected bytes after its end marker (at byte {posicao + 5 + tamanho}).")
        yield indice, tipo, cifrado, posicao
        if tipo == FRAME_END:
            return
        posicao += 5 + tamanho
        indice += 1


def arquivo_estrutura_verificar(caminho: Path) -> str:
    """Check the frame structure without the key (complete, nothing after the end).

    Returns the fingerprint of the key the file was encrypted to.
    """
    with open(caminho, "rb") as entrada:
        cabecalho = _cabecalho_ler(entrada)
        for _ in _quadros_brutos(entrada):
            pass
    return cabecalho[8:40].hex()


class Decifrador:
    """Reads a container: `manifesto` first, then `dados()` yields the archive bytes."""

    def __init__(self, entrada: IO[bytes], chave_privada: X25519PrivateKey) -> None:
        self.cabecalho = _cabecalho_ler(entrada)
        destinatario = _raw(chave_privada.public_key())
        gravada = self.cabecalho[8:40]
        if hashlib.sha256(destinatario).digest() != gravada:
            raise BackupError(
                f"Wrong private key: this backup was encrypted for key {gravada.hex()[:16]}…, "
                f"the key given is {impressao_digital(chave_privada.public_key())[:16]}…."
            )
        efemera, salt = self.cabecalho[40:72], self.cabecalho[72:104]
        try:
            compartilhado = chave_privada.exchange(X25519PublicKey.from_public_bytes(efemera))
        except ValueError as exc:
            raise BackupError("The backup header is corrupted (invalid ephemeral key).") from exc
        self._aead = _derivar(compartilhado, salt, efemera, destinatario)
        self._quadros = _quadros_brutos(entrada)
        indice, tipo, claro = self._proximo()
        self.manifesto: dict[str, Any] = json.loads(claro)

    def _proximo(self) -> tuple[int, bytes, bytes]:
        indice, tipo, cifrado, posicao = next(self._quadros)
        aad = self.cabecalho + tipo + indice.to_bytes(8, "big")
        try:
            return indice, tipo, self._aead.decrypt(_nonce(indice), cifrado, aad)
        except InvalidTag as exc:
            raise BackupError(
                f"The backup is corrupted or was altered: frame {indice} (at byte {posicao}) fails authentication."
            ) from exc

    def dados(self) -> Iterator[bytes]:
        sha, total = hashlib.sha256(), 0
        while True:
            _, tipo, claro = self._proximo()
            if tipo == FRAME_END:
                fim = json.loads(claro)
                if fim["bytes"] != total or fim["sha256"] != sha.hexdigest():
                    raise BackupError("The backup is inconsistent: its content does not match its end marker.")
                return
            if tipo != FRAME_DATA:
                raise BackupError("The backup is corrupted: a second manifest inside the data.")
            sha.update(claro)
            total += len(claro)
            yield claro


# --- PostgreSQL tools and connections ----------------------------------------------------


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
def _versao_ferramenta(caminho: str) -> tuple[int, str]:
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
            major, versao = _versao_ferramenta(str(caminho))
            achados.setdefault(major, (caminho, versao))
    servem = sorted(m for m in achados if m >= major_minimo)
    if not servem:
        vistos = ", ".join(f"{m} ({p})" for m, (p, _) in sorted(achados.items())) or "none"
        raise BackupError(
            f"No {nome} of PostgreSQL {major_minimo} or newer found (found: {vistos}). "
            f"Install postgresql-client-{major_minimo} or list its bin directory in PEC_PG_BIN_DIRS."
        )
    return achados[servem[0]]


def _papel(kind: str) -> dict[str, Any]:
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


def _conectar(papel: dict[str, Any], banco: str) -> psycopg.Connection:
    return psycopg.connect(
        dbname=banco,
        host=papel.get("HOST") or None,
        port=papel.get("PORT") or None,
        user=papel.get("USER") or None,
        password=papel.get("PASSWORD") or None,
        autocommit=True,
        application_name="pec-backup",
    )


def _libpq_env(papel: dict[str, Any], banco: str) -> dict[str, str]:
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


def _major_do_servidor(conn: psycopg.Connection) -> int:
    return int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000


def _banco_atual() -> str:
    return str(settings.DATABASES["default"]["NAME"])


# --- What a database holds ----------------------------------------------------------------

_TABELAS = """
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


def _contar_linhas(conn: psycopg.Connection) -> dict[str, int]:
    tabelas = [row[0] for row in conn.execute(_TABELAS).fetchall()]
    # Names come from pg_class through format('%I'), so they are already quoted identifiers.
    return {t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in tabelas}


def _rls_estado(conn: psycopg.Connection) -> dict[str, dict[str, Any]]:
    """Row-level security of every table that has it or has `municipio_id`."""
    estado = {}
    for tabela, ativa, forcada, tenant, politicas in conn.execute(_RLS).fetchall():
        if ativa or forcada or tenant or politicas:
            estado[tabela] = {"ativa": ativa, "forcada": forcada, "municipio_id": tenant, "politicas": list(politicas)}
    return estado


def _migracoes(conn: psycopg.Connection) -> dict[str, str]:
    try:
        rows = conn.execute("SELECT app, max(name) FROM django_migrations GROUP BY app ORDER BY app").fetchall()
    except psycopg.errors.UndefinedTable:
        return {}
    return dict(rows)


def _versao_pec() -> str:
    try:
        return metadata.version("pec")
    except metadata.PackageNotFoundError:
        return "unknown"


def banco_verificar(*, papel: dict[str, Any], banco: str, manifesto: dict[str, Any]) -> list[str]:
    """Compare a restored database with the manifest of its backup; [] when it matches."""
    problemas: list[str] = []
    with _conectar(papel, banco) as conn:
        contagens = _contar_linhas(conn)
        esperadas: dict[str, int] = manifesto["linhas"]
        for tabela, n in sorted(esperadas.items()):
            if tabela not in contagens:
                problemas.append(f"table {tabela} is missing")
            elif contagens[tabela] != n:
                problemas.append(f"table {tabela}: {contagens[tabela]} rows restored, {n} in the backup")
        problemas += [f"table {t} is not in the backup manifest" for t in sorted(contagens.keys() - esperadas.keys())]

        estado = _rls_estado(conn)
        for tabela, rls in sorted(estado.items()):
            if rls["municipio_id"] and not (rls["ativa"] and rls["forcada"] and rls["politicas"]):
                problemas.append(f"table {tabela} has municipio_id but no forced row-level security")
        if estado != manifesto["rls"]:
            diferentes = sorted(t for t in estado.keys() | manifesto["rls"].keys() if estado.get(t) != manifesto["rls"].get(t))
            problemas.append(f"row-level security differs from the backup's on: {', '.join(diferentes)}")

        problemas += [f"audit chain {p}" for p in audit.verificar_cadeias(conn)]
        if audit.cabecas_das_cadeias(conn) != manifesto["cadeias"]:
            problemas.append("audit chain heads differ from those recorded at backup time")
    return problemas


# --- pg_restore as a sink --------------------------------------------------------------


class _PgRestore:
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
            env=_libpq_env(papel, banco),
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


@dataclass(frozen=True)
class _Destino:
    """Where a restore goes: who creates and drops the database, who runs pg_restore into
    it, who reads it back for `banco_verificar`, and whether it is a scratch database."""

    criador: dict[str, Any]
    restaurador: dict[str, Any]
    leitor: dict[str, Any]
    rascunho: bool


def _destino_rascunho() -> _Destino:
    """Scratch databases: the restore role (CREATEDB only) on the installation's server, read
    back by the backup role; or PEC_BACKUP_SCRATCH_URL's account on a server of its own."""
    if settings.BACKUP_SCRATCH_ADMIN:
        outro = settings.BACKUP_SCRATCH_ADMIN
        return _Destino(criador=outro, restaurador=outro, leitor=outro, rascunho=True)
    restauracao = _papel("restore")
    return _Destino(criador=restauracao, restaurador=restauracao, leitor=_papel("backup"), rascunho=True)


def _destino_instalacao() -> _Destino:
    """A real restore: a new database with the installation's roles and grants, created by
    the administrative account of DATABASE_URL and restored as the owner."""
    return _Destino(criador=settings.DB_ADMIN, restaurador=_papel("owner"), leitor=_papel("backup"), rascunho=False)


def _banco_rascunho(sufixo: str) -> str:
    # PostgreSQL cuts names at 63 bytes; keep the timestamp and pid, which make it unique.
    return f"{_prefixo_rascunho(sufixo)}{timezone.localtime():%Y%m%d%H%M%S}_{os.getpid()}"


def _prefixo_rascunho(sufixo: str) -> str:
    return f"{_banco_atual()[:24]}_{sufixo}_"


def _banco_criar(destino: _Destino, banco: str) -> None:
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


def _banco_apagar(destino: _Destino, banco: str) -> None:
    drop_database(destino.criador, banco)


def _preparar_destino(*, destino: _Destino, banco: str, manifesto: dict[str, Any]) -> Path:
    """Create the target database and choose pg_restore; refuse what cannot work."""
    with admin_connect(destino.criador, "postgres") as conn:
        major_alvo = _major_do_servidor(conn)
    major_origem = manifesto["postgresql"]["servidor_major"]
    if major_alvo < major_origem:
        raise BackupError(
            f"This backup is of a PostgreSQL {major_origem} server; the target server is PostgreSQL {major_alvo}. "
            f"Restore it into PostgreSQL {major_origem} or newer."
        )
    ferramenta, _ = pg_ferramenta(nome="pg_restore", major_minimo=manifesto["postgresql"]["pg_dump_major"])
    _banco_criar(destino, banco)
    return ferramenta


def _restauracao_iniciar(*, destino: _Destino, banco: str, manifesto: dict[str, Any], progresso: Progresso) -> _PgRestore:
    ferramenta = _preparar_destino(destino=destino, banco=banco, manifesto=manifesto)
    return _PgRestore(ferramenta=ferramenta, papel=destino.restaurador, banco=banco, progresso=progresso,
                      privilegios=not destino.rascunho)


# --- Backup ---------------------------------------------------------------------------------


class _Medidor:
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


def _milhares(n: int) -> str:
    """1.027.040: the admin page and its messages are in pt-BR."""
    return f"{n:,}".replace(",", ".")


def _privado(caminho: str, flags: int) -> int:
    return os.open(caminho, flags, 0o600)


def _arquivos_de(caminho: Path) -> list[Path]:
    """The backup and its side files: SHA-256, manifest in clear, signature."""
    return [caminho] + [caminho.with_name(caminho.name + lado) for lado in (".sha256", ".json", ".sig")]


def _sha256_arquivo(caminho: Path) -> str:
    sha = hashlib.sha256()
    with open(caminho, "rb") as entrada:
        while bloco := entrada.read(CHUNK):
            sha.update(bloco)
    return sha.hexdigest()


def _gravar_pequeno(caminho: Path, texto: str) -> None:
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


def _fsync_pasta(pasta: Path) -> None:
    fd = os.open(pasta, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _mensagem(exc: BaseException, pasta: Path | None = None) -> str:
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        onde = f" in {pasta}" if pasta else ""
        return f"No space left to write the backup{onde}: {exc.strerror} (disk full or file size limit)."
    if isinstance(exc, BackupError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def backup_criar(
    *,
    destino: Path | None = None,
    chave_publica: str | Path | None = None,
    verificar: bool = True,
    origem: str = Backup.Origem.MANUAL,
    progresso: Progresso = _silencio,
) -> Backup:
    """Dump, encrypt and write one backup; with `verificar`, restore it in flight and check it.

    Every failure leaves a Backup row with status "erro", an e-mail to the installation
    admins and a BackupError; never a partial file under the final name. Runs under the
    backup lock (re-entered by the nightly job, which holds it already) and first removes
    what an interrupted run left behind.
    """
    destino = Path(destino or settings.BACKUP_DIR)
    with trava_de_sessao(_LOCK_KEY) as obtida:
        if not obtida:
            raise BackupError("Another backup job is running; nothing done.")
        _sobras_limpar(pastas=[destino], progresso=progresso)
        return _backup_criar(destino=destino, chave_publica=chave_publica, verificar=verificar, origem=origem,
                             progresso=progresso)


def _backup_criar(
    *, destino: Path, chave_publica: str | Path | None, verificar: bool, origem: str, progresso: Progresso
) -> Backup:
    registro = Backup.objects.create(origem=origem)
    try:
        _backup_executar(registro=registro, destino=destino, chave=chave_publica_carregar(chave_publica),
                         assinatura=assinatura_privada_carregar(), verificar=verificar, progresso=progresso)
    except Exception as exc:
        mensagem = _mensagem(exc, destino)
        registro.status = Backup.Status.ERRO
        registro.erro = mensagem
        registro.finalizado_em = timezone.now()
        registro.save()
        logger.error("backup %s failed: %s", registro.pk, mensagem)
        _alertar(
            assunto="[PEC] Falha no backup do banco de dados",
            corpo=f"O backup iniciado em {timezone.localtime(registro.iniciado_em):%d/%m/%Y %H:%M} falhou.\n\n"
            f"Motivo: {mensagem}\n\nNenhum backup novo foi gravado nesta execução. Veja /instalacao/backups/.",
        )
        raise BackupError(mensagem) from exc
    return registro


def _backup_executar(
    *, registro: Backup, destino: Path, chave: X25519PublicKey, assinatura: Ed25519PrivateKey, verificar: bool,
    progresso: Progresso,
) -> None:
    inicio = time.monotonic()
    destino.mkdir(parents=True, exist_ok=True)
    banco = _banco_atual()
    nome = f"{banco}-{timezone.localtime(registro.iniciado_em):%Y%m%d-%H%M%S}{EXTENSION}"
    final, parcial = destino / nome, destino / (nome + ".part")
    registro.chave_impressao = impressao_digital(chave)
    papel_backup = _papel("backup")

    with _conectar(papel_backup, banco) as snap:
        # One snapshot for the manifest and for pg_dump: counts and heads match the archive.
        snap.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        snapshot = snap.execute("SELECT pg_export_snapshot()").fetchone()[0]
        servidor_major = _major_do_servidor(snap)
        pg_dump, pg_dump_versao = pg_ferramenta(nome="pg_dump", major_minimo=servidor_major)
        progresso(f"backup: {banco} on PostgreSQL {servidor_major} with {pg_dump_versao} -> {final}")
        cadeias = audit.cabecas_das_cadeias(snap)
        manifesto = {
            "formato": 1,
            "criado_em": timezone.now().isoformat(),
            "banco": banco,
            "pec_versao": _versao_pec(),
            "postgresql": {
                "servidor": snap.execute("SHOW server_version").fetchone()[0],
                "servidor_major": servidor_major,
                "pg_dump": pg_dump_versao,
                "pg_dump_major": _versao_ferramenta(str(pg_dump))[0],
            },
            "migracoes": _migracoes(snap),
            "linhas": _contar_linhas(snap),
            "rls": _rls_estado(snap),
            "cadeias": cadeias,
            # The same heads signed, for `verify_audit --heads` on the copy kept off the server.
            "cabecas_assinadas": audit.cabecas_exportar(snap, cadeias=cadeias) if settings.PEC_AUDIT_HEAD_KEY else None,
            "chave_impressao": registro.chave_impressao,
            # This run's own row is in the snapshot as "em andamento"; a restore completes it.
            "backup_id": registro.pk,
        }
        progresso(f"backup: {sum(manifesto['linhas'].values()):,} rows in {len(manifesto['linhas'])} tables")

        restauracao = rascunho = None
        destino_rascunho = _destino_rascunho() if verificar else None
        try:
            with open(parcial, "xb", opener=_privado) as saida:
                cifrador = Cifrador(saida, chave)
                cifrador.manifesto(manifesto)
                if destino_rascunho is not None:
                    rascunho = _banco_rascunho("verif")
                    restauracao = _restauracao_iniciar(destino=destino_rascunho, banco=rascunho, manifesto=manifesto,
                                                       progresso=progresso)
                _dump(pg_dump=pg_dump, papel=papel_backup, banco=banco, snapshot=snapshot,
                      sinks=[cifrador] + ([restauracao] if restauracao else []), progresso=progresso)
                cifrador.finalizar()
                saida.flush()
                os.fsync(saida.fileno())
            snap.execute("COMMIT")
            parcial.rename(final)
            _fsync_pasta(destino)
            sha256 = cifrador.sha256.hexdigest()
            _gravar_pequeno(_arquivos_de(final)[1], f"{sha256}  {final.name}\n")
            _gravar_pequeno(
                _arquivos_de(final)[2],
                json.dumps({**manifesto, "arquivo": final.name, "tamanho": cifrador.bytes_escritos, "sha256": sha256},
                           indent=2, sort_keys=True),
            )
            assinatura_gravar(arquivo=final, sha256=sha256, chave=assinatura)
            registro.arquivo, registro.tamanho, registro.sha256 = str(final), cifrador.bytes_escritos, sha256
            registro.manifesto = {"linhas": sum(manifesto["linhas"].values()), "tabelas": len(manifesto["linhas"]),
                                  "postgresql": manifesto["postgresql"]["servidor"], "pec_versao": manifesto["pec_versao"]}
            registro.duracao_segundos = time.monotonic() - inicio
            registro.save()
            progresso(f"backup: wrote {cifrador.bytes_escritos / 2**20:,.1f} MiB in {registro.duracao_segundos:.1f} s, sha256 {sha256}")
            arquivo_conferir(caminho=final, sha256=sha256)
            if restauracao is not None and rascunho is not None and destino_rascunho is not None:
                _verificacao_registrar(registro, destino=destino_rascunho, rascunho=rascunho, restauracao=restauracao,
                                       manifesto=manifesto, progresso=progresso)
                restauracao = None
        except BaseException:
            if restauracao is not None:
                restauracao.abortar()
            parcial.unlink(missing_ok=True)
            raise
        finally:
            if rascunho is not None and destino_rascunho is not None:
                _banco_apagar(destino_rascunho, rascunho)

    registro.status = Backup.Status.SUCESSO
    registro.finalizado_em = timezone.now()
    registro.save()


def _dump(
    *, pg_dump: Path, papel: dict[str, Any], banco: str, snapshot: str, sinks: list[Any], progresso: Progresso
) -> None:
    medidor = _Medidor(progresso, "backup")
    with tempfile.TemporaryFile() as erros:
        proc = subprocess.Popen(
            [str(pg_dump), "--format=custom", f"--snapshot={snapshot}", "--no-password"],
            stdout=subprocess.PIPE,
            stderr=erros,
            env=_libpq_env(papel, banco),
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
    lido = _sha256_arquivo(caminho)
    if lido != sha256:
        raise BackupError(f"{caminho} changed after it was written: SHA-256 is {lido}, expected {sha256}.")
    arquivo_estrutura_verificar(caminho)


def _verificacao_registrar(
    registro: Backup, *, destino: _Destino, rascunho: str, restauracao: _PgRestore, manifesto: dict[str, Any],
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
        f"restaurado e conferido: {_milhares(sum(manifesto['linhas'].values()))} linhas, RLS e cadeias de auditoria íntegras"
    )
    registro.save()
    if problemas:
        raise BackupError("Verification failed: " + "; ".join(problemas[:5]))
    progresso(f"verify: OK in {duracao:.1f} s")


# --- Verify and restore from a file (needs the private key) ---------------------------------


def _conferir_sha256_ao_lado(arquivo: Path) -> None:
    lado = _arquivos_de(arquivo)[1]
    if not lado.exists():
        return
    esperado = lado.read_text().split()[0]
    lido = _sha256_arquivo(arquivo)
    if lido != esperado:
        raise BackupError(
            f"{arquivo.name} is corrupted: its SHA-256 is {lido}, but {lado.name} says {esperado} "
            "(the file changed after it was written)."
        )


def _restaurar_arquivo(
    *, arquivo: Path, chave: X25519PrivateKey, destino: _Destino, banco: str, progresso: Progresso
) -> tuple[dict[str, Any], float]:
    """Decrypt `arquivo` into a new database `banco`; returns (manifest, seconds)."""
    with open(arquivo, "rb") as entrada:
        decifrador = Decifrador(entrada, chave)
        manifesto = decifrador.manifesto
        progresso(
            f"restore: backup of {manifesto['banco']} made {manifesto['criado_em']} "
            f"({sum(manifesto['linhas'].values()):,} rows) into new database {banco}"
        )
        restauracao = _restauracao_iniciar(destino=destino, banco=banco, manifesto=manifesto, progresso=progresso)
        medidor, lidos = _Medidor(progresso, "restore: decrypted"), 0
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
    *, arquivo: Path, chave_privada: str | Path | None = None, chaves_assinatura: list[str | Path] | None = None,
    sha256: str = "", progresso: Progresso = _silencio,
) -> Backup:
    """Check the file's origin, decrypt, restore into a scratch database, check it, drop it;
    record and alert. `chaves_assinatura` adds to PEC_BACKUP_TRUSTED_KEYS; `sha256` is the
    file's hash recorded off the server (see origem_conferir)."""
    arquivo = Path(arquivo).resolve()
    with trava_de_sessao(_LOCK_KEY) as obtida:
        if not obtida:
            raise BackupError("Another backup job is running; try again when it ends.")
        _sobras_limpar(pastas=[], progresso=progresso)
        return _backup_verificar(arquivo=arquivo, chave_privada=chave_privada,
                                 chaves_assinatura=_confiaveis(chaves_assinatura), sha256=sha256, progresso=progresso)


def _confiaveis(chaves: list[str | Path] | None) -> list[str | Path]:
    return [*settings.BACKUP_TRUSTED_KEYS, *(chaves or [])]


def _backup_verificar(
    *, arquivo: Path, chave_privada: str | Path | None, chaves_assinatura: list[str | Path], sha256: str,
    progresso: Progresso,
) -> Backup:
    # The run that wrote this file, when it is this installation's (a copy moved elsewhere is
    # found by its SHA-256); otherwise the verification gets a row of its own.
    lido = _sha256_arquivo(arquivo) if arquivo.is_file() else ""
    registro = (
        Backup.objects.filter(arquivo=str(arquivo)).order_by("-iniciado_em").first()
        or (Backup.objects.filter(sha256=lido).order_by("-iniciado_em").first() if lido else None)
        or Backup.objects.create(
            origem=Backup.Origem.VERIFICACAO, arquivo=str(arquivo), sha256=lido, status=Backup.Status.EM_ANDAMENTO
        )
    )
    destino, rascunho = _destino_rascunho(), _banco_rascunho("verif")
    inicio = time.monotonic()
    manifesto: dict[str, Any] = {}
    try:
        _conferir_sha256_ao_lado(arquivo)
        progresso(f"verify: origin: {origem_conferir(arquivo=arquivo, chaves_confiaveis=chaves_assinatura, sha256=sha256)}")
        chave = chave_privada_carregar(chave_privada)
        manifesto, duracao = _restaurar_arquivo(
            arquivo=arquivo, chave=chave, destino=destino, banco=rascunho, progresso=progresso
        )
        progresso("verify: comparing row counts, row-level security and audit chains")
        problemas = banco_verificar(papel=destino.leitor, banco=rascunho, manifesto=manifesto)
    except Exception as exc:
        duracao, problemas = time.monotonic() - inicio, [_mensagem(exc)]
    finally:
        _banco_apagar(destino, rascunho)

    registro.verificado_em = timezone.now()
    registro.verificacao_segundos = duracao
    registro.verificacao = Backup.Verificacao.FALHOU if problemas else Backup.Verificacao.OK
    if problemas:
        registro.verificacao_detalhe = "\n".join(problemas)
        registro.status = Backup.Status.ERRO
        registro.erro = "Verificação falhou: " + problemas[0]
    else:
        registro.verificacao_detalhe = (
            f"restaurado em {duracao:.0f} s e conferido: {_milhares(sum(manifesto['linhas'].values()))} linhas, "
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
        _alertar(
            assunto="[PEC] Falha na verificação do backup",
            corpo=f"A verificação do backup {arquivo.name} falhou: ele não pôde ser restaurado íntegro.\n\n"
            + "\n".join(f"- {p}" for p in problemas)
            + "\n\nNão conte com este arquivo para uma restauração. Veja /instalacao/backups/.",
        )
        raise BackupError("Verification failed: " + "; ".join(problemas[:5]))
    progresso(f"verify: OK, restored in {duracao:.1f} s")
    return registro


def backup_restaurar(
    *, arquivo: Path, chave_privada: str | Path | None = None, chaves_assinatura: list[str | Path] | None = None,
    sha256: str = "", progresso: Progresso = _silencio,
) -> tuple[str, dict[str, Any], float]:
    """Restore into a NEW database on the installation's server and verify it, once the
    file's origin is proven (origem_conferir).

    Returns (new database name, manifest, restore seconds). The current database is not
    touched; on any failure the new one is dropped.
    """
    arquivo = Path(arquivo).resolve()
    _conferir_sha256_ao_lado(arquivo)
    progresso(f"restore: origin: {origem_conferir(arquivo=arquivo, chaves_confiaveis=_confiaveis(chaves_assinatura), sha256=sha256)}")
    chave = chave_privada_carregar(chave_privada)
    novo = _banco_rascunho("restaurado")
    destino = _destino_instalacao()
    try:
        manifesto, duracao = _restaurar_arquivo(arquivo=arquivo, chave=chave, destino=destino, banco=novo,
                                                progresso=progresso)
        progresso("restore: verifying the new database")
        problemas = banco_verificar(papel=destino.leitor, banco=novo, manifesto=manifesto)
        if problemas:
            raise BackupError("The restored database failed verification: " + "; ".join(problemas[:5]))
        with _conectar(_papel("app"), novo) as conn:
            conn.execute(
                "UPDATE pec_backup SET status = %s, arquivo = %s, sha256 = %s, finalizado_em = now(), "
                "erro = '' WHERE id = %s AND status = %s",
                [Backup.Status.SUCESSO, str(arquivo), _sha256_arquivo(arquivo), manifesto["backup_id"],
                 Backup.Status.EM_ANDAMENTO],
            )
    except BaseException:
        _banco_apagar(destino, novo)
        raise
    return novo, manifesto, duracao


def banco_trocar(*, novo: str) -> str:
    """Make `novo` the installation's database by renaming; returns the old one's new name
    ("" when there was no old one: the restore after losing it).

    Both renames happen in one transaction: either the switch is complete or nothing
    changed. Connections to either database are terminated first.
    """
    atual = _banco_atual()
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


# --- Second location, retention, nightly job, alerts -----------------------------------------


def backup_copiar(*, registro: Backup, pasta: Path) -> Path:
    """Copy the backup and its side files to `pasta`; the copy's SHA-256 must match."""
    pasta.mkdir(parents=True, exist_ok=True)
    origem = Path(registro.arquivo)
    for arquivo in _arquivos_de(origem):
        alvo = pasta / arquivo.name
        parcial = alvo.with_name(alvo.name + ".part")
        with open(arquivo, "rb") as entrada, open(parcial, "wb") as saida:
            shutil.copyfileobj(entrada, saida, CHUNK)
            saida.flush()
            os.fsync(saida.fileno())
        parcial.rename(alvo)
    _fsync_pasta(pasta)
    copia = pasta / origem.name
    lido = _sha256_arquivo(copia)
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
                for arquivo in _arquivos_de(Path(caminho)):
                    arquivo.unlink(missing_ok=True)
        registro.apagado_em = agora
        registro.save(update_fields=["apagado_em"])
        logger.info("retention removed backup %s (%s)", registro.pk, registro.arquivo)
    return apagar


def _sobras_limpar(*, pastas: list[Path], progresso: Progresso = _silencio) -> list[str]:
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
    destino = _destino_rascunho()
    with admin_connect(destino.criador, "postgres") as conn:
        nomes = [
            row[0]
            for row in conn.execute(
                "SELECT datname FROM pg_database WHERE starts_with(datname, %s) ORDER BY 1", [_prefixo_rascunho("verif")]
            ).fetchall()
        ]
    for nome in nomes:
        _banco_apagar(destino, nome)
    return [f"dropped scratch database {nome}" for nome in nomes]


def backup_noturno(*, progresso: Progresso = _silencio) -> Backup | None:
    """The nightly job: back up with in-flight verification, copy, apply retention.

    Returns None when another run holds the lock. A failed backup has already alerted and
    raises BackupError; a failed copy alerts but keeps the (good) local backup.
    """
    with trava_de_sessao(_LOCK_KEY) as obtida:
        if not obtida:
            logger.warning("nightly backup skipped: another backup job is running")
            return None
        registro = backup_criar(verificar=True, origem=Backup.Origem.AUTOMATICO, progresso=progresso)
        if settings.BACKUP_COPY_DIR:
            try:
                copia = backup_copiar(registro=registro, pasta=Path(settings.BACKUP_COPY_DIR))
                progresso(f"copy: {copia} (sha256 checked)")
            except Exception as exc:
                mensagem = _mensagem(exc, Path(settings.BACKUP_COPY_DIR))
                registro.erro = f"Cópia para o segundo local falhou: {mensagem}"
                registro.save(update_fields=["erro"])
                logger.error("copy of backup %s failed: %s", registro.pk, mensagem)
                _alertar(
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
    if Backup.objects.filter(status=Backup.Status.SUCESSO, finalizado_em__gte=limite).exclude(
        origem=Backup.Origem.VERIFICACAO
    ).exists():
        return False
    if cache.add("pec:backup:atraso-alertado", "1", timeout=24 * 3600):
        ultimo = backup_ultimo_sucesso()
        quando = f"em {timezone.localtime(ultimo.finalizado_em):%d/%m/%Y %H:%M}" if ultimo else "nunca"
        _alertar(
            assunto=f"[PEC] Nenhum backup bem-sucedido nas últimas {settings.BACKUP_ATRASO_HORAS} horas",
            corpo=f"O último backup bem-sucedido foi {quando}. Verifique o worker e o beat do Celery, o espaço "
            "em disco e a chave pública (PEC_BACKUP_PUBLIC_KEY). Veja /instalacao/backups/.",
        )
    return True


def backup_ultimo_sucesso() -> Backup | None:
    return (
        Backup.objects.filter(status=Backup.Status.SUCESSO)
        .exclude(origem=Backup.Origem.VERIFICACAO)
        .order_by("-finalizado_em")
        .first()
    )


def _alertar(*, assunto: str, corpo: str) -> None:
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


# --- Admin page ---------------------------------------------------------------------------


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
            "gerado por manage.py backup_keygen." if settings.BACKUP_PUBLIC_KEY else
            "Nenhuma chave pública de backup configurada: defina PEC_BACKUP_PUBLIC_KEY com a chave pública gerada por "
            "manage.py backup_keygen (rode-o em outra máquina, que guarda a chave privada)."
        )
    ultimo = backup_ultimo_sucesso()
    limite = timezone.now() - timedelta(hours=settings.BACKUP_ATRASO_HORAS)
    return {
        "backups": list(Backup.objects.order_by("-iniciado_em")[:60]),
        "ultimo_sucesso": ultimo,
        "atrasado": ultimo is None or ultimo.finalizado_em < limite,
        "atraso_horas": settings.BACKUP_ATRASO_HORAS,
        "pasta": settings.BACKUP_DIR,
        "copia": settings.BACKUP_COPY_DIR,
        "chave_impressao": chave,
        "erro_chave": erro_chave,
        "retencao": settings.BACKUP_RETENCAO,
        "hora": settings.BACKUP_HORA,
    }
