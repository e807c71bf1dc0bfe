"""Secrets at rest (pec.cripto), SMTP settings and the outgoing e-mail queue (pec.email)."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from pec import email as pec_email
from pec.cripto import DecifrarErro, cifrar, decifrar
from pec.email import email_enfileirar, email_enviar, email_varrer, smtp_contexto_senha, smtp_salvar
from pec.embedded import free_port
from pec.models import ConfiguracaoSMTP, EmailSaida, EmailSaidaMunicipio, EventoAuditoria
from pec.tenancy import tenant_context
from tests import mundo as fabricas
from tests.pec.identidade import servidor_smtp

pytestmark = pytest.mark.django_db

CHAVE_A = base64.urlsafe_b64encode(b"a" * 32).decode()
CHAVE_B = base64.urlsafe_b64encode(b"b" * 32).decode()


# --- pec.cripto --------------------------------------------------------------------------------


def test_round_trip_and_fresh_nonce():
    token = cifrar("segredo çãõ", contexto="smtp:1:senha")
    assert "segredo" not in token and token.startswith("g1.")
    assert decifrar(token, contexto="smtp:1:senha") == "segredo çãõ"
    assert cifrar("segredo çãõ", contexto="smtp:1:senha") != token


def test_ciphertext_bound_to_its_row_and_field():
    token = cifrar("segredo", contexto="smtp:1:senha")
    for outro in ["smtp:2:senha", "smtp:1:usuario", "certificado:1:senha", ""]:
        with pytest.raises(DecifrarErro):
            decifrar(token, contexto=outro)


def test_tampered_or_malformed_tokens_fail():
    token = cifrar("segredo", contexto="x")
    bruto = bytearray(base64.urlsafe_b64decode(token[3:]))
    bruto[-1] ^= 1
    for ruim in ["g1." + base64.urlsafe_b64encode(bytes(bruto)).decode(), "g1.!!!", "abc", token[:-8]]:
        with pytest.raises(DecifrarErro):
            decifrar(ruim, contexto="x")


def test_key_rotation_first_key_encrypts_all_keys_decrypt(settings):
    settings.PEC_ENCRYPTION_KEYS = [CHAVE_A]
    antigo = cifrar("segredo", contexto="x")
    settings.PEC_ENCRYPTION_KEYS = [CHAVE_B, CHAVE_A]
    assert decifrar(antigo, contexto="x") == "segredo"
    novo = cifrar("segredo", contexto="x")
    settings.PEC_ENCRYPTION_KEYS = [CHAVE_B]
    assert decifrar(novo, contexto="x") == "segredo"
    with pytest.raises(DecifrarErro):
        decifrar(antigo, contexto="x")


def test_bad_key_configuration_is_reported(settings):
    from django.core.exceptions import ImproperlyConfigured

    for chaves in [[], ["curta"], [base64.urlsafe_b64encode(b"x" * 16).decode()]]:
        settings.PEC_ENCRYPTION_KEYS = chaves
        with pytest.raises(ImproperlyConfigured):
            cifrar("a", contexto="x")


def test_smtp_password_is_encrypted_in_the_database_and_bound_to_the_row():
    config = smtp_salvar(
        config=ConfiguracaoSMTP(host="smtp.example.org", porta=587, usuario="pec", remetente="pec@example.org"),
        nova_senha="senha-do-smtp-123",
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT senha_cifrada FROM pec_configuracaosmtp WHERE id = 1")
        guardado = cursor.fetchone()[0]
    assert "senha-do-smtp" not in guardado
    assert decifrar(guardado, contexto=smtp_contexto_senha(config)) == "senha-do-smtp-123"
    # The same token pasted into another row's context does not decrypt.
    with pytest.raises(DecifrarErro):
        decifrar(guardado, contexto="smtp:2:senha")
    # Saving without a new password keeps it; "" erases it.
    smtp_salvar(config=config, nova_senha=None)
    assert ConfiguracaoSMTP.objects.get().senha_cifrada == guardado
    smtp_salvar(config=config, nova_senha="")
    assert ConfiguracaoSMTP.objects.get().senha_cifrada == ""


# --- SMTP page and test e-mail ------------------------------------------------------------------


def test_smtp_page_saves_settings_and_test_email_arrives():
    ana = fabricas.usuario("Ana", administrador_instalacao=True, email="ana@example.org")
    client = fabricas.entrar(ana)
    with servidor_smtp() as smtp:
        resposta = client.post(
            reverse("instalacao_smtp"),
            {
                "host": "127.0.0.1",
                "porta": smtp.porta,
                "seguranca": "nenhuma",
                "usuario": "",
                "senha": "s3gredo-smtp",
                "remetente": "pec@saude.example.org",
            },
        )
        assert resposta.status_code == 302
        config = ConfiguracaoSMTP.objects.get()
        assert config.porta == smtp.porta and "s3gredo" not in config.senha_cifrada
        assert decifrar(config.senha_cifrada, contexto="smtp:1:senha") == "s3gredo-smtp"
        # The password never reaches the audit trail.
        evento = EventoAuditoria.objects.get(evento="admin_alteracao", municipio_id=None)
        assert evento.detalhes["acao"] == "smtp_alterado" and "s3gredo" not in str(evento.detalhes)

        # The stored password would make the client try AUTH, which this server lacks:
        # erase it, then send the test.
        dados = {
            "host": "127.0.0.1",
            "porta": smtp.porta,
            "seguranca": "nenhuma",
            "usuario": "",
            "remetente": "pec@saude.example.org",
            "apagar_senha": "on",
        }
        client.post(reverse("instalacao_smtp"), dados)
        # Sent while the request runs (no worker, no queue): the page says what happened.
        resposta = client.post(reverse("instalacao_smtp_teste"), {"para": "destino@example.org"}, follow=True)
        assert "E-mail de teste aceito pelo servidor para destino@example.org" in resposta.content.decode()
        assert smtp.chegou.is_set()
    envelope = smtp.recebidas[0]
    assert envelope.rcpt_tos == ["destino@example.org"] and envelope.mail_from == "pec@saude.example.org"
    assert "PEC: e-mail de teste" in envelope.content.decode()
    assert not EmailSaida.objects.exists()


def test_smtp_test_against_a_closed_port_shows_the_failure_on_the_page():
    client = fabricas.entrar(fabricas.usuario("Ana", administrador_instalacao=True))
    porta = free_port()  # nothing listens there
    _config(porta)
    resposta = client.post(reverse("instalacao_smtp_teste"), {"para": "destino@example.org"}, follow=True)
    html = resposta.content.decode()
    assert "O e-mail de teste não foi enviado: conexão recusada por 127.0.0.1:" + str(porta) in html
    assert "Connection refused" not in html and not EmailSaida.objects.exists()


def test_smtp_form_errors_are_portuguese_and_save_nothing():
    client = fabricas.entrar(fabricas.usuario("Ana", administrador_instalacao=True))
    pagina = client.post(
        reverse("instalacao_smtp"), {"host": "", "porta": "70000", "seguranca": "starttls", "remetente": "não-é-email"}
    ).content.decode()
    assert "Este campo é obrigatório" in pagina and "Informe um endereço de email válido" in pagina
    assert "menor ou igual a 65535" in pagina
    assert not ConfiguracaoSMTP.objects.exists()


def test_test_email_without_configuration_is_explained():
    client = fabricas.entrar(fabricas.usuario("Ana", administrador_instalacao=True))
    resposta = client.post(reverse("instalacao_smtp_teste"), {"para": "x@example.org"}, follow=True)
    assert "Salve a configuração do servidor" in resposta.content.decode()
    assert not EmailSaida.objects.exists()


# --- Queue: retries, training mode, sweep ---------------------------------------------------------


def _config(porta: int) -> None:
    smtp_salvar(
        config=ConfiguracaoSMTP(host="127.0.0.1", porta=porta, seguranca="nenhuma", remetente="pec@x.org"),
        nova_senha=None,
    )


def test_failed_send_is_retried_with_backoff_then_marked_error(monkeypatch):
    _config(free_port())  # nothing listens there
    email = email_enfileirar(para=["a@example.org"], assunto="Oi", corpo="Corpo")
    antes = timezone.now()
    assert email_enviar(email_id=email.id) == "pendente"
    email.refresh_from_db()
    assert email.tentativas == 1 and "ConnectionRefusedError" in email.ultimo_erro
    assert email.proxima_tentativa >= antes + timedelta(seconds=59)
    # Not due yet: a second try does nothing.
    assert email_enviar(email_id=email.id) == "pendente"
    assert EmailSaida.objects.get().tentativas == 1
    for _n in range(2, pec_email.MAX_TENTATIVAS + 1):
        EmailSaida.objects.filter(pk=email.pk).update(proxima_tentativa=timezone.now())
        email_enviar(email_id=email.id)
    email.refresh_from_db()
    assert email.status == "erro" and email.tentativas == pec_email.MAX_TENTATIVAS
    assert email.corpo == ""  # given up on: the body does not stay behind
    assert pec_email.backoff(3) == timedelta(minutes=4) and pec_email.backoff(30) == timedelta(hours=6)


def test_rollback_of_the_caller_leaves_no_email(django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError), transaction.atomic():
        email_enfileirar(para=["a@example.org"], assunto="Oi", corpo="x")
        raise RuntimeError("the request failed")
    assert not EmailSaida.objects.exists()
    assert callbacks == []


def test_sent_message_is_never_sent_again():
    with servidor_smtp() as smtp:
        _config(smtp.porta)
        email = email_enfileirar(para=["a@example.org"], assunto="Oi", corpo="x")
        assert email_enviar(email_id=email.id) == "enviado"
        EmailSaida.objects.filter(pk=email.pk).update(proxima_tentativa=timezone.now() - timedelta(hours=1))
        assert email_enviar(email_id=email.id) == "enviado"
    assert len(smtp.recebidas) == 1


def test_a_sent_message_keeps_recipient_subject_and_status_but_not_its_body():
    m = fabricas.municipio("Corpo")
    with servidor_smtp() as smtp:
        _config(smtp.porta)
        email = email_enfileirar(para=["a@example.org"], assunto="Redefinição", corpo="link secreto /reset/abc/")
        assert email_enviar(email_id=email.id) == "enviado"
        with tenant_context(m.id):
            municipal = email_enfileirar(
                para=["c@example.org"], assunto="Receita", corpo="dados de saúde", municipio_id=m.id
            )
        assert email_enviar(email_id=municipal.id, municipio_id=m.id) == "enviado"
    assert "link secreto" in smtp.recebidas[0].content.decode()
    email.refresh_from_db()
    assert (email.para, email.assunto, email.status, email.corpo) == (["a@example.org"], "Redefinição", "enviado", "")
    with tenant_context(m.id):
        assert EmailSaidaMunicipio.objects.values_list("assunto", "status", "corpo").get() == ("Receita", "enviado", "")


def test_training_municipality_never_sends_its_mail_production_does(celery_eager, django_capture_on_commit_callbacks):
    treino = fabricas.municipio("Treino", modo="treinamento")
    producao = fabricas.municipio("Produção")
    with servidor_smtp() as smtp:
        _config(smtp.porta)
        with django_capture_on_commit_callbacks(execute=True):
            email_enfileirar(para=["cidadao@example.org"], assunto="Sua receita", corpo="...", municipio_id=treino.id)
            email_enfileirar(
                para=["cidadao@example.org"], assunto="Seu agendamento", corpo="...", municipio_id=producao.id
            )
        assert smtp.chegou.wait(10)
    assert [e.rcpt_tos for e in smtp.recebidas] == [["cidadao@example.org"]]
    assert "Seu agendamento" in smtp.recebidas[0].content.decode()
    with tenant_context(treino.id):
        assert EmailSaidaMunicipio.objects.get().status == "suprimido"
    with tenant_context(producao.id):
        assert EmailSaidaMunicipio.objects.get().status == "enviado"
    # Municipal mail is under RLS: without the tenant, nothing is visible.
    assert EmailSaidaMunicipio.objects.count() == 0


def test_sweep_sends_what_is_due_in_installation_and_municipalities(celery_eager):
    m = fabricas.municipio("Varredura")
    with servidor_smtp() as smtp:
        _config(smtp.porta)
        # Queued with no on_commit (a lost task): only the sweep can send them.
        EmailSaida.objects.create(para=["a@example.org"], assunto="Instalação", corpo="x")
        EmailSaida.objects.create(
            para=["b@example.org"], assunto="Depois", corpo="x", proxima_tentativa=timezone.now() + timedelta(hours=1)
        )
        with tenant_context(m.id):
            EmailSaidaMunicipio.objects.create(municipio=m, para=["c@example.org"], assunto="Município", corpo="x")
        assert email_varrer() == 2
        assert smtp.chegou.wait(10)
    assert sorted(r for e in smtp.recebidas for r in e.rcpt_tos) == ["a@example.org", "c@example.org"]
    assert EmailSaida.objects.get(assunto="Depois").status == "pendente"


def test_password_reset_mail_is_queued_even_for_a_training_municipality_user(django_capture_on_commit_callbacks):
    from tests.pec.identidade import limpar_limites_allauth

    limpar_limites_allauth()
    treino = fabricas.municipio("Treino", modo="treinamento")
    usuario = fabricas.usuario()
    from tests.pec.identidade import email_confirmado

    email_confirmado(usuario, "x@example.org")

    fabricas.lotacao_com_perfis(treino, usuario)
    from django.test import Client

    with django_capture_on_commit_callbacks():
        Client().post(reverse("account_reset_password"), {"email": "x@example.org"})
    assert EmailSaida.objects.get().status == "pendente"  # installation mail: not suppressed
