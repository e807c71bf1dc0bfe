"""Account e-mails until now came from municipal CNES uploads: none of them is a verified
address (pec.contas). Each moves to allauth's EmailAddress as unverified, where the person
can confirm it after logging in, and leaves the account's e-mail column, which now holds
only a verified address. Installation administrators' addresses were set by whoever runs
the installation (createsuperuser), so they stay, verified."""

from django.db import migrations


def mover(apps, schema_editor):
    Usuario = apps.get_model("pec", "Usuario")
    EmailAddress = apps.get_model("account", "EmailAddress")
    for usuario in Usuario.objects.exclude(email="").order_by("id"):
        email = usuario.email.strip().lower()
        confirmar = (
            usuario.administrador_instalacao
            and not EmailAddress.objects.filter(email=email, verified=True).exclude(user_id=usuario.id).exists()
        )
        if not EmailAddress.objects.filter(user_id=usuario.id, email=email).exists():
            EmailAddress.objects.create(
                user_id=usuario.id, email=email, verified=confirmar,
                primary=confirmar and not EmailAddress.objects.filter(user_id=usuario.id, primary=True).exists(),
            )
        if not confirmar:
            Usuario.objects.filter(id=usuario.id).update(email="")


class Migration(migrations.Migration):
    dependencies = [
        ("pec", "0008_auditoria_funcao"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [migrations.RunPython(mover, migrations.RunPython.noop)]
