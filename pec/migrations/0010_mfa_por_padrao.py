"""Two-step verification of municipal administrators becomes the default, also for the
municipalities that exist (the installation administrator may turn it off for one)."""

from django.db import migrations, models


def exigir(apps, schema_editor):
    apps.get_model("pec", "Municipio").objects.update(exigir_mfa_admin=True)


class Migration(migrations.Migration):
    dependencies = [("pec", "0009_emails_confirmados")]

    operations = [
        migrations.AlterField(
            model_name="municipio",
            name="exigir_mfa_admin",
            field=models.BooleanField(default=True, verbose_name="exigir verificação em duas etapas dos administradores municipais"),
        ),
        migrations.RunPython(exigir, migrations.RunPython.noop),
    ]
