"""Reading an ICP-Brasil A1 certificate (.pfx/.p12): what the upload page checks and shows,
and the PEM pieces the TLS client needs.

ICP-Brasil puts the holder's documents in the subjectAltName as otherName entries
(DOC-ICP-04): 2.16.76.1.3.3 = CNPJ of an e-CNPJ; 2.16.76.1.3.1 = data of the person of
an e-CPF (birth date DDMMAAAA, then the 11-digit CPF, NIS, RG...); 2.16.76.1.3.4 = the
same layout for the person responsible for an e-CNPJ.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from pec.documentos import so_digitos

OID_CNPJ = x509.ObjectIdentifier("2.16.76.1.3.3")
OID_DADOS_PF = x509.ObjectIdentifier("2.16.76.1.3.1")
OID_RESPONSAVEL_PJ = x509.ObjectIdentifier("2.16.76.1.3.4")
TAMANHO_MAXIMO = 64 * 1024  # an A1 with its chain is a few KB


class CertificadoInvalido(Exception):
    """The file is refused; the message is for the administrator (pt-BR)."""


@dataclass(frozen=True)
class DadosCertificado:
    titular: str
    cnpj: str
    cpf: str
    emissor: str
    valido_de: datetime.datetime
    valido_ate: datetime.datetime
    impressao_digital: str


def _valor_other_name(der: bytes) -> str:
    """The text inside an otherName value: a DER OCTET STRING or a string type, short or
    long length form (ICP-Brasil issuers use both)."""
    if len(der) < 2:
        return ""
    tamanho, inicio = der[1], 2
    if tamanho & 0x80:
        octetos = tamanho & 0x7F
        tamanho, inicio = int.from_bytes(der[2 : 2 + octetos], "big"), 2 + octetos
    return der[inicio : inicio + tamanho].decode("latin-1", errors="replace")


def _documentos(cert: x509.Certificate) -> tuple[str, str]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return "", ""
    cnpj = cpf = ""
    for nome in san.get_values_for_type(x509.OtherName):
        texto = _valor_other_name(nome.value)
        if nome.type_id == OID_CNPJ:
            cnpj = so_digitos(texto)[:14]
        elif nome.type_id in (OID_DADOS_PF, OID_RESPONSAVEL_PJ) and len(texto) >= 19:
            digitos = texto[8:19]
            if digitos.isdigit() and (nome.type_id == OID_DADOS_PF or not cpf):
                cpf = digitos
    return cnpj, cpf


def _nome(nome: x509.Name) -> str:
    cns = nome.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(cns[0].value) if cns else nome.rfc4514_string()


def certificado_ler(*, conteudo: bytes, senha: str, agora: datetime.datetime | None = None) -> DadosCertificado:
    """Open and check a .pfx; raise CertificadoInvalido with a message the admin can act on."""
    if not conteudo or len(conteudo) > TAMANHO_MAXIMO:
        raise CertificadoInvalido("O arquivo não parece um certificado A1: envie o .pfx ou .p12 (alguns KB).")
    try:
        chave, cert, cadeia = pkcs12.load_key_and_certificates(conteudo, senha.encode() if senha else None)
    except ValueError as exc:
        # cryptography says "Invalid password or PKCS12 data" for both; tell them apart by
        # whether the bytes are a PKCS#12 structure at all (a DER SEQUENCE with version 3).
        if conteudo[:1] == b"\x30" and b"\x02\x01\x03" in conteudo[:8]:
            raise CertificadoInvalido(
                "Senha incorreta: o arquivo é um certificado, mas não abre com esta senha."
            ) from exc
        raise CertificadoInvalido(
            "O arquivo não é um certificado A1 (.pfx/.p12) válido. Exporte-o de novo com a chave privada."
        ) from exc
    if cert is None and not cadeia:
        raise CertificadoInvalido("O arquivo não contém nenhum certificado.")
    # Without a key, PKCS#12 readers return the certificate among the "other" ones.
    if chave is None or cert is None:
        raise CertificadoInvalido(
            "O arquivo contém o certificado mas não a chave privada. Exporte o .pfx marcando "
            "“exportar a chave privada”."
        )
    agora = agora or datetime.datetime.now(datetime.UTC)
    valido_de, valido_ate = cert.not_valid_before_utc, cert.not_valid_after_utc
    if valido_ate <= agora:
        raise CertificadoInvalido(
            f"Certificado vencido em {valido_ate:%d/%m/%Y}. Renove-o com a autoridade certificadora e envie o novo."
        )
    if valido_de > agora:
        raise CertificadoInvalido(f"Este certificado só passa a valer em {valido_de:%d/%m/%Y}.")
    if chave.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) != cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo):
        raise CertificadoInvalido("A chave privada do arquivo não corresponde ao certificado.")
    cnpj, cpf = _documentos(cert)
    return DadosCertificado(
        titular=_nome(cert.subject)[:300],
        cnpj=cnpj,
        cpf=cpf,
        emissor=_nome(cert.issuer)[:300],
        valido_de=valido_de,
        valido_ate=valido_ate,
        impressao_digital=cert.fingerprint(hashes.SHA256()).hex(),
    )


def certificado_pem(*, conteudo: bytes, senha: str, senha_chave: bytes) -> tuple[bytes, bytes]:
    """(certificate chain PEM, private key PEM encrypted with `senha_chave`) for ssl."""
    chave, cert, cadeia = pkcs12.load_key_and_certificates(conteudo, senha.encode() if senha else None)
    if chave is None or cert is None:
        raise CertificadoInvalido("O certificado guardado não tem chave privada.")
    pem_cert = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in [cert, *(cadeia or [])])
    pem_chave = chave.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(senha_chave),
    )
    return pem_cert, pem_chave
