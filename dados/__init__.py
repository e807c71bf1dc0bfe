"""National reference tables kept as data, not as code: each file in this folder is an
official table copied or extracted as TSV, named with its source in SOURCE.md and in its
own `# fonte` header line. The loaders read a file once per process (functools.cache), so
the tables cost nothing until something needs them and nothing after.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path

PASTA = Path(__file__).resolve().parent
CBO = PASTA / "cbo.tsv"
MUNICIPIOS = PASTA / "municipios.tsv"


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
