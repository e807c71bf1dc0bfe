from django.urls import path

from cnes_import import views

urlpatterns = [
    path("", views.importacoes, name="cnes_importacoes"),
    path("<int:importacao_id>/", views.importacao, name="cnes_importacao"),
    path("<int:importacao_id>/aplicar/", views.importacao_aplicar, name="cnes_importacao_aplicar"),
    path("<int:importacao_id>/descartar/", views.importacao_descartar, name="cnes_importacao_descartar"),
]
