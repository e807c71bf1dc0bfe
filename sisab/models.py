from __future__ import annotations

from django.db import models

from pec.models import Usuario
from pec.tenancy import TenantModel


class CredencialRecebimento(TenantModel):
    """A login for a system that sends LEDI fichas to this municipality through the
    PEC-compatible API. The password is shown once and only its hash is kept."""

    nome = models.CharField("nome da credencial", max_length=120)
    responsavel = models.CharField("responsável", max_length=150)
    documento = models.CharField("CPF ou CNPJ do responsável", max_length=14)
    email = models.EmailField("e-mail")
    usuario = models.CharField(max_length=40, unique=True)
    senha_hash = models.CharField(max_length=200)
    ativo = models.BooleanField(default=True)
    criado_por = models.ForeignKey(Usuario, on_delete=models.PROTECT, related_name="+")
    criado_em = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["nome"]
        verbose_name = "credencial de recebimento"
        verbose_name_plural = "credenciais de recebimento"

    def __str__(self) -> str:
        return self.nome


class LoteRecebido(TenantModel):
    """A zip of fichas imported from a local server or another system."""

    arquivo = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    total = models.PositiveIntegerField(default=0)
    aceitas = models.PositiveIntegerField(default=0)
    repetidas = models.PositiveIntegerField(default=0)
    recusas = models.JSONField(default=list, help_text="[{arquivo, motivo}]")
    importado_por = models.ForeignKey(Usuario, on_delete=models.PROTECT, null=True, related_name="+")
    importado_em = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-importado_em"]


class FichaRecebida(TenantModel):
    """A LEDI ficha received from another installation, kept as it arrived and decoded."""

    class Formato(models.TextChoices):
        THRIFT = "thrift", "Thrift (.esus)"
        XML = "xml", "XML"

    uuid = models.CharField(max_length=44)
    tipo = models.PositiveSmallIntegerField()
    formato = models.CharField(max_length=6, choices=Formato.choices)
    cnes = models.CharField(max_length=7)
    ine = models.CharField(max_length=10, blank=True)
    conteudo = models.BinaryField()
    ficha = models.JSONField()
    remetente = models.JSONField()
    originadora = models.JSONField()
    # Who typed it: contraChave + uuidInstalacao of the originating installation.
    instalacao_origem = models.CharField(max_length=200)
    credencial = models.ForeignKey(CredencialRecebimento, on_delete=models.PROTECT, null=True, related_name="fichas")
    lote = models.ForeignKey(LoteRecebido, on_delete=models.PROTECT, null=True, related_name="fichas")
    recebida_em = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["municipio", "uuid"], name="ficha_recebida_uuid_unico")]
        indexes = [models.Index(fields=["municipio", "tipo", "recebida_em"], name="ficha_recebida_tipo")]
