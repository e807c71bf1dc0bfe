"""Reads of the typed CDS fichas. A ficha's rows name citizens, so opening one writes
each linked citizen's read to the audit trail (pec.audit.chain.audit_read)."""

from __future__ import annotations

import datetime

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from cds.fichas.models import FichaCds
from pec.ator import Ator
from pec.audit.chain import audit_read
from pec.tenancy import assert_owned


def fichas_do_mes(*, ator: Ator, mes: datetime.date) -> QuerySet[FichaCds]:
    """The fichas of the actor's UBS dated in the month of `mes`, newest first, each with
    its number of rows; cancelled ones included (the page marks them)."""
    lotacao = ator.lotacao_exigida()
    inicio = mes.replace(day=1)
    fim = (inicio + datetime.timedelta(days=32)).replace(day=1)
    return (
        FichaCds.objects.filter(
            municipio_id=ator.municipio_exigido(),
            lotacao__estabelecimento_id=lotacao.estabelecimento_id,
            data_atendimento__gte=inicio,
            data_atendimento__lt=fim,
        )
        .select_related("lotacao__profissional", "digitada_por")
        .annotate(total_linhas=Count("linhas"))
        .order_by("-data_atendimento", "-id")
    )


def ficha_obter(*, ator: Ator, ficha_id: int) -> FichaCds:
    """One ficha of the actor's municipality with its rows (404 otherwise); each citizen
    its rows name is recorded as read."""
    ficha = get_object_or_404(
        FichaCds.objects.select_related(
            "lotacao__profissional", "digitada_por", "cancelada_por", "substituida_por"
        ).prefetch_related("linhas__cidadao"),
        id=ficha_id,
        municipio_id=ator.municipio_exigido(),
    )
    assert_owned(ficha, ator.municipio_id)
    for cidadao_id in sorted({linha.cidadao_id for linha in ficha.linhas.all() if linha.cidadao_id}):
        audit_read(ator=ator, cidadao_id=cidadao_id, o_que=f"ficha CDS {ficha.uuid}")
    return ficha
