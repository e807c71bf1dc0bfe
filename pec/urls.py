from django.urls import include, path

from pec import views

urlpatterns = [
    path("", views.inicio, name="inicio"),
    path("saude/", views.saude, name="saude"),
    path("conta/", include("allauth.urls")),
]
