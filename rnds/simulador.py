"""A local peer of the national services (RNDS ehr-auth + ehr-services, CADSUS PDQ).

HTTPS on 127.0.0.1 with the test PKI of rnds.pki; the token endpoints demand a client
certificate issued by that chain (mutual TLS), as ehr-auth does. It answers like the
real services where their documentation says (docs/integracoes/rnds.md): 201 + Location,
204 on DELETE, 422 OperationOutcomes with the RNDS codes for what it can check, 401 +
ERR882 for an expired token. It counts accepted receipts per Bundle identifier, so tests
can prove "exactly once", and answers the lookup of a sender's own documents by local
identifier (`GET /api/identifier?system=…&value=…&docType=…`, RNDS-IG "Consulta por
identificador local": a JSON list of the versions, replacements included). Controls for tests: `fora_do_ar` (connections refused, or 503),
`atraso` (seconds before answering a POST), `expirar_tokens()`.

Standard library only (http.server + ssl), one thread per connection; no mocks.
"""

from __future__ import annotations

import datetime
import json
import re
import secrets
import socket
import ssl
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree as ET

from rnds.pki import ArquivosTeste

FIXTURE_CADSUS = Path(__file__).parent / "dados" / "cadsus" / "PRPA_IN201306UV02_exemplo.xml"
PERFIS_DOCUMENTO = {
    "http://www.saude.gov.br/fhir/r4/StructureDefinition/BRRegistroAtendimentoClinico",
    "http://www.saude.gov.br/fhir/r4/StructureDefinition/BRRegistroImunobiologicoAdministradoRotina-2.0",
}
VIDA_TOKEN = 1800  # seconds: 30 minutes, as ehr-auth
HL7 = "{urn:hl7-org:v3}"


@dataclass
class Estado:
    """What the peer holds; tests read and steer it (all under `trava`)."""

    trava: threading.Lock = field(default_factory=threading.Lock)
    tokens: dict[str, float] = field(default_factory=dict)  # token -> expiry (time.time)
    recebidos: Counter[str] = field(default_factory=Counter)  # Bundle identifier value -> 201s
    documentos: dict[str, dict[str, Any]] = field(default_factory=dict)  # rnds id -> bundle
    substituidos: set[str] = field(default_factory=set)
    excluidos: set[str] = field(default_factory=set)
    tokens_emitidos: int = 0
    respostas_422: int = 0
    fora_do_ar: str = ""  # "", "503"
    atraso: float = 0.0
    # Known only nationally: CPF/CNS absent from the national registry (EDS-MSG001).
    individuos_desconhecidos: set[str] = field(default_factory=set)
    # Expire every token right after this many accepted documents (token expiry mid-batch).
    expirar_tokens_apos: int | None = None
    # CADSUS queries received, as (path, X-Authorization-GovBr value).
    consultas_cadsus: list[tuple[str, str]] = field(default_factory=list)
    # Refuse the plain PDQ path (403), as CADSUS does for PEC since 5.1.14.
    cadsus_exige_govbr: bool = False

    def expirar_tokens(self) -> None:
        with self.trava:
            self.tokens = dict.fromkeys(self.tokens, 0.0)


def _operation_outcome(codigo: str, texto: str) -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "processing", "diagnostics": f"({codigo}) {texto}"}],
    }


class _Handler(BaseHTTPRequestHandler):
    server: _Servidor
    protocol_version = "HTTP/1.1"

    def log_message(self, formato: str, *args: Any) -> None:  # quiet: tests run many requests
        return

    @property
    def estado(self) -> Estado:
        return self.server.estado

    def _responder(
        self,
        status: int,
        corpo: bytes | dict[str, Any] = b"",
        cabecalhos: dict[str, str] | None = None,
        tipo: str = "application/fhir+json",
    ) -> None:
        dados = json.dumps(corpo).encode() if isinstance(corpo, dict) else corpo
        self.send_response(status)
        for nome, valor in (cabecalhos or {}).items():
            self.send_header(nome, valor)
        if dados:
            self.send_header("Content-Type", tipo)
        self.send_header("Content-Length", str(len(dados)))
        self.end_headers()
        self.wfile.write(dados)

    def _corpo(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _indisponivel(self) -> bool:
        if self.estado.fora_do_ar == "503":
            self._responder(503, _operation_outcome("EHR-ERR845", "Serviço temporariamente indisponível"))
            return True
        return False

    def _certificado_cliente(self) -> bool:
        return bool(self.connection.getpeercert())

    def _token_valido(self, valor: str) -> bool:
        with self.estado.trava:
            return self.estado.tokens.get(valor, 0.0) > time.time()

    # --- ehr-auth ------------------------------------------------------------------------
    def do_GET(self) -> None:
        if self._indisponivel():
            return
        if self.path.startswith("/api/identifier?"):
            if self._autorizado():
                self._responder(200, self._versoes(parse_qs(urlsplit(self.path).query)), tipo="application/json")
            return
        if self.path in ("/api/token", "/api/osb/token"):
            if not self._certificado_cliente():
                self._responder(401, {"error": "certificado de cliente obrigatório"}, tipo="application/json")
                return
            token = "sim." + secrets.token_urlsafe(24)
            with self.estado.trava:
                self.estado.tokens[token] = time.time() + VIDA_TOKEN
                self.estado.tokens_emitidos += 1
            self._responder(
                200,
                {"access_token": token, "scope": "read write", "token_type": "jwt", "expires_in": VIDA_TOKEN * 1000},
                tipo="application/json",
            )
            return
        self._responder(404, _operation_outcome("EHR-ERR404", "Recurso não encontrado"))

    # --- ehr-services -----------------------------------------------------------------------
    def _autorizado(self) -> bool:
        token = self.headers.get("X-Authorization-Server", "").removeprefix("Bearer ").strip()
        if not self._token_valido(token):
            self._responder(
                401,
                _operation_outcome(
                    "EHR-ERR882", "O token de certificado usado para autorizar o acesso não é válido. JWT expired"
                ),
            )
            return False
        if not re.fullmatch(r"\d{15}", self.headers.get("Authorization", "")):
            self._responder(
                403,
                _operation_outcome(
                    "EHR-ERR906", "O profissional informado no cabeçalho Authorization não possui vínculo autorizado"
                ),
            )
            return False
        return True

    def _versoes(self, consulta: dict[str, list[str]]) -> bytes:
        """Every document stored under (system, value) of that docType, oldest first, as
        {id, cns, date, relatesTo, status}; replaced or deleted ones are entered-in-error."""
        sistema, valor = consulta.get("system", [""])[0], consulta.get("value", [""])[0]
        tipo = consulta.get("docType", [""])[0]
        versoes = []
        with self.estado.trava:
            for rnds_id, bundle in self.estado.documentos.items():
                composicao = bundle["entry"][0]["resource"]
                if (
                    bundle.get("identifier") != {"system": sistema, "value": valor}
                    or _tipo_documento(composicao) != tipo
                ):
                    continue
                alvos = [
                    str(r["targetReference"]["reference"]).removeprefix("Composition/")
                    for r in composicao.get("relatesTo") or []
                ]
                inativo = rnds_id in self.estado.substituidos or rnds_id in self.estado.excluidos
                versoes.append(
                    {
                        "id": rnds_id,
                        "cns": str(composicao["subject"]["identifier"]["value"]),
                        "date": bundle.get("timestamp", ""),
                        "relatesTo": [
                            {"code": "replaces", "targetReference": {"type": "Composition", "id": alvo}}
                            for alvo in alvos
                        ],
                        "status": "entered-in-error" if inativo else "final",
                    }
                )
        return json.dumps(versoes).encode()

    def do_POST(self) -> None:
        if self._indisponivel():
            return
        if self.path.startswith("/cadsus/"):
            self._cadsus()
            return
        if self.path != "/api/fhir/r4/Bundle":
            self._responder(404, _operation_outcome("EHR-ERR404", "Recurso não encontrado"))
            return
        corpo = self._corpo()
        if not self._autorizado():
            return
        if self.estado.atraso:
            time.sleep(self.estado.atraso)
        try:
            bundle = json.loads(corpo)
        except ValueError:
            self._responder(400, _operation_outcome("EHR-ERR400", "JSON inválido"))
            return
        status, resposta, cabecalhos = self._receber(bundle)
        self._responder(status, resposta, cabecalhos)

    def _receber(self, bundle: dict[str, Any]) -> tuple[int, dict[str, Any] | bytes, dict[str, str]]:
        erro = _regras(bundle)
        ident = (bundle.get("identifier") or {}).get("value", "")
        composicao = ((bundle.get("entry") or [{}])[0]).get("resource") or {}
        relates = composicao.get("relatesTo") or []
        with self.estado.trava:
            if not erro and relates:
                alvo = str((relates[0].get("targetReference") or {}).get("reference", "")).removeprefix("Composition/")
                original = self.estado.documentos.get(alvo)
                if original is None:
                    erro = ("EHR-ERR871", f"Documento a ser substituído não encontrado: {alvo}")
                elif alvo in self.estado.substituidos:
                    erro = (
                        "EHR-ERR870",
                        "O documento já foi substituído e não pode ser substituído novamente (MSG009)",
                    )
                elif (original.get("identifier") or {}) != (bundle.get("identifier") or {}):
                    erro = ("EHR-ERR872", "O identificador do documento substituto difere do original (MSG007)")
            elif not erro and ident in self.estado.recebidos:
                erro = ("EHR-ERR866", "O identifier informado já foi utilizado (EDS-MSG010)")
            paciente = str(((composicao.get("subject") or {}).get("identifier") or {}).get("value", ""))
            if not erro and paciente in self.estado.individuos_desconhecidos:
                erro = ("EDS-MSG001", f"Indivíduo {paciente} não encontrado no CADSUS (ERR895)")
            if erro:
                self.estado.respostas_422 += 1
                return 422, _operation_outcome(*erro), {}
            rnds_id = f"{uuid.uuid4()}-r3x7"
            self.estado.documentos[rnds_id] = bundle
            self.estado.recebidos[ident] += 1
            if relates:
                self.estado.substituidos.add(alvo)
            if (
                self.estado.expirar_tokens_apos is not None
                and sum(self.estado.recebidos.values()) >= self.estado.expirar_tokens_apos
            ):
                self.estado.tokens = dict.fromkeys(self.estado.tokens, 0.0)
                self.estado.expirar_tokens_apos = None
        local = f"https://{self.headers.get('Host', '127.0.0.1')}/api/fhir/r4/Bundle/{rnds_id}"
        return 201, b"", {"Location": local, "Content-Location": local}

    def do_DELETE(self) -> None:
        if self._indisponivel():
            return
        casamento = re.fullmatch(r"/api/fhir/r4/Bundle/([\w-]+)", self.path)
        if not casamento:
            self._responder(404, _operation_outcome("EHR-ERR404", "Recurso não encontrado"))
            return
        if not self._autorizado():
            return
        rnds_id = casamento.group(1)
        with self.estado.trava:
            if rnds_id not in self.estado.documentos or rnds_id in self.estado.excluidos:
                status = 410 if rnds_id in self.estado.excluidos else 404
            else:
                self.estado.excluidos.add(rnds_id)
                status = 204
        self._responder(
            status, b"" if status == 204 else _operation_outcome("EHR-ERR410", "Documento inexistente ou excluído")
        )

    # --- CADSUS PDQ -------------------------------------------------------------------------
    def _cadsus(self) -> None:
        """PDQ over SOAP 1.2 at /cadsus/v2/PDQSupplierJWT (osb token) and its gov.br variant
        /cadsus/v2/PDQSupplierJWTGovBR, which also needs the logged user's gov.br access
        token in X-Authorization-GovBr (only its presence is checked here: this peer is no
        gov.br)."""
        corpo = self._corpo()
        token = self.headers.get("Authorization", "").removeprefix("jwt ").strip()
        govbr = self.headers.get("X-Authorization-GovBr", "").strip()
        with self.estado.trava:
            self.estado.consultas_cadsus.append((self.path, govbr))
        if self.path not in ("/cadsus/v2/PDQSupplierJWT", "/cadsus/v2/PDQSupplierJWTGovBR"):
            self._responder(404, b"servico inexistente", tipo="text/plain")
            return
        if not self._token_valido(token):
            self._responder(401, b"token invalido", tipo="text/plain")
            return
        if self.path.endswith("GovBR") and not govbr:
            self._responder(403, b"token gov.br ausente", tipo="text/plain")
            return
        if not self.path.endswith("GovBR") and self.estado.cadsus_exige_govbr:
            self._responder(403, b"acesso somente com gov.br", tipo="text/plain")
            return
        try:
            raiz = ET.fromstring(corpo)
        except ET.ParseError:
            self._responder(400, b"XML invalido", tipo="text/plain")
            return
        self._responder(200, _pdq_resposta(raiz), tipo="application/soap+xml; charset=utf-8")


def _tipo_documento(composicao: dict[str, Any]) -> str:
    return str(((composicao.get("type") or {}).get("coding") or [{}])[0].get("code", ""))


def _regras(bundle: dict[str, Any]) -> tuple[str, str] | None:
    """The RNDS rules this peer checks: an independent subset, not rnds.perfis."""
    if bundle.get("type") != "document":
        return ("EHR-ERR923", "O Bundle deve ser do tipo document")
    entradas = bundle.get("entry") or []
    composicao = (entradas[0].get("resource") if entradas else None) or {}
    if composicao.get("resourceType") != "Composition":
        return ("EHR-ERR922", "A primeira entrada do Bundle deve ser uma Composition")
    perfis = (composicao.get("meta") or {}).get("profile") or []
    if not perfis:
        return ("EHR-ERR887", "O perfil (meta.profile) é obrigatório")
    if not set(perfis) & PERFIS_DOCUMENTO:
        return ("EHR-ERR862", f"Perfil inválido: {perfis[0]}")
    if not str((bundle.get("identifier") or {}).get("system", "")).startswith(
        "http://www.saude.gov.br/fhir/r4/NamingSystem/BRRNDS-"
    ):
        return ("EHR-ERR881", "Você não possui autorização para utilizar esse sistema de origem")
    paciente = str(((composicao.get("subject") or {}).get("identifier") or {}).get("value", ""))
    if not re.fullmatch(r"\d{11}|\d{15}", paciente):
        return ("EDS-MSG001", f"Identificador do indivíduo inválido: {paciente!r} (CPF ou CNS)")
    for entrada in entradas:
        recurso = entrada.get("resource") or {}
        if recurso.get("resourceType") == "Encounter" and (recurso.get("class") or {}).get("code") in ("01", "07"):
            periodo = recurso.get("period") or {}
            if periodo.get("start") != periodo.get("end"):
                return (
                    "EHR-ERR793",
                    "Para a modalidade assistencial informada, Encounter.period.start e "
                    f"Encounter.period.end devem ser iguais (Composition ID: {entradas[0].get('fullUrl')})",
                )
        if recurso.get("resourceType") == "Immunization":
            quando = recurso.get("occurrenceDateTime", "")
            try:
                data = datetime.datetime.fromisoformat(quando)
            except ValueError:
                return ("EHR-ERR830", f"occurrenceDateTime inválido: {quando!r}")
            agora = datetime.datetime.now(data.tzinfo) if data.tzinfo else datetime.datetime.now()
            if data > agora + datetime.timedelta(minutes=5):
                return ("EHR-ERR830", "A data de aplicação (occurrenceDateTime) não pode ser futura")
    return None


def _pdq_resposta(pedido: ET.Element) -> bytes:
    """Answer from the fixture when the query names its person (CNS, CPF-less here, or
    name); otherwise a "not found" (NF) acknowledgement."""
    fixture = FIXTURE_CADSUS.read_text(encoding="utf-8").replace('xmlns="hl7-org:v3"', 'xmlns="urn:hl7-org:v3"')
    pessoa = ET.fromstring(fixture)
    cns_fixture = "799000000000101"
    nome_fixture = "CIDADAO FICTICIO DA SILVA"
    ident = pedido.find(f".//{HL7}livingSubjectId/{HL7}value")
    nome = pedido.find(f".//{HL7}livingSubjectName/{HL7}value/{HL7}given")
    achou = (ident is not None and ident.get("extension") == cns_fixture) or (
        nome is not None and (nome.text or "").strip().upper() == nome_fixture
    )
    if not achou:
        ack = pessoa.find(f".//{HL7}queryAck/{HL7}queryResponseCode")
        if ack is not None:
            ack.set("code", "NF")
        controle = pessoa.find(f".//{HL7}controlActProcess")
        sujeito = pessoa.find(f".//{HL7}controlActProcess/{HL7}subject")
        if controle is not None and sujeito is not None:
            controle.remove(sujeito)
    envelope = (
        '<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope">'
        "<soap:Body>" + ET.tostring(pessoa, encoding="unicode") + "</soap:Body></soap:Envelope>"
    )
    return envelope.encode()


class _Servidor(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    estado: Estado

    def handle_error(self, request: Any, client_address: Any) -> None:
        return  # a client that hung up mid-answer (a killed worker) is part of the tests


class SimuladorNacional:
    """Start/stop the peer in a thread: `with SimuladorNacional(arquivos) as sim: sim.url`."""

    def __init__(self, arquivos: ArquivosTeste, *, porta: int = 0) -> None:
        self.arquivos = arquivos
        self.estado = Estado()
        self._porta = porta
        self._servidor: _Servidor | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.porta}"

    @property
    def porta(self) -> int:
        return self._porta

    def _contexto(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(self.arquivos.servidor_cert, self.arquivos.servidor_chave)
        ctx.load_verify_locations(self.arquivos.ca)
        # Optional at the handshake: the token endpoints then refuse a connection without
        # one (ehr-services itself authenticates by token, not certificate).
        ctx.verify_mode = ssl.CERT_OPTIONAL
        return ctx

    def iniciar(self) -> SimuladorNacional:
        servidor = _Servidor(("127.0.0.1", self._porta), _Handler, bind_and_activate=False)
        servidor.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        servidor.server_bind()
        servidor.server_activate()
        # The handshake happens in the connection's thread, not in the accepting loop.
        servidor.socket = self._contexto().wrap_socket(servidor.socket, server_side=True, do_handshake_on_connect=False)
        servidor.estado = self.estado
        self._porta = servidor.server_address[1]
        self._servidor = servidor
        self._thread = threading.Thread(target=servidor.serve_forever, name="simulador-nacional", daemon=True)
        self._thread.start()
        return self

    def parar(self) -> None:
        """Go down: the port is closed, so clients get "connection refused"."""
        if self._servidor is not None:
            self._servidor.shutdown()
            self._servidor.server_close()
            self._servidor = None

    def __enter__(self) -> SimuladorNacional:
        return self.iniciar()

    def __exit__(self, *exc: object) -> None:
        self.parar()
