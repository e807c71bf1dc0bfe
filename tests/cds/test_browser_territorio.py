"""In Chromium against the real server, at phone size (390×844) and on a desktop: the ACS
registers a citizen, types a domicílio (the condições de moradia appear only for that
type) and a família with that citizen as responsável, chosen from the search."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import DEMO, login, screenshot
from tests.prontuario.test_browser_recepcao import escolher_lotacao

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("largura", "altura", "nome", "numero"),
    [(390, 844, "Raimunda Celeste Pereira", "501"), (1280, 800, "Raimunda Aurora Pereira", "502")],
    ids=["celular", "computador"],
)
def test_acs_types_an_imovel_with_a_familia(pec_server, new_page, largura, altura, nome, numero):
    page = new_page()
    page.set_viewport_size({"width": largura, "height": altura})
    login(page, pec_server, DEMO["acs"])
    escolher_lotacao(page)

    page.goto(pec_server.url + "/cidadaos/novo/")
    page.fill("#id_nome", nome)
    page.fill("#id_data_nascimento", "1970-02-01")
    page.select_option("#id_sexo", "1")
    page.select_option("#id_raca_cor", "2")
    page.fill("#id_nome_mae", "Benedita Pereira")
    page.check("#id_pai_desconhecido")
    page.fill("#id_cpf", {"501": "529.982.247-25", "502": "111.444.777-35"}[numero])
    page.select_option("#id_uf_nascimento", "MG")
    page.fill("#id_municipio_nascimento", "Belo Horizonte")
    page.get_by_role("button", name="Salvar").click()
    expect(page.locator("main")).to_contain_text("cadastrado.")

    page.get_by_role("link", name="Território").first.click()
    page.get_by_role("link", name="Novo imóvel").first.click()
    condicoes = page.locator("fieldset", has=page.locator("legend", has_text="Condições de moradia"))
    page.select_option("#id_tipo", "2")
    expect(condicoes).to_be_hidden()
    page.select_option("#id_tipo", "1")
    expect(condicoes).to_be_visible()
    page.check("#id_recusa")
    expect(condicoes).to_be_hidden()
    page.uncheck("#id_recusa")
    expect(condicoes).to_be_visible()
    page.select_option("#id_logradouro", label="DAS FLORES, CENTRO")
    page.fill("#id_numero", numero)
    page.fill("#id_microarea", "01")
    page.select_option("#id_localizacao", "83")
    page.select_option("#id_situacao_moradia", "75")
    page.fill("#id_comodos", "3")
    page.get_by_role("button", name="Salvar").click()
    expect(page.locator("main")).to_contain_text("cadastrado.")

    page.get_by_role("link", name="Nova família").click()
    page.fill("#id_q", nome)
    page.get_by_role("button", name="Buscar").click()
    page.get_by_label(nome.upper(), exact=False).check()
    page.select_option("#id_renda", "3")
    page.fill("#id_reside_desde", "2020-05")
    page.get_by_role("button", name="Cadastrar família").click()
    expect(page.locator("main")).to_contain_text("Família cadastrada.")
    expect(page.locator("h1")).to_contain_text(nome.upper())
    # Nothing wider than the screen: the page scrolls only vertically.
    largos = page.evaluate(
        "[...document.querySelectorAll('body *')]"
        ".filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.rolagem'))"
        ".map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"
    )
    assert largos == []
    screenshot(page, f"territorio-familia-{largura}")
