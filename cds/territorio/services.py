"""Writes to the territory: logradouros, imóveis, famílias and their members.

Each service runs in one transaction and checks, before anything is written, the rules
of the LEDI cadastro domiciliar e territorial (docs/integracoes/ledi.md, dictionary
`dicionario-fcd`) and the consistency PEC demands of a household before it reaches
e-SUS Território or the SISAB: a responsável alive, living in the family's domicílio,
heading one family only; a citizen in one family at a time; a family that moves out
takes its members with it. A refusal is a ValidationError keyed by the field, in
Portuguese, and leaves the database as it was. The partial unique indexes of
cds/territorio/models.py hold the same line when two requests race.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

import dados as tabelas
from cds.territorio import ledi
from cds.territorio.models import Domicilio, Familia, Imovel, Logradouro, MembroFamilia
from pec.ator import Ator
from pec.audit.chain import audit_event
from pec.documentos import cns_valido, so_digitos
from pec.models import Equipe
from pec.tenancy import assert_owned
from prontuario.models import Cidadao

CAMPOS_LOGRADOURO = ("tipo_dne", "nome", "cep", "bairro", "municipio_ibge")
CONDICOES_MORADIA = (
    "localizacao",
    "situacao_moradia",
    "area_producao_rural",
    "tipo_domicilio",
    "tipo_acesso",
    "material_paredes",
    "comodos",
    "moradores",
    "abastecimento_agua",
    "agua_consumo",
    "escoamento_banheiro",
    "destino_lixo",
    "energia_eletrica",
    "origem_energia",
)
ANIMAIS = ("tem_animais", "animais", "quantos_animais")
INSTITUICAO = (
    "instituicao_nome",
    "instituicao_outros_profissionais",
    "instituicao_responsavel_nome",
    "instituicao_responsavel_cns",
    "instituicao_responsavel_cargo",
    "instituicao_responsavel_telefone",
)
CAMPOS_IMOVEL = (
    "logradouro",
    "tipo",
    "numero",
    "sem_numero",
    "complemento",
    "ponto_referencia",
    "microarea",
    "fora_de_area",
    "equipe",
    "telefone_residencia",
    "telefone_contato",
    "latitude",
    "longitude",
    "recusa",
    *CONDICOES_MORADIA,
    *ANIMAIS,
    *INSTITUICAO,
)
# Kept as digits whatever punctuation was typed (_validar_imovel).
CAMPOS_DIGITOS = (
    "telefone_residencia",
    "telefone_contato",
    "instituicao_responsavel_telefone",
    "instituicao_responsavel_cns",
)
CAMPOS_FAMILIA = ("renda", "reside_desde", "numero_prontuario")

_CONSTRAINTS = {
    "familia_responsavel_unico": ("responsavel", "Este cidadão já é responsável por outra família."),
    "membro_familia_aberto_unico": ("cidadao", "Este cidadão já é membro de outra família."),
    "domicilio_aberto_unico": ("imovel", "Este imóvel já tem um domicílio aberto."),
}


# --- logradouro ----------------------------------------------------------------------------------


@transaction.atomic
def logradouro_cadastrar(*, ator: Ator, dados: Mapping[str, Any]) -> Logradouro:
    logradouro = Logradouro(municipio_id=ator.municipio_exigido())
    _aplicar(logradouro, dados, CAMPOS_LOGRADOURO)
    if not logradouro.municipio_ibge:
        logradouro.municipio_ibge = logradouro.municipio.ibge
    _validar_logradouro(logradouro)
    logradouro.save()
    audit_event(
        evento="logradouro_cadastro",
        ator=ator,
        o_que=f"logradouro {logradouro.pk}",
        detalhes={"campos": _json(logradouro, CAMPOS_LOGRADOURO)},
    )
    return logradouro


@transaction.atomic
def logradouro_atualizar(*, ator: Ator, logradouro: Logradouro, dados: Mapping[str, Any]) -> Logradouro:
    atual = _travar(Logradouro, logradouro, ator)
    antes = _json(atual, CAMPOS_LOGRADOURO)
    _aplicar(atual, dados, CAMPOS_LOGRADOURO)
    _validar_logradouro(atual)
    alteracoes = _alteracoes(antes, _json(atual, CAMPOS_LOGRADOURO))
    if alteracoes:
        atual.save()
        audit_event(
            evento="logradouro_atualizacao",
            ator=ator,
            o_que=f"logradouro {atual.pk}",
            detalhes={"alteracoes": alteracoes},
        )
    return atual


def _validar_logradouro(logradouro: Logradouro) -> None:
    logradouro.cep = so_digitos(logradouro.cep)
    for campo in ("nome", "bairro"):
        setattr(logradouro, campo, " ".join(getattr(logradouro, campo).split()))
    erros = _erros_dos_campos(logradouro)
    if "municipio_ibge" not in erros and logradouro.municipio_ibge not in tabelas.municipios():
        erros["municipio_ibge"] = ["Código IBGE de município desconhecido."]
    _recusar(erros)


# --- imóvel --------------------------------------------------------------------------------------


@transaction.atomic
def imovel_cadastrar(*, ator: Ator, dados: Mapping[str, Any]) -> Imovel:
    imovel = Imovel(municipio_id=ator.municipio_exigido(), atualizado_por=ator.lotacao)
    _aplicar(imovel, dados, CAMPOS_IMOVEL)
    _validar_imovel(imovel, ator)
    imovel.save()
    audit_event(
        evento="imovel_cadastro",
        ator=ator,
        o_que=f"imóvel {imovel.pk}",
        detalhes={"campos": _json(imovel, CAMPOS_IMOVEL)},
    )
    return imovel


@transaction.atomic
def imovel_atualizar(*, ator: Ator, imovel: Imovel, dados: Mapping[str, Any]) -> Imovel:
    atual = _travar(Imovel, imovel, ator)
    antes = _json(atual, CAMPOS_IMOVEL)
    _aplicar(atual, dados, CAMPOS_IMOVEL)
    _validar_imovel(atual, ator)
    alteracoes = _alteracoes(antes, _json(atual, CAMPOS_IMOVEL))
    if alteracoes:
        atual.versao += 1
        atual.atualizado_por = ator.lotacao or atual.atualizado_por
        atual.save()
        audit_event(
            evento="imovel_atualizacao", ator=ator, o_que=f"imóvel {atual.pk}", detalhes={"alteracoes": alteracoes}
        )
    return atual


def _validar_imovel(imovel: Imovel, ator: Ator) -> None:
    for campo in CAMPOS_DIGITOS:
        setattr(imovel, campo, so_digitos(getattr(imovel, campo)))
    imovel.numero = imovel.numero.strip()
    erros = _erros_dos_campos(imovel)

    def erro(campo: str, mensagem: str) -> None:
        erros.setdefault(campo, []).append(mensagem)

    if imovel.logradouro_id is None:
        erro("logradouro", "Informe o logradouro.")
    elif imovel.logradouro.municipio_id != ator.municipio_id:
        erro("logradouro", "Logradouro de outro município.")
    if imovel.equipe_id is not None and _equipe(imovel).municipio_id != ator.municipio_id:
        erro("equipe", "Equipe de outro município.")
    if imovel.tipo is None or "tipo" in erros:
        return _recusar(erros)
    nome_tipo = dict(ledi.TIPO_IMOVEL)[imovel.tipo].split(" (")[0]

    # Endereço (LEDI EnderecoLocalPermanencia #6, #11, #13, #14; CadastroDomiciliar #15, #16).
    if imovel.sem_numero and imovel.numero:
        erro("numero", 'Com "sem número" marcado, deixe o número em branco.')
    elif not imovel.sem_numero and not imovel.numero:
        erro("numero", 'Informe o número ou marque "sem número".')
    if imovel.fora_de_area and imovel.microarea:
        erro("microarea", "Um imóvel fora de área não tem microárea.")
    elif not imovel.fora_de_area and not imovel.microarea:
        erro("microarea", 'Informe a microárea ou marque "fora de área".')
    if (imovel.latitude is None) != (imovel.longitude is None):
        faltando = "latitude" if imovel.latitude is None else "longitude"
        erro(faltando, "Latitude e longitude são informadas juntas.")
    if imovel.telefone_residencia and imovel.tipo != ledi.DOMICILIO:
        erro("telefone_residencia", "Só um imóvel do tipo Domicílio tem telefone residencial.")

    preenchidos = {c for c in (*CONDICOES_MORADIA, *ANIMAIS, *INSTITUICAO) if not _vazio(getattr(imovel, c))}
    if imovel.recusa:
        # LEDI CadastroDomiciliar #1, #2, #7, #13: with the termo de recusa only the address.
        for campo in sorted(preenchidos):
            erro(campo, "Com o termo de recusa, só o endereço do imóvel é registrado.")
        return _recusar(erros)

    # Condições de moradia (LEDI CadastroDomiciliar #2, CondicaoMoradia).
    condicoes = preenchidos & set(CONDICOES_MORADIA)
    if imovel.tipo in ledi.SEM_CONDICAO_MORADIA:
        for campo in sorted(condicoes):
            erro(campo, f"Um imóvel do tipo {nome_tipo} não tem condições de moradia.")
    elif condicoes:
        if imovel.localizacao is None:
            erro("localizacao", "Informe a localização (urbana, rural ou periurbana).")
        instituicao = imovel.tipo in ledi.INSTITUICAO_PERMANENCIA
        if instituicao and imovel.situacao_moradia is not None:
            erro("situacao_moradia", f"Não se aplica a um imóvel do tipo {nome_tipo}.")
        elif not instituicao and imovel.situacao_moradia is None:
            erro("situacao_moradia", "Informe a situação de moradia ou posse da terra.")
        if imovel.tipo in ledi.INSTITUICAO_OU_CASAI:
            for campo in ("area_producao_rural", "material_paredes", "comodos", "tipo_acesso", "tipo_domicilio"):
                if campo in condicoes:
                    erro(campo, f"Não se aplica a um imóvel do tipo {nome_tipo}.")
        if imovel.area_producao_rural is not None and imovel.localizacao in ledi.LOCALIZACAO_NAO_RURAL:
            erro("area_producao_rural", "Só um imóvel de localização rural tem área de produção rural.")
        if imovel.origem_energia is not None and imovel.energia_eletrica is False:
            erro("origem_energia", "Sem energia elétrica não há origem da energia.")

    # Animais (LEDI CadastroDomiciliar #1, #6, #7).
    animais = preenchidos & set(ANIMAIS)
    if animais and imovel.tipo != ledi.DOMICILIO:
        for campo in sorted(animais):
            erro(campo, "Só um imóvel do tipo Domicílio registra animais.")
    elif imovel.tem_animais is not True:
        for campo in ("animais", "quantos_animais"):
            if campo in animais:
                erro(campo, "Marque que há animais no domicílio antes de informá-los.")
    else:
        if len(set(imovel.animais)) != len(imovel.animais):
            erro("animais", "Cada animal aparece uma vez só.")
        if imovel.quantos_animais is not None and imovel.quantos_animais < len(set(imovel.animais)):
            erro("quantos_animais", "A quantidade de animais não pode ser menor que o número de tipos marcados.")

    # Instituição de permanência (LEDI CadastroDomiciliar #13, InstituicaoPermanencia).
    da_instituicao = preenchidos & set(INSTITUICAO)
    if da_instituicao and imovel.tipo not in ledi.INSTITUICAO_PERMANENCIA:
        for campo in sorted(da_instituicao):
            erro(campo, f"Um imóvel do tipo {nome_tipo} não é instituição de permanência.")
    elif da_instituicao:
        if len(imovel.instituicao_responsavel_nome.strip()) < 3:
            erro("instituicao_responsavel_nome", "Informe o nome do responsável técnico (3 a 70 letras).")
        cns = imovel.instituicao_responsavel_cns
        if cns and not cns_valido(cns):
            erro("instituicao_responsavel_cns", "CNS inválido.")

    # What the imóvel's families need (LEDI CadastroDomiciliar #4, CondicaoMoradia #8).
    if imovel.pk is not None:
        familias = Familia.objects.filter(domicilio__imovel=imovel, data_mudanca__isnull=True)
        if imovel.tipo != ledi.DOMICILIO and familias.exists():
            erro("tipo", "Há famílias morando neste imóvel: registre a mudança delas antes de mudar o tipo.")
        membros = MembroFamilia.objects.filter(familia__in=familias, saida__isnull=True).count()
        if imovel.moradores is not None and imovel.moradores < membros:
            erro(
                "moradores",
                f"O número de moradores não pode ser menor que os {membros} membros das famílias do imóvel.",
            )
    _recusar(erros)


def _equipe(imovel: Imovel) -> Equipe:
    equipe = imovel.equipe
    assert equipe is not None
    return equipe


# --- família -------------------------------------------------------------------------------------


@transaction.atomic
def familia_cadastrar(
    *,
    ator: Ator,
    imovel: Imovel,
    responsavel: Cidadao,
    dados: Mapping[str, Any],
    membros: Iterable[Cidadao] = (),
) -> Familia:
    """A family living in `imovel` (its open domicílio, opened now if there is none), with
    the responsável and `membros` as its members from `reside_desde` (or today)."""
    municipio_id = ator.municipio_exigido()
    imovel_atual = Imovel.objects.select_for_update().filter(pk=imovel.pk, municipio_id=municipio_id).first()
    erros: dict[str, list[str]] = {}
    if imovel_atual is None:
        erros["imovel"] = ["Imóvel não encontrado neste município."]
    elif imovel_atual.tipo != ledi.DOMICILIO:
        erros["imovel"] = ["Só um imóvel do tipo Domicílio tem famílias."]
    elif imovel_atual.recusa:
        erros["imovel"] = ["O imóvel tem termo de recusa: não há famílias a cadastrar nele."]
    familia = Familia(municipio_id=municipio_id)
    _aplicar(familia, dados, CAMPOS_FAMILIA)
    _validar_familia(familia, erros)
    chefe = _cidadao(ator, responsavel, "responsavel", erros)
    if chefe is not None:
        _pode_ser_responsavel(chefe, None, erros)
        _pode_entrar(chefe, None, "responsavel", erros)
    outros = []
    for membro in dict.fromkeys(membros):
        if membro.pk == responsavel.pk:
            continue
        atual = _cidadao(ator, membro, "membros", erros)
        if atual is not None:
            _pode_entrar(atual, None, "membros", erros)
            outros.append(atual)
    if imovel_atual is not None and imovel_atual.moradores is not None and not erros:
        moram = _moradores(imovel_atual)
        if moram + 1 + len(outros) > imovel_atual.moradores:
            erros["membros"] = [
                f"O imóvel declara {imovel_atual.moradores} moradores e já tem {moram}: "
                "atualize o número de moradores antes de cadastrar esta família."
            ]
    _recusar(erros)
    assert imovel_atual is not None and chefe is not None
    domicilio = Domicilio.objects.filter(imovel=imovel_atual, desocupado_em__isnull=True).first()
    entrada = familia.reside_desde or timezone.localdate()
    with _restricoes():
        if domicilio is None:
            domicilio = Domicilio.objects.create(municipio_id=municipio_id, imovel=imovel_atual)
        familia.domicilio, familia.responsavel = domicilio, chefe
        familia.save()
        for cidadao in (chefe, *outros):
            MembroFamilia.objects.create(municipio_id=municipio_id, familia=familia, cidadao=cidadao, entrada=entrada)
    _imovel_alterado(imovel_atual.pk, ator)
    audit_event(
        evento="familia_cadastro",
        ator=ator,
        cidadao_id=chefe.pk,
        o_que=f"família {familia.pk}",
        detalhes={
            "imovel": imovel_atual.pk,
            "membros": [c.pk for c in (chefe, *outros)],
            "campos": _json(familia, CAMPOS_FAMILIA),
        },
    )
    return familia


@transaction.atomic
def familia_atualizar(*, ator: Ator, familia: Familia, dados: Mapping[str, Any]) -> Familia:
    atual = _familia_aberta(ator, familia)
    antes = _json(atual, CAMPOS_FAMILIA)
    _aplicar(atual, dados, CAMPOS_FAMILIA)
    erros: dict[str, list[str]] = {}
    _validar_familia(atual, erros)
    _recusar(erros)
    alteracoes = _alteracoes(antes, _json(atual, CAMPOS_FAMILIA))
    if alteracoes:
        atual.save()
        _imovel_alterado(atual.domicilio.imovel_id, ator)
        audit_event(
            evento="familia_atualizacao",
            ator=ator,
            cidadao_id=atual.responsavel_id,
            o_que=f"família {atual.pk}",
            detalhes={"alteracoes": alteracoes},
        )
    return atual


@transaction.atomic
def familia_trocar_responsavel(*, ator: Ator, familia: Familia, responsavel: Cidadao) -> Familia:
    """The new responsável must already live there: a member of this family."""
    atual = _familia_aberta(ator, familia)
    erros: dict[str, list[str]] = {}
    novo = _cidadao(ator, responsavel, "responsavel", erros)
    if novo is not None:
        if not MembroFamilia.objects.filter(familia=atual, cidadao=novo, saida__isnull=True).exists():
            erros.setdefault("responsavel", []).append(
                "O responsável tem de morar no domicílio: inclua-o como membro desta família antes."
            )
        _pode_ser_responsavel(novo, atual, erros)
    _recusar(erros)
    assert novo is not None
    anterior = atual.responsavel_id
    if anterior == novo.pk:
        return atual
    atual.responsavel = novo
    with _restricoes():
        atual.save(update_fields=["responsavel", "atualizado_em"])
    _imovel_alterado(atual.domicilio.imovel_id, ator)
    audit_event(
        evento="familia_responsavel",
        ator=ator,
        cidadao_id=novo.pk,
        o_que=f"família {atual.pk}",
        detalhes={"anterior": anterior, "novo": novo.pk},
    )
    return atual


@transaction.atomic
def familia_incluir_membro(
    *, ator: Ator, familia: Familia, cidadao: Cidadao, entrada: datetime.date | None = None
) -> MembroFamilia:
    atual = _familia_aberta(ator, familia)
    erros: dict[str, list[str]] = {}
    membro = _cidadao(ator, cidadao, "cidadao", erros)
    entrada = entrada or timezone.localdate()
    if entrada > timezone.localdate():
        erros.setdefault("entrada", []).append("A entrada não pode ser posterior a hoje.")
    if membro is not None:
        _pode_entrar(membro, atual, "cidadao", erros)
    imovel = atual.domicilio.imovel
    if imovel.moradores is not None and not erros and _moradores(imovel) >= imovel.moradores:
        erros["cidadao"] = [
            f"O imóvel declara {imovel.moradores} moradores: atualize o número de moradores antes de incluir outro."
        ]
    _recusar(erros)
    assert membro is not None
    with _restricoes():
        vinculo = MembroFamilia.objects.create(
            municipio_id=atual.municipio_id, familia=atual, cidadao=membro, entrada=entrada
        )
    _imovel_alterado(imovel.pk, ator)
    audit_event(
        evento="familia_membro_inclusao",
        ator=ator,
        cidadao_id=membro.pk,
        o_que=f"família {atual.pk}",
        detalhes={"entrada": entrada},
    )
    return vinculo


@transaction.atomic
def familia_retirar_membro(*, ator: Ator, familia: Familia, cidadao: Cidadao, saida: datetime.date) -> MembroFamilia:
    """The citizen leaves the family (moved, died, formed another family); the history stays."""
    atual = _familia_aberta(ator, familia)
    vinculo = (
        MembroFamilia.objects.select_for_update()
        .filter(familia=atual, cidadao_id=cidadao.pk, saida__isnull=True)
        .first()
    )
    erros: dict[str, list[str]] = {}
    if vinculo is None:
        erros["cidadao"] = ["Este cidadão não é membro desta família."]
    elif cidadao.pk == atual.responsavel_id:
        erros["cidadao"] = [
            "O responsável não sai da família: troque o responsável antes, ou registre a mudança da família."
        ]
    else:
        _validar_saida(saida, vinculo.entrada, "saida", erros)
    _recusar(erros)
    assert vinculo is not None
    vinculo.saida = saida
    vinculo.save(update_fields=["saida"])
    _imovel_alterado(atual.domicilio.imovel_id, ator)
    audit_event(
        evento="familia_membro_saida",
        ator=ator,
        cidadao_id=cidadao.pk,
        o_que=f"família {atual.pk}",
        detalhes={"saida": saida},
    )
    return vinculo


@transaction.atomic
def familia_registrar_mudanca(*, ator: Ator, familia: Familia, data: datetime.date) -> Familia:
    """The family moved out (LEDI stMudanca): every open membership closes on `data`, and
    the domicílio is left empty when no other family lives there."""
    atual = _familia_aberta(ator, familia)
    vinculos = list(MembroFamilia.objects.select_for_update().filter(familia=atual, saida__isnull=True))
    erros: dict[str, list[str]] = {}
    entradas = [v.entrada for v in vinculos]
    if atual.reside_desde is not None:
        entradas.append(atual.reside_desde)
    _validar_saida(data, max(entradas, default=None), "data_mudanca", erros)
    _recusar(erros)
    atual.data_mudanca = data
    atual.save(update_fields=["data_mudanca", "atualizado_em"])
    MembroFamilia.objects.filter(pk__in=[v.pk for v in vinculos]).update(saida=data)
    domicilio = atual.domicilio
    if not domicilio.familias.filter(data_mudanca__isnull=True).exists():
        domicilio.desocupado_em = data
        domicilio.save(update_fields=["desocupado_em"])
    _imovel_alterado(domicilio.imovel_id, ator)
    audit_event(
        evento="familia_mudanca",
        ator=ator,
        cidadao_id=atual.responsavel_id,
        o_que=f"família {atual.pk}",
        detalhes={"data": data, "membros": [v.cidadao_id for v in vinculos]},
    )
    return atual


def _imovel_alterado(imovel_id: int, ator: Ator) -> None:
    """A change to a family is a change to its imóvel's record (Imovel.versao)."""
    campos: dict[str, Any] = {"versao": models.F("versao") + 1, "atualizado_em": timezone.now()}
    if ator.lotacao is not None:
        campos["atualizado_por"] = ator.lotacao
    Imovel.objects.filter(pk=imovel_id, municipio_id=ator.municipio_exigido()).update(**campos)


def _moradores(imovel: Imovel) -> int:
    """The open members of the imóvel's open families: who lives there now."""
    return MembroFamilia.objects.filter(
        familia__domicilio__imovel=imovel, familia__data_mudanca__isnull=True, saida__isnull=True
    ).count()


def _validar_familia(familia: Familia, erros: dict[str, list[str]]) -> None:
    familia.numero_prontuario = familia.numero_prontuario.strip()
    for campo, mensagens in _erros_dos_campos(familia, exclude=["domicilio", "responsavel"]).items():
        erros.setdefault(campo, []).extend(mensagens)
    if familia.reside_desde is not None:
        familia.reside_desde = familia.reside_desde.replace(day=1)
        if familia.reside_desde > timezone.localdate():
            erros.setdefault("reside_desde", []).append('"Reside desde" não pode ser posterior ao mês atual.')


def _validar_saida(data: datetime.date, desde: datetime.date | None, campo: str, erros: dict[str, list[str]]) -> None:
    if data > timezone.localdate():
        erros.setdefault(campo, []).append("A data não pode ser posterior a hoje.")
    elif desde is not None and data < desde:
        erros.setdefault(campo, []).append(
            f"A data não pode ser anterior a {desde:%d/%m/%Y}, quando a família passou a morar ali."
        )


def _familia_aberta(ator: Ator, familia: Familia) -> Familia:
    atual = _travar(Familia, familia, ator)
    if atual.data_mudanca is not None:
        raise ValidationError(
            {"familia": [f"Esta família se mudou em {atual.data_mudanca:%d/%m/%Y}: não pode ser alterada."]}
        )
    return atual


def _cidadao(ator: Ator, cidadao: Cidadao, campo: str, erros: dict[str, list[str]]) -> Cidadao | None:
    """The citizen as saved now, locked, or an error when not of this municipality."""
    atual = Cidadao.objects.select_for_update().filter(pk=cidadao.pk, municipio_id=ator.municipio_exigido()).first()
    if atual is None:
        erros.setdefault(campo, []).append("Cidadão não encontrado neste município.")
    elif not atual.ativo:
        erros.setdefault(campo, []).append(
            f"O cadastro de {atual.nome} foi unificado a outro: use o cadastro que ficou."
        )
    elif atual.data_obito is not None:
        erros.setdefault(campo, []).append(f"{atual.nome} tem óbito registrado.")
    else:
        return atual
    return None


def _pode_ser_responsavel(cidadao: Cidadao, familia: Familia | None, erros: dict[str, list[str]]) -> None:
    if not (cidadao.cpf or cidadao.cns):
        erros.setdefault("responsavel", []).append(
            "O responsável precisa ter CPF ou CNS no cadastro individual: a ficha o identifica por um deles."
        )
    outra = Familia.objects.filter(responsavel=cidadao, data_mudanca__isnull=True)
    if familia is not None:
        outra = outra.exclude(pk=familia.pk)
    if outra.exists():
        erros.setdefault("responsavel", []).append(
            f"{cidadao.nome} já é responsável por outra família: registre a mudança dela antes."
        )


def _pode_entrar(cidadao: Cidadao, familia: Familia | None, campo: str, erros: dict[str, list[str]]) -> None:
    vinculo = MembroFamilia.objects.filter(cidadao=cidadao, saida__isnull=True).first()
    if vinculo is None:
        return
    if familia is not None and vinculo.familia_id == familia.pk:
        erros.setdefault(campo, []).append(f"{cidadao.nome} já é membro desta família.")
    else:
        erros.setdefault(campo, []).append(
            f"{cidadao.nome} é membro de outra família: registre antes a saída dessa família."
        )


# --- shared --------------------------------------------------------------------------------------


def _travar[M: models.Model](modelo: type[M], obj: M, ator: Ator) -> M:
    """The row as saved now, locked; `obj` must be of the actor's municipality."""
    assert_owned(obj, ator.municipio_id)
    return modelo._default_manager.select_for_update().get(pk=obj.pk, municipio_id=ator.municipio_exigido())


def _aplicar(obj: models.Model, dados: Mapping[str, Any], campos: tuple[str, ...]) -> None:
    desconhecidos = set(dados) - set(campos)
    if desconhecidos:
        raise TypeError(f"not {type(obj).__name__} fields: {sorted(desconhecidos)}")
    for campo, valor in dados.items():
        campo_modelo = obj._meta.get_field(campo)
        if valor is None and isinstance(campo_modelo, models.CharField):
            valor = ""
        setattr(obj, campo, valor)


def _erros_dos_campos(obj: models.Model, exclude: list[str] | None = None) -> dict[str, list[str]]:
    relacoes = [f.name for f in obj._meta.concrete_fields if f.is_relation]
    try:
        obj.full_clean(exclude=[*relacoes, *(exclude or [])], validate_constraints=False)
    except ValidationError as exc:
        return dict(exc.message_dict)
    return {}


def _recusar(erros: dict[str, list[str]]) -> None:
    if erros:
        raise ValidationError(erros)


@contextmanager
def _restricoes() -> Iterator[None]:
    """A unique index that caught a concurrent request becomes the same message as the
    check before it (the check passed, another transaction got there first)."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        nome = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", "")
        if nome not in _CONSTRAINTS:
            raise
        campo, mensagem = _CONSTRAINTS[nome]
        raise ValidationError({campo: [mensagem]}) from exc


def _vazio(valor: Any) -> bool:
    return valor is None or valor == "" or valor == []


def _json(obj: models.Model, campos: tuple[str, ...]) -> dict[str, Any]:
    valores = {}
    for campo in campos:
        valor = getattr(obj, cast("models.Field[Any, Any]", obj._meta.get_field(campo)).attname)
        if isinstance(valor, datetime.date):
            valor = valor.isoformat()
        elif valor is not None and not isinstance(valor, bool | int | str | list):
            valor = str(valor)  # a Decimal (latitude, longitude)
        valores[campo] = valor
    return valores


def _alteracoes(antes: dict[str, Any], depois: dict[str, Any]) -> dict[str, list[Any]]:
    return {campo: [antes[campo], depois[campo]] for campo in antes if antes[campo] != depois[campo]}
