"""allauth's OpenID Connect provider, extended for gov.br.

allauth 65 sends `state` and PKCE but no `nonce`, and skips the ID token signature when it
fetched the token itself. gov.br makes the nonce mandatory, and we verify every ID token
anyway, so:
- `GovBrProvider.redirect` puts a fresh nonce in the authorization request and in the
  state stashed in the session (one per state: a callback is checked against the nonce
  of its own request); the scope and parameters come only from the configuration, never
  from the query string; the process is always a login.
- `GovBrOAuth2Adapter` checks that discovery names the configured issuer, verifies the ID
  token (RS256 against the JWKS, iss, aud, exp, iat) and that userinfo's `sub` is the ID
  token's. The nonce itself is compared in pec.identity.govbr.acesso (pre_social_login), where the
  state of the request is at hand.
- The login and callback views keep allauth's paths and names (allauth builds the URLs
  of this provider from pec.identity.govbr.urls).
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

import jwt
from allauth.account.internal.decorators import login_not_required
from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.models import SocialApp, SocialLogin, SocialToken
from allauth.socialaccount.providers.base.constants import AuthProcess
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.http import Http404, HttpRequest, HttpResponse
from requests import RequestException

ALGORITMOS = ["RS256"]  # gov.br's JWKS is RS256 (docs/integracoes/govbr.md)
# Clock skew tolerated on exp/iat: gov.br's ID token lives only 60 s.
FOLGA_SEGUNDOS = 30


def nonce_novo() -> str:
    return secrets.token_urlsafe(32)


def nonce_confere(*, esperado: str | None, claims: dict[str, Any]) -> bool:
    """The ID token's nonce is the one this login's authorization request sent."""
    recebido = claims.get("nonce")
    if not esperado or not isinstance(recebido, str):
        return False
    return hmac.compare_digest(esperado.encode(), recebido.encode())


def id_token_verificar(*, id_token: str, jwks_uri: str, issuer: str, client_id: str) -> dict[str, Any]:
    """Verify the ID token's signature (JWKS, RS256), issuer, audience and lifetime.

    Raises OAuth2Error, which allauth turns into an authentication error.
    """
    try:
        if jwt.get_unverified_header(id_token).get("alg") not in ALGORITMOS:
            raise OAuth2Error("id_token: unexpected signing algorithm")
        _alg, chave = jwtkit.fetch_key(id_token, jwks_uri, jwtkit.lookup_kid_jwk)
        claims = jwt.decode(
            id_token,
            key=chave,
            algorithms=ALGORITMOS,
            audience=client_id,
            issuer=issuer,
            leeway=FOLGA_SEGUNDOS,
            options={"require": ["iss", "sub", "aud", "exp", "iat"]},
        )
    except (jwt.PyJWTError, KeyError, ValueError) as exc:
        raise OAuth2Error(f"id_token rejected: {exc}") from exc
    audiencias = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiencias) > 1 and claims.get("azp") != client_id:
        raise OAuth2Error("id_token: several audiences and azp is not this client")
    jwtkit.verify_jti(claims)
    return claims


class GovBrOAuth2Adapter(OpenIDConnectOAuth2Adapter):
    @property
    def openid_config(self) -> dict[str, Any]:
        config: dict[str, Any] = super().openid_config
        configurado = self.get_provider().app.settings["server_url"]
        # OpenID Connect Discovery §4.3: the document must name the issuer we asked.
        if str(config.get("issuer", "")).rstrip("/") != configurado.rstrip("/"):
            raise OAuth2Error(f"discovery issuer {config.get('issuer')!r} is not the configured {configurado!r}")
        return config

    def complete_login(self, request: HttpRequest, app: SocialApp, token: SocialToken, **kwargs: Any) -> SocialLogin:
        resposta = kwargs["response"]
        id_token = resposta.get("id_token")
        if not id_token:
            raise OAuth2Error("token response without id_token")
        config = self.openid_config
        claims = id_token_verificar(
            id_token=id_token, jwks_uri=config["jwks_uri"], issuer=config["issuer"], client_id=app.client_id
        )
        userinfo = self._fetch_user_info(token.token)
        if str(userinfo.get("sub")) != str(claims["sub"]):
            raise OAuth2Error("userinfo sub is not the id_token sub")
        dados = {
            "userinfo": userinfo,
            "id_token": claims,
            # Kept for the logout (id_token_hint) and its endpoint, read once here.
            "id_token_jwt": id_token,
            "end_session_endpoint": config.get("end_session_endpoint", ""),
        }
        return self.get_provider().sociallogin_from_response(request, dados)


class GovBrProvider(OpenIDConnectProvider):
    # allauth imports "<package>.urls" for the provider's URLs: ours, with the nonce.
    package = "pec.identity.govbr"
    # No login by posting an ID token (allauth's headless API): it would skip the nonce.
    supports_token_authentication = False

    @property
    def server_url(self) -> str:
        # gov.br's issuer ends with "/"; allauth would append "//.well-known/...".
        url: str = self.app.settings["server_url"].rstrip("/") + "/.well-known/openid-configuration"
        return url

    def get_oauth2_adapter(self, request: HttpRequest) -> GovBrOAuth2Adapter:
        return GovBrOAuth2Adapter(request, self.app.provider_id)

    def get_scope_from_request(self, request: HttpRequest) -> list[str]:
        escopo: list[str] = self.get_scope()
        return escopo

    def get_auth_params_from_request(self, request: HttpRequest, action: str) -> dict[str, str]:
        parametros: dict[str, str] = self.get_auth_params()
        return parametros

    def redirect(
        self, request: HttpRequest, process: str, next_url: str | None = None, data: Any = None, **kwargs: Any
    ) -> HttpResponse:
        nonce = nonce_novo()
        kwargs["auth_params"] = {**(kwargs.get("auth_params") or self.get_auth_params()), "nonce": nonce}
        # `nonce` lands in the state stashed in the session, beside the PKCE verifier.
        resposta: HttpResponse = super().redirect(request, AuthProcess.LOGIN, next_url, data, nonce=nonce, **kwargs)
        return resposta


def _erro_indisponivel(request: HttpRequest) -> HttpResponse:
    from pec.identity.govbr.acesso import Recusa, recusa_responder

    return recusa_responder(request=request, recusa=Recusa("govbr_indisponivel"))


@login_not_required
def login(request: HttpRequest, provider_id: str) -> HttpResponse:
    try:
        resposta: HttpResponse = OAuth2LoginView.adapter_view(GovBrOAuth2Adapter(request, provider_id))(request)
        return resposta
    except SocialApp.DoesNotExist:
        raise Http404("A entrada com gov.br não está habilitada nesta instalação.") from None
    except (RequestException, OAuth2Error):
        return _erro_indisponivel(request)


@login_not_required
def callback(request: HttpRequest, provider_id: str) -> HttpResponse:
    try:
        resposta: HttpResponse = OAuth2CallbackView.adapter_view(GovBrOAuth2Adapter(request, provider_id))(request)
        return resposta
    except SocialApp.DoesNotExist:
        raise Http404("A entrada com gov.br não está habilitada nesta instalação.") from None
