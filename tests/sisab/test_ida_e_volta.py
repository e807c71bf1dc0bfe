"""Round trip: a municipality's month, exported here and delivered through the HTTP
destination to this project's own receiving API on a real server (gunicorn + celery on
a live database with the demo data), lands in the centralizer's tenant for the same
municipality with the same fichas and counts."""

from __future__ import annotations

import pytest

from pec.tenancy import tenant_context
from sisab import envio, ledi
from sisab.models import DestinoSisab, EntregaSisab, FichaSisab
from tests.sisab import mundo_envio

pytestmark = pytest.mark.django_db(transaction=True)

IBGE_DEMO = "9999901"  # Vila Esperança, a demo municipality of the live installation


def test_month_delivered_to_our_own_receiving_api(pec_server):
    saida = pec_server.manage("sisab_credencial", "--municipio", IBGE_DEMO, "--nome", "Envio de teste")
    usuario, senha = (parte.split("=", 1)[1] for parte in saida.split())
    m = mundo_envio.mundo("Vila Esperança", ibge=IBGE_DEMO)
    mundo_envio.identificar(m.municipio)
    mundo_envio.atendimento(m)
    mundo_envio.escuta(m)
    mundo_envio.vacina(m)
    with tenant_context(m.municipio.id):
        envio.destino_salvar(
            destino=DestinoSisab(
                municipio=m.municipio, nome="Centralizador estadual", tipo="http", url=pec_server.url, usuario=usuario
            ),
            senha=senha,
        )
    resultado = envio.transmitir(municipio_id=m.municipio.id, ignorar_janela=True)
    assert next(iter(resultado["destinos"].values()))["enviadas"] == 4, resultado
    with tenant_context(m.municipio.id):
        enviadas = {f.uuid: f.tipo for f in FichaSisab.objects.all()}
        assert set(EntregaSisab.objects.values_list("status", flat=True)) == {EntregaSisab.Status.ENVIADO}

    recebidas = pec_server.manage(
        "shell",
        "-c",
        "from pec.models import Municipio; from pec.tenancy import tenant_context; "
        "from sisab.models import FichaRecebida; "
        f"m = Municipio.objects.get(ibge='{IBGE_DEMO}'); "
        "ctx = tenant_context(m.id); ctx.__enter__(); "
        "[print(f.uuid, f.tipo, f.instalacao_origem) for f in FichaRecebida.objects.all()]",
    )
    # Django's shell may print its own notes ("N objects imported"); keep the ficha lines.
    linhas = [
        partes
        for partes in (linha.split(" ", 2) for linha in recebidas.splitlines())
        if len(partes) == 3 and partes[1].isdigit()
    ]
    assert {uuid: int(tipo) for uuid, tipo, _ in linhas} == enviadas
    assert all(origem.startswith("PEC-centralizado - 1.0") for _, _, origem in linhas)
    assert ledi.VERSAO == {"major": 7, "minor": 2, "revision": 2}
