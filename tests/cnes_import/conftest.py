"""Fixtures of the CNES import tests: the two real files of Taboleiro Grande/RN (IBGE
2413805; see dados/SOURCE.md) and an XML reader independent of cnes_import.parser,
used to compute the expected results."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

from pec.models import Municipio

DADOS = Path(__file__).parent / "dados"
XML_2021 = DADOS / "XmlParaESUS21_241380.xml"
XML_2022 = DADOS / "XmlParaESUS30_241380.xml"
IBGE = "2413805"


@dataclass(frozen=True)
class Esperado:
    """What a file holds, read with the standard library's ElementTree."""

    cnes: frozenset[str]
    ines: frozenset[str]
    cpfs: frozenset[str]
    # (CPF, CNES, INE or "", CBO)
    lotacoes: frozenset[tuple[str, str, str, str]]


def esperado(caminho: Path) -> Esperado:
    raiz = ET.parse(caminho).getroot()
    lotacoes = set()
    for prof in raiz.iter("DADOS_PROFISSIONAIS"):
        for lot in prof.iter("DADOS_LOTACOES"):
            lotacoes.add((prof.get("CPF_PROF"), lot.get("CNES"), lot.get("CO_INE"), lot.get("CO_CBO")))
    return Esperado(
        cnes=frozenset(e.get("CNES") for e in raiz.iter("DADOS_GERAIS_ESTABELECIMENTOS")),
        ines=frozenset(e.get("CO_INE") for e in raiz.iter("DADOS_EQUIPES")),
        cpfs=frozenset(p.get("CPF_PROF") for p in raiz.iter("DADOS_PROFISSIONAIS")),
        lotacoes=frozenset(lotacoes),
    )


@pytest.fixture
def taboleiro(db) -> Municipio:  # type: ignore[no-untyped-def]
    return Municipio.objects.create(ibge=IBGE, nome="Taboleiro Grande", uf="RN")


@pytest.fixture
def outro_municipio(db) -> Municipio:  # type: ignore[no-untyped-def]
    return Municipio.objects.create(ibge="2413607", nome="Outro", uf="RN")


def variante(destino: Path, origem: Path, *trocas: tuple[str, str], encoding: str = "latin-1") -> Path:
    """A copy of a real file with some text replaced (each replacement must apply)."""
    texto = origem.read_bytes().decode(encoding)
    for antes, depois in trocas:
        assert antes in texto, antes
        texto = texto.replace(antes, depois, 1)
    destino.write_bytes(texto.encode(encoding))
    return destino


def foto_do_banco(municipio: Municipio, *, com_usuarios: bool = True) -> dict[str, list[tuple]]:
    """Every row the import may touch, to prove that something changed nothing."""
    from pec.models import Equipe, Estabelecimento, Lotacao, LotacaoPerfil, Perfil, Profissional, Usuario
    from pec.tenancy import tenant_context

    with tenant_context(municipio.id):
        foto = {
            modelo.__name__: sorted(modelo.objects.values_list())
            for modelo in (Estabelecimento, Equipe, Profissional, Lotacao, LotacaoPerfil, Perfil)
        }
    if com_usuarios:
        foto["Usuario"] = sorted(Usuario.objects.values_list("id", "cpf", "nome", "email", "password"))
    return foto
