"""In Chromium against the real server: the receptionist registers a citizen, books an
appointment and marks the arrival; the doctor, in a second browser, sees the citizen
appear in the lista de atendimentos without reloading the page."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser import DEMO, login, screenshot

pytestmark = pytest.mark.browser


def escolher_lotacao(page) -> None:  # type: ignore[no-untyped-def]
    secao = page.locator("section", has=page.locator("h2", has_text="Vila Esperança"))
    secao.locator("li", has_text="UBS Centro").get_by_role("button", name="Trabalhar nesta lotação").click()
    page.wait_for_load_state()


def test_recepcao_cadastra_agenda_e_chegada_aparece_para_o_medico(pec_server, new_page):
    medico = new_page()
    login(medico, pec_server, DEMO["medico"])
    escolher_lotacao(medico)
    # The doctor opens his agenda (the demo's weekday periods) and makes today a whole day
    # of 5-minute slots instead, so today still has free ones whatever the time of the run.
    medico.goto(pec_server.url + "/agenda/")
    medico.get_by_role("link", name="Bruno Médico da Silva").first.click()
    medico.get_by_role("link", name="Horários de atendimento").click()
    medico.fill("#id_duracao_minutos", "5")
    medico.evaluate(
        'document.querySelectorAll(\'input[name$="-DELETE"]:not([name="h-0-DELETE"])\')'
        ".forEach(caixa => { caixa.checked = true; })"
    )
    medico.select_option("#id_h-0-dia_semana", str(timezone.localdate().weekday()))
    medico.fill("#id_h-0-inicio", "00:00")
    medico.fill("#id_h-0-fim", "23:59")
    medico.get_by_role("button", name="Salvar").click()
    expect(medico.locator("main")).to_contain_text("Horários da agenda salvos.")
    medico.goto(pec_server.url + "/lista/")
    medico.evaluate("window.semRecarregar = true")

    recepcao = new_page()
    login(recepcao, pec_server, DEMO["recepcao"])
    escolher_lotacao(recepcao)
    recepcao.get_by_role("link", name="Cidadãos").first.click()
    recepcao.get_by_role("link", name="Novo cadastro").click()
    recepcao.fill("#id_nome", "Raimunda Nonata da Conceição")
    recepcao.fill("#id_data_nascimento", "1957-08-31")
    recepcao.select_option("#id_sexo", "1")
    recepcao.select_option("#id_raca_cor", "2")
    recepcao.fill("#id_nome_mae", "Benedita da Conceição")
    recepcao.check("#id_pai_desconhecido")
    recepcao.select_option("#id_uf_nascimento", "MA")
    recepcao.fill("#id_municipio_nascimento", "São Luís")
    recepcao.get_by_role("button", name="Salvar").click()
    expect(recepcao.locator("main")).to_contain_text("Cidadão RAIMUNDA NONATA DA CONCEIÇÃO cadastrado.")
    screenshot(recepcao, "cidadao-cadastrado")

    recepcao.get_by_role("link", name="Agenda", exact=True).first.click()
    agenda_bruno = recepcao.locator("section", has=recepcao.locator("h2", has_text="Bruno"))
    agenda_bruno.get_by_role("link", name="Livre — agendar").first.click()
    recepcao.fill("#id_q", "raimunda conceicao")
    recepcao.get_by_role("button", name="Buscar").click()
    recepcao.get_by_role("link", name="RAIMUNDA NONATA DA CONCEIÇÃO").click()
    recepcao.get_by_role("button", name="Confirmar agendamento").click()
    expect(recepcao.locator("main")).to_contain_text("Agendado para")
    recepcao.get_by_role("button", name="Cidadão chegou: incluir na lista").click()
    expect(recepcao.locator("main")).to_contain_text("incluído(a) na lista de atendimentos")

    # The doctor's list refreshes itself (static/js/lista.js) within a few seconds.
    linha = medico.locator("#lista-linhas tr", has_text="RAIMUNDA NONATA DA CONCEIÇÃO")
    linha.wait_for(timeout=20_000)
    assert "Consulta agendada" in linha.inner_text()
    assert medico.evaluate("window.semRecarregar") is True
    screenshot(medico, "lista-atendimentos-medico")

    # The UBS week: one row per professional, today's cell counting the booking.
    recepcao.get_by_role("link", name="Agenda", exact=True).first.click()
    recepcao.get_by_role("link", name="Ver a semana").click()
    linha_bruno = recepcao.locator("table.semana tbody tr", has=recepcao.locator("th", has_text="Bruno"))
    expect(linha_bruno).to_contain_text("1 agendado")
    screenshot(recepcao, "agenda-semana-ubs")
