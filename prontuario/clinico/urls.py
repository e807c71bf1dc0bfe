from django.urls import path

from prontuario.clinico import views as v

urlpatterns = [
    path("terminologia/<str:tabela>/", v.terminologia_buscar, name="prontuario_terminologia"),
    path("lista/<int:entrada_id>/escuta/", v.escuta, name="prontuario_escuta"),
    path("cidadaos/<int:cidadao_id>/", v.folha_rosto, name="prontuario_folha_rosto"),
    path("cidadaos/<int:cidadao_id>/historico/", v.historico, name="prontuario_historico"),
    path("cidadaos/<int:cidadao_id>/atendimento/", v.atendimento_iniciar, name="prontuario_atendimento_iniciar"),
    path("cidadaos/<int:cidadao_id>/vacinacao/", v.vacinacao_registrar, name="prontuario_vacinacao"),
    path("atendimentos/<int:atendimento_id>/", v.atendimento, name="prontuario_atendimento"),
    path("atendimentos/<int:atendimento_id>/rascunho/", v.atendimento_rascunho, name="prontuario_atendimento_rascunho"),
    path("atendimentos/<int:atendimento_id>/assumir/", v.atendimento_assumir, name="prontuario_atendimento_assumir"),
    path("atendimentos/<int:atendimento_id>/adendo/", v.atendimento_adendo, name="prontuario_atendimento_adendo"),
    path("atendimentos/<int:atendimento_id>/<str:tipo>.pdf", v.documento, name="prontuario_documento"),
    path("vacinacoes/<int:vacinacao_id>/corrigir/", v.vacinacao_corrigir, name="prontuario_vacinacao_corrigir"),
    path("vacinacoes/<int:vacinacao_id>/excluir/", v.vacinacao_excluir, name="prontuario_vacinacao_excluir"),
]
