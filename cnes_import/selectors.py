"""Reads of the import history: always by the acting lotação's municipality, with the
ownership asserted again behind the filter (RLS is the wall behind both)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from cnes_import.models import ImportacaoCnes
from pec.tenancy import assert_owned


def importacoes_listar(*, municipio_id: int) -> QuerySet[ImportacaoCnes]:
    return (
        ImportacaoCnes.objects.filter(municipio_id=municipio_id)
        .select_related("usuario")
        .defer("rejeicoes", "alteracoes", "requisicao")
        .order_by("-criado_em", "-id")
    )


def importacao_obter(*, municipio_id: int, importacao_id: int) -> ImportacaoCnes:
    importacao = get_object_or_404(
        ImportacaoCnes.objects.select_related("usuario"), municipio_id=municipio_id, pk=importacao_id
    )
    assert_owned(importacao, municipio_id)
    return importacao
