"""Key rotation covers every encrypted column: after rotating and removing the old key,
gov.br login, SISAB delivery, RNDS certificates and SMTP must all still open."""

from __future__ import annotations

import base64
import os

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.utils import timezone

from pec.cripto import CAMPOS_CIFRADOS, cifrar, decifrar
from pec.email import smtp_configuracao, smtp_contexto_senha, smtp_salvar
from pec.identity.govbr.config import govbr_configuracao, govbr_configurar, govbr_segredo
from pec.models import ConfiguracaoSMTP
from pec.tenancy import tenant_context
from rnds.models import CertificadoA1
from rnds.services import certificado_segredos
from sisab.envio import destino_salvar, destino_senha
from sisab.models import DestinoSisab
from tests import mundo as fabricas

pytestmark = pytest.mark.django_db


def test_every_encrypted_column_of_the_models_is_in_the_registry():
    registrados = {(c.modelo, c.campo) for c in CAMPOS_CIFRADOS}
    cifrados = {
        (model._meta.label, f.name)
        for model in apps.get_models()
        for f in model._meta.get_fields()
        if f.concrete and (f.name.endswith("_cifrado") or f.name.endswith("_cifrada"))
    }
    assert cifrados == registrados


def nova_chave() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


@pytest.fixture
def segredos():
    """One secret of every kind, in two municipalities (their rows hide from each other)."""
    smtp_salvar(config=ConfiguracaoSMTP(host="smtp.exemplo", remetente="pec@exemplo.gov.br"), nova_senha="senha-smtp")
    govbr_configurar(
        ativo=True, ambiente="homologacao", issuer_outro="", client_id="cliente", novo_segredo="segredo-govbr"
    )
    destinos, certificados = [], []
    for nome in ("A", "B"):
        municipio = fabricas.municipio(nome)
        with tenant_context(municipio.id):
            destinos.append(
                destino_salvar(
                    destino=DestinoSisab(
                        municipio=municipio, nome="Estado", tipo="http", url="https://x.gov.br", usuario="u"
                    ),
                    senha=f"senha-sisab-{nome}",
                )
            )
            cert = CertificadoA1(
                municipio=municipio,
                titular="T",
                emissor="E",
                valido_de=timezone.now(),
                valido_ate=timezone.now(),
                impressao_digital=nome * 64,
            )
            cert.arquivo_cifrado = cifrar(
                base64.b64encode(b"pfx-" + nome.encode()).decode(), contexto=cert.contexto("arquivo")
            )
            cert.senha_cifrada = cifrar(f"senha-pfx-{nome}", contexto=cert.contexto("senha"))
            cert.save()
            certificados.append(cert)
    return {"destinos": destinos, "certificados": certificados}


def test_rotation_reencrypts_every_secret_and_the_old_key_can_go(settings, segredos, capsys):
    nova = nova_chave()
    settings.PEC_ENCRYPTION_KEYS = [nova, *settings.PEC_ENCRYPTION_KEYS]
    call_command("rotate_encryption_keys")
    saida = capsys.readouterr().out
    assert "pec.ConfiguracaoGovBr.segredo_cifrado: 1 value(s) re-encrypted" in saida
    assert "sisab.DestinoSisab.senha_cifrada: 2 value(s) re-encrypted" in saida
    assert "rnds.CertificadoA1.arquivo_cifrado: 2 value(s) re-encrypted" in saida
    assert "the old key(s) may now be removed" in saida

    settings.PEC_ENCRYPTION_KEYS = [nova]  # the old key is gone: everything must still open
    assert govbr_segredo(govbr_configuracao()) == "segredo-govbr"
    smtp = smtp_configuracao()
    assert decifrar(smtp.senha_cifrada, contexto=smtp_contexto_senha(smtp)) == "senha-smtp"
    for nome, destino, cert in zip("AB", segredos["destinos"], segredos["certificados"], strict=True):
        with tenant_context(destino.municipio_id):
            assert destino_senha(DestinoSisab.objects.get(pk=destino.pk)) == f"senha-sisab-{nome}"
            assert certificado_segredos(cert=CertificadoA1.objects.get(pk=cert.pk)) == (
                b"pfx-" + nome.encode(),
                f"senha-pfx-{nome}",
            )


def test_a_value_no_key_opens_keeps_the_operator_from_removing_the_old_key(settings, segredos, capsys):
    destino = segredos["destinos"][1]
    with tenant_context(destino.municipio_id):
        # Encrypted for another row: no key opens it in this one.
        DestinoSisab.objects.filter(pk=destino.pk).update(senha_cifrada=cifrar("x", contexto="sisab-destino:0:senha"))
    settings.PEC_ENCRYPTION_KEYS = [nova_chave(), *settings.PEC_ENCRYPTION_KEYS]
    with pytest.raises(CommandError, match="KEEP the old key"):
        call_command("rotate_encryption_keys")
    captado = capsys.readouterr()
    assert f"sisab.DestinoSisab.senha_cifrada id {destino.pk}: no key decrypts" in captado.err
    assert "may now be removed" not in captado.out
    assert "sisab.DestinoSisab.senha_cifrada: 1 value(s) re-encrypted" in captado.out
