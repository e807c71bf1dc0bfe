"""Vaccination: the official rule table and the doses given."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q

from pec.models import Estabelecimento, Lotacao
from pec.tenancy import TenantModel
from prontuario.cadastro.models import Cidadao


class RegraVacinacao(models.Model):
    """A permitted (imunobiológico, estratégia, dose) for a current application
    (LEDI regras/validar_regras_vacinacao.txt). Anything else only as a transcription."""

    imunobiologico = models.CharField(max_length=6)
    estrategia = models.CharField(max_length=6, help_text="código RNDS")
    dose = models.CharField(max_length=6)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["imunobiologico", "estrategia", "dose"], name="regra_vacinacao_unica")
        ]


# --- Vacinação -------------------------------------------------------------------------------


class Vacinacao(TenantModel):
    """One dose. Origin matters: a PEC-typed dose may be corrected or deleted (soft) only by
    authorised perfis, with audit; CDS and imported doses are read-only here."""

    class Origem(models.TextChoices):
        PEC = "pec", "Registrada no PEC"
        CDS = "cds", "Ficha CDS"
        IMPORTADO = "importado", "Importada"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    cidadao = models.ForeignKey(Cidadao, on_delete=models.PROTECT, related_name="vacinacoes")
    lotacao = models.ForeignKey(Lotacao, on_delete=models.PROTECT, related_name="+")
    estabelecimento = models.ForeignKey(Estabelecimento, on_delete=models.PROTECT, related_name="+")
    origem = models.CharField(max_length=10, choices=Origem.choices, default=Origem.PEC)
    registro_anterior = models.BooleanField("transcrição de caderneta", default=False)
    data_aplicacao = models.DateField("data de aplicação")
    imunobiologico = models.CharField(max_length=6)
    estrategia = models.CharField("estratégia (código RNDS)", max_length=6)
    dose = models.CharField(max_length=6)
    lote = models.CharField(max_length=30, blank=True)
    fabricante = models.CharField(max_length=6, blank=True)
    via = models.CharField("via de administração", max_length=8, blank=True)
    local_aplicacao = models.CharField("local de aplicação", max_length=4, blank=True)
    grupo_atendimento = models.CharField("grupo de atendimento", max_length=8, blank=True)
    condicao_maternal = models.CharField("condição maternal", max_length=2, blank=True)
    # LEDI comunicanteHanseniase / RNDS BRContatoHanseniase: only for BCG (15), and then
    # required; None for every other imunobiológico.
    comunicante_hanseniase = models.BooleanField("comunicante de hanseníase", null=True, blank=True)
    # LEDI cid10MotivoIndicacao / RNDS reasonReference (BRCID10Avaliado): required with the
    # "Especial" strategy (2), empty otherwise.
    cid10_motivo_indicacao = models.CharField("CID-10 do motivo da indicação", max_length=6, blank=True)
    registrado_em = models.DateTimeField()
    versao = models.PositiveIntegerField("versão", default=1)
    substitui = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="substituida_por"
    )
    excluida_em = models.DateTimeField(null=True, blank=True)
    excluida_por = models.ForeignKey(Lotacao, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    motivo_exclusao = models.CharField("motivo", max_length=200, blank=True)
    # A CDS dose: the uuid of the received LEDI ficha it came from (sisab.recebimento), so a
    # later ficha that cancels that one (uuidFichaCancelada) can take it out again.
    ficha_origem = models.CharField("ficha LEDI de origem", max_length=44, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["municipio", "cidadao", "data_aplicacao"], name="vacinacao_cidadao"),
            models.Index(
                fields=["municipio", "ficha_origem"], condition=~Q(ficha_origem=""), name="vacinacao_ficha_origem"
            ),
        ]
        ordering = ["-data_aplicacao", "-registrado_em"]
