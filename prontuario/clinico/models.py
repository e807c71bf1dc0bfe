"""Clinical care: escuta inicial, atendimento SOAP, problem list, allergies, prescriptions, exams, atestados, referrals.

Everything about a citizen is a TenantModel with row-level security.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q

from pec.models import Estabelecimento, Lotacao
from pec.tenancy import TenantModel
from prontuario import ledi
from prontuario.agenda.models import EntradaLista
from prontuario.cadastro.models import Cidadao

# --- Measurements ----------------------------------------------------------------------------

GLICEMIA_MOMENTO = [(0, "Jejum"), (1, "Pós-prandial"), (2, "Pré-prandial"), (3, "Não especificado")]


class Medicao(TenantModel):
    """Vital signs and anthropometry taken in an escuta inicial or an atendimento."""

    cidadao = models.ForeignKey(Cidadao, on_delete=models.PROTECT, related_name="medicoes")
    lotacao = models.ForeignKey(Lotacao, on_delete=models.PROTECT, related_name="+")
    em = models.DateTimeField()
    pressao_sistolica = models.PositiveSmallIntegerField("PA sistólica (mmHg)", null=True, blank=True)
    pressao_diastolica = models.PositiveSmallIntegerField("PA diastólica (mmHg)", null=True, blank=True)
    frequencia_cardiaca = models.PositiveSmallIntegerField("FC (bpm)", null=True, blank=True)
    frequencia_respiratoria = models.PositiveSmallIntegerField("FR (irpm)", null=True, blank=True)
    temperatura = models.DecimalField("temperatura (°C)", max_digits=3, decimal_places=1, null=True, blank=True)
    saturacao_o2 = models.PositiveSmallIntegerField("SpO2 (%)", null=True, blank=True)
    peso = models.DecimalField("peso (kg)", max_digits=6, decimal_places=3, null=True, blank=True)
    altura = models.DecimalField("altura (cm)", max_digits=4, decimal_places=1, null=True, blank=True)
    imc = models.DecimalField("IMC (kg/m²)", max_digits=5, decimal_places=2, null=True, blank=True, editable=False)
    glicemia = models.PositiveSmallIntegerField("glicemia capilar (mg/dL)", null=True, blank=True)
    glicemia_momento = models.PositiveSmallIntegerField(
        "momento da coleta", choices=GLICEMIA_MOMENTO, null=True, blank=True
    )

    class Meta:
        indexes = [models.Index(fields=["municipio", "cidadao", "em"], name="medicao_cidadao_em")]
        ordering = ["-em"]


# --- Escuta inicial --------------------------------------------------------------------------


class EscutaInicial(TenantModel):
    class Desfecho(models.TextChoices):
        ATENDIMENTO = "atendimento", "Encaminhar para atendimento"
        LIBERADO = "liberado", "Liberar o cidadão"
        AGENDADO = "agendado", "Agendar consulta"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    entrada = models.OneToOneField(EntradaLista, on_delete=models.PROTECT, related_name="escuta")
    cidadao = models.ForeignKey(Cidadao, on_delete=models.PROTECT, related_name="escutas")
    lotacao = models.ForeignKey(Lotacao, on_delete=models.PROTECT, related_name="+")
    estabelecimento = models.ForeignKey(Estabelecimento, on_delete=models.PROTECT, related_name="+")
    motivo_ciap = models.CharField("motivo da consulta (CIAP2)", max_length=6)
    descricao = models.TextField("descrição", blank=True)
    medicao = models.OneToOneField(Medicao, on_delete=models.PROTECT, null=True, blank=True, related_name="escuta")
    classificacao_risco = models.PositiveSmallIntegerField(
        "classificação de risco/vulnerabilidade", choices=ledi.CLASSIFICACAO_RISCO
    )
    desfecho = models.CharField(max_length=12, choices=Desfecho.choices)
    finalizada_em = models.DateTimeField()

    class Meta:
        verbose_name = "escuta inicial"
        verbose_name_plural = "escutas iniciais"


# --- Atendimento individual (SOAP) -----------------------------------------------------------

TIPO_ATENDIMENTO = [
    (1, "Consulta agendada programada / Cuidado continuado"),
    (2, "Consulta agendada"),
    (5, "Consulta no dia"),
    (6, "Atendimento de urgência"),
]

CONDUTA = [
    (1, "Retorno para consulta agendada"),
    (2, "Retorno para cuidado continuado / programado"),
    (12, "Agendamento para grupos"),
    (14, "Agendamento para eMulti"),
    (9, "Alta do episódio"),
    (11, "Encaminhamento interno no dia"),
    (4, "Encaminhamento para serviço especializado"),
    (5, "Encaminhamento para CAPS"),
    (6, "Encaminhamento para internação hospitalar"),
    (7, "Encaminhamento para urgência"),
    (8, "Encaminhamento para serviço de atenção domiciliar"),
    (10, "Encaminhamento intersetorial"),
]


class Atendimento(TenantModel):
    """An atendimento individual. While a draft, what was typed lives in `rascunho` (the
    whole form, saved every few seconds); finalising validates it and writes the rows
    below, then nothing here changes again: corrections are Adendo rows."""

    class Status(models.TextChoices):
        RASCUNHO = "rascunho", "Em andamento"
        FINALIZADO = "finalizado", "Finalizado"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    cidadao = models.ForeignKey(Cidadao, on_delete=models.PROTECT, related_name="atendimentos")
    lotacao = models.ForeignKey(Lotacao, on_delete=models.PROTECT, related_name="+")
    estabelecimento = models.ForeignKey(Estabelecimento, on_delete=models.PROTECT, related_name="+")
    entrada = models.ForeignKey(
        EntradaLista, on_delete=models.PROTECT, null=True, blank=True, related_name="atendimentos"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RASCUNHO)
    # Optimistic concurrency: every save says which version it edited; an older one is refused.
    versao = models.PositiveIntegerField("versão", default=1)
    rascunho = models.JSONField(default=dict, blank=True)
    salvo_por = models.ForeignKey(Lotacao, on_delete=models.PROTECT, related_name="+")
    salvo_em = models.DateTimeField()
    iniciado_em = models.DateTimeField()
    finalizado_em = models.DateTimeField(null=True, blank=True)

    tipo_atendimento = models.PositiveSmallIntegerField("tipo de atendimento", choices=TIPO_ATENDIMENTO, null=True)
    subjetivo = models.TextField(blank=True)
    subjetivo_ciap = models.CharField("motivo (CIAP2)", max_length=6, blank=True)
    objetivo = models.TextField(blank=True)
    avaliacao = models.TextField("avaliação", blank=True)
    plano = models.TextField(blank=True)
    orientacoes = models.TextField("orientações", blank=True)
    condutas = models.JSONField(default=list, blank=True)
    medicao = models.OneToOneField(Medicao, on_delete=models.PROTECT, null=True, blank=True, related_name="atendimento")

    class Meta:
        indexes = [models.Index(fields=["municipio", "cidadao", "finalizado_em"], name="atendimento_cidadao")]


class Adendo(TenantModel):
    """A correction or complement to a finalised atendimento; the original never changes."""

    atendimento = models.ForeignKey(Atendimento, on_delete=models.PROTECT, related_name="adendos")
    lotacao = models.ForeignKey(Lotacao, on_delete=models.PROTECT, related_name="+")
    em = models.DateTimeField(auto_now_add=True)
    texto = models.TextField()

    class Meta:
        ordering = ["em"]


class Problema(TenantModel):
    """The citizen's problem list: one row per problem/condition, updated by atendimentos."""

    class Situacao(models.IntegerChoices):
        ATIVO = 0, "Ativo"
        LATENTE = 1, "Latente"
        RESOLVIDO = 2, "Resolvido"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    cidadao = models.ForeignKey(Cidadao, on_delete=models.PROTECT, related_name="problemas")
    ciap = models.CharField("CIAP2", max_length=6, blank=True)
    cid10 = models.CharField("CID-10", max_length=6, blank=True)
    descricao = models.CharField("descrição", max_length=300)
    situacao = models.PositiveSmallIntegerField("situação", choices=Situacao.choices)
    inicio = models.DateField("início", null=True, blank=True)
    fim = models.DateField(null=True, blank=True)
    evolucoes = models.PositiveIntegerField(default=0)
    lotacao = models.ForeignKey(Lotacao, on_delete=models.PROTECT, related_name="+")
    atualizado_em = models.DateTimeField()

    class Meta:
        ordering = ["situacao", "-atualizado_em"]


class ProblemaAvaliado(TenantModel):
    """A problem/condition assessed in one atendimento (LEDI FAI problemasCondicoes)."""

    uuid_evolucao = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    atendimento = models.ForeignKey(Atendimento, on_delete=models.PROTECT, related_name="problemas_avaliados")
    problema = models.ForeignKey(Problema, on_delete=models.PROTECT, null=True, blank=True, related_name="avaliacoes")
    ciap = models.CharField("CIAP2", max_length=6, blank=True)
    cid10 = models.CharField("CID-10", max_length=6, blank=True)
    situacao = models.PositiveSmallIntegerField("situação", choices=Problema.Situacao.choices, null=True, blank=True)
    sequencial = models.PositiveIntegerField(null=True, blank=True)


class Alergia(TenantModel):
    class Categoria(models.TextChoices):
        MEDICAMENTO = "medicamento", "Medicamento"
        ALIMENTO = "alimento", "Alimento"
        AMBIENTE = "ambiente", "Ambiente"
        OUTRO = "outro", "Outro"

    class Criticidade(models.TextChoices):
        BAIXA = "baixa", "Baixa"
        ALTA = "alta", "Alta"
        DESCONHECIDA = "desconhecida", "Não avaliada"

    cidadao = models.ForeignKey(Cidadao, on_delete=models.PROTECT, related_name="alergias")
    agente = models.CharField(max_length=200)
    categoria = models.CharField(max_length=12, choices=Categoria.choices)
    criticidade = models.CharField(max_length=12, choices=Criticidade.choices, default=Criticidade.DESCONHECIDA)
    atendimento = models.ForeignKey(Atendimento, on_delete=models.PROTECT, related_name="alergias")
    lotacao = models.ForeignKey(Lotacao, on_delete=models.PROTECT, related_name="+")
    em = models.DateTimeField()


# LEDI dicionario.txt, viaAdministracao (medicamentos da FAI)
VIA_MEDICAMENTO = [
    (0, "Oral"),
    (1, "Parenteral"),
    (2, "Local"),
    (3, "Outros"),
    (4, "Bucal"),
    (5, "Capilar"),
    (6, "Dermatológica"),
    (7, "Epidural"),
    (8, "Inalatória"),
    (9, "Inalatória por via nasal"),
    (10, "Inalatória por via oral"),
    (11, "Intra-arterial"),
    (12, "Intra-articular"),
    (13, "Intradérmica"),
    (14, "Intramuscular"),
    (15, "Intratecal"),
    (16, "Intrauterina"),
    (17, "Intravenosa"),
    (18, "Irrigação"),
    (19, "Nasal"),
    (20, "Oftálmica"),
    (21, "Otológica"),
    (22, "Retal"),
    (23, "Subcutânea"),
    (24, "Sublingual"),
    (25, "Transdérmica"),
    (26, "Uretral"),
    (27, "Vaginal"),
]


class Prescricao(TenantModel):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    atendimento = models.ForeignKey(Atendimento, on_delete=models.PROTECT, related_name="prescricoes")
    cidadao = models.ForeignKey(Cidadao, on_delete=models.PROTECT, related_name="prescricoes")
    catmat = models.CharField("CATMAT", max_length=12, blank=True)
    medicamento = models.CharField(max_length=300)
    dose = models.CharField(max_length=60)
    via = models.PositiveSmallIntegerField("via de administração", choices=VIA_MEDICAMENTO)
    posologia = models.CharField(max_length=200)
    duracao_dias = models.PositiveSmallIntegerField("duração (dias)", null=True, blank=True)
    uso_continuo = models.BooleanField("uso contínuo", default=False)
    quantidade = models.CharField(max_length=60, blank=True)
    inicio = models.DateField("início")


class ExameSolicitado(TenantModel):
    atendimento = models.ForeignKey(Atendimento, on_delete=models.PROTECT, related_name="exames")
    sigtap = models.CharField("SIGTAP", max_length=10)
    descricao = models.CharField("descrição", max_length=300)
    justificativa = models.CharField(max_length=300, blank=True)


class Atestado(TenantModel):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    atendimento = models.OneToOneField(Atendimento, on_delete=models.PROTECT, related_name="atestado")
    dias = models.PositiveSmallIntegerField("dias de afastamento")
    cid10 = models.CharField("CID-10 (com autorização do paciente)", max_length=6, blank=True)
    texto = models.TextField(blank=True)


class Encaminhamento(TenantModel):
    atendimento = models.ForeignKey(Atendimento, on_delete=models.PROTECT, related_name="encaminhamentos")
    especialidade = models.CharField(max_length=120)
    cid10 = models.CharField("hipótese (CID-10)", max_length=6, blank=True)
    ciap = models.CharField("hipótese (CIAP2)", max_length=6, blank=True)
    motivo = models.TextField(blank=True)

    class Meta:
        constraints = [
            # LEDI: hipoteseDiagnosticoCid10 xor hipoteseDiagnosticoCIAP2
            models.CheckConstraint(
                condition=(Q(cid10="") & ~Q(ciap="")) | (~Q(cid10="") & Q(ciap="")), name="encaminhamento_cid_xor_ciap"
            )
        ]
