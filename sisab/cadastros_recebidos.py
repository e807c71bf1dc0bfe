"""Received Cadastros Individuais (LEDI tipo 2) and Domiciliares (tipo 3) into the
municipality's citizen registry and territory.

A UBS typing on CDS, or another system, registers its citizens there; the centralizer
must know them as our own PEC does, or every ficha that names them here (a dose, a
family) finds nobody. Each Cadastro Individual therefore creates or updates the citizen
through prontuario.cadastro.services, with that professional's lotação as author, so the
same rules (names, documents, duplicates) and the same version trail apply as to a
citizen typed here.

Which citizen: the one an earlier ficha of the same uuidFichaOriginadora placed
(sisab.models.CadastroRecebido keeps that mapping), else the one with its CPF or CNS,
else a new one. An update is applied only when it is newer (its dataAtendimento) than
what we hold: the last applied ficha, or a change typed here after it; an older one
only links the originadora. The same ficha twice writes nothing: its uuid is stored
once (sisab.recebimento) and re-placing it finds nothing to change.

What LEDI says of the ficha's blocks: with statusTermoRecusa… (the citizen refused the
cadastro) only the identification is kept, and no family link nor saída is applied;
saidaCidadaoCadastro 135 records the óbito (date and DO), 136 (mudança de território)
takes the citizen out of the team's territory and of their family. The citizen joins the
open family of the responsável the ficha names (cpf/cnsResponsavelFamiliar) when the
territory (cds) has that family. What cannot be placed (unknown lotação, a likely
duplicate, data our rules refuse) stays out with the reason, as for doses
(sisab.inclusao).

A Cadastro Domiciliar creates or updates, through cds.territorio.services (PEC's
consistency rules), the imóvel its uuidFichaOriginadora placed before (CadastroRecebido
again), on the logradouro with the same CEP, name, type and bairro (registered when
new); the ficha is the whole imóvel, so what it leaves out is emptied, and with the
termo de recusa only the address stays (the services refuse anything else). Each family
row then becomes, for its responsável (CPF or CNS), a new family living there, an update
of the one they keep there, or that family's mudança (stMudanca). A responsável unknown
here, whose birth date disagrees with our record, or whom the territory's rules refuse
(already heading or in another family) keeps that family out with the reason, until the
admin fixes it and tries again; the imóvel and the other families are placed meanwhile.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cds.models import Familia, Imovel, Logradouro, MembroFamilia
from cds.territorio.ledi import DOMICILIO
from cds.territorio.services import (
    familia_atualizar,
    familia_cadastrar,
    familia_incluir_membro,
    familia_registrar_mudanca,
    familia_retirar_membro,
    imovel_atualizar,
    imovel_cadastrar,
    logradouro_cadastrar,
)
from pec.ator import Ator
from pec.models import Equipe, Lotacao
from prontuario.cadastro.services import PossivelDuplicado, cidadao_atualizar, cidadao_cadastrar
from prontuario.models import Cidadao
from sisab.inclusao import cidadao_por_documento, data_ms, lotacao_do_cabecalho, sem_lotacao
from sisab.models import CadastroRecebido, FichaRecebida

TIPO_INDIVIDUAL, TIPO_DOMICILIAR = 2, 3
OBITO, MUDANCA = 135, 136
FORA_DE_AREA = "FA"  # the microárea PEC and the official examples send with stForaArea


def cadastro_individual_incluir(ficha: FichaRecebida) -> None:
    """Create or update the citizen of a received Cadastro Individual (sisab.inclusao.INCLUIR)."""
    dados: dict[str, Any] = ficha.ficha
    cabecalho = dados.get("headerTransport") or {}
    ficha.pendencias = []
    lotacao = lotacao_do_cabecalho(ficha.municipio_id, cabecalho)
    if lotacao is None:
        _pendente(ficha, f"Cadastro individual: {sem_lotacao(cabecalho)}: cidadão fora do cadastro.")
        return
    identificacao = dados.get("identificacaoUsuarioCidadao") or {}
    originadora = str(dados.get("uuidFichaOriginadora") or ficha.uuid)
    quando = data_ms(cabecalho.get("dataAtendimento")) or ficha.recebida_em
    mapa = (
        CadastroRecebido.objects.select_for_update()
        .filter(municipio_id=ficha.municipio_id, tipo=TIPO_INDIVIDUAL, uuid_originadora=originadora)
        .first()
    )
    cidadao = _cidadao(ficha.municipio_id, mapa, identificacao)
    if (
        cidadao is not None
        and not _de_novo(mapa, ficha, cidadao.atualizado_em)
        and quando <= _vigente(mapa, cidadao.atualizado_em)
    ):
        if mapa is None:  # a citizen of ours, changed since: the originadora only points to it
            _mapear(ficha, None, originadora, vigente=cidadao.atualizado_em, cidadao=cidadao, escreveu=False)
        ficha.save(update_fields=["pendencias"])
        return
    recusa = bool(dados.get("statusTermoRecusaCadastroIndividualAtencaoBasica"))
    campos = _campos(ficha.municipio_id, identificacao, cabecalho, lotacao)
    saida = {} if recusa else dados.get("saidaCidadaoCadastro") or {}
    if saida.get("motivoSaidaCidadao") == OBITO:
        campos |= {"data_obito": _dia(saida.get("dataObito")), "numero_do": saida.get("numeroDO") or ""}
    elif saida.get("motivoSaidaCidadao") == MUDANCA:
        campos |= {"equipe": None, "microarea": "", "fora_de_area": False}
    try:
        with transaction.atomic():
            if cidadao is None:
                cidadao = cidadao_cadastrar(lotacao=lotacao, dados=campos)
            else:
                cidadao = cidadao_atualizar(lotacao=lotacao, cidadao=cidadao, dados=campos)
    except PossivelDuplicado as exc:
        nomes = "; ".join(f"{c.nome_exibicao} ({c.data_nascimento:%d/%m/%Y})" for c in exc.candidatos[:3])
        _pendente(
            ficha,
            f"Cadastro individual: o cidadão seria um possível duplicado de {nomes}: "
            "unifique ou corrija o cadastro e tente de novo.",
        )
        return
    except ValidationError as exc:
        _pendente(ficha, f"Cadastro individual: dados recusados pelo cadastro do município: {_motivos(exc)}.")
        return
    ator = Ator(municipio_id=ficha.municipio_id, lotacao=lotacao)
    dia = timezone.localtime(quando).date()
    if saida.get("motivoSaidaCidadao") in (OBITO, MUDANCA):
        _sair_da_familia(ficha, ator, cidadao, dia)
    elif not recusa and not identificacao.get("statusEhResponsavel"):
        _entrar_na_familia(ficha, ator, cidadao, identificacao, dia)
    _mapear(ficha, mapa, originadora, vigente=quando, cidadao=cidadao)
    ficha.save(update_fields=["pendencias"])


def _cidadao(municipio_id: int, mapa: CadastroRecebido | None, identificacao: dict[str, Any]) -> Cidadao | None:
    """The citizen the originadora placed (followed through a merge), else the one with
    the ficha's CPF or CNS."""
    if mapa is not None and mapa.cidadao_id is not None:
        cidadao = Cidadao.objects.get(pk=mapa.cidadao_id, municipio_id=municipio_id)
        while cidadao.unificado_com_id is not None:
            cidadao = Cidadao.objects.get(pk=cidadao.unificado_com_id, municipio_id=municipio_id)
        return cidadao
    return cidadao_por_documento(municipio_id, cpf=identificacao.get("cpfCidadao"), cns=identificacao.get("cnsCidadao"))


def _de_novo(mapa: CadastroRecebido | None, ficha: FichaRecebida, atualizado_em: datetime.datetime) -> bool:
    """This ficha is the one applied and nothing was typed here since: it is tried again
    for what it left out (a family, a family link); a record changed since is newer."""
    return mapa is not None and mapa.ficha_id == ficha.id and atualizado_em <= mapa.gravado_em


def _vigente(mapa: CadastroRecebido | None, atualizado_em: datetime.datetime) -> datetime.datetime:
    """How recent what we hold is: the last applied ficha, or a change typed here after it
    (`atualizado_em`, the record's)."""
    if mapa is None:
        return atualizado_em
    if atualizado_em > mapa.gravado_em:
        return max(atualizado_em, mapa.vigente_em)
    return mapa.vigente_em


def _campos(
    municipio_id: int, identificacao: dict[str, Any], cabecalho: dict[str, Any], lotacao: Lotacao
) -> dict[str, Any]:
    """The cadastro fields the identification block carries (FCI has no address: the
    citizen's address fields stay as they are)."""
    fora = bool(identificacao.get("stForaArea"))
    microarea = identificacao.get("microArea") or ""
    campos: dict[str, Any] = {
        "nome": identificacao.get("nomeCidadao") or "",
        "nome_social": identificacao.get("nomeSocial") or "",
        "data_nascimento": _dia(identificacao.get("dataNascimentoCidadao")),
        "sexo": identificacao.get("sexoCidadao"),
        "raca_cor": identificacao.get("racaCorCidadao"),
        "etnia": identificacao.get("etnia"),
        "nome_mae": identificacao.get("nomeMaeCidadao") or "",
        "mae_desconhecida": bool(identificacao.get("desconheceNomeMae")),
        "nome_pai": identificacao.get("nomePaiCidadao") or "",
        "pai_desconhecido": bool(identificacao.get("desconheceNomePai")),
        "nacionalidade": identificacao.get("nacionalidadeCidadao") or 1,
        "municipio_nascimento_ibge": identificacao.get("codigoIbgeMunicipioNascimento") or "",
        "pais_nascimento": identificacao.get("paisNascimento"),
        "data_naturalizacao": _dia(identificacao.get("dtNaturalizacao")),
        "portaria_naturalizacao": identificacao.get("portariaNaturalizacao") or "",
        "data_entrada_brasil": _dia(identificacao.get("dtEntradaBrasil")),
        "telefone_celular": identificacao.get("telefoneCelular") or "",
        "email": identificacao.get("emailCidadao") or "",
        "equipe": _equipe(municipio_id, cabecalho, lotacao),
        "microarea": "" if fora or microarea == FORA_DE_AREA else microarea,
        "fora_de_area": fora,
    }
    # One of them is sent (LEDI refuses both): the other, when we have it, stays.
    for campo, chave in (("cpf", "cpfCidadao"), ("cns", "cnsCidadao")):
        if identificacao.get(chave):
            campos[campo] = identificacao[chave]
    return campos


def _dia(epoch_ms: int | None) -> datetime.date | None:
    momento = data_ms(epoch_ms)
    return timezone.localtime(momento).date() if momento is not None else None


def _entrar_na_familia(
    ficha: FichaRecebida, ator: Ator, cidadao: Cidadao, identificacao: dict[str, Any], dia: datetime.date
) -> None:
    """Join the open family of the responsável the ficha names, when the territory has it."""
    responsavel = cidadao_por_documento(
        ficha.municipio_id,
        cpf=identificacao.get("cpfResponsavelFamiliar"),
        cns=identificacao.get("cnsResponsavelFamiliar"),
    )
    if responsavel is None or responsavel.pk == cidadao.pk:
        return
    familia = Familia.objects.filter(
        municipio_id=ficha.municipio_id, responsavel=responsavel, data_mudanca__isnull=True
    ).first()
    if familia is None or _membro_aberto(cidadao) is not None:
        return
    try:
        with transaction.atomic():
            familia_incluir_membro(ator=ator, familia=familia, cidadao=cidadao, entrada=min(dia, timezone.localdate()))
    except ValidationError as exc:
        ficha.pendencias.append(
            f"Cadastro individual: {cidadao.nome} não entrou na família de {responsavel.nome}: {_motivos(exc)}."
        )


def _sair_da_familia(ficha: FichaRecebida, ator: Ator, cidadao: Cidadao, dia: datetime.date) -> None:
    """Óbito or mudança: the citizen leaves their family (a responsável waits: the family's
    responsável must change first, which the Cadastro Domiciliar says)."""
    vinculo = _membro_aberto(cidadao)
    if vinculo is None:
        return
    try:
        with transaction.atomic():
            familia_retirar_membro(
                ator=ator,
                familia=vinculo.familia,
                cidadao=cidadao,
                saida=max(min(dia, timezone.localdate()), vinculo.entrada),
            )
    except ValidationError as exc:
        ficha.pendencias.append(f"Cadastro individual: {cidadao.nome} não saiu da família: {_motivos(exc)}.")


def _membro_aberto(cidadao: Cidadao) -> MembroFamilia | None:
    return (
        MembroFamilia.objects.filter(municipio_id=cidadao.municipio_id, cidadao=cidadao, saida__isnull=True)
        .select_related("familia")
        .first()
    )


def _mapear(
    ficha: FichaRecebida,
    mapa: CadastroRecebido | None,
    originadora: str,
    *,
    vigente: datetime.datetime,
    cidadao: Cidadao | None = None,
    imovel: Imovel | None = None,
    escreveu: bool = True,
) -> None:
    """The originadora points to the record; `gravado_em` is the record's time now, so a
    change typed here later is seen as newer; `versao`, the version the ficha wrote."""
    registro: Cidadao | Imovel | None = cidadao or imovel
    assert registro is not None
    registro.refresh_from_db(fields=["atualizado_em", "versao"])
    if mapa is None:
        mapa = CadastroRecebido(municipio_id=ficha.municipio_id, tipo=ficha.tipo, uuid_originadora=originadora)
    mapa.cidadao, mapa.imovel, mapa.ficha, mapa.instalacao_origem = cidadao, imovel, ficha, _instalacao(ficha)
    mapa.vigente_em, mapa.gravado_em = vigente, registro.atualizado_em
    mapa.versao = registro.versao if escreveu else 0
    mapa.save()


# --- Cadastro Domiciliar e Territorial (tipo 3) ----------------------------------------------


def cadastro_domiciliar_incluir(ficha: FichaRecebida) -> None:
    """Create or update the imóvel of a received Cadastro Domiciliar, then its families
    (sisab.inclusao.INCLUIR)."""
    dados: dict[str, Any] = ficha.ficha
    cabecalho = dados.get("headerTransport") or {}
    ficha.pendencias = []
    lotacao = lotacao_do_cabecalho(ficha.municipio_id, cabecalho)
    if lotacao is None:
        _pendente(ficha, f"Cadastro domiciliar: {sem_lotacao(cabecalho)}: imóvel fora do território.")
        return
    originadora = str(dados.get("uuidFichaOriginadora") or ficha.uuid)
    quando = data_ms(cabecalho.get("dataAtendimento")) or ficha.recebida_em
    mapa = (
        CadastroRecebido.objects.select_for_update()
        .filter(municipio_id=ficha.municipio_id, tipo=TIPO_DOMICILIAR, uuid_originadora=originadora)
        .first()
    )
    imovel = Imovel.objects.get(pk=mapa.imovel_id) if mapa is not None and mapa.imovel_id is not None else None
    if (
        imovel is not None
        and not _de_novo(mapa, ficha, imovel.atualizado_em)
        and quando <= _vigente(mapa, imovel.atualizado_em)
    ):
        ficha.save(update_fields=["pendencias"])
        return
    ator = Ator(municipio_id=ficha.municipio_id, lotacao=lotacao)
    try:
        with transaction.atomic():
            endereco = dados.get("enderecoLocalPermanencia") or {}
            campos = _campos_imovel(dados, _logradouro(ator, endereco), _equipe(ficha.municipio_id, cabecalho, lotacao))
            if imovel is None:
                imovel = imovel_cadastrar(ator=ator, dados=campos)
            else:
                imovel = imovel_atualizar(ator=ator, imovel=imovel, dados=campos)
    except ValidationError as exc:
        _pendente(ficha, f"Cadastro domiciliar: dados recusados pelo território do município: {_motivos(exc)}.")
        return
    dia = min(timezone.localtime(quando).date(), timezone.localdate())
    if imovel.tipo == DOMICILIO and not imovel.recusa:
        for n, linha in enumerate(dados.get("familias") or [], start=1):
            if motivo := _familia(ator, imovel, linha, dia):
                ficha.pendencias.append(f"Cadastro domiciliar, família {n}: {motivo}: família fora do território.")
    _mapear(ficha, mapa, originadora, vigente=quando, imovel=imovel)
    ficha.save(update_fields=["pendencias"])


def _equipe(municipio_id: int, cabecalho: dict[str, Any], lotacao: Lotacao) -> Equipe | None:
    """The team of the header's INE, else the professional's."""
    ine = cabecalho.get("ine") or ""
    equipe = Equipe.objects.filter(municipio_id=municipio_id, ine=ine).first() if ine else None
    return equipe or lotacao.equipe


def _logradouro(ator: Ator, endereco: dict[str, Any]) -> Logradouro:
    """The street of the address: the one registered with the same CEP, name, type and
    bairro, else a new one."""
    dados = {
        "tipo_dne": str(endereco.get("tipoLogradouroNumeroDne") or "").zfill(3),
        "nome": " ".join(str(endereco.get("nomeLogradouro") or "").split()),
        "cep": str(endereco.get("cep") or ""),
        "bairro": " ".join(str(endereco.get("bairro") or "").split()),
        "municipio_ibge": str(endereco.get("codigoIbgeMunicipio") or ""),
    }
    existente = Logradouro.objects.filter(
        municipio_id=ator.municipio_exigido(),
        cep=dados["cep"],
        nome__iexact=dados["nome"],
        bairro__iexact=dados["bairro"],
        tipo_dne__in={dados["tipo_dne"], dados["tipo_dne"].lstrip("0")},
    ).first()
    return existente or logradouro_cadastrar(ator=ator, dados=dados)


def _campos_imovel(dados: dict[str, Any], logradouro: Logradouro, equipe: Equipe | None) -> dict[str, Any]:
    """Every field of the imóvel, from the ficha: what it does not send is emptied (a
    Cadastro Domiciliar is the whole imóvel as the professional saw it)."""
    endereco = dados.get("enderecoLocalPermanencia") or {}
    condicao = dados.get("condicaoMoradia") or {}
    instituicao = dados.get("instituicaoPermanencia") or {}
    fora = bool(endereco.get("stForaArea"))
    microarea = endereco.get("microArea") or ""
    return {
        "logradouro": logradouro,
        "tipo": dados.get("tipoDeImovel"),
        "numero": endereco.get("numero") or "",
        "sem_numero": bool(endereco.get("stSemNumero")),
        "complemento": endereco.get("complemento") or "",
        "ponto_referencia": endereco.get("pontoReferencia") or "",
        "microarea": "" if fora or microarea == FORA_DE_AREA else microarea,
        "fora_de_area": fora,
        "equipe": equipe,
        "telefone_residencia": endereco.get("telefoneResidencia") or "",
        "telefone_contato": endereco.get("telefoneContato") or "",
        "latitude": _decimal(dados.get("latitude")),
        "longitude": _decimal(dados.get("longitude")),
        "recusa": bool(dados.get("statusTermoRecusa")),
        "localizacao": condicao.get("localizacao"),
        "situacao_moradia": condicao.get("situacaoMoradiaPosseTerra"),
        "area_producao_rural": condicao.get("areaProducaoRural"),
        "tipo_domicilio": condicao.get("tipoDomicilio"),
        "tipo_acesso": condicao.get("tipoAcessoDomicilio"),
        "material_paredes": condicao.get("materialPredominanteParedesExtDomicilio"),
        "comodos": _inteiro(condicao.get("nuComodos")),
        "moradores": _inteiro(condicao.get("nuMoradores")),
        "abastecimento_agua": condicao.get("abastecimentoAgua"),
        "agua_consumo": condicao.get("aguaConsumoDomicilio"),
        "escoamento_banheiro": condicao.get("formaEscoamentoBanheiro"),
        "destino_lixo": condicao.get("destinoLixo"),
        "energia_eletrica": condicao.get("stDisponibilidadeEnergiaEletrica"),
        "origem_energia": condicao.get("tipoOrigemEnergiaEletrica"),
        "tem_animais": dados.get("stAnimaisNoDomicilio"),
        "animais": list(dados.get("animaisNoDomicilio") or []),
        "quantos_animais": _inteiro(dados.get("quantosAnimaisNoDomicilio")),
        "instituicao_nome": instituicao.get("nomeInstituicaoPermanencia") or "",
        "instituicao_outros_profissionais": instituicao.get("stOutrosProfissionaisVinculados"),
        "instituicao_responsavel_nome": instituicao.get("nomeResponsavelTecnico") or "",
        "instituicao_responsavel_cns": instituicao.get("cnsResponsavelTecnico") or "",
        "instituicao_responsavel_cargo": instituicao.get("cargoInstituicao") or "",
        "instituicao_responsavel_telefone": instituicao.get("telefoneResponsavelTecnico") or "",
    }


def _decimal(valor: Any) -> Decimal | None:
    return Decimal(str(valor)).quantize(Decimal("0.00000001")) if isinstance(valor, int | float) else None


def _inteiro(valor: Any) -> int | None:
    """LEDI sends counts as strings ("5"); what is not a number is left for the rules."""
    try:
        return int(valor) if valor not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _familia(ator: Ator, imovel: Imovel, linha: dict[str, Any], dia: datetime.date) -> str | None:
    """Place one FamiliaRow in the imóvel: a new family, an update of the one this
    responsável keeps here, or its mudança; the reason when it cannot be placed."""
    cpf, cns = linha.get("cpfResponsavel"), linha.get("numeroCnsResponsavel")
    responsavel = cidadao_por_documento(imovel.municipio_id, cpf=cpf, cns=cns)
    if responsavel is None:
        return f"o responsável ({'CPF ' + cpf if cpf else 'CNS ' + (cns or '?')}) não está cadastrado no município"
    nascimento = _dia(linha.get("dataNascimentoResponsavel"))
    if nascimento is not None and nascimento != responsavel.data_nascimento:
        return (
            f"a data de nascimento do responsável ({nascimento:%d/%m/%Y}) não confere com o cadastro de "
            f"{responsavel.nome} ({responsavel.data_nascimento:%d/%m/%Y})"
        )
    familia = Familia.objects.filter(
        municipio_id=imovel.municipio_id,
        domicilio__imovel=imovel,
        responsavel=responsavel,
        data_mudanca__isnull=True,
    ).first()
    reside_desde = _dia(linha.get("resideDesde"))
    campos = {
        "renda": linha.get("rendaFamiliar"),
        "reside_desde": reside_desde,
        "numero_prontuario": linha.get("numeroProntuario") or "",
    }
    try:
        with transaction.atomic():
            if linha.get("stMudanca"):
                if familia is not None:
                    familia_registrar_mudanca(ator=ator, familia=familia, data=max(dia, reside_desde or dia))
            elif familia is not None:
                familia_atualizar(ator=ator, familia=familia, dados=campos)
            else:
                familia_cadastrar(ator=ator, imovel=imovel, responsavel=responsavel, dados=campos)
    except ValidationError as exc:
        return _motivos(exc)
    return None


def origem_do_cidadao(cidadao: Cidadao) -> str | None:
    """ "Recebido de <instalação>" for a citizen a received Cadastro Individual placed."""
    mapa = (
        CadastroRecebido.objects.filter(municipio_id=cidadao.municipio_id, tipo=TIPO_INDIVIDUAL, cidadao=cidadao)
        .order_by("-vigente_em")
        .first()
    )
    if mapa is None:
        return None
    return (
        f"Recebido de {mapa.instalacao_origem} (cadastro individual de {timezone.localtime(mapa.vigente_em):%d/%m/%Y})."
    )


def _instalacao(ficha: FichaRecebida) -> str:
    """The originating installation as a person reads it: its name, else its contra-chave."""
    origem = ficha.originadora
    nome = origem.get("nomeOuRazaoSocial") or origem.get("contraChave") or ficha.instalacao_origem
    return str(nome)[:200]


def _motivos(exc: ValidationError) -> str:
    return "; ".join(mensagem.rstrip(".") for mensagem in exc.messages)[:500]


def _pendente(ficha: FichaRecebida, motivo: str) -> None:
    ficha.pendencias.append(motivo)
    ficha.save(update_fields=["pendencias"])
