"""Streaming reader of the CNES XML (`ImportarXMLCNES`, versions 2.1 and 3.0).

Structure and quirks: docs/integracoes/cnes.md. The reader only extracts:
values are stripped strings, "" when an attribute is missing (3.0 omits some, and the
order differs between versions); validation is the importer's job.

Safety: the file comes from an upload, so any DOCTYPE is refused (no external entities,
no entity expansion), nothing is fetched from the network, and memory stays bounded by
clearing each finished record and the siblings before it.
"""

from __future__ import annotations

import io
import os
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, BinaryIO

from lxml import etree

VERSOES = ("2.1", "3.0")
RAIZ = "ImportarXMLCNES"
# A state's file is tens of megabytes; this only stops a zip bomb.
MAX_DESCOMPACTADO = 2 * 1024**3
# The prolog (XML declaration, comments) sits in the first bytes; a DOCTYPE there is
# reported with a clear message before lxml gets to parse a hostile internal subset.
_PROLOGO = 64 * 1024
_DOCTYPE = [b"<!DOCTYPE", "<!DOCTYPE".encode("utf-16-le"), "<!DOCTYPE".encode("utf-16-be")]

Progresso = Callable[[int, int], None]


class ArquivoCnesInvalido(Exception):
    """The file cannot be imported at all; the message is for the user (pt-BR)."""


@dataclass(frozen=True, slots=True)
class Identificacao:
    ibge: str
    versao: str
    data: str


@dataclass(slots=True)
class EquipeXml:
    ine: str
    tipo_codigo: str
    tipo_nome: str
    nome: str
    area: str
    desativada: bool
    cnes: str


@dataclass(slots=True)
class EstabelecimentoXml:
    cnes: str
    nome: str
    tipo: str
    cnpj: str
    logradouro: str
    numero: str
    bairro: str
    cep: str
    telefone: str
    equipes: list[EquipeXml] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class LotacaoXml:
    cnes: str
    ine: str
    cbo: str
    microarea: str


@dataclass(slots=True)
class ProfissionalXml:
    cpf: str
    cns: str
    nome: str
    conselho: str
    uf_conselho: str
    registro: str
    email: str
    telefone: str
    lotacoes: list[LotacaoXml] = field(default_factory=list)


Registro = Identificacao | EstabelecimentoXml | ProfissionalXml


class _Contador(io.RawIOBase):
    """Counts the bytes read from the file on disk, for the progress bar."""

    def __init__(self, raw: BinaryIO, total: int, progresso: Progresso | None) -> None:
        self._raw = raw
        self._total = total
        self._lidos = 0
        self._progresso = progresso

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._raw.seekable()

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        buffer[: len(data)] = data
        self._lidos = max(self._lidos, self._raw.tell()) if self._raw.seekable() else self._lidos + len(data)
        if self._progresso and data:
            self._progresso(min(self._lidos, self._total), self._total)
        return len(data)


class _Limitado(io.RawIOBase):
    """Refuses to read past MAX_DESCOMPACTADO bytes of a zip member."""

    def __init__(self, raw: IO[bytes], limite: int) -> None:
        self._raw = raw
        self._restante = limite

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        self._restante -= len(data)
        if self._restante < 0:
            raise ArquivoCnesInvalido("O XML dentro do .zip é grande demais.")
        buffer[: len(data)] = data
        return len(data)


@contextmanager
def abrir_xml(caminho: str | os.PathLike[str], *, progresso: Progresso | None = None) -> Iterator[BinaryIO]:
    """The XML bytes of a .xml file or of the only .xml inside a .zip."""
    total = os.path.getsize(caminho)
    with open(caminho, "rb") as bruto:
        contado = io.BufferedReader(_Contador(bruto, total, progresso), buffer_size=256 * 1024)
        if not zipfile.is_zipfile(bruto):
            bruto.seek(0)
            yield contado
            return
        bruto.seek(0)
        try:
            with zipfile.ZipFile(contado) as pacote:
                xmls = [m for m in pacote.infolist() if not m.is_dir() and m.filename.lower().endswith(".xml")]
                if len(xmls) != 1:
                    raise ArquivoCnesInvalido(
                        f"O .zip deve conter exatamente um arquivo .xml (encontrados: {len(xmls)})."
                    )
                if xmls[0].file_size > MAX_DESCOMPACTADO:
                    raise ArquivoCnesInvalido("O XML dentro do .zip é grande demais.")
                with pacote.open(xmls[0]) as membro:
                    yield io.BufferedReader(_Limitado(membro, MAX_DESCOMPACTADO), buffer_size=256 * 1024)
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, zlib.error, EOFError) as exc:
            # Also raised while the member streams: CRC mismatch, encrypted member, unknown
            # compression, corrupt or truncated deflate data.
            raise ArquivoCnesInvalido(f"Não foi possível abrir o .zip: {exc}") from exc


def ler_cnes(caminho: str | os.PathLike[str], *, progresso: Progresso | None = None) -> Iterator[Registro]:
    """Yield the Identificacao first, then each establishment and each professional.

    Raises ArquivoCnesInvalido (possibly after yielding some records: callers run inside
    a transaction they roll back).
    """
    with abrir_xml(caminho, progresso=progresso) as xml:
        inicio = xml.peek(_PROLOGO)[:_PROLOGO]  # type: ignore[attr-defined]
        if any(marca in inicio for marca in _DOCTYPE):
            raise ArquivoCnesInvalido(
                "O arquivo contém uma declaração DOCTYPE (DTD/entidades), recusada por segurança. "
                "Gere o XML novamente no e-Gestor AB."
            )
        yield from _registros(xml)


def _registros(xml: BinaryIO) -> Iterator[Registro]:
    eventos = etree.iterparse(
        xml,
        events=("start", "end"),
        tag=(RAIZ, "IDENTIFICACAO", "DADOS_GERAIS_ESTABELECIMENTOS", "DADOS_PROFISSIONAIS"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    raiz_vista = identificado = False
    try:
        for evento, elemento in eventos:
            if not raiz_vista:
                _verificar_raiz(elemento.getroottree().getroot())
                raiz_vista = True
            if evento == "start":
                if elemento.tag == "IDENTIFICACAO" and not identificado:
                    identificado = True
                    yield _identificacao(elemento)
                continue
            if elemento.tag == "DADOS_GERAIS_ESTABELECIMENTOS":
                _exigir(identificado)
                yield _estabelecimento(elemento)
                _liberar(elemento)
            elif elemento.tag == "DADOS_PROFISSIONAIS":
                _exigir(identificado)
                yield _profissional(elemento)
                _liberar(elemento)
    except etree.XMLSyntaxError as exc:
        raise ArquivoCnesInvalido(_mensagem_sintaxe(exc)) from exc
    if not raiz_vista:
        raise ArquivoCnesInvalido("O arquivo está vazio ou não é um XML do CNES.")
    _exigir(identificado)


def _verificar_raiz(raiz: etree._Element) -> None:
    info = raiz.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise ArquivoCnesInvalido("O arquivo contém uma declaração DOCTYPE (DTD/entidades), recusada por segurança.")
    if raiz.tag != RAIZ:
        raise ArquivoCnesInvalido(
            f"Este não é um XML do CNES para o e-SUS APS: a raiz é <{raiz.tag}>, esperada <{RAIZ}>."
        )


def _exigir(identificado: bool) -> None:
    if not identificado:
        raise ArquivoCnesInvalido("O arquivo não tem o cabeçalho IDENTIFICACAO (município e versão).")


def _mensagem_sintaxe(exc: etree.XMLSyntaxError) -> str:
    texto = str(exc.msg or exc)
    if "amplification" in texto or "entity" in texto.lower():
        return "O arquivo usa entidades XML, recusadas por segurança. Gere o XML novamente no e-Gestor AB."
    # A truncated download and a broken file look alike to the parser: one message for both.
    # lxml's own text is English ("Start tag expected"): the administrator gets the place.
    return (
        f"O arquivo XML está malformado ou incompleto (erro na linha {exc.lineno}, coluna {exc.offset}). "
        "Baixe-o novamente do e-Gestor AB."
    )


def _liberar(elemento: etree._Element) -> None:
    """Drop the finished record and the siblings before it, keeping memory flat."""
    elemento.clear(keep_tail=False)
    pai = elemento.getparent()
    if pai is not None:
        while elemento.getprevious() is not None:
            del pai[0]


def _atributos(elemento: etree._Element) -> dict[str, str]:
    """All attributes, stripped, in one pass (a missing one reads as "" through .get)."""
    return {nome: valor.strip() for nome, valor in elemento.items()}


def _identificacao(elemento: etree._Element) -> Identificacao:
    a = _atributos(elemento)
    return Identificacao(ibge=a.get("CO_IBGE_MUN", ""), versao=a.get("VERSAO_XSD", ""), data=a.get("DATA", ""))


def _estabelecimento(elemento: etree._Element) -> EstabelecimentoXml:
    a = _atributos(elemento)
    endereco = next(elemento.iter("DADOS_ENDERECO"), None)
    end = _atributos(endereco) if endereco is not None else {}
    cnes = a.get("CNES", "")
    return EstabelecimentoXml(
        cnes=cnes,
        nome=a.get("NM_FANTA", ""),
        tipo=a.get("TP_UNID_ID", ""),
        cnpj=a.get("CNPJ", ""),
        logradouro=end.get("LOGRADOURO", ""),
        numero=end.get("NUMERO", ""),
        bairro=end.get("BAIRRO", ""),
        cep=end.get("CO_CEP", ""),
        telefone=a.get("TELEFONE1") or a.get("TELEFONE2") or "",
        equipes=[_equipe(_atributos(equipe), cnes) for equipe in elemento.iter("DADOS_EQUIPES")],
    )


def _equipe(a: dict[str, str], cnes: str) -> EquipeXml:
    return EquipeXml(
        ine=a.get("CO_INE", ""),
        tipo_codigo=a.get("TP_EQUIPE", ""),
        tipo_nome=a.get("SG_EQUIPE") or a.get("DS_EQUIPE", ""),
        nome=a.get("NM_REFERENCIA") or a.get("DS_EQUIPE", ""),
        area=a.get("CO_AREA", ""),
        desativada=bool(a.get("DT_DESATIVACAO")),
        cnes=cnes,
    )


def _profissional(elemento: etree._Element) -> ProfissionalXml:
    a = _atributos(elemento)
    lotacoes = []
    for lotacao in elemento.iter("DADOS_LOTACOES"):
        lot = _atributos(lotacao)
        lotacoes.append(
            LotacaoXml(
                cnes=lot.get("CNES", ""),
                ine=lot.get("CO_INE", ""),
                cbo=lot.get("CO_CBO", "").upper(),
                microarea=lot.get("MICROAREA", ""),
            )
        )
    return ProfissionalXml(
        cpf=a.get("CPF_PROF", ""),
        cns=a.get("CO_CNS", ""),
        nome=a.get("NM_PROF", ""),
        conselho=a.get("CONSELHO_ID", ""),
        uf_conselho=a.get("SG_UF_EMIS", ""),
        registro=a.get("NU_REGISTRO", ""),
        email=a.get("E_MAIL", ""),
        telefone=a.get("TELEFONE", ""),
        lotacoes=lotacoes,
    )
