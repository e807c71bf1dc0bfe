"""Fixtures for browser tests: the real installation (gunicorn + Celery worker) on a
database of its own with the demo data committed, driven by Debian's Chromium through
Playwright.

Loaded as a plugin by tests/conftest.py. In a test module:

    from tests.browser import DEMO, login, screenshot

    pytestmark = pytest.mark.browser

    def test_x(pec_server, new_page):
        page = new_page()
        login(page, pec_server, DEMO["medico"])
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from django.conf import settings

from pec.dbroles import drop_database, setup_database
from pec.demo import ADMIN_INSTALACAO, DEMO_PASSWORD, PESSOAS
from pec.embedded import free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"

# Demo accounts by role, as created by pec.demo.seed_demo.
DEMO = {
    "admin_instalacao": ADMIN_INSTALACAO.cpf,
    **{
        key: pessoa.cpf
        for key, pessoa in zip(
            ["medico", "enfermeiro", "tecnico", "recepcao", "acs", "dentista", "coordenador", "admin_municipal"],
            PESSOAS,
            strict=True,
        )
    },
}


@dataclass
class LiveServer:
    url: str
    database_url: str
    env: dict[str, str]

    def manage(self, *args: str) -> str:
        """Run a manage.py command against the live installation's database."""
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=settings.BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout


def database_url_for(dbname: str) -> str:
    admin = settings.DB_ADMIN
    credentials = quote(admin["USER"])
    if admin.get("PASSWORD"):
        credentials += ":" + quote(admin["PASSWORD"])
    host = admin.get("HOST") or ""
    if host.startswith("/"):
        return f"postgresql://{credentials}@/{dbname}?host={host}"
    port = f":{admin['PORT']}" if admin.get("PORT") else ""
    return f"postgresql://{credentials}@{host}{port}/{dbname}"


def redis_url_proprio(numero: int) -> str:
    """The test Redis with database `numero` instead of the run's own, emptied.

    An installation a test starts beside the session's live server (`pec_server`) needs
    a broker queue of its own: two Celery workers on one queue take each other's tasks,
    and a worker that looks up an outbox row in the other installation's database finds
    nothing, so the row stays pending (seen in CI: the demo's RNDS deliveries never left).
    """
    import redis

    partes = urlsplit(settings.REDIS_URL)
    url = urlunsplit(partes._replace(path=f"/{numero}"))
    assert url != settings.REDIS_URL, "the run's own Redis database is the live server's"
    redis.Redis.from_url(url).flushdb()
    return url


def _wait_for(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer in {timeout} s")


@pytest.fixture(scope="session")
def pec_server() -> Iterator[LiveServer]:
    dbname = os.environ.get("PEC_TEST_DB", f"test_{settings.DB_ADMIN['NAME']}") + "_live"
    drop_database(settings.DB_ADMIN, dbname)
    setup_database(settings.DB_ADMIN, dbname, settings.DB_ROLES)
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for(dbname),
        "REDIS_URL": settings.REDIS_URL,
        "SITE_URL": f"http://127.0.0.1:{port}",
        "PEC_BIND": f"127.0.0.1:{port}",
        # The demo's public installation administrator is not asked to enrol in MFA.
        "PEC_MFA_ADMIN_INSTALACAO": "false",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # the browser fixture's, not the servers'
    server = LiveServer(url=f"http://127.0.0.1:{port}", database_url=env["DATABASE_URL"], env=env)
    server.manage("migrate", "--no-input")
    server.manage("seed_demo", "--cidadaos", "0")  # no synthetic year: the pages' counts stay those of the demo
    server.manage("collectstatic", "--no-input")
    bindir = Path(sys.executable).parent
    log_dir = SCREENSHOTS.parent / "live-logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    processes = [
        subprocess.Popen(
            [str(bindir / "gunicorn"), "config.wsgi", "-c", "deploy/gunicorn.conf.py", "--workers", "2"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=open(log_dir / "gunicorn.log", "wb"),
            stderr=subprocess.STDOUT,
        ),
        subprocess.Popen(
            [str(bindir / "celery"), "-A", "config", "worker", "--concurrency", "1", "-l", "info", "--pool", "solo"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=open(log_dir / "celery.log", "wb"),
            stderr=subprocess.STDOUT,
        ),
    ]
    try:
        _wait_for(server.url + "/conta/login/", processes[0])
        yield server
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        drop_database(settings.DB_ADMIN, dbname)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls tests make
    # for their setup are still plain synchronous code. Only for this process, and set
    # after the servers (which must not inherit it) were started.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser: object) -> Iterator[Callable[[], object]]:
    """Each call opens a page in a fresh browser context (its own cookies: a second user)."""
    contexts = []

    def open_page() -> object:
        context = browser.new_context(locale="pt-BR", viewport={"width": 1280, "height": 800})  # type: ignore[attr-defined]
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def login(page: object, server: LiveServer, cpf: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(server.url + "/conta/login/")  # type: ignore[attr-defined]
    page.fill("#id_login", cpf)  # type: ignore[attr-defined]
    page.fill("#id_password", password)  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_load_state()  # type: ignore[attr-defined]


def screenshot(page: object, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path
