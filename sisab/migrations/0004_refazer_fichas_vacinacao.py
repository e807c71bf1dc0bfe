"""Vaccination fichas built before the LEDI mapping was fixed (manufacturer code for its
name, no grupoAtendimento nor comunicanteHanseniase, a strategy and stAplicadoExterior
on transcriptions) and not yet accepted anywhere: held back and rebuilt by the next run
(sisab.envio.fichas_gerar rebuilds every unsent invalid ficha), so the old dict is never
sent. Their pending deliveries go too; the rebuilt valid ficha is owed again."""

from django.db import migrations

MOTIVO = "Ficha refeita com o mapeamento LEDI corrigido da vacinação; será verificada no próximo envio."


def reter(apps, schema_editor):  # type: ignore[no-untyped-def]
    from pec.tenancy import tenant_context

    alias = schema_editor.connection.alias
    Municipio = apps.get_model("pec", "Municipio")
    FichaSisab = apps.get_model("sisab", "FichaSisab")
    EntregaSisab = apps.get_model("sisab", "EntregaSisab")
    for municipio_id in Municipio.objects.using(alias).values_list("id", flat=True):
        with tenant_context(municipio_id, using=alias):
            fichas = (FichaSisab.objects.using(alias)
                      .filter(municipio_id=municipio_id, origem="vacinacao", status="valida")
                      .exclude(entregas__status="enviado"))
            ids = list(fichas.values_list("id", flat=True))
            EntregaSisab.objects.using(alias).filter(ficha_id__in=ids, status="pendente").delete()
            FichaSisab.objects.using(alias).filter(id__in=ids).update(status="invalida", erros=[MOTIVO])


class Migration(migrations.Migration):
    dependencies = [
        ("pec", "0007_cbo_cnes"),
        ("sisab", "0003_vacina_de_ficha_recebida"),
    ]

    operations = [migrations.RunPython(reter, migrations.RunPython.noop)]
