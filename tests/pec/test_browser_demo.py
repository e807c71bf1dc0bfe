"""`make run` as a new user gets it (`manage.py serve --demo`: web, worker, beat and the
local RNDS peer): in the production demo municipality a doctor finalises an atendimento
and a nurse registers a dose in Chromium, and both documents reach the local RNDS peer."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.conf import settings

from pec.dbroles import drop_database
from pec.embedded import free_port
from tests.browser import DEMO, database_url_for, login, redis_url_proprio, screenshot

pytestmark = pytest.mark.browser

MUNICIPIO = "Vila Esperança"


@dataclass
class Demo:
    url: str
    env: dict[str, str]
    linhas: list[str]  # what `serve` printed so far, read by a thread so its pipe never fills

    @property
    def saida(self) -> str:
        return "".join(self.linhas)

    def shell(self, codigo: str) -> str:
        resultado = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", codigo],
            cwd=settings.BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        return resultado.stdout


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Iterator[Demo]:
    dbname = os.environ.get("PEC_TEST_DB", f"test_{settings.DB_ADMIN['NAME']}") + "_demo"
    drop_database(settings.DB_ADMIN, dbname)
    porta = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for(dbname),
        "REDIS_URL": redis_url_proprio(13),
        "PEC_VAR_DIR": str(tmp_path_factory.mktemp("demo-var")),
        "PEC_BIND": f"127.0.0.1:{porta}",
        "SITE_URL": f"http://127.0.0.1:{porta}",
    }
    for nome in ("DJANGO_ALLOW_ASYNC_UNSAFE", "PEC_PRODUCTION"):
        env.pop(nome, None)
    processo = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--demo", "--demo-cidadaos", "10", "--workers", "2"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    linhas: list[str] = []
    leitor = threading.Thread(target=lambda: linhas.extend(processo.stdout), daemon=True)  # type: ignore[arg-type]
    leitor.start()
    limite = time.monotonic() + 600  # migrations and the demo on a busy 2-core machine
    while not any("PEC running at" in linha for linha in linhas) and time.monotonic() < limite:
        if processo.poll() is not None:
            break
        time.sleep(0.5)
    try:
        assert any("PEC running at" in linha for linha in linhas), "".join(linhas)[-3000:]
        yield Demo(url=f"http://127.0.0.1:{porta}", env=env, linhas=linhas)
    finally:
        processo.send_signal(signal.SIGINT)
        try:
            processo.wait(timeout=60)
        except subprocess.TimeoutExpired:
            processo.kill()
        leitor.join(timeout=10)
        drop_database(settings.DB_ADMIN, dbname)


def escolher_lotacao(page, url: str, ubs: str) -> None:
    page.goto(url + "/lotacao/")
    page.locator("section", has_text=MUNICIPIO).locator("li", has_text=ubs).get_by_role("button").click()
    page.wait_for_load_state()


def entregas_rnds(demo: Demo, cidadao: int) -> dict[str, tuple[str, ...]]:
    """The citizen's RNDS deliveries of today's records: tipo -> (status, id the peer gave)."""
    saida = demo.shell(
        "from django.utils import timezone\n"
        "from pec.models import Municipio, Outbox\n"
        "from pec.tenancy import tenant_context\n"
        "from prontuario.models import Atendimento, Vacinacao\n"
        "m = Municipio.objects.get(ibge='9999901')\n"
        "with tenant_context(m.id):\n"
        f"    a = Atendimento.objects.filter(cidadao_id={cidadao}, finalizado_em__date=timezone.localdate()).values('id')\n"
        f"    v = Vacinacao.objects.filter(cidadao_id={cidadao}, data_aplicacao=timezone.localdate()).values('id')\n"
        "    for o in Outbox.objects.filter(destino='rnds', objeto_tipo='prontuario.atendimento', objeto_id__in=a).union(\n"
        "            Outbox.objects.filter(destino='rnds', objeto_tipo='prontuario.vacinacao', objeto_id__in=v)):\n"
        "        print('ROW', o.tipo, o.status, o.resposta.get('rnds_id') or '-', o.ultimo_erro[:300].replace(' ', '_'))\n"
    )
    linhas = [linha.split()[1:] for linha in saida.splitlines() if linha.startswith("ROW ")]
    return {tipo: (status, rnds_id, *erro) for tipo, status, rnds_id, *erro in linhas}


def test_make_run_demo_finalises_an_atendimento_and_a_dose_that_reach_the_rnds_peer(demo, new_page):
    assert "Serra Azul/BA (9999902): TREINAMENTO" in demo.saida
    cidadao = int(
        demo.shell(
            "from pec.models import Municipio\nfrom pec.tenancy import tenant_context\n"
            "from prontuario.models import Cidadao\nm = Municipio.objects.get(ibge='9999901')\n"
            "with tenant_context(m.id):\n    print(Cidadao.objects.get(nome='JOSE CARLOS DE OLIVEIRA').id)\n"
        ).split()[-1]
    )

    medico = new_page()
    login(medico, demo, DEMO["medico"])  # type: ignore[arg-type]
    escolher_lotacao(medico, demo.url, "UBS Centro")
    medico.goto(f"{demo.url}/prontuario/cidadaos/{cidadao}/")
    medico.get_by_role("button", name="Atender").click()
    medico.wait_for_url(re.compile(r"/prontuario/atendimentos/\d+/$"))
    medico.fill("#id_subjetivo", "Controle de pressão arterial.")
    medico.fill("#id_problemas-0-ciap", "K86")
    medico.fill("#id_problemas-0-cid10", "I10")
    medico.select_option("#id_problemas-0-situacao", "0")
    medico.check("input[name=condutas][value='2']")
    medico.get_by_role("button", name="Finalizar atendimento").click()
    medico.wait_for_url(re.compile(rf"/prontuario/cidadaos/{cidadao}/$"))
    assert "Atendimento finalizado." in medico.content(), medico.locator("main").inner_text()[:2000]

    enfermeira = new_page()
    login(enfermeira, demo, DEMO["enfermeiro"])  # type: ignore[arg-type]
    escolher_lotacao(enfermeira, demo.url, "UBS Centro")
    enfermeira.goto(f"{demo.url}/prontuario/cidadaos/{cidadao}/vacinacao/")
    enfermeira.select_option("#id_imunobiologico", "33")  # influenza, idoso
    enfermeira.select_option("#id_estrategia", "1")
    enfermeira.select_option("#id_dose", "9")
    enfermeira.fill("#id_lote", "INF2026X")
    enfermeira.select_option("#id_fabricante", "152")
    enfermeira.select_option("#id_via", "10890")
    enfermeira.select_option("#id_local_aplicacao", "2")
    enfermeira.select_option("#id_grupo_atendimento", "000210")
    enfermeira.get_by_role("button", name="Registrar dose").click()
    enfermeira.wait_for_load_state()
    assert "Dose registrada." in enfermeira.content(), enfermeira.locator("main").inner_text()[:1500]

    limite = time.monotonic() + 180
    entregas = entregas_rnds(demo, cidadao)
    while time.monotonic() < limite and not all(entregas.get(tipo, ("",))[0] == "enviado" for tipo in ("rac", "ria-r")):
        time.sleep(2)
        entregas = entregas_rnds(demo, cidadao)
    assert entregas["rac"][0] == "enviado" and entregas["ria-r"][0] == "enviado", (entregas, demo.saida[-4000:])
    assert entregas["rac"][1] != "-" and entregas["ria-r"][1] != "-"  # the ids the peer gave them

    admin = new_page()
    login(admin, demo, DEMO["admin_municipal"])  # type: ignore[arg-type]
    escolher_lotacao(admin, demo.url, "UBS Centro")
    admin.goto(f"{demo.url}/administracao/cnes/")
    assert "XmlParaESUS30_9999901.xml" in admin.content()
    screenshot(admin, "demo_cnes_importacoes")
