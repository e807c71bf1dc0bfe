"""Pages of the municipal administrator: send a CNES file, preview what it would change,
apply it, and browse the import history."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cnes_import import selectors
from cnes_import.forms import TAMANHO_MAXIMO, EnvioCnesForm
from cnes_import.models import ImportacaoCnes
from cnes_import.services import arquivo_sha256, cnes_importar, envio_caminho, envio_descartar, envio_guardar
from pec.acesso import requer_permissao
from pec.uploads import limite_upload

# {"importacao_id": id of the simulated import, "token": upload token}: the preview that
# "Aplicar" may turn into a real import, at most one per session.
SESSAO_PREVIA = "cnes_previa"
POR_PAGINA = 30


def _municipio_id(request: HttpRequest) -> int:
    return request.lotacao.municipio_id  # type: ignore[attr-defined]


def _previa_descartar(request: HttpRequest) -> None:
    previa = request.session.pop(SESSAO_PREVIA, None)
    if previa:
        envio_descartar(token=previa["token"])


def _recusa(request: HttpRequest, mensagem: str) -> HttpResponse:
    messages.error(request, mensagem)
    return redirect("cnes_importacoes")


@limite_upload(TAMANHO_MAXIMO, _recusa)
@requer_permissao("admin.municipio")
def importacoes(request: HttpRequest) -> HttpResponse:
    """History, and the upload form; an upload is simulated and shown as a preview."""
    if request.method == "POST":
        form = EnvioCnesForm(request.POST, request.FILES)
        if form.is_valid():
            _previa_descartar(request)
            enviado = form.cleaned_data["arquivo"]
            token = envio_guardar(arquivo=enviado)
            resultado = cnes_importar(
                municipio=request.lotacao.municipio,  # type: ignore[attr-defined]
                arquivo=envio_caminho(token=token),  # type: ignore[arg-type]
                dry_run=True,
                resetar_perfis=form.cleaned_data["resetar_perfis"],
                ator=request.user,  # type: ignore[arg-type]
                origem=ImportacaoCnes.Origem.WEB,
                nome_arquivo=enviado.name,
                request=request,
            )
            if resultado.ok:
                request.session[SESSAO_PREVIA] = {"importacao_id": resultado.importacao.id, "token": token}
            else:
                envio_descartar(token=token)
                messages.error(request, resultado.mensagem)
            return redirect("cnes_importacao", resultado.importacao.id)
    else:
        form = EnvioCnesForm()
    pagina = Paginator(selectors.importacoes_listar(municipio_id=_municipio_id(request)), POR_PAGINA).get_page(
        request.GET.get("pagina")
    )
    return render(request, "cnes_import/importacoes.html", {"form": form, "pagina": pagina})


@requer_permissao("admin.municipio")
def importacao(request: HttpRequest, importacao_id: int) -> HttpResponse:
    """One import of the history; for the session's pending preview, the "Aplicar" button."""
    obj = selectors.importacao_obter(municipio_id=_municipio_id(request), importacao_id=importacao_id)
    previa = request.session.get(SESSAO_PREVIA)
    pendente = bool(previa and previa["importacao_id"] == obj.id)
    return render(request, "cnes_import/importacao.html", {"importacao": obj, "previa_pendente": pendente})


@require_POST
@requer_permissao("admin.municipio")
def importacao_aplicar(request: HttpRequest, importacao_id: int) -> HttpResponse:
    simulada = selectors.importacao_obter(municipio_id=_municipio_id(request), importacao_id=importacao_id)
    previa = request.session.get(SESSAO_PREVIA)
    caminho = envio_caminho(token=previa["token"]) if previa and previa["importacao_id"] == simulada.id else None
    # The bytes applied must be the bytes previewed.
    if caminho is None or arquivo_sha256(caminho) != simulada.arquivo_sha256:
        _previa_descartar(request)
        messages.error(request, "Esta prévia não está mais disponível. Envie o arquivo novamente.")
        return redirect("cnes_importacoes")
    resultado = cnes_importar(
        municipio=request.lotacao.municipio,  # type: ignore[attr-defined]
        arquivo=caminho,
        dry_run=False,
        resetar_perfis=simulada.resetar_perfis,
        ator=request.user,  # type: ignore[arg-type]
        origem=ImportacaoCnes.Origem.WEB,
        nome_arquivo=simulada.arquivo_nome,
        request=request,
        sha256=simulada.arquivo_sha256,  # just checked against the bytes above
    )
    _previa_descartar(request)
    if resultado.ok:
        messages.success(request, resultado.mensagem)
    else:
        messages.error(request, resultado.mensagem)
    return redirect("cnes_importacao", resultado.importacao.id)


@require_POST
@requer_permissao("admin.municipio")
def importacao_descartar(request: HttpRequest, importacao_id: int) -> HttpResponse:
    selectors.importacao_obter(municipio_id=_municipio_id(request), importacao_id=importacao_id)
    _previa_descartar(request)
    messages.info(request, "Prévia descartada: nada foi importado.")
    return redirect("cnes_importacoes")
