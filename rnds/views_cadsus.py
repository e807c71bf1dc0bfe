""" "Buscar no CADSUS": from the citizen search, look the person up nationally and create
or update the local record (through prontuario.cadastro.services)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from pec.audit.chain import audit_event
from pec.buscas import busca_ler, busca_redirecionar
from pec.documentos import so_digitos
from pec.http import RequisicaoComLotacao
from pec.identity.acesso import requer_permissao
from pec.identity.govbr.acesso import govbr_token_de_acesso
from prontuario.models import Cidadao
from rnds.cadsus import CadsusIndisponivel, PessoaCadsus, cadsus_buscar, cadsus_importar
from rnds.forms import CadsusBuscaForm
from rnds.selectors import certificado_ativo
from rnds.services import configuracao_obter


def _buscar(request: RequisicaoComLotacao, **criterios: object) -> list[PessoaCadsus]:
    municipio = request.lotacao.municipio
    pessoas = cadsus_buscar(
        config=configuracao_obter(municipio=municipio),
        cert=certificado_ativo(municipio_id=municipio.id),
        govbr_token=govbr_token_de_acesso(request),
        **criterios,  # type: ignore[arg-type]
    )
    audit_event(evento="cadsus_consulta", ator=request.ator, o_que=f"Consulta ao CADSUS ({len(pessoas)} resultado(s))")
    return pessoas


def _criterios(documento: str) -> dict[str, str]:
    return {"cpf": documento} if len(documento) == 11 else {"cns": documento}


@requer_permissao("cidadao.editar")
def buscar(request: RequisicaoComLotacao) -> HttpResponse:
    """Posted, then shown at ?busca=<id>: the CPF, CNS or name never travels in a URL (pec.buscas)."""
    if request.method == "POST":
        form = CadsusBuscaForm(request.POST)
        if form.is_valid():
            campos = {campo: request.POST.get(campo, "") for campo in ("cpf_cns", "nome", "data_nascimento")}
            return busca_redirecionar(request, reverse("cadsus_buscar"), campos)
    else:
        form = CadsusBuscaForm(busca_ler(request) or None)
    pessoas: list[dict[str, object]] = []
    erro = ""
    if form.is_valid():
        dados = form.cleaned_data
        criterios = (
            _criterios(dados["documento"])
            if dados["documento"]
            else {
                "nome": dados["nome"],
                "nascimento": dados["data_nascimento"],
            }
        )
        try:
            encontrados = _buscar(request, **criterios)
        except CadsusIndisponivel as exc:
            erro = str(exc)
        else:
            locais = Cidadao.objects.filter(municipio_id=request.lotacao.municipio_id, ativo=True)
            for p in encontrados:
                local = (p.cns and locais.filter(cns=p.cns).first()) or (p.cpf and locais.filter(cpf=p.cpf).first())
                pessoas.append({**p.__dict__, "sexo_rotulo": p.sexo_rotulo, "local_id": local.id if local else None})
    return render(
        request, "rnds/cadsus.html", {"form": form, "pessoas": pessoas, "erro": erro, "buscou": form.is_bound}
    )


@require_POST
@requer_permissao("cidadao.editar")
def importar(request: RequisicaoComLotacao) -> HttpResponse:
    # Asked again rather than trusting the page: what is saved is what CADSUS says now.
    documento = so_digitos(request.POST.get("documento", ""))
    if len(documento) not in (11, 15):
        messages.error(request, "Documento inválido.")
        return redirect("cadsus_buscar")
    try:
        pessoas = _buscar(request, **_criterios(documento))
        if not pessoas:
            messages.error(request, "O CADSUS não encontrou mais este cidadão.")
            return redirect("cadsus_buscar")
        cidadao, criado = cadsus_importar(lotacao=request.lotacao, pessoa=pessoas[0])
    except CadsusIndisponivel as exc:
        messages.error(request, str(exc))
        return redirect("cadsus_buscar")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("cadsus_buscar")
    messages.success(request, f"{cidadao.nome} {'cadastrado' if criado else 'atualizado'} a partir do CADSUS.")
    try:
        return redirect(reverse("cidadao_detalhe", args=[cidadao.id]))
    except NoReverseMatch:
        return redirect("cadsus_buscar")
