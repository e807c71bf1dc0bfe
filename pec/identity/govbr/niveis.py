"""gov.br account levels (bronze < prata < ouro) and the link to raise one.

gov.br sends the level in the ID token claim `reliability_info.level` as bronze, silver or
gold (scope govbr_confiabilidades_idtoken); municipalities choose the minimum in
Portuguese. The legacy ids 1/2/3 are what the confiabilidades page takes in `niveis`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

ORDEM = {"bronze": 1, "prata": 2, "ouro": 3}
_DO_GOVBR = {"bronze": "bronze", "silver": "prata", "gold": "ouro", "prata": "prata", "ouro": "ouro"}

CONFIABILIDADES_PRODUCAO = "https://confiabilidades.acesso.gov.br/"
CONFIABILIDADES_HOMOLOGACAO = "https://confiabilidades.staging.acesso.gov.br/"


def nivel_de_claims(claims: dict[str, Any]) -> str | None:
    """The account level in pt-BR from the ID token claims; None when absent or unknown."""
    info = claims.get("reliability_info")
    if not isinstance(info, dict):
        return None
    nivel = info.get("level")
    return _DO_GOVBR.get(nivel.strip().lower()) if isinstance(nivel, str) else None


def nivel_atende(*, nivel: str | None, exigido: str) -> bool:
    """Does an account of `nivel` meet a municipality's minimum (`exigido`, "" = any)?"""
    if not exigido:
        return True
    return nivel is not None and ORDEM.get(nivel, 0) >= ORDEM[exigido]


def link_elevar_nivel(*, exigido: str, client_id: str, redirect_uri: str, homologacao: bool) -> str:
    """The confiabilidades page where the person raises their account to `exigido` or above.

    `niveis=(2/3)` asks for any of the listed levels (gov.br's syntax); a single id asks
    for that one.
    """
    ids = [str(ORDEM[nome]) for nome in ORDEM if ORDEM[nome] >= ORDEM[exigido]]
    niveis = ids[0] if len(ids) == 1 else "(" + "/".join(ids) + ")"
    base = CONFIABILIDADES_HOMOLOGACAO if homologacao else CONFIABILIDADES_PRODUCAO
    return base + "?" + urlencode({"client_id": client_id, "niveis": niveis, "redirect_uri": redirect_uri})
