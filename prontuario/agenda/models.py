"""Agendas (opening hours, blocks), bookings and the lista de atendimentos."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from pec.models import Equipe, Estabelecimento, Lotacao
from pec.tenancy import TenantModel
from prontuario import ledi
from prontuario.cadastro.models import Cidadao

# --- Agenda --------------------------------------------------------------------------------


class AgendaConfiguracao(TenantModel):
    """Slot length of a lotação's agenda."""

    lotacao = models.OneToOneField(Lotacao, on_delete=models.PROTECT, related_name="agenda_configuracao")
    duracao_minutos = models.PositiveSmallIntegerField(
        "duração de cada horário (minutos)", default=20, validators=[MinValueValidator(5), MaxValueValidator(240)]
    )

    class Meta:
        verbose_name = "configuração de agenda"


class AgendaHorario(TenantModel):
    """A weekly opening period; a day may have several (morning and afternoon)."""

    DIAS = [
        (0, "Segunda-feira"),
        (1, "Terça-feira"),
        (2, "Quarta-feira"),
        (3, "Quinta-feira"),
        (4, "Sexta-feira"),
        (5, "Sábado"),
        (6, "Domingo"),
    ]

    lotacao = models.ForeignKey(Lotacao, on_delete=models.PROTECT, related_name="agenda_horarios")
    dia_semana = models.PositiveSmallIntegerField("dia da semana", choices=DIAS)
    inicio = models.TimeField("início")
    fim = models.TimeField()

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(fim__gt=models.F("inicio")), name="agenda_horario_ordem")]
        ordering = ["dia_semana", "inicio"]
        verbose_name = "horário de atendimento"


class AgendaBloqueio(TenantModel):
    """A blocked period (reserva): meeting, home visits, leave. No booking inside it."""

    lotacao = models.ForeignKey(Lotacao, on_delete=models.PROTECT, related_name="agenda_bloqueios")
    inicio = models.DateTimeField("início")
    fim = models.DateTimeField()
    motivo = models.CharField(max_length=120)
    criado_por = models.ForeignKey(Lotacao, on_delete=models.PROTECT, related_name="+")
    criado_em = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(fim__gt=models.F("inicio")), name="agenda_bloqueio_ordem")]
        ordering = ["inicio"]
        verbose_name = "bloqueio de agenda"


class Agendamento(TenantModel):
    class Situacao(models.TextChoices):
        AGENDADO = "agendado", "Agendado"
        CHEGOU = "chegou", "Cidadão presente"
        FALTOU = "faltou", "Faltou"
        CANCELADO = "cancelado", "Cancelado"
        REMARCADO = "remarcado", "Remarcado"

    lotacao = models.ForeignKey(Lotacao, on_delete=models.PROTECT, related_name="agendamentos")
    cidadao = models.ForeignKey(Cidadao, on_delete=models.PROTECT, related_name="agendamentos")
    inicio = models.DateTimeField("início")
    fim = models.DateTimeField()
    situacao = models.CharField("situação", max_length=10, choices=Situacao.choices, default=Situacao.AGENDADO)
    observacao = models.CharField("observação", max_length=200, blank=True)
    remarcado_de = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="remarcado_para"
    )
    motivo_cancelamento = models.CharField("motivo do cancelamento", max_length=200, blank=True)
    criado_por = models.ForeignKey(Lotacao, on_delete=models.PROTECT, related_name="+")
    criado_em = models.DateTimeField(auto_now_add=True)
    alterado_em = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # The service checks overlaps under a lock; this is the database's backstop.
            models.UniqueConstraint(
                fields=["lotacao", "inicio"], condition=Q(situacao="agendado"), name="agendamento_horario_livre"
            ),
            models.CheckConstraint(condition=Q(fim__gt=models.F("inicio")), name="agendamento_ordem"),
        ]
        indexes = [models.Index(fields=["municipio", "lotacao", "inicio"], name="agendamento_agenda")]
        ordering = ["inicio"]


# --- Lista de atendimentos -----------------------------------------------------------------


class EntradaLista(TenantModel):
    """A citizen in a UBS's lista de atendimentos, from arrival to the end of the day's care."""

    class Situacao(models.TextChoices):
        AGUARDANDO = "aguardando", "Aguardando atendimento"
        EM_ESCUTA = "em_escuta", "Em escuta inicial"
        EM_ATENDIMENTO = "em_atendimento", "Em atendimento"
        ATENDIDO = "atendido", "Atendido"
        NAO_AGUARDOU = "nao_aguardou", "Não aguardou"
        CANCELADO = "cancelado", "Cancelado"

    class Tipo(models.TextChoices):
        AGENDADA = "agendada", "Consulta agendada"
        ESPONTANEA = "espontanea", "Demanda espontânea"

    estabelecimento = models.ForeignKey(Estabelecimento, on_delete=models.PROTECT, related_name="lista_atendimentos")
    cidadao = models.ForeignKey(Cidadao, on_delete=models.PROTECT, related_name="entradas_lista")
    agendamento = models.OneToOneField(
        Agendamento, on_delete=models.PROTECT, null=True, blank=True, related_name="entrada_lista"
    )
    tipo = models.CharField(max_length=10, choices=Tipo.choices)
    profissional = models.ForeignKey(
        Lotacao,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lista_atendimentos",
        verbose_name="profissional",
    )
    equipe = models.ForeignKey(Equipe, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    situacao = models.CharField("situação", max_length=14, choices=Situacao.choices, default=Situacao.AGUARDANDO)
    classificacao_risco = models.PositiveSmallIntegerField(
        "classificação de risco", choices=ledi.CLASSIFICACAO_RISCO, null=True, blank=True
    )
    # Order key: risk class first (emergência=0 .. eletivo=3), unclassified (4) last.
    prioridade = models.PositiveSmallIntegerField(default=4, editable=False)
    chegada_em = models.DateTimeField("chegada")
    escuta_em = models.DateTimeField("início da escuta inicial", null=True, blank=True)
    atendimento_em = models.DateTimeField("início do atendimento", null=True, blank=True)
    atendido_em = models.DateTimeField(null=True, blank=True)
    nao_aguardou_em = models.DateTimeField(null=True, blank=True)
    cancelado_em = models.DateTimeField(null=True, blank=True)
    historico = models.JSONField(default=list, help_text="[{situacao, em, lotacao_id}]")
    criado_por = models.ForeignKey(Lotacao, on_delete=models.PROTECT, related_name="+")

    class Meta:
        indexes = [
            models.Index(fields=["municipio", "estabelecimento", "chegada_em"], name="lista_ubs_dia"),
        ]
        verbose_name = "cidadão na lista de atendimentos"
        verbose_name_plural = "lista de atendimentos"
