from django.urls import include, path

from pec import views
from pec.administracao import views as views_admin
from pec.audit import views as audit_views
from pec.backups.views import backups as instalacao_backups
from pec.identity.govbr import views as govbr_views
from sisab import urls as sisab_urls

urlpatterns = [
    path("", views.inicio, name="inicio"),
    path("auditoria/", audit_views.auditoria, name="auditoria"),
    path("conta/", include("allauth.urls")),
    path("administracao/cnes/", include("cnes_import.urls")),
    path("administracao/rnds/", include("rnds.urls")),
    path("administracao/recebimento-ledi/", include("sisab.urls")),
    path("administracao/sisab/", include("sisab.urls_envio")),
    *sisab_urls.api_urlpatterns,
    path("lotacao/", views.lotacao_escolher, name="lotacao_escolher"),
    path("administracao/profissionais/", views_admin.profissionais, name="admin_profissionais"),
    path("administracao/profissionais/<int:profissional_id>/", views_admin.profissional, name="admin_profissional"),
    path(
        "administracao/profissionais/<int:profissional_id>/registro/",
        views_admin.profissional_registro,
        name="admin_profissional_registro",
    ),
    path(
        "administracao/profissionais/<int:profissional_id>/desbloquear/",
        views_admin.profissional_desbloquear,
        name="admin_profissional_desbloquear",
    ),
    path("administracao/lotacoes/<int:lotacao_id>/ativa/", views_admin.lotacao_ativa, name="admin_lotacao_ativa"),
    path("administracao/lotacoes/<int:lotacao_id>/perfis/", views_admin.lotacao_perfis, name="admin_lotacao_perfis"),
    path("administracao/perfis/", views_admin.perfis, name="admin_perfis"),
    path("administracao/perfis/<int:perfil_id>/", views_admin.perfil, name="admin_perfil"),
    path("administracao/perfis/<int:perfil_id>/copiar/", views_admin.perfil_copiar, name="admin_perfil_copiar"),
    path("instalacao/municipios/", views_admin.municipios, name="instalacao_municipios"),
    path("instalacao/municipios/novo/", views_admin.municipio_novo, name="instalacao_municipio_novo"),
    path("instalacao/municipios/<int:municipio_id>/", views_admin.municipio, name="instalacao_municipio"),
    path("instalacao/contas/", views_admin.contas_buscar, name="instalacao_contas"),
    path("instalacao/contas/<int:usuario_id>/email/", views_admin.conta_email, name="instalacao_conta_email"),
    path(
        "instalacao/contas/<int:usuario_id>/desbloquear/",
        views_admin.conta_desbloquear,
        name="instalacao_conta_desbloquear",
    ),
    path("instalacao/smtp/", views_admin.smtp, name="instalacao_smtp"),
    path("instalacao/smtp/teste/", views_admin.smtp_teste, name="instalacao_smtp_teste"),
    path("instalacao/govbr/", govbr_views.configuracao, name="instalacao_govbr"),
    path("conta/govbr/saida/<str:chave>/", govbr_views.saida, name="govbr_saida"),
    path("instalacao/backups/", instalacao_backups, name="instalacao_backups"),
    path("instalacao/auditoria/", audit_views.auditoria_instalacao, name="instalacao_auditoria"),
    path("prontuario/", include("prontuario.clinico.urls")),
    path("cds/", include("cds.urls")),
    path("", include("prontuario.urls")),
]
