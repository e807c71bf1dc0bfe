from django.urls import path

from prontuario.agenda import views as views_agenda
from prontuario.cadastro import views

urlpatterns = [
    path("cidadaos/", views.cidadao_lista, name="cidadao_lista"),
    path("cidadaos/novo/", views.cidadao_novo, name="cidadao_novo"),
    path("cidadaos/<int:cidadao_id>/", views.cidadao_detalhe, name="cidadao_detalhe"),
    path("cidadaos/<int:cidadao_id>/editar/", views.cidadao_editar, name="cidadao_editar"),
    path("cidadaos/<int:cidadao_id>/historico/", views.cidadao_historico, name="cidadao_historico"),
    path("cidadaos/<int:cidadao_id>/unificar/", views.cidadao_unificar_view, name="cidadao_unificar"),
    path("cidadaos/<int:cidadao_id>/lista/", views_agenda.lista_adicionar, name="lista_adicionar"),
    path("agenda/", views_agenda.agenda_ubs, name="agenda_ubs"),
    path("agenda/<int:agenda_id>/", views_agenda.agenda_profissional, name="agenda_profissional"),
    path("agenda/<int:agenda_id>/horarios/", views_agenda.agenda_configurar, name="agenda_configurar"),
    path("agenda/<int:agenda_id>/bloqueios/", views_agenda.agenda_bloqueios, name="agenda_bloqueios"),
    path("agenda/bloqueios/<int:bloqueio_id>/remover/", views_agenda.agenda_desbloquear, name="agenda_desbloquear"),
    path("agenda/<int:agenda_id>/agendar/", views_agenda.agendar, name="agendar"),
    path("agendamentos/<int:agendamento_id>/", views_agenda.agendamento_detalhe, name="agendamento_detalhe"),
    path(
        "agendamentos/<int:agendamento_id>/comprovante/",
        views_agenda.agendamento_comprovante,
        name="agendamento_comprovante",
    ),
    path("agendamentos/<int:agendamento_id>/<str:acao>/", views_agenda.agendamento_acao, name="agendamento_acao"),
    path("lista/", views_agenda.lista_atendimentos, name="lista_atendimentos"),
    path("lista/fragmento/", views_agenda.lista_fragmento, name="lista_fragmento"),
    path("lista/<int:entrada_id>/situacao/", views_agenda.lista_situacao, name="lista_situacao"),
]
