from django.core.management.base import BaseCommand, CommandError

from pec.demo import DemoEmProducao, demo_exists, demo_logins_text, demo_recusar_em_producao, seed_demo


class Command(BaseCommand):
    help = "Create the demo municipalities, their UBS, teams and professionals, and print the logins."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--if-empty", action="store_true", help="do nothing when the demo data already exists")

    def handle(self, *args: object, **options: object) -> None:
        try:
            demo_recusar_em_producao()
        except DemoEmProducao as exc:
            raise CommandError(str(exc)) from exc
        if demo_exists():
            if not options["if_empty"]:
                self.stderr.write("Demo data already exists; nothing done.")
            return
        seed_demo()
        self.stdout.write(self.style.SUCCESS("Demo data created."))
        self.stdout.write(demo_logins_text())
