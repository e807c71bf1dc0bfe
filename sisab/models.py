from __future__ import annotations

import uuid

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone

from cds.models import Imovel
from pec.models import Lotacao, Usuario
from pec.tenancy import TenantModel
from prontuario.models import Cidadao


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
    """A zip of fichas imported from a local server or another system. One uploaded on the
    admin page is imported by a worker (sisab.tasks.sisab_lote_importar): the page shows
    its status until the worker is done."""

    class Status(models.TextChoices):
        NA_FILA = "na_fila", "Na fila"
        EM_ANDAMENTO = "andamento", "Em andamento"
        CONCLUIDO = "concluido", "Concluído"
        FALHOU = "falhou", "Não importado"

    arquivo = models.CharField(max_length=255)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CONCLUIDO)
    mensagem = models.TextField(blank=True, help_text="why a queued lote could not be imported")
    # The stored upload (sisab.recebimento.lote_enfileirar) until the worker has read it.
    token = models.CharField(max_length=32, blank=True)
    sha256 = models.CharField(max_length=64)
    total = models.PositiveIntegerField(default=0)
    aceitas = models.PositiveIntegerField(default=0)
    repetidas = models.PositiveIntegerField(default=0)
    recusas = models.JSONField(default=list, help_text="[{arquivo, motivo}]")
    importado_por = models.ForeignKey(Usuario, on_delete=models.PROTECT, null=True, related_name="+")
    importado_em = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-importado_em"]

    @property
    def em_curso(self) -> bool:
        return self.status in (self.Status.NA_FILA, self.Status.EM_ANDAMENTO)


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
    # What it put in the municipality's records (vaccination fichas: the doses), and what it
    # could not, each in a sentence for the admin (sisab.inclusao).
    doses_incluidas = models.PositiveSmallIntegerField(default=0)
    pendencias = models.JSONField(default=list)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["municipio", "uuid"], name="ficha_recebida_uuid_unico")]
        indexes = [models.Index(fields=["municipio", "tipo", "recebida_em"], name="ficha_recebida_tipo")]


class CadastroRecebido(TenantModel):
    """The record a received Cadastro Individual (tipo 2) or Domiciliar (tipo 3) placed,
    under the uuidFichaOriginadora the originating installation gave it: its later fichas
    (updates, with a new uuid and the same originadora) find the same record here, and
    `vigente_em` tells whether one is newer than what we hold (sisab.cadastros_recebidos)."""

    tipo = models.PositiveSmallIntegerField()
    uuid_originadora = models.CharField(max_length=44)
    instalacao_origem = models.CharField(max_length=200)
    cidadao = models.ForeignKey(Cidadao, on_delete=models.PROTECT, null=True, related_name="+")
    imovel = models.ForeignKey(Imovel, on_delete=models.PROTECT, null=True, related_name="+")
    ficha = models.ForeignKey(FichaRecebida, on_delete=models.PROTECT, related_name="+", help_text="the last applied")
    # dataAtendimento of the last applied ficha (or the time of a newer local change it did
    # not overwrite); `gravado_em`: the record's atualizado_em once applied, so a change
    # typed here since then is seen.
    vigente_em = models.DateTimeField()
    gravado_em = models.DateTimeField()
    # The record's `versao` this ficha wrote (0: it only linked a newer record of ours).
    # While that version is current, the record's ficha is the received one, forwarded as
    # it came: the export (sisab.fichas) makes none of its own.
    versao = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["municipio", "tipo", "uuid_originadora"], name="cadastro_recebido_unico")
        ]
        indexes = [
            models.Index(fields=["municipio", "cidadao"], name="cadastro_recebido_cidadao"),
            models.Index(fields=["municipio", "imovel"], name="cadastro_recebido_imovel"),
        ]


# --- Sending (LEDI export to the centralizers) ---------------------------------------------


class InstalacaoSisab(TenantModel):
    """The municipality's identity in every LEDI envelope (`remetente`/`originadora`) and
    its transmission settings. Without it nothing is sent: the contra-chave is what the
    centralizer uses to recognise the installation."""

    contra_chave = models.CharField("contra-chave", max_length=200)
    uuid_instalacao = models.UUIDField("UUID da instalação", default=uuid.uuid4, editable=False)
    responsavel_documento = models.CharField("CPF ou CNPJ do responsável", max_length=14)
    responsavel_nome = models.CharField("nome ou razão social do responsável", max_length=150)
    fone = models.CharField(
        "telefone",
        max_length=11,
        blank=True,
        validators=[RegexValidator(r"^\d{10,11}$", "Informe DDD e número, 10 ou 11 dígitos.")],
    )
    email = models.EmailField("e-mail", blank=True)
    # Night window, in local hours: transmission starts at `janela_inicio` and is not
    # started after `janela_fim` (a window may cross midnight, e.g. 22 → 5).
    janela_inicio = models.PositiveSmallIntegerField(
        "início da janela de envio (hora)", default=22, validators=[MaxValueValidator(23)]
    )
    janela_fim = models.PositiveSmallIntegerField(
        "fim da janela de envio (hora)", default=5, validators=[MaxValueValidator(23)]
    )
    prazo_dia = models.PositiveSmallIntegerField(
        "dia do mês seguinte em que a competência fecha",
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
    )
    atualizado_em = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["municipio"], name="instalacao_sisab_unica")]
        verbose_name = "instalação (envio ao SISAB)"


class DestinoSisab(TenantModel):
    """Where the municipality's fichas go: a PEC receiving API (Centralizador Nacional, a
    state centralizer) or a folder where a zip is written for offline transport."""

    class Tipo(models.TextChoices):
        HTTP = "http", "Servidor com a API de recebimento do PEC"
        PASTA = "pasta", "Pasta (arquivo zip para transporte)"

    nome = models.CharField(max_length=120)
    tipo = models.CharField(max_length=6, choices=Tipo.choices)
    url = models.URLField("endereço base", blank=True, help_text="Ex.: https://pec.estado.gov.br")
    usuario = models.CharField("usuário", max_length=120, blank=True)
    # pec.cripto, bound to this row: "sisab-destino:<id>:senha".
    senha_cifrada = models.TextField(blank=True)
    pasta = models.CharField(max_length=500, blank=True)
    ativo = models.BooleanField(default=True)
    criado_em = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["nome"]
        verbose_name = "destino do envio ao SISAB"

    def __str__(self) -> str:
        return self.nome


class FichaSisab(TenantModel):
    """A LEDI ficha made from one of our records (sisab.fichas), with the outcome of the
    rules (sisab.regras). An invalid ficha is kept, with its reasons, until whoever can
    fix the record does; it is rebuilt on every run while it has never been sent."""

    class Status(models.TextChoices):
        VALIDA = "valida", "Válida"
        INVALIDA = "invalida", "Inválida"

    tipo = models.PositiveSmallIntegerField()
    uuid = models.CharField(max_length=44)
    origem = models.CharField(max_length=20, help_text="cidadao, atendimento, escuta, vacinacao")
    origem_id = models.BigIntegerField()
    origem_versao = models.PositiveIntegerField(default=1)
    uuid_originadora = models.CharField(max_length=44, blank=True)
    lotacao = models.ForeignKey(Lotacao, on_delete=models.PROTECT, related_name="+")
    cnes = models.CharField(max_length=7)
    ine = models.CharField(max_length=10, blank=True)
    data_atendimento = models.DateTimeField()
    competencia = models.DateField(help_text="primeiro dia do mês")
    dados = models.JSONField()
    status = models.CharField(max_length=8, choices=Status.choices)
    erros = models.JSONField(default=list, blank=True)
    criada_em = models.DateTimeField(auto_now_add=True)
    verificada_em = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["municipio", "uuid"], name="ficha_sisab_uuid_unico"),
            models.UniqueConstraint(
                fields=["municipio", "origem", "origem_id", "origem_versao"], name="ficha_sisab_origem_unica"
            ),
        ]
        indexes = [models.Index(fields=["municipio", "competencia", "status"], name="ficha_sisab_competencia")]


class EntregaSisab(TenantModel):
    """What is owed to one destination for one ficha. Once `enviado`, never sent again to
    that destination: a correction is a new ficha with a new uuid."""

    class Status(models.TextChoices):
        PENDENTE = "pendente", "Pendente"
        ENVIADO = "enviado", "Enviado"
        ERRO = "erro", "Recusado (requer ação)"

    ficha = models.ForeignKey(FichaSisab, on_delete=models.PROTECT, related_name="entregas")
    destino = models.ForeignKey(DestinoSisab, on_delete=models.PROTECT, related_name="entregas")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDENTE)
    tentativas = models.PositiveSmallIntegerField(default=0)
    proxima_tentativa = models.DateTimeField(default=timezone.now)
    ultimo_erro = models.TextField(blank=True)
    uuid_enviado = models.CharField(max_length=44, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    enviado_em = models.DateTimeField(null=True, blank=True)
    criado_em = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ficha", "destino"], name="entrega_sisab_unica")]
        indexes = [
            models.Index(
                fields=["municipio", "destino", "proxima_tentativa"],
                name="entrega_sisab_pendente",
                condition=models.Q(status="pendente"),
            ),
        ]
