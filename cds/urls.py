"""The CDS pages, each part in its own URLconf: the territory (cds/territorio)."""

from django.urls import include, path

urlpatterns = [
    path("territorio/", include("cds.territorio.urls")),
]
