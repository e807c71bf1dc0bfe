from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pec.models import Municipio
from sisab import ledi
from sisab.recebimento import lote_importar


class Command(BaseCommand):
    help = "Import a zip of LEDI fichas (.esus or .esus.xml) from a local server into a municipality."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("arquivo", type=Path)
        parser.add_argument("--municipio", required=True, help="IBGE code of the receiving municipality")

    def handle(self, *args: object, **options: object) -> None:
        municipio = Municipio.objects.filter(ibge=options["municipio"]).first()
        if municipio is None:
            raise CommandError(f"No municipality with IBGE code {options['municipio']}.")
        caminho: Path = options["arquivo"]  # type: ignore[assignment]
        if not caminho.is_file():
            raise CommandError(f"{caminho} is not a file.")
        try:
            lote = lote_importar(municipio=municipio, nome=caminho.name, conteudo=caminho.read_bytes(), por=None)
        except ledi.LediErro as exc:
            raise CommandError(f"Lote refused: {exc}") from exc
        self.stdout.write(
            f"{lote.total} file(s): {lote.aceitas} accepted, {lote.repetidas} already received, "
            f"{len(lote.recusas)} refused."
        )
        for recusa in lote.recusas:
            self.stdout.write(f"  refused {recusa['arquivo']}: {recusa['motivo']}")
