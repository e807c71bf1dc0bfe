"""LEDI APS 7.2.2 codec: fichas as plain dicts, to and from `.esus` (Thrift) and XML.

A ficha is a dict keyed by the official Thrift field names (nested dicts for structs,
lists for lists), so one mapping per ficha serves both variants. Nothing is generated:
- Thrift: the official IDL in sisab/esquemas/thrift is loaded at run time (thriftpy2)
  and serialised with TBinaryProtocol; the envelope `DadoTransporteThrift` carries the
  ficha itself serialised in `dadoSerializado`.
- XML: the official XSDs in sisab/esquemas/xsd fix the element order (every type is an
  `xs:sequence`); the writer walks them, and lxml validates the result against them.
Field names differ between the two layouts in one place in 7.2.2 (FAI child `cns` is
`cnsCidadao` in XML); `_XML_NOMES` maps it. Fields that exist in one layout only are
simply absent from the other.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import thriftpy2
from lxml import etree
from thriftpy2.protocol import TBinaryProtocolFactory
from thriftpy2.thrift import TType
from thriftpy2.utils import deserialize, serialize

ESQUEMAS = Path(__file__).resolve().parent / "esquemas"
THRIFT_DIR = ESQUEMAS / "thrift"
XSD_DIR = ESQUEMAS / "xsd"
VERSAO = {"major": 7, "minor": 2, "revision": 2}

NS_TRANSPORTE = "http://esus.ufsc.br/dadotransporte"
NS_INSTALACAO = "http://esus.ufsc.br/dadoinstalacao"
_XS = "{http://www.w3.org/2001/XMLSchema}"
_PROTOCOLO = TBinaryProtocolFactory()


class LediErro(ValueError):
    """A file that is not a valid LEDI ficha; the message says why, in Portuguese."""


@dataclass(frozen=True)
class TipoFicha:
    codigo: int
    nome: str
    thrift: str
    struct: str
    xsd: str
    elemento: str

    @property
    def namespace(self) -> str:
        return "http://esus.ufsc.br/" + self.elemento.removesuffix("Transport").lower()


# dicionario.txt §TipoDadoSerializado and thrift-xsd.txt.
TIPOS: dict[int, TipoFicha] = {
    t.codigo: t
    for t in [
        TipoFicha(2, "Cadastro Individual", "cadastro_individual.thrift", "CadastroIndividualThrift",
                  "cadastroindividual.xsd", "cadastroIndividualTransport"),
        TipoFicha(3, "Cadastro Domiciliar e Territorial", "cadastro_domiciliar.thrift", "CadastroDomiciliarThrift",
                  "cadastrodomiciliar.xsd", "cadastroDomiciliarTransport"),
        TipoFicha(4, "Atendimento Individual", "ficha_atendimento_individual.thrift",
                  "FichaAtendimentoIndividualMasterThrift", "fichaatendimentoindividualmaster.xsd",
                  "fichaAtendimentoIndividualMasterTransport"),
        TipoFicha(5, "Atendimento Odontológico", "ficha_atendimento_odonto.thrift",
                  "FichaAtendimentoOdontologicoMasterThrift", "fichaatendimentoodontologicomaster.xsd",
                  "fichaAtendimentoOdontologicoMasterTransport"),
        TipoFicha(6, "Atividade Coletiva", "ficha_atividade_coletiva.thrift", "FichaAtividadeColetivaThrift",
                  "fichaatividadecoletiva.xsd", "fichaAtividadeColetivaTransport"),
        TipoFicha(7, "Procedimentos", "ficha_atendimento_procedimento.thrift", "FichaProcedimentoMasterThrift",
                  "fichaprocedimentomaster.xsd", "fichaProcedimentoMasterTransport"),
        TipoFicha(8, "Visita Domiciliar e Territorial", "ficha_visita_domiciliar.thrift",
                  "FichaVisitaDomiciliarMasterThrift", "fichavisitadomiciliarmaster.xsd",
                  "fichaVisitaDomiciliarMasterTransport"),
        TipoFicha(10, "Atendimento Domiciliar", "ficha_atendimento_domiciliar.thrift",
                  "FichaAtendimentoDomiciliarMasterThrift", "fichaatendimentodomiciliarmaster.xsd",
                  "fichaAtendimentoDomiciliarMasterTransport"),
        TipoFicha(11, "Avaliação de Elegibilidade", "ficha_avaliacao_elegibilidade.thrift",
                  "FichaAvaliacaoElegibilidadeThrift", "fichaavaliacaoelegibilidade.xsd",
                  "fichaAvaliacaoElegibilidadeTransport"),
        TipoFicha(12, "Marcadores de Consumo Alimentar", "ficha_consumo_alimentar.thrift",
                  "FichaConsumoAlimentarThrift", "fichaconsumoalimentar.xsd", "fichaConsumoAlimentarTransport"),
        TipoFicha(13, "Complementar Zika/Microcefalia", "ficha_complementar_zika_microcefalia.thrift",
                  "FichaComplementarZikaMicrocefaliaThrift", "fichacomplementarzikamicrocefalia.xsd",
                  "fichaComplementarZikaMicrocefaliaTransport"),
        TipoFicha(14, "Vacinação", "ficha_vacinacao.thrift", "FichaVacinacaoMasterThrift",
                  "fichavacinacaomaster.xsd", "fichaVacinacaoMasterTransport"),
        TipoFicha(16, "Cuidado Compartilhado", "cuidado_compartilhado.thrift", "CuidadoCompartilhadoThrift",
                  "cuidadocompartilhado.xsd", "cuidadoCompartilhadoTransport"),
    ]
}

# (XSD complex type, XML element) -> Thrift field name, where the layouts disagree.
_XML_NOMES = {("fichaAtendimentoIndividualChildTransport", "cnsCidadao"): "cns"}


@dataclass(frozen=True)
class Instalacao:
    """`DadoInstalacaoThrift`: who created and who sent the data."""

    contra_chave: str
    uuid_instalacao: str
    cpf_ou_cnpj: str
    nome_ou_razao_social: str
    fone: str = ""
    email: str = ""
    versao_sistema: str = ""
    nome_banco_dados: str = "PostgreSQL"

    def como_dict(self) -> dict[str, str]:
        dados = {
            "contraChave": self.contra_chave,
            "uuidInstalacao": self.uuid_instalacao,
            "cpfOuCnpj": self.cpf_ou_cnpj,
            "nomeOuRazaoSocial": self.nome_ou_razao_social,
            "fone": self.fone,
            "email": self.email,
            "versaoSistema": self.versao_sistema,
            "nomeBancoDados": self.nome_banco_dados,
        }
        return {chave: valor for chave, valor in dados.items() if valor}


@dataclass
class DadoTransporte:
    """One file: one ficha and its envelope."""

    tipo: int
    ficha: dict[str, Any]
    uuid: str
    cnes: str
    cod_ibge: str
    remetente: dict[str, str]
    originadora: dict[str, str]
    ine: str = ""
    num_lote: int | None = None
    versao: dict[str, int] | None = None

    @property
    def tipo_ficha(self) -> TipoFicha:
        try:
            return TIPOS[self.tipo]
        except KeyError:
            raise LediErro(f"Tipo de ficha {self.tipo} desconhecido no LEDI 7.2.2.") from None


def novo_dado_transporte(
    *, tipo: int, ficha: dict[str, Any], cnes: str, cod_ibge: str, ine: str, instalacao: Instalacao,
    num_lote: int | None = None,
) -> DadoTransporte:
    """Envelope for a ficha created here: remetente = originadora = this installation, and
    the file's uuid is the ficha's own uuid (as in the official examples)."""
    uuid = ficha.get("uuidFicha") or ficha.get("uuid")
    if not uuid:
        raise ValueError("ficha has no uuid/uuidFicha")
    dados_instalacao = instalacao.como_dict()
    return DadoTransporte(
        tipo=tipo, ficha=ficha, uuid=uuid, cnes=cnes, cod_ibge=cod_ibge, ine=ine, num_lote=num_lote,
        remetente=dados_instalacao, originadora=dados_instalacao, versao=dict(VERSAO),
    )


# --- Thrift ---------------------------------------------------------------------------------


@functools.cache
def _modulo(arquivo: str) -> Any:
    return thriftpy2.load(str(THRIFT_DIR / arquivo), module_name=arquivo.replace(".", "_"),
                          include_dirs=[str(THRIFT_DIR)])


def _struct(tipo: TipoFicha) -> Any:
    return getattr(_modulo(tipo.thrift), tipo.struct)


def _para_thrift(cls: Any, dados: dict[str, Any]) -> Any:
    campos = {spec[1]: spec for spec in cls.thrift_spec.values()}
    desconhecidos = set(dados) - set(campos)
    if desconhecidos:
        raise KeyError(f"{cls.__name__} has no field(s) {sorted(desconhecidos)}")
    return cls(**{nome: _valor_thrift(campos[nome], valor) for nome, valor in dados.items() if valor is not None})


def _enum(tipo: Any) -> Any:
    """The enum class of an i32 field or list element, if it has one (values by name in the dict)."""
    return tipo if hasattr(tipo, "_NAMES_TO_VALUES") else None


def _valor_thrift(spec: tuple, valor: Any) -> Any:
    ttype = spec[0]
    if ttype == TType.STRUCT:
        return _para_thrift(spec[2], valor)
    if ttype == TType.LIST:
        elemento = spec[2]
        if isinstance(elemento, tuple) and elemento[0] == TType.STRUCT:
            return [_para_thrift(elemento[1], item) for item in valor]
        if isinstance(elemento, tuple) and _enum(elemento[1]):
            return [elemento[1]._NAMES_TO_VALUES[item] for item in valor]
        return list(valor)
    if ttype == TType.I32 and len(spec) == 4 and _enum(spec[2]):
        return spec[2]._NAMES_TO_VALUES[valor]
    return valor


def _de_thrift(obj: Any) -> dict[str, Any]:
    dados: dict[str, Any] = {}
    for spec in obj.thrift_spec.values():
        valor = getattr(obj, spec[1])
        if valor is None:
            continue
        if spec[0] == TType.STRUCT:
            valor = _de_thrift(valor)
        elif spec[0] == TType.LIST and isinstance(spec[2], tuple) and spec[2][0] == TType.STRUCT:
            valor = [_de_thrift(item) for item in valor]
        elif spec[0] == TType.LIST and isinstance(spec[2], tuple) and _enum(spec[2][1]):
            valor = [spec[2][1]._VALUES_TO_NAMES[item] for item in valor]
        elif spec[0] == TType.I32 and len(spec) == 4 and _enum(spec[2]):
            valor = spec[2]._VALUES_TO_NAMES[valor]
        dados[spec[1]] = valor
    return dados


def _envelope_cls() -> Any:
    return _modulo("dado_transporte.thrift").DadoTransporteThrift


def para_esus(dado: DadoTransporte) -> bytes:
    """The `.esus` file: DadoTransporteThrift with the ficha serialised inside."""
    ficha = serialize(_para_thrift(_struct(dado.tipo_ficha), dado.ficha), _PROTOCOLO)
    envelope = {
        "uuidDadoSerializado": dado.uuid,
        "tipoDadoSerializado": dado.tipo,
        "cnesDadoSerializado": dado.cnes,
        "codIbge": dado.cod_ibge,
        "ineDadoSerializado": dado.ine or None,
        "numLote": dado.num_lote,
        "dadoSerializado": ficha,
        "remetente": dado.remetente,
        "originadora": dado.originadora,
        "versao": dado.versao,
    }
    return serialize(_para_thrift(_envelope_cls(), envelope), _PROTOCOLO)


def de_esus(conteudo: bytes) -> DadoTransporte:
    try:
        envelope = _de_thrift(deserialize(_envelope_cls()(), conteudo, _PROTOCOLO))
        dado = DadoTransporte(
            tipo=envelope["tipoDadoSerializado"], ficha={}, uuid=envelope["uuidDadoSerializado"],
            cnes=envelope["cnesDadoSerializado"], cod_ibge=envelope.get("codIbge", ""),
            ine=envelope.get("ineDadoSerializado", ""), num_lote=envelope.get("numLote"),
            remetente=envelope["remetente"], originadora=envelope["originadora"], versao=envelope.get("versao"),
        )
        dado.ficha = _de_thrift(deserialize(_struct(dado.tipo_ficha)(), envelope["dadoSerializado"], _PROTOCOLO))
    except LediErro:
        raise
    except Exception as exc:  # thriftpy2 raises a variety of errors on bad input
        raise LediErro(f"Arquivo .esus ilegível como DadoTransporte LEDI 7.2.2 ({exc.__class__.__name__}).") from exc
    return dado


# --- XML ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ElementoXsd:
    nome: str
    tipo: tuple[str, str]  # (namespace, local name); namespace "xs" for built-in types
    repete: bool


@functools.cache
def _xsd() -> tuple[dict[tuple[str, str], list[_ElementoXsd]], dict[tuple[str, str], tuple[str, str]]]:
    """Every complex type's sequence, and every global element's type, from all XSD files."""
    tipos: dict[tuple[str, str], list[_ElementoXsd]] = {}
    globais: dict[tuple[str, str], tuple[str, str]] = {}
    for arquivo in sorted(XSD_DIR.glob("*.xsd")):
        raiz = etree.parse(str(arquivo)).getroot()
        tns = raiz.get("targetNamespace", "")

        def resolver(qname: str, no: etree._Element) -> tuple[str, str]:
            prefixo, _, local = qname.rpartition(":")
            namespace = no.nsmap.get(prefixo or None, "")
            return ("xs", local) if namespace == _XS[1:-1] else (namespace, local)

        for elemento in raiz.findall(f"{_XS}element"):
            globais[(tns, elemento.get("name"))] = resolver(elemento.get("type"), elemento)
        for complexo in raiz.findall(f"{_XS}complexType"):
            sequencia = []
            for filho in complexo.findall(f"{_XS}sequence/{_XS}element"):
                if filho.get("name") is None:
                    continue  # refs (remetente/originadora) are written by the envelope
                if filho.get("type"):
                    tipo = resolver(filho.get("type"), filho)
                else:  # an inline simpleType restriction
                    base = filho.find(f"{_XS}simpleType/{_XS}restriction").get("base")
                    tipo = resolver(base, filho)
                sequencia.append(_ElementoXsd(filho.get("name"), tipo, filho.get("maxOccurs") == "unbounded"))
            tipos[(tns, complexo.get("name"))] = sequencia
    return tipos, globais


def _texto(valor: Any) -> str:
    if isinstance(valor, bool):
        return "true" if valor else "false"
    return str(valor)


def _escrever(pai: etree._Element, tipo: tuple[str, str], dados: dict[str, Any]) -> None:
    tipos, _ = _xsd()
    for elemento in tipos[tipo]:
        chave = _XML_NOMES.get((tipo[1], elemento.nome), elemento.nome)
        valor = dados.get(chave)
        if valor is None:
            continue
        for item in valor if isinstance(valor, list) else [valor]:
            filho = etree.SubElement(pai, elemento.nome)
            if elemento.tipo in tipos:
                _escrever(filho, elemento.tipo, item)
            else:
                filho.text = _texto(item)


def para_xml(dado: DadoTransporte) -> bytes:
    """The XML variant (`dadoTransporteTransportXml`), in the element order of the XSD."""
    tipo = dado.tipo_ficha
    _, globais = _xsd()
    raiz = etree.Element(f"{{{NS_TRANSPORTE}}}dadoTransporteTransportXml",
                         nsmap={"ns2": NS_INSTALACAO, "ns3": NS_TRANSPORTE, "ns4": tipo.namespace})
    for nome, valor in [
        ("uuidDadoSerializado", dado.uuid), ("tipoDadoSerializado", dado.tipo), ("codIbge", dado.cod_ibge),
        ("cnesDadoSerializado", dado.cnes), ("ineDadoSerializado", dado.ine or None), ("numLote", dado.num_lote),
    ]:
        if valor is not None:
            etree.SubElement(raiz, nome).text = _texto(valor)
    ficha = etree.SubElement(raiz, f"{{{tipo.namespace}}}{tipo.elemento}")
    _escrever(ficha, globais[(tipo.namespace, tipo.elemento)], dado.ficha)
    for papel, dados in [("remetente", dado.remetente), ("originadora", dado.originadora)]:
        no = etree.SubElement(raiz, f"{{{NS_INSTALACAO}}}{papel}")
        _escrever(no, globais[(NS_INSTALACAO, papel)], dados)
    if dado.versao:
        etree.SubElement(raiz, "versao", {chave: str(dado.versao[chave]) for chave in ("major", "minor", "revision")})
    return etree.tostring(raiz, xml_declaration=True, encoding="UTF-8")


def _ler(no: etree._Element, tipo: tuple[str, str]) -> dict[str, Any]:
    tipos, _ = _xsd()
    por_nome = {elemento.nome: elemento for elemento in tipos[tipo]}
    dados: dict[str, Any] = {}
    for filho in no:
        if not isinstance(filho.tag, str):
            continue  # comments
        elemento = por_nome.get(etree.QName(filho).localname)
        if elemento is None:
            raise LediErro(f"Elemento inesperado <{etree.QName(filho).localname}> em {tipo[1]}.")
        chave = _XML_NOMES.get((tipo[1], elemento.nome), elemento.nome)
        valor = _ler(filho, elemento.tipo) if elemento.tipo in tipos else _do_texto(filho.text, elemento.tipo[1])
        if elemento.repete:
            dados.setdefault(chave, []).append(valor)
        elif valor is not None:
            dados[chave] = valor
    return dados


def _do_texto(texto: str | None, tipo_xs: str) -> Any:
    if texto is None or texto.strip() == "":
        return None
    texto = texto.strip()
    if tipo_xs in {"long", "int", "integer", "short"}:
        return int(texto)
    if tipo_xs == "boolean":
        return texto == "true"
    if tipo_xs in {"double", "float", "decimal"}:
        return float(texto)
    return texto


_PARSER_SEGURO = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def de_xml(conteudo: bytes) -> DadoTransporte:
    """Read and validate an XML ficha; LediErro names the first problem."""
    try:
        raiz = etree.fromstring(conteudo, _PARSER_SEGURO)
    except etree.XMLSyntaxError as exc:
        raise LediErro(f"XML malformado: {exc}") from exc
    if raiz.getroottree().docinfo.doctype:
        raise LediErro("XML com DOCTYPE não é aceito.")
    validar_xml(raiz)
    _, globais = _xsd()
    campos: dict[str, Any] = {}
    ficha_no = None
    for filho in raiz:
        if not isinstance(filho.tag, str):
            continue
        qname = etree.QName(filho)
        if qname.namespace in (None, "") and qname.localname != "versao":
            campos[qname.localname] = filho.text
        elif qname.localname == "versao":
            campos["versao"] = {chave: int(filho.get(chave)) for chave in ("major", "minor", "revision")}
        elif qname.namespace == NS_INSTALACAO:
            campos[qname.localname] = _ler(filho, globais[(NS_INSTALACAO, qname.localname)])
        else:
            ficha_no = filho
    tipo = TIPOS.get(int(campos["tipoDadoSerializado"]))
    if tipo is None or ficha_no is None or etree.QName(ficha_no) != etree.QName(tipo.namespace, tipo.elemento):
        raise LediErro("O elemento da ficha não corresponde ao tipoDadoSerializado.")
    return DadoTransporte(
        tipo=tipo.codigo, ficha=_ler(ficha_no, globais[(tipo.namespace, tipo.elemento)]),
        uuid=campos["uuidDadoSerializado"], cnes=campos.get("cnesDadoSerializado") or "",
        cod_ibge=campos.get("codIbge") or "", ine=campos.get("ineDadoSerializado") or "",
        num_lote=int(campos["numLote"]) if campos.get("numLote") else None,
        remetente=campos["remetente"], originadora=campos["originadora"], versao=campos.get("versao"),
    )


@functools.cache
def _esquema() -> etree.XMLSchema:
    """One schema importing the envelope and every ficha, so `xs:any` (lax) checks the ficha."""
    imports = [("http://esus.ufsc.br/dadotransporte", "dadotransporte.xsd")] + [
        (tipo.namespace, tipo.xsd) for tipo in TIPOS.values()
    ]
    fonte = '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">' + "".join(
        f'<xs:import namespace="{ns}" schemaLocation="{(XSD_DIR / arquivo).as_uri()}"/>' for ns, arquivo in imports
    ) + "</xs:schema>"
    return etree.XMLSchema(etree.fromstring(fonte.encode()))


def validar_xml(raiz: etree._Element) -> None:
    esquema = _esquema()
    if not esquema.validate(raiz):
        erro = esquema.error_log.last_error
        raise LediErro(f"XML não segue o XSD oficial do LEDI 7.2.2 (linha {erro.line}): {erro.message}")
