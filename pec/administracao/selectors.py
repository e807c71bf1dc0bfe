"""Reads for the administration pages. Every selector of municipal objects takes the
municipality of the acting lotação, filters by it and asserts ownership; RLS is the
wall behind."""

from __future__ import annotations

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Model, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from pec.documentos import so_digitos
from pec.identity.tentativas import bloqueio_da_conta
from pec.models import Lotacao, Municipio, Perfil, Profissional
from pec.tenancy import assert_owned


def profissionais_buscar(*, municipio_id: int, termo: str = "") -> QuerySet[Profissional]:
    """By name (any part) or by CPF/CNS digits (prefix)."""
    consulta = Profissional.objects.filter(municipio_id=municipio_id)
    termo = termo.strip()
    if termo:
        digitos = so_digitos(termo)
        filtro = Q(nome__icontains=termo)
        if digitos and len(digitos) >= 3:
            filtro |= Q(cpf__startswith=digitos) | Q(cns__startswith=digitos)
        consulta = consulta.filter(filtro)
    return consulta.order_by("nome", "id")


def _do_municipio[M: Model](consulta: QuerySet[M], *, municipio_id: int, pk: int) -> M:
    obj = get_object_or_404(consulta, municipio_id=municipio_id, pk=pk)
    assert_owned(obj, municipio_id)
    return obj


def profissional_obter(*, municipio_id: int, profissional_id: int) -> Profissional:
    return _do_municipio(Profissional.objects.select_related("usuario"), municipio_id=municipio_id, pk=profissional_id)


def profissional_lotado_obter(*, municipio_id: int, profissional_id: int) -> Profissional:
    """A professional this municipality employs: one with a lotação here (404 otherwise)."""
    return _do_municipio(
        Profissional.objects.filter(lotacoes__municipio_id=municipio_id).distinct(),
        municipio_id=municipio_id,
        pk=profissional_id,
    )


def lotacao_obter(*, municipio_id: int, lotacao_id: int) -> Lotacao:
    return _do_municipio(
        Lotacao.objects.select_related("profissional", "estabelecimento", "equipe"),
        municipio_id=municipio_id,
        pk=lotacao_id,
    )


def perfil_obter(*, municipio_id: int, perfil_id: int) -> Perfil:
    return _do_municipio(Perfil.objects.all(), municipio_id=municipio_id, pk=perfil_id)


def lotacoes_do_profissional(*, profissional: Profissional) -> list[Lotacao]:
    return list(
        Lotacao.objects.filter(municipio_id=profissional.municipio_id, profissional=profissional)
        .select_related("estabelecimento", "equipe")
        .prefetch_related("perfis")
        .order_by("-ativo", "estabelecimento__nome", "cbo")
    )


def perfis_do_municipio(*, municipio_id: int) -> QuerySet[Perfil]:
    return Perfil.objects.filter(municipio_id=municipio_id).order_by("nome", "id")


def lotacoes_administradoras(*, municipio_id: int) -> QuerySet[Lotacao]:
    """Active lotações, of active professionals, whose perfis may administer the municipality."""
    return Lotacao.objects.filter(
        municipio_id=municipio_id,
        ativo=True,
        profissional__ativo=True,
        perfis__permissoes__contains=["admin.municipio"],
    ).distinct()


def acesso_bloqueado(*, cpf: str) -> bool:
    """This CPF's logins are refused: by django-axes (from at least one address) or by
    the per-account delay (pec.identity.tentativas)."""
    tentativas = AccessAttempt.objects.filter(username=cpf, failures_since_start__gte=settings.AXES_FAILURE_LIMIT)
    espera = get_cool_off()
    if espera:
        tentativas = tentativas.filter(attempt_time__gte=timezone.now() - espera)
    return tentativas.exists() or bloqueio_da_conta(username=cpf) is not None


def municipios_listar() -> QuerySet[Municipio]:
    return Municipio.objects.order_by("uf", "nome")
