"""SISAB export benchmark: N fichas checked (LEDI rules + XML against the official XSDs)
and serialised to `.esus` Thrift, streamed into one zip, with peak memory.

    .venv/bin/python bench/sisab_bench.py [--fichas 100000] [--processes 2] [--output /tmp/sisab-bench.zip]

Worker processes (default: one per CPU, spawned as `manage.py export_sisab` does) make,
check and serialise lotes of 500; this process writes the zip.

The fichas are Cadastro Individual, Atendimento Individual and Procedimentos dicts as
sisab.fichas makes them (each with its own uuid, citizen and dates); no database is
touched, so this measures the codec and the rules, the part that grows with a
municipality's month. (The vaccination rule table is a database lookup, left out.)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
import uuid
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from sisab import ledi  # noqa: E402
from sisab.envio import em_processos, verificar  # noqa: E402

AGORA = int(time.time() * 1000) - 3_600_000
HEADER = {
    "profissionalCNS": "700000000000005",
    "cboCodigo_2002": "225142",
    "cnes": "0019615",
    "ine": "0000471828",
    "dataAtendimento": AGORA,
    "codigoIbgeMunicipio": "4205407",
}
MODELOS = {
    2: {
        "fichaAtualizada": False,
        "tpCdsOrigem": 3,
        "headerTransport": HEADER,
        "identificacaoUsuarioCidadao": {
            "nomeCidadao": "MARIA JOSE DA SILVA",
            "dataNascimentoCidadao": 642999600000,
            "sexoCidadao": 1,
            "racaCorCidadao": 4,
            "nacionalidadeCidadao": 1,
            "codigoIbgeMunicipioNascimento": "4205407",
            "paisNascimento": 31,
            "nomeMaeCidadao": "ANA DA SILVA",
            "desconheceNomeMae": False,
            "cpfCidadao": "31422733521",
            "statusEhResponsavel": False,
        },
        "informacoesSocioDemograficas": {
            "statusDesejaInformarOrientacaoSexual": False,
            "statusDesejaInformarIdentidadeGenero": False,
        },
        "condicoesDeSaude": {},
    },
    4: {
        "tpCdsOrigem": 3,
        "headerTransport": {
            "lotacaoFormPrincipal": {k: HEADER[k] for k in ("profissionalCNS", "cboCodigo_2002", "cnes", "ine")},
            "dataAtendimento": AGORA,
            "codigoIbgeMunicipio": "4205407",
        },
        "atendimentosIndividuais": [
            {
                "cpfCidadao": "31422733521",
                "dataNascimento": 642999600000,
                "localDeAtendimento": 1,
                "sexo": 1,
                "turno": 1,
                "tipoAtendimento": 5,
                "condutas": [9],
                "problemasCondicoes": [{"ciap": "A03", "cid10": "R509", "isAvaliado": True}],
                "medicoes": {
                    "pressaoArterialSistolica": 120,
                    "pressaoArterialDiastolica": 80,
                    "temperatura": 37.8,
                    "peso": 61.5,
                    "altura": 162.0,
                },
                "dataHoraInicialAtendimento": AGORA,
                "dataHoraFinalAtendimento": AGORA + 1200000,
            }
        ],
    },
    7: {
        "tpCdsOrigem": 3,
        "headerTransport": HEADER,
        "atendProcedimentos": [
            {
                "cpfCidadao": "31422733521",
                "dtNascimento": 642999600000,
                "sexo": 1,
                "localAtendimento": 1,
                "turno": 1,
                "statusEscutaInicialOrientacao": True,
                "procedimentos": ["0301100039"],
                "medicoes": {"frequenciaCardiaca": 88},
                "dataHoraInicialAtendimento": AGORA,
                "dataHoraFinalAtendimento": AGORA + 600000,
            }
        ],
    },
}
MODELOS_JSON = {tipo: json.dumps(modelo) for tipo, modelo in MODELOS.items()}
TIPOS = [2, 4, 7]
LOTE = 500  # fichas per worker task
INSTALACAO = ledi.Instalacao(
    contra_chave="PEC-centralizado - 1.0",
    uuid_instalacao="5f2d1c8e-4b7a-4e3f-9a61-2c0d8b7e6f14",
    cpf_ou_cnpj="12345678000199",
    nome_ou_razao_social="SECRETARIA MUNICIPAL DE SAUDE",
)


def _lote(*, inicio: int, fim: int) -> tuple[int, list[tuple[str, bytes]]]:
    """Fichas inicio..fim-1: made, checked (rules + XSD) and serialised to `.esus`."""
    invalidas, arquivos = 0, []
    for n in range(inicio, fim):
        tipo = TIPOS[n % 3]
        dados = json.loads(MODELOS_JSON[tipo])  # as a ficha comes out of its JSONField
        chave = f"0019615-{uuid.uuid4()}"
        dados["uuid" if tipo == 2 else "uuidFicha"] = chave
        if tipo == 2:
            dados["uuidFichaOriginadora"] = chave
        dados["headerTransport"]["dataAtendimento"] = AGORA - n * 1000
        if verificar(tipo=tipo, dados=dados, cnes="0019615", ine="0000471828", ibge="4205407", instalacao=INSTALACAO):
            invalidas += 1
            continue
        dado = ledi.novo_dado_transporte(
            tipo=tipo, ficha=dados, cnes="0019615", cod_ibge="4205407", ine="0000471828", instalacao=INSTALACAO
        )
        arquivos.append((f"{chave}.esus", ledi.para_esus(dado)))
    return invalidas, arquivos


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fichas", type=int, default=100_000)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    saida = args.output or Path(tempfile.mkstemp(suffix=".zip")[1])
    lotes = ({"inicio": inicio, "fim": min(inicio + LOTE, args.fichas)} for inicio in range(0, args.fichas, LOTE))
    inicio = time.perf_counter()
    invalidas = feitas = 0
    with zipfile.ZipFile(saida, "w", compression=zipfile.ZIP_DEFLATED) as arquivo:
        for invalidas_lote, arquivos in em_processos(_lote, lotes, processos=args.processes):
            invalidas += invalidas_lote
            for nome, conteudo in arquivos:
                arquivo.writestr(nome, conteudo)
            feitas += LOTE
            if feitas % 10_000 == 0:
                sys.stderr.write(f"\r{feitas} fichas, {time.perf_counter() - inicio:.1f} s")
    total = time.perf_counter() - inicio
    # Peak RSS of this process and, separately, of the largest worker (both bounded).
    pico_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    pico_worker_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    sys.stderr.write("\n")
    print(
        f"fichas={args.fichas} processes={args.processes} invalidas={invalidas} segundos={total:.1f} "
        f"fichas_por_segundo={args.fichas / total:.0f} pico_rss_mb={pico_mb:.0f} "
        f"pico_rss_worker_mb={pico_worker_mb:.0f} zip_mb={saida.stat().st_size / 1e6:.1f}"
    )
    if not args.output:
        saida.unlink()


if __name__ == "__main__":
    main()
