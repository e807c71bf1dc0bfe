"""Outgoing e-mail: the row is the queue.

`email_enfileirar` writes the message in the caller's transaction and, after commit,
queues a Celery task that sends it with the installation's SMTP settings (from the
database; the password decrypted only in the worker). A failed send stays `pendente`
with exponential backoff in `proxima_tentativa` until MAX_TENTATIVAS, then `erro`. The
beat task `email_varrer` retries whatever is due, so a lost task or a dead worker only
delays a message.

A send claims its row and pushes `proxima_tentativa` a lease ahead (pec.fila, the engine
the outbox shares): two workers never send the same message, and a worker that dies
mid-send leaves the row to be retried when the lease ends.

Once sent (or given up on) a message keeps its recipients, subject and status but not
its body: a password-reset link or a citizen's message must not outlive its delivery in
the table and in every backup of it.

The SMTP test button is the exception: it sends at once, outside the queue, with a short
timeout (`smtp_testar`), so the administrator reads the outcome on the page.

Installation mail (password reset) lives in EmailSaida; mail on behalf of
a municipality, which may concern citizens, in EmailSaidaMunicipio, under row-level
security. A municipality in training mode never sends its mail (status `suprimido`).
"""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
from collections.abc import Sequence
from datetime import timedelta

from celery import shared_task
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from pec.cripto import cifrar, decifrar
from pec.fila import Fila
from pec.models import ConfiguracaoSMTP, EmailSaida, EmailSaidaMunicipio, Municipio
from pec.outbox import apos_commit_enfileirar
from pec.tenancy import escopo, tenant_context

log = logging.getLogger(__name__)

MAX_TENTATIVAS = 8
SMTP_TIMEOUT = 30
# 1, 2, 4, ... minutes after the n-th failure, at most 6 hours.
FILA = Fila(
    max_tentativas=MAX_TENTATIVAS,
    primeira_espera=timedelta(minutes=1),
    espera_maxima=timedelta(hours=6),
    tamanho_erro=2000,
)
backoff = FILA.backoff


class SMTPNaoConfigurado(Exception):
    pass


# --- SMTP settings ----------------------------------------------------------------------


def smtp_contexto_senha(config: ConfiguracaoSMTP) -> str:
    return f"smtp:{config.pk}:senha"


def smtp_configuracao() -> ConfiguracaoSMTP | None:
    return ConfiguracaoSMTP.objects.filter(pk=1).first()


def smtp_salvar(*, config: ConfiguracaoSMTP, nova_senha: str | None) -> ConfiguracaoSMTP:
    """Save the singleton row; `nova_senha` None keeps the stored password, "" clears it."""
    config.pk = 1
    if nova_senha is not None:
        config.senha_cifrada = cifrar(nova_senha, contexto=smtp_contexto_senha(config)) if nova_senha else ""
    config.save()
    return config


def smtp_conexao(config: ConfiguracaoSMTP, *, timeout: int = SMTP_TIMEOUT):  # type: ignore[no-untyped-def]
    senha = decifrar(config.senha_cifrada, contexto=smtp_contexto_senha(config)) if config.senha_cifrada else ""
    return get_connection(
        backend="django.core.mail.backends.smtp.EmailBackend",
        host=config.host,
        port=config.porta,
        username=config.usuario or None,
        password=senha or None,
        use_tls=config.seguranca == ConfiguracaoSMTP.Seguranca.STARTTLS,
        use_ssl=config.seguranca == ConfiguracaoSMTP.Seguranca.SSL,
        timeout=timeout,
        fail_silently=False,
    )


# --- Enqueue --------------------------------------------------------------------------------


def email_enfileirar(
    *, para: list[str], assunto: str, corpo: str, municipio_id: int | None = None
) -> EmailSaida | EmailSaidaMunicipio:
    """Queue a message, in the caller's transaction; it is sent after commit.

    With `municipio_id` the message belongs to that municipality (and is never sent while
    it is in training mode); without, it is installation mail.
    """
    destinatarios = [endereco.strip() for endereco in para if endereco and endereco.strip()]
    if not destinatarios:
        raise ValueError("email_enfileirar: no recipient")
    if municipio_id is None:
        email: EmailSaida | EmailSaidaMunicipio = EmailSaida.objects.create(
            para=destinatarios, assunto=assunto[:300], corpo=corpo
        )
        apos_commit_enfileirar(email_enviar_task, email_id=email.id)
        return email
    treinamento = Municipio.objects.filter(id=municipio_id, modo=Municipio.Modo.TREINAMENTO).exists()
    with tenant_context(municipio_id):
        email = EmailSaidaMunicipio.objects.create(
            municipio_id=municipio_id,
            para=destinatarios,
            assunto=assunto[:300],
            corpo=corpo,
            status=EmailSaidaMunicipio.Status.SUPRIMIDO if treinamento else EmailSaidaMunicipio.Status.PENDENTE,
        )
    if not treinamento:
        apos_commit_enfileirar(email_enviar_task, email_id=email.id, municipio_id=municipio_id)
    return email


class FilaEmailBackend(BaseEmailBackend):
    """EMAIL_BACKEND: any mail Django or a library sends goes through the queue too."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        for mensagem in email_messages:
            email_enfileirar(
                para=[*mensagem.to, *mensagem.cc, *mensagem.bcc],
                assunto=str(mensagem.subject),
                corpo=str(mensagem.body),
            )
        return len(email_messages)


# --- Send -----------------------------------------------------------------------------------


def email_enviar(*, email_id: int, municipio_id: int | None = None) -> str:
    """Try to send one queued message now if it is due; return its resulting status.

    No transaction is held while talking to the SMTP server: the claim, and then the
    outcome, are each committed on their own.
    """
    modelo: type[EmailSaida] | type[EmailSaidaMunicipio] = EmailSaida if municipio_id is None else EmailSaidaMunicipio
    with escopo(municipio_id):
        reivindicados = FILA.reivindicar(modelo.objects.filter(id=email_id), limite=1)
        email = reivindicados[0] if reivindicados else modelo.objects.filter(id=email_id).first()
    if email is None:
        return "inexistente"
    if not reivindicados:
        return email.status
    try:
        config = smtp_configuracao()
        if config is None:
            raise SMTPNaoConfigurado("SMTP is not configured for this installation")
        with smtp_conexao(config) as conexao:
            EmailMessage(
                subject=email.assunto,
                body=email.corpo,
                from_email=config.remetente,
                to=email.para,
                connection=conexao,
            ).send()
    except Exception as exc:  # any failure is retried later, and recorded on the row
        tentativas = email.tentativas + 1
        falha = FILA.falha(tentativas=tentativas, erro=exc)
        status = modelo.Status(falha["status"])
        with escopo(municipio_id):
            modelo.objects.filter(pk=email.pk).update(
                **falha,
                **({"corpo": ""} if status == modelo.Status.ERRO else {}),
            )
        log.warning("e-mail %s %s attempt %s failed: %s", modelo.__name__, email.pk, tentativas, exc)
        return status
    with escopo(municipio_id):
        modelo.objects.filter(pk=email.pk).update(**FILA.sucesso(tentativas=email.tentativas + 1), corpo="")
    return modelo.Status.ENVIADO


@shared_task
def email_enviar_task(*, email_id: int, municipio_id: int | None = None) -> str:
    return email_enviar(email_id=email_id, municipio_id=municipio_id)


def _vencidos(modelo: type[EmailSaida] | type[EmailSaidaMunicipio]) -> list[int]:
    return list(
        modelo.objects.filter(status=modelo.Status.PENDENTE, proxima_tentativa__lte=timezone.now())
        .order_by("proxima_tentativa")
        .values_list("id", flat=True)[:500]
    )


@shared_task
def email_varrer() -> int:
    """Beat: queue a send for every message due, installation and municipalities."""
    total = 0
    for email_id in _vencidos(EmailSaida):
        email_enviar_task.delay(email_id=email_id)
        total += 1
    for municipio_id in Municipio.objects.filter(ativo=True).values_list("id", flat=True):
        with tenant_context(municipio_id):
            ids = _vencidos(EmailSaidaMunicipio)
        for email_id in ids:
            email_enviar_task.delay(email_id=email_id, municipio_id=municipio_id)
        total += len(ids)
    return total


SMTP_TESTE_TIMEOUT = 10


def smtp_testar(*, para: str) -> str | None:
    """The "send test e-mail" button: send now, outside the queue, with a short timeout,
    so the administrator sees on the page whether these settings work. Returns None when
    the server accepted the message, else what went wrong, in Portuguese."""
    config = smtp_configuracao()
    if config is None:
        return "o servidor de e-mail ainda não foi configurado"
    try:
        with smtp_conexao(config, timeout=SMTP_TESTE_TIMEOUT) as conexao:
            EmailMessage(
                subject="PEC: e-mail de teste",
                from_email=config.remetente,
                to=[para],
                connection=conexao,
                body="Este é um e-mail de teste enviado pela configuração de SMTP do PEC.\n"
                "Se você o recebeu, o envio de e-mails da instalação está funcionando.",
            ).send()
    except Exception as exc:  # every failure is the answer the administrator asked for
        log.warning("SMTP test to %s:%s failed: %s: %s", config.host, config.porta, exc.__class__.__name__, exc)
        return _smtp_falha(exc, config)
    return None


def _smtp_falha(exc: Exception, config: ConfiguracaoSMTP) -> str:
    servidor = f"{config.host}:{config.porta}"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"{servidor} recusou o usuário ou a senha"
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return f"{servidor} recusou o remetente {config.remetente}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return f"{servidor} recusou o destinatário"
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return f"{servidor} não oferece o recurso pedido (STARTTLS ou autenticação): confira a segurança"
    if isinstance(exc, ssl.SSLError):
        return f"falha de TLS/SSL com {servidor}: confira a segurança (STARTTLS ou SSL) e a porta"
    if isinstance(exc, ConnectionRefusedError):
        return f"conexão recusada por {servidor}: confira o endereço e a porta"
    if isinstance(exc, socket.gaierror):
        return f"o endereço {config.host} não foi encontrado (DNS)"
    if isinstance(exc, TimeoutError):
        return f"{servidor} não respondeu em {SMTP_TESTE_TIMEOUT} segundos"
    if isinstance(exc, smtplib.SMTPException | OSError):
        return f"a conversa com {servidor} falhou: confira o endereço, a porta e a segurança"
    return f"erro inesperado ao enviar por {servidor}"
