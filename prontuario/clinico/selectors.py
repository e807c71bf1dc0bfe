"""Reads of the clinical record. Every selector that shows a citizen's clinical data writes
the read to the audit trail (pec.audit.chain.audit_read) and filters by the lotação's
municipality, asserting ownership again on what it returns."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from pec.ator import Ator
from pec.audit.chain import audit_read
from pec.models import Lotacao
from pec.outbox import outbox_status_anotacoes
from pec.tenancy import assert_owned
from prontuario.cadastro.selectors import cidadao_obter
from prontuario.models import Alergia, Atendimento, Cidadao, EntradaLista, Medicao, Prescricao, Problema, Vacinacao
from prontuario.terminologia.services import descricoes

ULTIMOS_ATENDIMENTOS = 10
MEDICOES_GRAFICO = 12


def entrada_obter(*, lotacao: Lotacao, entrada_id: int) -> EntradaLista:
    entrada = get_object_or_404(
        EntradaLista.objects.select_related("cidadao", "estabelecimento"),
        pk=entrada_id,
        municipio_id=lotacao.municipio_id,
    )
    assert_owned(entrada, lotacao.municipio_id)
    return entrada


def atendimento_obter(*, ator: Ator, atendimento_id: int, o_que: str) -> Atendimento:
    atendimento = get_object_or_404(
        Atendimento.objects.select_related(
            "cidadao", "estabelecimento", "lotacao__profissional", "medicao", "municipio"
        ),
        pk=atendimento_id,
        municipio_id=ator.municipio_id,
    )
    assert_owned(atendimento, ator.municipio_id)
    audit_read(ator=ator, cidadao_id=atendimento.cidadao_id, o_que=o_que)
    return atendimento


def vacinacao_obter(*, ator: Ator, vacinacao_id: int) -> Vacinacao:
    vacinacao = get_object_or_404(
        Vacinacao.objects.select_related("cidadao"), pk=vacinacao_id, municipio_id=ator.municipio_id
    )
    assert_owned(vacinacao, ator.municipio_id)
    audit_read(ator=ator, cidadao_id=vacinacao.cidadao_id, o_que=f"dose de vacina {vacinacao.uuid}")
    return vacinacao


def cidadao_clinico(*, ator: Ator, cidadao_id: int, o_que: str) -> Cidadao:
    """The citizen's record for any page that shows it (registry or clinical), with its read
    written to the audit trail: one event per page and citizen."""
    cidadao = cidadao_obter(lotacao=ator.lotacao_exigida(), cidadao_id=cidadao_id)
    audit_read(ator=ator, cidadao_id=cidadao.id, o_que=o_que)
    return cidadao


@dataclass
class FolhaDeRosto:
    cidadao: Cidadao
    problemas: list[Problema]
    alergias: list[Alergia]
    medicamentos: list[Prescricao]
    medicoes: list[Medicao]
    atendimentos: list[Atendimento]
    vacinas: list[Vacinacao]
    nomes: dict[str, dict[str, str]] = field(default_factory=dict)  # tabela -> código -> descrição
    graficos: list[SafeString] = field(default_factory=list)


def _em_uso(prescricao: Prescricao, hoje: datetime.date) -> bool:
    if prescricao.uso_continuo:
        return True
    return (
        prescricao.duracao_dias is not None
        and prescricao.inicio + datetime.timedelta(days=prescricao.duracao_dias) > hoje
    )


def folha_de_rosto(*, ator: Ator, cidadao_id: int, ultimos: int | None = ULTIMOS_ATENDIMENTOS) -> FolhaDeRosto:
    """The summary page: a fixed number of queries whatever the size of the record."""
    cidadao = cidadao_clinico(ator=ator, cidadao_id=cidadao_id, o_que="folha de rosto" if ultimos else "histórico")
    municipio_id, hoje = cidadao.municipio_id, timezone.localdate()
    do_cidadao = {"municipio_id": municipio_id, "cidadao": cidadao}
    problemas = list(Problema.objects.filter(**do_cidadao).select_related("lotacao__estabelecimento"))
    alergias = list(Alergia.objects.filter(**do_cidadao).select_related("lotacao__estabelecimento").order_by("-em"))
    medicamentos = [
        p
        for p in Prescricao.objects.filter(**do_cidadao)
        .filter(Q(uso_continuo=True) | Q(inicio__gte=hoje - datetime.timedelta(days=365)))
        .select_related("atendimento__estabelecimento", "atendimento__lotacao__profissional")
        .order_by("-inicio")
        if _em_uso(p, hoje)
    ]
    medicoes = list(Medicao.objects.filter(**do_cidadao).order_by("-em")[:MEDICOES_GRAFICO])
    atendimentos_qs = (
        Atendimento.objects.filter(**do_cidadao, status=Atendimento.Status.FINALIZADO)
        .select_related("estabelecimento", "lotacao__profissional")
        .annotate(**outbox_status_anotacoes(destino="rnds", modelo=Atendimento))
        .prefetch_related("problemas_avaliados")
        .order_by("-finalizado_em")
    )
    atendimentos = list(atendimentos_qs[:ultimos] if ultimos else atendimentos_qs)
    vacinas = list(
        Vacinacao.objects.filter(**do_cidadao, excluida_em__isnull=True)
        .select_related("estabelecimento", "lotacao__profissional")
        .annotate(**outbox_status_anotacoes(destino="rnds", modelo=Vacinacao))
    )
    for objeto in [*problemas, *alergias, *medicamentos, *medicoes, *atendimentos, *vacinas]:
        assert_owned(objeto, municipio_id)
    codigos: list[tuple[str, str]] = [("ciap2", p.ciap) for p in problemas] + [("cid10", p.cid10) for p in problemas]
    for atendimento in atendimentos:
        codigos += [("ciap2", a.ciap) for a in atendimento.problemas_avaliados.all()]
        codigos += [("cid10", a.cid10) for a in atendimento.problemas_avaliados.all()]
    for vacina in vacinas:
        codigos += [("imunobiologico", vacina.imunobiologico), ("dose", vacina.dose), ("estrategia", vacina.estrategia)]
    nomes: dict[str, dict[str, str]] = {}
    for (tabela, codigo), descricao in descricoes(codigos).items():
        nomes.setdefault(tabela, {})[codigo] = descricao
    folha = FolhaDeRosto(cidadao, problemas, alergias, medicamentos, medicoes, atendimentos, vacinas, nomes=nomes)
    folha.graficos = graficos_medicoes(list(reversed(medicoes)))
    return folha


# --- Inline SVG charts (no JavaScript, CSP-safe: presentation attributes, no style) ----------

SERIES = [
    ("Peso (kg)", [("peso", "#1f6f8b")]),
    ("Pressão arterial (mmHg)", [("pressao_sistolica", "#b23b3b"), ("pressao_diastolica", "#d98c3a")]),
    ("Glicemia capilar (mg/dL)", [("glicemia", "#5a4fa0")]),
]


def graficos_medicoes(medicoes: list[Medicao]) -> list[SafeString]:
    graficos = []
    for titulo, series in SERIES:
        pontos = {
            campo: [
                (timezone.localtime(m.em), Decimal(getattr(m, campo)))
                for m in medicoes
                if getattr(m, campo) is not None
            ]
            for campo, _ in series
        }
        if any(len(p) >= 1 for p in pontos.values()):
            graficos.append(grafico_svg(titulo, [(pontos[campo], cor) for campo, cor in series]))
    return graficos


def grafico_svg(titulo: str, series: list[tuple[list[tuple[datetime.datetime, Decimal]], str]]) -> SafeString:
    largura, altura, margem = 320, 120, 28
    todos = [p for pontos, _ in series for p in pontos]
    tempos = [t.timestamp() for t, _ in todos]
    valores = [float(v) for _, v in todos]
    t0, t1 = min(tempos), max(tempos)
    v0, v1 = min(valores), max(valores)
    if v0 == v1:
        v0, v1 = v0 - 1, v1 + 1
    if t0 == t1:
        t0, t1 = t0 - 1, t1 + 1

    def x(t: datetime.datetime) -> float:
        return round(margem + (t.timestamp() - t0) / (t1 - t0) * (largura - 2 * margem), 1)

    def y(v: Decimal) -> float:
        return round(altura - margem + (float(v) - v0) / (v1 - v0) * (2 * margem - altura), 1)

    partes = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {largura} {altura}" width="{largura}" height="{altura}" '
        f'role="img" aria-label="{escape(titulo)}"><title>{escape(titulo)}</title>',
        f'<line x1="{margem}" y1="{altura - margem}" x2="{largura - margem}" y2="{altura - margem}" stroke="#999"/>',
        f'<text x="2" y="{margem}" font-size="10" fill="#444">{_fmt(v1)}</text>',
        f'<text x="2" y="{altura - margem}" font-size="10" fill="#444">{_fmt(v0)}</text>',
    ]
    for pontos, cor in series:
        if len(pontos) > 1:
            caminho = " ".join(f"{x(t)},{y(v)}" for t, v in pontos)
            partes.append(f'<polyline points="{caminho}" fill="none" stroke="{cor}" stroke-width="2"/>')
        for t, v in pontos:
            partes.append(
                f'<circle cx="{x(t)}" cy="{y(v)}" r="3" fill="{cor}"><title>{t:%d/%m/%Y}: {_fmt(v)}</title></circle>'
            )
    primeiro, ultimo = min(t for t, _ in todos), max(t for t, _ in todos)
    partes.append(f'<text x="{margem}" y="{altura - 8}" font-size="10" fill="#444">{primeiro:%d/%m/%Y}</text>')
    partes.append(
        f'<text x="{largura - margem}" y="{altura - 8}" font-size="10" fill="#444" text-anchor="end">{ultimo:%d/%m/%Y}</text>'
    )
    partes.append("</svg>")
    return mark_safe("".join(partes))


def _fmt(valor: Any) -> str:
    numero = float(valor)
    return f"{numero:.0f}" if numero == int(numero) else f"{numero:.1f}".replace(".", ",")
