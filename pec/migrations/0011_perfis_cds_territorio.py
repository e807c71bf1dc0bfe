"""The municipalities that exist get the permissions of the territory pages, the CDS typing
and the competência page in their default perfis, as new municipalities do
(pec.identity.permissoes.PERFIS_PADRAO), and the new default perfil "Digitador".

Only the perfis that are still default copies (`padrao`) gain codes; codes are added, never
removed, so what an administrator granted stays. Frozen here as they were on the day:
later changes to the defaults need their own migration."""

from django.db import migrations

NOVAS = {
    "medico": ["cds.digitar", "competencia.ver", "territorio.editar", "territorio.ver"],
    "enfermeiro": ["cds.digitar", "competencia.ver", "territorio.editar", "territorio.ver"],
    "tecnico_enfermagem": ["cds.digitar", "competencia.ver", "territorio.editar", "territorio.ver"],
    "cirurgiao_dentista": ["cds.digitar", "competencia.ver", "territorio.ver"],
    "acs": ["cds.digitar", "competencia.ver", "territorio.editar", "territorio.ver"],
    "recepcao": ["territorio.editar", "territorio.ver"],
    "coordenacao": ["competencia.ubs", "competencia.ver", "territorio.ver"],
    "admin_municipal": ["competencia.ver"],
    "visualizacao": ["territorio.ver"],
}
DIGITADOR = ("digitador", "Digitador", ["cds.digitar", "cds.digitar_outros", "cidadao.ver"])


def estender(apps, schema_editor):  # type: ignore[no-untyped-def]
    from pec.tenancy import tenant_context

    alias = schema_editor.connection.alias
    Municipio = apps.get_model("pec", "Municipio")
    Perfil = apps.get_model("pec", "Perfil")
    for municipio_id in Municipio.objects.using(alias).values_list("id", flat=True):
        with tenant_context(municipio_id, using=alias):
            perfis = Perfil.objects.using(alias).filter(municipio_id=municipio_id, padrao=True, codigo__in=NOVAS)
            for perfil in perfis:
                permissoes = sorted(set(perfil.permissoes) | set(NOVAS[perfil.codigo]))
                if permissoes != sorted(perfil.permissoes):
                    perfil.permissoes = permissoes
                    perfil.save(update_fields=["permissoes"])
            codigo, nome, permissoes = DIGITADOR
            if not Perfil.objects.using(alias).filter(municipio_id=municipio_id, codigo=codigo).exists():
                Perfil.objects.using(alias).create(
                    municipio_id=municipio_id, codigo=codigo, nome=nome, permissoes=permissoes, padrao=True
                )


class Migration(migrations.Migration):
    dependencies = [("pec", "0010_mfa_por_padrao")]

    operations = [migrations.RunPython(estender, migrations.RunPython.noop)]
