"""Pages of the municipal administrator: send a CNES file, preview what it would change,
apply it, and browse the import history. Preview and apply run in a worker
(cnes_import.fila); the import's page shows them queued until the result is there."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cnes_import import selectors
from cnes_import.fila import PREVIA_INDISPONIVEL, importacao_enfileirar
from cnes_import.forms import TAMANHO_MAXIMO, EnvioCnesForm
from cnes_import.services import envio_caminho, envio_descartar, envio_guardar
from pec.http import RequisicaoComLotacao
from pec.identity.acesso import requer_permissao
from pec.uploads import limite_upload

# {"importacao_id": id of the simulated import, "token": upload token}: the preview that
# "Aplicar" may turn into a real import, at most one per session.
SESSAO_PREVIA = "cnes_previa"
POR_PAGINA = 30


def _municipio_id(request: RequisicaoComLotacao) -> int:
    return request.lotacao.municipio_id


def _previa_descartar(request: HttpRequest) -> None:
    previa = request.session.pop(SESSAO_PREVIA, None)
    if previa:
        envio_descartar(token=previa["token"])


def _recusa(request: HttpRequest, mensagem: str) -> HttpResponse:
    messages.error(request, mensagem)
    return redirect("cnes_importacoes")


@limite_upload(TAMANHO_MAXIMO, _recusa)
@requer_permissao("admin.municipio")
def importacoes(request: RequisicaoComLotacao) -> HttpResponse:
    """History, and the upload form; an upload is stored and simulated by a worker, and its
    page shows the preview when ready."""
    if request.method == "POST":
        form = EnvioCnesForm(request.POST, request.FILES)
        if form.is_valid():
            _previa_descartar(request)
            enviado = form.cleaned_data["arquivo"]
            token = envio_guardar(arquivo=enviado)
            simulada = importacao_enfileirar(
                ator=request.ator,
                token=token,
                nome_arquivo=enviado.name,
                simulacao=True,
                resetar_perfis=form.cleaned_data["resetar_perfis"],
            )
            request.session[SESSAO_PREVIA] = {"importacao_id": simulada.id, "token": token}
            return redirect("cnes_importacao", simulada.id)
    else:
        form = EnvioCnesForm()
    pagina = Paginator(selectors.importacoes_listar(municipio_id=_municipio_id(request)), POR_PAGINA).get_page(
        request.GET.get("pagina")
    )
    return render(request, "cnes_import/importacoes.html", {"form": form, "pagina": pagina})


@requer_permissao("admin.municipio")
def importacao(request: RequisicaoComLotacao, importacao_id: int) -> HttpResponse:
    """One import of the history (refreshing itself while a worker runs it); for the
    session's pending preview, the "Aplicar" button."""
    obj = selectors.importacao_obter(municipio_id=_municipio_id(request), importacao_id=importacao_id)
    previa = request.session.get(SESSAO_PREVIA)
    pendente = bool(previa and previa["importacao_id"] == obj.id)
    if pendente and not (obj.em_curso or obj.ok):  # refused or failed: its file is gone already
        request.session.pop(SESSAO_PREVIA)
    return render(request, "cnes_import/importacao.html", {"importacao": obj, "previa_pendente": pendente})


@require_POST
@requer_permissao("admin.municipio")
def importacao_aplicar(request: RequisicaoComLotacao, importacao_id: int) -> HttpResponse:
    """Queue the import of the previewed file; the worker checks the bytes are the ones previewed."""
    simulada = selectors.importacao_obter(municipio_id=_municipio_id(request), importacao_id=importacao_id)
    if simulada.em_curso:  # the worker still reads the file: nothing to apply yet
        return redirect("cnes_importacao", simulada.id)
    previa = request.session.get(SESSAO_PREVIA)
    caminho = envio_caminho(token=previa["token"]) if previa and previa["importacao_id"] == simulada.id else None
    if caminho is None or previa is None or not (simulada.ok and simulada.simulacao):
        _previa_descartar(request)
        messages.error(request, PREVIA_INDISPONIVEL)
        return redirect("cnes_importacoes")
    aplicada = importacao_enfileirar(
        ator=request.ator,
        token=previa["token"],
        nome_arquivo=simulada.arquivo_nome,
        simulacao=False,
        resetar_perfis=simulada.resetar_perfis,
        sha256=simulada.arquivo_sha256,
    )
    # The stored file is now the worker's to delete.
    request.session.pop(SESSAO_PREVIA, None)
    return redirect("cnes_importacao", aplicada.id)


@require_POST
@requer_permissao("admin.municipio")
def importacao_descartar(request: RequisicaoComLotacao, importacao_id: int) -> HttpResponse:
    selectors.importacao_obter(municipio_id=_municipio_id(request), importacao_id=importacao_id)
    _previa_descartar(request)
    messages.info(request, "Prévia descartada: nada foi importado.")
    return redirect("cnes_importacoes")
