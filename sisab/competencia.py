"""The competência page's numbers: for one month, per UBS, team and professional and per
LEDI ficha type, how far each record is on its way to the SISAB.

Why a module of its own: the DF technical note wants every CDS record of a month typed by
`InstalacaoSisab.prazo_dia` of the next, and the people who can act on a missing or
refused ficha are the professional who typed it and the UBS coordinator, not only the
municipal administrator of `sisab.views_envio`. So the page is scoped by who asks (the
municipality, the UBS, or one's own records: `Escopo`).

It is generic over `sisab.fichas.REGISTRO`: a ficha type added there shows up here. A
record still without its ficha has no ledger row to read its month and professional
from, so they are read from the record itself: its lotação (`lotacao`, or
`atualizado_por` for records changed by many hands) and its first date field among
`_CAMPOS_DE_DATA`. A type whose record has no lotação is counted only in the
municipality's view, under "sem profissional"; one without a date field, in every month.

Everything is aggregated by PostgreSQL (GROUP BY, and one UNION ALL for the records without
ficha), so the page costs the same few queries for ten fichas or a million.
"""

from __future__ import annotations

import datetime
import functools
import operator
from dataclasses import dataclass, field, fields
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import BigIntegerField, CharField, Count, Exists, F, OuterRef, Q, QuerySet, Value
from django.urls import reverse
from django.utils import timezone

from pec.models import Lotacao
from sisab import fichas, selectors
from sisab.ledi import TIPOS
from sisab.models import DestinoSisab, EntregaSisab, FichaSisab

DIAS_CRITICOS = 3  # days before the deadline from which the page shows it in red
_CAMPOS_DE_LOTACAO = ("lotacao", "atualizado_por")
_CAMPOS_DE_DATA = (
    "data_atendimento",
    "registrado_em",
    "iniciado_em",
    "finalizada_em",
    "finalizado_em",
    "atualizado_em",
    "criado_em",
)
# Where the author of a record fixes it, by ficha origem: the page links an invalid ficha
# there (the administrator also gets the ficha's own page).
_CORRIGIR_EM = {
    "cidadao": "cidadao_editar",
    "atendimento": "prontuario_atendimento",
    "vacinacao": "prontuario_vacinacao_corrigir",
}


@dataclass(frozen=True)
class Escopo:
    """Whose records the page shows: the municipality's, one UBS's or one professional's."""

    municipio_id: int
    estabelecimento_id: int | None = None
    profissional_id: int | None = None
    nome: str = "município"

    def filtro(self, lotacao: str) -> dict[str, int]:
        if self.profissional_id is not None:
            return {f"{lotacao}__profissional_id": self.profissional_id}
        if self.estabelecimento_id is not None:
            return {f"{lotacao}__estabelecimento_id": self.estabelecimento_id}
        return {}

    @property
    def municipal(self) -> bool:
        return self.profissional_id is None and self.estabelecimento_id is None


def escopo_de(*, lotacao: Lotacao, permissoes: frozenset[str]) -> Escopo:
    """The municipal administrator sees the municipality, whoever may follow the whole UBS
    (the coordination) sees the UBS of the active lotação, anyone else their own records."""
    if "admin.municipio" in permissoes:
        return Escopo(lotacao.municipio_id)
    if "competencia.ubs" in permissoes:
        return Escopo(lotacao.municipio_id, estabelecimento_id=lotacao.estabelecimento_id, nome="UBS")
    return Escopo(lotacao.municipio_id, profissional_id=lotacao.profissional_id, nome="profissional")


@dataclass
class Contagem:
    sem_ficha: int = 0  # records the ledger has not made a ficha of yet
    invalidas: int = 0  # fichas the LEDI rules refuse: someone must fix the record
    aguardando: int = 0  # valid, not sent to any destination yet
    enviadas: int = 0  # sent to at least one destination
    aceitas: int = 0  # of those, accepted by a receiving API (a folder cannot tell)
    recusadas: int = 0  # refused by a destination
    excluidas: int = 0  # held back because the record was deleted: nothing to fix, nothing goes

    def somar(self, outra: Contagem) -> None:
        for campo in fields(self):
            setattr(self, campo.name, getattr(self, campo.name) + getattr(outra, campo.name))

    @property
    def total(self) -> int:
        return self.sem_ficha + self.invalidas + self.aguardando + self.enviadas


@dataclass
class PorProfissional:
    nome: str
    total: Contagem = field(default_factory=Contagem)
    por_tipo: dict[int, Contagem] = field(default_factory=dict)

    @property
    def tipos(self) -> list[tuple[str, Contagem]]:
        return [(_nome_do_tipo(tipo), contagem) for tipo, contagem in sorted(self.por_tipo.items())]


@dataclass
class PorEquipe:
    nome: str
    total: Contagem = field(default_factory=Contagem)
    profissionais: dict[int | None, PorProfissional] = field(default_factory=dict)


@dataclass
class PorUnidade:
    nome: str
    total: Contagem = field(default_factory=Contagem)
    equipes: dict[str, PorEquipe] = field(default_factory=dict)


@dataclass
class Barra:
    """One stacked bar of the chart (x and width in SVG units)."""

    rotulo: str
    total: int
    y: int
    segmentos: list[tuple[str, str, int, float, float]]  # (classe, legenda, valor, x, largura)


@dataclass
class Painel:
    competencia: datetime.date
    prazo: datetime.date
    dias_restantes: int
    escopo: Escopo
    total: Contagem
    unidades: list[PorUnidade]
    por_tipo: dict[int, Contagem]
    invalidas: list[dict[str, Any]]

    @property
    def critico(self) -> bool:
        return self.dias_restantes <= DIAS_CRITICOS

    @property
    def tipos(self) -> list[tuple[str, Contagem]]:
        return [(_nome_do_tipo(tipo), contagem) for tipo, contagem in sorted(self.por_tipo.items())]


def _nome_do_tipo(tipo: int) -> str:
    return TIPOS[tipo].nome if tipo in TIPOS else f"Tipo {tipo}"


def _limites(competencia: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    proximo = (competencia.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    inicio = timezone.make_aware(datetime.datetime.combine(competencia, datetime.time.min))
    return inicio, timezone.make_aware(datetime.datetime.combine(proximo, datetime.time.min))


def _campo(modelo: Any, nomes: tuple[str, ...]) -> str | None:
    for nome in nomes:
        try:
            modelo._meta.get_field(nome)
        except FieldDoesNotExist:
            continue
        return nome
    return None


def _fichas_por_grupo(escopo: Escopo, competencia: datetime.date) -> QuerySet[Any]:
    """Fichas of the month by (UBS, team, professional, type), each state counted in SQL."""
    entregas = EntregaSisab.objects.filter(ficha_id=OuterRef("id"))
    enviada = Exists(entregas.filter(status=EntregaSisab.Status.ENVIADO))
    aceita = Exists(entregas.filter(status=EntregaSisab.Status.ENVIADO, destino__tipo=DestinoSisab.Tipo.HTTP))
    recusada = Exists(entregas.filter(status=EntregaSisab.Status.ERRO))
    valida, retida = Q(status=FichaSisab.Status.VALIDA), _de_registro_excluido()
    return (
        FichaSisab.objects.filter(municipio_id=escopo.municipio_id, competencia=competencia, **escopo.filtro("lotacao"))
        .order_by()
        .values(
            grupo_tipo=F("tipo"),
            grupo_ubs_id=F("lotacao__estabelecimento_id"),
            grupo_ubs=F("lotacao__estabelecimento__nome"),
            grupo_equipe=F("lotacao__equipe__nome"),
            grupo_profissional_id=F("lotacao__profissional_id"),
            grupo_profissional=F("lotacao__profissional__nome"),
        )
        .annotate(
            invalidas=Count("id", filter=Q(~valida, ~retida)),
            excluidas=Count("id", filter=Q(~valida, retida)),
            aguardando=Count("id", filter=Q(valida, ~enviada)),
            enviadas=Count("id", filter=Q(valida, enviada)),
            aceitas=Count("id", filter=aceita),
            recusadas=Count("id", filter=recusada),
        )
    )


def _de_registro_excluido() -> Q:
    """Fichas whose record was deleted (a dose: sisab.envio._vacinacao_excluida holds its
    unsent ficha back as invalid), for the models of REGISTRO that delete by `excluida_em`."""
    condicoes = [
        Q(
            Exists(
                mapeamento.modelo.objects.filter(
                    municipio_id=OuterRef("municipio_id"), id=OuterRef("origem_id"), excluida_em__isnull=False
                )
            ),
            origem=mapeamento.origem,
        )
        for mapeamento in fichas.REGISTRO.values()
        if _campo(mapeamento.modelo, ("excluida_em",))
    ]
    return functools.reduce(operator.or_, condicoes) if condicoes else Q(id__isnull=True)


def _sem_ficha_por_grupo(escopo: Escopo, competencia: datetime.date) -> QuerySet[Any] | None:
    """Records of the month still without their ficha, one GROUP BY per REGISTRO mapping
    joined by UNION ALL into one query."""
    inicio, fim = _limites(competencia)
    partes = []
    for mapeamento in fichas.REGISTRO.values():
        lotacao = _campo(mapeamento.modelo, _CAMPOS_DE_LOTACAO)
        if lotacao is None and not escopo.municipal:
            continue  # nobody to credit below the municipality
        data = _campo(mapeamento.modelo, _CAMPOS_DE_DATA)
        linhas = mapeamento.pendentes(escopo.municipio_id).order_by()
        if data is not None:
            linhas = linhas.filter(**{f"{data}__gte": inicio, f"{data}__lt": fim})
        if lotacao is not None:
            linhas = linhas.filter(**escopo.filtro(lotacao))
        partes.append(
            linhas.values(
                grupo_tipo=Value(mapeamento.tipo, output_field=BigIntegerField()), **_grupo(lotacao)
            ).annotate(sem_ficha=Count("id"))
        )
    if not partes:
        return None
    primeira, *resto = partes
    unidas: QuerySet[Any] = primeira.union(*resto, all=True) if resto else primeira
    return unidas


def _grupo(lotacao: str | None) -> dict[str, Any]:
    """The columns a record without ficha is grouped by, read through its lotação."""
    if lotacao is None:
        nulo_id, nulo_texto = Value(None, output_field=BigIntegerField()), Value(None, output_field=CharField())
        return {
            "grupo_ubs_id": nulo_id,
            "grupo_ubs": nulo_texto,
            "grupo_equipe": nulo_texto,
            "grupo_profissional_id": nulo_id,
            "grupo_profissional": nulo_texto,
        }
    return {
        "grupo_ubs_id": F(f"{lotacao}__estabelecimento_id"),
        "grupo_ubs": F(f"{lotacao}__estabelecimento__nome"),
        "grupo_equipe": F(f"{lotacao}__equipe__nome"),
        "grupo_profissional_id": F(f"{lotacao}__profissional_id"),
        "grupo_profissional": F(f"{lotacao}__profissional__nome"),
    }


def _invalidas(escopo: Escopo, competencia: datetime.date, *, com_ficha: bool) -> list[dict[str, Any]]:
    linhas = (
        FichaSisab.objects.filter(
            municipio_id=escopo.municipio_id,
            competencia=competencia,
            status=FichaSisab.Status.INVALIDA,
            **escopo.filtro("lotacao"),
        )
        .exclude(_de_registro_excluido())
        .order_by("lotacao__estabelecimento__nome", "lotacao__profissional__nome", "data_atendimento", "id")
        .values(
            "id",
            "tipo",
            "origem",
            "origem_id",
            "erros",
            "data_atendimento",
            profissional=F("lotacao__profissional__nome"),
            ubs=F("lotacao__estabelecimento__nome"),
        )[:200]
    )
    resultado = []
    for linha in linhas:
        corrigir = _CORRIGIR_EM.get(linha["origem"])
        resultado.append(
            {
                **linha,
                "tipo_nome": _nome_do_tipo(linha["tipo"]),
                "corrigir": reverse(corrigir, args=[linha["origem_id"]]) if corrigir else None,
                "ficha": reverse("sisab_ficha", args=[linha["id"]]) if com_ficha else None,
            }
        )
    return resultado


def painel(*, escopo: Escopo, competencia: datetime.date, prazo_dia: int, hoje: datetime.date | None = None) -> Painel:
    """The page's numbers for one month, in three queries whatever the number of rows."""
    hoje = hoje or selectors.hoje()
    prazo = selectors.prazo_da_competencia(competencia, prazo_dia=prazo_dia)
    resultado = Painel(
        competencia=competencia,
        prazo=prazo,
        dias_restantes=(prazo - hoje).days,
        escopo=escopo,
        total=Contagem(),
        unidades=[],
        por_tipo={},
        invalidas=_invalidas(escopo, competencia, com_ficha=escopo.municipal),
    )
    grupos = list(_fichas_por_grupo(escopo, competencia))
    sem_ficha = _sem_ficha_por_grupo(escopo, competencia)
    grupos += list(sem_ficha) if sem_ficha is not None else []
    unidades: dict[int | None, PorUnidade] = {}
    for grupo in grupos:
        contagem = Contagem(**{campo.name: grupo.get(campo.name, 0) for campo in fields(Contagem)})
        if contagem == Contagem():
            continue  # a mapping without lotação aggregates to one row even when it has none
        unidade = unidades.setdefault(grupo["grupo_ubs_id"], PorUnidade(grupo["grupo_ubs"] or "Sem profissional"))
        nome_equipe = grupo["grupo_equipe"] or ""
        equipe = unidade.equipes.setdefault(nome_equipe, PorEquipe(nome_equipe or "Sem equipe"))
        profissional = equipe.profissionais.setdefault(
            grupo["grupo_profissional_id"], PorProfissional(grupo["grupo_profissional"] or "—")
        )
        profissional.por_tipo.setdefault(grupo["grupo_tipo"], Contagem()).somar(contagem)
        resultado.por_tipo.setdefault(grupo["grupo_tipo"], Contagem()).somar(contagem)
        for nivel in (profissional.total, equipe.total, unidade.total, resultado.total):
            nivel.somar(contagem)
    resultado.unidades = sorted(unidades.values(), key=lambda u: (u.nome == "Sem profissional", u.nome))
    return resultado


# --- the chart: server-rendered SVG, stacked bars per type -----------------------------------

LARGURA_ROTULO, LARGURA_BARRAS, ALTURA_BARRA = 260, 420, 26
SEGMENTOS = (
    ("sem-ficha", "Sem ficha", "sem_ficha"),
    ("invalida", "Com erro", "invalidas"),
    ("aguardando", "Aguardando envio", "aguardando"),
    ("enviada", "Enviadas", "enviadas"),
)


def barras(tipos: list[tuple[str, Contagem]]) -> list[Barra]:
    """Stacked bars, one per ficha type, scaled to the largest total."""
    maior = max((contagem.total for _, contagem in tipos), default=0) or 1
    resultado = []
    for indice, (rotulo, contagem) in enumerate(tipos):
        x, segmentos = float(LARGURA_ROTULO), []
        for classe, legenda, campo in SEGMENTOS:
            valor = getattr(contagem, campo)
            largura = LARGURA_BARRAS * valor / maior
            if valor:
                segmentos.append((classe, legenda, valor, round(x, 1), round(largura, 1)))
            x += largura
        resultado.append(Barra(rotulo, contagem.total, indice * ALTURA_BARRA, segmentos))
    return resultado
