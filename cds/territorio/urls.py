from django.urls import path

from cds.territorio import views

urlpatterns = [
    path("", views.imoveis, name="territorio_imoveis"),
    path("logradouros/", views.logradouros, name="territorio_logradouros"),
    path("logradouros/novo/", views.logradouro_novo, name="territorio_logradouro_novo"),
    path("logradouros/<int:logradouro_id>/", views.logradouro_editar, name="territorio_logradouro"),
    path("imoveis/novo/", views.imovel_novo, name="territorio_imovel_novo"),
    path("imoveis/<int:imovel_id>/", views.imovel, name="territorio_imovel"),
    path("imoveis/<int:imovel_id>/editar/", views.imovel_editar, name="territorio_imovel_editar"),
    path("imoveis/<int:imovel_id>/familias/nova/", views.familia_nova, name="territorio_familia_nova"),
    path("familias/<int:familia_id>/", views.familia, name="territorio_familia"),
    path("familias/<int:familia_id>/dados/", views.familia_dados, name="territorio_familia_dados"),
    path("familias/<int:familia_id>/membros/", views.familia_membro_incluir, name="territorio_familia_membro"),
    path("familias/<int:familia_id>/saida/", views.familia_membro_saida, name="territorio_familia_saida"),
    path("familias/<int:familia_id>/responsavel/", views.familia_responsavel, name="territorio_familia_responsavel"),
    path("familias/<int:familia_id>/mudanca/", views.familia_mudanca, name="territorio_familia_mudanca"),
]
