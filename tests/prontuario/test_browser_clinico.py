"""The clinical day in a real browser: the nurse's escuta inicial from the queue, the
doctor's SOAP atendimento (autocomplete, autosave, prescription, finalisation), the same
record at another UBS of the municipality, and a vaccination on the card."""

from __future__ import annotations

import re

import pytest

from tests.browser import DEMO, login, screenshot

pytestmark = pytest.mark.browser

MUNICIPIO = "Vila Esperança"


def escolher_lotacao(page, pec_server, ubs: str) -> None:
    page.goto(pec_server.url + "/lotacao/")
    secao = page.locator("section", has_text=MUNICIPIO)
    secao.locator("li", has_text=ubs).get_by_role("button").click()
    page.wait_for_load_state()


def ids_da_fila(pec_server) -> tuple[int, int]:
    saida = pec_server.manage(
        "shell",
        "-c",
        (
            "from pec.models import Municipio\n"
            "from pec.tenancy import tenant_context\n"
            "from prontuario.models import EntradaLista\n"
            "m = Municipio.objects.get(nome='Vila Esperança')\n"
            "with tenant_context(m.id):\n"
            "    e = EntradaLista.objects.get(cidadao__nome='MARIA APARECIDA DOS SANTOS')\n"
            "    print('IDS', e.id, e.cidadao_id)\n"
        ),
    )
    linha = next(linha for linha in saida.splitlines() if linha.startswith("IDS "))
    _, entrada, cidadao = linha.split()
    return int(entrada), int(cidadao)


def test_escuta_atendimento_folha_de_rosto_e_vacina(pec_server, new_page):
    entrada, cidadao = ids_da_fila(pec_server)

    enfermeira = new_page()
    login(enfermeira, pec_server, DEMO["enfermeiro"])
    escolher_lotacao(enfermeira, pec_server, "UBS Centro")
    enfermeira.goto(f"{pec_server.url}/prontuario/lista/{entrada}/escuta/")
    enfermeira.fill("#id_motivo_ciap", "A03")
    enfermeira.fill("#id_m-pressao_sistolica", "130")
    enfermeira.fill("#id_m-pressao_diastolica", "85")
    enfermeira.fill("#id_m-temperatura", "38.4")
    enfermeira.fill("#id_m-peso", "68")
    enfermeira.fill("#id_m-altura", "162")
    enfermeira.select_option("#id_classificacao_risco", "2")
    enfermeira.check("input[name=desfecho][value=atendimento]")
    enfermeira.get_by_role("button", name="Finalizar escuta inicial").click()
    enfermeira.wait_for_load_state()
    assert "Escuta inicial de MARIA APARECIDA DOS SANTOS finalizada." in enfermeira.content()
    medicoes = enfermeira.locator("section[aria-labelledby=t-medicoes]").inner_text()
    assert "PA 130/85 mmHg" in medicoes and "IMC 25,91" in medicoes, medicoes

    medico = new_page()
    login(medico, pec_server, DEMO["medico"])
    escolher_lotacao(medico, pec_server, "UBS Centro")
    medico.goto(f"{pec_server.url}/prontuario/cidadaos/{cidadao}/")
    medico.get_by_role("button", name="Atender").click()
    medico.wait_for_url(re.compile(r"/prontuario/atendimentos/\d+/$"))
    medico.fill("#id_subjetivo", "Febre e dor de garganta há 2 dias.")
    # Autocomplete: typing words fills the datalist from the terminology endpoint.
    medico.locator("#id_problemas-0-ciap").press_sequentially("febre", delay=30)
    medico.wait_for_selector("datalist option[value='A03 - Febre']", state="attached")
    medico.fill("#id_problemas-0-ciap", "A03 - Febre")
    medico.fill("#id_problemas-0-cid10", "J02.9")
    medico.select_option("#id_problemas-0-situacao", "0")
    medico.fill("#id_prescricoes-0-medicamento", "BR0268315")
    medico.fill("#id_prescricoes-0-dose", "1 comprimido")
    medico.select_option("#id_prescricoes-0-via", "0")
    medico.fill("#id_prescricoes-0-posologia", "de 12 em 12 horas")
    medico.fill("#id_prescricoes-0-duracao_dias", "7")
    medico.check("input[name=condutas][value='9']")
    medico.locator("#id_orientacoes").click()  # leaving a field autosaves the draft
    medico.wait_for_selector("#rascunho-estado:has-text('Rascunho salvo às')")
    medico.get_by_role("button", name="Finalizar atendimento").click()
    medico.wait_for_url(re.compile(rf"/prontuario/cidadaos/{cidadao}/$"))
    assert "Atendimento finalizado." in medico.content(), medico.locator("main").inner_text()[:2000]

    # Another UBS of the same municipality sees the same record, with where it came from.
    escolher_lotacao(medico, pec_server, "UBS Jardim das Flores")
    medico.goto(f"{pec_server.url}/prontuario/cidadaos/{cidadao}/")
    folha = medico.content()
    assert "UBS Jardim das Flores" in medico.locator(".usuario").inner_text()
    linha = medico.locator("#t-atendimentos + table tbody tr").first.inner_text()
    assert "UBS Centro" in linha and "Bruno Médico da Silva" in linha and "A03" in linha and "J029" in linha
    assert "Abacavir 300 mg" in folha and "Ativo" in folha
    screenshot(medico, "folha_de_rosto_outra_ubs")

    enfermeira.goto(f"{pec_server.url}/prontuario/cidadaos/{cidadao}/vacinacao/")
    enfermeira.select_option("#id_imunobiologico", "115")
    enfermeira.select_option("#id_estrategia", "2")
    enfermeira.select_option("#id_dose", "9")
    enfermeira.fill("#id_lote", "NIR2026A")
    enfermeira.select_option("#id_fabricante", "149")
    enfermeira.select_option("#id_via", "10890")
    enfermeira.select_option("#id_local_aplicacao", "3")
    enfermeira.select_option("#id_condicao_maternal", "1")
    enfermeira.fill("#id_cid10_motivo_indicacao", "P073")  # Especial: the indication is required
    enfermeira.get_by_role("button", name="Registrar dose").click()
    enfermeira.wait_for_load_state()
    assert "Dose registrada." in enfermeira.content(), enfermeira.locator("main").inner_text()[:1500]
    cartao = enfermeira.locator("#t-vacinas + table").inner_text()
    assert "NIR2026A" in cartao and "Registrada no PEC" in cartao and "Nirsevimabe" in cartao
