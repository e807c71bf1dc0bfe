"""Walk every audit chain and report the first broken link of each (exit 1 if any); with
--heads, also compare the chains with signed heads exported earlier (a deleted tail or a
deleted chain breaks no link: only an older copy of the heads shows it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from pec.audit.chain import (
    cabecas_das_cadeias,
    conectar_todas_cadeias,
    nome_da_chave,
    ordem_cadeia,
    verificar_cabecas,
    verificar_cadeias,
)


class Command(BaseCommand):
    help = (
        "Verify the hash chains of the audit trail (one per municipality plus the installation's). "
        "Connects as the read-only backup role, which sees every municipality."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--heads",
            metavar="FILE",
            help="signed heads from `export_audit_heads` or a backup's manifest (.json): report chains "
            "shortened or rewritten since, and municipalities with no chain (needs PEC_AUDIT_HEAD_KEY)",
        )

    def handle(self, *args: object, **options: Any) -> None:
        documento = _ler_cabecas(Path(options["heads"])) if options["heads"] else None
        with conectar_todas_cadeias() as conn:
            cabecas = cabecas_das_cadeias(conn)
            problemas = verificar_cadeias(conn, progresso=self._progresso)
            if documento is not None:
                problemas += verificar_cabecas(conn, documento)
        quebradas = {problema.split(":", 1)[0] for problema in problemas}
        for cadeia, cabeca in sorted(cabecas.items(), key=lambda item: ordem_cadeia(item[0])):
            nome = nome_da_chave(cadeia)
            if nome not in quebradas:
                self.stdout.write(f"{nome}: OK ({cabeca['sequencia']} events, head {cabeca['hash']})")
        for problema in problemas:
            self.stderr.write(self.style.ERROR(problema))
        if problemas:
            raise CommandError(f"audit trail broken: {len(problemas)} problem(s)")
        comparadas = f", none shorter than the heads exported at {documento['exportado_em']}" if documento else ""
        self.stdout.write(self.style.SUCCESS(f"{len(cabecas)} chain(s) intact{comparadas}."))

    def _progresso(self, cadeia: str, linhas: int) -> None:
        self.stdout.write(f"{cadeia}: {linhas} events checked...")


def _ler_cabecas(arquivo: Path) -> dict[str, Any]:
    if not settings.PEC_AUDIT_HEAD_KEY:
        raise CommandError("PEC_AUDIT_HEAD_KEY is not set: the signature of the heads cannot be checked")
    try:
        documento = json.loads(arquivo.read_text())
    except (OSError, ValueError) as exc:
        raise CommandError(f"cannot read the heads file {arquivo}: {exc}") from exc
    if isinstance(documento, dict) and "cabecas_assinadas" in documento:  # a backup's manifest
        documento = documento["cabecas_assinadas"]
    if not isinstance(documento, dict) or not {"cadeias", "municipios", "assinatura"} <= documento.keys():
        raise CommandError(f"{arquivo} holds no signed audit heads (was PEC_AUDIT_HEAD_KEY set when it was made?)")
    return documento
