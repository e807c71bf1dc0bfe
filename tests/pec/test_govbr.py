"""Login gov.br end to end: Chromium, the real installation (gunicorn + PostgreSQL), and a
real OpenID Connect provider shaped like gov.br (tests/oidc_provider, Node's
oidc-provider) on localhost. Configured through the installation's own page and command.
"""

from __future__ import annotations

import os
import secrets
import select
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings

from pec.documentos import cpf_com_digitos
from pec.embedded import free_port
from tests.browser import DEMO, login, screenshot

pytestmark = pytest.mark.browser

PROVEDOR_DIR = Path(settings.BASE_DIR) / "tests" / "oidc_provider"
CLIENT_ID = "pec-teste"
CPF_DESCONHECIDO = cpf_com_digitos("300000009")


@dataclass
class Provedor:
    issuer: str
    segredo: str


def _instalar_provedor() -> None:
    if not (PROVEDOR_DIR / "node_modules" / "oidc-provider").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=PROVEDOR_DIR, check=True)


def _esperar_pronto(processo: subprocess.Popen[str], timeout: float = 30) -> str:
    assert processo.stdout is not None
    limite = time.monotonic() + timeout
    while time.monotonic() < limite:
        if processo.poll() is not None:
            raise RuntimeError(f"OpenID Connect provider exited with {processo.returncode}")
        prontos, _, _ = select.select([processo.stdout], [], [], 0.5)
        if prontos:
            linha = processo.stdout.readline()
            if linha.startswith("ready "):
                return linha.split()[1]
    raise RuntimeError("OpenID Connect provider did not start")


@pytest.fixture(scope="module")
def provedor(pec_server, tmp_path_factory) -> Iterator[Provedor]:
    assert shutil.which("node"), "Node.js is needed for the gov.br tests (make test installs the rest)"
    _instalar_provedor()
    segredo = secrets.token_urlsafe(24)
    env = {
        **os.environ,
        "PORT": str(free_port()),
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": segredo,
        "REDIRECT_URI": pec_server.url + "/conta/oidc/govbr/login/callback/",
        "POST_LOGOUT_REDIRECT_URI": pec_server.url + "/conta/login/",
    }
    log = open(Path(settings.BASE_DIR) / "var" / "oidc-provider.log", "w")
    processo = subprocess.Popen(
        ["node", "index.mjs"], cwd=PROVEDOR_DIR, env=env, stdout=subprocess.PIPE, stderr=log, text=True
    )
    try:
        issuer = _esperar_pronto(processo)
        arquivo = tmp_path_factory.mktemp("govbr") / "segredo"
        arquivo.write_text(segredo)
        saida = pec_server.manage(
            "govbr_config",
            "--issuer",
            issuer,
            "--client-id",
            CLIENT_ID,
            "--client-secret-file",
            str(arquivo),
            "--enable",
        )
        assert "enabled:       yes" in saida
        yield Provedor(issuer=issuer, segredo=segredo)
    finally:
        pec_server.manage("govbr_config", "--disable")
        processo.terminate()
        processo.wait(timeout=10)
        log.close()


def entrar_govbr(page, pec_server, *, cpf: str, nivel: str = "ouro", nonce_adulterado: bool = False) -> None:
    """From our login page, through the provider's login, back to our callback."""
    page.goto(pec_server.url + "/conta/login/")
    page.click("text=Entrar com gov.br")
    page.wait_for_selector("#cpf")
    page.fill("#cpf", cpf)
    page.select_option("#nivel", nivel)
    if nonce_adulterado:
        page.check("#nonce_adulterado")
    page.click("#entrar")
    page.wait_for_load_state()


def definir_nivel_minimo(page, pec_server, niveis: dict[str, str]) -> None:
    """On the municipality page, as the installation administrator logged in on `page`."""
    for nome, nivel in niveis.items():
        page.goto(pec_server.url + "/instalacao/municipios/")
        page.click(f"a:has-text('{nome}')")
        page.select_option("#id_govbr_nivel_minimo", nivel)
        page.click("button.primario")
        assert "atualizado" in page.inner_text("main")


def test_login_with_registered_cpf_lands_on_the_app_and_logout_ends_govbr(pec_server, provedor, new_page):
    page = new_page()
    page.goto(pec_server.url + "/conta/login/")
    autorizacao = []
    page.on("request", lambda r: autorizacao.append(r.url) if r.url.startswith(provedor.issuer + "/auth") else None)
    entrar_govbr(page, pec_server, cpf=DEMO["medico"])
    # The authorization request carried what gov.br requires.
    params = parse_qs(urlsplit(autorizacao[0]).query)
    assert params["code_challenge_method"] == ["S256"] and len(params["code_challenge"][0]) == 43
    assert len(params["nonce"][0]) >= 32 and len(params["state"][0]) >= 16
    assert params["scope"][0].split() and set(params["scope"][0].split()) == {
        "openid",
        "email",
        "profile",
        "govbr_confiabilidades",
        "govbr_confiabilidades_idtoken",
    }
    # Bruno has lotações in two municipalities: he lands on the choice, then in the app.
    assert page.url == pec_server.url + "/lotacao/"
    assert "Bruno" in page.inner_text("header")
    page.click("li:has-text('UBS Centro') button >> nth=0")
    page.wait_for_load_state()
    assert page.url == pec_server.url + "/"
    assert "UBS Centro" in page.inner_text("header")
    screenshot(page, "govbr-entrou")
    # Logout leaves our app and gov.br: the provider's session ends and it sends us back.
    fim_sessao = []
    page.on("request", lambda r: fim_sessao.append(r.url) if "/session/end" in r.url else None)
    page.click("header button:has-text('Sair')")
    page.wait_for_url(pec_server.url + "/conta/login/", timeout=15_000)
    fim = parse_qs(urlsplit(fim_sessao[0]).query)
    assert fim["post_logout_redirect_uri"] == [pec_server.url + "/conta/login/"]
    assert fim["id_token_hint"][0].count(".") == 2
    # The provider forgot the person: entering again asks for the CPF.
    page.click("text=Entrar com gov.br")
    page.wait_for_selector("#cpf")


def test_unknown_cpf_is_refused_with_a_clear_message(pec_server, provedor, new_page):
    page = new_page()
    entrar_govbr(page, pec_server, cpf=CPF_DESCONHECIDO)
    alerta = page.inner_text("[role=alert]")
    assert "não está cadastrado como profissional com lotação ativa" in alerta
    assert CPF_DESCONHECIDO[:3] + ".***.***-" + CPF_DESCONHECIDO[9:] in alerta
    page.goto(pec_server.url + "/")
    assert "/conta/login/" in page.url  # not logged in


def test_installation_admin_without_lotacao_is_refused(pec_server, provedor, new_page):
    page = new_page()
    entrar_govbr(page, pec_server, cpf=DEMO["admin_instalacao"])
    assert "não está cadastrado como profissional com lotação ativa" in page.inner_text("[role=alert]")


def test_wrong_nonce_is_refused(pec_server, provedor, new_page):
    page = new_page()
    entrar_govbr(page, pec_server, cpf=DEMO["enfermeiro"], nonce_adulterado=True)
    assert "nonce inválido" in page.inner_text("[role=alert]")
    page.goto(pec_server.url + "/")
    assert "/conta/login/" in page.url


def test_replayed_state_is_refused(pec_server, provedor, new_page):
    page = new_page()
    retornos = []
    page.on("request", lambda r: retornos.append(r.url) if "/login/callback/" in r.url else None)
    entrar_govbr(page, pec_server, cpf=DEMO["tecnico"])
    assert page.url == pec_server.url + "/lotacao/"
    # The same callback again (state and code), in the same browser.
    page.goto(retornos[0])
    assert "state inválido" in page.inner_text("[role=alert]")
    # And in a browser that never started a login (a stolen callback URL).
    outra = new_page()
    outra.goto(retornos[0])
    assert "state inválido" in outra.inner_text("[role=alert]")
    outra.goto(pec_server.url + "/")
    assert "/conta/login/" in outra.url


def test_level_below_the_municipality_minimum_is_refused_with_the_link_to_raise_it(pec_server, provedor, new_page):
    admin = new_page()
    login(admin, pec_server, DEMO["admin_instalacao"])
    definir_nivel_minimo(admin, pec_server, {"Vila Esperança": "ouro", "Serra Azul": "prata"})
    try:
        page = new_page()
        entrar_govbr(page, pec_server, cpf=DEMO["recepcao"], nivel="bronze")
        alerta = page.inner_text("[role=alert]")
        assert "Sua conta gov.br é nível bronze" in alerta and "nível prata ou superior" in alerta
        link = page.get_attribute("a:has-text('Aumentar o nível da conta gov.br')", "href")
        partes = urlsplit(link)
        assert f"{partes.scheme}://{partes.netloc}/" == "https://confiabilidades.acesso.gov.br/"
        assert parse_qs(partes.query) == {
            "client_id": [CLIENT_ID],
            "niveis": ["(2/3)"],
            "redirect_uri": [pec_server.url + "/conta/login/"],
        }
        screenshot(page, "govbr-nivel-insuficiente")
        # Prata enters, but only where prata is enough: Serra Azul's lotações, not Vila Esperança's.
        prata = new_page()
        entrar_govbr(prata, pec_server, cpf=DEMO["recepcao"], nivel="prata")
        assert prata.url == pec_server.url + "/lotacao/"
        texto = prata.inner_text("main")
        assert "Serra Azul" in texto and "Vila Esperança" not in texto
    finally:
        definir_nivel_minimo(admin, pec_server, {"Vila Esperança": "", "Serra Azul": ""})


def test_installation_page_shows_redirect_uri_and_keeps_the_secret_encrypted(pec_server, provedor, new_page):
    page = new_page()
    login(page, pec_server, DEMO["admin_instalacao"])
    page.goto(pec_server.url + "/instalacao/govbr/")
    assert page.inner_text("#redirect-uri") == pec_server.url + "/conta/oidc/govbr/login/callback/"
    assert page.get_attribute("#id_segredo", "value") in (None, "")
    assert "Há um client secret guardado (cifrado)" in page.inner_text("main")
    # Saved again through the page with the secret typed in: login still works.
    page.select_option("#id_ambiente", "outro")
    page.fill("#id_issuer_outro", provedor.issuer)
    page.fill("#id_client_id", CLIENT_ID)
    page.fill("#id_segredo", provedor.segredo)
    page.check("#id_ativo")
    page.click("button.primario")
    assert "Configuração do gov.br salva" in page.inner_text("main")
    gravado = pec_server.manage(
        "shell",
        "-c",
        "from pec.models import ConfiguracaoGovBr as C; c = C.objects.get(); print(c.segredo_cifrado)",
    )
    gravado = gravado.strip().splitlines()[-1]
    assert gravado.startswith("g1.") and provedor.segredo not in gravado
    outra = new_page()
    entrar_govbr(outra, pec_server, cpf=DEMO["dentista"])
    assert outra.url == pec_server.url + "/lotacao/"


def test_login_page_hides_govbr_when_disabled(pec_server, provedor, new_page):
    page = new_page()
    pec_server.manage("govbr_config", "--disable")
    try:
        page.goto(pec_server.url + "/conta/login/")
        assert page.locator("text=Entrar com gov.br").count() == 0
        assert page.goto(pec_server.url + "/conta/oidc/govbr/login/").status == 404
    finally:
        pec_server.manage("govbr_config", "--enable")
    page.goto(pec_server.url + "/conta/login/")
    assert page.locator("text=Entrar com gov.br").count() == 1
