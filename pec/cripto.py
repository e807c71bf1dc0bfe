"""Secrets stored in the database (SMTP password, certificates), encrypted at rest.

AES-256-GCM with the keys in settings.PEC_ENCRYPTION_KEYS (urlsafe base64, 32 bytes):
the first key encrypts, every key is tried to decrypt, so a key can be rotated by
putting the new one first and re-saving the secrets. The `contexto` is GCM associated
data: it binds a ciphertext to the row and field it was made for (e.g.
"smtp:1:senha"), so a token copied to another row or field fails to decrypt.

Token format: "g1." + urlsafe base64 of nonce (12 bytes) + ciphertext + tag.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIXO = "g1."
_NONCE_BYTES = 12
_TAG_BYTES = 16


class DecifrarErro(Exception):
    """The token is malformed, was made with an unknown key or for another context."""


def _chaves() -> list[bytes]:
    chaves = []
    for texto in settings.PEC_ENCRYPTION_KEYS:
        try:
            chave = base64.urlsafe_b64decode(texto.strip())
        except (binascii.Error, ValueError) as exc:
            raise ImproperlyConfigured("PEC_ENCRYPTION_KEYS: a key is not valid base64") from exc
        if len(chave) != 32:
            raise ImproperlyConfigured("PEC_ENCRYPTION_KEYS: every key must be 32 bytes (AES-256)")
        chaves.append(chave)
    if not chaves:
        raise ImproperlyConfigured("PEC_ENCRYPTION_KEYS is empty: secrets cannot be stored")
    return chaves


def cifrar(texto: str, *, contexto: str) -> str:
    """Encrypt `texto` with the newest key, bound to `contexto`."""
    if not contexto:
        raise ValueError("contexto is required: it binds the ciphertext to its row")
    nonce = os.urandom(_NONCE_BYTES)
    dados = AESGCM(_chaves()[0]).encrypt(nonce, texto.encode(), contexto.encode())
    return PREFIXO + base64.urlsafe_b64encode(nonce + dados).decode()


def decifrar(token: str, *, contexto: str) -> str:
    """Decrypt a token made by `cifrar` for the same `contexto`, with any configured key."""
    if not token.startswith(PREFIXO):
        raise DecifrarErro("unknown token format")
    try:
        bruto = base64.urlsafe_b64decode(token[len(PREFIXO) :])
    except (binascii.Error, ValueError) as exc:
        raise DecifrarErro("token is not valid base64") from exc
    if len(bruto) < _NONCE_BYTES + _TAG_BYTES:
        raise DecifrarErro("token is too short")
    nonce, dados = bruto[:_NONCE_BYTES], bruto[_NONCE_BYTES:]
    for chave in _chaves():
        try:
            return AESGCM(chave).decrypt(nonce, dados, contexto.encode()).decode()
        except InvalidTag:
            continue
    raise DecifrarErro("no key decrypts this token for this context")
