"""Writes to the citizen registry: register, update, merge. Each runs in one transaction
with its version rows, so a record never changes without a trace of who changed what."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections, models, transaction
from django.utils import timezone

from pec.documentos import so_digitos
from pec.models import Lotacao
from pec.tenancy import assert_owned
from prontuario.cadastro import texto
from prontuario.cadastro.models import CAMPOS_CADASTRO, COLUNAS_PALAVRA, COLUNAS_PALAVRA_MAE
from prontuario.cadastro.selectors import cidadao_possiveis_duplicados
from prontuario.models import Cidadao, CidadaoVersao, PalavraFrequencia, Unificacao

BRASIL = 31  # LEDI país code of Brazil (referencias/paises.txt)


class PossivelDuplicado(Exception):
    """Raised before saving when the record looks like one that exists; the caller shows
    the candidates and repeats the call with confirmar_duplicado=True."""

    def __init__(self, candidatos: list[Cidadao]) -> None:
        super().__init__(f"{len(candidatos)} possible duplicate(s)")
        self.candidatos = candidatos


@transaction.atomic
def cidadao_cadastrar(*, lotacao: Lotacao, dados: Mapping[str, Any], confirmar_duplicado: bool = False) -> Cidadao:
    cidadao = Cidadao(municipio_id=lotacao.municipio_id)
    _aplicar(cidadao, dados)
    _validar(cidadao)
    if not confirmar_duplicado:
        _recusar_duplicados(cidadao)
    _salvar(cidadao)
    alteracoes = {
        campo: [None, _valor_json(cidadao, campo)]
        for campo in CAMPOS_CADASTRO
        if _valor_json(cidadao, campo) not in (None, "", False)
    }
    CidadaoVersao.objects.create(
        municipio_id=cidadao.municipio_id,
        cidadao=cidadao,
        numero=1,
        tipo=CidadaoVersao.Tipo.CADASTRO,
        lotacao=lotacao,
        alteracoes=alteracoes,
    )
    return cidadao


@transaction.atomic
def cidadao_atualizar(
    *,
    lotacao: Lotacao,
    cidadao: Cidadao,
    dados: Mapping[str, Any],
    versao_esperada: int | None = None,
    confirmar_duplicado: bool = False,
) -> Cidadao:
    """Apply the changed fields; a no-op change writes no version.

    `versao_esperada` is the version the user's form was built from: if someone saved in
    between, the user must see their change first instead of silently overwriting it.
    """
    assert_owned(cidadao, lotacao.municipio_id)
    atual = Cidadao.objects.select_for_update().get(pk=cidadao.pk, municipio_id=lotacao.municipio_id)
    if not atual.ativo:
        raise ValidationError("Este cadastro foi unificado a outro e não pode ser alterado.")
    if versao_esperada is not None and atual.versao != versao_esperada:
        raise ValidationError(
            "Este cadastro foi alterado por outra pessoa enquanto você editava. Abra-o de novo e refaça a alteração."
        )
    antes = {campo: _valor_json(atual, campo) for campo in CAMPOS_CADASTRO}
    _aplicar(atual, dados)
    _validar(atual)
    alteracoes = {
        campo: [antes[campo], _valor_json(atual, campo)]
        for campo in CAMPOS_CADASTRO
        if antes[campo] != _valor_json(atual, campo)
    }
    if not alteracoes:
        return atual
    identidade = {"nome", "data_nascimento", "nome_mae"}
    if not confirmar_duplicado and identidade & alteracoes.keys():
        _recusar_duplicados(atual)
    atual.versao += 1
    _salvar(atual)
    CidadaoVersao.objects.create(
        municipio_id=atual.municipio_id,
        cidadao=atual,
        numero=atual.versao,
        tipo=CidadaoVersao.Tipo.ATUALIZACAO,
        lotacao=lotacao,
        alteracoes=alteracoes,
    )
    return atual


def _aplicar(cidadao: Cidadao, dados: Mapping[str, Any]) -> None:
    desconhecidos = set(dados) - set(CAMPOS_CADASTRO)
    if desconhecidos:
        raise TypeError(f"not cadastro fields: {sorted(desconhecidos)}")
    for campo, valor in dados.items():
        setattr(cidadao, campo, "" if valor is None and _texto(campo) else valor)
    for campo in ("nome", "nome_social", "nome_mae", "nome_pai"):
        setattr(cidadao, campo, texto.nome_normalizado(getattr(cidadao, campo)))
    for campo in ("cpf", "cns", "cep", "telefone_celular", "telefone_contato"):
        setattr(cidadao, campo, so_digitos(getattr(cidadao, campo)))
    cidadao.email = cidadao.email.strip().lower()
    if cidadao.mae_desconhecida:
        cidadao.nome_mae = ""
    if cidadao.pai_desconhecido:
        cidadao.nome_pai = ""
    # LEDI: município de nascimento only for brasileiros, país only for estrangeiros (31
    # for brasileiros), naturalization data only for naturalizados, entry date only for
    # estrangeiros.
    if cidadao.nacionalidade == 1:
        cidadao.pais_nascimento = BRASIL
    else:
        cidadao.municipio_nascimento_ibge = ""
        if cidadao.nacionalidade == 2:
            cidadao.pais_nascimento = None
    if cidadao.nacionalidade != 2:
        cidadao.data_naturalizacao = None
        cidadao.portaria_naturalizacao = ""
    if cidadao.nacionalidade != 3:
        cidadao.data_entrada_brasil = None
    if cidadao.raca_cor != 5:
        cidadao.etnia = None
    if cidadao.fora_de_area:
        cidadao.microarea = ""
    _atualizar_busca(cidadao)


def _texto(campo: str) -> bool:
    return isinstance(Cidadao._meta.get_field(campo), models.CharField)


def _atualizar_busca(cidadao: Cidadao) -> None:
    colunas = texto.colunas_busca(nome=cidadao.nome, nome_social=cidadao.nome_social, nome_mae=cidadao.nome_mae)
    for campo, valor in colunas.items():
        setattr(cidadao, campo, valor)


def _validar(cidadao: Cidadao) -> None:
    erros: dict[str, list[str]] = {}
    try:
        cidadao.full_clean(
            exclude=["busca_nome", "busca_mae", "busca_palavras", "busca_palavras_mae", "unificado_com"],
            validate_constraints=False,
        )
    except ValidationError as exc:
        erros = exc.message_dict
    outros = Cidadao.objects.filter(municipio_id=cidadao.municipio_id, ativo=True).exclude(pk=cidadao.pk)
    for campo, nome in (("cpf", "CPF"), ("cns", "CNS")):
        valor = getattr(cidadao, campo)
        if valor and campo not in erros and outros.filter(**{campo: valor}).exists():
            erros[campo] = [f"Já existe um cidadão com este {nome} no município."]
    if cidadao.equipe_id is not None and cidadao.equipe.municipio_id != cidadao.municipio_id:  # type: ignore[union-attr]  # equipe_id is set
        erros["equipe"] = ["Equipe de outro município."]
    if erros:
        raise ValidationError(erros)


def _recusar_duplicados(cidadao: Cidadao) -> None:
    candidatos = cidadao_possiveis_duplicados(
        municipio_id=cidadao.municipio_id,
        nome=cidadao.nome,
        data_nascimento=cidadao.data_nascimento,
        nome_mae=cidadao.nome_mae,
        excluir_id=cidadao.pk,
    )
    if candidatos:
        raise PossivelDuplicado(candidatos)


def _salvar(cidadao: Cidadao) -> None:
    """Save; a CPF/CNS taken by a concurrent request surfaces as a form error."""
    try:
        with transaction.atomic():
            cidadao.save()
    except IntegrityError as exc:
        constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", "")
        if constraint == "cidadao_cpf_unico":
            raise ValidationError({"cpf": "Já existe um cidadão com este CPF no município."}) from exc
        if constraint == "cidadao_cns_unico":
            raise ValidationError({"cns": "Já existe um cidadão com este CNS no município."}) from exc
        raise


def _coluna(campo: str) -> str:
    """The attribute of one of Cidadao's own fields (never a relation to it)."""
    return cast("models.Field[Any, Any]", Cidadao._meta.get_field(campo)).attname


def _valor_json(cidadao: Cidadao, campo: str) -> Any:
    valor = getattr(cidadao, _coluna(campo))
    if isinstance(valor, datetime.date):
        return valor.isoformat()
    return valor


# --- Unificação ------------------------------------------------------------------------------

# Relations that describe the history of a record stay with it when it is merged.
_HISTORICO: set[tuple[type[models.Model], str]] = {
    (CidadaoVersao, "cidadao"),
    (Unificacao, "sobrevivente"),
    (Unificacao, "unificado"),
}


def _relacoes_para_mover() -> list[models.ForeignObject[Any, Any]]:
    """Every foreign key to Cidadao in the project (hidden ones too: M2M through tables),
    so models written later are moved without touching this code."""
    campos = []
    for campo in Cidadao._meta.get_fields(include_hidden=True):
        if not (campo.auto_created and not campo.concrete and (campo.one_to_many or campo.one_to_one)):
            continue
        rel = cast(models.ForeignObjectRel, campo)  # auto-created and not concrete: the reverse side
        if (rel.related_model, rel.field.name) in _HISTORICO:
            continue
        campos.append(rel.field)
    return campos


@transaction.atomic
def cidadao_unificar(*, lotacao: Lotacao, sobrevivente: Cidadao, unificado: Cidadao, motivo: str = "") -> Unificacao:
    """Merge `unificado` into `sobrevivente`.

    Everything pointing to the merged record moves to the survivor; the survivor's blank
    fields are completed from the merged one; the merged record is kept, inactive, pointing
    to the survivor. The Unificacao row lists every moved row and the merged record as it
    was, so nothing is lost and the merge can be reviewed or undone.
    """
    municipio_id = lotacao.municipio_id
    for cidadao in (sobrevivente, unificado):
        assert_owned(cidadao, municipio_id)
    if sobrevivente.pk == unificado.pk:
        raise ValidationError("Escolha dois cadastros diferentes.")
    travados = {
        c.pk: c
        for c in Cidadao.objects.select_for_update()
        .filter(municipio_id=municipio_id, pk__in=[sobrevivente.pk, unificado.pk])
        .order_by("pk")
    }
    sobrevivente, unificado = travados[sobrevivente.pk], travados[unificado.pk]
    if not (sobrevivente.ativo and unificado.ativo):
        raise ValidationError("Um dos cadastros já foi unificado a outro.")

    movidos: dict[str, list[Any]] = {}
    for field in _relacoes_para_mover():
        model = field.model
        linhas = model._base_manager.filter(**{field.name: unificado})
        ids = list(linhas.values_list("pk", flat=True))
        if not ids:
            continue
        try:
            with transaction.atomic():
                linhas.update(**{field.name: sobrevivente})
        except IntegrityError as exc:
            raise ValidationError(
                f"Os dois cadastros têm registros que não podem coexistir ({model._meta.verbose_name}); "
                "resolva-os antes de unificar."
            ) from exc
        movidos[f"{model._meta.label}.{field.name}"] = ids

    cadastro_unificado = {campo: _valor_json(unificado, campo) for campo in CAMPOS_CADASTRO}
    agora = timezone.now()
    unificado.ativo = False
    unificado.unificado_com = sobrevivente
    unificado.unificado_em = agora
    unificado.versao += 1
    unificado.save()
    CidadaoVersao.objects.create(
        municipio_id=municipio_id,
        cidadao=unificado,
        numero=unificado.versao,
        tipo=CidadaoVersao.Tipo.UNIFICACAO,
        lotacao=lotacao,
        alteracoes={"ativo": [True, False], "unificado_com": [None, sobrevivente.pk]},
    )

    # Blank fields of the survivor are completed from the merged record (a CPF on one and
    # a CNS on the other is the usual case). Its CPF/CNS are free now that it is inactive.
    complementos = {
        campo: getattr(unificado, _coluna(campo))
        for campo in CAMPOS_CADASTRO
        if _vazio(_valor_json(sobrevivente, campo))
        and not _vazio(_valor_json(unificado, campo))
        and campo not in {"mae_desconhecida", "pai_desconhecido", "fora_de_area"}
    }
    antes = {campo: _valor_json(sobrevivente, campo) for campo in complementos}
    for campo, valor in complementos.items():
        setattr(sobrevivente, _coluna(campo), valor)
    if sobrevivente.nome_mae:
        sobrevivente.mae_desconhecida = False
    if sobrevivente.nome_pai:
        sobrevivente.pai_desconhecido = False
    _atualizar_busca(sobrevivente)
    alteracoes: dict[str, list[Any]] = {c: [antes[c], _valor_json(sobrevivente, c)] for c in complementos}
    alteracoes["unificou"] = [None, unificado.pk]
    sobrevivente.versao += 1
    _salvar(sobrevivente)
    CidadaoVersao.objects.create(
        municipio_id=municipio_id,
        cidadao=sobrevivente,
        numero=sobrevivente.versao,
        tipo=CidadaoVersao.Tipo.UNIFICACAO,
        lotacao=lotacao,
        alteracoes=alteracoes,
    )
    return Unificacao.objects.create(
        municipio_id=municipio_id,
        sobrevivente=sobrevivente,
        unificado=unificado,
        lotacao=lotacao,
        motivo=motivo[:200],
        movidos=movidos,
        cadastro_unificado=cadastro_unificado,
    )


def _vazio(valor: Any) -> bool:
    return valor in (None, "")


def palavras_frequencias_atualizar(*, municipio_id: int, using: str = "default") -> int:
    """Recount how many active citizens hold each searchable word (PalavraFrequencia), in
    one transaction: the search reads either the old counts or the new, never half.
    Runs inside the municipality's tenant context; returns the number of citizens."""
    frequencias = PalavraFrequencia._meta.db_table
    cidadaos = Cidadao._meta.db_table
    contar = (
        "SELECT %s, {campo:d}, p, count(*) FROM {cidadaos} CROSS JOIN LATERAL unnest(ARRAY[{colunas}]) p"
        " WHERE municipio_id = %s AND ativo AND p IS NOT NULL GROUP BY p"
    )
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute(f"DELETE FROM {frequencias} WHERE municipio_id = %s", [municipio_id])
        cursor.execute(
            f"INSERT INTO {frequencias} (municipio_id, campo, palavra, cidadaos) "
            + contar.format(campo=PalavraFrequencia.Campo.NOME, cidadaos=cidadaos, colunas=", ".join(COLUNAS_PALAVRA))
            + " UNION ALL "
            + contar.format(
                campo=PalavraFrequencia.Campo.MAE, cidadaos=cidadaos, colunas=", ".join(COLUNAS_PALAVRA_MAE)
            )
            + f" UNION ALL SELECT %s, {PalavraFrequencia.Campo.TOTAL:d}, '', count(*) FROM {cidadaos}"
            " WHERE municipio_id = %s AND ativo",
            [municipio_id] * 6,
        )
        cursor.execute(
            f"SELECT cidadaos FROM {frequencias} WHERE municipio_id = %s AND campo = %s",
            [municipio_id, PalavraFrequencia.Campo.TOTAL],
        )
        total: int = cursor.fetchone()[0]
        return total
