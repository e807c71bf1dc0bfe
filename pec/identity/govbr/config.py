"""The installation's gov.br client: one database row, read at each request.

allauth normally takes its apps from settings or from its SocialApp table (secret in
plain text); here the app is built in memory from ConfiguracaoGovBr, whose secret is
encrypted at rest (pec.cripto) and decrypted only to call the token endpoint.
"""

from __future__ import annotations

from allauth.socialaccount.models import SocialApp
from allauth.utils import build_absolute_uri
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse

from pec.ator import Ator
from pec.audit.chain import audit_event
from pec.cripto import cifrar, decifrar
from pec.models import ConfiguracaoGovBr

PROVIDER_ID = "govbr"
# gov.br's issuers end with a slash (docs/integracoes/govbr.md).
ISSUERS: dict[str, str] = {
    ConfiguracaoGovBr.Ambiente.HOMOLOGACAO: "https://sso.staging.acesso.gov.br/",
    ConfiguracaoGovBr.Ambiente.PRODUCAO: "https://sso.acesso.gov.br/",
}
ESCOPOS = ["openid", "email", "profile", "govbr_confiabilidades", "govbr_confiabilidades_idtoken"]


def govbr_contexto_segredo(config: ConfiguracaoGovBr) -> str:
    return f"govbr:{config.pk}:segredo"


def govbr_configuracao() -> ConfiguracaoGovBr | None:
    return ConfiguracaoGovBr.objects.filter(pk=1).first()


def govbr_issuer(config: ConfiguracaoGovBr) -> str:
    return ISSUERS.get(config.ambiente, config.issuer_outro)


def govbr_homologacao(config: ConfiguracaoGovBr) -> bool:
    """Staging sends people to the staging confiabilidades page; any other issuer (a
    local peer, a future host) to production's, the only place a real level changes."""
    return config.ambiente == ConfiguracaoGovBr.Ambiente.HOMOLOGACAO


def govbr_segredo(config: ConfiguracaoGovBr) -> str:
    return decifrar(config.segredo_cifrado, contexto=govbr_contexto_segredo(config)) if config.segredo_cifrado else ""


def govbr_habilitado(config: ConfiguracaoGovBr | None) -> bool:
    return bool(config and config.ativo and config.client_id and config.segredo_cifrado and govbr_issuer(config))


def govbr_app(config: ConfiguracaoGovBr | None = None) -> SocialApp | None:
    """allauth's app for gov.br, unsaved, or None while gov.br is off."""
    config = config or govbr_configuracao()
    if not govbr_habilitado(config):
        return None
    assert config is not None
    return SocialApp(
        provider="openid_connect",
        provider_id=PROVIDER_ID,
        name="gov.br",
        client_id=config.client_id,
        secret=govbr_segredo(config),
        settings={
            "server_url": govbr_issuer(config),
            "oauth_pkce_enabled": True,
            "token_auth_method": "client_secret_basic",
            "scope": ESCOPOS,
            "fetch_userinfo": True,
            "uid_field": "sub",
            "homologacao": govbr_homologacao(config),
        },
    )


def govbr_redirect_uri(request: HttpRequest) -> str:
    """The callback to register at gov.br (what allauth sends as redirect_uri)."""
    uri: str = build_absolute_uri(request, reverse("openid_connect_callback", kwargs={"provider_id": PROVIDER_ID}))
    return uri


def govbr_pos_saida_uri(request: HttpRequest) -> str:
    """Where gov.br sends the person back after logout (post_logout_redirect_uri)."""
    uri: str = build_absolute_uri(request, reverse("account_login"))
    return uri


@transaction.atomic
def govbr_configurar(
    *,
    ativo: bool,
    ambiente: str,
    issuer_outro: str,
    client_id: str,
    novo_segredo: str | None,
    ator: Ator | None = None,
    origem: str = "",
) -> ConfiguracaoGovBr:
    """Save the singleton row; `novo_segredo` None keeps the stored secret, "" erases it.

    Audited in the installation chain, without the secret.
    """
    config = govbr_configuracao() or ConfiguracaoGovBr(pk=1)
    config.ativo = ativo
    config.ambiente = ambiente
    config.issuer_outro = issuer_outro if ambiente == ConfiguracaoGovBr.Ambiente.OUTRO else ""
    config.client_id = client_id.strip()
    if novo_segredo is not None:
        config.segredo_cifrado = cifrar(novo_segredo, contexto=govbr_contexto_segredo(config)) if novo_segredo else ""
    config.full_clean()
    config.save()
    audit_event(
        evento="admin_alteracao",
        ator=ator,
        instalacao=True,
        o_que=origem,
        detalhes={
            "acao": "govbr_alterado",
            "ativo": config.ativo,
            "ambiente": config.ambiente,
            "issuer": govbr_issuer(config),
            "client_id": config.client_id,
            "segredo_alterado": novo_segredo is not None,
        },
    )
    return config
