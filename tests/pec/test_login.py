"""Login by CPF, lockout and unlock, session timeouts, password reset through a real SMTP
server, and TOTP two-step verification."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import re
import struct
import time
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from axes.models import AccessAttempt
from django.core.cache import cache
from django.core.management import call_command
from django.db.models import F
from django.test import Client, override_settings
from django.urls import reverse

from pec.documentos import formatar_cpf
from pec.email import smtp_salvar
from pec.identity.login import SESSION_ATIVIDADE, SESSION_INICIO
from pec.models import ConfiguracaoSMTP, EmailSaida, EventoAuditoria
from tests import mundo as fabricas
from tests.mundo import SENHA
from tests.pec.identidade import email_confirmado, limpar_limites_allauth, servidor_smtp

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sem_bloqueios_anteriores():
    AccessAttempt.objects.all().delete()
    limpar_limites_allauth()


def entrar(client: Client, cpf: str, senha: str = SENHA, **extra: Any):  # type: ignore[no-untyped-def]
    return client.post("/conta/login/", {"login": cpf, "password": senha}, **extra)


def eventos_da_instalacao(evento: str) -> list[EventoAuditoria]:
    """The installation chain's events (a request may have left its tenant set in the test's transaction)."""
    from pec.audit.chain import chain_scope

    with chain_scope(None):
        return list(EventoAuditoria.objects.filter(municipio_id__isnull=True, evento=evento))


def logado(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize(
    "forma", [lambda c: c, formatar_cpf, lambda c: f" {formatar_cpf(c)} ", lambda c: f"{c[:3]} {c[3:]}"]
)
def test_login_by_cpf_with_or_without_punctuation(forma):
    usuario = fabricas.usuario()
    client = Client()
    resposta = entrar(client, forma(usuario.cpf))
    assert resposta.status_code == 302 and resposta["Location"] == "/lotacao/"
    assert logado(client)


def test_wrong_password_and_malformed_cpf_give_portuguese_messages():
    usuario = fabricas.usuario()
    client = Client()
    pagina = entrar(client, usuario.cpf, "senha-errada-99").content.decode()
    assert "CPF ou senha incorretos" in pagina
    pagina = entrar(client, "123", SENHA).content.decode()
    assert "Informe o CPF com 11 dígitos" in pagina
    assert not logado(client)


def test_password_is_stored_with_argon2():
    assert fabricas.usuario().password.startswith("argon2")


# --- Lockout -------------------------------------------------------------------------------


def test_lockout_after_repeated_failures_counts_every_spelling_of_the_cpf(settings):
    usuario = fabricas.usuario()
    client = Client()
    formas = [usuario.cpf, formatar_cpf(usuario.cpf), f" {usuario.cpf} "]
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        resposta = entrar(client, formas[n % len(formas)], "senha-errada-99")
        assert resposta.status_code == 200
    resposta = entrar(client, formatar_cpf(usuario.cpf), "senha-errada-99")
    assert resposta.status_code == 429
    pagina = resposta.content.decode()
    assert "Acesso bloqueado temporariamente" in pagina and "30 minutos" in pagina
    assert '<html lang="pt-BR">' in pagina
    # Locked: even the right password is refused.
    assert entrar(client, usuario.cpf).status_code == 429
    assert not logado(client)
    assert AccessAttempt.objects.get().username == usuario.cpf


def test_lockout_is_per_client_address_behind_nginx(settings):
    """With PROXY_COUNT=1 the address nginx appended counts; a forged leftmost
    X-Forwarded-For entry cannot dodge the lockout, and another client is not locked."""
    usuario = fabricas.usuario()
    client = Client()
    with override_settings(AXES_IPWARE_PROXY_COUNT=1):
        for n in range(settings.AXES_FAILURE_LIMIT):
            entrar(client, usuario.cpf, "senha-errada-99", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}, 198.51.100.7")
        assert entrar(client, usuario.cpf, HTTP_X_FORWARDED_FOR="10.9.9.9, 198.51.100.7").status_code == 429
        outro = Client()
        assert entrar(outro, usuario.cpf, HTTP_X_FORWARDED_FOR="198.51.100.8").status_code == 302
    assert AccessAttempt.objects.get().ip_address == "198.51.100.7"


def test_municipal_admin_unlocks_a_professional_from_their_page(settings):
    a = fabricas.municipio_com_perfis()
    iris = fabricas.usuario("Íris")
    admin = fabricas.entrar(iris, fabricas.lotacao_com_perfis(a, iris, cbo="131205"), pela_escolha=True)
    bruno = fabricas.usuario("Bruno")
    lot_bruno = fabricas.lotacao_com_perfis(a, bruno)
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        entrar(client, bruno.cpf, "senha-errada-99")
    assert entrar(client, bruno.cpf).status_code == 429

    pagina = admin.get(reverse("admin_profissional", args=[lot_bruno.profissional_id])).content.decode()
    assert "bloqueado" in pagina
    resposta = admin.post(reverse("admin_profissional_desbloquear", args=[lot_bruno.profissional_id]))
    assert resposta.status_code == 302
    assert "Sem bloqueio" in admin.get(resposta["Location"]).content.decode()
    assert entrar(client, bruno.cpf).status_code == 302 and logado(client)
    from pec.tenancy import tenant_context

    with tenant_context(a.id):
        evento = EventoAuditoria.objects.get(evento="desbloqueio")
    assert evento.usuario_id == iris.id and evento.detalhes["usuario_desbloqueado_id"] == bruno.id
    (na_instalacao,) = eventos_da_instalacao("desbloqueio")
    assert (na_instalacao.usuario_id, na_instalacao.detalhes["municipio_id"]) == (iris.id, a.id)


def test_municipal_admin_cannot_unlock_an_account_that_also_works_elsewhere(settings):
    a, b = fabricas.municipio_com_perfis(), fabricas.municipio_com_perfis("Município B")
    iris = fabricas.usuario("Íris")
    admin = fabricas.entrar(iris, fabricas.lotacao_com_perfis(a, iris, cbo="131205"), pela_escolha=True)
    bruno = fabricas.usuario("Bruno")
    lot_bruno = fabricas.lotacao_com_perfis(a, bruno)
    fabricas.lotacao_com_perfis(b, bruno)
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        entrar(client, bruno.cpf, "senha-errada-99")
    resposta = admin.post(reverse("admin_profissional_desbloquear", args=[lot_bruno.profissional_id]), follow=True)
    assert "administrador da instalação" in resposta.content.decode()
    assert entrar(client, bruno.cpf).status_code == 429
    from pec.tenancy import tenant_context

    with tenant_context(a.id):
        assert not EventoAuditoria.objects.filter(evento="desbloqueio").exists()
    # The installation administrator can.
    ana = fabricas.entrar(fabricas.usuario("Ana", administrador_instalacao=True))
    assert "bloqueado" in ana.post(reverse("instalacao_contas"), {"cpf": bruno.cpf}).content.decode()
    ana.post(reverse("instalacao_conta_desbloquear", args=[bruno.id]))
    assert entrar(client, bruno.cpf).status_code == 302
    assert len(eventos_da_instalacao("desbloqueio")) == 1


def _falhas_de_enderecos(cpf: str, enderecos: list[str]) -> None:
    with override_settings(AXES_IPWARE_PROXY_COUNT=1):
        for endereco in enderecos:
            assert entrar(Client(), cpf, "senha-errada-99", HTTP_X_FORWARDED_FOR=endereco).status_code == 200


def test_one_cpf_guessed_from_many_addresses_waits_longer_each_time_and_the_account_is_told(
    settings, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from axes.models import AccessFailureLog

    from pec.identity.tentativas import espera_da_conta

    usuario = fabricas.usuario()
    email_confirmado(usuario, "dono@example.org")
    limite = settings.PEC_LOGIN_LIMITE_CONTA
    with django_capture_on_commit_callbacks():
        _falhas_de_enderecos(usuario.cpf, [f"203.0.113.{n}" for n in range(limite)])
    assert EmailSaida.objects.get().para == ["dono@example.org"]
    assert eventos_da_instalacao("bloqueio")[0].detalhes["motivo"] == "conta"
    with override_settings(AXES_IPWARE_PROXY_COUNT=1):
        client = Client()
        pagina = entrar(client, usuario.cpf, HTTP_X_FORWARDED_FOR="203.0.113.200").content.decode()
        assert "Muitas tentativas de entrada sem sucesso para este CPF" in pagina and not logado(client)
        # A minute later the next try goes through; one more failure doubles the wait.
        AccessFailureLog.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=1, seconds=5))
        assert entrar(client, usuario.cpf, "senha-errada-99", HTTP_X_FORWARDED_FOR="203.0.113.201").status_code == 200
        AccessFailureLog.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=1, seconds=5))
        assert "Aguarde 1 minuto" in entrar(client, usuario.cpf, HTTP_X_FORWARDED_FOR="203.0.113.202").content.decode()
        AccessFailureLog.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=1))
        assert entrar(client, usuario.cpf, HTTP_X_FORWARDED_FOR="203.0.113.203").status_code == 302 and logado(client)
    assert EmailSaida.objects.count() == 1  # told once
    assert [espera_da_conta(limite + n).total_seconds() / 60 for n in (0, 1, 2, 10)] == [1, 2, 4, 60]
    assert espera_da_conta(limite - 1).total_seconds() == 0


def test_one_address_spraying_many_cpfs_is_blocked_and_others_are_not(settings):
    alvos = [fabricas.usuario(f"Alvo {n}") for n in range(12)]
    client = Client()
    for n in range(settings.PEC_LOGIN_LIMITE_IP):
        assert entrar(client, alvos[n % len(alvos)].cpf, "senha-errada-99").status_code == 200
    certo = fabricas.usuario("Certo")
    pagina = entrar(client, certo.cpf).content.decode()
    assert "para este endereço de rede" in pagina and not logado(client)
    outro = Client()
    assert entrar(outro, certo.cpf, REMOTE_ADDR="198.51.100.50").status_code == 302 and logado(outro)


def test_manage_py_axes_reset_username_unlocks(settings):
    usuario = fabricas.usuario()
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        entrar(client, usuario.cpf, "senha-errada-99")
    assert entrar(client, usuario.cpf).status_code == 429
    call_command("axes_reset_username", usuario.cpf, stdout=io.StringIO())
    assert entrar(client, usuario.cpf).status_code == 302


# --- Session timeouts ---------------------------------------------------------------------


def _envelhecer(client: Client, *, ocioso: float = 0, desde_login: float = 0) -> None:
    sessao = client.session
    agora = time.time()
    sessao[SESSION_ATIVIDADE] = agora - ocioso
    sessao[SESSION_INICIO] = agora - desde_login
    sessao.save()


def test_idle_timeout_follows_the_municipality_of_the_active_lotacao():
    rapido = fabricas.municipio_com_perfis("Rápido", sessao_ociosa_minutos=5)
    usuario = fabricas.usuario()
    client = fabricas.entrar(usuario, fabricas.lotacao_com_perfis(rapido, usuario), pela_escolha=True)
    _envelhecer(client, ocioso=4 * 60)
    assert client.get("/").status_code == 200
    _envelhecer(client, ocioso=6 * 60)
    resposta = client.get("/", follow=True)
    assert resposta.redirect_chain[0][0].startswith("/conta/login/")
    assert "encerrada por inatividade" in resposta.content.decode()
    assert not logado(client)

    lento = fabricas.municipio_com_perfis("Lento", sessao_ociosa_minutos=30)
    outro = fabricas.usuario()
    client = fabricas.entrar(outro, fabricas.lotacao_com_perfis(lento, outro), pela_escolha=True)
    _envelhecer(client, ocioso=6 * 60)
    assert client.get("/").status_code == 200


def test_absolute_timeout_ends_even_an_active_session():
    m = fabricas.municipio_com_perfis(sessao_maxima_horas=2)
    usuario = fabricas.usuario()
    client = fabricas.entrar(usuario, fabricas.lotacao_com_perfis(m, usuario), pela_escolha=True)
    _envelhecer(client, ocioso=10, desde_login=90 * 60)
    assert client.get("/").status_code == 200
    _envelhecer(client, ocioso=10, desde_login=2 * 3600 + 60)
    resposta = client.get("/", follow=True)
    assert "duração máxima" in resposta.content.decode()
    assert not logado(client)


def test_timeout_without_lotacao_uses_installation_default(settings):
    usuario = fabricas.usuario(administrador_instalacao=True)
    client = fabricas.entrar(usuario)
    _envelhecer(client, ocioso=(settings.PEC_SESSAO_OCIOSA_MINUTOS + 1) * 60)
    assert client.get(reverse("instalacao_smtp")).status_code == 302
    assert not logado(client)


# --- Password reset through a real SMTP server ------------------------------------------------


def test_password_reset_by_email_through_real_smtp(celery_eager, django_capture_on_commit_callbacks):
    usuario = fabricas.usuario()
    email_confirmado(usuario, "bruno@ubs.example.org")
    with servidor_smtp() as smtp:
        smtp_salvar(
            config=ConfiguracaoSMTP(
                host="127.0.0.1", porta=smtp.porta, seguranca="nenhuma", remetente="pec@saude.example.org"
            ),
            nova_senha=None,
        )
        client = Client()
        pagina = client.get(reverse("account_reset_password")).content.decode()
        assert "Redefinição de senha" in pagina and '<header class="topo">' in pagina  # pt-BR, our layout
        with django_capture_on_commit_callbacks(execute=True):
            resposta = client.post(reverse("account_reset_password"), {"email": "bruno@ubs.example.org"})
        assert resposta.status_code == 302
        assert smtp.chegou.wait(10), "the reset e-mail never reached the SMTP server"
    envelope = smtp.recebidas[0]
    assert envelope.rcpt_tos == ["bruno@ubs.example.org"]
    assert envelope.mail_from == "pec@saude.example.org"
    texto = envelope.content.decode()
    assert "Subject: PEC: " in texto
    assert EmailSaida.objects.get().status == "enviado"
    link = re.search(r"http://testserver(/conta/password/reset/key/\S+/)", texto.replace("=\r\n", "")).group(1)

    resposta = client.get(link)
    assert resposta.status_code == 302  # allauth moves the key into the session
    formulario = resposta["Location"]
    nova = "outra-senha-boa-456"
    resposta = client.post(formulario, {"password1": nova, "password2": nova})
    assert resposta.status_code == 302, resposta.content.decode()[:2000]

    assert entrar(Client(), usuario.cpf, SENHA).status_code == 200
    novo = Client()
    assert entrar(novo, usuario.cpf, nova).status_code == 302 and logado(novo)


def test_reset_form_rejects_weak_password_and_keeps_the_old_one(celery_eager, django_capture_on_commit_callbacks):
    usuario = fabricas.usuario()
    email_confirmado(usuario, "carla@ubs.example.org")
    with servidor_smtp() as smtp:
        smtp_salvar(
            config=ConfiguracaoSMTP(
                host="127.0.0.1", porta=smtp.porta, seguranca="nenhuma", remetente="pec@x.example.org"
            ),
            nova_senha=None,
        )
        client = Client()
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("account_reset_password"), {"email": "carla@ubs.example.org"})
        assert smtp.chegou.wait(10)
    texto = smtp.recebidas[0].content.decode().replace("=\r\n", "")
    link = re.search(r"http://testserver(/conta/password/reset/key/\S+/)", texto).group(1)
    formulario = client.get(link)["Location"]
    pagina = client.post(formulario, {"password1": "12345678", "password2": "12345678"}).content.decode()
    assert "Esta senha é muito curta" in pagina or "muito comum" in pagina
    assert entrar(Client(), usuario.cpf, SENHA).status_code == 302


# --- TOTP -------------------------------------------------------------------------------------


def totp(secret: str, instante: float | None = None) -> str:
    """RFC 6238 (SHA-1, 6 digits, 30 s), computed here, independently of allauth."""
    contador = int((instante if instante is not None else time.time()) // 30)
    chave = base64.b32decode(secret, casefold=True)
    digest = hmac.new(chave, struct.pack(">Q", contador), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    valor = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{valor % 1_000_000:06d}"


def test_mfa_enrolment_and_login_with_totp():
    a = fabricas.municipio_com_perfis(exigir_mfa_admin=True)
    iris = fabricas.usuario("Íris")
    lot = fabricas.lotacao_com_perfis(a, iris, cbo="131205")
    client = Client()
    assert entrar(client, iris.cpf).status_code == 302
    client.post("/lotacao/", {"lotacao": lot.id})
    # The municipality requires MFA of its admins: the home page sends her to enrolment.
    resposta = client.get("/")
    assert resposta["Location"] == reverse("mfa_activate_totp")
    # allauth asks for the password again before changing MFA.
    resposta = client.get(reverse("mfa_activate_totp"))
    assert resposta["Location"].startswith(reverse("account_reauthenticate"))
    resposta = client.post(resposta["Location"], {"password": SENHA})
    assert resposta["Location"] == reverse("mfa_activate_totp")
    pagina = client.get(reverse("mfa_activate_totp"))
    assert pagina.status_code == 200
    html = pagina.content.decode()
    assert "Ativar aplicativo autenticador" in html and '<header class="topo">' in html  # pt-BR, our layout
    secret = client.session["mfa.totp.secret"]
    assert (
        client.post(
            reverse("mfa_activate_totp"), {"code": "000000" if totp(secret) != "000000" else "111111"}
        ).status_code
        == 200
    )
    assert not Authenticator.objects.filter(user=iris).exists()
    resposta = client.post(reverse("mfa_activate_totp"), {"code": totp(secret)})
    assert resposta.status_code == 302
    assert Authenticator.objects.filter(user=iris, type="totp").exists()
    assert client.get("/").status_code == 200

    client.post(reverse("account_logout"))
    novo = Client()
    resposta = entrar(novo, iris.cpf)
    assert resposta["Location"] == reverse("mfa_authenticate")
    assert not logado(novo)
    assert (
        novo.post(reverse("mfa_authenticate"), {"code": "999999" if totp(secret) != "999999" else "888888"}).status_code
        == 200
    )
    assert not logado(novo)
    codigo = totp(secret)
    cache.delete(f"allauth.mfa.totp.used?user={iris.id}&code={codigo}")  # a rerun within 30 s
    resposta = novo.post(reverse("mfa_authenticate"), {"code": codigo})
    assert resposta.status_code == 302 and logado(novo)
    novo.post("/lotacao/", {"lotacao": lot.id})
    assert novo.get(reverse("admin_profissionais")).status_code == 200


def test_welcome_message_names_the_person_not_the_cpf():
    usuario = fabricas.usuario("Bruno Médico")
    client = Client()
    resposta = client.post("/conta/login/", {"login": usuario.cpf, "password": SENHA}, follow=True)
    pagina = resposta.content.decode()
    assert "Bruno Médico" in pagina and usuario.cpf not in pagina


def test_reset_for_unknown_address_sends_nothing_and_resets_are_rate_limited(django_capture_on_commit_callbacks):
    email_confirmado(fabricas.usuario(), "conhecido@example.org")
    client = Client()
    with django_capture_on_commit_callbacks():
        client.post(reverse("account_reset_password"), {"email": "estranho@example.org"})
    assert not EmailSaida.objects.exists()
    with django_capture_on_commit_callbacks():
        for _ in range(5):
            client.post(reverse("account_reset_password"), {"email": "conhecido@example.org"})
    assert EmailSaida.objects.count() == 3  # 3 an hour per address: no inbox flooding


# --- Whose address recovers a password (pec.identity.contas) ------------------------------------------------


def _link(corpo: str, caminho: str) -> str:
    return re.search(rf"http://testserver({caminho}\S+/)", corpo).group(1)


def test_reset_mails_only_a_verified_address(django_capture_on_commit_callbacks):
    from allauth.account.models import EmailAddress

    usuario = fabricas.usuario(email="antigo@example.org")  # the column a CNES upload used to fill
    EmailAddress.objects.create(user=usuario, email="nao-confirmado@example.org", verified=False)
    client = Client()
    with django_capture_on_commit_callbacks():
        for endereco in ("antigo@example.org", "nao-confirmado@example.org"):
            assert client.post(reverse("account_reset_password"), {"email": endereco}).status_code == 302
    assert not EmailSaida.objects.exists()
    EmailAddress.objects.filter(user=usuario).update(verified=True)
    with django_capture_on_commit_callbacks():
        client.post(reverse("account_reset_password"), {"email": "nao-confirmado@example.org"})
    assert EmailSaida.objects.get().para == ["nao-confirmado@example.org"]


def test_the_person_verifies_their_own_address_while_logged_in(django_capture_on_commit_callbacks):
    from allauth.account.models import EmailAddress

    usuario = fabricas.usuario()
    client = Client()
    pagina = client.post("/conta/login/", {"login": usuario.cpf, "password": SENHA}, follow=True).content.decode()
    assert "Cadastre e confirme o seu e-mail" in pagina and f'href="{reverse("account_email")}"' in pagina
    with django_capture_on_commit_callbacks():
        resposta = client.post(reverse("account_email"), {"action_add": "", "email": "Meu@Example.org"})
    assert resposta.status_code == 302
    assert not EmailAddress.objects.get(user=usuario).verified
    link = _link(EmailSaida.objects.get().corpo, "/conta/confirm-email/")
    assert client.post(link).status_code == 302
    assert EmailAddress.objects.get(user=usuario, email="meu@example.org").verified
    usuario.refresh_from_db()
    assert usuario.email == "meu@example.org"
    with django_capture_on_commit_callbacks():
        Client().post(reverse("account_reset_password"), {"email": "meu@example.org"})
    assert EmailSaida.objects.latest("id").para == ["meu@example.org"]


def test_installation_admin_sets_the_verified_address_and_the_old_one_is_told(django_capture_on_commit_callbacks):
    admin = fabricas.entrar(fabricas.usuario("Ana Admin", administrador_instalacao=True))
    bruno = fabricas.usuario("Bruno")
    email_confirmado(bruno, "velho@example.org")
    pagina = admin.post(reverse("instalacao_contas"), {"cpf": formatar_cpf(bruno.cpf)}).content.decode()
    assert "Bruno" in pagina and "velho@example.org" in pagina and "confirmado" in pagina
    assert "Nenhuma conta" in admin.post(reverse("instalacao_contas"), {"cpf": fabricas.novo_cpf()}).content.decode()
    with django_capture_on_commit_callbacks():
        pagina = admin.post(
            reverse("instalacao_conta_email", args=[bruno.id]), {"email": "novo@example.org"}
        ).content.decode()
    assert "definido e confirmado" in pagina
    from pec.identity.contas import email_confirmado as confirmado

    assert confirmado(usuario=bruno) == "novo@example.org"
    assert EmailSaida.objects.get().para == ["velho@example.org"]
    (evento,) = eventos_da_instalacao("conta_email_definido")
    assert evento.detalhes["usuario_alterado_id"] == bruno.id
    outra = fabricas.usuario("Outra")
    pagina = admin.post(
        reverse("instalacao_conta_email", args=[outra.id]), {"email": "novo@example.org"}
    ).content.decode()
    assert "já está confirmado em outra conta" in pagina


def test_a_reset_link_expires_after_an_hour():
    from datetime import datetime, timedelta

    from allauth.account.forms import default_token_generator

    usuario = fabricas.usuario()

    def feito_ha(minutos: int) -> str:
        gerador = type(default_token_generator)()
        gerador._now = lambda: datetime.now() - timedelta(minutes=minutos)  # type: ignore[method-assign]
        return gerador.make_token(usuario)

    assert default_token_generator.check_token(usuario, feito_ha(55))
    assert not default_token_generator.check_token(usuario, feito_ha(65))


# --- MFA for administrators, reauthentication for secrets ---------------------------------------


def _autenticacao_antiga(client: Client, segundos: float) -> None:
    sessao = client.session
    registros = sessao["account_authentication_methods"]
    for registro in registros:
        registro["at"] -= segundos
    sessao["account_authentication_methods"] = registros
    sessao.save()


def test_municipal_admin_must_enrol_in_mfa_by_default_before_admin_pages():
    a = fabricas.municipio_com_perfis()  # the default: required
    iris = fabricas.usuario("Íris")
    lot = fabricas.lotacao_com_perfis(a, iris, cbo="131205")
    client = Client()
    assert entrar(client, iris.cpf).status_code == 302
    client.post("/lotacao/", {"lotacao": lot.id})
    assert client.get(reverse("admin_profissionais"))["Location"] == reverse("mfa_activate_totp")
    assert client.get(reverse("cnes_importacoes"))["Location"] == reverse("mfa_activate_totp")


def test_installation_admin_must_enrol_in_mfa_before_installation_pages():
    ana = fabricas.usuario("Ana", administrador_instalacao=True)
    client = Client()
    assert entrar(client, ana.cpf).status_code == 302
    for nome in ("instalacao_municipios", "instalacao_contas", "instalacao_auditoria"):
        assert client.get(reverse(nome))["Location"] == reverse("mfa_activate_totp"), nome
    assert client.get("/")["Location"] == reverse("mfa_activate_totp")


def test_an_enrolled_admin_whose_session_skipped_the_second_step_is_asked_for_the_code():
    ana = fabricas.usuario("Ana", administrador_instalacao=True)
    Authenticator.objects.create(user=ana, type=Authenticator.Type.TOTP, data={"secret": "x"})
    client = fabricas.entrar(ana)
    sessao = client.session
    sessao["account_authentication_methods"] = [
        r for r in sessao["account_authentication_methods"] if r["method"] != "mfa"
    ]
    sessao.save()
    assert client.get(reverse("instalacao_municipios"))["Location"].startswith(reverse("mfa_reauthenticate"))


def test_pages_that_edit_secrets_ask_for_the_password_again_after_a_while(settings):
    ana = fabricas.usuario("Ana", administrador_instalacao=True)
    client = fabricas.entrar(ana)
    assert client.get(reverse("instalacao_smtp")).status_code == 200
    _autenticacao_antiga(client, settings.ACCOUNT_REAUTHENTICATION_TIMEOUT + 60)
    assert client.get(reverse("instalacao_municipios")).status_code == 200  # no secret there
    for nome in ("instalacao_smtp", "instalacao_govbr"):
        assert client.get(reverse(nome))["Location"].startswith(reverse("account_reauthenticate")), nome
    resposta = client.post(
        reverse("account_reauthenticate") + "?next=" + reverse("instalacao_smtp"), {"password": SENHA}
    )
    assert resposta["Location"] == reverse("instalacao_smtp")
    assert client.get(reverse("instalacao_smtp")).status_code == 200

    a = fabricas.municipio_com_perfis()
    iris = fabricas.usuario("Íris")
    admin = fabricas.entrar(iris, fabricas.lotacao_com_perfis(a, iris, cbo="131205"), pela_escolha=True)
    _autenticacao_antiga(admin, settings.ACCOUNT_REAUTHENTICATION_TIMEOUT + 60)
    dados = {
        "nome": "Estadual",
        "tipo": "http",
        "url": "https://sisab.example.org/",
        "usuario": "u",
        "senha": "segredo",
    }
    resposta = admin.post(reverse("sisab_destino_novo"), dados)
    assert resposta["Location"].startswith(reverse("account_reauthenticate"))
    from pec.tenancy import tenant_context
    from sisab.models import DestinoSisab

    with tenant_context(a.id):
        assert not DestinoSisab.objects.exists()


def test_migration_moves_upload_emails_to_unverified_addresses_and_keeps_installation_admins():
    import importlib

    from allauth.account.models import EmailAddress
    from django.apps import apps

    from pec.models import Usuario

    migracao = importlib.import_module("pec.migrations.0009_emails_confirmados")
    do_cnes = fabricas.usuario("Do CNES", email="Atacante@Mal.example.org")
    admin = fabricas.usuario("Ana", email="ana@saude.example.org", administrador_instalacao=True)
    migracao.mover(apps, None)
    assert Usuario.objects.get(id=do_cnes.id).email == ""
    assert EmailAddress.objects.filter(user=do_cnes).values_list("email", "verified", "primary").get() == (
        "atacante@mal.example.org",
        False,
        False,
    )
    assert Usuario.objects.get(id=admin.id).email == "ana@saude.example.org"
    assert EmailAddress.objects.filter(user=admin).values_list("verified", "primary").get() == (True, True)
    migracao.mover(apps, None)  # idempotent
    assert EmailAddress.objects.filter(user__in=[do_cnes, admin]).count() == 2
    assert Usuario.objects.get(id=admin.id).email == "ana@saude.example.org"
