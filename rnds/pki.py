"""A test public-key infrastructure shaped like ICP-Brasil, for the local national peer.

Root "AC Raiz de Teste" → intermediate "AC Teste PEC" → (a) the simulator's server
certificate for 127.0.0.1/localhost, (b) an A1 e-CNPJ for a municipality, with the CNPJ
and the responsible person's CPF in otherName entries like real ones. Files go under
var/ (never committed); nothing here is trusted outside tests and demo mode.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from rnds.certificado import OID_CNPJ, OID_RESPONSAVEL_PJ

SENHA_DEMO = "pec-demo-a1"
CNPJ_DEMO = "11222333000181"
CPF_RESPONSAVEL_DEMO = "20000000894"


@dataclass(frozen=True)
class ArquivosTeste:
    pasta: Path
    ca: Path  # root + intermediate, PEM: what the client trusts and the server verifies
    servidor_cert: Path
    servidor_chave: Path
    pfx: Path  # the demo municipality's A1
    senha_pfx: str


def _nome(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "BR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ICP-Brasil (TESTE)"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _chave() -> ec.EllipticCurvePrivateKey:
    # EC keys: generating RSA keys would make test setup slow on the shared machine.
    return ec.generate_private_key(ec.SECP256R1())


def _assinar(
    *,
    sujeito: x509.Name,
    chave_publica: object,
    emissor: x509.Name,
    chave_emissor: object,
    ca: bool,
    inicio: datetime.datetime,
    fim: datetime.datetime,
    extensoes: list[tuple[x509.ExtensionType, bool]] = (),  # type: ignore[assignment]
) -> x509.Certificate:
    construtor = (
        x509.CertificateBuilder()
        .subject_name(sujeito)
        .issuer_name(emissor)
        .public_key(chave_publica)  # type: ignore[arg-type]
        .serial_number(x509.random_serial_number())
        .not_valid_before(inicio)
        .not_valid_after(fim)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    for extensao, critica in extensoes:
        construtor = construtor.add_extension(extensao, critical=critica)
    return construtor.sign(chave_emissor, hashes.SHA256())  # type: ignore[arg-type]


def _texto_der(texto: str) -> bytes:
    """An otherName value as ICP-Brasil issuers write it: a DER OCTET STRING."""
    dados = texto.encode("ascii")
    return b"\x04" + bytes([len(dados)]) + dados


@dataclass
class AC:
    raiz_cert: x509.Certificate
    cert: x509.Certificate
    chave: ec.EllipticCurvePrivateKey

    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM) + self.raiz_cert.public_bytes(
            serialization.Encoding.PEM
        )


def ac_criar() -> AC:
    agora = datetime.datetime.now(datetime.UTC)
    raiz_chave, inter_chave = _chave(), _chave()
    raiz_nome, inter_nome = _nome("AC Raiz de Teste PEC"), _nome("AC Intermediaria de Teste PEC")
    raiz = _assinar(
        sujeito=raiz_nome,
        chave_publica=raiz_chave.public_key(),
        emissor=raiz_nome,
        chave_emissor=raiz_chave,
        ca=True,
        inicio=agora - datetime.timedelta(days=1),
        fim=agora + datetime.timedelta(days=3650),
        extensoes=[(x509.KeyUsage(False, False, False, False, False, True, True, False, False), True)],
    )
    inter = _assinar(
        sujeito=inter_nome,
        chave_publica=inter_chave.public_key(),
        emissor=raiz_nome,
        chave_emissor=raiz_chave,
        ca=True,
        inicio=agora - datetime.timedelta(days=1),
        fim=agora + datetime.timedelta(days=3650),
        extensoes=[(x509.KeyUsage(False, False, False, False, False, True, True, False, False), True)],
    )
    return AC(raiz_cert=raiz, cert=inter, chave=inter_chave)


def servidor_criar(ac: AC) -> tuple[bytes, bytes]:
    """(certificate PEM with the intermediate, key PEM) for 127.0.0.1 and localhost."""
    agora = datetime.datetime.now(datetime.UTC)
    chave = _chave()
    cert = _assinar(
        sujeito=_nome("localhost"),
        chave_publica=chave.public_key(),
        emissor=ac.cert.subject,
        chave_emissor=ac.chave,
        ca=False,
        inicio=agora - datetime.timedelta(days=1),
        fim=agora + datetime.timedelta(days=825),
        extensoes=[
            (
                x509.SubjectAlternativeName(
                    [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
                ),
                False,
            ),
            (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False),
        ],
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM) + ac.cert.public_bytes(serialization.Encoding.PEM)
    chave_pem = chave.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert_pem, chave_pem


def a1_criar(
    ac: AC,
    *,
    titular: str,
    cnpj: str,
    cpf_responsavel: str,
    senha: str,
    inicio: datetime.datetime | None = None,
    fim: datetime.datetime | None = None,
    com_chave: bool = True,
) -> bytes:
    """An e-CNPJ A1 (.pfx) with the ICP-Brasil otherNames, issued by the test AC."""
    agora = datetime.datetime.now(datetime.UTC)
    chave = _chave()
    cert = _assinar(
        sujeito=_nome(f"{titular}:{cnpj}"),
        chave_publica=chave.public_key(),
        emissor=ac.cert.subject,
        chave_emissor=ac.chave,
        ca=False,
        inicio=inicio or agora - datetime.timedelta(days=1),
        fim=fim or agora + datetime.timedelta(days=365),
        extensoes=[
            (
                x509.SubjectAlternativeName(
                    [
                        x509.OtherName(OID_CNPJ, _texto_der(cnpj)),
                        # Responsible person: birth date (DDMMAAAA) + CPF + NIS + RG + issuer, zeros when absent.
                        x509.OtherName(
                            OID_RESPONSAVEL_PJ,
                            _texto_der("01011980" + cpf_responsavel + "0" * 11 + "0" * 15 + "SSPMG "),
                        ),
                    ]
                ),
                False,
            ),
            (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False),
        ],
    )
    return pkcs12.serialize_key_and_certificates(
        titular.encode(),
        chave if com_chave else None,
        cert,
        [ac.cert],
        serialization.BestAvailableEncryption(senha.encode()),
    )


def gerar_certificados_teste(*, pasta: Path, titular: str = "MUNICIPIO DE VILA ESPERANCA") -> ArquivosTeste:
    """Write the test chain, the simulator's server certificate and a demo A1 into `pasta`.

    Idempotent: an existing set is reused, so the demo's stored certificate keeps working.
    """
    arquivos = ArquivosTeste(
        pasta=pasta,
        ca=pasta / "ac-teste.pem",
        servidor_cert=pasta / "servidor.pem",
        servidor_chave=pasta / "servidor.key",
        pfx=pasta / "municipio-demo.pfx",
        senha_pfx=SENHA_DEMO,
    )
    if all(p.exists() for p in (arquivos.ca, arquivos.servidor_cert, arquivos.servidor_chave, arquivos.pfx)):
        return arquivos
    pasta.mkdir(parents=True, exist_ok=True)
    ac = ac_criar()
    cert_pem, chave_pem = servidor_criar(ac)
    arquivos.ca.write_bytes(ac.pem())
    arquivos.servidor_cert.write_bytes(cert_pem)
    arquivos.servidor_chave.write_bytes(chave_pem)
    arquivos.servidor_chave.chmod(0o600)
    arquivos.pfx.write_bytes(
        a1_criar(ac, titular=titular, cnpj=CNPJ_DEMO, cpf_responsavel=CPF_RESPONSAVEL_DEMO, senha=SENHA_DEMO)
    )
    arquivos.pfx.chmod(0o600)
    return arquivos
