"""The territory a team looks after, as the LEDI cadastro domiciliar e territorial (FCD)
describes it: a logradouro has imóveis; an imóvel of type Domicílio is lived in by a
domicílio, the household, which holds one or more famílias; a família has a responsável
and members, each a citizen of the cadastro individual (prontuario.Cidadao).

A citizen's links to the territory are the rows of MembroFamilia: one open row at a time
(the database refuses a second, so two requests cannot both place the same person), and
a closed row (`saida`) is the history. The consistency rules PEC checks before syncing
with e-SUS Território live in cds/territorio/services.py; code tables in ledi.py.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from cds.territorio import ledi
from pec.models import Equipe, Lotacao
from pec.tenancy import TenantModel
from prontuario.models import Cidadao

_CEP = RegexValidator(r"^\d{8}$", "O CEP tem 8 dígitos.")
_TELEFONE = RegexValidator(r"^\d{10,11}$", "Informe DDD e número, 10 ou 11 dígitos.")
_ALFANUMERICO = RegexValidator(r"^[0-9A-Za-z]+$", "Use apenas letras e números.")
_MICROAREA = RegexValidator(r"^\d{2}$", "A microárea tem 2 dígitos.")


class Logradouro(TenantModel):
    """A street (LEDI EnderecoLocalPermanencia: tipo DNE, nome, CEP, bairro, município)."""

    tipo_dne = models.CharField(
        "tipo de logradouro (código DNE)",
        max_length=3,
        validators=[RegexValidator(r"^\d{1,3}$", "O tipo de logradouro é o código DNE, de 1 a 3 dígitos.")],
    )
    nome = models.CharField(max_length=72)
    cep = models.CharField("CEP", max_length=8, validators=[_CEP])
    bairro = models.CharField(max_length=72)
    municipio_ibge = models.CharField(
        "município (código IBGE)", max_length=7, validators=[RegexValidator(r"^\d{7}$", "O código IBGE tem 7 dígitos.")]
    )

    class Meta:
        ordering = ["nome", "bairro"]
        indexes = [models.Index(fields=["municipio", "cep"], name="logradouro_cep")]

    def __str__(self) -> str:
        return f"{self.nome}, {self.bairro}"


class Imovel(TenantModel):
    """A building or lot on a logradouro, of any LEDI tipo de imóvel, with the condições de
    moradia the FCD carries for the types that have them."""

    logradouro = models.ForeignKey(Logradouro, on_delete=models.PROTECT, related_name="imoveis")
    tipo = models.PositiveSmallIntegerField("tipo de imóvel", choices=ledi.TIPO_IMOVEL)
    numero = models.CharField("número", max_length=10, blank=True, validators=[_ALFANUMERICO])
    sem_numero = models.BooleanField("sem número", default=False)
    complemento = models.CharField(max_length=30, blank=True)
    ponto_referencia = models.CharField("ponto de referência", max_length=40, blank=True)
    microarea = models.CharField("microárea", max_length=2, blank=True, validators=[_MICROAREA])
    fora_de_area = models.BooleanField("fora de área", default=False)
    equipe = models.ForeignKey(Equipe, on_delete=models.PROTECT, null=True, blank=True, related_name="imoveis")
    telefone_residencia = models.CharField("telefone residencial", max_length=11, blank=True, validators=[_TELEFONE])
    telefone_contato = models.CharField("telefone de contato", max_length=11, blank=True, validators=[_TELEFONE])
    latitude = models.DecimalField(
        max_digits=10,
        decimal_places=8,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        max_digits=11,
        decimal_places=8,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    recusa = models.BooleanField("termo de recusa do cadastro", default=False)

    # Condições de moradia (LEDI CondicaoMoradia).
    localizacao = models.PositiveSmallIntegerField("localização", choices=ledi.LOCALIZACAO, null=True, blank=True)
    situacao_moradia = models.PositiveSmallIntegerField(
        "situação de moradia ou posse da terra", choices=ledi.SITUACAO_MORADIA, null=True, blank=True
    )
    area_producao_rural = models.PositiveSmallIntegerField(
        "condição de posse e uso da terra", choices=ledi.POSSE_TERRA, null=True, blank=True
    )
    tipo_domicilio = models.PositiveSmallIntegerField(
        "tipo de domicílio", choices=ledi.TIPO_DOMICILIO, null=True, blank=True
    )
    tipo_acesso = models.PositiveSmallIntegerField(
        "tipo de acesso ao domicílio", choices=ledi.TIPO_ACESSO, null=True, blank=True
    )
    material_paredes = models.PositiveSmallIntegerField(
        "material predominante nas paredes externas", choices=ledi.MATERIAL_PAREDES, null=True, blank=True
    )
    comodos = models.PositiveSmallIntegerField(
        "número de cômodos",
        null=True,
        blank=True,
        validators=[MinValueValidator(1, "O número de cômodos não pode ser zero."), MaxValueValidator(99)],
    )
    moradores = models.PositiveSmallIntegerField(
        "número de moradores", null=True, blank=True, validators=[MaxValueValidator(9999)]
    )
    abastecimento_agua = models.PositiveSmallIntegerField(
        "abastecimento de água", choices=ledi.ABASTECIMENTO_AGUA, null=True, blank=True
    )
    agua_consumo = models.PositiveSmallIntegerField(
        "água para consumo", choices=ledi.AGUA_CONSUMO, null=True, blank=True
    )
    escoamento_banheiro = models.PositiveSmallIntegerField(
        "escoamento do banheiro ou sanitário", choices=ledi.ESCOAMENTO_BANHEIRO, null=True, blank=True
    )
    destino_lixo = models.PositiveSmallIntegerField("destino do lixo", choices=ledi.DESTINO_LIXO, null=True, blank=True)
    energia_eletrica = models.BooleanField("disponibilidade de energia elétrica", null=True, blank=True)
    origem_energia = models.PositiveSmallIntegerField(
        "origem da energia elétrica", choices=ledi.ORIGEM_ENERGIA, null=True, blank=True
    )
    tem_animais = models.BooleanField("animais no domicílio", null=True, blank=True)
    animais = ArrayField(
        models.PositiveSmallIntegerField(choices=ledi.ANIMAL),
        verbose_name="animais",
        default=list,
        blank=True,
        size=len(ledi.ANIMAL),
    )
    quantos_animais = models.PositiveSmallIntegerField(
        "quantos animais",
        null=True,
        blank=True,
        validators=[MinValueValidator(1, "A quantidade de animais não pode ser zero."), MaxValueValidator(99)],
    )

    # Instituição de permanência (LEDI InstituicaoPermanencia), for types 07 to 11.
    instituicao_nome = models.CharField("nome da instituição", max_length=100, blank=True)
    instituicao_outros_profissionais = models.BooleanField(
        "outros profissionais de saúde vinculados", null=True, blank=True
    )
    instituicao_responsavel_nome = models.CharField("nome do responsável técnico", max_length=70, blank=True)
    instituicao_responsavel_cns = models.CharField("CNS do responsável técnico", max_length=15, blank=True)
    instituicao_responsavel_cargo = models.CharField("cargo do responsável técnico", max_length=100, blank=True)
    instituicao_responsavel_telefone = models.CharField(
        "telefone do responsável técnico", max_length=11, blank=True, validators=[_TELEFONE]
    )

    criado_em = models.DateTimeField(auto_now_add=True)
    atualizado_em = models.DateTimeField(auto_now=True)
    # The imóvel and its families as one record, as the LEDI FCD carries them: every change
    # to either bumps `versao` and names the lotação that made it, so whoever reports the
    # territory (sisab) sees what changed since its last report, and who to credit.
    versao = models.PositiveIntegerField("versão", default=1)
    atualizado_por = models.ForeignKey(
        Lotacao, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="atualizado por"
    )

    class Meta:
        ordering = ["logradouro", "numero", "complemento"]
        indexes = [models.Index(fields=["municipio", "equipe", "microarea"], name="imovel_microarea")]

    def __str__(self) -> str:
        numero = "s/n" if self.sem_numero else self.numero
        return f"{self.logradouro}, {numero} {self.complemento}".strip()


class Domicilio(TenantModel):
    """The household living in an imóvel of type Domicílio: one open at a time per imóvel;
    `desocupado_em` closes it when its last família has moved out."""

    imovel = models.ForeignKey(Imovel, on_delete=models.PROTECT, related_name="domicilios")
    criado_em = models.DateTimeField(auto_now_add=True)
    desocupado_em = models.DateField("desocupado em", null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipio", "imovel"], condition=Q(desocupado_em__isnull=True), name="domicilio_aberto_unico"
            )
        ]

    def __str__(self) -> str:
        return f"Domicílio em {self.imovel}"


class Familia(TenantModel):
    """A family (LEDI FamiliaRow) in a domicílio. `data_mudanca` set = the family moved
    out (stMudanca); it then has no open members."""

    domicilio = models.ForeignKey(Domicilio, on_delete=models.PROTECT, related_name="familias")
    responsavel = models.ForeignKey(
        Cidadao, on_delete=models.PROTECT, related_name="familias_responsavel", verbose_name="responsável familiar"
    )
    renda = models.PositiveSmallIntegerField("renda familiar", choices=ledi.RENDA_FAMILIAR, null=True, blank=True)
    reside_desde = models.DateField("reside desde (mês e ano)", null=True, blank=True)
    numero_prontuario = models.CharField(
        "número do prontuário familiar", max_length=30, blank=True, validators=[_ALFANUMERICO]
    )
    data_mudanca = models.DateField("data da mudança", null=True, blank=True)
    criado_em = models.DateTimeField(auto_now_add=True)
    atualizado_em = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # One domicílio per responsável: a citizen heads at most one family living somewhere.
            models.UniqueConstraint(
                fields=["municipio", "responsavel"],
                condition=Q(data_mudanca__isnull=True),
                name="familia_responsavel_unico",
            ),
            models.CheckConstraint(
                condition=Q(reside_desde__isnull=True) | Q(reside_desde__day=1), name="familia_reside_desde_mes"
            ),
        ]

    def __str__(self) -> str:
        return f"Família de {self.responsavel.nome}"


class MembroFamilia(TenantModel):
    """A citizen's membership of a family: `entrada` to `saida`. Open rows are unique per
    citizen, so a citizen is in at most one family at a time."""

    familia = models.ForeignKey(Familia, on_delete=models.PROTECT, related_name="membros")
    cidadao = models.ForeignKey(Cidadao, on_delete=models.PROTECT, related_name="familias", verbose_name="cidadão")
    entrada = models.DateField()
    saida = models.DateField("saída", null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipio", "cidadao"], condition=Q(saida__isnull=True), name="membro_familia_aberto_unico"
            ),
            models.CheckConstraint(
                condition=Q(saida__isnull=True) | Q(saida__gte=models.F("entrada")), name="membro_familia_saida_depois"
            ),
        ]
        indexes = [models.Index(fields=["familia", "saida"], name="membro_familia_aberto")]

    def __str__(self) -> str:
        return f"{self.cidadao_id} em {self.familia_id}"
