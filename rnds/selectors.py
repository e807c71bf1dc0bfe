"""Reads for the RNDS pages. A record's status in the prontuário is read through pec.outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Min, Model, OuterRef, Subquery
from django.shortcuts import get_object_or_404

from pec.models import Outbox
from pec.outbox import outbox_ultimo_envio
from pec.tenancy import assert_owned
from rnds.models import CertificadoA1, ConfiguracaoRNDS, Pendencia

DESTINO = "rnds"


def pendencia_aberta(objeto_tipo: Any, objeto_id: Any) -> Subquery:
    """The reason of the record's open pendência (rnds.pendencias), or NULL: registered
    with pec.integracoes, so the outbox's status reads show why a record waits."""
    return Subquery(
        Pendencia.objects.filter(
            municipio_id=OuterRef("municipio_id"), objeto_tipo=objeto_tipo, objeto_id=objeto_id, resolvida_em=None
        ).values("motivo")[:1]
    )


def rnds_status_do_registro(*, municipio_id: int, objeto: Model) -> str | None:
    """ "pendente", "enviado", "erro" or "treinamento" of a record's newest RNDS row; None if
    it never had one."""
    item = outbox_ultimo_envio(destino=DESTINO, municipio_id=municipio_id, objeto=objeto)
    return item.status if item is not None else None


@dataclass(frozen=True)
class Painel:
    contagens: dict[str, int]
    pendente_mais_antigo: datetime | None
    erros: list[Outbox]
    pendencias: list[Pendencia]
    certificado: CertificadoA1 | None
    configuracao: ConfiguracaoRNDS | None


def rnds_painel(*, municipio_id: int, limite_erros: int = 100) -> Painel:
    linhas = Outbox.objects.filter(municipio_id=municipio_id, destino=DESTINO)
    contagens = dict.fromkeys(Outbox.Status.values, 0)
    contagens.update({r["status"]: r["n"] for r in linhas.values("status").annotate(n=Count("id"))})
    antigo = linhas.filter(status=Outbox.Status.PENDENTE).aggregate(m=Min("criado_em"))["m"]
    erros = list(linhas.filter(status=Outbox.Status.ERRO).order_by("-criado_em", "-id")[:limite_erros])
    pendencias = list(
        Pendencia.objects.filter(municipio_id=municipio_id, resolvida_em=None)
        .select_related("profissional")
        .order_by("-criada_em", "-id")[:limite_erros]
    )
    for item in [*erros, *pendencias]:
        assert_owned(item, municipio_id)
    contagens["aguardando_dados"] = Pendencia.objects.filter(municipio_id=municipio_id, resolvida_em=None).count()
    return Painel(
        contagens=contagens,
        pendente_mais_antigo=antigo,
        erros=erros,
        pendencias=pendencias,
        certificado=certificado_ativo(municipio_id=municipio_id),
        configuracao=ConfiguracaoRNDS.objects.filter(municipio_id=municipio_id).first(),
    )


def certificado_ativo(*, municipio_id: int) -> CertificadoA1 | None:
    cert = CertificadoA1.objects.filter(municipio_id=municipio_id, ativo=True).first()
    if cert is not None:
        assert_owned(cert, municipio_id)
    return cert


def certificados_listar(*, municipio_id: int) -> list[CertificadoA1]:
    return list(CertificadoA1.objects.filter(municipio_id=municipio_id).defer("arquivo_cifrado", "senha_cifrada"))


def certificado_obter(*, municipio_id: int, certificado_id: int) -> CertificadoA1:
    cert = get_object_or_404(
        CertificadoA1.objects.defer("arquivo_cifrado", "senha_cifrada"), municipio_id=municipio_id, pk=certificado_id
    )
    assert_owned(cert, municipio_id)
    return cert


def erro_obter(*, municipio_id: int, item_id: int) -> Outbox:
    item = get_object_or_404(Outbox, municipio_id=municipio_id, destino=DESTINO, pk=item_id)
    assert_owned(item, municipio_id)
    return item
