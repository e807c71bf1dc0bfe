from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone

from pec.documentos import validar_cns, validar_cpf
from pec.tenancy import TenantModel

ibge_validator = RegexValidator(r"^\d{7}$", "O código IBGE tem 7 dígitos.")


class Municipio(models.Model):
    """A tenant. Installation-level table: not under row-level security."""

    # What the installation administrator may change (form and service, audited).
    CAMPOS_EDITAVEIS = (
        "nome",
        "modo",
        "ativo",
        "sessao_ociosa_minutos",
        "sessao_maxima_horas",
        "exigir_mfa_admin",
        "govbr_nivel_minimo",
    )

    class Modo(models.TextChoices):
        PRODUCAO = "producao", "Produção"
        TREINAMENTO = "treinamento", "Treinamento"

    ibge = models.CharField("código IBGE", max_length=7, unique=True, validators=[ibge_validator])
    nome = models.CharField(max_length=120)
    uf = models.CharField("UF", max_length=2)
    modo = models.CharField(max_length=12, choices=Modo.choices, default=Modo.PRODUCAO)
    ativo = models.BooleanField(default=True)
    criado_em = models.DateTimeField(auto_now_add=True)
    # Session limits of the professionals while a lotação of this municipality is active
    # (enforced by pec.identity.sessao.SessionTimeoutMiddleware).
    sessao_ociosa_minutos = models.PositiveIntegerField(
        "encerrar a sessão após inatividade de (minutos)",
        default=30,
        validators=[MinValueValidator(5), MaxValueValidator(480)],
    )
    sessao_maxima_horas = models.PositiveIntegerField(
        "duração máxima da sessão (horas)", default=12, validators=[MinValueValidator(1), MaxValueValidator(24)]
    )
    exigir_mfa_admin = models.BooleanField(
        "exigir verificação em duas etapas dos administradores municipais", default=True
    )
    # Checked when a professional enters with gov.br (pec.identity.govbr): a lower account level
    # cannot use this municipality's lotações. Empty: any level.
    govbr_nivel_minimo = models.CharField(
        "nível mínimo da conta gov.br",
        max_length=6,
        blank=True,
        choices=[("", "Qualquer nível"), ("bronze", "Bronze"), ("prata", "Prata"), ("ouro", "Ouro")],
        default="",
        help_text="Vale para a entrada com gov.br. Prata ou ouro são exigidos por serviços como o SUS Digital Profissional.",
    )

    class Meta:
        ordering = ["uf", "nome"]
        verbose_name = "município"

    def __str__(self) -> str:
        return f"{self.nome}/{self.uf}"

    @property
    def em_treinamento(self) -> bool:
        """Training municipalities have every feature but never transmit anything."""
        return self.modo == self.Modo.TREINAMENTO


class UsuarioManager(BaseUserManager["Usuario"]):
    def create_user(self, cpf: str, password: str | None = None, **fields: object) -> Usuario:
        user = self.model(cpf=cpf, **fields)
        user.set_password(password) if password else user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, cpf: str, password: str | None = None, **fields: object) -> Usuario:
        return self.create_user(cpf, password, administrador_instalacao=True, **fields)


class Usuario(AbstractBaseUser):
    """A person who logs in, by CPF. Installation-level: one person may hold lotações in
    several municipalities; what they may do comes from the active lotação."""

    cpf = models.CharField("CPF", max_length=11, unique=True, validators=[validar_cpf])
    nome = models.CharField(max_length=150)
    email = models.EmailField("e-mail", blank=True)
    is_active = models.BooleanField("ativo", default=True)
    administrador_instalacao = models.BooleanField("administrador da instalação", default=False)
    criado_em = models.DateTimeField(auto_now_add=True)

    USERNAME_FIELD = "cpf"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["nome"]

    objects = UsuarioManager()

    class Meta:
        verbose_name = "usuário"

    def __str__(self) -> str:
        return self.nome or self.cpf

    def get_full_name(self) -> str:
        return self.nome

    def get_short_name(self) -> str:
        return self.nome.split(" ")[0] if self.nome else self.cpf


class Estabelecimento(TenantModel):
    """A health establishment (UBS and others), identified by its CNES."""

    cnes = models.CharField("CNES", max_length=7, validators=[RegexValidator(r"^\d{7}$", "O CNES tem 7 dígitos.")])
    nome = models.CharField(max_length=200)
    tipo = models.CharField("tipo de unidade", max_length=4, blank=True)
    cnpj = models.CharField("CNPJ", max_length=14, blank=True)
    logradouro = models.CharField(max_length=200, blank=True)
    numero = models.CharField("número", max_length=20, blank=True)
    bairro = models.CharField(max_length=100, blank=True)
    cep = models.CharField("CEP", max_length=8, blank=True)
    telefone = models.CharField(max_length=30, blank=True)
    ativo = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["municipio", "cnes"], name="estabelecimento_cnes_unico")]
        ordering = ["nome"]

    def __str__(self) -> str:
        return f"{self.nome} ({self.cnes})"


class Equipe(TenantModel):
    """A team (INE), e.g. ESF type 70, ESB 71, eMulti 72."""

    ine = models.CharField("INE", max_length=10, validators=[RegexValidator(r"^\d{10}$", "O INE tem 10 dígitos.")])
    nome = models.CharField(max_length=200)
    tipo_codigo = models.CharField("código do tipo", max_length=4)
    tipo_nome = models.CharField("tipo", max_length=120, blank=True)
    area = models.CharField("área", max_length=10, blank=True)
    estabelecimento = models.ForeignKey(Estabelecimento, on_delete=models.PROTECT, related_name="equipes")
    ativo = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["municipio", "ine"], name="equipe_ine_unico")]
        ordering = ["nome"]

    def __str__(self) -> str:
        return f"{self.nome} ({self.ine})"


class Profissional(TenantModel):
    """A professional as registered in this municipality's CNES."""

    usuario = models.ForeignKey(Usuario, on_delete=models.PROTECT, related_name="profissionais")
    cpf = models.CharField("CPF", max_length=11, validators=[validar_cpf])
    cns = models.CharField("CNS", max_length=15, blank=True, validators=[validar_cns])
    nome = models.CharField(max_length=150)
    conselho = models.CharField("conselho de classe", max_length=12, blank=True)
    registro_conselho = models.CharField("número no conselho", max_length=20, blank=True)
    uf_conselho = models.CharField("UF do conselho", max_length=2, blank=True)
    email = models.EmailField("e-mail", blank=True)
    telefone = models.CharField(max_length=30, blank=True)
    ativo = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["municipio", "cpf"], name="profissional_cpf_unico")]
        ordering = ["nome"]
        verbose_name_plural = "profissionais"

    def __str__(self) -> str:
        return self.nome


class Perfil(TenantModel):
    """A named set of permissions. Each municipality has its own copies of the defaults
    (see pec.identity.permissoes.PERFIS_PADRAO), which its administrator may edit."""

    codigo = models.SlugField("código", max_length=40)
    nome = models.CharField(max_length=80)
    permissoes = models.JSONField(default=list)
    padrao = models.BooleanField("perfil padrão", default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["municipio", "codigo"], name="perfil_codigo_unico")]
        ordering = ["nome"]
        verbose_name_plural = "perfis"

    def __str__(self) -> str:
        return self.nome


class Lotacao(TenantModel):
    """Profissional + estabelecimento (+ equipe) + CBO (+ microárea). After login the user
    picks one; the tenant and the permissions follow from it."""

    profissional = models.ForeignKey(Profissional, on_delete=models.PROTECT, related_name="lotacoes")
    # Denormalised from profissional: lets a user list their own lotações in every
    # municipality at login, before any tenant is set (see the tenant_visible policy).
    usuario = models.ForeignKey(Usuario, on_delete=models.PROTECT, related_name="lotacoes")
    estabelecimento = models.ForeignKey(Estabelecimento, on_delete=models.PROTECT, related_name="lotacoes")
    equipe = models.ForeignKey(Equipe, on_delete=models.PROTECT, null=True, blank=True, related_name="lotacoes")
    # CBO 2002 codes are 6 digits, but CNES also uses its own 6-character codes with a
    # letter (e.g. 2241E1), which appear in real CNES files.
    cbo = models.CharField(
        "CBO", max_length=6, validators=[RegexValidator(r"^\d{4}[0-9A-Z]{2}$", "O CBO tem 6 caracteres (ex.: 225142).")]
    )
    microarea = models.CharField("microárea", max_length=2, blank=True)
    ativo = models.BooleanField(default=True)
    perfis = models.ManyToManyField(Perfil, through="LotacaoPerfil", related_name="lotacoes")
    perfis_editados = models.BooleanField(
        "perfis alterados manualmente", default=False, help_text="A reimportação do CNES preserva os perfis."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipio", "profissional", "estabelecimento", "equipe", "cbo"],
                name="lotacao_unica",
                nulls_distinct=False,
            )
        ]
        verbose_name = "lotação"
        verbose_name_plural = "lotações"

    def __str__(self) -> str:
        return f"{self.profissional} · {self.cbo} · {self.estabelecimento.nome}"


class LotacaoPerfil(TenantModel):
    lotacao = models.ForeignKey(Lotacao, on_delete=models.CASCADE)
    perfil = models.ForeignKey(Perfil, on_delete=models.PROTECT)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["lotacao", "perfil"], name="lotacao_perfil_unico")]


class ConfiguracaoSMTP(models.Model):
    """The installation's outgoing mail server (one row). Installation-level table."""

    class Seguranca(models.TextChoices):
        STARTTLS = "starttls", "STARTTLS (porta 587)"
        SSL = "ssl", "TLS implícito / SSL (porta 465)"
        NENHUMA = "nenhuma", "Nenhuma (somente rede interna)"

    host = models.CharField("servidor", max_length=255)
    porta = models.PositiveIntegerField(default=587, validators=[MinValueValidator(1), MaxValueValidator(65535)])
    seguranca = models.CharField("segurança", max_length=10, choices=Seguranca.choices, default=Seguranca.STARTTLS)
    usuario = models.CharField("usuário", max_length=255, blank=True)
    # AES-GCM token from pec.cripto, bound to this row (see pec.email.smtp_contexto_senha).
    senha_cifrada = models.TextField(blank=True)
    remetente = models.EmailField("endereço do remetente")
    atualizado_em = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "configuração de SMTP"
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="configuracao_smtp_unica")]


class ConfiguracaoGovBr(models.Model):
    """The installation's client at Login gov.br (one row). Installation-level table.

    Read by pec.identity.govbr.config to build allauth's OpenID Connect app at each request, so a
    change applies at once, with no restart and no secret in the environment.
    """

    class Ambiente(models.TextChoices):
        HOMOLOGACAO = "homologacao", "Homologação (sso.staging.acesso.gov.br)"
        PRODUCAO = "producao", "Produção (sso.acesso.gov.br)"
        OUTRO = "outro", "Outro provedor OpenID Connect (informe o issuer)"

    ativo = models.BooleanField("entrada com gov.br habilitada", default=False)
    ambiente = models.CharField(max_length=12, choices=Ambiente.choices, default=Ambiente.HOMOLOGACAO)
    issuer_outro = models.URLField("issuer", blank=True, help_text="Somente para “Outro provedor”.")
    client_id = models.CharField("client id", max_length=255, blank=True)
    # AES-GCM token from pec.cripto, bound to this row (see pec.identity.govbr.config).
    segredo_cifrado = models.TextField(blank=True)
    atualizado_em = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "configuração do gov.br"
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="configuracao_govbr_unica")]


class EmailSaidaBase(models.Model):
    """An outgoing e-mail; the row is the queue (see pec.email)."""

    class Status(models.TextChoices):
        PENDENTE = "pendente", "Pendente"
        ENVIADO = "enviado", "Enviado"
        ERRO = "erro", "Erro (tentativas esgotadas)"
        SUPRIMIDO = "suprimido", "Não enviado (município em treinamento)"

    para = models.JSONField(default=list)
    assunto = models.CharField(max_length=300)
    corpo = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDENTE)
    tentativas = models.PositiveSmallIntegerField(default=0)
    proxima_tentativa = models.DateTimeField(default=timezone.now)
    ultimo_erro = models.TextField(blank=True)
    criado_em = models.DateTimeField(auto_now_add=True)
    enviado_em = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class EmailSaida(EmailSaidaBase):
    """Installation-scope mail (password reset, SMTP test): no citizen data, no tenant."""

    class Meta:
        verbose_name = "e-mail de saída"
        indexes = [
            models.Index(
                fields=["proxima_tentativa"], name="emailsaida_pendente", condition=models.Q(status="pendente")
            )
        ]


class EmailSaidaMunicipio(TenantModel, EmailSaidaBase):
    """Mail sent on behalf of a municipality (may concern citizens): under row-level security."""

    class Meta:
        verbose_name = "e-mail de saída do município"
        indexes = [
            models.Index(
                fields=["municipio", "proxima_tentativa"],
                name="emailsaidamun_pendente",
                condition=models.Q(status="pendente"),
            )
        ]


class EventoAuditoria(models.Model):
    """One entry of the append-only audit trail (see pec.audit.chain).

    Each municipality has its own hash chain, and the installation one more (municipio
    NULL: failed logins of unknown CPFs, installation administration). Rows enter only
    through the database function pec_auditoria_registrar; the database rejects UPDATE,
    DELETE and TRUNCATE; the chain shows anything done behind its back.
    """

    municipio = models.ForeignKey(Municipio, on_delete=models.PROTECT, null=True, blank=True, db_index=False)
    sequencia = models.PositiveBigIntegerField("sequência")
    criado_em = models.DateTimeField("quando")
    evento = models.CharField(max_length=40)
    usuario = models.ForeignKey(Usuario, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    cpf_informado = models.CharField("login informado", max_length=64, blank=True)
    # Plain ids, no foreign keys: deactivating or merging a lotação or a citizen must never
    # touch (or be blocked by) the trail.
    lotacao_id = models.BigIntegerField("lotação", null=True, blank=True)
    cidadao_id = models.BigIntegerField("cidadão", null=True, blank=True)
    o_que = models.TextField("o quê", blank=True)
    ip = models.CharField("IP", max_length=45, blank=True)
    request_id = models.CharField("id da requisição", max_length=64, blank=True)
    detalhes = models.JSONField(default=dict, blank=True)
    # The database role that called the append function, stamped by it (format 2).
    usuario_banco = models.CharField("usuário do banco", max_length=63, blank=True)
    # 1: hashed by the application (before the append function); 2: by the database.
    formato = models.PositiveSmallIntegerField(default=1)
    hash_anterior = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipio", "sequencia"], name="auditoria_sequencia_unica", nulls_distinct=False
            )
        ]
        indexes = [
            models.Index(fields=["municipio", "criado_em"], name="auditoria_municipio_quando"),
            models.Index(fields=["cidadao_id"], name="auditoria_cidadao"),
        ]
        ordering = ["-criado_em", "-id"]
        verbose_name = "evento de auditoria"
        verbose_name_plural = "eventos de auditoria"

    def __str__(self) -> str:
        return f"{self.evento} #{self.sequencia}"


class Backup(models.Model):
    """One backup run, or one verification of a backup file (see pec.backups).

    Installation-level table: a backup holds every municipality.
    """

    class Origem(models.TextChoices):
        AUTOMATICO = "automatico", "Automático (noturno)"
        MANUAL = "manual", "Manual"
        VERIFICACAO = "verificacao", "Verificação de arquivo"

    class Status(models.TextChoices):
        EM_ANDAMENTO = "em_andamento", "Em andamento"
        SUCESSO = "sucesso", "Sucesso"
        ERRO = "erro", "Erro"

    class Verificacao(models.TextChoices):
        NAO_VERIFICADO = "nao_verificado", "Não verificado"
        OK = "ok", "Restaurado e conferido"
        FALHOU = "falhou", "Falhou"

    origem = models.CharField(max_length=12, choices=Origem.choices, default=Origem.MANUAL)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.EM_ANDAMENTO)
    iniciado_em = models.DateTimeField("início", default=timezone.now)
    finalizado_em = models.DateTimeField("fim", null=True, blank=True)
    arquivo = models.CharField(max_length=500, blank=True)
    tamanho = models.BigIntegerField("tamanho (bytes)", null=True, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    chave_impressao = models.CharField("impressão digital da chave pública", max_length=64, blank=True)
    duracao_segundos = models.FloatField("duração do backup (s)", null=True, blank=True)
    verificacao = models.CharField(
        "verificação", max_length=16, choices=Verificacao.choices, default=Verificacao.NAO_VERIFICADO
    )
    verificado_em = models.DateTimeField(null=True, blank=True)
    verificacao_segundos = models.FloatField("duração da restauração (s)", null=True, blank=True)
    verificacao_detalhe = models.TextField(blank=True)
    copiado_para = models.CharField("cópia no segundo local", max_length=500, blank=True)
    erro = models.TextField(blank=True)
    # Summary of the manifest (row total, versions); the full one sits beside the file.
    manifesto = models.JSONField(default=dict, blank=True)
    apagado_em = models.DateTimeField("removido pela retenção em", null=True, blank=True)

    class Meta:
        ordering = ["-iniciado_em"]
        indexes = [models.Index(fields=["status", "finalizado_em"], name="backup_status_fim")]

    def __str__(self) -> str:
        return f"backup {self.pk} {self.status}"


class Outbox(TenantModel):
    """A message owed to a national system (RNDS, SISAB), written with its record (pec.outbox)."""

    class Status(models.TextChoices):
        PENDENTE = "pendente", "Pendente"
        ENVIADO = "enviado", "Enviado"
        ERRO = "erro", "Erro (requer ação)"
        TREINAMENTO = "treinamento", "Não enviado (município em treinamento)"

    destino = models.CharField(max_length=40)
    tipo = models.CharField(max_length=60)
    # Idempotency key: the same event registered twice is one row, and receivers use it
    # to recognise a resend.
    chave = models.CharField(max_length=200)
    objeto_tipo = models.CharField(max_length=100)
    objeto_id = models.BigIntegerField()
    payload = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDENTE)
    tentativas = models.PositiveSmallIntegerField(default=0)
    proxima_tentativa = models.DateTimeField(default=timezone.now)
    ultimo_erro = models.TextField(blank=True)
    resposta = models.JSONField(default=dict, blank=True)
    criado_em = models.DateTimeField(auto_now_add=True)
    enviado_em = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["municipio", "chave"], name="outbox_chave_unica")]
        indexes = [
            models.Index(
                fields=["municipio", "destino", "proxima_tentativa"],
                name="outbox_pendente",
                condition=models.Q(status="pendente"),
            ),
            models.Index(fields=["municipio", "objeto_tipo", "objeto_id"], name="outbox_objeto"),
        ]

    def __str__(self) -> str:
        return f"{self.destino}:{self.tipo}:{self.chave} ({self.status})"
