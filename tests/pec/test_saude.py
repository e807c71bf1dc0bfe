"""/saude/: served from the workers' heartbeat and a remembered check, never a ping per
call; a database that refuses is a 503, not a 500."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.core.cache import cache

from pec import saude
from pec.embedded import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def esquecer():
    saude.saude_esquecer()
    cache.delete(saude.CHAVE_BATIMENTO)
    yield
    saude.saude_esquecer()


def test_answers_from_the_workers_heartbeat_without_pinging_them(client):
    """No worker runs in this test: only its recent heartbeat (main pinged every call,
    waited a second and answered 503)."""
    saude.batimento_gravar()
    resposta = client.get("/saude/")
    assert resposta.status_code == 200
    assert resposta.json() == {"status": "ok", "postgresql": "ok", "redis": "ok", "worker": "ok"}
    assert resposta["Cache-Control"].startswith("max-age=0")


def test_a_stale_or_missing_heartbeat_is_a_503(client):
    resposta = client.get("/saude/")
    assert resposta.status_code == 503 and resposta.json()["worker"] == "erro: nenhum worker ativo"
    saude.saude_esquecer()
    cache.set(saude.CHAVE_BATIMENTO, time.time() - settings.PEC_SAUDE_WORKER_SEGUNDOS - 60)
    resposta = client.get("/saude/")
    assert resposta.status_code == 503 and resposta.json()["worker"].startswith("erro: nenhum worker há")


def test_the_check_is_remembered_between_calls(client, monkeypatch, django_assert_num_queries):
    saude.batimento_gravar()
    assert client.get("/saude/").status_code == 200
    # PostgreSQL stops answering: within the interval the last result is served, with no
    # query and no connection attempt...
    monkeypatch.setitem(settings.DATABASES["default"], "PORT", str(free_port()))
    with django_assert_num_queries(0):
        assert client.get("/saude/").json()["postgresql"] == "ok"
    # ...and once it is over, the next call checks again.
    saude.saude_esquecer()
    resposta = client.get("/saude/")
    assert resposta.status_code == 503 and resposta.json()["postgresql"] == "erro: OperationalError"


def test_a_database_that_refuses_is_a_503_not_a_500():
    """A web process whose PostgreSQL refuses connections (here: nothing listens on the
    port) answers 503 with the reason; main opened the request transaction first: 500."""
    script = (
        "import django, json; django.setup(); from django.test import Client; "
        "r = Client(raise_request_exception=False).get('/saude/', SERVER_NAME='127.0.0.1'); "
        "print(json.dumps({'status': r.status_code, 'corpo': r.content.decode()}))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{free_port()}/nenhum",
        "REDIS_URL": settings.REDIS_URL,
    }
    resultado = subprocess.run(
        [sys.executable, "-c", script], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    saida = json.loads(resultado.stdout.strip().splitlines()[-1])
    assert saida["status"] == 503, resultado.stdout + resultado.stderr
    assert json.loads(saida["corpo"])["postgresql"] == "erro: OperationalError"


def test_a_running_worker_keeps_the_heartbeat(client):
    """A real worker (no beat) writes the heartbeat from its own event loop at start."""
    env = {**os.environ, "REDIS_URL": settings.REDIS_URL}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "solo",
            "-l",
            "warning",
            "-Q",
            f"saude-teste-{os.getpid()}",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        limite = time.monotonic() + 90
        while cache.get(saude.CHAVE_BATIMENTO) is None and time.monotonic() < limite and worker.poll() is None:
            time.sleep(0.2)
        assert cache.get(saude.CHAVE_BATIMENTO) is not None, (
            worker.stderr.read().decode()[-2000:] if worker.poll() else ""
        )
        assert client.get("/saude/").json()["worker"] == "ok"
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def test_nginx_lets_only_the_monitoring_reach_it():
    conf = (settings.BASE_DIR / "deploy" / "nginx" / "pec.conf").read_text()
    bloco = conf.split("location = /saude/ {", 1)[1].split("}", 1)[0]
    regras = [linha.strip() for linha in bloco.splitlines() if linha.strip().startswith(("allow", "deny"))]
    assert regras[-1] == "deny all;" and all(r.startswith("allow") for r in regras[:-1]) and len(regras) >= 2
    assert "proxy_pass http://127.0.0.1:8000;" in bloco
