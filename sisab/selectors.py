"""Reads for the SISAB sending pages: the open competências, what is pending, what is late,
one ficha (a citizen's data: its read goes to the audit trail)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from cds.models import Familia, FichaCdsLinha
from pec.ator import Ator
from pec.audit.chain import audit_read
from pec.tenancy import assert_owned
from sisab import fichas
from sisab.models import DestinoSisab, EntregaSisab, FichaSisab

PRAZO_PADRAO = 10


def prazo_da_competencia(competencia: datetime.date, *, prazo_dia: int = PRAZO_PADRAO) -> datetime.date:
    """Records of a month are due by `prazo_dia` of the next month."""
    proximo = (competencia.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return proximo.replace(day=prazo_dia)


def competencias_abertas(*, hoje: datetime.date, prazo_dia: int = PRAZO_PADRAO) -> list[datetime.date]:
    """The current month, and the previous one until its deadline."""
    atual = hoje.replace(day=1)
    anterior = (atual - datetime.timedelta(days=1)).replace(day=1)
    return [anterior, atual] if hoje <= prazo_da_competencia(anterior, prazo_dia=prazo_dia) else [atual]


@dataclass
class Resumo:
    competencia: datetime.date
    prazo: datetime.date
    validas: int = 0
    invalidas: int = 0
    aceitas: int = 0  # by every active destination
    por_tipo: dict[int, int] = field(default_factory=dict)

    @property
    def pendentes(self) -> int:
        return self.validas - self.aceitas


def resumo_competencia(*, municipio_id: int, competencia: datetime.date, prazo_dia: int) -> Resumo:
    resumo = Resumo(competencia=competencia, prazo=prazo_da_competencia(competencia, prazo_dia=prazo_dia))
    fichas = FichaSisab.objects.filter(municipio_id=municipio_id, competencia=competencia)
    for linha in fichas.values("status", "tipo").annotate(total=Count("id")):
        if linha["status"] == FichaSisab.Status.VALIDA:
            resumo.validas += linha["total"]
            resumo.por_tipo[linha["tipo"]] = resumo.por_tipo.get(linha["tipo"], 0) + linha["total"]
        else:
            resumo.invalidas += linha["total"]
    destinos = DestinoSisab.objects.filter(municipio_id=municipio_id, ativo=True).count()
    if destinos:
        resumo.aceitas = (
            fichas.filter(status=FichaSisab.Status.VALIDA)
            .annotate(
                aceitas=Count(
                    "entregas", filter=Q(entregas__status=EntregaSisab.Status.ENVIADO, entregas__destino__ativo=True)
                )
            )
            .filter(aceitas__gte=destinos)
            .count()
        )
    return resumo


def fichas_invalidas(*, municipio_id: int, competencias: list[datetime.date]) -> QuerySet[FichaSisab]:
    return (
        FichaSisab.objects.filter(
            municipio_id=municipio_id, competencia__in=competencias, status=FichaSisab.Status.INVALIDA
        )
        .select_related("lotacao__profissional", "lotacao__estabelecimento")
        .order_by("competencia", "id")
    )


def fichas_atrasadas(*, municipio_id: int, hoje: datetime.date, prazo_dia: int) -> QuerySet[FichaSisab]:
    """Fichas of competências already closed that no destination has accepted, or typed
    after the deadline: the month's funding may miss them."""
    fechada = competencias_abertas(hoje=hoje, prazo_dia=prazo_dia)[0]
    return (
        FichaSisab.objects.filter(municipio_id=municipio_id, competencia__lt=fechada)
        .exclude(entregas__status=EntregaSisab.Status.ENVIADO)
        .select_related("lotacao__profissional")
        .order_by("competencia", "id")
    )


def entregas_com_erro(*, municipio_id: int) -> QuerySet[EntregaSisab]:
    return (
        EntregaSisab.objects.filter(municipio_id=municipio_id, status=EntregaSisab.Status.ERRO)
        .select_related("ficha__lotacao__profissional", "destino")
        .order_by("-id")
    )


def hoje() -> datetime.date:
    return timezone.localdate()


def ficha_ler(*, ator: Ator, ficha_id: int) -> FichaSisab:
    """One ficha of the actor's municipality (404 otherwise) for its page, which shows a
    citizen's record (and its errors quote it): the read of that citizen is audited."""
    municipio_id = ator.municipio_id
    ficha = get_object_or_404(
        FichaSisab.objects.select_related("lotacao__profissional", "lotacao__estabelecimento"),
        id=ficha_id,
        municipio_id=municipio_id,
    )
    assert_owned(ficha, municipio_id)
    for cidadao_id in _cidadaos_da_ficha(ficha, ficha.municipio_id):
        audit_read(ator=ator, cidadao_id=cidadao_id, o_que=f"ficha SISAB {ficha.uuid}")
    return ficha


def _cidadaos_da_ficha(ficha: FichaSisab, municipio_id: int) -> list[int]:
    """Whose record the ficha shows: its citizen, or for a cadastro domiciliar the
    responsáveis of the imóvel's families, or for a typed CDS ficha the citizens its rows
    name."""
    if ficha.origem in fichas.ORIGEM_CDS.values():
        return list(
            FichaCdsLinha.objects.filter(municipio_id=municipio_id, ficha_id=ficha.origem_id, cidadao_id__isnull=False)
            .order_by("cidadao_id")
            .values_list("cidadao_id", flat=True)
            .distinct()
        )
    if ficha.origem == "imovel":
        return list(
            Familia.objects.filter(municipio_id=municipio_id, domicilio__imovel_id=ficha.origem_id)
            .values_list("responsavel_id", flat=True)
            .distinct()
        )
    coluna = "id" if ficha.origem == "cidadao" else "cidadao_id"
    cidadao_id = (
        fichas.REGISTRO[ficha.origem]
        .modelo.objects.filter(municipio_id=municipio_id, id=ficha.origem_id)
        .values_list(coluna, flat=True)
        .first()
    )
    return [cidadao_id]
