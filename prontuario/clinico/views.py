"""Clinical pages: escuta inicial, atendimento SOAP (autosaved draft, finalisation, addenda),
folha de rosto and histórico, vaccination, printable documents, terminology autocomplete.

Every object id is looked up inside the active lotação's municipality (404 otherwise)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from pec import parametros
from pec.administracao.forms import erros_no_form
from pec.http import RequisicaoComLotacao
from pec.identity.acesso import permissoes_ativas, requer_lotacao, requer_permissao, tem_permissao
from pec.models import Lotacao
from pec.outbox import outbox_ultimo_envio
from prontuario.clinico import documentos as documentos_clinicos
from prontuario.clinico import selectors as selectors_clinico
from prontuario.clinico import services as clinico
from prontuario.clinico.forms import AdendoForm, AssumirForm, EscutaForm, MedicaoForm, VacinacaoForm
from prontuario.clinico.models import Atendimento
from prontuario.terminologia.services import TABELAS, descricoes, termo_buscar
from prontuario.vacinacao import services as vacinacao


def _lotacao(request: RequisicaoComLotacao) -> Lotacao:
    return request.lotacao


@require_GET
@requer_lotacao
def terminologia_buscar(request: RequisicaoComLotacao, tabela: str) -> JsonResponse:
    if tabela not in TABELAS:
        return JsonResponse({"erro": "tabela desconhecida"}, status=404)
    termos = termo_buscar(tabela=tabela, texto=request.GET.get("q", "")[:100], limite=20)
    return JsonResponse({"resultados": [{"codigo": t.codigo, "descricao": t.descricao} for t in termos]})


# --- Escuta inicial --------------------------------------------------------------------------


@requer_permissao("escuta.registrar")
def escuta(request: RequisicaoComLotacao, entrada_id: int) -> HttpResponse:
    lotacao = _lotacao(request)
    entrada = selectors_clinico.entrada_obter(lotacao=lotacao, entrada_id=entrada_id)
    selectors_clinico.cidadao_clinico(ator=request.ator, cidadao_id=entrada.cidadao_id, o_que="escuta inicial")
    feita = getattr(entrada, "escuta", None)
    if feita is not None:
        nomes = descricoes([("ciap2", feita.motivo_ciap)])
        return render(
            request, "prontuario/clinico/escuta_detalhe.html", {"escuta": feita, "entrada": entrada, "nomes": nomes}
        )
    form = EscutaForm(request.POST or None)
    medicao = MedicaoForm(request.POST or None, prefix="m")
    if request.method == "GET":
        clinico.escuta_iniciar(entrada=entrada, lotacao=lotacao)
    elif form.is_valid() and medicao.is_valid():
        try:
            clinico.escuta_registrar(
                entrada=entrada, lotacao=lotacao, dados=form.cleaned_data, medicao=medicao.cleaned_data
            )
        except (ValidationError, clinico.JaFinalizado) as exc:
            messages.error(request, _mensagem(exc))
        else:
            messages.success(request, f"Escuta inicial de {entrada.cidadao.nome_exibicao} finalizada.")
            return redirect("prontuario_folha_rosto", cidadao_id=entrada.cidadao_id)
    return render(request, "prontuario/clinico/escuta.html", {"form": form, "medicao": medicao, "entrada": entrada})


def _mensagem(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


# --- Atendimento -----------------------------------------------------------------------------


@require_POST
@requer_permissao("atendimento.registrar")
def atendimento_iniciar(request: RequisicaoComLotacao, cidadao_id: int) -> HttpResponse:
    lotacao = _lotacao(request)
    cidadao = selectors_clinico.cidadao_clinico(ator=request.ator, cidadao_id=cidadao_id, o_que="início de atendimento")
    entrada = None
    if request.POST.get("entrada"):
        entrada_id = parametros.inteiro(request.POST["entrada"])
        if entrada_id is None:
            messages.error(request, "Entrada da lista de atendimentos inválida: abra o atendimento pela lista.")
            return redirect("lista_atendimentos")
        entrada = selectors_clinico.entrada_obter(lotacao=lotacao, entrada_id=entrada_id)
        if entrada.cidadao_id != cidadao.id:
            raise PermissionDenied("A entrada da lista é de outro cidadão.")
    atendimento = clinico.atendimento_iniciar(cidadao=cidadao, lotacao=lotacao, entrada=entrada)
    return redirect("prontuario_atendimento", atendimento_id=atendimento.pk)


@requer_permissao("prontuario.ver")
def atendimento(request: RequisicaoComLotacao, atendimento_id: int) -> HttpResponse:
    atual = selectors_clinico.atendimento_obter(ator=request.ator, atendimento_id=atendimento_id, o_que="atendimento")
    editavel = (
        atual.status == Atendimento.Status.RASCUNHO
        and atual.lotacao_id == _lotacao(request).id
        and tem_permissao(request, "atendimento.registrar")
    )
    if not editavel:
        return _atendimento_detalhe(request, atual)
    conflito = None
    if request.method == "POST":
        try:
            versao = int(request.POST.get("versao", ""))
        except ValueError:
            versao = -1
        try:
            clinico.atendimento_finalizar(
                atendimento=atual, lotacao=_lotacao(request), dados=request.POST, versao=versao
            )
        except clinico.Conflito as exc:
            conflito = exc.atual
        except (clinico.JaFinalizado, clinico.NaoEAutor) as exc:
            messages.error(request, str(exc))
            return redirect("prontuario_atendimento", atendimento_id=atual.pk)
        except ValidationError as exc:
            for mensagem in exc.messages:
                messages.error(request, mensagem)
        else:
            messages.success(request, "Atendimento finalizado.")
            return redirect("prontuario_folha_rosto", cidadao_id=atual.cidadao_id)
        forms = clinico.Formularios(request.POST)
        forms.validos()
    else:
        forms = (
            clinico.Formularios(atual.rascunho or None)
            if atual.rascunho
            else clinico.Formularios(None, inicial={"tipo_atendimento": atual.tipo_atendimento})
        )
    escuta = getattr(atual.entrada, "escuta", None) if atual.entrada_id else None
    return render(
        request,
        "prontuario/clinico/atendimento.html",
        {
            "atendimento": atual,
            "forms": forms,
            "versao": atual.versao if conflito is None else conflito.versao,
            "conflito": conflito,
            "escuta": escuta,
        },
    )


def _atendimento_detalhe(request: HttpRequest, atual: Atendimento) -> HttpResponse:
    problemas = list(atual.problemas_avaliados.all())
    prescricoes = list(atual.prescricoes.all())
    nomes = descricoes(
        [("ciap2", p.ciap) for p in problemas]
        + [("cid10", p.cid10) for p in problemas]
        + [("ciap2", atual.subjetivo_ciap)]
    )
    return render(
        request,
        "prontuario/clinico/atendimento_detalhe.html",
        {
            "atendimento": atual,
            "problemas": problemas,
            "prescricoes": prescricoes,
            "exames": list(atual.exames.all()),
            "encaminhamentos": list(atual.encaminhamentos.all()),
            "atestado": getattr(atual, "atestado", None),
            "adendos": list(atual.adendos.select_related("lotacao__profissional")),
            "nomes": nomes,
            "adendo_form": AdendoForm(),
            "assumir_form": AssumirForm(),
            "pode_assumir": atual.status == Atendimento.Status.RASCUNHO
            and tem_permissao(request, "atendimento.registrar"),
            "documentos": {tipo for tipo, codigo in DOCUMENTO_PERMISSAO.items() if tem_permissao(request, codigo)},
            "rnds": outbox_ultimo_envio(destino="rnds", municipio_id=atual.municipio_id, objeto=atual),
        },
    )


@require_POST
@requer_permissao("atendimento.registrar")
def atendimento_rascunho(request: RequisicaoComLotacao, atendimento_id: int) -> JsonResponse:
    """Autosave: the page posts the whole form every few seconds and on blur."""
    atual = selectors_clinico.atendimento_obter(
        ator=request.ator, atendimento_id=atendimento_id, o_que="rascunho de atendimento"
    )
    try:
        versao = int(request.POST.get("versao", ""))
    except ValueError:
        return JsonResponse({"erro": "Versão ausente."}, status=400)
    dados = {chave: _valor(request, chave) for chave in request.POST if chave not in ("csrfmiddlewaretoken", "versao")}
    try:
        nova = clinico.atendimento_salvar_rascunho(
            atendimento=atual, lotacao=_lotacao(request), dados=dados, versao=versao
        )
    except clinico.Conflito as exc:
        autor = exc.atual.salvo_por.profissional.nome
        return JsonResponse(
            {
                "erro": f"{autor} salvou este atendimento às {exc.atual.salvo_em:%H:%M:%S}. "
                "Recarregue a página para ver a versão atual antes de continuar.",
                "versao": exc.atual.versao,
            },
            status=409,
        )
    except (clinico.JaFinalizado, clinico.NaoEAutor) as exc:
        return JsonResponse({"erro": str(exc)}, status=409)
    return JsonResponse({"versao": nova})


@require_POST
@requer_permissao("atendimento.registrar")
def atendimento_assumir(request: RequisicaoComLotacao, atendimento_id: int) -> HttpResponse:
    """Explicit handover of another professional's draft (audited in the service)."""
    atual = selectors_clinico.atendimento_obter(
        ator=request.ator, atendimento_id=atendimento_id, o_que="assumir atendimento"
    )
    form = AssumirForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Informe o motivo para assumir o atendimento.")
        clinico.atendimento_assumir(
            atendimento=atual, lotacao=_lotacao(request), motivo=form.cleaned_data["motivo"], ator=request.ator
        )
    except (ValidationError, clinico.JaFinalizado) as exc:
        messages.error(request, _mensagem(exc))
    else:
        messages.success(request, "Você assumiu este atendimento; a troca ficou registrada na auditoria.")
    return redirect("prontuario_atendimento", atendimento_id=atual.pk)


def _valor(request: HttpRequest, chave: str) -> Any:
    valores = request.POST.getlist(chave)
    return valores if len(valores) > 1 or chave == "condutas" else valores[0]


@require_POST
@requer_permissao("atendimento.registrar")
def atendimento_adendo(request: RequisicaoComLotacao, atendimento_id: int) -> HttpResponse:
    atual = selectors_clinico.atendimento_obter(ator=request.ator, atendimento_id=atendimento_id, o_que="adendo")
    form = AdendoForm(request.POST)
    if form.is_valid():
        try:
            clinico.atendimento_adendar(
                atendimento=atual, lotacao=_lotacao(request), texto=form.cleaned_data["texto"], ator=request.ator
            )
        except ValidationError as exc:
            messages.error(request, _mensagem(exc))
        else:
            messages.success(request, "Adendo registrado.")
    else:
        messages.error(request, "Escreva o texto do adendo.")
    return redirect("prontuario_atendimento", atendimento_id=atual.pk)


# --- Folha de rosto, histórico ---------------------------------------------------------------


@requer_permissao("prontuario.ver")
def folha_rosto(request: RequisicaoComLotacao, cidadao_id: int) -> HttpResponse:
    folha = selectors_clinico.folha_de_rosto(ator=request.ator, cidadao_id=cidadao_id)
    return render(request, "prontuario/clinico/folha_rosto.html", {"folha": folha, "completo": False})


@requer_permissao("prontuario.ver")
def historico(request: RequisicaoComLotacao, cidadao_id: int) -> HttpResponse:
    folha = selectors_clinico.folha_de_rosto(ator=request.ator, cidadao_id=cidadao_id, ultimos=None)
    return render(request, "prontuario/clinico/folha_rosto.html", {"folha": folha, "completo": True})


# --- Vacinação -------------------------------------------------------------------------------


@requer_permissao("vacina.registrar")
def vacinacao_registrar(request: RequisicaoComLotacao, cidadao_id: int) -> HttpResponse:
    cidadao = selectors_clinico.cidadao_clinico(ator=request.ator, cidadao_id=cidadao_id, o_que="vacinação")
    form = VacinacaoForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            vacinacao.vacinacao_registrar(cidadao=cidadao, lotacao=_lotacao(request), dados=form.cleaned_data)
        except ValidationError as exc:
            erros_no_form(form, exc)
        else:
            messages.success(request, "Dose registrada.")
            return redirect("prontuario_folha_rosto", cidadao_id=cidadao.pk)
    return render(request, "prontuario/clinico/vacinacao.html", {"form": form, "cidadao": cidadao, "dose": None})


@requer_permissao("vacina.corrigir")
def vacinacao_corrigir(request: RequisicaoComLotacao, vacinacao_id: int) -> HttpResponse:
    dose = selectors_clinico.vacinacao_obter(ator=request.ator, vacinacao_id=vacinacao_id)
    inicial = {campo: getattr(dose, campo) for campo in vacinacao.CAMPOS}
    form = VacinacaoForm(request.POST or None, initial=inicial)
    if request.method == "POST" and form.is_valid():
        try:
            vacinacao.vacinacao_corrigir(
                vacinacao=dose,
                lotacao=_lotacao(request),
                permissoes=permissoes_ativas(request),
                dados=form.cleaned_data,
                ator=request.ator,
            )
        except ValidationError as exc:
            erros_no_form(form, exc)
        else:
            messages.success(request, "Dose corrigida; a versão anterior ficou no histórico.")
            return redirect("prontuario_folha_rosto", cidadao_id=dose.cidadao_id)
    return render(request, "prontuario/clinico/vacinacao.html", {"form": form, "cidadao": dose.cidadao, "dose": dose})


@require_POST
@requer_permissao("vacina.corrigir")
def vacinacao_excluir(request: RequisicaoComLotacao, vacinacao_id: int) -> HttpResponse:
    dose = selectors_clinico.vacinacao_obter(ator=request.ator, vacinacao_id=vacinacao_id)
    try:
        vacinacao.vacinacao_excluir(
            vacinacao=dose,
            lotacao=_lotacao(request),
            permissoes=permissoes_ativas(request),
            motivo=request.POST.get("motivo", ""),
            ator=request.ator,
        )
    except ValidationError as exc:
        messages.error(request, _mensagem(exc))
    else:
        messages.success(request, "Dose excluída (o registro fica guardado no histórico).")
    return redirect("prontuario_folha_rosto", cidadao_id=dose.cidadao_id)


# --- Documents -------------------------------------------------------------------------------

# Printing a document issues it: whoever prints needs the perfil that may issue that kind.
DOCUMENTO_PERMISSAO = {"atestado": "atestado.emitir", "prescricao": "prescricao.emitir", "exames": "exame.solicitar"}


@requer_permissao("prontuario.ver")
def documento(request: RequisicaoComLotacao, atendimento_id: int, tipo: str) -> HttpResponse:
    codigo = DOCUMENTO_PERMISSAO.get(tipo)
    if codigo is not None and not tem_permissao(request, codigo):
        raise PermissionDenied("Seu perfil nesta lotação não permite emitir este documento.")
    atual = selectors_clinico.atendimento_obter(
        ator=request.ator, atendimento_id=atendimento_id, o_que=f"documento: {tipo}"
    )
    if atual.status != Atendimento.Status.FINALIZADO:
        messages.error(request, "Documentos são emitidos depois de finalizar o atendimento.")
        return redirect("prontuario_atendimento", atendimento_id=atual.pk)
    conteudo = documentos_clinicos.gerar(tipo=tipo, atendimento=atual)
    if conteudo is None:
        messages.error(request, "Este atendimento não tem esse documento.")
        return redirect("prontuario_atendimento", atendimento_id=atual.pk)
    resposta = HttpResponse(conteudo, content_type="application/pdf")
    resposta["Content-Disposition"] = f'inline; filename="{tipo}-{atual.uuid}.pdf"'
    return resposta
