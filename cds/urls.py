"""The CDS pages, each part in its own URLconf: the territory (cds/territorio) and the
typing of the fichas (cds/fichas)."""

from django.urls import include, path

urlpatterns = [
    path("territorio/", include("cds.territorio.urls")),
    path("fichas/", include("cds.fichas.urls")),
]
