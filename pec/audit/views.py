"""The audit pages: the municipal administrator's (the chain of the active lotação's
municipality) and the installation administrator's (the installation chain: logins,
failures, lockouts, password and MFA changes, installation administration). Filter, page
through, export CSV. Only one chain each (explicit filter, and row-level security
beneath it). Looking at a trail is itself recorded in it.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from pec.audit.chain import EVENTOS, audit_event, chain_scope, eventos_auditoria
from pec.http import RequisicaoAutenticada, RequisicaoComLotacao
from pec.identity.acesso import requer_admin_instalacao, requer_permissao
from pec.models import EventoAuditoria, Lotacao

POR_PAGINA = 50


class FiltroAuditoriaForm(forms.Form):
    usuario = forms.CharField(label="Usuário (CPF ou nome)", required=False, max_length=150)
    cidadao = forms.IntegerField(label="Cidadão (código)", required=False, min_value=1)
    de = forms.DateField(label="De", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    ate = forms.DateField(label="Até", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    evento = forms.ChoiceField(label="Evento", required=False, choices=[("", "Todos"), *EVENTOS.items()])

    def clean(self) -> dict[str, Any]:
        dados = super().clean() or {}
        if dados.get("de") and dados.get("ate") and dados["de"] > dados["ate"]:
            raise forms.ValidationError("A data inicial é posterior à final.")
        return dados

    def filtros(self) -> dict[str, Any]:
        dados = self.cleaned_data
        return {
            "usuario": dados.get("usuario") or "",
            "cidadao_id": dados.get("cidadao"),
            "de": dados.get("de"),
            "ate": dados.get("ate"),
            "evento": dados.get("evento") or "",
        }


@requer_permissao("auditoria.ver")
def auditoria(request: RequisicaoComLotacao) -> HttpResponse:
    return _pagina(request, municipio_id=request.lotacao.municipio_id)


@requer_admin_instalacao
def auditoria_instalacao(request: RequisicaoAutenticada) -> HttpResponse:
    return _pagina(request, municipio_id=None)


def _pagina(request: RequisicaoAutenticada, *, municipio_id: int | None) -> HttpResponse:
    """The page of one chain: a municipality's, or the installation's (None)."""
    instalacao = municipio_id is None
    form = FiltroAuditoriaForm(request.GET)
    filtros = form.filtros() if form.is_valid() else {}
    if form.is_valid() and request.GET.get("formato") == "csv":
        audit_event(
            evento="auditoria_exportacao", ator=request.ator, detalhes={"filtros": filtros}, instalacao=instalacao
        )
        return _exportar_csv(municipio_id=municipio_id, filtros=filtros)  # type: ignore[return-value]  # a streamed CSV; the views stay typed as pages
    audit_event(
        evento="auditoria_consulta",
        ator=request.ator,
        detalhes={"filtros": filtros, "pagina": request.GET.get("pagina", "1")},
        instalacao=instalacao,
    )
    with transaction.atomic(), chain_scope(municipio_id):
        eventos = (
            eventos_auditoria(municipio_id=municipio_id, **filtros)
            if form.is_valid()
            else EventoAuditoria.objects.none()
        )
        pagina = Paginator(eventos, POR_PAGINA).get_page(request.GET.get("pagina"))
        ids = {evento.lotacao_id for evento in pagina.object_list if evento.lotacao_id}
        # municipio_id=None (the installation) is IS NULL, which django-stubs does not model.
        daqui = Lotacao.objects.filter(id__in=ids, municipio_id=municipio_id)  # type: ignore[misc]
        lotacoes: dict[int | None, Lotacao] = {
            lotacao.id: lotacao for lotacao in daqui.select_related("estabelecimento")
        }
        linhas = [
            (evento, EVENTOS.get(evento.evento, evento.evento), lotacoes.get(evento.lotacao_id)) for evento in pagina
        ]
    contexto = {
        "form": form,
        "pagina": pagina,
        "linhas": linhas,
        "instalacao": instalacao,
        "url": "instalacao_auditoria" if instalacao else "auditoria",
    }
    return render(request, "pec/auditoria.html", contexto)


_COLUNAS = [
    "data e hora",
    "evento",
    "usuário",
    "CPF do usuário",
    "login informado",
    "lotação",
    "cidadão",
    "o quê",
    "IP",
    "id da requisição",
    "sequência",
    "hash",
]


def _exportar_csv(*, municipio_id: int | None, filtros: dict[str, Any]) -> StreamingHttpResponse:
    nome = f"auditoria-{municipio_id or 'instalacao'}-{timezone.localdate():%Y%m%d}.csv"
    response = StreamingHttpResponse(
        _linhas_csv(municipio_id=municipio_id, filtros=filtros), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{nome}"'
    return response


class _Eco:
    """A file-like object whose write returns the line, for csv.writer in a generator."""

    def write(self, valor: str) -> str:
        return valor


def _linhas_csv(*, municipio_id: int | None, filtros: dict[str, Any]) -> Iterator[str]:
    # Runs after the view returned and the request transaction ended: the generator opens
    # its own transaction scoped to the chain.
    escritor = csv.writer(_Eco(), delimiter=";")
    # BOM and ";": what spreadsheet programs in pt-BR open without an import wizard.
    yield "\ufeff" + escritor.writerow(_COLUNAS)
    with transaction.atomic(), chain_scope(municipio_id):
        for evento in eventos_auditoria(municipio_id=municipio_id, **filtros).iterator(chunk_size=2000):
            usuario = evento.usuario
            yield escritor.writerow(
                _celula(valor)
                for valor in (
                    timezone.localtime(evento.criado_em).strftime("%d/%m/%Y %H:%M:%S"),
                    EVENTOS.get(evento.evento, evento.evento),
                    usuario.nome if usuario else "",
                    usuario.cpf if usuario else "",
                    evento.cpf_informado,
                    evento.lotacao_id or "",
                    evento.cidadao_id or "",
                    evento.o_que,
                    evento.ip,
                    evento.request_id,
                    evento.sequencia,
                    evento.hash,
                )
            )


def _celula(valor: object) -> str:
    """Text that a spreadsheet would run as a formula (typed logins are attacker input)
    is prefixed with an apostrophe."""
    texto = str(valor)
    return "'" + texto if texto[:1] in ("=", "+", "-", "@", "\t", "\r") else texto
