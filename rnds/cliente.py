"""HTTP client of the national services: ehr-auth tokens, Bundle POST/DELETE, CADSUS SOAP.

The token is obtained by mutual TLS with the municipality's A1 certificate, which is
decrypted only here, inside `_contexto_certificado`, written for the ssl module as a
key encrypted with a one-time password into a private temporary directory that is
removed at once. Tokens are cached (Django cache, Redis) per municipality and
certificate for their lifetime minus a minute; a 401 or ERR882 renews once.

Standard library http.client: one request, one connection, explicit timeouts.
"""

from __future__ import annotations

import http.client
import json
import logging
import secrets
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.cache import cache

from pec.destinos import DestinoRecusado, url_verificar
from pec.outbox import Indisponivel
from rnds.certificado import certificado_pem
from rnds.models import CertificadoA1, ConfiguracaoRNDS, hosts_permitidos
from rnds.services import certificado_segredos

log = logging.getLogger(__name__)
TIMEOUT = 30.0
MARGEM_TOKEN = 60  # seconds before expiry at which a cached token is no longer used


class FalhaRNDS(Indisponivel):
    """Transient: network, 5xx, timeout. The outbox retries with backoff, without a limit."""


class RejeitadoRNDS(Exception):
    """The RNDS refused the content (4xx with an OperationOutcome)."""

    def __init__(self, status: int, texto: str) -> None:
        super().__init__(texto)
        self.status = status
        self.texto = texto


class EnderecoNaoPermitido(FalhaRNDS):
    """The configured address is not https to an allowed host (pec.destinos): nothing is
    sent, and the rows wait until the municipal admin fixes the address."""


class TokenInvalido(FalhaRNDS):
    pass


class CadsusRecusou(FalhaRNDS):
    """CADSUS refused the caller (401/403 after a fresh token): not an outage."""


@dataclass(frozen=True)
class Resposta:
    status: int
    cabecalhos: dict[str, str]
    corpo: bytes

    def texto_erro(self) -> str:
        """The OperationOutcome's diagnostics, or the raw body."""
        try:
            dados = json.loads(self.corpo)
            partes = [i.get("diagnostics") or (i.get("details") or {}).get("text", "") for i in dados.get("issue", [])]
            return " | ".join(p for p in partes if p) or self.corpo.decode(errors="replace")[:2000]
        except (ValueError, AttributeError):
            return self.corpo.decode(errors="replace")[:2000]


def _verificacao_servidor() -> ssl.SSLContext:
    """Verifies the server: system CAs, or settings.RNDS_CA_ARQUIVO (the test chain in demo/tests)."""
    return ssl.create_default_context(cafile=settings.RNDS_CA_ARQUIVO or None)


_contexto_publico: ssl.SSLContext | None = None


def _contexto_sem_certificado() -> ssl.SSLContext:
    global _contexto_publico
    if _contexto_publico is None:
        _contexto_publico = _verificacao_servidor()
    return _contexto_publico


def _contexto_certificado(cert: CertificadoA1) -> ssl.SSLContext:
    ctx = _verificacao_servidor()
    conteudo, senha = certificado_segredos(cert=cert)
    senha_chave = secrets.token_bytes(24).hex().encode()
    pem_cert, pem_chave = certificado_pem(conteudo=conteudo, senha=senha, senha_chave=senha_chave)
    with tempfile.TemporaryDirectory(prefix="pec-a1-") as pasta:
        caminho_cert, caminho_chave = Path(pasta) / "cert.pem", Path(pasta) / "chave.pem"
        caminho_cert.write_bytes(pem_cert)
        caminho_chave.write_bytes(pem_chave)
        ctx.load_cert_chain(caminho_cert, caminho_chave, password=senha_chave)
    return ctx


def requisitar(
    metodo: str,
    url: str,
    *,
    contexto: ssl.SSLContext,
    corpo: bytes | None = None,
    cabecalhos: dict[str, str] | None = None,
    timeout: float = TIMEOUT,
) -> Resposta:
    try:
        url_verificar(url=url, permitidos=hosts_permitidos())
    except DestinoRecusado as exc:
        raise EnderecoNaoPermitido(str(exc)) from exc
    partes = urlsplit(url)
    conexao = http.client.HTTPSConnection(partes.hostname or "", partes.port or 443, context=contexto, timeout=timeout)
    caminho = partes.path + (f"?{partes.query}" if partes.query else "")
    try:
        conexao.request(metodo, caminho, body=corpo, headers=cabecalhos or {})
        resposta = conexao.getresponse()
        return Resposta(
            status=resposta.status,
            cabecalhos={k.lower(): v for k, v in resposta.getheaders()},
            corpo=resposta.read(),
        )
    except (OSError, http.client.HTTPException) as exc:
        raise FalhaRNDS(f"{metodo} {partes.netloc}{partes.path}: {exc.__class__.__name__}: {exc}") from exc
    finally:
        conexao.close()


def _chave_cache(cert: CertificadoA1, tipo: str) -> str:
    return f"rnds:token:{cert.municipio_id}:{cert.impressao_digital[:16]}:{tipo}"


def token_obter(*, config: ConfiguracaoRNDS, cert: CertificadoA1, tipo: str = "ehr", renovar: bool = False) -> str:
    """The ehr-auth token ("ehr": /api/token, "osb": /api/osb/token for CADSUS)."""
    chave = _chave_cache(cert, tipo)
    if not renovar:
        guardado = cache.get(chave)
        if guardado:
            return str(guardado)
    caminho = "/api/token" if tipo == "ehr" else "/api/osb/token"
    resposta = requisitar("GET", config.base_autenticacao() + caminho, contexto=_contexto_certificado(cert))
    if resposta.status != 200:
        raise FalhaRNDS(f"ehr-auth answered {resposta.status}: {resposta.texto_erro()}")
    dados = json.loads(resposta.corpo)
    vida = int(dados.get("expires_in", 1_800_000)) // 1000  # milliseconds
    cache.set(chave, dados["access_token"], timeout=max(vida - MARGEM_TOKEN, 1))
    log.info("rnds: new %s token for municipality %s (valid %ss)", tipo, cert.municipio_id, vida)
    return str(dados["access_token"])


def _expirado(resposta: Resposta) -> bool:
    return resposta.status == 401 or b"ERR882" in resposta.corpo


def _com_token(
    *,
    config: ConfiguracaoRNDS,
    cert: CertificadoA1,
    metodo: str,
    url: str,
    cns_profissional: str,
    corpo: bytes | None = None,
) -> Resposta:
    """A call to ehr-services, renewing the token once if the RNDS says it expired."""
    for tentativa in (1, 2):
        token = token_obter(config=config, cert=cert, renovar=tentativa == 2)
        resposta = requisitar(
            metodo,
            url,
            contexto=_contexto_sem_certificado(),
            corpo=corpo,
            cabecalhos={
                "X-Authorization-Server": f"Bearer {token}",
                "Authorization": cns_profissional,
                "Content-Type": "application/fhir+json",
                "Accept": "application/fhir+json",
            },
        )
        if not _expirado(resposta):
            return resposta
        log.info("rnds: token refused for municipality %s (attempt %s)", cert.municipio_id, tentativa)
    raise TokenInvalido(f"token refused twice: {resposta.texto_erro()}")


def _rejeicao_ou_falha(resposta: Resposta) -> Exception:
    if 400 <= resposta.status < 500:
        return RejeitadoRNDS(resposta.status, resposta.texto_erro())
    return FalhaRNDS(f"RNDS answered {resposta.status}: {resposta.texto_erro()[:500]}")


def enviar_bundle(
    *, config: ConfiguracaoRNDS, cert: CertificadoA1, bundle: dict[str, Any], cns_profissional: str
) -> str:
    """POST the document; return the RNDS id (last segment of `location`)."""
    resposta = _com_token(
        config=config,
        cert=cert,
        metodo="POST",
        url=config.base_servicos() + "/api/fhir/r4/Bundle",
        cns_profissional=cns_profissional,
        corpo=json.dumps(bundle, ensure_ascii=False).encode(),
    )
    if resposta.status == 201:
        local = resposta.cabecalhos.get("location") or resposta.cabecalhos.get("content-location") or ""
        return local.rstrip("/").rsplit("/", 1)[-1]
    raise _rejeicao_ou_falha(resposta)


def versoes_do_identificador(
    *,
    config: ConfiguracaoRNDS,
    cert: CertificadoA1,
    sistema: str,
    valor: str,
    tipo_documento: str,
    cns_profissional: str,
) -> list[dict[str, Any]]:
    """The sender's documents stored under one local identifier (RNDS-IG "Consulta por
    identificador local"): [{id, cns, date, relatesTo, status}], replacements included."""
    consulta = urlencode({"system": sistema, "value": valor, "docType": tipo_documento})
    resposta = _com_token(
        config=config,
        cert=cert,
        metodo="GET",
        url=f"{config.base_servicos()}/api/identifier?{consulta}",
        cns_profissional=cns_profissional,
    )
    if resposta.status == 404:
        return []
    if resposta.status != 200:
        raise _rejeicao_ou_falha(resposta)
    try:
        versoes = json.loads(resposta.corpo)
    except ValueError as exc:
        raise FalhaRNDS(f"RNDS identifier lookup answered something other than JSON: {resposta.corpo[:200]!r}") from exc
    return [v for v in versoes if isinstance(v, dict)] if isinstance(versoes, list) else []


def excluir_bundle(*, config: ConfiguracaoRNDS, cert: CertificadoA1, rnds_id: str, cns_profissional: str) -> int:
    """DELETE the document (logical: entered-in-error). A 404/410 means already gone."""
    resposta = _com_token(
        config=config,
        cert=cert,
        metodo="DELETE",
        url=f"{config.base_servicos()}/api/fhir/r4/Bundle/{rnds_id}",
        cns_profissional=cns_profissional,
    )
    if resposta.status in (200, 204, 404, 410):
        return resposta.status
    raise _rejeicao_ou_falha(resposta)


def cadsus_soap(
    *, config: ConfiguracaoRNDS, cert: CertificadoA1, envelope: bytes, govbr_token: str | None = None
) -> bytes:
    """POST a PDQ query (SOAP 1.2) with the osb token; renew the token once on 401.

    With the logged user's gov.br access token, the gov.br variant of the service, which
    CADSUS requires of PEC since 5.1.14 (X-Authorization-GovBr); without it, the plain one.
    """
    caminho = "/cadsus/v2/PDQSupplierJWTGovBR" if govbr_token else "/cadsus/v2/PDQSupplierJWT"
    for tentativa in (1, 2):
        token = token_obter(config=config, cert=cert, tipo="osb", renovar=tentativa == 2)
        cabecalhos = {
            "Authorization": f"jwt {token}",
            "Content-Type": 'application/soap+xml; charset=utf-8; action="urn:hl7-org:v3:PRPA_IN201305UV02"',
        }
        if govbr_token:
            cabecalhos["X-Authorization-GovBr"] = govbr_token
        resposta = requisitar(
            "POST",
            config.base_cadsus() + caminho,
            contexto=_contexto_sem_certificado(),
            corpo=envelope,
            cabecalhos=cabecalhos,
        )
        if resposta.status != 401:
            break
    if resposta.status in (401, 403):
        raise CadsusRecusou(f"CADSUS refused the query ({resposta.status}): {resposta.corpo[:300]!r}")
    if resposta.status != 200:
        raise FalhaRNDS(f"CADSUS answered {resposta.status}: {resposta.corpo[:300]!r}")
    return resposta.corpo
