"""`manage.py seed_demo [--cidadaos N] [--if-empty] [--completar]`: the demo installation
(pec.demo). `make run` seeds it without history, so the server is up in seconds, and then
runs `--completar` in the background for the year of care."""

from django.core.management.base import BaseCommand, CommandError

from pec.demo import (
    CIDADAOS_HISTORICO,
    DemoEmProducao,
    demo_completar,
    demo_exists,
    demo_logins_text,
    demo_recusar_em_producao,
    seed_demo,
)


class Command(BaseCommand):
    help = (
        "Create the demo municipalities (CNES file imported, agendas, citizens, a year of care in the production "
        "one) and print the logins. Refused in production."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--if-empty", action="store_true", help="do nothing when the demo data already exists")
        parser.add_argument(
            "--cidadaos",
            type=int,
            default=CIDADAOS_HISTORICO,
            help=f"citizens with a year of care in the production municipality (default {CIDADAOS_HISTORICO})",
        )
        parser.add_argument(
            "--completar",
            action="store_true",
            help="on an existing demo: add the year of care if missing and book the coming week if empty",
        )

    def handle(self, *args: object, **options: object) -> None:
        try:
            demo_recusar_em_producao()
        except DemoEmProducao as exc:
            raise CommandError(str(exc)) from exc
        cidadaos = int(options["cidadaos"])  # type: ignore[call-overload]
        if cidadaos < 0:
            raise CommandError("--cidadaos must be 0 or more.")
        if options["completar"]:
            self._completar(cidadaos)
            return
        if demo_exists():
            if not options["if_empty"]:
                self.stderr.write("Demo data already exists; nothing done.")
            return
        seed_demo(cidadaos_historico=cidadaos)
        self.stdout.write(self.style.SUCCESS("Demo data created."))
        self.stdout.write(demo_logins_text())

    def _completar(self, cidadaos: int) -> None:
        if not demo_exists():
            raise CommandError("No demo data yet: run seed_demo first.")
        contagem = demo_completar(cidadaos=cidadaos)
        if contagem is None:
            self.stdout.write("Demo history already present; the coming week is booked.")
        else:
            self.stdout.write(
                f"Demo history ready: {contagem['cidadaos']} citizens, {contagem['atendimentos']} "
                f"atendimentos, {contagem['vacinas']} doses over the last 12 months."
            )
