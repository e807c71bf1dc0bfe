"""The installation as a person meets it: the login page in Chromium, and a health
check answered by the real web server, PostgreSQL, Redis and Celery worker."""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.browser import DEMO, login, screenshot

pytestmark = pytest.mark.browser


def test_login_page_renders_in_portuguese_and_is_keyboard_usable(pec_server, new_page):
    page = new_page()
    response = page.goto(pec_server.url + "/conta/login/")
    assert response.status == 200
    assert page.get_attribute("html", "lang") == "pt-BR"
    assert page.title() == "Entrar · PEC"
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "object-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["x-frame-options"] == "DENY"
    # Keyboard: the skip link comes first, the CPF field has focus on load.
    assert page.evaluate("document.activeElement.id") == "id_login"
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "PEC Atenção Primária"
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Pular para o conteúdo"
    path = screenshot(page, "login")
    assert path.stat().st_size > 5000


def test_wrong_password_shows_message_and_demo_login_works(pec_server, new_page):
    page = new_page()
    login(page, pec_server, DEMO["medico"], password="senha-errada-123")
    assert page.url.endswith("/conta/login/")
    assert page.locator("[role=alert]").count() == 1
    login(page, pec_server, DEMO["medico"])
    assert "/conta/login/" not in page.url
    assert "Bruno" in page.inner_text("header")


def test_health_endpoint_sees_postgresql_redis_and_worker(pec_server):
    with urllib.request.urlopen(pec_server.url + "/saude/", timeout=10) as response:
        body = json.load(response)
        assert response.headers["Cache-Control"].startswith("max-age=0")
    assert body == {"status": "ok", "postgresql": "ok", "redis": "ok", "worker": "ok"}


def test_base_layout_stays_light_for_slow_links(pec_server, new_page):
    """The README promises a base layout of a few KB: one HTML page and one CSS file, no
    fonts, images or scripts. 1 Mbps moves about 120 KB/s."""
    page = new_page()
    responses = []
    page.on("response", lambda response: responses.append(response))
    page.goto(pec_server.url + "/conta/login/")
    page.wait_for_load_state("networkidle")
    sizes = {response.url.rsplit("/", 1)[-1] or "login": len(response.body()) for response in responses}
    assert len(sizes) == 2, sizes
    assert sum(sizes.values()) < 12_000, sizes
