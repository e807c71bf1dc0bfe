from django.urls import path

from prontuario import views

urlpatterns = [
    path("cidadaos/", views.cidadao_lista, name="cidadao_lista"),
    path("cidadaos/novo/", views.cidadao_novo, name="cidadao_novo"),
    path("cidadaos/<int:cidadao_id>/", views.cidadao_detalhe, name="cidadao_detalhe"),
    path("cidadaos/<int:cidadao_id>/editar/", views.cidadao_editar, name="cidadao_editar"),
    path("cidadaos/<int:cidadao_id>/historico/", views.cidadao_historico, name="cidadao_historico"),
    path("cidadaos/<int:cidadao_id>/unificar/", views.cidadao_unificar_view, name="cidadao_unificar"),
]
