"""Writes of the RNDS configuration: settings, certificate upload, expiry warnings, and
the outbox rows for corrections and deletions."""

from __future__ import annotations

import base64
import datetime

from django.db import transaction
from django.utils import timezone

from pec.administracao.selectors import lotacoes_administradoras
from pec.audit.chain import audit_event
from pec.cripto import cifrar, decifrar
from pec.email import email_enfileirar
from pec.models import Municipio, Usuario
from pec.tenancy import assert_owned
from rnds.certificado import DadosCertificado, certificado_ler
from rnds.models import CertificadoA1, ConfiguracaoRNDS
from rnds.selectors import certificado_ativo

AVISOS_DIAS = (30, 7, 1)


def configuracao_obter(*, municipio: Municipio) -> ConfiguracaoRNDS:
    """The municipality's settings, created with defaults on first use (inside its tenant)."""
    config, _ = ConfiguracaoRNDS.objects.select_related("municipio").get_or_create(municipio=municipio)
    assert_owned(config, municipio.id)
    return config


@transaction.atomic
def configuracao_salvar(*, config: ConfiguracaoRNDS, usuario: Usuario) -> ConfiguracaoRNDS:
    config.save()
    audit_event(
        evento="rnds_configuracao",
        usuario=usuario,
        municipio_id=config.municipio_id,
        o_que="Configuração da RNDS alterada",
        detalhes={
            "habilitado": config.habilitado,
            "ambiente": config.ambiente,
            "identificador_solicitante": config.identificador_solicitante,
        },
    )
    return config


@transaction.atomic
def certificado_instalar(*, municipio: Municipio, conteudo: bytes, senha: str, usuario: Usuario) -> CertificadoA1:
    """Validate the .pfx (raises CertificadoInvalido), store it encrypted and make it the
    active one; the previous ones stay in the history, inactive."""
    dados: DadosCertificado = certificado_ler(conteudo=conteudo, senha=senha)
    cert = CertificadoA1(
        municipio=municipio,
        titular=dados.titular,
        cnpj=dados.cnpj,
        cpf=dados.cpf,
        emissor=dados.emissor,
        valido_de=dados.valido_de,
        valido_ate=dados.valido_ate,
        impressao_digital=dados.impressao_digital,
        enviado_por=usuario,
    )
    cert.arquivo_cifrado = cifrar(base64.b64encode(conteudo).decode(), contexto=cert.contexto("arquivo"))
    cert.senha_cifrada = cifrar(senha, contexto=cert.contexto("senha"))
    CertificadoA1.objects.filter(municipio=municipio, ativo=True).update(ativo=False)
    cert.save()
    audit_event(
        evento="rnds_certificado",
        usuario=usuario,
        municipio_id=municipio.id,
        o_que=f"Certificado A1 instalado: {dados.titular}",
        detalhes={"impressao_digital": dados.impressao_digital, "valido_ate": dados.valido_ate.isoformat()},
    )
    return cert


def certificado_segredos(*, cert: CertificadoA1) -> tuple[bytes, str]:
    """(.pfx bytes, password), decrypted. Only rnds.cliente calls this, to build its TLS context."""
    conteudo = base64.b64decode(decifrar(cert.arquivo_cifrado, contexto=cert.contexto("arquivo")))
    return conteudo, decifrar(cert.senha_cifrada, contexto=cert.contexto("senha"))


def _emails_administradores(*, municipio_id: int) -> list[str]:
    lotacoes = lotacoes_administradoras(municipio_id=municipio_id).select_related("usuario", "profissional")
    return sorted({lot.usuario.email or lot.profissional.email for lot in lotacoes} - {""})


def certificados_avisar_vencimento(*, municipio_id: int, agora: datetime.datetime | None = None) -> int:
    """Queue the 30/7/1-day warnings that are due for the active certificate; each threshold
    once. Runs inside the municipality's tenant (rnds.tasks)."""
    agora = agora or timezone.now()
    cert = certificado_ativo(municipio_id=municipio_id)
    if cert is None:
        return 0
    restam = (cert.valido_ate - agora).total_seconds()
    dias = restam / 86400
    devidos = [limite for limite in AVISOS_DIAS if dias <= limite and limite not in cert.avisos_enviados]
    if not devidos:
        return 0
    para = _emails_administradores(municipio_id=municipio_id)
    if para:
        vencido = restam <= 0
        email_enfileirar(
            para=para,
            municipio_id=municipio_id,
            assunto=(
                "PEC: o certificado A1 do município venceu"
                if vencido
                else f"PEC: o certificado A1 do município vence em {max(1, round(dias))} dia(s)"
            ),
            corpo=(
                f"O certificado digital A1 usado para enviar registros à RNDS e consultar o CADSUS "
                f"({cert.titular}, emitido por {cert.emissor}) "
                f"{'venceu' if vencido else 'vence'} em {timezone.localtime(cert.valido_ate):%d/%m/%Y %H:%M}.\n\n"
                "Sem um certificado válido os registros ficam pendentes (não se perdem) até que um novo seja "
                "instalado. Renove o e-CNPJ com a autoridade certificadora e envie o novo arquivo .pfx em "
                "Administração › RNDS › Certificado."
            ),
        )
    # One message covers every threshold already passed (a certificate installed 5 days
    # before expiry gets one warning, not the 30- and the 7-day ones together).
    enviados = {*cert.avisos_enviados, *AVISOS_DIAS[: AVISOS_DIAS.index(min(devidos)) + 1]}
    CertificadoA1.objects.filter(id=cert.id).update(avisos_enviados=sorted(enviados))
    return 1 if para else 0
