"""Citizen search benchmark: p50/p95/p99 of cidadao_buscar over a few hundred varied
queries built from citizens sampled in the database, as the app role under RLS.

    DATABASE_URL=... .venv/bin/python bench/cidadao_search_bench.py --municipio 3106200 [--queries 400] [--explain "maria silva"]

Load the data first with `manage.py generate_synthetic`. Each query runs in its own
transaction with the tenant set, exactly as a request would.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from pec.documentos import formatar_cpf  # noqa: E402
from pec.models import Lotacao, Municipio  # noqa: E402
from pec.tenancy import tenant_context  # noqa: E402
from prontuario.cadastro.selectors import cidadao_buscar  # noqa: E402
from prontuario.cadastro.texto import dobrar, palavras  # noqa: E402
from prontuario.models import Cidadao  # noqa: E402


def consultas(amostra: list[Cidadao], rng: random.Random) -> list[tuple[str, str]]:
    """(kind, text) pairs: what receptionists type."""
    saida: list[tuple[str, str]] = []
    for c in amostra:
        p = palavras(c.nome)
        data = c.data_nascimento.strftime("%d/%m/%Y")
        opcoes = [
            ("nome completo", c.nome.title()),
            ("prenome + sobrenome, sem acento", dobrar(f"{p[0]} {p[-1]}")),
            ("fora de ordem", f"{p[-1]} {p[0]}".upper()),
            ("prefixos 3 letras", " ".join(w[:3] for w in (p[0], p[-1]))),
            ("um prenome comum", p[0]),
            ("data", data),
            ("prenome + data", f"{p[0]} {data}"),
        ]
        if c.cpf:
            opcoes.append(("CPF", formatar_cpf(c.cpf)))
        if c.cns:
            opcoes.append(("CNS", c.cns))
        if c.nome_mae:
            opcoes.append(("nome da mãe", c.nome_mae.lower()))
        saida.append(rng.choice(opcoes))
    saida += [("inexistente", "xyzw qwerty")] * max(1, len(amostra) // 40)
    rng.shuffle(saida)
    return saida


def percentil(valores: list[float], p: float) -> float:
    ordenados = sorted(valores)
    return ordenados[min(len(ordenados) - 1, round(p / 100 * (len(ordenados) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--municipio", required=True, help="IBGE code")
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--explain", default="", help="print EXPLAIN (ANALYZE, BUFFERS) of this search text")
    parser.add_argument("--slowest", type=int, default=0, help="also list the N slowest searches")
    args = parser.parse_args()

    municipio = Municipio.objects.get(ibge=args.municipio)
    # cidadao_buscar only reads lotacao.municipio_id: an unsaved lotação stands for the receptionist.
    lotacao = Lotacao(municipio=municipio)
    rng = random.Random(args.seed)
    with tenant_context(municipio.id):
        total = Cidadao.objects.filter(municipio=municipio).count()
        ids = Cidadao.objects.filter(municipio=municipio).aggregate(
            lo=django.db.models.Min("id"), hi=django.db.models.Max("id")
        )
        escolhidos = [rng.randint(ids["lo"], ids["hi"]) for _ in range(args.queries * 2)]
        amostra = list(Cidadao.objects.filter(pk__in=escolhidos, municipio=municipio)[: args.queries])
    print(f"{municipio}: {total} citizens; {len(amostra)} sampled")

    if args.explain:
        # The statements the search really runs (counts, intersections, bands), each explained.
        with tenant_context(municipio.id), CaptureQueriesContext(connection) as capturadas:
            cidadao_buscar(lotacao=lotacao, entrada=args.explain)
        with tenant_context(municipio.id), connection.cursor() as cursor:
            for consulta in capturadas.captured_queries:
                if "set_config" in consulta["sql"]:
                    continue
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + consulta["sql"])
                print(f"\nEXPLAIN ANALYZE for {args.explain!r}: {consulta['sql'][:100]}...")
                print("\n".join(row[0] for row in cursor.fetchall()))
        return

    lista = consultas(amostra, rng)
    for _, texto in lista[:20]:  # warm the connection and the caches
        with tenant_context(municipio.id):
            cidadao_buscar(lotacao=lotacao, entrada=texto)
    por_tipo: dict[str, list[float]] = {}
    cada: list[tuple[float, str, str]] = []
    achou = 0
    for tipo, texto in lista:
        inicio = time.perf_counter()
        with tenant_context(municipio.id):
            resultado = cidadao_buscar(lotacao=lotacao, entrada=texto)
        tempo = (time.perf_counter() - inicio) * 1000
        por_tipo.setdefault(tipo, []).append(tempo)
        cada.append((tempo, tipo, texto))
        achou += bool(resultado.cidadaos)
    todos = [t for ts in por_tipo.values() for t in ts]
    print(f"\n{'kind':34} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for tipo, tempos in sorted(por_tipo.items()):
        print(
            f"{tipo:34} {len(tempos):4d} {statistics.median(tempos):8.1f} {percentil(tempos, 95):8.1f} {max(tempos):8.1f}"
        )
    print(
        f"{'ALL':34} {len(todos):4d} {statistics.median(todos):8.1f} {percentil(todos, 95):8.1f} {max(todos):8.1f}"
        f"   p99 {percentil(todos, 99):.1f} ms; {achou}/{len(lista)} queries found something"
    )
    for tempo, tipo, texto in sorted(cada, reverse=True)[: args.slowest]:
        print(f"{tempo:8.1f} ms  {tipo:34} {texto!r}")


if __name__ == "__main__":
    main()
