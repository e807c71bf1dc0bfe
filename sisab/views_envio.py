"""Sending to the SISAB: the municipal administrator's pages (identity, destinations,
the open competência with its invalid and late fichas, refused deliveries)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from pec.audit.chain import audit_event
from pec.http import RequisicaoComLotacao
from pec.identity.acesso import requer_permissao, requer_reautenticacao
from sisab import envio, selectors
from sisab.forms import DestinoForm, InstalacaoForm
from sisab.ledi import TIPOS
from sisab.models import DestinoSisab, EntregaSisab


@requer_permissao("admin.municipio")
def painel(request: RequisicaoComLotacao) -> HttpResponse:
    municipio = request.lotacao.municipio
    instalacao = envio.instalacao_do_municipio(municipio_id=municipio.id)
    prazo_dia = instalacao.prazo_dia if instalacao else selectors.PRAZO_PADRAO
    hoje = selectors.hoje()
    abertas = selectors.competencias_abertas(hoje=hoje, prazo_dia=prazo_dia)
    resumos = [
        selectors.resumo_competencia(municipio_id=municipio.id, competencia=c, prazo_dia=prazo_dia) for c in abertas
    ]
    contexto = {
        "municipio": municipio,
        "instalacao": instalacao,
        "instalacao_form": InstalacaoForm(instance=instalacao),
        "destinos": DestinoSisab.objects.filter(municipio_id=municipio.id),
        "destino_form": DestinoForm(),
        "resumos": [{"r": r, "tipos": [(TIPOS[t].nome, n) for t, n in sorted(r.por_tipo.items())]} for r in resumos],
        "invalidas": selectors.fichas_invalidas(municipio_id=municipio.id, competencias=abertas)[:200],
        "atrasadas": selectors.fichas_atrasadas(municipio_id=municipio.id, hoje=hoje, prazo_dia=prazo_dia)[:200],
        "erros": selectors.entregas_com_erro(municipio_id=municipio.id)[:200],
        "tipos": {codigo: tipo.nome for codigo, tipo in TIPOS.items()},
    }
    return render(request, "sisab/envio.html", contexto)


@require_POST
@requer_permissao("admin.municipio")
@requer_reautenticacao
def instalacao_salvar(request: RequisicaoComLotacao) -> HttpResponse:
    municipio = request.lotacao.municipio
    form = InstalacaoForm(request.POST, instance=envio.instalacao_do_municipio(municipio_id=municipio.id))
    if not form.is_valid():
        messages.error(
            request,
            "Confira a identificação da instalação: "
            + " ".join(str(erro) for erros in form.errors.values() for erro in erros),
        )
        return redirect("sisab_envio")
    instalacao = form.save(commit=False)
    instalacao.municipio = municipio
    instalacao.save()
    audit_event(
        evento="admin_alteracao",
        ator=request.ator,
        detalhes={"acao": "sisab_instalacao_salva", "uuid_instalacao": str(instalacao.uuid_instalacao)},
    )
    messages.success(request, "Identificação da instalação salva.")
    return redirect("sisab_envio")


@require_POST
@requer_permissao("admin.municipio")
@requer_reautenticacao
def destino_novo(request: RequisicaoComLotacao) -> HttpResponse:
    form = DestinoForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "Confira o destino: " + " ".join(str(erro) for erros in form.errors.values() for erro in erros)
        )
        return redirect("sisab_envio")
    destino = form.save(commit=False)
    destino.municipio = request.lotacao.municipio
    envio.destino_salvar(destino=destino, senha=form.cleaned_data.get("senha"))
    audit_event(
        evento="admin_alteracao", ator=request.ator, detalhes={"acao": "sisab_destino_criado", "destino": destino.id}
    )
    messages.success(request, f"Destino “{destino.nome}” cadastrado.")
    return redirect("sisab_envio")


@require_POST
@requer_permissao("admin.municipio")
def destino_desativar(request: RequisicaoComLotacao, destino_id: int) -> HttpResponse:
    destino = get_object_or_404(DestinoSisab, id=destino_id, municipio_id=request.lotacao.municipio_id)
    destino.ativo = False
    destino.save(update_fields=["ativo"])
    audit_event(
        evento="admin_alteracao",
        ator=request.ator,
        detalhes={"acao": "sisab_destino_desativado", "destino": destino.id},
    )
    messages.success(request, f"Destino “{destino.nome}” desativado.")
    return redirect("sisab_envio")


@require_POST
@requer_permissao("admin.municipio")
def destino_reenviar(request: RequisicaoComLotacao, destino_id: int) -> HttpResponse:
    destino = get_object_or_404(DestinoSisab, id=destino_id, municipio_id=request.lotacao.municipio_id)
    total = envio.reenviar(municipio_id=destino.municipio_id, destino_id=destino.id)
    audit_event(
        evento="admin_alteracao",
        ator=request.ator,
        detalhes={"acao": "sisab_reenvio", "destino": destino.id, "fichas": total},
    )
    messages.success(
        request,
        f"{total} ficha(s) recusada(s) voltaram para a fila de “{destino.nome}”; "
        "serão enviadas na próxima janela de envio.",
    )
    return redirect("sisab_envio")


@requer_permissao("admin.municipio")
def ficha(request: RequisicaoComLotacao, ficha_id: int) -> HttpResponse:
    ficha = selectors.ficha_ler(ator=request.ator, ficha_id=ficha_id)
    entregas = EntregaSisab.objects.filter(ficha=ficha).select_related("destino")
    return render(request, "sisab/ficha.html", {"ficha": ficha, "tipo": TIPOS[ficha.tipo].nome, "entregas": entregas})
