"""National reference tables kept as data, not as code: each file in this folder is an
official table copied or extracted as TSV, named with its source in SOURCE.md and in its
own `# fonte` header line. The loaders read a file once per process (functools.cache), so
the tables cost nothing until something needs them and nothing after.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

PASTA = Path(__file__).resolve().parent
CBO = PASTA / "cbo.tsv"
CBO_FICHAS = PASTA / "cbo_fichas.txt"
MUNICIPIOS = PASTA / "municipios.tsv"
# The section titles of cbo_fichas.txt ("# Ficha de ..."), by LEDI tipo de ficha.
_SECOES_CBO_FICHAS = {
    "cadastro individual": 2,
    "cadastro domiciliar e territorial": 3,
    "atendimento individual": 4,
    "atendimento odontológico individual": 5,
    "atividade coletiva": 6,
    "procedimentos": 7,
    "visita domiciliar e territorial": 8,
    "atendimento domiciliar": 10,
    "avaliação de elegibilidade": 11,
    "marcadores de consumo alimentar": 12,
    "complementar - síndrome neurológica por zika / microcefalia": 13,
    "vacinação": 14,
}


def linhas(caminho: Path) -> Iterator[list[str]]:
    """The tab-separated columns of each data row; lines starting with '#' name the source."""
    for linha in caminho.read_text(encoding="utf-8").splitlines():
        if linha and not linha.startswith("#"):
            yield linha.split("\t")


@cache
def municipios() -> dict[str, tuple[str, str]]:
    """Código IBGE (7 digits) -> (nome, UF), every municipality LEDI APS accepts."""
    return {codigo: (nome, uf) for codigo, nome, uf in linhas(MUNICIPIOS)}


@cache
def cbos() -> dict[str, str]:
    """Código CBO -> título: CBO 2002 plus the CNES-specific codes (2241E1, 2231F9...), the
    codes a CNES lotação may carry. The same file is the terminology table "cbo"."""
    return {colunas[0]: colunas[1] for colunas in linhas(CBO)}


@cache
def cbos_por_ficha() -> dict[int, dict[str, bool]]:
    """LEDI tipo de ficha -> {CBO: may state a CID-10 hypothesis}: which lotações may
    produce each ficha. Read by the export's rules (sisab) and by the pages that type the
    records a ficha is made of (cds), so both follow the same official table."""
    tabelas: dict[int, dict[str, bool]] = {}
    atual: dict[str, bool] | None = None
    for linha in CBO_FICHAS.read_text(encoding="utf-8").splitlines():
        if linha.startswith("# "):
            titulo = linha[2:].strip().lower().removeprefix("ficha de ").removeprefix("ficha ")
            tipo = _SECOES_CBO_FICHAS.get(titulo)
            atual = tabelas.setdefault(tipo, {}) if tipo else None
        elif atual is not None and re.match(r"^\| \d{6} \|", linha):
            colunas = [c.strip() for c in linha.strip().strip("|").split("|")]
            atual[colunas[0]] = len(colunas) > 2 and colunas[2].upper() == "SIM"
    return tabelas
