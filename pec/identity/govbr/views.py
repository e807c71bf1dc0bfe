"""The installation administrator's gov.br page, and the step out to gov.br's logout."""

from __future__ import annotations

import copy

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from pec.http import RequisicaoAutenticada
from pec.identity.acesso import requer_admin_instalacao, requer_reautenticacao
from pec.identity.govbr.acesso import govbr_saida_url
from pec.identity.govbr.config import (
    ESCOPOS,
    govbr_configuracao,
    govbr_configurar,
    govbr_pos_saida_uri,
    govbr_redirect_uri,
)
from pec.identity.govbr.forms import GovBrForm
from pec.models import ConfiguracaoGovBr


@requer_admin_instalacao
@requer_reautenticacao
def configuracao(request: RequisicaoAutenticada) -> HttpResponse:
    atual = govbr_configuracao() or ConfiguracaoGovBr()
    tem_segredo = bool(atual.segredo_cifrado)
    # The form validates a copy: a rejected form must not leave half-applied values.
    form = GovBrForm(request.POST or None, instance=copy.copy(atual), tem_segredo=tem_segredo)
    if request.method == "POST" and form.is_valid():
        govbr_configurar(
            ativo=form.cleaned_data["ativo"],
            ambiente=form.cleaned_data["ambiente"],
            issuer_outro=form.cleaned_data["issuer_outro"],
            client_id=form.cleaned_data["client_id"],
            novo_segredo=form.novo_segredo(),
            ator=request.ator,
            origem="página da instalação",
        )
        messages.success(request, "Configuração do gov.br salva.")
        return redirect("instalacao_govbr")
    contexto = {
        "form": form,
        "tem_segredo": tem_segredo,
        "redirect_uri": govbr_redirect_uri(request),
        "pos_saida_uri": govbr_pos_saida_uri(request),
        "escopos": " ".join(ESCOPOS),
    }
    return render(request, "pec/instalacao/govbr.html", contexto)


def saida(request: HttpRequest, chave: str) -> HttpResponse:
    """After our logout: on to gov.br's, by a page, not a redirect. A redirect answering
    the logout form would be blocked by our CSP form-action 'self'."""
    url = govbr_saida_url(chave=chave)
    if url is None:
        return redirect("account_login")
    return render(request, "pec/govbr_saida.html", {"url": url})
