"""Secrets stored in the database (SMTP, gov.br and SISAB passwords, certificates), encrypted at rest.

AES-256-GCM with the keys in settings.PEC_ENCRYPTION_KEYS (urlsafe base64, 32 bytes):
the first key encrypts, every key is tried to decrypt, so a key can be rotated by
putting the new one first and running `manage.py rotate_encryption_keys`, which re-encrypts
every column of `CAMPOS_CIFRADOS` and proves each opens with the new key alone. The `contexto` is GCM associated
data: it binds a ciphertext to the row and field it was made for (e.g.
"smtp:1:senha"), so a token copied to another row or field fails to decrypt.

Token format: "g1." + urlsafe base64 of nonce (12 bytes) + ciphertext + tag.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from django.utils.module_loading import import_string

from pec.tenancy import escopo

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


def decifrar(token: str, *, contexto: str, chaves: list[bytes] | None = None) -> str:
    """Decrypt a token made by `cifrar` for the same `contexto`, with any configured key
    (or only with `chaves`: the rotation proves a value opens with the new key alone)."""
    if not token.startswith(PREFIXO):
        raise DecifrarErro("unknown token format")
    try:
        bruto = base64.urlsafe_b64decode(token[len(PREFIXO) :])
    except (binascii.Error, ValueError) as exc:
        raise DecifrarErro("token is not valid base64") from exc
    if len(bruto) < _NONCE_BYTES + _TAG_BYTES:
        raise DecifrarErro("token is too short")
    nonce, dados = bruto[:_NONCE_BYTES], bruto[_NONCE_BYTES:]
    for chave in _chaves() if chaves is None else chaves:
        try:
            return AESGCM(chave).decrypt(nonce, dados, contexto.encode()).decode()
        except InvalidTag:
            continue
    raise DecifrarErro("no key decrypts this token for this context")


# --- The registry of encrypted columns ------------------------------------------------------
#
# Every column holding a `cifrar` token, with the function that gives a row's context. Key
# rotation walks this list, so a secret missing here would still hold the old key after
# rotation and stop working once the operator removed it (tests/pec/test_cripto.py walks
# the models and fails for a `*_cifrado`/`*_cifrada` column that is not listed). Models and
# functions are named, not imported: the apps that own them import this module.


@dataclass(frozen=True)
class CampoCifrado:
    modelo: str  # "app_label.Model"
    campo: str
    contexto: str  # dotted path of a function(row) -> context

    @property
    def nome(self) -> str:
        return f"{self.modelo}.{self.campo}"


CAMPOS_CIFRADOS: tuple[CampoCifrado, ...] = (
    CampoCifrado("pec.ConfiguracaoSMTP", "senha_cifrada", "pec.email.smtp_contexto_senha"),
    CampoCifrado("pec.ConfiguracaoGovBr", "segredo_cifrado", "pec.identity.govbr.config.govbr_contexto_segredo"),
    CampoCifrado("rnds.CertificadoA1", "arquivo_cifrado", "rnds.models.certificado_contexto_arquivo"),
    CampoCifrado("rnds.CertificadoA1", "senha_cifrada", "rnds.models.certificado_contexto_senha"),
    CampoCifrado("sisab.DestinoSisab", "senha_cifrada", "sisab.envio.destino_contexto_senha"),
)


@dataclass
class Rotacao:
    recifrados: dict[str, int] = field(default_factory=dict)
    # "<model.field> id <pk>: <why>" for every value that no longer opens.
    problemas: list[str] = field(default_factory=list)


def segredos_recifrar() -> Rotacao:
    """Re-encrypt every registered secret with the newest key, then read each one back with
    only that key: the old keys may be removed only when `problemas` is empty.

    One transaction per municipality (row-level security shows a tenant table's rows only
    under its tenant) plus one for the installation tables; a value that no key opens is
    reported and left as it is.
    """
    rotacao = Rotacao(recifrados={campo.nome: 0 for campo in CAMPOS_CIFRADOS})
    for campos, municipio_id in _grupos():
        with escopo(municipio_id):
            for campo in campos:
                _recifrar_campo(campo, municipio_id, rotacao)
    rotacao.problemas += segredos_conferir(chaves=_chaves()[:1])
    return rotacao


def segredos_conferir(*, chaves: list[bytes] | None = None) -> list[str]:
    """Decrypt every registered secret (with `chaves` only, when given); the failures."""
    problemas: list[str] = []
    for campos, municipio_id in _grupos():
        with escopo(municipio_id):
            for campo in campos:
                for linha in _linhas(campo, municipio_id):
                    try:
                        decifrar(getattr(linha, campo.campo), contexto=_contexto(campo, linha), chaves=chaves)
                    except DecifrarErro as exc:
                        problemas.append(f"{campo.nome} id {linha.pk}: {exc}")
    return problemas


def _recifrar_campo(campo: CampoCifrado, municipio_id: int | None, rotacao: Rotacao) -> None:
    for linha in _linhas(campo, municipio_id).select_for_update():
        contexto = _contexto(campo, linha)
        try:
            claro = decifrar(getattr(linha, campo.campo), contexto=contexto)
        except DecifrarErro:
            continue  # left as it is; the read-back below reports it
        type(linha).objects.filter(pk=linha.pk).update(**{campo.campo: cifrar(claro, contexto=contexto)})
        rotacao.recifrados[campo.nome] += 1


def _grupos() -> list[tuple[list[CampoCifrado], int | None]]:
    """The installation's fields once, then the municipalities' fields per municipality."""
    from pec.models import Municipio

    instalacao = [c for c in CAMPOS_CIFRADOS if not _por_municipio(c)]
    municipais = [c for c in CAMPOS_CIFRADOS if _por_municipio(c)]
    grupos: list[tuple[list[CampoCifrado], int | None]] = [(instalacao, None)]
    grupos += [
        (municipais, municipio_id) for municipio_id in Municipio.objects.order_by("id").values_list("id", flat=True)
    ]
    return grupos


def _por_municipio(campo: CampoCifrado) -> bool:
    return any(f.name == "municipio" for f in apps.get_model(campo.modelo)._meta.fields)


def _linhas(campo: CampoCifrado, municipio_id: int | None) -> QuerySet[Any]:
    linhas: QuerySet[Any] = apps.get_model(campo.modelo).objects.exclude(**{campo.campo: ""}).order_by("pk")
    filtradas: QuerySet[Any] = linhas if municipio_id is None else linhas.filter(municipio_id=municipio_id)
    return filtradas


def _contexto(campo: CampoCifrado, linha: Any) -> str:
    contexto: str = import_string(campo.contexto)(linha)
    return contexto
