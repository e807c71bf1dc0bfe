"""Território pages: the cadastro domiciliar e territorial typed at the UBS. Logradouros,
imóveis by team and microárea, each imóvel's families and their members.

Every object is looked up in the active lotação's municipality (404 otherwise, RLS
behind it) by cds/territorio/selectors.py, every write goes through
cds/territorio/services.py, whose Portuguese refusals are shown next to the fields.
Editing takes the permission `territorio.editar` and a lotação whose CBO may produce the
Ficha de Cadastro Domiciliar e Territorial (LEDI regras/cbo.txt): what it types becomes
that ficha, credited to the lotação, and the SISAB refuses a CBO outside the group.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from cds.territorio import ledi, selectors, services
from cds.territorio.forms import (
    FamiliaDadosForm,
    FamiliaNovaForm,
    ImovelForm,
    LogradouroForm,
    MembroIncluirForm,
    MembroSaidaForm,
    MudancaForm,
    ResponsavelForm,
)
from cds.territorio.models import Imovel
from dados import cbos_por_ficha
from pec import parametros
from pec.administracao.forms import erros_no_form
from pec.buscas import busca_ler, busca_postada
from pec.http import RequisicaoComLotacao
from pec.identity.acesso import View, requer_permissao, tem_permissao
from pec.models import Equipe
from prontuario.cadastro.selectors import cidadao_pesquisar

FICHA_CADASTRO_DOMICILIAR = 3
POR_PAGINA = 50


def pode_editar(request: RequisicaoComLotacao) -> bool:
    return tem_permissao(request, "territorio.editar") and request.lotacao.cbo in cbos_por_ficha().get(
        FICHA_CADASTRO_DOMICILIAR, {}
    )


def requer_edicao(view: View) -> View:
    """`territorio.editar` and a CBO of the cadastro domiciliar's group, else 403."""

    @requer_permissao("territorio.editar")
    @functools.wraps(view)
    def wrapper(request: RequisicaoComLotacao, *args: Any, **kwargs: Any) -> HttpResponse:
        if not pode_editar(request):
            raise PermissionDenied(
                f"A CBO {request.lotacao.cbo} desta lotação não pode registrar o cadastro domiciliar e territorial."
            )
        return view(request, *args, **kwargs)

    return wrapper


def _postado(request: RequisicaoComLotacao) -> Any:
    """The posted fields, even none (an empty post is a form with its errors, not a blank page)."""
    return request.POST if request.method == "POST" else None


def _parametros(**valores: str) -> str:
    """The query of the page links: the filters kept, the page number appended after."""
    return urlencode({chave: valor for chave, valor in valores.items() if valor}) + "&"


# --- logradouros ---------------------------------------------------------------------------------


@requer_permissao("territorio.ver")
def logradouros(request: RequisicaoComLotacao) -> HttpResponse:
    nome = request.GET.get("nome", "").strip()[:72]
    pagina = Paginator(selectors.logradouros_buscar(ator=request.ator, nome=nome), POR_PAGINA).get_page(
        request.GET.get("pagina")
    )
    return render(
        request,
        "cds/territorio/logradouros.html",
        {"pagina": pagina, "nome": nome, "parametros": _parametros(nome=nome), "pode_editar": pode_editar(request)},
    )


@requer_edicao
def logradouro_novo(request: RequisicaoComLotacao) -> HttpResponse:
    form = LogradouroForm(_postado(request))
    if request.method == "POST" and form.is_valid():
        try:
            logradouro = services.logradouro_cadastrar(ator=request.ator, dados=form.cleaned_data)
        except ValidationError as exc:
            erros_no_form(form, exc)
        else:
            messages.success(request, f"Logradouro {logradouro} cadastrado.")
            return redirect(f"{reverse('territorio_imovel_novo')}?logradouro={logradouro.pk}")
    return render(request, "cds/territorio/logradouro_form.html", {"form": form, "logradouro": None})


@requer_edicao
def logradouro_editar(request: RequisicaoComLotacao, logradouro_id: int) -> HttpResponse:
    logradouro = selectors.logradouro_obter(ator=request.ator, logradouro_id=logradouro_id)
    inicial = {campo: getattr(logradouro, campo) for campo in services.CAMPOS_LOGRADOURO}
    form = LogradouroForm(_postado(request), initial=inicial)
    if request.method == "POST" and form.is_valid():
        try:
            services.logradouro_atualizar(ator=request.ator, logradouro=logradouro, dados=form.cleaned_data)
        except ValidationError as exc:
            erros_no_form(form, exc)
        else:
            messages.success(request, "Logradouro atualizado.")
            return redirect("territorio_logradouros")
    return render(request, "cds/territorio/logradouro_form.html", {"form": form, "logradouro": logradouro})


# --- imóveis -------------------------------------------------------------------------------------


@requer_permissao("territorio.ver")
def imoveis(request: RequisicaoComLotacao) -> HttpResponse:
    """By team and microárea (GET, not identifying; at first the lotação's own) and by
    address (posted, kept in the session as every search of the project: an address
    names a household)."""
    equipe_id = parametros.inteiro(request.GET.get("equipe"))
    microarea = request.GET.get("microarea", "").strip()[:2]
    if not request.GET:
        # First visit: an agent's own team and microárea (the lotação's, from the CNES).
        equipe_id, microarea = request.lotacao.equipe_id, request.lotacao.microarea
    filtros = {"equipe": str(equipe_id or ""), "microarea": microarea}
    if request.method == "POST":
        return busca_postada(request, reverse("territorio_imoveis"), **filtros)
    endereco = busca_ler(request).get("q", "")
    lista = selectors.imoveis_buscar(ator=request.ator, equipe_id=equipe_id, microarea=microarea, endereco=endereco)
    pagina = Paginator(lista, POR_PAGINA).get_page(request.GET.get("pagina"))
    return render(
        request,
        "cds/territorio/imoveis.html",
        {
            "pagina": pagina,
            "equipes": Equipe.objects.filter(municipio_id=request.lotacao.municipio_id, ativo=True),
            "equipe_id": equipe_id,
            "microarea": microarea,
            "endereco": endereco,
            "filtros": urlencode(filtros),
            "parametros": _parametros(**filtros, busca=request.GET.get("busca", "")),
            "pode_editar": pode_editar(request),
        },
    )


def _contexto_form(form: ImovelForm, imovel: Imovel | None) -> dict[str, Any]:
    return {
        "form": form,
        "imovel": imovel,
        # The types each group of fields belongs to, for the page to show only those.
        "tipos_condicoes": _lista(t for t, _ in ledi.TIPO_IMOVEL if t not in ledi.SEM_CONDICAO_MORADIA),
        "tipos_instituicao": _lista(sorted(ledi.INSTITUICAO_PERMANENCIA)),
        "tipo_domicilio": ledi.DOMICILIO,
    }


def _lista(tipos: Any) -> str:
    return " ".join(str(tipo) for tipo in tipos)


@requer_edicao
def imovel_novo(request: RequisicaoComLotacao) -> HttpResponse:
    inicial = {
        "logradouro": parametros.inteiro(request.GET.get("logradouro")),
        "equipe": request.lotacao.equipe_id,
        "tipo": ledi.DOMICILIO,
    }
    form = ImovelForm(_postado(request), initial=inicial, municipio_id=request.lotacao.municipio_id)
    if request.method == "POST" and form.is_valid():
        try:
            imovel = services.imovel_cadastrar(ator=request.ator, dados=form.dados())
        except ValidationError as exc:
            erros_no_form(form, exc)
        else:
            messages.success(request, f"Imóvel {imovel} cadastrado.")
            return redirect("territorio_imovel", imovel_id=imovel.pk)
    return render(request, "cds/territorio/imovel_form.html", _contexto_form(form, None))


@requer_edicao
def imovel_editar(request: RequisicaoComLotacao, imovel_id: int) -> HttpResponse:
    imovel = selectors.imovel_obter(ator=request.ator, imovel_id=imovel_id)
    inicial = {campo: getattr(imovel, campo) for campo in services.CAMPOS_IMOVEL}
    form = ImovelForm(_postado(request), initial=inicial, municipio_id=request.lotacao.municipio_id)
    if request.method == "POST" and form.is_valid():
        try:
            services.imovel_atualizar(ator=request.ator, imovel=imovel, dados=form.dados())
        except ValidationError as exc:
            erros_no_form(form, exc)
        else:
            messages.success(request, "Imóvel atualizado.")
            return redirect("territorio_imovel", imovel_id=imovel.pk)
    return render(request, "cds/territorio/imovel_form.html", _contexto_form(form, imovel))


@requer_permissao("territorio.ver")
def imovel(request: RequisicaoComLotacao, imovel_id: int) -> HttpResponse:
    imovel = selectors.imovel_obter(ator=request.ator, imovel_id=imovel_id)
    return render(
        request,
        "cds/territorio/imovel.html",
        {
            "imovel": imovel,
            "familias": selectors.imovel_familias(ator=request.ator, imovel=imovel),
            "pode_editar": pode_editar(request),
            "domicilio": imovel.tipo == ledi.DOMICILIO,
        },
    )


# --- famílias ------------------------------------------------------------------------------------


def _busca_cidadaos(request: RequisicaoComLotacao) -> tuple[str, Any]:
    entrada = busca_ler(request).get("q", "")
    return entrada, cidadao_pesquisar(ator=request.ator, entrada=entrada) if entrada else None


@requer_edicao
def familia_nova(request: RequisicaoComLotacao, imovel_id: int) -> HttpResponse:
    """The responsável is chosen among the results of the citizens' search."""
    imovel = selectors.imovel_obter(ator=request.ator, imovel_id=imovel_id)
    if request.method == "POST" and "q" in request.POST:
        return busca_postada(request, reverse("territorio_familia_nova", args=[imovel.pk]))
    entrada, resultado = _busca_cidadaos(request)
    form = FamiliaNovaForm(_postado(request), municipio_id=request.lotacao.municipio_id)
    if request.method == "POST" and form.is_valid():
        try:
            familia = services.familia_cadastrar(
                ator=request.ator, imovel=imovel, responsavel=form.cleaned_data["responsavel"], dados=form.dados()
            )
        except ValidationError as exc:
            erros_no_form(form, exc, campos={"imovel": "responsavel", "membros": "responsavel"})
        else:
            messages.success(request, "Família cadastrada.")
            return redirect("territorio_familia", familia_id=familia.pk)
    return render(
        request,
        "cds/territorio/familia_nova.html",
        {"imovel": imovel, "form": form, "entrada": entrada, "resultado": resultado},
    )


def _pagina_familia(request: RequisicaoComLotacao, dados: selectors.FamiliaComMembros, **forms: Any) -> HttpResponse:
    """The família page; `forms` replaces the blank form of the action posted."""
    familia = dados.familia
    outros = [m.cidadao for m in dados.membros if m.cidadao_id != familia.responsavel_id]
    entrada, resultado = _busca_cidadaos(request)
    contexto = {
        "familia": familia,
        "membros": dados.membros,
        "imovel": familia.domicilio.imovel,
        "entrada": entrada,
        "resultado": resultado,
        "pode_editar": pode_editar(request),
        "form_dados": FamiliaDadosForm(initial={c: getattr(familia, c) for c in services.CAMPOS_FAMILIA}),
        "form_incluir": MembroIncluirForm(municipio_id=familia.municipio_id),
        "form_saida": MembroSaidaForm(membros=outros),
        "form_responsavel": ResponsavelForm(membros=outros),
        "form_mudanca": MudancaForm(),
        **forms,
    }
    return render(request, "cds/territorio/familia.html", contexto)


@requer_permissao("territorio.ver")
def familia(request: RequisicaoComLotacao, familia_id: int) -> HttpResponse:
    """The família, its members and the forms that change them; the citizens' search that
    includes a member is posted here (so a post needs the editing rights too)."""
    dados = selectors.familia_obter(ator=request.ator, familia_id=familia_id)
    if request.method == "POST":
        if not pode_editar(request):
            raise PermissionDenied("Seu perfil nesta lotação não permite editar o território.")
        return busca_postada(request, reverse("territorio_familia", args=[dados.familia.pk]))
    return _pagina_familia(request, dados)


def _acao_familia(
    request: RequisicaoComLotacao,
    dados: selectors.FamiliaComMembros,
    nome: str,
    form: Any,
    executar: Callable[[dict[str, Any]], str],
    campos: dict[str, str],
) -> HttpResponse:
    """The post of one of the família page's forms: the service, then back to the page; a
    refusal shows the page again with that form's messages next to its fields."""
    if request.method == "POST" and form.is_valid():
        try:
            mensagem = executar(form.cleaned_data)
        except ValidationError as exc:
            erros_no_form(form, exc, campos=campos)
        else:
            messages.success(request, mensagem)
            return redirect("territorio_familia", familia_id=dados.familia.pk)
    return _pagina_familia(request, dados, **{nome: form})


@requer_edicao
def familia_dados(request: RequisicaoComLotacao, familia_id: int) -> HttpResponse:
    dados = selectors.familia_obter(ator=request.ator, familia_id=familia_id)
    form = FamiliaDadosForm(_postado(request))

    def executar(valores: dict[str, Any]) -> str:
        services.familia_atualizar(ator=request.ator, familia=dados.familia, dados=form.dados())
        return "Dados da família atualizados."

    return _acao_familia(request, dados, "form_dados", form, executar, {"familia": "renda"})


@requer_edicao
def familia_membro_incluir(request: RequisicaoComLotacao, familia_id: int) -> HttpResponse:
    """Links a citizen (chosen among the search's results) to the família."""
    dados = selectors.familia_obter(ator=request.ator, familia_id=familia_id)
    form = MembroIncluirForm(_postado(request), municipio_id=dados.familia.municipio_id)

    def executar(valores: dict[str, Any]) -> str:
        cidadao = valores["cidadao"]
        services.familia_incluir_membro(
            ator=request.ator, familia=dados.familia, cidadao=cidadao, entrada=valores["entrada"]
        )
        return f"{cidadao.nome_exibicao} incluído(a) na família."

    return _acao_familia(request, dados, "form_incluir", form, executar, {"familia": "cidadao"})


@requer_edicao
def familia_membro_saida(request: RequisicaoComLotacao, familia_id: int) -> HttpResponse:
    dados = selectors.familia_obter(ator=request.ator, familia_id=familia_id)
    cidadaos = {m.cidadao.pk: m.cidadao for m in dados.membros}
    form = MembroSaidaForm(_postado(request), membros=list(cidadaos.values()))

    def executar(valores: dict[str, Any]) -> str:
        cidadao = cidadaos[valores["cidadao"]]
        services.familia_retirar_membro(
            ator=request.ator, familia=dados.familia, cidadao=cidadao, saida=valores["saida"]
        )
        return f"Saída de {cidadao.nome_exibicao} registrada."

    return _acao_familia(request, dados, "form_saida", form, executar, {"familia": "cidadao"})


@requer_edicao
def familia_responsavel(request: RequisicaoComLotacao, familia_id: int) -> HttpResponse:
    dados = selectors.familia_obter(ator=request.ator, familia_id=familia_id)
    cidadaos = {m.cidadao.pk: m.cidadao for m in dados.membros}
    form = ResponsavelForm(_postado(request), membros=list(cidadaos.values()))

    def executar(valores: dict[str, Any]) -> str:
        services.familia_trocar_responsavel(
            ator=request.ator, familia=dados.familia, responsavel=cidadaos[valores["responsavel"]]
        )
        return "Responsável familiar alterado."

    return _acao_familia(request, dados, "form_responsavel", form, executar, {"familia": "responsavel"})


@requer_edicao
def familia_mudanca(request: RequisicaoComLotacao, familia_id: int) -> HttpResponse:
    """The family moved out: its members leave with it (the page then shows it as moved)."""
    dados = selectors.familia_obter(ator=request.ator, familia_id=familia_id)
    form = MudancaForm(_postado(request))

    def executar(valores: dict[str, Any]) -> str:
        services.familia_registrar_mudanca(ator=request.ator, familia=dados.familia, data=valores["data_mudanca"])
        return "Mudança da família registrada."

    return _acao_familia(request, dados, "form_mudanca", form, executar, {"familia": "data_mudanca"})
