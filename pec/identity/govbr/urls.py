"""URLs of the gov.br provider: allauth's OpenID Connect paths and names, our views.

allauth builds them from here because GovBrProvider.package is "pec.identity.govbr".
"""

from allauth.socialaccount import app_settings
from django.urls import include, path, re_path

from pec.identity.govbr import oidc

urlpatterns = [
    re_path(
        r"^(?P<provider_id>[^/]+)/",
        include(
            [
                path("login/", oidc.login, name="openid_connect_login"),
                path("login/callback/", oidc.callback, name="openid_connect_callback"),
            ]
        ),
    )
]

if app_settings.OPENID_CONNECT_URL_PREFIX:
    urlpatterns = [path(f"{app_settings.OPENID_CONNECT_URL_PREFIX}/", include(urlpatterns))]
