"""Received fichas into the municipality's records: one mechanism for every LEDI tipo.

A received ficha is kept and forwarded whatever happens here (sisab.recebimento); what it
says also belongs in the records (a dose on the vaccination card, a citizen in the
registry, an imóvel with its families in the territory). Each tipo that has records names
one function in INCLUIR that places one ficha, idempotently: it writes what is still
missing and rewrites `ficha.pendencias`, the reasons (one sentence each, for the admin)
why part or all of it stayed out. A ficha with pendências is tried again when it is
re-sent or when the admin presses "Tentar de novo" after fixing the cause (registering
the citizen or the lotação), in arrival order, so a citizen's ficha is placed before the
family ficha that names them. The functions are named, not imported (as pec.outbox's
deliverers are), so each tipo's module can use the helpers below without a circle.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils.module_loading import import_string

from pec.models import Lotacao
from prontuario.models import Cidadao
from sisab.models import FichaRecebida, InstalacaoSisab

INCLUIR: dict[int, str] = {
    2: "sisab.cadastros_recebidos.cadastro_individual_incluir",
    3: "sisab.cadastros_recebidos.cadastro_domiciliar_incluir",
    14: "sisab.vacinas_recebidas.vacinas_incluir",
}


@functools.cache
def _funcao(tipo: int) -> Callable[[FichaRecebida], None]:
    return import_string(INCLUIR[tipo])  # type: ignore[no-any-return]  # the names above are such functions


def ficha_incluir(ficha: FichaRecebida) -> None:
    """Place what a received ficha says in the records (in its transaction and tenant);
    a tipo without records, or a ficha this municipality made itself, places nothing."""
    if ficha.tipo not in INCLUIR or ficha_nossa(ficha):
        return
    with transaction.atomic():
        _funcao(ficha.tipo)(ficha)


def pendentes_incluir(*, municipio_id: int, lote_id: int | None = None, limite: int = 2000) -> tuple[int, int]:
    """Try again the fichas that stayed (partly) out of the records, once the admin has
    registered what was missing (the sender need not re-send anything). At most `limite`
    fichas per call. Returns (fichas now wholly placed, fichas still pending)."""
    pendentes = FichaRecebida.objects.filter(municipio_id=municipio_id, tipo__in=INCLUIR).exclude(pendencias=[])
    if lote_id is not None:
        pendentes = pendentes.filter(lote_id=lote_id)
    resolvidas = 0
    for ficha in pendentes.order_by("id")[:limite]:
        ficha_incluir(ficha)
        resolvidas += not ficha.pendencias
    return resolvidas, pendentes.count()


def ficha_nossa(ficha: FichaRecebida) -> bool:
    """A ficha this municipality's own PEC made and got back (it sends to itself): what
    it says is already here, typed in the PEC."""
    propria = InstalacaoSisab.objects.filter(municipio_id=ficha.municipio_id).values_list("uuid_instalacao", flat=True)
    return str(ficha.originadora.get("uuidInstalacao", "")) in {str(u) for u in propria}


def lotacao_do_cabecalho(municipio_id: int, cabecalho: dict[str, Any]) -> Lotacao | None:
    """The lotação of the ficha's professional: active first, then the latest one (what was
    typed before the professional left is still theirs)."""
    cns, cbo, cnes = cabecalho.get("profissionalCNS"), cabecalho.get("cboCodigo_2002"), cabecalho.get("cnes")
    if not (cns and cbo and cnes):
        return None
    return (
        Lotacao.objects.filter(municipio_id=municipio_id, profissional__cns=cns, cbo=cbo, estabelecimento__cnes=cnes)
        .select_related("profissional", "estabelecimento", "equipe")
        .order_by("-ativo", "-id")
        .first()
    )


def sem_lotacao(cabecalho: dict[str, Any]) -> str:
    """Why a ficha whose professional has no lotação here stays out (the start of a sentence)."""
    return (
        f"o profissional (CNS {cabecalho.get('profissionalCNS', '?')}, CBO {cabecalho.get('cboCodigo_2002', '?')}) "
        f"não tem lotação no estabelecimento CNES {cabecalho.get('cnes', '?')}"
    )


def cidadao_por_documento(municipio_id: int, *, cpf: str | None, cns: str | None) -> Cidadao | None:
    """The active citizen with this CPF, or else this CNS (a ficha sends one of them)."""
    if cpf and (achado := Cidadao.objects.filter(municipio_id=municipio_id, cpf=cpf, ativo=True).first()):
        return achado
    return Cidadao.objects.filter(municipio_id=municipio_id, cns=cns, ativo=True).first() if cns else None


def data_ms(epoch_ms: int | None) -> datetime.datetime | None:
    if epoch_ms is None:
        return None
    return datetime.datetime.fromtimestamp(epoch_ms / 1000, tz=datetime.UTC)
