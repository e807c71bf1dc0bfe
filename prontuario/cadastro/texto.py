"""Name normalisation for search and duplicate detection.

The embedded PostgreSQL has no unaccent/pg_trgm, so folding happens here, in Python, and
the service stores the folded forms in columns the indexes cover (see Cidadao.busca_* and
prontuario.cadastro.selectors.busca_sql).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

# Particles ignored when matching words in any order: "maria da silva" must match
# "silva maria" and a search for "da" alone would match half the municipality.
PARTICULAS = frozenset({"d", "da", "das", "de", "del", "di", "do", "dos", "du", "e"})

_NAO_LETRA = re.compile(r"[^a-z0-9 ]+")
_ESPACOS = re.compile(r"\s+")


def dobrar(texto: str) -> str:
    """Lowercase, without accents, apostrophes joined ("D'ÁVILA" -> "davila"), single spaces."""
    decomposto = unicodedata.normalize("NFKD", texto.casefold())
    sem_acento = "".join(ch for ch in decomposto if not unicodedata.combining(ch))
    sem_apostrofo = sem_acento.replace("'", "").replace("\u2019", "").replace("\u2018", "")
    return _ESPACOS.sub(" ", _NAO_LETRA.sub(" ", sem_apostrofo)).strip()


def palavras(texto: str) -> list[str]:
    """Folded words without particles, in order."""
    return [p for p in dobrar(texto).split(" ") if p and p not in PARTICULAS]


def palavras_busca(*nomes: str) -> list[str]:
    """Distinct folded words of the names, in order: the search array of a citizen."""
    vistas: dict[str, None] = {}
    for nome in nomes:
        for palavra in palavras(nome):
            vistas.setdefault(palavra, None)
    return list(vistas)


def colunas_busca(*, nome: str, nome_social: str, nome_mae: str) -> dict[str, Any]:
    """The search columns of a citizen (Cidadao.busca_*), from the names."""
    return {
        "busca_nome": " ".join(palavras(nome)),
        "busca_mae": " ".join(palavras(nome_mae)),
        "busca_palavras": palavras_busca(nome, nome_social),
        "busca_palavras_mae": palavras_busca(nome_mae),
    }


def limite_prefixo(prefixo: str) -> str:
    """The smallest string after every string starting with `prefixo` (byte order, as in
    the "C" collation): `x >= prefixo AND x < limite_prefixo(prefixo)` is a prefix match
    that a btree can use. Folded text is ASCII, so the last character always has a successor."""
    return prefixo[:-1] + chr(ord(prefixo[-1]) + 1)


def nome_normalizado(nome: str) -> str:
    """Uppercase with single spaces, as the LEDI/CADSUS name rule stores names."""
    return _ESPACOS.sub(" ", nome).strip().upper()


_LETRAS_NOME = re.compile(r"^[A-ZÀ-ÖØ-Ý' ]+$")


def erros_nome(nome: str) -> list[str]:
    """LEDI "Validar nome" (referencias regras/validar_nome.txt), rules 1, 2, 5, 6 and 7.

    Rules 3 and 4 (no double spaces, uppercase) are applied by nome_normalizado.
    """
    nome = nome_normalizado(nome).replace("\u2019", "'").replace("\u2018", "'")
    termos = nome.split(" ")
    erros = []
    if len(nome) < 3:
        erros.append("deve ter pelo menos 3 letras")
    if len(termos) < 2:
        erros.append("deve ter nome e sobrenome")
    if not _LETRAS_NOME.match(nome):
        erros.append("só pode ter letras, acentos e apóstrofo")
    if len(termos) >= 2 and len(termos[0]) == 1 and len(termos[1]) == 1:
        erros.append("o primeiro e o segundo termos não podem ter uma letra só")
    if len(termos) == 2 and len(termos[0]) <= 2 and len(termos[1]) <= 2:
        erros.append("com dois termos, eles não podem ter duas letras ou menos")
    return erros


def nome_social_valido(nome: str) -> bool:
    """LEDI nomeSocial: only letters and apostrophe."""
    return bool(_LETRAS_NOME.match(nome_normalizado(nome).replace("\u2019", "'").replace("\u2018", "'")))
