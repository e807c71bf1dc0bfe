"""Reads of the territory, always of the actor's municipality: an id of another one is a
404, as it is to row-level security (docs/adr/0001-tenancy-rls.md). Reads that show who
lives in a family are written to the audit trail, as every read of a citizen is."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404

from cds.territorio.models import Familia, Imovel, Logradouro, MembroFamilia
from pec.ator import Ator
from pec.audit.chain import audit_read, audit_search
from pec.documentos import so_digitos
from pec.tenancy import assert_owned


def logradouro_obter(*, ator: Ator, logradouro_id: int) -> Logradouro:
    logradouro = get_object_or_404(Logradouro, pk=logradouro_id, municipio_id=ator.municipio_exigido())
    assert_owned(logradouro, ator.municipio_id)
    return logradouro


def logradouros_buscar(*, ator: Ator, cep: str = "", nome: str = "") -> QuerySet[Logradouro]:
    logradouros = Logradouro.objects.filter(municipio_id=ator.municipio_exigido())
    if cep:
        logradouros = logradouros.filter(cep=cep)
    if nome:
        logradouros = logradouros.filter(nome__icontains=nome)
    return logradouros


def imovel_obter(*, ator: Ator, imovel_id: int) -> Imovel:
    imovel = get_object_or_404(
        Imovel.objects.select_related("logradouro", "equipe"), pk=imovel_id, municipio_id=ator.municipio_exigido()
    )
    assert_owned(imovel, ator.municipio_id)
    return imovel


def imoveis_da_microarea(*, ator: Ator, equipe_id: int, microarea: str) -> QuerySet[Imovel]:
    """The imóveis an agent visits: a team's microárea (what e-SUS Território downloads)."""
    return Imovel.objects.filter(
        municipio_id=ator.municipio_exigido(), equipe_id=equipe_id, microarea=microarea
    ).select_related("logradouro")


def imoveis_buscar(
    *, ator: Ator, equipe_id: int | None = None, microarea: str = "", endereco: str = ""
) -> QuerySet[Imovel]:
    """The territory list: a team's imóveis, a microárea's, or those whose logradouro
    (name, bairro or CEP) matches what was typed; every imóvel of the municipality when
    nothing narrows it. Addresses only: no citizen is shown, so nothing is audited."""
    imoveis = Imovel.objects.filter(municipio_id=ator.municipio_exigido()).select_related("logradouro", "equipe")
    if equipe_id is not None:
        imoveis = imoveis.filter(equipe_id=equipe_id)
    if microarea:
        imoveis = imoveis.filter(microarea=microarea)
    for palavra in endereco.split():
        cep = so_digitos(palavra)
        filtro = Q(logradouro__nome__icontains=palavra) | Q(logradouro__bairro__icontains=palavra)
        if cep:
            filtro |= Q(logradouro__cep__startswith=cep) | Q(numero=palavra)
        imoveis = imoveis.filter(filtro)
    return imoveis.order_by("logradouro__nome", "logradouro__bairro", "numero", "complemento", "id")


def imovel_familias(*, ator: Ator, imovel: Imovel) -> list[Familia]:
    """The families living in the imóvel now, each with `moradores` (its open members),
    oldest first; the responsáveis shown are written to the audit trail."""
    assert_owned(imovel, ator.municipio_id)
    familias: list[Familia] = list(
        Familia.objects.filter(
            municipio_id=ator.municipio_exigido(), domicilio__imovel=imovel, data_mudanca__isnull=True
        )
        .select_related("responsavel")
        .annotate(moradores=Count("membros", filter=Q(membros__saida__isnull=True)))
        .order_by("id")
    )
    if familias:
        audit_search(
            ator=ator,
            consulta=None,
            cidadao_ids=[f.responsavel_id for f in familias],
            o_que=f"famílias do imóvel {imovel.pk}",
        )
    return familias


@dataclass(frozen=True)
class FamiliaComMembros:
    familia: Familia
    membros: list[MembroFamilia]


def familia_obter(*, ator: Ator, familia_id: int) -> FamiliaComMembros:
    """A family and its current members, in the order they joined; the citizens shown are
    written to the audit trail."""
    familia = get_object_or_404(
        Familia.objects.select_related("domicilio__imovel__logradouro", "responsavel"),
        pk=familia_id,
        municipio_id=ator.municipio_exigido(),
    )
    assert_owned(familia, ator.municipio_id)
    membros = list(
        MembroFamilia.objects.filter(familia=familia, saida__isnull=True)
        .select_related("cidadao")
        .order_by("entrada", "id")
    )
    audit_search(ator=ator, consulta=None, cidadao_ids=[m.cidadao_id for m in membros], o_que=f"família {familia.pk}")
    return FamiliaComMembros(familia=familia, membros=membros)


def familia_do_cidadao(*, ator: Ator, cidadao_id: int) -> Familia | None:
    """The family a citizen lives in now (the link from the cadastro individual), or None."""
    vinculo = (
        MembroFamilia.objects.filter(municipio_id=ator.municipio_exigido(), cidadao_id=cidadao_id, saida__isnull=True)
        .select_related("familia__domicilio__imovel__logradouro", "familia__responsavel")
        .first()
    )
    if vinculo is None:
        return None
    assert_owned(vinculo, ator.municipio_id)
    audit_read(ator=ator, cidadao_id=cidadao_id, o_que=f"família {vinculo.familia_id}")
    return vinculo.familia


@dataclass(frozen=True)
class Inconsistencia:
    familia: Familia
    motivo: str


def familias_inconsistentes(*, ator: Ator) -> list[Inconsistencia]:
    """Open families that would not sync as they stand, each with the reason: what the
    services refuse can still arise when the cadastro individual changes afterwards
    (an óbito registered, a record merged into another)."""
    mora = MembroFamilia.objects.filter(familia=OuterRef("pk"), cidadao=OuterRef("responsavel"), saida__isnull=True)
    familias = (
        Familia.objects.filter(municipio_id=ator.municipio_exigido(), data_mudanca__isnull=True)
        .annotate(responsavel_mora=Exists(mora))
        .filter(Q(responsavel__data_obito__isnull=False) | Q(responsavel__ativo=False) | Q(responsavel_mora=False))
        .select_related("responsavel", "domicilio__imovel__logradouro")
        .order_by("id")
    )
    achadas = []
    for familia in familias:
        responsavel = familia.responsavel
        if responsavel.data_obito is not None:
            achadas.append(Inconsistencia(familia, "O responsável tem óbito registrado."))
        elif not responsavel.ativo:
            achadas.append(Inconsistencia(familia, "O cadastro do responsável foi unificado a outro."))
        else:
            achadas.append(Inconsistencia(familia, "O responsável não mora mais neste domicílio."))
    return achadas
