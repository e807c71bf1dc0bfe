"""Administration pages: the municipal administrator (permission admin.municipio, in the
municipality of the active lotação) and the installation administrator."""

from __future__ import annotations

import copy

from allauth.account.models import EmailAddress
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from pec.administracao import selectors, services
from pec.administracao.forms import (
    ContaBuscarForm,
    ContaEmailForm,
    LotacaoPerfisForm,
    MunicipioForm,
    MunicipioNovoForm,
    PerfilForm,
    ProfissionalRegistroForm,
    SMTPForm,
    SMTPTesteForm,
)
from pec.buscas import busca_ler, busca_postada
from pec.email import smtp_configuracao, smtp_testar
from pec.http import RequisicaoAutenticada, RequisicaoComLotacao
from pec.identity import contas
from pec.identity.acesso import requer_admin_instalacao, requer_permissao, requer_reautenticacao
from pec.identity.permissoes import PERMISSOES
from pec.models import ConfiguracaoSMTP, EmailSaida, Municipio, Usuario

POR_PAGINA = 50


def _municipio_id(request: RequisicaoComLotacao) -> int:
    return request.lotacao.municipio_id


def _erro(request: HttpRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


# --- Municipal administrator -------------------------------------------------------------------


@requer_permissao("admin.municipio")
def profissionais(request: RequisicaoComLotacao) -> HttpResponse:
    """Search by name, CPF or CNS: posted, then paged at ?busca=<id>&pagina=N (pec.buscas)."""
    if request.method == "POST":
        return busca_postada(request, reverse("admin_profissionais"))
    termo = busca_ler(request).get("q", "")
    consulta = selectors.profissionais_buscar(municipio_id=_municipio_id(request), termo=termo)
    pagina = Paginator(consulta, POR_PAGINA).get_page(request.GET.get("pagina"))
    return render(
        request,
        "pec/admin/profissionais.html",
        {"pagina": pagina, "termo": termo, "busca": request.GET.get("busca", "") if termo else ""},
    )


@requer_permissao("admin.municipio")
def profissional(request: RequisicaoComLotacao, profissional_id: int) -> HttpResponse:
    prof = selectors.profissional_obter(municipio_id=_municipio_id(request), profissional_id=profissional_id)
    contexto = {
        "profissional": prof,
        "lotacoes": selectors.lotacoes_do_profissional(profissional=prof),
        "bloqueado": selectors.acesso_bloqueado(cpf=prof.cpf),
    }
    return render(request, "pec/admin/profissional.html", contexto)


@requer_permissao("admin.municipio")
def profissional_registro(request: RequisicaoComLotacao, profissional_id: int) -> HttpResponse:
    prof = selectors.profissional_lotado_obter(municipio_id=_municipio_id(request), profissional_id=profissional_id)
    inicial = {campo: getattr(prof, campo) for campo in services.CAMPOS_REGISTRO_PROFISSIONAL}
    form = ProfissionalRegistroForm(request.POST or None, initial=inicial)
    if request.method == "POST" and form.is_valid():
        try:
            services.profissional_alterar_registro(profissional=prof, dados=form.cleaned_data, ator=request.ator)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"CNS e conselho de {prof.nome} salvos.")
            return redirect("admin_profissional", profissional_id=prof.id)
    status = 400 if form.errors else 200
    return render(request, "pec/admin/profissional_registro.html", {"profissional": prof, "form": form}, status=status)


@require_POST
@requer_permissao("admin.municipio")
def profissional_desbloquear(request: RequisicaoComLotacao, profissional_id: int) -> HttpResponse:
    prof = selectors.profissional_obter(municipio_id=_municipio_id(request), profissional_id=profissional_id)
    try:
        services.profissional_desbloquear(profissional=prof, ator=request.ator)
    except ValidationError as exc:
        _erro(request, exc)
    else:
        messages.success(request, f"Acesso de {prof.nome} desbloqueado.")
    return redirect("admin_profissional", profissional_id=prof.id)


@require_POST
@requer_permissao("admin.municipio")
def lotacao_ativa(request: RequisicaoComLotacao, lotacao_id: int) -> HttpResponse:
    lotacao = selectors.lotacao_obter(municipio_id=_municipio_id(request), lotacao_id=lotacao_id)
    ativo = request.POST.get("ativo") == "1"
    try:
        services.lotacao_definir_ativa(lotacao=lotacao, ativo=ativo, ator=request.ator)
    except ValidationError as exc:
        _erro(request, exc)
    else:
        messages.success(request, "Lotação ativada." if ativo else "Lotação desativada.")
    return redirect("admin_profissional", profissional_id=lotacao.profissional_id)


@requer_permissao("admin.municipio")
def lotacao_perfis(request: RequisicaoComLotacao, lotacao_id: int) -> HttpResponse:
    municipio_id = _municipio_id(request)
    lotacao = selectors.lotacao_obter(municipio_id=municipio_id, lotacao_id=lotacao_id)
    if request.method == "POST":
        form = LotacaoPerfisForm(request.POST, municipio_id=municipio_id)
        if form.is_valid():
            try:
                services.lotacao_definir_perfis(
                    lotacao=lotacao, perfis=list(form.cleaned_data["perfis"]), ator=request.ator
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, "Perfis da lotação alterados.")
                return redirect("admin_profissional", profissional_id=lotacao.profissional_id)
    else:
        form = LotacaoPerfisForm(initial={"perfis": list(lotacao.perfis.all())}, municipio_id=municipio_id)
    return render(request, "pec/admin/lotacao_perfis.html", {"lotacao": lotacao, "form": form})


@requer_permissao("admin.municipio")
def perfis(request: RequisicaoComLotacao) -> HttpResponse:
    lista = selectors.perfis_do_municipio(municipio_id=_municipio_id(request))
    return render(request, "pec/admin/perfis.html", {"perfis": lista, "catalogo": PERMISSOES})


@requer_permissao("admin.municipio")
def perfil(request: RequisicaoComLotacao, perfil_id: int) -> HttpResponse:
    obj = selectors.perfil_obter(municipio_id=_municipio_id(request), perfil_id=perfil_id)
    if request.method == "POST":
        form = PerfilForm(request.POST)
        if form.is_valid():
            try:
                services.perfil_salvar(
                    perfil=obj,
                    nome=form.cleaned_data["nome"],
                    permissoes=form.cleaned_data["permissoes"],
                    ator=request.ator,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, f"Perfil “{obj.nome}” salvo.")
                return redirect("admin_perfis")
    else:
        form = PerfilForm(initial={"nome": obj.nome, "permissoes": obj.permissoes})
    return render(request, "pec/admin/perfil.html", {"perfil": obj, "form": form})


@require_POST
@requer_permissao("admin.municipio")
def perfil_copiar(request: RequisicaoComLotacao, perfil_id: int) -> HttpResponse:
    obj = selectors.perfil_obter(municipio_id=_municipio_id(request), perfil_id=perfil_id)
    copia = services.perfil_copiar(perfil=obj, ator=request.ator)
    messages.success(request, f"Cópia criada: edite o nome e as permissões de “{copia.nome}”.")
    return redirect("admin_perfil", perfil_id=copia.id)


# --- Installation administrator ----------------------------------------------------------------


@requer_admin_instalacao
def municipios(request: RequisicaoAutenticada) -> HttpResponse:
    return render(request, "pec/instalacao/municipios.html", {"municipios": selectors.municipios_listar()})


@requer_admin_instalacao
def municipio_novo(request: RequisicaoAutenticada) -> HttpResponse:
    form = MunicipioNovoForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            municipio = services.municipio_criar(**form.cleaned_data, ator=request.ator)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Município {municipio} criado, com os perfis padrão.")
            return redirect("instalacao_municipios")
    return render(request, "pec/instalacao/municipio_novo.html", {"form": form})


@requer_admin_instalacao
def municipio(request: RequisicaoAutenticada, municipio_id: int) -> HttpResponse:
    obj = get_object_or_404(Municipio, pk=municipio_id)
    # The form validates a copy: a rejected form must not leave half-applied values.
    form = MunicipioForm(request.POST or None, instance=copy.copy(obj))
    if request.method == "POST" and form.is_valid():
        try:
            services.municipio_atualizar(municipio=obj, dados=form.cleaned_data, ator=request.ator)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Município {obj} atualizado.")
            return redirect("instalacao_municipios")
    return render(request, "pec/instalacao/municipio.html", {"municipio": obj, "form": form})


@requer_admin_instalacao
@requer_reautenticacao
def smtp(request: RequisicaoAutenticada) -> HttpResponse:
    atual = smtp_configuracao() or ConfiguracaoSMTP()
    form = SMTPForm(request.POST or None, instance=copy.copy(atual))
    if request.method == "POST" and form.is_valid():
        services.smtp_configurar(config=form.instance, nova_senha=form.nova_senha(), ator=request.ator)
        messages.success(request, "Configuração de e-mail salva.")
        return redirect("instalacao_smtp")
    contexto = {
        "form": form,
        "teste": SMTPTesteForm(initial={"para": request.user.email}),
        "configurado": atual.pk is not None,
        "tem_senha": bool(atual.senha_cifrada),
        "recentes": EmailSaida.objects.order_by("-id")[:10],
    }
    return render(request, "pec/instalacao/smtp.html", contexto)


@require_POST
@requer_admin_instalacao
def smtp_teste(request: RequisicaoAutenticada) -> HttpResponse:
    form = SMTPTesteForm(request.POST)
    if smtp_configuracao() is None:
        messages.error(request, "Salve a configuração do servidor antes de enviar o teste.")
    elif not form.is_valid():
        messages.error(request, "Informe um endereço de e-mail válido para o teste.")
    else:
        para = form.cleaned_data["para"]
        falha = smtp_testar(para=para)
        if falha is None:
            messages.success(
                request, f"E-mail de teste aceito pelo servidor para {para}: confira a caixa de entrada (e a de spam)."
            )
        else:
            messages.error(request, f"O e-mail de teste não foi enviado: {falha}.")
    return redirect("instalacao_smtp")


def _conta_pagina(
    request: HttpRequest, *, busca: ContaBuscarForm, conta: Usuario | None, email_form: ContaEmailForm
) -> HttpResponse:
    contexto = {
        "busca": busca,
        "conta": conta,
        "emails": EmailAddress.objects.filter(user=conta).order_by("-primary", "email") if conta else [],
        "municipios": Municipio.objects.filter(id__in=contas.municipios_da_conta(usuario_id=conta.id)) if conta else [],
        "email_form": email_form,
        "bloqueado": selectors.acesso_bloqueado(cpf=conta.cpf) if conta else False,
    }
    return render(request, "pec/instalacao/contas.html", contexto)


@requer_admin_instalacao
def contas_buscar(request: RequisicaoAutenticada) -> HttpResponse:
    """An account by CPF (a POST: the CPF stays out of URLs and access logs)."""
    busca = ContaBuscarForm(request.POST or None)
    conta = None
    if request.method == "POST" and busca.is_valid():
        conta = Usuario.objects.filter(cpf=busca.cleaned_data["cpf"]).first()
        if conta is None:
            busca.add_error("cpf", "Nenhuma conta com este CPF na instalação.")
    return _conta_pagina(request, busca=busca, conta=conta, email_form=ContaEmailForm())


@require_POST
@requer_admin_instalacao
def conta_email(request: RequisicaoAutenticada, usuario_id: int) -> HttpResponse:
    conta = get_object_or_404(Usuario, pk=usuario_id)
    form = ContaEmailForm(request.POST)
    if form.is_valid():
        try:
            contas.conta_definir_email(usuario=conta, email=form.cleaned_data["email"], ator=request.ator)
        except ValidationError as exc:
            form.add_error("email", exc)
        else:
            messages.success(request, f"E-mail de {conta.nome} definido e confirmado.")
            form = ContaEmailForm()
    return _conta_pagina(request, busca=ContaBuscarForm(initial={"cpf": conta.cpf}), conta=conta, email_form=form)


@require_POST
@requer_admin_instalacao
def conta_desbloquear(request: RequisicaoAutenticada, usuario_id: int) -> HttpResponse:
    conta = get_object_or_404(Usuario, pk=usuario_id)
    contas.conta_desbloquear(usuario=conta, ator=request.ator)
    messages.success(request, f"Acesso de {conta.nome} desbloqueado.")
    return _conta_pagina(
        request, busca=ContaBuscarForm(initial={"cpf": conta.cpf}), conta=conta, email_form=ContaEmailForm()
    )
