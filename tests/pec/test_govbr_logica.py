"""gov.br login logic without a browser: levels, nonce, ID token verification against a
JWKS served on localhost, the authorization request, who may enter, and the lotação
choice of a gov.br session."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from allauth.socialaccount.internal import statekit
from allauth.socialaccount.models import SocialAccount, SocialLogin
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from django.test import RequestFactory

from pec.cripto import decifrar
from pec.identity.govbr.acesso import SESSION_GOVBR, Recusa, govbr_autorizar
from pec.identity.govbr.config import govbr_app, govbr_configuracao, govbr_configurar, govbr_contexto_segredo
from pec.identity.govbr.niveis import link_elevar_nivel, nivel_atende, nivel_de_claims
from pec.identity.govbr.oidc import GovBrProvider, id_token_verificar, nonce_confere
from pec.models import ConfiguracaoGovBr, Municipio, Usuario
from pec.tenancy import tenant_context
from tests import mundo as fabricas

CLIENT_ID = "pec-unidade"


# --- Levels ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claims", "nivel"),
    [
        ({"reliability_info": {"level": "gold"}}, "ouro"),
        ({"reliability_info": {"level": "silver", "reliabilities": []}}, "prata"),
        ({"reliability_info": {"level": "bronze"}}, "bronze"),
        ({"reliability_info": {"level": "platinum"}}, None),
        ({"reliability_info": "gold"}, None),
        ({}, None),
    ],
)
def test_level_comes_from_reliability_info(claims, nivel):
    assert nivel_de_claims(claims) == nivel


@pytest.mark.parametrize(
    ("nivel", "exigido", "atende"),
    [
        (None, "", True),
        ("bronze", "", True),
        (None, "bronze", False),
        ("bronze", "bronze", True),
        ("bronze", "prata", False),
        ("prata", "prata", True),
        ("ouro", "prata", True),
        ("prata", "ouro", False),
        ("ouro", "ouro", True),
    ],
)
def test_level_meets_minimum(nivel, exigido, atende):
    assert nivel_atende(nivel=nivel, exigido=exigido) is atende


def test_link_to_raise_level_asks_for_any_sufficient_level():
    prata = urlsplit(link_elevar_nivel(exigido="prata", client_id="c", redirect_uri="https://pec/x", homologacao=False))
    assert prata.netloc == "confiabilidades.acesso.gov.br"
    assert parse_qs(prata.query) == {"client_id": ["c"], "niveis": ["(2/3)"], "redirect_uri": ["https://pec/x"]}
    ouro = urlsplit(link_elevar_nivel(exigido="ouro", client_id="c", redirect_uri="https://pec/x", homologacao=True))
    assert ouro.netloc == "confiabilidades.staging.acesso.gov.br"
    assert parse_qs(ouro.query)["niveis"] == ["3"]


# --- Nonce ----------------------------------------------------------------------------------


def test_nonce_must_be_the_one_sent():
    assert nonce_confere(esperado="abc", claims={"nonce": "abc"})
    assert not nonce_confere(esperado="abc", claims={"nonce": "abd"})
    assert not nonce_confere(esperado="abc", claims={})
    assert not nonce_confere(esperado=None, claims={"nonce": "abc"})
    assert not nonce_confere(esperado="", claims={"nonce": ""})


# --- ID token against a JWKS on localhost ------------------------------------------------------


class _Peer:
    """Discovery and JWKS of a fake issuer, served for real over HTTP."""

    def __init__(self) -> None:
        self.chave = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.chave.public_key()))
        self.jwks = {"keys": [{**jwk, "kid": "k1", "alg": "RS256", "use": "sig"}]}
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                corpo = peer.jwks if self.path == "/jwks" else peer.discovery
                dados = json.dumps(corpo).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(dados)))
                self.end_headers()
                self.wfile.write(dados)

            def log_message(self, *args: object) -> None:
                pass

        self.servidor = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.servidor.server_port}/"
        base = self.issuer.rstrip("/")
        self.discovery = {
            "issuer": self.issuer,
            "authorization_endpoint": base + "/authorize",
            "token_endpoint": base + "/token",
            "userinfo_endpoint": base + "/userinfo",
            "jwks_uri": base + "/jwks",
            "end_session_endpoint": base + "/logout",
        }
        threading.Thread(target=self.servidor.serve_forever, daemon=True).start()

    def token(self, chave: rsa.RSAPrivateKey | None = None, alg: str = "RS256", **claims: object) -> str:
        agora = int(time.time())
        dados = {
            "iss": self.issuer,
            "sub": "12345678909",
            "aud": CLIENT_ID,
            "iat": agora,
            "exp": agora + 60,
            "nonce": "n1",
            **claims,
        }
        if alg == "HS256":
            return jwt.encode(dados, "segredo-qualquer-de-32-bytes-ou-mais!", algorithm=alg, headers={"kid": "k1"})
        return jwt.encode(dados, chave or self.chave, algorithm=alg, headers={"kid": "k1"})


@pytest.fixture(scope="module")
def peer() -> Iterator[_Peer]:
    servidor = _Peer()
    yield servidor
    servidor.servidor.shutdown()


def _verificar(peer: _Peer, token: str) -> dict:
    return id_token_verificar(
        id_token=token, jwks_uri=peer.discovery["jwks_uri"], issuer=peer.issuer, client_id=CLIENT_ID
    )


def test_id_token_signed_by_the_issuer_is_accepted(peer):
    claims = _verificar(peer, peer.token(reliability_info={"level": "gold"}))
    assert claims["sub"] == "12345678909" and claims["nonce"] == "n1"


@pytest.mark.parametrize(
    "estragar",
    [
        pytest.param(
            lambda p: p.token(chave=rsa.generate_private_key(public_exponent=65537, key_size=2048)), id="other-key"
        ),
        pytest.param(lambda p: p.token(alg="HS256"), id="hs256"),
        pytest.param(lambda p: p.token(aud="outro-cliente"), id="audience"),
        pytest.param(lambda p: p.token(iss="https://impostor.example/"), id="issuer"),
        pytest.param(lambda p: p.token(exp=int(time.time()) - 120), id="expired"),
        pytest.param(lambda p: p.token(aud=[CLIENT_ID, "outro"]), id="several-audiences-without-azp"),
        pytest.param(lambda p: p.token()[:-4] + "AAAA", id="tampered-signature"),
    ],
)
def test_id_token_is_refused(peer, estragar):
    with pytest.raises(OAuth2Error):
        _verificar(peer, estragar(peer))


# --- Authorization request and who may enter ---------------------------------------------------


def _request(path: str = "/conta/oidc/govbr/login/"):
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get(path)
    request.session = SessionStore()
    request.user = AnonymousUser()
    return request


@pytest.fixture
def configurado(peer, db) -> ConfiguracaoGovBr:
    return govbr_configurar(
        ativo=True,
        ambiente=ConfiguracaoGovBr.Ambiente.OUTRO,
        issuer_outro=peer.issuer,
        client_id=CLIENT_ID,
        novo_segredo="segredo-do-cliente",
    )


def test_secret_is_encrypted_and_bound_to_its_row(configurado):
    assert "segredo-do-cliente" not in configurado.segredo_cifrado
    assert decifrar(configurado.segredo_cifrado, contexto=govbr_contexto_segredo(configurado)) == "segredo-do-cliente"
    app = govbr_app()
    assert app is not None and app.secret == "segredo-do-cliente" and app.settings["oauth_pkce_enabled"] is True
    assert app.settings["token_auth_method"] == "client_secret_basic"


def test_disabled_means_no_app(configurado):
    configurado.ativo = False
    configurado.save()
    assert govbr_app() is None


def test_authorization_request_carries_a_fresh_nonce_bound_to_its_state(configurado):
    # Parameters from the query string are ignored: no nonce or scope chosen by a link.
    request = _request("/conta/oidc/govbr/login/?auth_params=nonce%3Datacante&scope=govbr_empresa")
    provider = GovBrProvider(request, app=govbr_app())
    local = urlsplit(provider.redirect_from_request(request)["Location"])
    params = {k: v[0] for k, v in parse_qs(local.query).items()}
    assert local.path == "/authorize"
    assert params["code_challenge_method"] == "S256" and params["response_type"] == "code"
    assert set(params["scope"].split()) == {
        "openid",
        "email",
        "profile",
        "govbr_confiabilidades",
        "govbr_confiabilidades_idtoken",
    }
    assert params["nonce"] != "atacante" and len(params["nonce"]) >= 43
    estado = statekit.unstash_state(request, state_id=params["state"], provider_id="govbr")
    assert estado["nonce"] == params["nonce"] and estado["process"] == "login"
    # A second login gets another nonce.
    outra = parse_qs(urlsplit(provider.redirect_from_request(request)["Location"]).query)
    assert outra["nonce"][0] != params["nonce"]


def _sociallogin(
    request,
    *,
    cpf: str,
    nonce_enviado: str = "n1",
    nonce_recebido: str = "n1",
    nivel: str | None = "gold",
    processo: str = "login",
) -> SocialLogin:
    claims: dict = {"sub": cpf, "nonce": nonce_recebido}
    if nivel:
        claims["reliability_info"] = {"level": nivel}
    login = SocialLogin(
        account=SocialAccount(extra_data={"id_token": claims, "userinfo": {"sub": cpf}}, uid=cpf, provider="govbr"),
        provider=GovBrProvider(request, app=govbr_app()),
    )
    login.state = {"process": processo, "nonce": nonce_enviado}
    return login


def test_registered_cpf_with_active_lotacao_enters_its_existing_account(configurado):
    municipio = fabricas.municipio_com_perfis()
    alice = fabricas.usuario("Alice")
    fabricas.lotacao_com_perfis(municipio, alice)
    request = _request()
    assert govbr_autorizar(request=request, sociallogin=_sociallogin(request, cpf=alice.cpf)) == alice


@pytest.mark.parametrize(
    ("ajuste", "motivo"),
    [
        ({"nonce_recebido": "outro"}, "nonce_invalido"),
        ({"nonce_enviado": ""}, "nonce_invalido"),
        ({"processo": "connect"}, "processo_invalido"),
    ],
)
def test_wrong_nonce_or_process_is_refused(configurado, ajuste, motivo):
    municipio = fabricas.municipio_com_perfis()
    alice = fabricas.usuario("Alice")
    fabricas.lotacao_com_perfis(municipio, alice)
    request = _request()
    with pytest.raises(Recusa) as recusa:
        govbr_autorizar(request=request, sociallogin=_sociallogin(request, cpf=alice.cpf, **ajuste))
    assert recusa.value.motivo == motivo


def test_unknown_cpf_or_no_active_lotacao_never_gets_an_account(configurado):
    request = _request()
    desconhecido = fabricas.novo_cpf()
    with pytest.raises(Recusa) as recusa:
        govbr_autorizar(request=request, sociallogin=_sociallogin(request, cpf=desconhecido))
    assert recusa.value.motivo == "cpf_desconhecido"
    assert "não está cadastrado" in recusa.value.mensagem() and desconhecido[:3] + ".***" in recusa.value.mensagem()
    bob = fabricas.usuario("Bob")  # an account, but no lotação
    with pytest.raises(Recusa):
        govbr_autorizar(request=request, sociallogin=_sociallogin(request, cpf=bob.cpf))
    charlie = fabricas.usuario("Charlie")
    lot = fabricas.lotacao_com_perfis(fabricas.municipio_com_perfis("Município C"), charlie)
    lot.ativo = False
    with tenant_context(lot.municipio_id):
        lot.save(update_fields=["ativo"])
    with pytest.raises(Recusa):
        govbr_autorizar(request=request, sociallogin=_sociallogin(request, cpf=charlie.cpf))
    assert not Usuario.objects.filter(cpf=desconhecido).exists()


def test_level_below_every_municipality_is_refused_with_the_lowest_sufficient_level(configurado):
    ouro = fabricas.municipio_com_perfis("Ouro", govbr_nivel_minimo="ouro")
    prata = fabricas.municipio_com_perfis("Prata", govbr_nivel_minimo="prata")
    alice = fabricas.usuario("Alice")
    fabricas.lotacao_com_perfis(ouro, alice)
    fabricas.lotacao_com_perfis(prata, alice)
    request = _request()
    assert govbr_autorizar(request=request, sociallogin=_sociallogin(request, cpf=alice.cpf, nivel="silver")) == alice
    for nivel in ("bronze", None):
        with pytest.raises(Recusa) as recusa:
            govbr_autorizar(request=request, sociallogin=_sociallogin(request, cpf=alice.cpf, nivel=nivel))
        assert recusa.value.motivo == "nivel_insuficiente"
        assert parse_qs(urlsplit(recusa.value.link).query)["niveis"] == ["(2/3)"]
        assert "nível prata ou superior" in recusa.value.mensagem()


def test_govbr_session_chooses_only_lotacoes_its_level_allows(configurado):
    ouro = fabricas.municipio_com_perfis("Ouro", govbr_nivel_minimo="ouro")
    livre = fabricas.municipio_com_perfis("Livre")
    alice = fabricas.usuario("Alice")
    lot_ouro = fabricas.lotacao_com_perfis(ouro, alice)
    lot_livre = fabricas.lotacao_com_perfis(livre, alice)
    client = fabricas.entrar(alice)
    sessao = client.session
    sessao[SESSION_GOVBR] = {"nivel": "prata", "access_token": "t"}
    sessao.save()
    pagina = client.get("/lotacao/")
    # One allowed lotação: chosen at once.
    assert pagina.status_code == 302 and client.session["lotacao_id"] == lot_livre.id
    assert client.post("/lotacao/", {"lotacao": lot_ouro.id}).status_code == 404
    # A password session is not limited by the gov.br minimum.
    senha = fabricas.entrar(alice)
    assert senha.post("/lotacao/", {"lotacao": lot_ouro.id}).status_code == 302


def test_govbr_config_command_stores_the_secret_encrypted(db, monkeypatch, capsys):
    monkeypatch.setenv("GOVBR_CLIENT_SECRET", "do-ambiente")
    call_command("govbr_config", "--environment", "staging", "--client-id", "abc", "--enable")
    saida = capsys.readouterr().out
    assert "enabled:       yes" in saida and "https://sso.staging.acesso.gov.br/" in saida
    assert "/conta/oidc/govbr/login/callback/" in saida and "do-ambiente" not in saida
    config = govbr_configuracao()
    assert config is not None and "do-ambiente" not in config.segredo_cifrado
    assert govbr_app().secret == "do-ambiente"  # type: ignore[union-attr]
    assert Municipio.objects.count() == 0


def test_refusal_is_audited_with_its_reason_and_shown_in_portuguese(configurado):
    from allauth.core.exceptions import ImmediateHttpResponse

    from pec.identity.govbr.acesso import SocialAccountAdapter
    from pec.models import EventoAuditoria

    municipio = fabricas.municipio_com_perfis()
    alice = fabricas.usuario("Alice")
    fabricas.lotacao_com_perfis(municipio, alice)
    request = _request()
    with pytest.raises(ImmediateHttpResponse) as resposta:
        SocialAccountAdapter(request).pre_social_login(
            request, _sociallogin(request, cpf=alice.cpf, nonce_recebido="x")
        )
    assert resposta.value.response.status_code == 403
    assert "nonce inválido" in resposta.value.response.content.decode()
    evento = EventoAuditoria.objects.filter(evento="login_falha").latest("id")
    assert evento.detalhes == {"metodo": "govbr", "motivo": "nonce_invalido"} and evento.cpf_informado == alice.cpf
