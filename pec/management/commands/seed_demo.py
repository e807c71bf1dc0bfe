from django.core.management.base import BaseCommand, CommandError

from pec.demo import CIDADAOS_HISTORICO, DemoEmProducao, demo_exists, demo_logins_text, demo_recusar_em_producao, seed_demo


class Command(BaseCommand):
    help = ("Create the demo municipalities (CNES file imported, agendas, citizens, a year of care in the production "
            "one) and print the logins. Refused in production.")

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--if-empty", action="store_true", help="do nothing when the demo data already exists")
        parser.add_argument("--cidadaos", type=int, default=CIDADAOS_HISTORICO,
                            help=f"citizens with a year of care in the production municipality (default {CIDADAOS_HISTORICO})")

    def handle(self, *args: object, **options: object) -> None:
        try:
            demo_recusar_em_producao()
        except DemoEmProducao as exc:
            raise CommandError(str(exc)) from exc
        if demo_exists():
            if not options["if_empty"]:
                self.stderr.write("Demo data already exists; nothing done.")
            return
        if int(options["cidadaos"]) < 0:  # type: ignore[call-overload]
            raise CommandError("--cidadaos must be 0 or more.")
        seed_demo(cidadaos_historico=int(options["cidadaos"]))  # type: ignore[call-overload]
        self.stdout.write(self.style.SUCCESS("Demo data created."))
        self.stdout.write(demo_logins_text())
