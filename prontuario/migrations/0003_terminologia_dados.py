"""Load the national terminology with the same loader as `manage.py load_terminologia`."""

from django.db import migrations


def carregar(apps, schema_editor):  # type: ignore[no-untyped-def]
    from prontuario.terminologia.services import terminologia_carregar

    terminologia_carregar(apps=apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [("prontuario", "0002_clinico")]

    operations = [migrations.RunPython(carregar, migrations.RunPython.noop)]
