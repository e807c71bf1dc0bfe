"""Received Cadastros Individuais (LEDI tipo 2) into the municipality's citizen registry.

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
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cds.models import Familia, MembroFamilia
from cds.territorio.services import familia_incluir_membro, familia_retirar_membro
from pec.ator import Ator
from pec.models import Equipe, Lotacao
from prontuario.cadastro.services import PossivelDuplicado, cidadao_atualizar, cidadao_cadastrar
from prontuario.models import Cidadao
from sisab.inclusao import cidadao_por_documento, data_ms, lotacao_do_cabecalho, sem_lotacao
from sisab.models import CadastroRecebido, FichaRecebida

TIPO_INDIVIDUAL = 2
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
    if cidadao is not None and quando <= _vigente(mapa, cidadao):
        if mapa is None:  # a citizen of ours, changed since: the originadora only points to it
            _mapear(ficha, None, originadora, cidadao, vigente=_vigente(None, cidadao))
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
    cidadao.refresh_from_db(fields=["atualizado_em"])
    _mapear(ficha, mapa, originadora, cidadao, vigente=quando)
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


def _vigente(mapa: CadastroRecebido | None, cidadao: Cidadao) -> datetime.datetime:
    """How recent what we hold is: the last applied ficha, or a change typed here after it."""
    if mapa is None:
        return cidadao.atualizado_em
    if cidadao.atualizado_em > mapa.gravado_em:
        return max(cidadao.atualizado_em, mapa.vigente_em)
    return mapa.vigente_em


def _campos(
    municipio_id: int, identificacao: dict[str, Any], cabecalho: dict[str, Any], lotacao: Lotacao
) -> dict[str, Any]:
    """The cadastro fields the identification block carries (FCI has no address: the
    citizen's address fields stay as they are)."""
    fora = bool(identificacao.get("stForaArea"))
    microarea = identificacao.get("microArea") or ""
    ine = cabecalho.get("ine") or ""
    equipe = Equipe.objects.filter(municipio_id=municipio_id, ine=ine).first() if ine else None
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
        "equipe": equipe or lotacao.equipe,
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
    cidadao: Cidadao,
    *,
    vigente: datetime.datetime,
) -> None:
    if mapa is None:
        mapa = CadastroRecebido(municipio_id=ficha.municipio_id, tipo=ficha.tipo, uuid_originadora=originadora)
    mapa.cidadao, mapa.ficha, mapa.instalacao_origem = cidadao, ficha, _instalacao(ficha)
    mapa.vigente_em, mapa.gravado_em = vigente, cidadao.atualizado_em
    mapa.save()


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
