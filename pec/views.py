from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render

from pec.http import RequisicaoAutenticada
from pec.identity.acesso import acoes_disponiveis, exigir_mfa, mfa_pendente
from pec.identity.govbr.acesso import govbr_municipio_permitido
from pec.identity.login import lotacao_ativar, lotacoes_do_usuario
from pec.models import Lotacao


@login_required
def inicio(request: RequisicaoAutenticada) -> HttpResponse:
    """Home: the actions the active lotação's perfis allow (installation admins: theirs)."""
    if request.lotacao is None and not request.user.administrador_instalacao:
        return redirect("lotacao_escolher")
    if mfa_pendente(request):
        return exigir_mfa(request)
    contexto: dict[str, Any] = {"lotacao": request.lotacao, "acoes": acoes_disponiveis(request)}
    if request.lotacao is None:
        # An installation administrator who is also a professional somewhere.
        contexto["pode_escolher"] = Lotacao.objects.filter(usuario=request.user, ativo=True).exists()
    return render(request, "pec/inicio.html", contexto)


@login_required
def lotacao_escolher(request: RequisicaoAutenticada) -> HttpResponse:
    """Choose (or switch) the active lotação, grouped by municipality."""
    if request.method == "POST":
        try:
            lotacao_id = int(request.POST.get("lotacao", ""))
        except ValueError:
            raise Http404("Lotação inválida.") from None
        if lotacao_ativar(request=request, lotacao_id=lotacao_id) is None:
            raise Http404("Lotação não encontrada entre as suas lotações ativas.")
        return redirect("inicio")
    grupos = [
        grupo
        for grupo in lotacoes_do_usuario(usuario=request.user)
        if govbr_municipio_permitido(request=request, municipio=grupo.municipio)
    ]
    opcoes = [opcao for grupo in grupos for opcao in grupo.lotacoes]
    if not opcoes:
        if request.user.administrador_instalacao:
            return redirect("inicio")
        return render(request, "pec/sem_lotacao.html")
    if len(opcoes) == 1 and request.lotacao is None:
        lotacao_ativar(request=request, lotacao_id=opcoes[0].id)
        return redirect("inicio")
    atual = request.lotacao.id if request.lotacao is not None else None
    return render(request, "pec/lotacao_escolher.html", {"grupos": grupos, "atual": atual})
