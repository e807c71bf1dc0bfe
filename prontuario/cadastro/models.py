"""The citizen registry: cadastro individual, its versions, merges and search columns."""

from __future__ import annotations

import datetime

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.fields.array import IndexTransform  # type: ignore[attr-defined]  # missing from django-stubs
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Collate
from django.utils import timezone

from dados import municipios
from pec.documentos import validar_cns, validar_cpf
from pec.models import Equipe, Lotacao
from pec.tenancy import TenantModel
from prontuario import ledi
from prontuario.cadastro import texto


def _validar_cpf_opcional(valor: str) -> None:
    if valor:
        validar_cpf(valor)


# How many words of the citizen's names (nome + nome social) and of the mother's name are
# searchable in any order. Words past these are still matched in order (busca_nome) but
# not alone; Brazilian names rarely have more.
PALAVRAS_INDEXADAS = 6
PALAVRAS_MAE_INDEXADAS = 4


def palavra_sql(coluna: str, posicao: int) -> str:
    """The indexed expression, as prontuario.cadastro.selectors must write it for the index and its
    statistics to apply (compare it with constants marked COLLATE "C")."""
    return f"{coluna}[{posicao}]"


def _indice_palavra(coluna: str, posicao: int) -> models.Index:
    """A btree on one word position: PostgreSQL's array operators (GIN's @>, &&) are not
    leakproof, so under row-level security the planner refuses them as index conditions;
    array subscripts and text comparisons are leakproof, so this index is used.

    Not partial, and on an expression: under row-level security the planner may not read a
    table column's statistics for a query's estimates, but it does read an expression
    index's; without them it cannot tell a rare word from a common one.
    """
    return models.Index(
        F("municipio"),
        Collate(IndexTransform(posicao, models.TextField(), coluna), "C"),
        name=f"cidadao_{'mae' if coluna.endswith('mae') else 'pal'}_{posicao}",
    )


# The same word positions as stored columns (see _palavra_gerada).
COLUNAS_PALAVRA = tuple(f"palavra_{n}" for n in range(1, PALAVRAS_INDEXADAS + 1))
COLUNAS_PALAVRA_MAE = tuple(f"palavra_mae_{n}" for n in range(1, PALAVRAS_MAE_INDEXADAS + 1))


def _palavra_gerada(coluna: str, posicao: int) -> models.GeneratedField:
    """One word position of a search array as a plain stored column, whose btree INCLUDEs
    the id: "who has this word here" is then answered from the index alone (an index-only
    scan), which an expression index cannot do. prontuario.cadastro.selectors intersects typed words
    with these; the expression indexes above keep the estimates of the main statement."""
    return models.GeneratedField(
        expression=Collate(IndexTransform(posicao, models.TextField(), coluna), "C"),
        output_field=models.TextField(db_collation="C"),
        db_persist=True,
        editable=False,
    )


def _indice_ids(coluna: str) -> models.Index:
    return models.Index(fields=["municipio", coluna], include=["id"], name=coluna.replace("palavra", "cidadao_ids"))


class Cidadao(TenantModel):
    """One record per citizen in the municipality, shared by every UBS.

    Never deleted: a duplicate merged into another becomes inactive and points to the
    survivor (`unificado_com`). Every change goes through prontuario.cadastro.services, which keeps
    the search columns and writes a CidadaoVersao in the same transaction.
    """

    nome = models.CharField("nome completo", max_length=70)
    nome_social = models.CharField("nome social", max_length=70, blank=True)
    cpf = models.CharField("CPF", max_length=11, blank=True, validators=[_validar_cpf_opcional])
    cns = models.CharField("CNS", max_length=15, blank=True, validators=[validar_cns])
    data_nascimento = models.DateField("data de nascimento")
    sexo = models.PositiveSmallIntegerField(choices=ledi.SEXO)
    raca_cor = models.PositiveSmallIntegerField("raça/cor", choices=ledi.RACA_COR)
    etnia = models.PositiveSmallIntegerField(choices=ledi.ETNIA, null=True, blank=True)
    nome_mae = models.CharField("nome da mãe", max_length=70, blank=True)
    mae_desconhecida = models.BooleanField("nome da mãe desconhecido", default=False)
    nome_pai = models.CharField("nome do pai", max_length=70, blank=True)
    pai_desconhecido = models.BooleanField("nome do pai desconhecido", default=False)
    nacionalidade = models.PositiveSmallIntegerField(choices=ledi.NACIONALIDADE, default=1)
    municipio_nascimento_ibge = models.CharField("município de nascimento (IBGE)", max_length=7, blank=True)
    pais_nascimento = models.PositiveSmallIntegerField("país de nascimento", choices=ledi.PAIS, null=True, blank=True)
    data_naturalizacao = models.DateField("data de naturalização", null=True, blank=True)
    portaria_naturalizacao = models.CharField("portaria de naturalização", max_length=16, blank=True)
    data_entrada_brasil = models.DateField("data de entrada no Brasil", null=True, blank=True)
    cep = models.CharField(
        "CEP", max_length=8, blank=True, validators=[RegexValidator(r"^\d{8}$", "O CEP tem 8 dígitos.")]
    )
    logradouro = models.CharField(max_length=150, blank=True)
    numero = models.CharField("número", max_length=10, blank=True)
    complemento = models.CharField(max_length=60, blank=True)
    bairro = models.CharField(max_length=72, blank=True)
    telefone_celular = models.CharField(
        "telefone celular",
        max_length=11,
        blank=True,
        validators=[RegexValidator(r"^\d{10,11}$", "Informe DDD e número, 10 ou 11 dígitos.")],
    )
    telefone_contato = models.CharField(
        "telefone de contato",
        max_length=11,
        blank=True,
        validators=[RegexValidator(r"^\d{10,11}$", "Informe DDD e número, 10 ou 11 dígitos.")],
    )
    email = models.EmailField("e-mail", max_length=100, blank=True)
    equipe = models.ForeignKey(
        Equipe,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cidadaos",
        verbose_name="equipe de referência",
    )
    microarea = models.CharField(
        "microárea", max_length=2, blank=True, validators=[RegexValidator(r"^\d{2}$", "A microárea tem 2 dígitos.")]
    )
    fora_de_area = models.BooleanField("fora de área", default=False)
    data_obito = models.DateField("data do óbito", null=True, blank=True)
    numero_do = models.CharField(
        "número da declaração de óbito",
        max_length=9,
        blank=True,
        validators=[RegexValidator(r"^\d{9}$", "A declaração de óbito tem 9 dígitos.")],
    )

    ativo = models.BooleanField(default=True)
    unificado_com = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="unificados", verbose_name="unificado com"
    )
    unificado_em = models.DateTimeField(null=True, blank=True)
    versao = models.PositiveIntegerField("versão", default=1)
    criado_em = models.DateTimeField(auto_now_add=True)
    atualizado_em = models.DateTimeField(auto_now=True)

    # Search columns, written only by prontuario.cadastro.services (see prontuario.cadastro.texto and
    # prontuario.cadastro.selectors.busca_sql). Folded words without particles; the "C" collation
    # lets one plain btree serve both prefix ranges and ORDER BY.
    busca_nome = models.TextField(db_collation="C", editable=False)
    busca_mae = models.TextField(db_collation="C", blank=True, editable=False)
    busca_palavras = ArrayField(models.TextField(), default=list, editable=False)
    busca_palavras_mae = ArrayField(models.TextField(), default=list, editable=False)
    palavra_1 = _palavra_gerada("busca_palavras", 1)
    palavra_2 = _palavra_gerada("busca_palavras", 2)
    palavra_3 = _palavra_gerada("busca_palavras", 3)
    palavra_4 = _palavra_gerada("busca_palavras", 4)
    palavra_5 = _palavra_gerada("busca_palavras", 5)
    palavra_6 = _palavra_gerada("busca_palavras", 6)
    palavra_mae_1 = _palavra_gerada("busca_palavras_mae", 1)
    palavra_mae_2 = _palavra_gerada("busca_palavras_mae", 2)
    palavra_mae_3 = _palavra_gerada("busca_palavras_mae", 3)
    palavra_mae_4 = _palavra_gerada("busca_palavras_mae", 4)

    class Meta:
        verbose_name = "cidadão"
        verbose_name_plural = "cidadãos"
        constraints = [
            models.UniqueConstraint(
                fields=["municipio", "cpf"],
                condition=~Q(cpf="") & Q(ativo=True),
                name="cidadao_cpf_unico",
                violation_error_message="Já existe um cidadão com este CPF no município.",
            ),
            models.UniqueConstraint(
                fields=["municipio", "cns"],
                condition=~Q(cns="") & Q(ativo=True),
                name="cidadao_cns_unico",
                violation_error_message="Já existe um cidadão com este CNS no município.",
            ),
        ]
        indexes = [
            # INCLUDE: a search for common words walks this index in name order and filters
            # on the word arrays; with them in the index it never visits the table.
            models.Index(
                fields=["municipio", "busca_nome"],
                include=["id", "data_nascimento", "busca_palavras", "busca_palavras_mae"],
                condition=Q(ativo=True),
                name="cidadao_busca_nome",
            ),
            models.Index(
                fields=["municipio", "data_nascimento", "busca_nome"],
                condition=Q(ativo=True),
                name="cidadao_nascimento",
            ),
            *[_indice_palavra("busca_palavras", n) for n in range(1, PALAVRAS_INDEXADAS + 1)],
            *[_indice_palavra("busca_palavras_mae", n) for n in range(1, PALAVRAS_MAE_INDEXADAS + 1)],
            *[_indice_ids(coluna) for coluna in (*COLUNAS_PALAVRA, *COLUNAS_PALAVRA_MAE)],
        ]

    def __str__(self) -> str:
        return self.nome_exibicao

    def clean(self) -> None:
        """Cross-field rules of the LEDI cadastro individual (estrutura_arquivos/dicionario-fci)."""
        erros: dict[str, str] = {}
        for campo, rotulo in (("nome", "O nome"), ("nome_mae", "O nome da mãe"), ("nome_pai", "O nome do pai")):
            valor = getattr(self, campo)
            problemas = texto.erros_nome(valor) if valor else []
            if problemas:
                erros[campo] = f"{rotulo} {'; '.join(problemas)}."
        if self.nome_social and not texto.nome_social_valido(self.nome_social):
            erros["nome_social"] = "O nome social só pode ter letras, acentos e apóstrofo."
        if not self.nome_mae and not self.mae_desconhecida:
            erros["nome_mae"] = 'Informe o nome da mãe ou marque "desconhecido".'
        if not self.nome_pai and not self.pai_desconhecido:
            erros["nome_pai"] = 'Informe o nome do pai ou marque "desconhecido".'
        if self.raca_cor == 5 and self.etnia is None:
            erros["etnia"] = "Informe a etnia do cidadão indígena."
        hoje = timezone.localdate()
        if self.data_nascimento:
            if self.data_nascimento > hoje:
                erros["data_nascimento"] = "A data de nascimento não pode ser no futuro."
            elif self.data_nascimento < _anos_atras(hoje, 130):
                erros["data_nascimento"] = "A data de nascimento não pode ser de mais de 130 anos atrás."
        if self.nacionalidade == 1:
            if not self.municipio_nascimento_ibge:
                erros["municipio_nascimento_ibge"] = "Informe o município de nascimento."
            elif self.municipio_nascimento_ibge not in municipios():
                erros["municipio_nascimento_ibge"] = "Código IBGE de município desconhecido."
        if self.nacionalidade == 2:
            if not self.data_naturalizacao:
                erros["data_naturalizacao"] = "Informe a data de naturalização."
            if not self.portaria_naturalizacao:
                erros["portaria_naturalizacao"] = "Informe a portaria de naturalização."
        if self.nacionalidade == 3:
            if not self.pais_nascimento or self.pais_nascimento == 31:
                erros["pais_nascimento"] = "Informe o país de nascimento do estrangeiro."
            if not self.data_entrada_brasil:
                erros["data_entrada_brasil"] = "Informe a data de entrada no Brasil."
        for campo, rotulo in (
            ("data_naturalizacao", "naturalização"),
            ("data_entrada_brasil", "entrada no Brasil"),
            ("data_obito", "óbito"),
        ):
            valor = getattr(self, campo)
            if valor and valor > hoje:
                erros[campo] = f"A data de {rotulo} não pode ser no futuro."
            elif valor and self.data_nascimento and valor < self.data_nascimento:
                erros[campo] = f"A data de {rotulo} não pode ser anterior ao nascimento."
        if self.numero_do and not self.data_obito:
            erros["numero_do"] = "A declaração de óbito só é informada com a data do óbito."
        if erros:
            raise ValidationError(erros)

    @property
    def nome_exibicao(self) -> str:
        """The social name comes first wherever the citizen is named (Decreto 8.727/2016)."""
        return self.nome_social or self.nome


def _anos_atras(dia: datetime.date, anos: int) -> datetime.date:
    try:
        return dia.replace(year=dia.year - anos)
    except ValueError:  # 29 February
        return dia.replace(year=dia.year - anos, day=28)


# Fields of the cadastro, in form order: what versions compare and the form edits.
CAMPOS_CADASTRO: tuple[str, ...] = (
    "nome",
    "nome_social",
    "cpf",
    "cns",
    "data_nascimento",
    "sexo",
    "raca_cor",
    "etnia",
    "nome_mae",
    "mae_desconhecida",
    "nome_pai",
    "pai_desconhecido",
    "nacionalidade",
    "municipio_nascimento_ibge",
    "pais_nascimento",
    "data_naturalizacao",
    "portaria_naturalizacao",
    "data_entrada_brasil",
    "cep",
    "logradouro",
    "numero",
    "complemento",
    "bairro",
    "telefone_celular",
    "telefone_contato",
    "email",
    "equipe",
    "microarea",
    "fora_de_area",
    "data_obito",
    "numero_do",
)


class PalavraFrequencia(TenantModel):
    """How many active citizens of the municipality have each searchable word: the search's
    own statistics (prontuario.cadastro.selectors), as ANALYZE is PostgreSQL's.

    The search intersects the citizens of the rarer typed words and walks names in order
    when every word is common; these counts tell which is which without reading the
    citizens. Rebuilt whole by prontuario.cadastro.services.palavras_frequencias_atualizar (nightly,
    after generate_synthetic, and by migration 0008); a word first seen since then counts
    as rare, which is correct and only costs a few index entries. The row with campo 0 and
    an empty word holds the number of active citizens and marks that counts exist.
    """

    class Campo(models.IntegerChoices):
        TOTAL = 0, "total de cidadãos"
        NOME = 1, "nome ou nome social"
        MAE = 2, "nome da mãe"

    campo = models.PositiveSmallIntegerField(choices=Campo.choices)
    palavra = models.TextField(db_collation="C")
    cidadaos = models.PositiveIntegerField()

    class Meta:
        verbose_name = "frequência de palavra"
        verbose_name_plural = "frequências de palavras"
        constraints = [
            models.UniqueConstraint(fields=["municipio", "campo", "palavra"], name="palavra_frequencia_unica"),
        ]


class CidadaoVersao(TenantModel):
    """One change of a citizen's record: who (lotação), when, and each field old -> new."""

    class Tipo(models.TextChoices):
        CADASTRO = "cadastro", "Cadastro"
        ATUALIZACAO = "atualizacao", "Atualização"
        UNIFICACAO = "unificacao", "Unificação"

    cidadao = models.ForeignKey(Cidadao, on_delete=models.PROTECT, related_name="versoes")
    numero = models.PositiveIntegerField("versão")
    tipo = models.CharField(max_length=12, choices=Tipo.choices)
    lotacao = models.ForeignKey(Lotacao, on_delete=models.PROTECT, related_name="+")
    em = models.DateTimeField(auto_now_add=True)
    alteracoes = models.JSONField(default=dict, help_text="campo: [anterior, novo]")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cidadao", "numero"], name="cidadao_versao_unica")]
        ordering = ["-numero"]
        verbose_name = "versão do cadastro"


class Unificacao(TenantModel):
    """A merge of two records: the survivor keeps everything; what moved is listed so the
    merge can be audited and undone by hand."""

    sobrevivente = models.ForeignKey(Cidadao, on_delete=models.PROTECT, related_name="unificacoes_recebidas")
    unificado = models.ForeignKey(Cidadao, on_delete=models.PROTECT, related_name="unificacoes_sofridas")
    lotacao = models.ForeignKey(Lotacao, on_delete=models.PROTECT, related_name="+")
    em = models.DateTimeField(auto_now_add=True)
    motivo = models.CharField(max_length=200, blank=True)
    movidos = models.JSONField(default=dict, help_text='{"app.Modelo.campo": [ids]}')
    cadastro_unificado = models.JSONField(default=dict, help_text="cadastro do unificado no momento da unificação")

    class Meta:
        verbose_name = "unificação de cadastros"
        verbose_name_plural = "unificações de cadastros"
