"""Writes of the typed CDS fichas: type, edit (a new version), cancel.

Each service runs in one transaction: the header and every row are written, then the
rules every integration registered for the ficha (pec.integracoes: the LEDI rules of the
ficha it becomes, from sisab) are asked about what was written, and any message rolls the
whole transaction back; so nothing half-written is ever kept, and what the form accepts is
what the export holds valid. Messages come keyed by field: the header's own ("data_atendimento",
"turno", the LEDI names of the header fields) and each row's as "linhas.<i>.<LEDI name>".

An edit writes a new version and cancels the old one; a cancellation (and so an edit)
tells the SISAB ledger through the outbox (destino "sisab", tipo "ficha_cds_cancelada"),
so a ficha not sent yet is held back there.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cds.fichas import ledi
from cds.fichas.models import FichaCds, FichaCdsLinha
from dados import fichas_do_cbo
from pec.ator import Ator
from pec.audit.chain import audit_event
from pec.identity.acesso import permissoes_da_lotacao
from pec.integracoes import erros_dos_campos
from pec.models import Lotacao
from pec.outbox import outbox_registrar
from pec.tenancy import assert_owned
from prontuario.models import Cidadao

# The keys of a row's citizen documents, by tipo (dicionario-fvd, -fac, -fad, -fae, -mca, -fczm).
DOCUMENTOS: dict[int, tuple[str, str]] = {
    ledi.VISITA: ("cpfCidadao", "cnsCidadao"),
    ledi.ATIVIDADE_COLETIVA: ("cpfParticipante", "cnsParticipante"),
    ledi.ATENDIMENTO_DOMICILIAR: ("cpfCidadao", "cnsCidadao"),
    ledi.ELEGIBILIDADE: ("cpfCidadao", "cnsCidadao"),
    ledi.CONSUMO_ALIMENTAR: ("cpfCidadao", "cnsCidadao"),
    ledi.ZIKA_MICROCEFALIA: ("cpfCidadao", "cnsCidadao"),
}


def tipos_permitidos(*, ator: Ator) -> list[int]:
    """The ficha types the actor may type: those its lotação's CBO may produce (LEDI
    "CBOs x tipo de ficha") and, for a digitador, those of any professional of the UBS."""
    cbos = {lotacao.cbo for lotacao in _creditaveis(ator)}
    return [tipo for tipo in ledi.TIPOS_DIGITAVEIS if any(tipo in fichas_do_cbo(cbo) for cbo in cbos)]


def lotacoes_para(*, ator: Ator, tipo: int) -> list[Lotacao]:
    """Who a ficha of this type may be credited to, as typed by the actor: the actor's own
    lotação and, with "cds.digitar_outros" (the digitador who types the paper fichas of
    professionals without a workstation), every active lotação of the UBS whose CBO may
    produce it. The actor's own comes first: it is the default."""
    return [lotacao for lotacao in _creditaveis(ator) if tipo in fichas_do_cbo(lotacao.cbo)]


def _creditaveis(ator: Ator) -> list[Lotacao]:
    propria = ator.lotacao_exigida()
    if "cds.digitar_outros" not in permissoes_da_lotacao(lotacao=propria):
        return [propria]
    outras = (
        Lotacao.objects.filter(
            municipio_id=propria.municipio_id, estabelecimento_id=propria.estabelecimento_id, ativo=True
        )
        .exclude(id=propria.id)
        .select_related("profissional", "estabelecimento", "equipe")
        .order_by("profissional__nome", "cbo")
    )
    return [propria, *outras]


def _lotacao_escolhida(*, ator: Ator, tipo: int, lotacao_id: int | None) -> Lotacao:
    """The lotação the typed ficha is credited to: the actor's when none was chosen."""
    permitidas = lotacoes_para(ator=ator, tipo=tipo)
    escolhida = ator.lotacao_exigida().id if lotacao_id is None else lotacao_id
    for lotacao in permitidas:
        if lotacao.id == escolhida:
            return lotacao
    raise ValidationError(
        {"lotacao": ["Escolha o profissional que preencheu a ficha: um desta UBS cuja CBO pode registrá-la."]}
    )


def ficha_digitar(
    *,
    ator: Ator,
    tipo: int,
    data_atendimento: datetime.date,
    turno: int | None,
    dados: dict[str, Any],
    linhas: list[dict[str, Any]],
    lotacao_id: int | None = None,
) -> FichaCds:
    """A paper ficha typed by the actor, credited to who filled it in: the actor's
    lotação, or the one a digitador chose (`lotacoes_para`)."""
    if tipo not in tipos_permitidos(ator=ator):
        raise PermissionDenied("A CBO da sua lotação não pode registrar esta ficha.")
    lotacao = _lotacao_escolhida(ator=ator, tipo=tipo, lotacao_id=lotacao_id)
    with transaction.atomic():
        ficha = FichaCds(municipio_id=ator.municipio_exigido(), tipo=tipo, lotacao=lotacao)
        ficha.uuid_originadora = ficha.uuid
        _gravar(ficha, ator=ator, data_atendimento=data_atendimento, turno=turno, dados=dados, linhas=linhas)
        audit_event(
            evento="ficha_cds_digitacao",
            ator=ator,
            o_que=str(ficha.uuid),
            detalhes={"ficha": ficha.id, "tipo": tipo, "linhas": len(linhas)},
        )
    return ficha


def ficha_editar(
    *,
    ator: Ator,
    ficha: FichaCds,
    data_atendimento: datetime.date,
    turno: int | None,
    dados: dict[str, Any],
    linhas: list[dict[str, Any]],
    lotacao_id: int | None = None,
) -> FichaCds:
    """The ficha corrected: a new version, still credited to who did the work (or to
    whom a digitador corrects it to), that replaces the old one (cancelled, pointing to it)."""
    with transaction.atomic():
        antiga = _vigente(ficha, ator=ator)
        if antiga.tipo not in tipos_permitidos(ator=ator):
            raise PermissionDenied("A CBO da sua lotação não pode registrar esta ficha.")
        nova = FichaCds(
            municipio_id=antiga.municipio_id,
            tipo=antiga.tipo,
            lotacao_id=antiga.lotacao_id
            if lotacao_id in (None, antiga.lotacao_id)
            else _lotacao_escolhida(ator=ator, tipo=antiga.tipo, lotacao_id=lotacao_id).id,
            uuid_originadora=antiga.uuid_originadora,
            versao=antiga.versao + 1,
            origem=antiga.origem,
        )
        _gravar(nova, ator=ator, data_atendimento=data_atendimento, turno=turno, dados=dados, linhas=linhas)
        _cancelar(antiga, ator=ator, substituida_por=nova)
        audit_event(
            evento="ficha_cds_edicao",
            ator=ator,
            o_que=str(nova.uuid),
            detalhes={"ficha": nova.id, "anterior": antiga.id, "tipo": nova.tipo, "versao": nova.versao},
        )
    return nova


def ficha_cancelar(*, ator: Ator, ficha: FichaCds) -> FichaCds:
    with transaction.atomic():
        atual = _vigente(ficha, ator=ator)
        if atual.tipo not in tipos_permitidos(ator=ator):
            raise PermissionDenied("A CBO da sua lotação não pode registrar esta ficha.")
        _cancelar(atual, ator=ator, substituida_por=None)
        audit_event(evento="ficha_cds_cancelamento", ator=ator, o_que=str(atual.uuid), detalhes={"ficha": atual.id})
    return atual


def _vigente(ficha: FichaCds, *, ator: Ator) -> FichaCds:
    """The ficha as saved now, locked; refused when it was already cancelled or replaced."""
    assert_owned(ficha, ator.municipio_id)
    atual = FichaCds.objects.select_for_update().get(pk=ficha.pk, municipio_id=ator.municipio_exigido())
    if atual.cancelada:
        raise ValidationError({"__all__": ["Esta ficha já foi cancelada ou substituída por uma versão corrigida."]})
    return atual


def _cancelar(ficha: FichaCds, *, ator: Ator, substituida_por: FichaCds | None) -> None:
    ficha.cancelada_em = timezone.now()
    ficha.cancelada_por = ator.usuario
    ficha.substituida_por = substituida_por
    ficha.save(update_fields=["cancelada_em", "cancelada_por", "substituida_por"])
    outbox_registrar(
        municipio=ator.lotacao_exigida().municipio,
        destino="sisab",
        tipo="ficha_cds_cancelada",
        chave=f"ficha_cds_cancelada:{ficha.uuid}",
        objeto=ficha,
    )


def _gravar(
    ficha: FichaCds,
    *,
    ator: Ator,
    data_atendimento: datetime.date,
    turno: int | None,
    dados: dict[str, Any],
    linhas: list[dict[str, Any]],
) -> None:
    """Write the header and its rows, then ask the registered rules; any message undoes
    both (the caller's transaction, through this savepoint)."""
    erros: dict[str, list[str]] = {}
    if data_atendimento > timezone.localdate():
        erros["data_atendimento"] = ["A data do atendimento não pode ser posterior a hoje."]
    if not linhas and ficha.tipo == ledi.VISITA:
        erros["__all__"] = ["Digite pelo menos uma visita."]
    if erros:
        raise ValidationError(erros)
    with transaction.atomic():
        ficha.data_atendimento = data_atendimento
        ficha.turno = turno
        ficha.dados = dados
        ficha.digitada_por = ator.usuario
        ficha.digitada_em = timezone.now()
        ficha.save()
        cidadaos = _cidadaos(ficha.tipo, linhas, municipio_id=ficha.municipio_id)
        FichaCdsLinha.objects.bulk_create(
            [
                FichaCdsLinha(
                    municipio_id=ficha.municipio_id,
                    ficha=ficha,
                    ordem=ordem,
                    dados=linha,
                    cidadao=cidadaos.get(_documento(ficha.tipo, linha)),
                )
                for ordem, linha in enumerate(linhas)
            ]
        )
        erros = erros_dos_campos(ficha)
        if erros:
            raise ValidationError(erros)


def _documento(tipo: int, linha: dict[str, Any]) -> str:
    cpf, cns = DOCUMENTOS[tipo]
    return str(linha.get(cpf) or linha.get(cns) or "")


def _cidadaos(tipo: int, linhas: list[dict[str, Any]], *, municipio_id: int) -> dict[str, Cidadao]:
    """The municipality's citizens named by the rows' CPF or CNS, by that document, in one query."""
    documentos = {_documento(tipo, linha) for linha in linhas} - {""}
    if not documentos:
        return {}
    encontrados: dict[str, Cidadao] = {}
    consulta = Cidadao.objects.filter(Q(cpf__in=documentos) | Q(cns__in=documentos), municipio_id=municipio_id)
    for cidadao in consulta.filter(ativo=True).order_by("id"):
        for documento in (cidadao.cpf, cidadao.cns):
            if documento in documentos:
                encontrados.setdefault(documento, cidadao)
    return encontrados
