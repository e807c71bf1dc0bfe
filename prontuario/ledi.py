"""Code tables of the LEDI APS cadastro individual, copied as data from the official
reference (LEDI APS 7.2.2 `referencias/dicionario`, "Alterado em" as there; países from
`referencias/paises`; sources in docs/integracoes/ledi.md). Codes are what SISAB expects,
so never renumber them.
The two long tables, etnia and país, are data files beside the other LEDI tables
(prontuario/dados/etnia.tsv, paises.tsv; sources in prontuario/dados/SOURCE.md).
"""

from __future__ import annotations

from pathlib import Path

import dados

_DADOS = Path(__file__).resolve().parent / "dados"

# dicionario.txt, section Sexo
SEXO: list[tuple[int, str]] = [(0, "Masculino"), (1, "Feminino"), (4, "Ignorado"), (5, "Indeterminado")]

# dicionario.txt, section RacaCor
RACA_COR: list[tuple[int, str]] = [(1, "Branca"), (2, "Preta"), (4, "Parda"), (3, "Amarela"), (5, "Indígena")]

# dicionario.txt, section Nacionalidade
NACIONALIDADE: list[tuple[int, str]] = [(1, "Brasileira"), (2, "Naturalizado"), (3, "Estrangeiro")]

# dicionario.txt, section MotivoSaida
MOTIVO_SAIDA: list[tuple[int, str]] = [(135, "Óbito"), (136, "Mudança de território")]

# dicionario.txt, section identidadeGeneroCidadao
IDENTIDADE_GENERO: list[tuple[int, str]] = [
    (149, "Homem transgênero"),
    (150, "Mulher transgênero"),
    (156, "Travesti"),
    (200, "Homem cisgênero"),
    (201, "Mulher cisgênero"),
    (203, "Não-binário"),
    (151, "Outro"),
]

# dicionario.txt, section OrientacaoSexual
ORIENTACAO_SEXUAL: list[tuple[int, str]] = [
    (148, "Heterossexual"),
    (154, "Bissexual"),
    (196, "Gay"),
    (197, "Lésbica"),
    (198, "Assexual"),
    (199, "Panssexual"),
    (155, "Outro"),
]

# dicionario.txt, section classificacaoRisco
CLASSIFICACAO_RISCO: list[tuple[int, str]] = [(0, "Emergência"), (1, "Urgência"), (2, "Prioritário"), (3, "Eletivo")]


def _tabela(arquivo: str) -> list[tuple[int, str]]:
    """(código, nome) rows of a table in prontuario/dados/, in the order published."""
    return [(int(codigo), nome) for codigo, nome in dados.linhas(_DADOS / arquivo)]


# dicionario.txt, section etnia (column Código; filled only when raça/cor is 5, indígena)
ETNIA: list[tuple[int, str]] = _tabela("etnia.tsv")

# paises.txt, section País
PAIS: list[tuple[int, str]] = _tabela("paises.tsv")
