from django.urls import path

from rnds import views, views_cadsus

urlpatterns = [
    path("", views.painel, name="rnds_painel"),
    path("configuracao/", views.configuracao, name="rnds_configuracao"),
    path("certificados/", views.certificados, name="rnds_certificados"),
    path("certificados/<int:certificado_id>/", views.certificado, name="rnds_certificado"),
    path("erros/<int:item_id>/reenviar/", views.reenviar, name="rnds_reenviar"),
    path("cadsus/", views_cadsus.buscar, name="cadsus_buscar"),
    path("cadsus/importar/", views_cadsus.importar, name="cadsus_importar"),
]
