"""The login page's "Entrar com gov.br" link, present only while gov.br is enabled."""

from __future__ import annotations

from django import template
from django.urls import reverse

from pec.identity.govbr.config import PROVIDER_ID, govbr_configuracao, govbr_habilitado

register = template.Library()


@register.simple_tag
def govbr_entrar_url() -> str:
    if not govbr_habilitado(govbr_configuracao()):
        return ""
    return reverse("openid_connect_login", kwargs={"provider_id": PROVIDER_ID})
