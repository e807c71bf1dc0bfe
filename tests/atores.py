"""Actors for tests that call services and selectors directly (pec.ator.Ator): what the
middleware would build for a request of this lotação (or this user, with none)."""

from __future__ import annotations

from pec.ator import Ator
from pec.models import Lotacao, Usuario


def ator_de(
    lotacao: Lotacao | None = None, *, usuario: Usuario | None = None, ip: str = "", request_id: str = ""
) -> Ator:
    return Ator(
        municipio_id=lotacao.municipio_id if lotacao is not None else None,
        lotacao=lotacao,
        usuario=usuario if usuario is not None else (lotacao.usuario if lotacao is not None else None),
        ip=ip,
        request_id=request_id,
    )
