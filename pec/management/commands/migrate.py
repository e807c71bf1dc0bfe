"""`migrate` runs as the owner role by default: the app role cannot change the schema."""

from django.core.management.commands.migrate import Command as DjangoMigrate


class Command(DjangoMigrate):
    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        super().add_arguments(parser)
        parser.set_defaults(database="owner")
