from django.urls import include, path

from pec import audit_views, views

urlpatterns = [
    path("", views.inicio, name="inicio"),
    path("saude/", views.saude, name="saude"),
    path("auditoria/", audit_views.auditoria, name="auditoria"),
    path("conta/", include("allauth.urls")),
]
