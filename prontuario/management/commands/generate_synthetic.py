"""Bulk-load synthetic citizens into one municipality, for benchmarks and demos.

Runs as the app role inside the municipality's tenant setting, like the web: rows are
COPYed into a temporary table (COPY FROM is refused on tables under row-level security)
and moved with INSERT ... SELECT, which the RLS policy checks. No CidadaoVersao rows are
written: these are not real registrations by a professional. The app role may not
ANALYZE; autovacuum does it shortly after, or run `ANALYZE prontuario_cidadao` as the owner.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from dados import municipios
from pec.models import Municipio
from pec.tenancy import tenant_context
from prontuario.cadastro.services import palavras_frequencias_atualizar
from prontuario.cadastro.sintetico import Gerador
from prontuario.models import Cidadao

COLUNAS: list[str] = [f.column for f in Cidadao._meta.concrete_fields if f.column != "id" and not f.generated]  # type: ignore[misc]  # concrete fields have a column


class Command(BaseCommand):
    help = "Generate N synthetic citizens (valid CPF/CNS, realistic names) in the municipality with this IBGE code."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--municipio", required=True, help="IBGE code; created (in training mode) if missing")
        parser.add_argument("--citizens", type=int, required=True)
        parser.add_argument("--batch", type=int, default=50_000)
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args: object, **options: object) -> None:
        ibge = str(options["municipio"])
        total = int(options["citizens"])  # type: ignore[call-overload]
        lote = int(options["batch"])  # type: ignore[call-overload]
        municipio = Municipio.objects.filter(ibge=ibge).first()
        if municipio is None:
            if ibge not in municipios():
                raise CommandError(f"unknown IBGE code {ibge}")
            nome, uf = municipios()[ibge]
            municipio = Municipio.objects.create(ibge=ibge, nome=nome.title(), uf=uf, modo=Municipio.Modo.TREINAMENTO)
            self.stdout.write(f"created municipality {municipio} in training mode")
        with tenant_context(municipio.id):
            existentes = Cidadao.objects.filter(municipio=municipio).count()
        # Document numbers continue after the rows already there, so reruns add, not clash.
        gerador = Gerador(
            municipio_id=municipio.id,
            seed=int(options["seed"]) + existentes,  # type: ignore[call-overload]
            primeiro_documento=400_000_000 + 3 * existentes,
        )
        hoje = timezone.localdate()
        inicio = time.monotonic()
        feitos = 0
        while feitos < total:
            n = min(lote, total - feitos)
            self._carregar(municipio.id, gerador, n, hoje)
            feitos += n
            self.stdout.write(f"{feitos}/{total} citizens, {time.monotonic() - inicio:.0f}s")
        with tenant_context(municipio.id):
            contados = palavras_frequencias_atualizar(municipio_id=municipio.id)
        self.stdout.write(f"search word counts refreshed ({contados} active citizens)")
        self.stdout.write(self.style.SUCCESS(f"{total} citizens in {municipio} ({time.monotonic() - inicio:.0f}s)"))

    def _carregar(self, municipio_id: int, gerador: Gerador, n: int, hoje) -> None:  # type: ignore[no-untyped-def]
        agora = timezone.now()
        fixos = {
            "municipio_id": municipio_id,
            "nome_social": "",
            "etnia": None,
            "nacionalidade": 1,
            "pais_nascimento": 31,
            "data_naturalizacao": None,
            "portaria_naturalizacao": "",
            "data_entrada_brasil": None,
            "cep": "",
            "logradouro": "",
            "numero": "",
            "complemento": "",
            "bairro": "",
            "telefone_contato": "",
            "email": "",
            "equipe_id": None,
            "microarea": "",
            "fora_de_area": False,
            "data_obito": None,
            "numero_do": "",
            "ativo": True,
            "unificado_com_id": None,
            "unificado_em": None,
            "versao": 1,
            "criado_em": agora,
            "atualizado_em": agora,
        }
        tabela = Cidadao._meta.db_table
        colunas = ", ".join(COLUNAS)
        with tenant_context(municipio_id), connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMP TABLE carga ON COMMIT DROP AS SELECT {colunas} FROM {tabela} WITH NO DATA")
            with cursor.cursor.copy(f"COPY carga ({colunas}) FROM STDIN") as copy:
                for linha in gerador.linhas(n, hoje):
                    valores = {**fixos, **linha}
                    copy.write_row([valores[c] for c in COLUNAS])
            cursor.execute(f"INSERT INTO {tabela} ({colunas}) SELECT {colunas} FROM carga")
            cursor.execute("DROP TABLE carga")  # ON COMMIT DROP is too late inside an outer transaction
