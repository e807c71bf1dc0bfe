from django.urls import path

from sisab import views_competencia, views_envio

urlpatterns = [
    path("", views_envio.painel, name="sisab_envio"),
    path("instalacao/", views_envio.instalacao_salvar, name="sisab_instalacao_salvar"),
    path("destinos/novo/", views_envio.destino_novo, name="sisab_destino_novo"),
    path("destinos/<int:destino_id>/desativar/", views_envio.destino_desativar, name="sisab_destino_desativar"),
    path("destinos/<int:destino_id>/reenviar/", views_envio.destino_reenviar, name="sisab_destino_reenviar"),
    path("fichas/<int:ficha_id>/", views_envio.ficha, name="sisab_ficha"),
    path("competencia/", views_competencia.pagina, name="sisab_competencia"),
]
