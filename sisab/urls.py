from django.urls import path

from sisab import views

urlpatterns = [
    path("", views.recebimento, name="sisab_recebimento"),
    path("credenciais/nova/", views.credencial_nova, name="sisab_credencial_nova"),
    path("credenciais/<int:credencial_id>/desativar/", views.credencial_desativar, name="sisab_credencial_desativar"),
    path("lotes/enviar/", views.lote_enviar, name="sisab_lote_enviar"),
    path("lotes/<int:lote_id>/", views.lote, name="sisab_lote"),
    path("lotes/<int:lote_id>/pendentes/", views.pendentes, name="sisab_lote_pendentes"),
    path("pendentes/", views.pendentes, name="sisab_pendentes"),
]

# The PEC-compatible receiving API, at the paths PEC uses (mounted at the root).
api_urlpatterns = [
    path("api/recebimento/login", views.api_login, name="sisab_api_login"),
    path("api/v1/recebimento/ficha", views.api_ficha, name="sisab_api_ficha"),
]
