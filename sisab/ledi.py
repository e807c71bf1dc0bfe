"""LEDI APS 7.2.2 codec: fichas as plain dicts, to and from `.esus` (Thrift) and XML.

A ficha is a dict keyed by the official Thrift field names (nested dicts for structs,
lists for lists), so one mapping per ficha serves both variants. Nothing is generated:
- Thrift: the official IDL in sisab/esquemas/thrift is loaded at run time (thriftpy2)
  and serialised with TBinaryProtocol; the envelope `DadoTransporteThrift` carries the
  ficha itself serialised in `dadoSerializado`.
- XML: the official XSDs in sisab/esquemas/xsd fix the element order (every type is an
  `xs:sequence`); each type's fields are worked out once (`_campos`), the file is written
  as one string in that order and parsed back by lxml, and the tree is validated against
  the envelope plus the ficha type's own XSD, compiled once per type (`_esquema`).

Where XSD validation happens, and why not on every send: the XSD is the only machine-
readable statement of the layout's constraints (required elements, types, restrictions)
that both variants share, since the Thrift IDL checks little beyond field types; and a
ficha's content is the same dict in both. So every ficha is checked once, rules
(sisab.regras) and XSD, when it enters the ledger (sisab.envio.verificar); the stored,
checked dict is what the `.esus` carries, so Thrift export and delivery serialise it
without an XML detour. Every XML file we write is validated as written
(`validado_para_xml`: one string, one parse), and every XML file we receive is validated.
Field names differ between the two layouts in one place in 7.2.2 (FAI child `cns` is
`cnsCidadao` in XML); `_XML_NOMES` maps it. Fields that exist in one layout only are
simply absent from the other.
"""

from __future__ import annotations

import functools
import re
import struct
from collections.abc import Callable
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
        TipoFicha(
            2,
            "Cadastro Individual",
            "cadastro_individual.thrift",
            "CadastroIndividualThrift",
            "cadastroindividual.xsd",
            "cadastroIndividualTransport",
        ),
        TipoFicha(
            3,
            "Cadastro Domiciliar e Territorial",
            "cadastro_domiciliar.thrift",
            "CadastroDomiciliarThrift",
            "cadastrodomiciliar.xsd",
            "cadastroDomiciliarTransport",
        ),
        TipoFicha(
            4,
            "Atendimento Individual",
            "ficha_atendimento_individual.thrift",
            "FichaAtendimentoIndividualMasterThrift",
            "fichaatendimentoindividualmaster.xsd",
            "fichaAtendimentoIndividualMasterTransport",
        ),
        TipoFicha(
            5,
            "Atendimento Odontológico",
            "ficha_atendimento_odonto.thrift",
            "FichaAtendimentoOdontologicoMasterThrift",
            "fichaatendimentoodontologicomaster.xsd",
            "fichaAtendimentoOdontologicoMasterTransport",
        ),
        TipoFicha(
            6,
            "Atividade Coletiva",
            "ficha_atividade_coletiva.thrift",
            "FichaAtividadeColetivaThrift",
            "fichaatividadecoletiva.xsd",
            "fichaAtividadeColetivaTransport",
        ),
        TipoFicha(
            7,
            "Procedimentos",
            "ficha_atendimento_procedimento.thrift",
            "FichaProcedimentoMasterThrift",
            "fichaprocedimentomaster.xsd",
            "fichaProcedimentoMasterTransport",
        ),
        TipoFicha(
            8,
            "Visita Domiciliar e Territorial",
            "ficha_visita_domiciliar.thrift",
            "FichaVisitaDomiciliarMasterThrift",
            "fichavisitadomiciliarmaster.xsd",
            "fichaVisitaDomiciliarMasterTransport",
        ),
        TipoFicha(
            10,
            "Atendimento Domiciliar",
            "ficha_atendimento_domiciliar.thrift",
            "FichaAtendimentoDomiciliarMasterThrift",
            "fichaatendimentodomiciliarmaster.xsd",
            "fichaAtendimentoDomiciliarMasterTransport",
        ),
        TipoFicha(
            11,
            "Avaliação de Elegibilidade",
            "ficha_avaliacao_elegibilidade.thrift",
            "FichaAvaliacaoElegibilidadeThrift",
            "fichaavaliacaoelegibilidade.xsd",
            "fichaAvaliacaoElegibilidadeTransport",
        ),
        TipoFicha(
            12,
            "Marcadores de Consumo Alimentar",
            "ficha_consumo_alimentar.thrift",
            "FichaConsumoAlimentarThrift",
            "fichaconsumoalimentar.xsd",
            "fichaConsumoAlimentarTransport",
        ),
        TipoFicha(
            13,
            "Complementar Zika/Microcefalia",
            "ficha_complementar_zika_microcefalia.thrift",
            "FichaComplementarZikaMicrocefaliaThrift",
            "fichacomplementarzikamicrocefalia.xsd",
            "fichaComplementarZikaMicrocefaliaTransport",
        ),
        TipoFicha(
            14,
            "Vacinação",
            "ficha_vacinacao.thrift",
            "FichaVacinacaoMasterThrift",
            "fichavacinacaomaster.xsd",
            "fichaVacinacaoMasterTransport",
        ),
        TipoFicha(
            16,
            "Cuidado Compartilhado",
            "cuidado_compartilhado.thrift",
            "CuidadoCompartilhadoThrift",
            "cuidadocompartilhado.xsd",
            "cuidadoCompartilhadoTransport",
        ),
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
    *,
    tipo: int,
    ficha: dict[str, Any],
    cnes: str,
    cod_ibge: str,
    ine: str,
    instalacao: Instalacao,
    num_lote: int | None = None,
) -> DadoTransporte:
    """Envelope for a ficha created here: remetente = originadora = this installation, and
    the file's uuid is the ficha's own uuid (as in the official examples)."""
    uuid = ficha.get("uuidFicha") or ficha.get("uuid")
    if not uuid:
        raise ValueError("ficha has no uuid/uuidFicha")
    dados_instalacao = instalacao.como_dict()
    return DadoTransporte(
        tipo=tipo,
        ficha=ficha,
        uuid=uuid,
        cnes=cnes,
        cod_ibge=cod_ibge,
        ine=ine,
        num_lote=num_lote,
        remetente=dados_instalacao,
        originadora=dados_instalacao,
        versao=dict(VERSAO),
    )


# --- Thrift ---------------------------------------------------------------------------------


@functools.cache
def _modulo(arquivo: str) -> Any:
    return thriftpy2.load(
        str(THRIFT_DIR / arquivo), module_name=arquivo.replace(".", "_"), include_dirs=[str(THRIFT_DIR)]
    )


def _struct(tipo: TipoFicha) -> Any:
    return getattr(_modulo(tipo.thrift), tipo.struct)


def _para_thrift(cls: Any, dados: dict[str, Any]) -> Any:
    conversores = _conversores(cls)
    if not conversores.keys() >= dados.keys():
        raise KeyError(f"{cls.__name__} has no field(s) {sorted(dados.keys() - conversores.keys())}")
    valores = {}
    for nome, valor in dados.items():
        if valor is not None:
            converter = conversores[nome]
            valores[nome] = valor if converter is None else converter(valor)
    return cls(**valores)


def _enum(tipo: Any) -> Any:
    """The enum class of an i32 field or list element, if it has one (values by name in the dict)."""
    return tipo if hasattr(tipo, "_NAMES_TO_VALUES") else None


@functools.cache
def _conversores(cls: Any) -> dict[str, Callable[[Any], Any] | None]:
    """Per struct, field name -> how a dict value becomes a Thrift value (None: as is).
    Worked out once per class: the spec walk used to cost more than the serialisation."""
    return {spec[1]: _conversor(spec) for spec in cls.thrift_spec.values()}


def _conversor(spec: tuple[Any, ...]) -> Callable[[Any], Any] | None:
    ttype = spec[0]
    if ttype == TType.STRUCT:
        return functools.partial(_para_thrift, spec[2])
    if ttype == TType.LIST:
        elemento = spec[2]
        if isinstance(elemento, tuple) and elemento[0] == TType.STRUCT:
            # mypy cannot infer a lambda whose default argument binds the loop's value.
            return lambda itens, cls=elemento[1]: [_para_thrift(cls, item) for item in itens]  # type: ignore[misc]
        if isinstance(elemento, tuple) and _enum(elemento[1]):
            return lambda itens, nomes=elemento[1]._NAMES_TO_VALUES: [nomes[item] for item in itens]  # type: ignore[misc]
        return list
    if ttype == TType.I32 and len(spec) == 4 and _enum(spec[2]):
        valores: dict[str, int] = spec[2]._NAMES_TO_VALUES
        return valores.__getitem__
    return None


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


# TBinaryProtocol: the fixed size of each type's value, and the least bytes any value of a
# type can take (a string or a list: its 4-byte length; a struct: its STOP byte).
_TAMANHO_FIXO = {TType.BOOL: 1, TType.BYTE: 1, TType.I16: 2, TType.I32: 4, TType.I64: 8, TType.DOUBLE: 8}
_TAMANHO_MINIMO = {**_TAMANHO_FIXO, TType.STRING: 4, TType.STRUCT: 1, TType.MAP: 6, TType.SET: 5, TType.LIST: 5}
_PROFUNDIDADE_MAXIMA = 32  # LEDI nests structs four or five levels deep
# Values (fields and list items) in one struct with all it holds: a real ficha has a few
# thousand; this keeps a 5 MB file of one-byte structs from becoming millions of objects.
_VALORES_MAXIMOS = 200_000


class _Leitura:
    """A walk over TBinaryProtocol bytes that allocates nothing: every declared length is
    checked against the bytes left before anything would be read. The Thrift library
    trusts a declared length (a 10-byte file declaring a 2 GiB string made it allocate
    4 GB), so each `.esus` and the ficha inside it are walked with this first."""

    def __init__(self, conteudo: bytes) -> None:
        self.conteudo, self.posicao, self.valores = conteudo, 0, 0

    def _avancar(self, n: int) -> int:
        inicio = self.posicao
        if n > len(self.conteudo) - inicio:
            raise LediErro(
                f"Arquivo .esus truncado ou corrompido: declara {n} bytes na posição {inicio}, "
                f"mas restam {len(self.conteudo) - inicio}."
            )
        self.posicao += n
        return inicio

    def _inteiro(self, formato: str) -> int:
        valor: int = struct.unpack_from(formato, self.conteudo, self._avancar(struct.calcsize(formato)))[0]
        return valor

    def _quantidade(self, *tipos: int) -> int:
        """A list's, set's or map's element count, refused when its smallest possible
        encoding would not fit in the bytes left."""
        for tipo in tipos:
            if tipo not in _TAMANHO_MINIMO:
                raise LediErro(f"Arquivo .esus corrompido: tipo Thrift {tipo} desconhecido.")
        quantidade = self._inteiro("!i")
        minimo = sum(_TAMANHO_MINIMO[tipo] for tipo in tipos)
        if quantidade < 0 or quantidade * minimo > len(self.conteudo) - self.posicao:
            raise LediErro(
                f"Arquivo .esus corrompido: declara uma lista de {quantidade} itens que não cabe "
                f"nos {len(self.conteudo) - self.posicao} bytes restantes."
            )
        return quantidade

    def valor(self, tipo: int, profundidade: int) -> None:
        self.valores += 1
        if profundidade > _PROFUNDIDADE_MAXIMA:
            raise LediErro("Arquivo .esus corrompido: estruturas aninhadas demais.")
        if self.valores > _VALORES_MAXIMOS:
            raise LediErro(f"Arquivo .esus com mais de {_VALORES_MAXIMOS} valores: não é uma ficha LEDI.")
        if tipo in _TAMANHO_FIXO:
            self._avancar(_TAMANHO_FIXO[tipo])
        elif tipo == TType.STRING:
            tamanho = self._inteiro("!i")
            if tamanho < 0:
                raise LediErro("Arquivo .esus corrompido: texto de tamanho negativo.")
            self._avancar(tamanho)
        elif tipo == TType.STRUCT:
            while (campo := self._inteiro("!b")) != TType.STOP:
                self._avancar(2)  # field id
                self.valor(campo, profundidade + 1)
        elif tipo in (TType.LIST, TType.SET):
            elemento = self._inteiro("!b")
            for _ in range(self._quantidade(elemento)):
                self.valor(elemento, profundidade + 1)
        elif tipo == TType.MAP:
            chave, item = self._inteiro("!b"), self._inteiro("!b")
            for _ in range(self._quantidade(chave, item)):
                self.valor(chave, profundidade + 1)
                self.valor(item, profundidade + 1)
        else:
            raise LediErro(f"Arquivo .esus corrompido: tipo Thrift {tipo} desconhecido.")


def _desserializar(obj: Any, conteudo: bytes) -> Any:
    """Deserialise one struct, only once its bytes are known to hold it: every length
    fits in the input, so memory and time stay proportional to the file's size."""
    _Leitura(conteudo).valor(TType.STRUCT, 0)
    return deserialize(obj, conteudo, _PROTOCOLO)


def de_esus(conteudo: bytes) -> DadoTransporte:
    try:
        envelope = _de_thrift(_desserializar(_envelope_cls()(), conteudo))
        dado = DadoTransporte(
            tipo=envelope["tipoDadoSerializado"],
            ficha={},
            uuid=envelope["uuidDadoSerializado"],
            cnes=envelope["cnesDadoSerializado"],
            cod_ibge=envelope.get("codIbge", ""),
            ine=envelope.get("ineDadoSerializado", ""),
            num_lote=envelope.get("numLote"),
            remetente=envelope["remetente"],
            originadora=envelope["originadora"],
            versao=envelope.get("versao"),
        )
        dado.ficha = _de_thrift(_desserializar(_struct(dado.tipo_ficha)(), envelope["dadoSerializado"]))
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


@dataclass(frozen=True)
class _Campo:
    """One dict key of a complex type, as the writer and the reader need it."""

    ordem: int  # position in the xs:sequence
    chave: str  # the Thrift field name (the dict key)
    nome: str  # the XML element name
    complexo: tuple[str, str] | None  # the child's complex type; None for text
    repete: bool
    tipo_xs: str


@functools.cache
def _campos(tipo: tuple[str, str]) -> tuple[dict[str, _Campo], dict[str, _Campo]]:
    """A complex type's fields by dict key (writing) and by element name (reading), worked
    out once: walking the whole sequence for every ficha cost more than writing it."""
    tipos, _ = _xsd()
    por_chave: dict[str, _Campo] = {}
    for ordem, elemento in enumerate(tipos[tipo]):
        chave = _XML_NOMES.get((tipo[1], elemento.nome), elemento.nome)
        if chave in por_chave:
            raise ValueError(f"{tipo[1]}: two XSD elements map to the dict key {chave!r}")
        por_chave[chave] = _Campo(
            ordem,
            chave,
            elemento.nome,
            elemento.tipo if elemento.tipo in tipos else None,
            elemento.repete,
            elemento.tipo[1],
        )
    return por_chave, {campo.nome: campo for campo in por_chave.values()}


def _texto(valor: Any) -> str:
    if isinstance(valor, bool):
        return "true" if valor else "false"
    return str(valor)


_ESPECIAIS = re.compile("[&<>\r]")


def _escapar(texto: str) -> str:
    """Text is escaped by hand because the file is written as a string (below); "\r" too,
    or the parser would read it as "\n". Most values (codes, dates, uuids) need nothing."""
    if _ESPECIAIS.search(texto) is None:
        return texto
    return texto.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _escrever(partes: list[str], tipo: tuple[str, str], dados: dict[str, Any]) -> None:
    """Append the dict's keys as elements in XSD order; keys the XML layout lacks are not written."""
    por_chave, _ = _campos(tipo)
    presentes = sorted(
        (por_chave[chave] for chave, valor in dados.items() if valor is not None and chave in por_chave), key=_ordem
    )
    for campo in presentes:
        valor = dados[campo.chave]
        nome = campo.nome
        for item in valor if isinstance(valor, list) else (valor,):
            if campo.complexo is not None:
                partes.append(f"<{nome}>")
                _escrever(partes, campo.complexo, item)
                partes.append(f"</{nome}>")
            else:
                # Numbers and booleans never need escaping.
                texto = _escapar(item) if type(item) is str else _texto(item)
                partes.append(f"<{nome}>{texto}</{nome}>")


def _ordem(campo: _Campo) -> int:
    return campo.ordem


def para_xml(dado: DadoTransporte) -> bytes:
    """The XML variant (`dadoTransporteTransportXml`), in the element order of the XSD.

    Written as a string rather than node by node: lxml parses the result back in a tenth
    of the time its element API takes to build it, and the checked tree is then the
    parse of the very bytes that are sent (`validado_para_xml`)."""
    tipo = dado.tipo_ficha
    _, globais = _xsd()
    partes = [
        "<?xml version='1.0' encoding='UTF-8'?>\n",
        f'<ns3:dadoTransporteTransportXml xmlns:ns2="{NS_INSTALACAO}" xmlns:ns3="{NS_TRANSPORTE}" '
        f'xmlns:ns4="{tipo.namespace}">',
    ]
    for nome, valor in [
        ("uuidDadoSerializado", dado.uuid),
        ("tipoDadoSerializado", dado.tipo),
        ("codIbge", dado.cod_ibge),
        ("cnesDadoSerializado", dado.cnes),
        ("ineDadoSerializado", dado.ine or None),
        ("numLote", dado.num_lote),
    ]:
        if valor is not None:
            partes.append(f"<{nome}>{_escapar(_texto(valor))}</{nome}>")
    partes.append(f"<ns4:{tipo.elemento}>")
    _escrever(partes, globais[(tipo.namespace, tipo.elemento)], dado.ficha)
    partes.append(f"</ns4:{tipo.elemento}>")
    for papel, dados in [("remetente", dado.remetente), ("originadora", dado.originadora)]:
        partes.append(f"<ns2:{papel}>")
        _escrever(partes, globais[(NS_INSTALACAO, papel)], dados)
        partes.append(f"</ns2:{papel}>")
    if dado.versao:
        partes.append(
            '<versao major="{major}" minor="{minor}" revision="{revision}"/>'.format(
                **{chave: int(dado.versao[chave]) for chave in ("major", "minor", "revision")}
            )
        )
    partes.append("</ns3:dadoTransporteTransportXml>")
    return "".join(partes).encode()


def xml_arvore(dado: DadoTransporte) -> etree._Element:
    """The XML variant as a tree (for validation). ValueError if a value cannot be XML
    (a control character, say)."""
    return _analisar(para_xml(dado))


def _analisar(conteudo: bytes) -> etree._Element:
    try:
        return etree.fromstring(conteudo, _PARSER_SEGURO)
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"valor que não cabe em XML: {exc}") from exc


def validado_para_xml(dado: DadoTransporte) -> bytes:
    """The XML file, checked against the official XSD first: one string, parsed once."""
    conteudo = para_xml(dado)
    validar_xml(_analisar(conteudo))
    return conteudo


def arquivos(*, dados: list[DadoTransporte], formato: str) -> list[tuple[str, bytes]]:
    """A lote's files named by uuid: `.esus` (Thrift) or `.esus.xml` (checked against the
    XSD). Plain data in and out, so export workers can run it in other processes."""
    if formato == "xml":
        return [(f"{dado.uuid}.esus.xml", validado_para_xml(dado)) for dado in dados]
    return [(f"{dado.uuid}.esus", para_esus(dado)) for dado in dados]


def _ler(no: etree._Element, tipo: tuple[str, str]) -> dict[str, Any]:
    _, por_nome = _campos(tipo)
    dados: dict[str, Any] = {}
    for filho in no:
        if not isinstance(filho.tag, str):
            continue  # comments
        campo = por_nome.get(etree.QName(filho).localname)
        if campo is None:
            raise LediErro(f"Elemento inesperado <{etree.QName(filho).localname}> em {tipo[1]}.")
        valor = _ler(filho, campo.complexo) if campo.complexo is not None else _do_texto(filho.text, campo.tipo_xs)
        if campo.repete:
            dados.setdefault(campo.chave, []).append(valor)
        elif valor is not None:
            dados[campo.chave] = valor
    return dados


def _do_texto(texto: str | None, tipo_xs: str) -> Any:
    if texto is None or texto.strip() == "":
        return None
    texto = texto.strip()
    if tipo_xs in {"long", "int", "integer", "short"}:
        return int(texto)
    if tipo_xs == "boolean":  # xs:boolean: "1" and "0" as well (the official examples use them)
        return texto in ("true", "1")
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
    tipo = validar_xml(raiz)
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
    return DadoTransporte(
        tipo=tipo.codigo,
        ficha=_ler(ficha_no, globais[(tipo.namespace, tipo.elemento)]),
        uuid=campos["uuidDadoSerializado"],
        cnes=campos.get("cnesDadoSerializado") or "",
        cod_ibge=campos.get("codIbge") or "",
        ine=campos.get("ineDadoSerializado") or "",
        num_lote=int(campos["numLote"]) if campos.get("numLote") else None,
        remetente=campos["remetente"],
        originadora=campos["originadora"],
        versao=campos.get("versao"),
    )


@functools.cache
def _esquema(codigo: int | None) -> etree.XMLSchema:
    """The envelope plus one ficha type's XSD, compiled once per type (a process compiles
    only the types it meets). The envelope's `xs:any` is lax: the ficha is checked
    strictly because its element is declared here, and `validar_xml` makes sure it is
    this type's element. `None`: the envelope alone, to report a broken envelope."""
    imports = [(NS_TRANSPORTE, "dadotransporte.xsd")]
    if codigo is not None:
        imports.append((TIPOS[codigo].namespace, TIPOS[codigo].xsd))
    fonte = (
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        + "".join(
            f'<xs:import namespace="{ns}" schemaLocation="{(XSD_DIR / arquivo).as_uri()}"/>' for ns, arquivo in imports
        )
        + "</xs:schema>"
    )
    return etree.XMLSchema(etree.fromstring(fonte.encode()))


def _tipo_declarado(raiz: etree._Element) -> TipoFicha | None:
    texto = raiz.findtext("tipoDadoSerializado")
    try:
        return TIPOS.get(int(texto)) if texto is not None else None
    except ValueError:
        return None


def validar_xml(raiz: etree._Element) -> TipoFicha:
    """Check a whole file against the official XSDs: the envelope, and the ficha against
    the schema of the type the envelope declares. Under a lax wildcard a ficha element of
    another type would go unchecked, so it must be the declared type's element."""
    tipo = _tipo_declarado(raiz)
    esquema = _esquema(tipo.codigo if tipo else None)
    if not esquema.validate(raiz):
        erro = esquema.error_log.last_error
        raise LediErro(f"XML não segue o XSD oficial do LEDI 7.2.2 (linha {erro.line}): {erro.message}")
    if tipo is None:
        raise LediErro(f"Tipo de ficha {raiz.findtext('tipoDadoSerializado')} desconhecido no LEDI 7.2.2.")
    if raiz.find(f"{{{tipo.namespace}}}{tipo.elemento}") is None:
        raise LediErro("O elemento da ficha não corresponde ao tipoDadoSerializado.")
    return tipo
