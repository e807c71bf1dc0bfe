"""The encrypted container a backup is written in (see the package docstring for what
goes in it).

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
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from pec.backups.avisos import BackupError
from pec.backups.chaves import impressao_digital, raw

MAGIC = b"PECBKP01"
HEADER_SIZE = len(MAGIC) + 32 + 32 + 32
CHUNK = 1 << 20
MAX_META_FRAME = 16 << 20
FRAME_MANIFEST, FRAME_DATA, FRAME_END = b"M", b"D", b"E"
_HKDF_INFO = b"pec-backup v1"


def _derivar(compartilhado: bytes, salt: bytes, efemera: bytes, destinatario: bytes) -> AESGCM:
    chave = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=_HKDF_INFO + efemera + destinatario).derive(
        compartilhado
    )
    return AESGCM(chave)


def _nonce(indice: int) -> bytes:
    return indice.to_bytes(12, "big")


class Cifrador:
    """Writes the encrypted container to `saida`, keeping its SHA-256 and size."""

    def __init__(self, saida: IO[bytes], chave_publica: X25519PublicKey) -> None:
        efemera = X25519PrivateKey.generate()
        efemera_raw, destinatario = raw(efemera.public_key()), raw(chave_publica)
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
        cifrado = self._aead.encrypt(
            _nonce(self._indice), claro, self.cabecalho + tipo + self._indice.to_bytes(8, "big")
        )
        self._escrever(tipo + len(cifrado).to_bytes(4, "big") + cifrado)
        self._indice += 1

    def _escrever(self, dados: bytes) -> None:
        self._saida.write(dados)
        self.sha256.update(dados)
        self.bytes_escritos += len(dados)


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
            raise BackupError(
                f"The backup has unexpected bytes after its end marker (at byte {posicao + 5 + tamanho})."
            )
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
        destinatario = raw(chave_privada.public_key())
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
        _indice, _tipo, claro = self._proximo()
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
