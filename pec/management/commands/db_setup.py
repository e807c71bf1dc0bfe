from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from pec.dbroles import setup_database


class Command(BaseCommand):
    help = "Create the database and its owner, app and backup roles (idempotent). Needs DATABASE_URL with an admin account."

    def handle(self, *args: object, **options: object) -> None:
        faltam = [kind for kind in settings.DB_ROLE_KINDS if kind not in settings.DB_ROLES]
        if faltam:
            raise CommandError(
                f"db_setup creates every role; this environment lacks {', '.join(faltam)}: run it with "
                "PEC_DB_ROLES=owner,app,backup,restore and their password files (deploy/env/setup.env)."
            )
        done = setup_database(settings.DB_ADMIN, settings.DB_ADMIN["NAME"], settings.DB_ROLES)
        for line in done:
            self.stdout.write(line)
        roles = ", ".join(role["USER"] for role in settings.DB_ROLES.values())
        self.stdout.write(self.style.SUCCESS(f"Database {settings.DB_ADMIN['NAME']} ready for roles {roles}."))
