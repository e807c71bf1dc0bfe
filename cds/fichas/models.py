"""The CDS fichas (Coleta de Dados Simplificada) that have no record elsewhere: the paper
fichas a team fills in the territory or in a group activity, typed later at the UBS, and
(later) the same fichas received from another system.

One record fits every LEDI ficha type: a header (who is credited, the day, the turno where
the ficha has one) and its rows, one per visit, participant or citizen. Each row keeps its
content as the LEDI child dict, with the official field names sisab.ledi serialises, so
the export adds only the header and nothing is translated twice; the citizen the row names
(by CNS or CPF) is linked when the municipality has them, for the citizen's history.

A ficha is never edited in place: LEDI 7.2.2 gives the visit and activity fichas no
update, so an edit is a new version (a new uuid, the first version's uuid kept as
`uuid_originadora`) and the old one is cancelled, `substituida_por` the new one.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from cds.fichas import ledi
from pec.models import Lotacao, Usuario
from pec.tenancy import TenantModel
from prontuario.models import Cidadao


class FichaCds(TenantModel):
    class Origem(models.TextChoices):
        DIGITADA = "digitada", "Digitada"
        RECEBIDA = "recebida", "Recebida"

    tipo = models.PositiveSmallIntegerField("tipo de ficha", choices=list(ledi.TIPOS_DIGITAVEIS.items()))
    lotacao = models.ForeignKey(Lotacao, on_delete=models.PROTECT, related_name="+", verbose_name="profissional")
    data_atendimento = models.DateField("data do atendimento")
    turno = models.PositiveSmallIntegerField(choices=ledi.TURNO, null=True, blank=True)
    uuid = models.UUIDField(default=uuid.uuid4, editable=False)
    uuid_originadora = models.UUIDField(help_text="the uuid of the ficha's first version")
    versao = models.PositiveIntegerField(default=1)
    origem = models.CharField(max_length=8, choices=Origem.choices, default=Origem.DIGITADA)
    # The header's own LEDI fields of the type (the activity of a FAC), by official name.
    dados = models.JSONField(default=dict, blank=True)
    digitada_por = models.ForeignKey(Usuario, on_delete=models.PROTECT, null=True, related_name="+")
    digitada_em = models.DateTimeField(default=timezone.now)
    cancelada_em = models.DateTimeField(null=True, blank=True)
    cancelada_por = models.ForeignKey(Usuario, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    substituida_por = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="substitui"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["municipio", "uuid"], name="ficha_cds_uuid_unico")]
        indexes = [models.Index(fields=["municipio", "data_atendimento"], name="ficha_cds_data")]
        verbose_name = "ficha CDS"
        verbose_name_plural = "fichas CDS"

    def __str__(self) -> str:
        return f"{self.get_tipo_display()} de {self.data_atendimento:%d/%m/%Y}"

    @property
    def cancelada(self) -> bool:
        return self.cancelada_em is not None


class FichaCdsLinha(TenantModel):
    """One row of the paper ficha (a visit, a participant), as its LEDI child dict."""

    ficha = models.ForeignKey(FichaCds, on_delete=models.CASCADE, related_name="linhas")
    ordem = models.PositiveSmallIntegerField()
    dados = models.JSONField()
    cidadao = models.ForeignKey(Cidadao, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["ordem"]
        constraints = [models.UniqueConstraint(fields=["ficha", "ordem"], name="ficha_cds_linha_ordem")]
