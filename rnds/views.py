"""Pages of the municipal administrator: RNDS dashboard, settings, certificate upload."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from pec.audit.chain import audit_event
from pec.http import RequisicaoComLotacao
from pec.identity.acesso import requer_permissao, requer_reautenticacao
from pec.outbox import outbox_reenviar
from rnds import selectors
from rnds.certificado import CertificadoInvalido
from rnds.forms import CertificadoForm, ConfiguracaoForm
from rnds.services import certificado_instalar, configuracao_obter, configuracao_salvar


def _municipio_id(request: RequisicaoComLotacao) -> int:
    return request.lotacao.municipio_id


@requer_permissao("admin.municipio")
def painel(request: RequisicaoComLotacao) -> HttpResponse:
    return render(request, "rnds/painel.html", {"painel": selectors.rnds_painel(municipio_id=_municipio_id(request))})


@require_POST
@requer_permissao("admin.municipio")
def reenviar(request: RequisicaoComLotacao, item_id: int) -> HttpResponse:
    item = selectors.erro_obter(municipio_id=_municipio_id(request), item_id=item_id)
    if outbox_reenviar(municipio_id=item.municipio_id, ids=[item.id]):
        audit_event(evento="rnds_reenvio", ator=request.ator, o_que=f"Reenvio à RNDS do registro {item.chave}")
        messages.success(request, "O registro voltou para a fila e será reenviado em instantes.")
    return redirect("rnds_painel")


@requer_permissao("admin.municipio")
def configuracao(request: RequisicaoComLotacao) -> HttpResponse:
    config = configuracao_obter(municipio=request.lotacao.municipio)
    form = ConfiguracaoForm(request.POST or None, instance=config)
    if request.method == "POST" and form.is_valid():
        configuracao_salvar(config=form.save(commit=False), usuario=request.user)
        messages.success(request, "Configuração da RNDS salva.")
        return redirect("rnds_painel")
    return render(request, "rnds/configuracao.html", {"form": form, "config": config})


@requer_permissao("admin.municipio")
@requer_reautenticacao(tambem_get=False)
def certificados(request: RequisicaoComLotacao) -> HttpResponse:
    form = CertificadoForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            cert = certificado_instalar(
                municipio=request.lotacao.municipio,
                conteudo=form.cleaned_data["arquivo"],
                senha=form.cleaned_data["senha"],
                usuario=request.user,
            )
        except CertificadoInvalido as exc:
            form.add_error("arquivo", str(exc))
        else:
            messages.success(
                request, f"Certificado de {cert.titular} instalado, válido até {cert.valido_ate:%d/%m/%Y}."
            )
            return redirect("rnds_certificado", cert.id)
    lista = selectors.certificados_listar(municipio_id=_municipio_id(request))
    return render(
        request, "rnds/certificados.html", {"form": form, "certificados": lista}, status=400 if form.errors else 200
    )


@requer_permissao("admin.municipio")
def certificado(request: RequisicaoComLotacao, certificado_id: int) -> HttpResponse:
    cert = selectors.certificado_obter(municipio_id=_municipio_id(request), certificado_id=certificado_id)
    return render(request, "rnds/certificado.html", {"cert": cert})
