from django.urls import path

from cds.fichas import views

urlpatterns = [
    path("", views.lista, name="cds_fichas"),
    path("nova/<int:tipo>/", views.nova, name="cds_ficha_nova"),
    path("<int:ficha_id>/", views.ver, name="cds_ficha"),
    path("<int:ficha_id>/corrigir/", views.editar, name="cds_ficha_editar"),
    path("<int:ficha_id>/cancelar/", views.cancelar, name="cds_ficha_cancelar"),
]
