"""Cidadão pages: search, record, register/edit, history, merge. Every object is looked up
inside the active lotação's municipality (404 otherwise), and RLS backs the filter."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from cds.territorio.selectors import familia_do_cidadao
from dados import municipios
from pec import integracoes, parametros
from pec.administracao.forms import erros_no_form
from pec.audit.chain import audit_event
from pec.buscas import busca_ler, busca_postada
from pec.http import RequisicaoComLotacao
from pec.identity.acesso import requer_permissao, tem_permissao
from pec.models import Lotacao
from prontuario.cadastro.forms import CidadaoForm, UnificarForm
from prontuario.cadastro.selectors import cidadao_pesquisar, duplicados_mostrar, historico_linhas, movidos_legiveis
from prontuario.cadastro.services import PossivelDuplicado, cidadao_atualizar, cidadao_cadastrar, cidadao_unificar
from prontuario.clinico.selectors import cidadao_clinico
from prontuario.models import Agendamento, CidadaoVersao, Unificacao


def _lotacao(request: RequisicaoComLotacao) -> Lotacao:
    return request.lotacao


@requer_permissao("cidadao.ver")
def cidadao_lista(request: RequisicaoComLotacao) -> HttpResponse:
    """The one-box search: posted, then shown at ?busca=<id> (pec.buscas)."""
    if request.method == "POST":
        return busca_postada(request, reverse("cidadao_lista"))
    entrada = busca_ler(request).get("q", "")
    resultado = cidadao_pesquisar(ator=request.ator, entrada=entrada) if entrada else None
    return render(request, "prontuario/cidadao_lista.html", {"entrada": entrada, "resultado": resultado})


@requer_permissao("cidadao.editar")
def cidadao_novo(request: RequisicaoComLotacao) -> HttpResponse:
    lotacao = _lotacao(request)
    form = CidadaoForm(request.POST or None, lotacao=lotacao)
    candidatos = []
    if request.method == "POST" and form.is_valid():
        try:
            cidadao = cidadao_cadastrar(
                lotacao=lotacao, dados=form.dados_cadastro(), confirmar_duplicado="confirmar_duplicado" in request.POST
            )
        except PossivelDuplicado as exc:
            candidatos = duplicados_mostrar(ator=request.ator, candidatos=exc.candidatos)
        except ValidationError as exc:
            _erros_no_form(form, exc)
        else:
            messages.success(request, f"Cidadão {cidadao.nome_exibicao} cadastrado.")
            return redirect("cidadao_detalhe", cidadao_id=cidadao.pk)
    return render(request, "prontuario/cidadao_form.html", {"form": form, "candidatos": candidatos, "cidadao": None})


@requer_permissao("cidadao.ver")
def cidadao_detalhe(request: RequisicaoComLotacao, cidadao_id: int) -> HttpResponse:
    cidadao = cidadao_clinico(ator=request.ator, cidadao_id=cidadao_id, o_que="cadastro")
    municipio_nascimento = municipios().get(cidadao.municipio_nascimento_ibge)
    # The cadastro individual's link to the territory (cds), for who may see the territory.
    familia = (
        familia_do_cidadao(ator=request.ator, cidadao_id=cidadao.pk)
        if tem_permissao(request, "territorio.ver")
        else None
    )
    return render(
        request,
        "prontuario/cidadao_detalhe.html",
        {
            "cidadao": cidadao,
            "municipio_nascimento": municipio_nascimento,
            "familia": familia,
            "ultima_versao": cidadao.versoes.first(),
            "origens": integracoes.origens(cidadao),
            "agendamentos": Agendamento.objects.filter(
                municipio_id=cidadao.municipio_id,
                cidadao=cidadao,
                situacao=Agendamento.Situacao.AGENDADO,
                inicio__gte=timezone.now(),
            ).select_related("lotacao__profissional")[:10],
        },
    )


@requer_permissao("cidadao.editar")
def cidadao_editar(request: RequisicaoComLotacao, cidadao_id: int) -> HttpResponse:
    lotacao = _lotacao(request)
    # The form shows the whole record.
    cidadao = cidadao_clinico(ator=request.ator, cidadao_id=cidadao_id, o_que="cadastro (edição)")
    if not cidadao.ativo:
        messages.error(request, "Este cadastro foi unificado a outro e não pode ser alterado.")
        return redirect("cidadao_detalhe", cidadao_id=cidadao.pk)
    form = CidadaoForm(request.POST or None, instance=cidadao, lotacao=lotacao)
    candidatos = []
    if request.method == "POST" and form.is_valid():
        try:
            cidadao = cidadao_atualizar(
                lotacao=lotacao,
                cidadao=cidadao,
                dados=form.dados_cadastro(),
                versao_esperada=form.cleaned_data.get("versao"),
                confirmar_duplicado="confirmar_duplicado" in request.POST,
            )
        except PossivelDuplicado as exc:
            candidatos = duplicados_mostrar(ator=request.ator, candidatos=exc.candidatos)
        except ValidationError as exc:
            _erros_no_form(form, exc)
        else:
            messages.success(request, "Cadastro atualizado.")
            return redirect("cidadao_detalhe", cidadao_id=cidadao.pk)
    return render(request, "prontuario/cidadao_form.html", {"form": form, "candidatos": candidatos, "cidadao": cidadao})


@requer_permissao("cidadao.ver")
def cidadao_historico(request: RequisicaoComLotacao, cidadao_id: int) -> HttpResponse:
    lotacao = _lotacao(request)
    cidadao = cidadao_clinico(ator=request.ator, cidadao_id=cidadao_id, o_que="histórico do cadastro")
    versoes = CidadaoVersao.objects.filter(cidadao=cidadao, municipio_id=lotacao.municipio_id).select_related(
        "lotacao__profissional", "lotacao__estabelecimento"
    )
    unificacoes = list(
        Unificacao.objects.filter(sobrevivente=cidadao, municipio_id=lotacao.municipio_id).select_related(
            "unificado", "lotacao__profissional"
        )
    )
    for unificacao in unificacoes:
        unificacao.movidos_rotulos = movidos_legiveis(unificacao.movidos)  # type: ignore[attr-defined]
    linhas = historico_linhas(versoes=list(versoes), municipio_id=lotacao.municipio_id)
    return render(
        request,
        "prontuario/cidadao_historico.html",
        {"cidadao": cidadao, "versoes": linhas, "unificacoes": unificacoes},
    )


@requer_permissao("cidadao.unificar")
def cidadao_unificar_view(request: RequisicaoComLotacao, cidadao_id: int) -> HttpResponse:
    """Pick the other record (search), compare side by side, choose the survivor, confirm."""
    lotacao = _lotacao(request)
    cidadao = cidadao_clinico(ator=request.ator, cidadao_id=cidadao_id, o_que="cadastro (unificação)")
    if request.method == "POST" and "q" in request.POST:
        return busca_postada(request, reverse("cidadao_unificar", args=[cidadao.pk]))
    entrada = busca_ler(request).get("q", "")
    outro_id = parametros.inteiro(request.POST.get("outro") or request.GET.get("outro"))
    outro = (
        cidadao_clinico(ator=request.ator, cidadao_id=outro_id, o_que="cadastro (unificação)")
        if outro_id is not None
        else None
    )
    form = UnificarForm(request.POST or None, initial={"outro": outro.pk if outro else None})
    if request.method == "POST" and outro is not None and form.is_valid():
        sobrevivente, unificado = (cidadao, outro) if form.cleaned_data["sobrevivente"] == "este" else (outro, cidadao)
        try:
            unificacao = cidadao_unificar(
                lotacao=lotacao, sobrevivente=sobrevivente, unificado=unificado, motivo=form.cleaned_data["motivo"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            audit_event(
                evento="unificacao_cadastro",
                ator=request.ator,
                cidadao_id=sobrevivente.pk,
                o_que=f"cadastro {unificado.pk} unificado em {sobrevivente.pk}",
                detalhes={"unificacao_id": unificacao.pk, "unificado_id": unificado.pk, "movidos": unificacao.movidos},
            )
            messages.success(request, f"Cadastros unificados: permanece {sobrevivente.nome_exibicao}.")
            return redirect("cidadao_detalhe", cidadao_id=sobrevivente.pk)
    resultado = cidadao_pesquisar(ator=request.ator, entrada=entrada) if entrada and outro is None else None
    return render(
        request,
        "prontuario/cidadao_unificar.html",
        {
            "cidadao": cidadao,
            "outro": outro,
            "form": form,
            "entrada": entrada,
            "resultado": resultado,
            "pode_editar": tem_permissao(request, "cidadao.editar"),
        },
    )


def _erros_no_form(form: CidadaoForm, exc: ValidationError) -> None:
    erros_no_form(form, exc, campos={"municipio_nascimento_ibge": "municipio_nascimento"})
