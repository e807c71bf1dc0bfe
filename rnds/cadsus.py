"""CADSUS look-up: IHE PDQv3 (HL7v3 over SOAP 1.2), `PRPA_IN201305UV02` → `PRPA_IN201306UV02`.

The query goes with the JWT of ehr-auth's /api/osb/token (mutual TLS with the A1; see
docs/integracoes/cadsus.md). A result becomes the local cidadão through
prontuario.cadastro.services (cidadao_cadastrar / cidadao_atualizar), never written here.

Code traps: CADSUS raça/cor 01 branca, 02 preta, 03 parda, 04 amarela, 05 indígena,
99 sem informação; LEDI (our Cidadao) 1 branca, 2 preta, 3 amarela, 4 parda, 5 indígena.
Sexo M/F/I → LEDI 0/1/4. CADSUS cities have 6 digits (no IBGE check digit).
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree as ET
from xml.sax.saxutils import quoteattr

from django.core.exceptions import ValidationError
from django.utils import timezone

from dados import municipios
from pec.models import Lotacao
from prontuario.cadastro.services import cidadao_atualizar, cidadao_cadastrar
from prontuario.models import Cidadao
from rnds import cliente
from rnds.models import CertificadoA1, ConfiguracaoRNDS

OID_CNS = "2.16.840.1.113883.13.236"
OID_CPF = "2.16.840.1.113883.13.237"
RACA_CADSUS_PARA_LEDI = {"01": 1, "02": 2, "03": 4, "04": 3, "05": 5}
SEXO_CADSUS_PARA_LEDI = {"M": 0, "F": 1, "I": 4}
SEXO_ROTULO = {"M": "Masculino", "F": "Feminino", "I": "Ignorado"}
SEM_INFORMACAO = "SEM INFORMAÇÃO"
_HL7_NAMESPACES = ("urn:hl7-org:v3", "hl7-org:v3")  # the fixture (and some servers) drop "urn:"
_IBGE_7 = {codigo[:6]: codigo for codigo in municipios()}


class CadsusIndisponivel(Exception):
    """No certificate, not configured, or the service did not answer (pt-BR message)."""


@dataclass(frozen=True)
class PessoaCadsus:
    nome: str
    data_nascimento: datetime.date | None
    sexo: str  # M/F/I as CADSUS says
    raca_cadsus: str
    cns: str
    cpf: str
    nome_mae: str
    nome_pai: str
    municipio_nascimento_ibge: str
    cep: str
    logradouro: str
    numero: str
    complemento: str
    bairro: str

    @property
    def sexo_rotulo(self) -> str:
        return SEXO_ROTULO.get(self.sexo, "—")


def pdq_pedido(*, cpf: str = "", cns: str = "", nome: str = "", nascimento: datetime.date | None = None) -> bytes:
    """The SOAP 1.2 envelope of a PDQ query by CPF, CNS, or name + birth date."""
    if cpf or cns:
        parametros = (
            f'<livingSubjectId><value root="{OID_CPF if cpf else OID_CNS}" extension={quoteattr(cpf or cns)}/>'
            "<semanticsText>LivingSubject.id</semanticsText></livingSubjectId>"
        )
    else:
        parametros = (
            f"<livingSubjectBirthTime><value value={quoteattr(nascimento.strftime('%Y%m%d') if nascimento else '')}/>"
            "<semanticsText>LivingSubject.birthTime</semanticsText></livingSubjectBirthTime>"
            f'<livingSubjectName><value use="L"><given>{_escapar(nome.upper())}</given></value>'
            "<semanticsText>LivingSubject.given</semanticsText></livingSubjectName>"
        )
    agora = timezone.now().strftime("%Y%m%d%H%M%S")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body>'
        '<PRPA_IN201305UV02 xmlns="urn:hl7-org:v3" ITSVersion="XML_1.0">'
        f'<id root="2.16.840.1.113883.4.714" extension="{uuid.uuid4().hex[:20]}"/>'
        f'<creationTime value="{agora}"/>'
        '<interactionId root="2.16.840.1.113883.1.6" extension="PRPA_IN201305UV02"/>'
        '<processingCode code="P"/><processingModeCode code="T"/><acceptAckCode code="AL"/>'
        '<receiver typeCode="RCV"><device classCode="DEV" determinerCode="INSTANCE">'
        '<id root="2.16.840.1.113883.3.72.6.5.100.85"/></device></receiver>'
        '<sender typeCode="SND"><device classCode="DEV" determinerCode="INSTANCE">'
        '<id root="2.16.840.1.113883.3.72.6.2"/><name>PEC</name></device></sender>'
        '<controlActProcess classCode="CACT" moodCode="EVN">'
        '<code code="PRPA_TE201305UV02" codeSystem="2.16.840.1.113883.1.6"/>'
        f'<queryByParameter><queryId root="1.2.840.114350.1.13.28.1.18.5.999" extension="{uuid.uuid4().hex[:10]}"/>'
        '<statusCode code="new"/><responseModalityCode code="R"/><responsePriorityCode code="I"/>'
        f"<parameterList>{parametros}</parameterList></queryByParameter>"
        "</controlActProcess></PRPA_IN201305UV02></soap:Body></soap:Envelope>"
    ).encode()


def _escapar(texto: str) -> str:
    return texto.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _local(elemento: ET.Element) -> str:
    return elemento.tag.rsplit("}", 1)[-1]


def _filho(elemento: ET.Element | None, *caminho: str) -> ET.Element | None:
    """Namespace-agnostic descent by local names."""
    atual = elemento
    for nome in caminho:
        if atual is None:
            return None
        atual = next((f for f in atual if _local(f) == nome), None)
    return atual


def _texto(elemento: ET.Element | None, *caminho: str) -> str:
    alvo = _filho(elemento, *caminho)
    return (alvo.text or "").strip() if alvo is not None else ""


def _codigo(elemento: ET.Element | None) -> str | None:
    """The `code` attribute of an element that may be absent ("" when it is)."""
    return elemento.get("code") if elemento is not None else ""


def _todos(raiz: ET.Element, nome: str) -> list[ET.Element]:
    return [e for e in raiz.iter() if _local(e) == nome]


def pdq_interpretar(resposta: bytes) -> list[PessoaCadsus]:
    """The people of a PRPA_IN201306UV02 (inside a SOAP envelope or bare). NF → []."""
    raiz = ET.fromstring(resposta)
    ack = next(iter(_todos(raiz, "queryResponseCode")), None)
    if ack is not None and ack.get("code") != "OK":
        return []
    pessoas = []
    for pessoa in _todos(raiz, "patientPerson"):
        ids = {
            i.get("root"): i.get("extension", "")
            for outros in _todos(pessoa, "asOtherIDs")
            for i in outros
            if _local(i) == "id"
        }
        parentes = {
            _codigo(_filho(rel, "code")): _texto(rel, "relationshipHolder1", "name", "given")
            for rel in pessoa
            if _local(rel) == "personalRelationship"
        }
        nascido = _filho(pessoa, "birthTime")
        nascimento = (nascido.get("value", "") if nascido is not None else "")[:8]
        cidade = _texto(pessoa, "birthPlace", "addr", "city")
        raca = _filho(pessoa, "raceCode")
        sexo = _filho(pessoa, "administrativeGenderCode")
        endereco = _filho(pessoa, "addr")
        pessoas.append(
            PessoaCadsus(
                nome=_texto(pessoa, "name", "given"),
                data_nascimento=datetime.datetime.strptime(nascimento, "%Y%m%d").date()
                if len(nascimento) == 8
                else None,
                sexo=sexo.get("code", "") if sexo is not None else "",
                raca_cadsus=raca.get("code", "") if raca is not None else "",
                cns=ids.get(OID_CNS, ""),
                cpf=ids.get(OID_CPF, ""),
                nome_mae="" if parentes.get("PRN", "").upper() == SEM_INFORMACAO else parentes.get("PRN", ""),
                nome_pai="" if parentes.get("NPRN", "").upper() == SEM_INFORMACAO else parentes.get("NPRN", ""),
                municipio_nascimento_ibge=_IBGE_7.get(cidade[:6], ""),
                cep=_texto(endereco, "postalCode"),
                logradouro=_texto(endereco, "streetName"),
                numero=_texto(endereco, "houseNumber"),
                complemento=_texto(endereco, "unitID"),
                bairro=_texto(endereco, "additionalLocator"),
            )
        )
    return pessoas


def cadsus_buscar(
    *,
    config: ConfiguracaoRNDS,
    cert: CertificadoA1 | None,
    cpf: str = "",
    cns: str = "",
    nome: str = "",
    nascimento: datetime.date | None = None,
    govbr_token: str | None = None,
) -> list[PessoaCadsus]:
    """`govbr_token`: the access token of the user's gov.br login, when they entered so."""
    if cert is None or cert.valido_ate <= timezone.now():
        raise CadsusIndisponivel("O município não tem certificado A1 válido instalado (Administração › RNDS).")
    try:
        resposta = cliente.cadsus_soap(
            config=config,
            cert=cert,
            envelope=pdq_pedido(cpf=cpf, cns=cns, nome=nome, nascimento=nascimento),
            govbr_token=govbr_token,
        )
    except cliente.CadsusRecusou as exc:
        if govbr_token:
            raise CadsusIndisponivel(
                "O CADSUS recusou a consulta com a sua conta gov.br. Saia e entre de novo pelo gov.br."
            ) from exc
        raise CadsusIndisponivel(
            "O CADSUS recusou a consulta: ele exige a entrada com a conta gov.br. Saia e entre pelo gov.br."
        ) from exc
    except cliente.EnderecoNaoPermitido as exc:
        raise CadsusIndisponivel(str(exc)) from exc
    except cliente.FalhaRNDS as exc:
        raise CadsusIndisponivel("O CADSUS não respondeu agora. Tente de novo em alguns minutos.") from exc
    return pdq_interpretar(resposta)


def dados_cidadao(pessoa: PessoaCadsus, *, atual: Cidadao | None = None) -> dict[str, Any]:
    """The prontuario.cadastro.services `dados` for a CADSUS person: only what CADSUS knows; on an
    update, "sem informação" never erases what the municipality recorded."""
    dados: dict[str, Any] = {
        "nome": pessoa.nome.title(),
        "cns": pessoa.cns,
        "cpf": pessoa.cpf,
        "data_nascimento": pessoa.data_nascimento,
        "sexo": SEXO_CADSUS_PARA_LEDI.get(pessoa.sexo),
        "raca_cor": RACA_CADSUS_PARA_LEDI.get(pessoa.raca_cadsus),
        "nome_mae": pessoa.nome_mae.title(),
        "mae_desconhecida": not pessoa.nome_mae,
        "nome_pai": pessoa.nome_pai.title(),
        "pai_desconhecido": not pessoa.nome_pai,
        "municipio_nascimento_ibge": pessoa.municipio_nascimento_ibge,
        "cep": pessoa.cep if len(pessoa.cep) == 8 else "",
        "logradouro": pessoa.logradouro.title(),
        "numero": pessoa.numero[:10],
        "complemento": pessoa.complemento.title()[:60],
        "bairro": pessoa.bairro.title()[:72],
    }
    dados = {k: v for k, v in dados.items() if v not in (None, "")}
    if atual is not None:
        # Unknown in CADSUS but known here: keep ours.
        for campo, marca in (("nome_mae", "mae_desconhecida"), ("nome_pai", "pai_desconhecido")):
            if dados.get(marca) and getattr(atual, campo):
                dados.pop(marca)
    return dados


def cadsus_importar(*, lotacao: Lotacao, pessoa: PessoaCadsus) -> tuple[Cidadao, bool]:
    """Create the local cidadão from CADSUS, or update the one with the same CNS/CPF.
    Returns (cidadão, created). ValidationError carries what the user must complete."""
    filtro = Cidadao.objects.filter(municipio_id=lotacao.municipio_id, ativo=True)
    atual = None
    if pessoa.cns:
        atual = filtro.filter(cns=pessoa.cns).first()
    if atual is None and pessoa.cpf:
        atual = filtro.filter(cpf=pessoa.cpf).first()
    dados = dados_cidadao(pessoa, atual=atual)
    if atual is not None:
        return cidadao_atualizar(lotacao=lotacao, cidadao=atual, dados=dados, confirmar_duplicado=True), False
    if "raca_cor" not in dados:
        raise ValidationError("O CADSUS não informa a raça/cor deste cidadão: cadastre-o pelo formulário do cidadão.")
    return cidadao_cadastrar(lotacao=lotacao, dados=dados, confirmar_duplicado=True), True
