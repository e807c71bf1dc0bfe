"""Who may enter with gov.br, what the session keeps, and how the gov.br session ends.

`sub` is the CPF: it logs into the existing account of that CPF, which must hold an
active lotação; accounts are never created here. A municipality may require a minimum
account level; its lotações are offered only to sessions that meet it. Every refusal is
audited (login_falha, with the reason) and shown in Portuguese.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp, SocialLogin
from allauth.socialaccount.providers.base.constants import AuthError, AuthProcess
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from requests import RequestException

from pec import tenancy
from pec.ator import Ator
from pec.audit.chain import audit_event
from pec.documentos import so_digitos
from pec.identity.govbr.config import PROVIDER_ID, govbr_app, govbr_pos_saida_uri
from pec.identity.govbr.niveis import ORDEM, link_elevar_nivel, nivel_atende, nivel_de_claims
from pec.identity.govbr.oidc import nonce_confere
from pec.models import Municipio, Usuario

# Session key of a gov.br login: access token (for CADSUS), its expiry, the level, and
# what the logout needs. Server-side (database sessions): the cookie holds only the key.
SESSION_GOVBR = "govbr"
_SAIDA_CACHE = "govbr:saida:"
_SAIDA_TTL = 300

MENSAGENS = {
    "cpf_desconhecido": (
        "O CPF {cpf} não está cadastrado como profissional com lotação ativa nesta instalação. "
        "Peça ao administrador do seu município para conferir o seu cadastro."
    ),
    "nivel_insuficiente": (
        "Sua conta gov.br é {nivel}, e o município exige conta nível {exigido} ou superior. "
        "Aumente o nível da sua conta no gov.br e entre de novo."
    ),
    "nonce_invalido": (
        "A resposta do gov.br não corresponde a este pedido de entrada (nonce inválido). "
        "Por segurança, a entrada foi recusada. Tente entrar de novo."
    ),
    "state_invalido": (
        "Este retorno do gov.br já foi usado ou expirou (state inválido). "
        "Por segurança, a entrada foi recusada. Tente entrar de novo."
    ),
    "token_invalido": (
        "Não foi possível validar a resposta do gov.br. Tente entrar de novo; "
        "se o problema continuar, avise o suporte da instalação."
    ),
    "govbr_indisponivel": "O gov.br não respondeu. Tente de novo em alguns minutos ou entre com CPF e senha.",
    "cancelado": "A entrada com gov.br foi cancelada.",
    "processo_invalido": "Pedido de entrada com gov.br inválido. Tente entrar de novo.",
}


@dataclass
class Recusa(Exception):
    motivo: str
    cpf: str = ""
    usuario: Usuario | None = None
    link: str = ""
    contexto: dict[str, str] = field(default_factory=dict)
    detalhe: str = ""

    def mensagem(self) -> str:
        return MENSAGENS[self.motivo].format(cpf=cpf_mascarado(self.cpf), **self.contexto)


def cpf_mascarado(cpf: str) -> str:
    """'123.***.***-09': enough for the person to recognise, not to copy."""
    return f"{cpf[:3]}.***.***-{cpf[9:]}" if len(cpf) == 11 else "informado"


def recusa_responder(*, request: HttpRequest, recusa: Recusa) -> HttpResponse:
    audit_event(
        evento="login_falha",
        ator=Ator.da_requisicao(request),
        usuario=recusa.usuario,
        cpf_informado=recusa.cpf,
        detalhes={
            "metodo": "govbr",
            "motivo": recusa.motivo,
            **({"detalhe": recusa.detalhe} if recusa.detalhe else {}),
        },
    )
    contexto = {"mensagem": recusa.mensagem(), "link": recusa.link, "motivo": recusa.motivo}
    return render(request, "pec/govbr_recusa.html", contexto, status=403)


# --- Who may enter -------------------------------------------------------------------------


def govbr_autorizar(*, request: HttpRequest, sociallogin: SocialLogin) -> Usuario:
    """The existing account this gov.br identity logs into, or Recusa."""
    from pec.identity.login import lotacoes_do_usuario

    claims: dict[str, Any] = sociallogin.account.extra_data.get("id_token") or {}
    if sociallogin.state.get("process") != AuthProcess.LOGIN:
        raise Recusa("processo_invalido")
    if not nonce_confere(esperado=sociallogin.state.get("nonce"), claims=claims):
        raise Recusa("nonce_invalido", cpf=so_digitos(str(claims.get("sub", "")))[:11])
    cpf = so_digitos(str(claims.get("sub", "")))
    usuario = Usuario.objects.filter(cpf=cpf, is_active=True).first() if len(cpf) == 11 else None
    if usuario is None:
        raise Recusa("cpf_desconhecido", cpf=cpf[:11])
    # Not logged in yet: the user's own lotações are readable only under their id.
    with tenancy.usuario_context(usuario.pk):
        grupos = lotacoes_do_usuario(usuario=usuario)
    if not grupos:
        raise Recusa("cpf_desconhecido", cpf=cpf, usuario=usuario)
    nivel = nivel_de_claims(claims)
    if not any(nivel_atende(nivel=nivel, exigido=grupo.municipio.govbr_nivel_minimo) for grupo in grupos):
        exigido = min((grupo.municipio.govbr_nivel_minimo for grupo in grupos), key=ORDEM.__getitem__)
        app = sociallogin.provider.app
        raise Recusa(
            "nivel_insuficiente",
            cpf=cpf,
            usuario=usuario,
            link=link_elevar_nivel(
                exigido=exigido,
                client_id=app.client_id,
                redirect_uri=govbr_pos_saida_uri(request),
                homologacao=bool(app.settings.get("homologacao")),
            ),
            contexto={"nivel": f"nível {nivel}" if nivel else "sem nível informado", "exigido": exigido},
        )
    return usuario


def govbr_municipio_permitido(*, request: HttpRequest, municipio: Municipio) -> bool:
    """A gov.br session may use a municipality's lotações only at its minimum level.

    Password sessions are not restricted here: the minimum is about gov.br accounts.
    """
    dados = request.session.get(SESSION_GOVBR)
    if not dados:
        return True
    return nivel_atende(nivel=dados.get("nivel"), exigido=municipio.govbr_nivel_minimo)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def list_apps(
        self, request: HttpRequest | None, provider: str | None = None, client_id: str | None = None
    ) -> list[SocialApp]:
        app = govbr_app()
        if app is None:
            return []
        if provider and provider not in (app.provider, app.provider_id):
            return []
        if client_id and client_id != app.client_id:
            return []
        return [app]

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return False

    def is_auto_signup_allowed(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return False

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        try:
            sociallogin.user = govbr_autorizar(request=request, sociallogin=sociallogin)
        except Recusa as recusa:
            raise ImmediateHttpResponse(recusa_responder(request=request, recusa=recusa)) from recusa

    def on_authentication_error(
        self,
        request: HttpRequest,
        provider: Any,
        error: str | None = None,
        exception: Exception | None = None,
        extra_context: dict[str, Any] | None = None,
    ) -> None:
        # allauth passes the unstashed "state" with every error but a missing one.
        if "state" not in (extra_context or {}):
            recusa = Recusa("state_invalido")
        elif error == AuthError.CANCELLED:
            recusa = Recusa("cancelado")
        elif isinstance(exception, RequestException):
            recusa = Recusa("govbr_indisponivel", detalhe=exception.__class__.__name__)
        else:
            recusa = Recusa("token_invalido", detalhe=str(exception or error or "")[:300])
        raise ImmediateHttpResponse(recusa_responder(request=request, recusa=recusa))


# --- The session -----------------------------------------------------------------------------


def ao_entrar(
    sender: Any, request: HttpRequest, user: Usuario, sociallogin: SocialLogin | None = None, **kwargs: Any
) -> None:
    """allauth's user_logged_in: keep what a gov.br login brought; any other login drops
    what an earlier one in this browser may have left."""
    request.session.pop(SESSION_GOVBR, None)
    if sociallogin is None or sociallogin.account.provider != PROVIDER_ID:
        return
    dados = sociallogin.account.extra_data
    token = sociallogin.token
    expira: datetime | None = token.expires_at if token is not None else None
    request.session[SESSION_GOVBR] = {
        "access_token": token.token if token is not None else "",
        "expira_em": expira.isoformat() if expira else "",
        "nivel": nivel_de_claims(dados.get("id_token") or {}),
        "id_token": dados.get("id_token_jwt", ""),
        "end_session_endpoint": dados.get("end_session_endpoint", ""),
        "client_id": sociallogin.provider.app.client_id,
    }


def govbr_token_de_acesso(request: HttpRequest) -> str | None:
    """The gov.br access token of this session (CADSUS's gov.br variant), if any."""
    dados = request.session.get(SESSION_GOVBR)
    return dados.get("access_token") or None if dados else None


def govbr_saida_preparar(request: HttpRequest) -> str | None:
    """Before logout: the local page that sends the browser to gov.br's logout, or None.

    The end-session URL carries the ID token (id_token_hint): it waits in the cache under
    a random key instead of travelling in our own URLs and logs.
    """
    dados = request.session.get(SESSION_GOVBR)
    if not dados or not dados.get("end_session_endpoint"):
        return None
    parametros = {"post_logout_redirect_uri": govbr_pos_saida_uri(request), "client_id": dados["client_id"]}
    if dados.get("id_token"):
        parametros["id_token_hint"] = dados["id_token"]
    separador = "&" if "?" in dados["end_session_endpoint"] else "?"
    chave = secrets.token_urlsafe(24)
    cache.set(_SAIDA_CACHE + chave, dados["end_session_endpoint"] + separador + urlencode(parametros), _SAIDA_TTL)
    return reverse("govbr_saida", kwargs={"chave": chave})


def govbr_saida_url(*, chave: str) -> str | None:
    """The end-session URL prepared at logout (once)."""
    url: str | None = cache.get(_SAIDA_CACHE + chave)
    cache.delete(_SAIDA_CACHE + chave)
    return url
