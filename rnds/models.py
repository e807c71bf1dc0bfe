"""RNDS settings and the municipality's ICP-Brasil A1 certificate.

The certificate file and its password are stored encrypted (pec.cripto, AES-GCM) with a
context that names the municipality, so a ciphertext copied to another municipality's
row does not decrypt. They are decrypted only where the TLS context is built
(rnds.cliente).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

from pec.tenancy import TenantModel

# Hosts from docs/integracoes/rnds.md (Ambientes). Kept editable per municipality: newer RNDS
# samples show versioned paths ("/1.15/api"), and the homologação hosts have moved before.
AUTH_HOMOLOGACAO = "https://ehr-auth-hmg.saude.gov.br"
AUTH_PRODUCAO = "https://ehr-auth.saude.gov.br"
EHR_HOMOLOGACAO = "https://ehr-services.hmg.saude.gov.br"
CADSUS_HOMOLOGACAO = "https://servicoshm.saude.gov.br"
CADSUS_PRODUCAO = "https://servicos.saude.gov.br"
UFS = [
    "ac",
    "al",
    "ap",
    "am",
    "ba",
    "ce",
    "df",
    "es",
    "go",
    "ma",
    "mt",
    "ms",
    "mg",
    "pa",
    "pb",
    "pr",
    "pe",
    "pi",
    "rj",
    "rn",
    "rs",
    "ro",
    "rr",
    "sc",
    "sp",
    "se",
    "to",
]


def ehr_producao(uf: str) -> str:
    """Production EHR services are per state; a credential only works on its own UF's host."""
    uf = uf.lower()
    if uf not in UFS:
        raise ValueError(f"unknown UF {uf!r}")
    return f"https://{uf}-ehr-services.saude.gov.br"


def hosts_oficiais() -> list[str]:
    """Every official host above (and the versioned homologação host of newer samples): the
    default allowlist of the addresses a municipality may type (pec.destinos)."""
    bases = [AUTH_HOMOLOGACAO, AUTH_PRODUCAO, EHR_HOMOLOGACAO, CADSUS_HOMOLOGACAO, CADSUS_PRODUCAO]
    bases += [ehr_producao(uf) for uf in UFS]
    return [base.removeprefix("https://") for base in bases] + ["ehr-services-hmg.saude.gov.br"]


def hosts_permitidos() -> list[str]:
    return list(settings.PEC_HOSTS_RNDS) or hosts_oficiais()


class ConfiguracaoRNDS(TenantModel):
    """One per municipality: whether it sends, to which environment, as which solicitante."""

    class Ambiente(models.TextChoices):
        HOMOLOGACAO = "homologacao", "Homologação"
        PRODUCAO = "producao", "Produção"

    habilitado = models.BooleanField("envio à RNDS habilitado", default=False)
    ambiente = models.CharField(max_length=12, choices=Ambiente.choices, default=Ambiente.HOMOLOGACAO)
    identificador_solicitante = models.CharField(
        "identificador do solicitante",
        max_length=20,
        blank=True,
        validators=[RegexValidator(r"^\d+$", "O identificador do solicitante tem só dígitos.")],
        help_text="Mostrado no Portal de Serviços do DATASUS em “Gerenciar Credenciais”.",
    )
    # Blank = the official host of the environment (and, in production, of the UF).
    url_autenticacao = models.URLField("endereço do ehr-auth", blank=True)
    url_servicos = models.URLField("endereço do ehr-services", blank=True)
    url_cadsus = models.URLField("endereço do CADSUS (PDQ)", blank=True)
    atualizado_em = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "configuração da RNDS"
        constraints = [models.UniqueConstraint(fields=["municipio"], name="configuracao_rnds_unica")]

    def __str__(self) -> str:
        return f"RNDS {self.get_ambiente_display()} ({self.municipio_id})"

    @property
    def producao(self) -> bool:
        return self.ambiente == self.Ambiente.PRODUCAO

    def base_autenticacao(self) -> str:
        return (self.url_autenticacao or (AUTH_PRODUCAO if self.producao else AUTH_HOMOLOGACAO)).rstrip("/")

    def base_servicos(self) -> str:
        if self.url_servicos:
            return self.url_servicos.rstrip("/")
        return ehr_producao(self.municipio.uf) if self.producao else EHR_HOMOLOGACAO

    def base_cadsus(self) -> str:
        return (self.url_cadsus or (CADSUS_PRODUCAO if self.producao else CADSUS_HOMOLOGACAO)).rstrip("/")


class CertificadoA1(TenantModel):
    """An uploaded .pfx. Several may exist (history); the newest active one is used."""

    arquivo_cifrado = models.TextField()
    senha_cifrada = models.TextField()
    titular = models.CharField(max_length=300)
    cnpj = models.CharField("CNPJ", max_length=14, blank=True)
    cpf = models.CharField("CPF", max_length=11, blank=True)
    emissor = models.CharField(max_length=300)
    valido_de = models.DateTimeField("válido a partir de")
    valido_ate = models.DateTimeField("válido até")
    impressao_digital = models.CharField("impressão digital (SHA-256)", max_length=64)
    ativo = models.BooleanField(default=True)
    # Days-before-expiry thresholds (30, 7, 1) whose warning e-mail was already queued.
    avisos_enviados = models.JSONField(default=list, blank=True)
    enviado_por = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    criado_em = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "certificado A1"
        verbose_name_plural = "certificados A1"
        ordering = ["-criado_em", "-id"]
        indexes = [models.Index(fields=["municipio", "ativo"], name="certificado_ativo")]

    def __str__(self) -> str:
        return f"{self.titular} (até {self.valido_ate:%d/%m/%Y})"

    def contexto(self, campo: str) -> str:
        """pec.cripto context: binds each ciphertext to this municipality, certificate and field."""
        return f"rnds:{self.municipio_id}:certificado:{self.impressao_digital}:{campo}"


def certificado_contexto_arquivo(cert: CertificadoA1) -> str:
    """For pec.cripto.CAMPOS_CIFRADOS."""
    return cert.contexto("arquivo")


def certificado_contexto_senha(cert: CertificadoA1) -> str:
    """For pec.cripto.CAMPOS_CIFRADOS."""
    return cert.contexto("senha")


class Pendencia(TenantModel):
    """A finalised record whose RNDS delivery waits for a document only a person can
    supply: the citizen's CPF/CNS or the professional's CNS (rnds.pendencias). One per
    record; `resolvida_em` is set when the document is there, cleared if it goes again."""

    objeto_tipo = models.CharField(max_length=100)
    objeto_id = models.BigIntegerField()
    cidadao = models.ForeignKey("prontuario.Cidadao", on_delete=models.PROTECT, related_name="+")
    profissional = models.ForeignKey("pec.Profissional", on_delete=models.PROTECT, related_name="+")
    motivo = models.TextField()
    criada_em = models.DateTimeField(auto_now_add=True)
    resolvida_em = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "pendência de envio à RNDS"
        verbose_name_plural = "pendências de envio à RNDS"
        constraints = [
            models.UniqueConstraint(fields=["municipio", "objeto_tipo", "objeto_id"], name="pendencia_rnds_registro")
        ]
        indexes = [
            models.Index(
                fields=["municipio", "criada_em"],
                name="pendencia_rnds_aberta",
                condition=models.Q(resolvida_em__isnull=True),
            ),
        ]

    ROTULOS = {"prontuario.atendimento": "Atendimento individual (RAC)", "prontuario.vacinacao": "Vacinação (RIA-R)"}

    def __str__(self) -> str:
        return f"{self.objeto_tipo} {self.objeto_id}: {self.motivo}"

    @property
    def registro(self) -> str:
        return self.ROTULOS.get(self.objeto_tipo, self.objeto_tipo)
