"""RNDS benchmark: Bundles built per second (RAC, RIA-R, with fhir.resources and the
profile checker separately), and the time from finalising a record (outbox row committed)
to `enviado` against the local national peer (rnds.simulador, real HTTPS + mutual TLS).

    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/rnds_bench.py [--registros 200]

Uses (and creates once) a municipality "Bench RNDS" in the database named by
DATABASE_URL; run `manage.py migrate` first. Each record is committed and then drained
at once, as the task nudged on commit does.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.utils import timezone  # noqa: E402

from pec.models import Estabelecimento, Municipio, Outbox, Usuario  # noqa: E402
from pec.outbox import outbox_drenar, outbox_registrar  # noqa: E402
from pec.tenancy import tenant_context  # noqa: E402
from rnds import mapeamento, pki  # noqa: E402
from rnds.bundles import bundle_rac, bundle_ria  # noqa: E402
from rnds.models import ConfiguracaoRNDS  # noqa: E402
from rnds.perfis import verificar_bundle  # noqa: E402
from rnds.registros import Identificacao, Problema, Procedimento, RegistroAtendimento, RegistroVacina  # noqa: E402
from rnds.services import certificado_instalar  # noqa: E402
from rnds.simulador import SimuladorNacional  # noqa: E402


def quem() -> Identificacao:
    return Identificacao(
        identificador=str(uuid.uuid4()),
        cidadao_cpf="52998224725",
        cidadao_cns="",
        profissional_cns="898001160660001",
        profissional_cbo="225142",
        cnes="9990001",
    )


def atendimento() -> RegistroAtendimento:
    agora = timezone.now()
    return RegistroAtendimento(
        quem=quem(),
        inicio=agora - datetime.timedelta(minutes=15),
        fim=agora,
        problemas=(Problema("CIAP2", "K86"), Problema("CID10", "I10")),
        procedimentos=(Procedimento("0301010064"),),
    )


def vacina() -> RegistroVacina:
    return RegistroVacina(
        quem=quem(),
        aplicada_em=timezone.now(),
        imunobiologico="15",
        lote="L1",
        fabricante="149",
        dose="8",
        contato_hanseniase=False,
    )


def por_segundo(func, n: int) -> float:  # type: ignore[no-untyped-def]
    inicio = time.perf_counter()
    for _ in range(n):
        func()
    return n / (time.perf_counter() - inicio)


def percentil(valores: list[float], p: float) -> float:
    ordenados = sorted(valores)
    return ordenados[min(len(ordenados) - 1, round(p / 100 * (len(ordenados) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--registros", type=int, default=200)
    args = parser.parse_args()

    verificar_bundle(bundle_rac(atendimento(), solicitante="1"))  # load the profiles once
    print(f"RAC built/s:            {por_segundo(lambda: bundle_rac(atendimento(), solicitante='1'), 200):.0f}")
    print(f"RIA-R built/s:          {por_segundo(lambda: bundle_ria(vacina(), solicitante='1'), 200):.0f}")
    rac = bundle_rac(atendimento(), solicitante="1")
    print(f"RAC checked/s (perfis): {por_segundo(lambda: verificar_bundle(rac), 200):.0f}")

    arquivos = pki.gerar_certificados_teste(pasta=Path(tempfile.mkdtemp(prefix="rnds-bench-")))
    settings.RNDS_CA_ARQUIVO = str(arquivos.ca)
    cache.clear()
    registros: dict[int, RegistroAtendimento] = {}
    mapeamento.registrar_mapeador("pec.estabelecimento", lambda objeto: registros[objeto.pk])
    with SimuladorNacional(arquivos) as sim:
        municipio, _ = Municipio.objects.get_or_create(ibge="9999977", defaults={"nome": "Bench RNDS", "uf": "MG"})
        usuario = Usuario.objects.filter(cpf="52998224725").first() or Usuario.objects.create_user(
            "52998224725", None, nome="Bench"
        )
        with tenant_context(municipio.id):
            Outbox.objects.filter(municipio=municipio).delete()
            ConfiguracaoRNDS.objects.update_or_create(
                municipio=municipio,
                defaults={
                    "habilitado": True,
                    "identificador_solicitante": "1",
                    "url_autenticacao": sim.url,
                    "url_servicos": sim.url,
                    "url_cadsus": sim.url,
                },
            )
            certificado_instalar(
                municipio=municipio, conteudo=arquivos.pfx.read_bytes(), senha=arquivos.senha_pfx, usuario=usuario
            )
        tempos = []
        for n in range(args.registros):
            inicio = time.perf_counter()
            registro = atendimento()
            with tenant_context(municipio.id):
                objeto = Estabelecimento.objects.create(municipio=municipio, cnes=f"{8000000 + n:07d}", nome="bench")
                registros[objeto.id] = registro
                outbox_registrar(
                    municipio=municipio,
                    destino="rnds",
                    tipo="rac",
                    chave=f"rac:{registro.quem.identificador}",
                    objeto=objeto,
                )
            resultado = outbox_drenar(municipio_id=municipio.id, destino="rnds")
            tempos.append(time.perf_counter() - inicio)
            assert resultado == {"enviado": 1}, resultado
        with tenant_context(municipio.id):
            Outbox.objects.filter(municipio=municipio).delete()
            Estabelecimento.objects.filter(municipio=municipio, nome="bench").delete()
        print(
            f"finalise→enviado over {len(tempos)} records: p50 {statistics.median(tempos) * 1000:.0f} ms, "
            f"p95 {percentil(tempos, 95) * 1000:.0f} ms, max {max(tempos) * 1000:.0f} ms; "
            f"tokens issued {sim.estado.tokens_emitidos}"
        )


if __name__ == "__main__":
    main()
