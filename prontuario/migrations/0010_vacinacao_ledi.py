"""LEDI codes of the grupos de atendimento (reloaded from prontuario/dados), and the
fields the LEDI vaccination ficha requires filled on doses saved before the form asked
for them: only where the answer follows from the dose itself (a routine dose is given by
age; routine BCG is not the one for hanseníase contacts). Any other such dose keeps its
ficha invalid, with the reason, until it is corrected."""

from django.db import migrations

ROTINA = "1"  # BREstrategiaVacinacao
FAIXA_ETARIA = "000210"  # BRGrupoAtendimento
BCG = "15"


def preencher(apps, schema_editor):  # type: ignore[no-untyped-def]
    from pec.tenancy import tenant_context
    from prontuario.terminologia.services import terminologia_carregar

    alias = schema_editor.connection.alias
    terminologia_carregar(apps=apps, using=alias)
    Municipio = apps.get_model("pec", "Municipio")
    Vacinacao = apps.get_model("prontuario", "Vacinacao")
    for municipio_id in Municipio.objects.using(alias).values_list("id", flat=True):
        with tenant_context(municipio_id, using=alias):
            doses = Vacinacao.objects.using(alias).filter(municipio_id=municipio_id, origem="pec", estrategia=ROTINA)
            doses.filter(registro_anterior=False, grupo_atendimento="").update(grupo_atendimento=FAIXA_ETARIA)
            doses.filter(imunobiologico=BCG, comunicante_hanseniase__isnull=True).update(comunicante_hanseniase=False)


class Migration(migrations.Migration):
    dependencies = [
        ("pec", "0007_cbo_cnes"),
        ("prontuario", "0009_vacina_de_ficha_recebida"),
    ]

    operations = [migrations.RunPython(preencher, migrations.RunPython.noop)]
