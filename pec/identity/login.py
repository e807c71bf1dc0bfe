"""Who is logged in and in which lotação they work.

Login is by CPF (with or without punctuation) and password, through allauth; lockout is
django-axes' per (CPF, address), plus pec.identity.tentativas' limits per account and per address.
"Esqueci minha senha" mails only verified addresses (pec.identity.contas). The session stores the active lotação id and its municipality; every
request re-reads the lotação (inside the tenant) so a deactivated lotação stops working
at once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import ResetPasswordForm as AllauthResetPasswordForm
from django import forms
from django.contrib import messages
from django.http import HttpRequest
from django.urls import reverse

from pec import tenancy
from pec.documentos import formatar_cpf, so_digitos
from pec.models import Equipe, Estabelecimento, Lotacao, Municipio, Usuario

SESSION_LOTACAO = "lotacao_id"
SESSION_MUNICIPIO = "municipio_id"
# Wall-clock second of login and of the last request (pec.identity.sessao enforces the limits).
SESSION_INICIO = "sessao_inicio"
SESSION_ATIVIDADE = "sessao_atividade"


def normalizar_cpf(valor: str) -> str:
    """'123.456.789-09' and ' 12345678909 ' are the same login."""
    return so_digitos(valor or "")


class LoginForm(AllauthLoginForm):
    """allauth's login form, by CPF: punctuation is accepted and removed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # allauth limits the field to the username column (11); the punctuated form is 14.
        self.fields["login"] = forms.CharField(
            label="CPF",
            max_length=20,
            widget=forms.TextInput(
                attrs={"placeholder": "000.000.000-00", "inputmode": "numeric", "autocomplete": "username"}
            ),
        )
        self.order_fields(["login", "password"])

    def clean_login(self) -> str:
        cpf = normalizar_cpf(self.cleaned_data["login"])
        if len(cpf) != 11:
            raise forms.ValidationError("Informe o CPF com 11 dígitos (com ou sem pontos e traço).")
        return cpf

    def clean(self) -> dict[str, Any]:
        # Before the password is checked (pec.identity.tentativas): the limits per account and address.
        from pec.identity.tentativas import bloqueio

        cpf = self.cleaned_data.get("login")
        if cpf and self.request is not None:
            barrado = bloqueio(username=cpf, request=self.request)
            if barrado is not None:
                raise forms.ValidationError(barrado.mensagem)
        dados: dict[str, Any] = super().clean()
        return dados


class ResetPasswordForm(AllauthResetPasswordForm):
    """ "Esqueci minha senha" mails only a verified address (pec.identity.contas); allauth would
    also take the account's plain e-mail column. The answer is the same either way."""

    def clean_email(self) -> str:
        from pec.identity.contas import usuarios_pelo_email_confirmado

        email: str = super().clean_email()
        self.users = usuarios_pelo_email_confirmado(email=email)
        return email


def nome_para_exibir(usuario: Usuario) -> str:
    """ACCOUNT_USER_DISPLAY: allauth's messages and e-mails name the person, not the CPF."""
    return usuario.nome or formatar_cpf(usuario.cpf)


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The username django-axes counts failures against: the CPF digits.

    allauth passes `username` in the credentials while the form field is `login`; and
    without normalising, '123.456.789-09' and '12345678909' would be two counters.
    """
    valor = (credentials or {}).get("username") or (credentials or {}).get("login")
    if not valor:
        dados = getattr(request, "POST", None) or {}
        valor = dados.get("login", "")
    return normalizar_cpf(str(valor))


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "username_password_mismatch": "CPF ou senha incorretos. Confira e tente de novo.",
    }

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Accounts come from CNES imports and administrators, never self-service.
        return False

    def login(self, request: HttpRequest, user: Usuario) -> None:
        super().login(request, user)
        # A new login starts without a lotação: the user picks one (or it is picked for
        # them when there is only one) on the next page.
        request.session.pop(SESSION_LOTACAO, None)
        request.session.pop(SESSION_MUNICIPIO, None)
        agora = time.time()
        request.session[SESSION_INICIO] = agora
        request.session[SESSION_ATIVIDADE] = agora
        from pec.identity.contas import email_confirmado

        if not email_confirmado(usuario=user):
            messages.info(
                request,
                "Cadastre e confirme o seu e-mail (menu “E-mail”): sem um e-mail confirmado "
                "não é possível recuperar a senha.",
            )

    def get_client_ip(self, request: HttpRequest) -> str:
        from pec.ator import ip_cliente

        return ip_cliente(request) or "0.0.0.0"

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        return reverse("lotacao_escolher")

    def get_logout_redirect_url(self, request: HttpRequest) -> str:
        # Called before the session is flushed: a gov.br session also ends at gov.br.
        from pec.identity.govbr.acesso import govbr_saida_preparar

        return govbr_saida_preparar(request) or super().get_logout_redirect_url(request)

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """Password reset and other account mail go through the outgoing queue
        (pec.email): sent by Celery after commit, with retries, using the SMTP settings
        of the installation."""
        from allauth.core import context as allauth_context
        from django.contrib.sites.shortcuts import get_current_site

        from pec.email import email_enfileirar

        request = allauth_context.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request), **context}
        mensagem = self.render_mail(template_prefix, email, ctx)
        email_enfileirar(para=list(mensagem.to), assunto=mensagem.subject, corpo=mensagem.body)


def activate_lotacao_from_session(request: HttpRequest) -> int | None:
    """Set the tenant of the request from the session; return its municipio id or None."""
    request.lotacao = None  # type: ignore[attr-defined]
    lotacao_id = request.session.get(SESSION_LOTACAO)
    municipio_id: int | None = request.session.get(SESSION_MUNICIPIO)
    if not lotacao_id or not municipio_id:
        return None
    # The tenant first: the lotação row is readable only under it.
    tenancy.set_request_tenant(municipio_id)
    usuario = request.user
    lotacao = (
        _lotacao_ativa_do_usuario(usuario=usuario, lotacao_id=lotacao_id, municipio_id=municipio_id)
        if isinstance(usuario, Usuario)
        else None
    )
    if lotacao is None:
        tenancy.set_request_tenant(None)
        request.session.pop(SESSION_LOTACAO, None)
        request.session.pop(SESSION_MUNICIPIO, None)
        return None
    request.lotacao = lotacao  # type: ignore[attr-defined]
    return municipio_id


def _lotacao_ativa_do_usuario(*, usuario: Usuario, lotacao_id: int, municipio_id: int) -> Lotacao | None:
    return (
        Lotacao.objects.select_related("profissional", "estabelecimento", "equipe", "municipio")
        .filter(
            id=lotacao_id,
            municipio_id=municipio_id,
            municipio__ativo=True,
            usuario=usuario,
            ativo=True,
            profissional__ativo=True,
        )
        .first()
    )


# --- Selectors and services for the choice of lotação --------------------------------------


@dataclass
class OpcaoLotacao:
    id: int
    cbo: str
    microarea: str
    estabelecimento: str
    equipe: str


@dataclass
class LotacoesDoMunicipio:
    municipio: Municipio
    lotacoes: list[OpcaoLotacao] = field(default_factory=list)


def lotacoes_do_usuario(*, usuario: Usuario) -> list[LotacoesDoMunicipio]:
    """The user's active lotações in every active municipality, grouped by municipality.

    The user's own lotação rows are readable across municipalities (the tenant_visible
    policy on app.usuario); the names of establishments and teams are read inside each
    municipality's tenant.
    """
    linhas = list(
        Lotacao.objects.filter(usuario=usuario, ativo=True)
        .values("id", "municipio_id", "estabelecimento_id", "equipe_id", "cbo", "microarea")
        .order_by("municipio_id", "id")
    )
    municipios = Municipio.objects.filter(id__in={linha["municipio_id"] for linha in linhas}, ativo=True)
    grupos = []
    for municipio in municipios:
        do_municipio = [linha for linha in linhas if linha["municipio_id"] == municipio.id]
        with tenancy.tenant_context(municipio.id):
            estabelecimentos = dict(
                Estabelecimento.objects.filter(
                    id__in={linha["estabelecimento_id"] for linha in do_municipio}
                ).values_list("id", "nome")
            )
            equipes = dict(
                Equipe.objects.filter(
                    id__in={linha["equipe_id"] for linha in do_municipio if linha["equipe_id"]}
                ).values_list("id", "nome")
            )
            # A professional deactivated by the municipality loses all its lotações.
            ativas = set(
                Lotacao.objects.filter(
                    id__in=[linha["id"] for linha in do_municipio], profissional__ativo=True
                ).values_list("id", flat=True)
            )
        grupo = LotacoesDoMunicipio(municipio=municipio)
        for linha in do_municipio:
            if linha["id"] not in ativas:
                continue
            grupo.lotacoes.append(
                OpcaoLotacao(
                    id=linha["id"],
                    cbo=linha["cbo"],
                    microarea=linha["microarea"],
                    estabelecimento=estabelecimentos.get(linha["estabelecimento_id"], ""),
                    equipe=equipes.get(linha["equipe_id"], ""),
                )
            )
        if grupo.lotacoes:
            grupo.lotacoes.sort(key=lambda opcao: (opcao.estabelecimento, opcao.equipe, opcao.cbo))
            grupos.append(grupo)
    return grupos


def lotacao_ativar(*, request: HttpRequest, lotacao_id: int) -> Lotacao | None:
    """Make one of the user's own active lotações the active one of the session.

    Returns None (and changes nothing) when the id is not such a lotação.
    """
    from pec.ator import Ator
    from pec.audit.chain import audit_event
    from pec.identity.acesso import esquecer_permissoes
    from pec.identity.govbr.acesso import govbr_municipio_permitido

    usuario = request.user
    if not isinstance(usuario, Usuario):
        return None
    municipio_id = (
        Lotacao.objects.filter(id=lotacao_id, usuario=usuario, ativo=True)
        .values_list("municipio_id", flat=True)
        .first()
    )
    if municipio_id is None:
        return None
    # Checked in a savepoint of that tenant: a refusal leaves the request's tenant as it was.
    with tenancy.tenant_context(municipio_id):
        lotacao = _lotacao_ativa_do_usuario(usuario=usuario, lotacao_id=lotacao_id, municipio_id=municipio_id)
    if lotacao is None or not govbr_municipio_permitido(request=request, municipio=lotacao.municipio):
        return None
    tenancy.set_request_tenant(municipio_id)
    request.session[SESSION_LOTACAO] = lotacao.id
    request.session[SESSION_MUNICIPIO] = municipio_id
    request.lotacao = lotacao  # type: ignore[attr-defined]
    # The actor built at the start of the request had the previous lotação (or none).
    request.ator = Ator.da_requisicao(request)  # type: ignore[attr-defined]
    esquecer_permissoes(request)
    audit_event(
        evento="lotacao_escolhida",
        ator=request.ator,  # type: ignore[attr-defined]
        municipio_id=municipio_id,
        detalhes={"lotacao_id": lotacao.id, "cnes": lotacao.estabelecimento.cnes, "cbo": lotacao.cbo},
    )
    return lotacao
