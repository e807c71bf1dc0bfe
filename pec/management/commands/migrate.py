"""`migrate` runs as the owner role by default: the app role cannot change the schema.

Only the environment of migrations (deploy/env/migrate.env) holds the owner's credentials;
elsewhere the "owner" alias does not exist and this says so.
"""

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands.migrate import Command as DjangoMigrate


class Command(DjangoMigrate):
    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        super().add_arguments(parser)
        parser.set_defaults(database="owner")

    def execute(self, *args, **options):  # type: ignore[no-untyped-def]
        if options["database"] not in settings.DATABASES:
            raise CommandError(
                f"No credentials for the {options['database']!r} database here: run migrate with the owner's "
                "environment (PEC_DB_ROLES=app,owner and DB_OWNER_PASSWORD_FILE; deploy/env/migrate.env)."
            )
        return super().execute(*args, **options)
