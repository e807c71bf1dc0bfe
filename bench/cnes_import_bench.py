"""CNES import benchmark: a state-sized ImportarXMLCNES file, imported for real.

    export DATABASE_URL=... REDIS_URL=...       # a database migrated with manage.py migrate
    .venv/bin/python bench/cnes_import_bench.py [--estabelecimentos 1000 --equipes 5 ...]

Generates a v3.0 file (valid CPFs and CNS) for a new municipality, then, each in its own
process so peak memory (maxrss from wait4) is that run's alone:
  1. a bare lxml parse of the file (etree.parse, the whole tree), the reference;
  2. `manage.py import_cnes` into the empty municipality (everything created);
  3. the same file again (nothing changes: the idempotent weekly case);
  4. "next week": 2% of the professionals replaced by new ones (joins and departures).
Prints one block of Markdown for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import quoteattr

RAIZ = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(RAIZ))

from pec import documentos  # noqa: E402
from pec.documentos import cpf_com_digitos  # noqa: E402

CBOS = ["225142", "223565", "322245", "515105", "515105", "515105", "223293", "322425", "422105", "131210", "2241E1"]


def cpf(n: int) -> str:
    return cpf_com_digitos(f"{n:09d}")


def cns_provisorio(n: int) -> str:
    """A provisional CNS (starts with 7): the first valid one from `n` on."""
    while not (cns := documentos.cns_provisorio(f"7{n:013d}")):
        n += 1
    return cns


def gerar(
    destino: Path,
    *,
    ibge: str,
    estabelecimentos: int,
    equipes_por: int,
    profissionais: int,
    lotacoes: int,
    base_cpf: int,
    trocar: float = 0.0,
    semente: int = 1,
) -> dict[str, int]:
    """Write the file; `trocar` replaces that fraction of professionals by new people."""
    aleatorio = random.Random(semente)
    cnes = [f"{2_000_000 + i * 7:07d}" for i in range(estabelecimentos)]
    equipes = [(c, f"{(i * equipes_por + j + 1):010d}") for i, c in enumerate(cnes) for j in range(equipes_por)]
    substituidos = set(aleatorio.sample(range(profissionais), int(profissionais * trocar)))
    extras = lotacoes - profissionais  # this many professionals get a second lotação
    total_lot = 0
    with open(destino, "w", encoding="utf-8", newline="\n") as f:
        f.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n<ImportarXMLCNES xmlns:xs="http://www.w3.org/2001/XMLSchema-instance" '
            'xs:noNamespaceSchemaLocation="ImportarXML_CNES.xsd">\n'
        )
        f.write(
            f'<IDENTIFICACAO DATA="2026-11-20" ORIGEM="PORTAL" DESTINO="ESUS_AB" CO_IBGE_MUN="{ibge}" VERSAO_XSD="3.0">\n<ESTABELECIMENTOS>\n'
        )
        for i, c in enumerate(cnes):
            f.write(
                f'<DADOS_GERAIS_ESTABELECIMENTOS NM_FANTA="UNIDADE BASICA DE SAUDE {i:04d}" CNPJ="08157810000168" CNES="{c}" '
                f'TP_UNID_ID="02" DS_TP_UNID="CENTRO DE SAUDE/UNIDADE BASICA" CO_SUBTIPO_UNID="" DS_SUBTIPO_UNID="" '
                f'TELEFONE1="(84)3375{i % 10000:04d}" TELEFONE2=" " FAX="" E_MAIL="">\n<ENDERECO>\n'
                f'<DADOS_ENDERECO CO_CEP="59840000" SG_UF="RN" BAIRRO="BAIRRO {i % 50}" LOGRADOURO="RUA {i}" NUMERO="{i}" '
                f'CO_IBGE_MUN="{ibge}" COMPLEMENT="" PONTO_REF=" " />\n</ENDERECO>\n<COMPLEXIDADE>\n'
                '<DADOS_COMPLEXIDADE SG_COMPLEXIDADE="AB"></DADOS_COMPLEXIDADE>\n</COMPLEXIDADE>\n<EQUIPES>\n'
            )
            for j in range(equipes_por):
                ine = equipes[i * equipes_por + j][1]
                tipo = ("70", "ESF") if j < equipes_por - 1 else ("71", "ESB")
                f.write(
                    f'<DADOS_EQUIPES ID_TP_EQUIPE="" TP_EQUIPE="{tipo[0]}" SG_EQUIPE="{tipo[1]}" DS_EQUIPE="{tipo[1]} - EQUIPE" '
                    f'CO_INE="{ine}" CO_AREA="{j + 1:04d}" DS_AREA="{j + 1:04d}" NM_REFERENCIA="EQUIPE {i:04d}-{j}" DT_DESATIVACAO=""/>\n'
                )
            f.write("</EQUIPES>\n</DADOS_GERAIS_ESTABELECIMENTOS>\n")
        f.write("</ESTABELECIMENTOS>\n<PROFISSIONAIS>\n")
        for p in range(profissionais):
            n = base_cpf + p + (profissionais if p in substituidos else 0)
            nome = quoteattr(f"PROFISSIONAL SINTETICO {n}")
            f.write(
                f'<DADOS_PROFISSIONAIS CO_CNS="{cns_provisorio(n)}" NM_PROF={nome} CPF_PROF="{cpf(n)}" '
                f'NU_REGISTRO="{p % 99999}" DT_NASC="01/01/1900"  SEXO="N" E_MAIL=""  TELEFONE="">\n'
                '<ENDERECO>\n<DADOS_ENDERECO CO_CEP="" SG_UF="" BAIRRO="" LOGRADOURO="" NUMERO="" CO_IBGE_MUN="" '
                'COMPLEMENT="" PONTO_REF="" />\n</ENDERECO>\n<LOTACOES>\n'
            )
            for k in range(2 if p < extras else 1):
                c, ine = equipes[(p * 7 + k * 3) % len(equipes)]
                cbo = CBOS[(p + k) % len(CBOS)]
                if cbo in ("131210", "422105") or k:
                    ine = ""  # lotações without a team
                micro = f"{p % 30 + 1:02d}" if cbo == "515105" else ""
                f.write(f'<DADOS_LOTACOES CNES="{c}" CO_INE="{ine}" CO_CBO="{cbo}" MICROAREA="{micro}"/>\n')
                total_lot += 1
            f.write("</LOTACOES>\n</DADOS_PROFISSIONAIS>\n")
        f.write("</PROFISSIONAIS>\n</IDENTIFICACAO>\n</ImportarXMLCNES>\n")
    return {
        "estabelecimentos": len(cnes),
        "equipes": len(equipes),
        "profissionais": profissionais,
        "lotacoes": total_lot,
    }


def medir(comando: list[str]) -> tuple[float, float, float, str]:
    """Wall time (s), CPU time of the child (s), its peak RSS (MB), and its stdout."""
    inicio = time.perf_counter()
    with tempfile.TemporaryFile() as saida:
        processo = subprocess.Popen(comando, cwd=RAIZ, stdout=saida, stderr=subprocess.DEVNULL)
        _, status, uso = os.wait4(processo.pid, 0)
        processo.returncode = os.waitstatus_to_exitcode(status)
        decorrido = time.perf_counter() - inicio
        saida.seek(0)
        texto = saida.read().decode()
    if processo.returncode != 0:
        raise SystemExit(f"{' '.join(comando)} failed ({processo.returncode}):\n{texto}")
    return decorrido, uso.ru_utime + uso.ru_stime, uso.ru_maxrss / 1024, texto


def municipio_novo() -> str:
    """Create a bench municipality with an unused IBGE code (rows of old runs stay)."""
    codigo = (
        "import django; django.setup()\n"
        "from pec.models import Municipio\n"
        "usados = set(Municipio.objects.filter(ibge__startswith='98').values_list('ibge', flat=True))\n"
        "ibge = next(f'98{n:05d}' for n in range(100000) if f'98{n:05d}' not in usados)\n"
        "Municipio.objects.create(ibge=ibge, nome=f'Bancada {ibge}', uf='RN')\n"
        "print(ibge)\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "LOG_LEVEL": "WARNING"}
    return (
        subprocess.run([sys.executable, "-c", codigo], cwd=RAIZ, env=env, check=True, capture_output=True, text=True)
        .stdout.strip()
        .splitlines()[-1]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--estabelecimentos", type=int, default=1000)
    parser.add_argument("--equipes", type=int, default=5, help="teams per establishment")
    parser.add_argument("--profissionais", type=int, default=60_000)
    parser.add_argument("--lotacoes", type=int, default=80_000)
    parser.add_argument("--pasta", type=Path, default=Path(tempfile.gettempdir()) / "pec-cnes-bench")
    args = parser.parse_args()
    args.pasta.mkdir(parents=True, exist_ok=True)

    ibge = municipio_novo()
    base_cpf = 100_000_000 + int(ibge[2:]) * 200_000  # new people each run
    tamanhos = {
        "estabelecimentos": args.estabelecimentos,
        "equipes_por": args.equipes,
        "profissionais": args.profissionais,
        "lotacoes": args.lotacoes,
        "base_cpf": base_cpf,
    }
    arquivo = args.pasta / f"cnes-{ibge}.xml"
    proxima = args.pasta / f"cnes-{ibge}-proxima-semana.xml"
    contagem = gerar(arquivo, ibge=ibge, **tamanhos)
    gerar(proxima, ibge=ibge, trocar=0.02, **tamanhos)
    mb = arquivo.stat().st_size / 1024 / 1024
    print(f"Generated {arquivo} ({mb:.1f} MB): {contagem}", file=sys.stderr)

    python = sys.executable
    lxml_t, lxml_cpu, lxml_mb, _ = medir([python, "-c", f"from lxml import etree; etree.parse({str(arquivo)!r})"])
    comando = [python, "manage.py", "import_cnes", "--municipio", ibge]
    linhas = [
        "Command: `.venv/bin/python bench/cnes_import_bench.py` (defaults), "
        f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs (shared), "
        "PostgreSQL on the same machine.",
        f"File: ImportarXMLCNES 3.0, {mb:.1f} MB, {contagem['estabelecimentos']:,} establishments, "
        f"{contagem['equipes']:,} teams, {contagem['profissionais']:,} professionals, {contagem['lotacoes']:,} lotações "
        "(valid CPFs and CNS).",
        "",
        f"Load average before the runs: {' '.join(f'{x:.1f}' for x in os.getloadavg())}.",
        "",
        "| run | wall time (s) | of which the import itself (s) | Python CPU (s) | peak RSS (MB) | wall time / bare lxml parse |",
        "|---|---|---|---|---|---|",
        f"| bare `lxml.etree.parse` of the file (reference) | {lxml_t:.1f} | | {lxml_cpu:.1f} | {lxml_mb:.0f} | 1.0 |",
    ]
    for rotulo, alvo in (
        (f"`import_cnes`, first import (all created, {contagem['profissionais']:,} new accounts)", arquivo),
        ("`import_cnes`, same file again (nothing changes)", arquivo),
        ("`import_cnes`, next week (2% of professionals replaced)", proxima),
    ):
        tempo, cpu, pico, saida = medir([*comando, str(alvo)])
        print(saida, file=sys.stderr)
        proprio = re.search(r" in ([0-9.]+) s;", saida)
        linhas.append(
            f"| {rotulo} | {tempo:.1f} | {proprio.group(1) if proprio else '?'} | {cpu:.1f} | {pico:.0f} | {tempo / lxml_t:.1f} |"
        )
    linhas.append("")
    linhas.append(
        "Wall time includes starting Django in the child process and the commit (where PostgreSQL checks the "
        'deferred foreign keys); "the import itself" is the service\'s own duration from the history; Python CPU '
        "and peak RSS are the child's (wait4), PostgreSQL's work is in the wall time only."
    )
    print("\n".join(linhas))


if __name__ == "__main__":
    main()
