"""In Chromium against the real server with the demo data: login → choose lotação → the
home page of that perfil → switch lotação (to another municipality)."""

from __future__ import annotations

import pytest

from pec.documentos import formatar_cpf
from tests.browser import DEMO, login, screenshot

pytestmark = pytest.mark.browser


def escolher(page, municipio: str, estabelecimento: str) -> None:  # type: ignore[no-untyped-def]
    secao = page.locator("section", has=page.locator("h2", has_text=municipio))
    secao.locator("li", has_text=estabelecimento).get_by_role("button", name="Trabalhar nesta lotação").click()
    page.wait_for_load_state()


def test_login_choose_lotacao_home_of_perfil_and_switch(pec_server, new_page):
    page = new_page()
    login(page, pec_server, formatar_cpf(DEMO["admin_municipal"]))  # typed with punctuation
    assert page.url == pec_server.url + "/lotacao/"
    assert page.locator("h1").inner_text() == "Em qual lotação você vai trabalhar?"
    # Íris works in both demo municipalities, two UBS each, grouped by municipality.
    grupos = page.locator("h2").all_inner_texts()
    assert len(grupos) == 2
    assert grupos[0].startswith("Serra Azul") and grupos[0].endswith("(treinamento)")
    assert grupos[1] == "Vila Esperança/MG"
    assert page.get_by_role("button", name="Trabalhar nesta lotação").count() == 4
    screenshot(page, "escolher-lotacao")

    escolher(page, "Vila Esperança", "UBS Centro")
    assert page.url == pec_server.url + "/"
    assert "UBS Centro" in page.inner_text("header")
    acoes = page.locator("ul.acoes a").all_inner_texts()
    assert "Profissionais" in acoes and "Perfis" in acoes
    assert "Municípios" not in acoes
    screenshot(page, "inicio-admin-municipal")

    page.get_by_role("link", name="Profissionais").first.click()
    page.wait_for_load_state()
    assert "Profissionais de Vila Esperança/MG" in page.locator("h1").inner_text()
    assert page.get_by_role("link", name="Bruno Médico da Silva").count() == 1

    page.get_by_role("link", name="Trocar lotação").click()
    page.wait_for_load_state()
    escolher(page, "Serra Azul", "UBS Jardim das Flores")
    assert "UBS Jardim das Flores" in page.inner_text("header")
    assert "município em treinamento" in page.inner_text("main")
    page.get_by_role("link", name="Profissionais").first.click()
    page.wait_for_load_state()
    assert "Serra Azul" in page.locator("h1").inner_text()


def test_home_of_a_clinical_perfil_has_no_admin_actions(pec_server, new_page):
    page = new_page()
    login(page, pec_server, DEMO["medico"])
    escolher(page, "Vila Esperança", "UBS Centro")
    assert "Bruno" in page.locator("h1").inner_text()
    links = page.locator("nav.menu a").all_inner_texts()
    assert "Profissionais" not in links and "Perfis" not in links and "Municípios" not in links
    response = page.goto(pec_server.url + "/administracao/perfis/")
    assert response.status == 403
    assert "Acesso não permitido" in page.inner_text("main")


def test_installation_admin_goes_straight_to_installation_home(pec_server, new_page):
    page = new_page()
    login(page, pec_server, DEMO["admin_instalacao"])
    assert page.url == pec_server.url + "/"
    acoes = page.locator("ul.acoes a").all_inner_texts()
    assert "Municípios" in acoes and "E-mail (SMTP)" in acoes
    assert "Profissionais" not in acoes and "Perfis" not in acoes
    assert page.get_by_role("link", name="Trocar lotação").count() == 0
