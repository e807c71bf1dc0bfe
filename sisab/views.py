"""Receiving LEDI: the PEC-compatible API for sending systems, and the municipal
administrator's pages (credentials, lote import, what was received)."""

from __future__ import annotations

from django.contrib import messages
from django.core import signing
from django.db.models import Count, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from pec.audit.chain import audit_event
from pec.http import RequisicaoComLotacao
from pec.identity.acesso import requer_permissao, requer_reautenticacao
from pec.identity.tentativas import bloqueio, falha_registrar
from pec.tenancy import tenant_context
from pec.uploads import limite_upload
from sisab import ledi
from sisab.forms import CredencialForm, LoteForm
from sisab.inclusao import INCLUIR, pendentes_incluir
from sisab.ledi import TIPOS
from sisab.models import CredencialRecebimento, FichaRecebida, LoteRecebido
from sisab.recebimento import (
    LOTE_MAX_BYTES,
    MAX_FICHA_BYTES,
    credencial_autenticar,
    credencial_emitir,
    ficha_receber,
    lote_enfileirar,
)

SESSAO_COOKIE = "JSESSIONID"  # the name PEC's API uses; senders' clients look for it
SESSAO_SALT = "sisab.recebimento"
SESSAO_SEGUNDOS = 3600


def _texto(mensagem: str, status: int) -> HttpResponse:
    return HttpResponse(mensagem, status=status, content_type="text/plain; charset=utf-8")


@csrf_exempt
@require_POST
def api_login(request: HttpRequest) -> HttpResponse:
    usuario = request.POST.get("usuario", "")
    # The web login's limits (pec.identity.tentativas), with the API's logins in their own namespace.
    conta = f"api-recebimento:{usuario}"
    barrado = bloqueio(username=conta, request=request)
    if barrado is not None:
        return _texto(f"Muitas tentativas sem sucesso: aguarde {barrado.minutos} minuto(s).", 429)
    credencial = credencial_autenticar(usuario=usuario, senha=request.POST.get("senha", ""))
    if credencial is None:
        falha_registrar(username=conta, request=request)
        return _texto("Usuário ou senha inválidos", 400)
    if not credencial.ativo or not credencial.municipio.ativo:
        return _texto("Credencial inativa", 400)
    resposta = _texto("Autenticado", 200)
    token = signing.dumps({"c": credencial.id, "m": credencial.municipio_id}, salt=SESSAO_SALT)
    resposta.set_cookie(
        SESSAO_COOKIE, token, max_age=SESSAO_SEGUNDOS, httponly=True, secure=request.is_secure(), samesite="Strict"
    )
    return resposta


def _recusa_api(request: HttpRequest, mensagem: str) -> HttpResponse:
    return _texto(f"Erro de validação: {mensagem}", 400)


@csrf_exempt
@require_POST
@limite_upload(MAX_FICHA_BYTES, _recusa_api, csrf=False)
def api_ficha(request: HttpRequest) -> HttpResponse:
    try:
        sessao = signing.loads(request.COOKIES.get(SESSAO_COOKIE, ""), salt=SESSAO_SALT, max_age=SESSAO_SEGUNDOS)
    except signing.BadSignature:
        return _texto("Sessão inválida ou expirada: autentique-se em /api/recebimento/login", 401)
    arquivo = request.FILES.get("ficha")
    if arquivo is None:
        return _texto("Envie o arquivo da ficha no campo 'ficha' (multipart/form-data).", 400)
    with tenant_context(sessao["m"]):
        credencial = CredencialRecebimento.objects.select_related("municipio").filter(id=sessao["c"]).first()
        # A session dies with its credential or its municipality.
        if credencial is None or not credencial.ativo or not credencial.municipio.ativo:
            return _texto("Credencial inativa", 400)
        try:
            ficha_receber(
                municipio=credencial.municipio,
                conteudo=arquivo.read(),
                nome_arquivo=arquivo.name,  # type: ignore[arg-type]  # a multipart file part has a name
                credencial=credencial,
            )
        except ledi.LediErro as exc:
            return _texto(f"Erro de validação: {exc}", 400)
    return _texto("Ficha recebida", 200)


@requer_permissao("admin.municipio")
def recebimento(request: RequisicaoComLotacao) -> HttpResponse:
    municipio_id = request.lotacao.municipio_id
    por_tipo = (
        FichaRecebida.objects.filter(municipio_id=municipio_id)
        .values("tipo", "instalacao_origem")
        .annotate(total=Count("id"))
        .order_by("tipo", "instalacao_origem")
    )
    contexto = {
        "credenciais": CredencialRecebimento.objects.filter(municipio_id=municipio_id),
        "lotes": LoteRecebido.objects.filter(municipio_id=municipio_id)[:20],
        "por_tipo": [
            {**linha, "nome": TIPOS[linha["tipo"]].nome if linha["tipo"] in TIPOS else linha["tipo"]}
            for linha in por_tipo
        ],
        "form": CredencialForm(),
        "lote_form": LoteForm(),
        "api_url": request.build_absolute_uri("/api/v1/recebimento/ficha"),
        "pendentes": _pendentes(FichaRecebida.objects.filter(municipio_id=municipio_id)),
    }
    return render(request, "sisab/recebimento.html", contexto)


@require_POST
@requer_permissao("admin.municipio")
@requer_reautenticacao
def credencial_nova(request: RequisicaoComLotacao) -> HttpResponse:
    form = CredencialForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            "Confira os dados da credencial: "
            + " ".join(str(erro) for erros in form.errors.values() for erro in erros),
        )
        return redirect("sisab_recebimento")
    credencial, senha = credencial_emitir(
        municipio_id=request.lotacao.municipio_id, por=request.user, **form.cleaned_data
    )
    audit_event(
        evento="admin_alteracao",
        ator=request.ator,
        detalhes={"acao": "credencial_recebimento_emitida", "credencial": credencial.id, "nome": credencial.nome},
    )
    # Shown once, like PEC: lost passwords are replaced by a new credential.
    return render(request, "sisab/credencial_emitida.html", {"credencial": credencial, "senha": senha})


@require_POST
@requer_permissao("admin.municipio")
def credencial_desativar(request: RequisicaoComLotacao, credencial_id: int) -> HttpResponse:
    credencial = get_object_or_404(CredencialRecebimento, id=credencial_id, municipio_id=request.lotacao.municipio_id)
    credencial.ativo = False
    credencial.save(update_fields=["ativo"])
    audit_event(
        evento="admin_alteracao",
        ator=request.ator,
        detalhes={"acao": "credencial_recebimento_desativada", "credencial": credencial.id},
    )
    messages.success(request, f"Credencial “{credencial.nome}” desativada.")
    return redirect("sisab_recebimento")


def _recusa_pagina(request: HttpRequest, mensagem: str) -> HttpResponse:
    messages.error(request, mensagem)
    return redirect("sisab_recebimento")


@require_POST
@limite_upload(LOTE_MAX_BYTES, _recusa_pagina)
@requer_permissao("admin.municipio")
def lote_enviar(request: RequisicaoComLotacao) -> HttpResponse:
    """Store the zip and queue its import; the lote's page shows the result when done."""
    form = LoteForm(request.POST, request.FILES)
    if not form.is_valid():
        return _recusa_pagina(request, "Escolha o arquivo .zip do lote.")
    arquivo = form.cleaned_data["arquivo"]
    try:
        lote = lote_enfileirar(municipio=request.lotacao.municipio, arquivo=arquivo, por=request.user)
    except ledi.LediErro as exc:
        return _recusa_pagina(request, str(exc))
    audit_event(
        evento="admin_alteracao",
        ator=request.ator,
        detalhes={"acao": "lote_ledi_enviado", "lote": lote.id, "arquivos": lote.total},
    )
    return redirect("sisab_lote", lote_id=lote.id)


@require_POST
@requer_permissao("admin.municipio")
def pendentes(request: RequisicaoComLotacao, lote_id: int | None = None) -> HttpResponse:
    """Place what stayed out of the records (doses, cadastros), after the admin registered
    who was missing: of one lote, or of every ficha received."""
    municipio_id = request.lotacao.municipio_id
    if lote_id is not None:
        get_object_or_404(LoteRecebido, id=lote_id, municipio_id=municipio_id)
    incluidas, restantes = pendentes_incluir(municipio_id=municipio_id, lote_id=lote_id)
    audit_event(
        evento="admin_alteracao",
        ator=request.ator,
        detalhes={"acao": "fichas_pendentes_incluidas", "lote": lote_id, "fichas": incluidas},
    )
    mensagem = f"{incluidas} ficha(s) incluída(s) por inteiro nos registros do município."
    if restantes:
        mensagem += f" {restantes} ficha(s) ainda com partes fora dos registros: veja os motivos."
    messages.success(request, mensagem)
    return redirect("sisab_lote", lote_id=lote_id) if lote_id is not None else redirect("sisab_recebimento")


@requer_permissao("admin.municipio")
def lote(request: RequisicaoComLotacao, lote_id: int) -> HttpResponse:
    lote = get_object_or_404(LoteRecebido, id=lote_id, municipio_id=request.lotacao.municipio_id)
    fichas = lote.fichas.filter(municipio_id=lote.municipio_id)
    doses = fichas.aggregate(total=Sum("doses_incluidas"))["total"] or 0
    return render(request, "sisab/lote.html", {"lote": lote, "doses": doses, "pendentes": _pendentes(fichas)})


def _pendentes(fichas: QuerySet[FichaRecebida]) -> list[tuple[str, list[str]]]:
    """(uuid, reasons) of the fichas that stayed (partly) out of the records."""
    return list(
        fichas.filter(tipo__in=INCLUIR).exclude(pendencias=[]).order_by("-id").values_list("uuid", "pendencias")[:200]
    )
