"""Writes of vaccination: apply or transcribe a dose, correct or delete a PEC-origin dose.

Origin rules (as in PEC): only doses typed in the PEC can be corrected or deleted here,
and only by perfis with "vacina.corrigir"; CDS fichas and imported records are
corrected at their origin. A correction is a new version that replaces the old one; a
deletion is soft. Both are audited and go to RNDS/SISAB through the outbox.

A dose is checked, before it is written, by the LEDI rules of the ficha it becomes
(sisab.regras, the rules the export applies, registered with pec.integracoes): a dose the
form accepts is never a ficha the SISAB ledger then holds invalid for something the
vaccinator could have fixed.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from pec.ator import Ator
from pec.audit.chain import audit_event
from pec.integracoes import erros_dos_campos, verificacoes_ao_finalizar
from pec.models import Lotacao, Outbox
from pec.outbox import (
    outbox_registrar,
    outbox_registrar_exclusao,
    outbox_registrar_substituicao,
    outbox_ultimo_envio,
)
from pec.tenancy import assert_owned
from prontuario.clinico.regras import BCG, ESTRATEGIA_ESPECIAL, vacinacao_erros
from prontuario.models import Cidadao, Vacinacao

CAMPOS = (
    "registro_anterior",
    "data_aplicacao",
    "imunobiologico",
    "estrategia",
    "dose",
    "lote",
    "fabricante",
    "via",
    "local_aplicacao",
    "grupo_atendimento",
    "condicao_maternal",
    "comunicante_hanseniase",
    "cid10_motivo_indicacao",
)


def _valores(dados: dict[str, Any]) -> dict[str, Any]:
    valores = {c: dados.get(c) or "" for c in CAMPOS}
    valores["registro_anterior"] = bool(dados.get("registro_anterior"))
    valores["data_aplicacao"] = dados["data_aplicacao"]
    # Each belongs to one imunobiológico/strategy (LEDI: "somente pode ser preenchido se..."):
    # a value left in the form after switching vaccine is dropped, not sent.
    bcg = dados["imunobiologico"] == BCG
    valores["comunicante_hanseniase"] = dados.get("comunicante_hanseniase") if bcg else None
    especial = dados["estrategia"] == ESTRATEGIA_ESPECIAL
    valores["cid10_motivo_indicacao"] = (dados.get("cid10_motivo_indicacao") or "") if especial else ""
    return valores


def _validar(vacinacao: Vacinacao, dados: dict[str, Any]) -> None:
    """Before anything is written: the clinic's rules, then the LEDI rules of the ficha the
    dose becomes (registered by sisab with pec.integracoes), each message on its field."""
    cidadao = vacinacao.cidadao
    erros = {
        campo: [mensagem]
        for campo, mensagem in vacinacao_erros(
            dados=dados, nascimento=cidadao.data_nascimento, hoje=timezone.localdate()
        ).items()
    }
    for campo, mensagens in erros_dos_campos(vacinacao).items():
        erros.setdefault(campo, mensagens)  # one message per field: the clinic's says it first
    if erros:
        raise ValidationError(erros)


def _verificar_rnds(vacinacao: Vacinacao) -> None:
    """A dose that will go to the RNDS is checked as it will be sent, inside the saving
    transaction: raising rolls the dose back, with messages for the form."""
    if vacinacao.registro_anterior:
        return
    erros = verificacoes_ao_finalizar(municipio=vacinacao.municipio, objeto=vacinacao)
    if erros:
        raise ValidationError(erros)


def _envio_rnds_vigente(vacinacao: Vacinacao) -> Outbox | None:
    """The RNDS row whose document stands (or will) for this dose; None if the RNDS never
    had nor will have it (a transcription, or a document it refused)."""
    envio = outbox_ultimo_envio(destino="rnds", municipio_id=vacinacao.municipio_id, objeto=vacinacao)
    return None if envio is None or envio.status == Outbox.Status.ERRO else envio


def _registrar_envios(vacinacao: Vacinacao, *, anterior: Vacinacao | None = None) -> None:
    # A transcription is history the citizen brought on paper: SISAB counts it, RNDS has
    # it from whoever applied it, so only current applications become a RIA-R.
    municipio = vacinacao.municipio
    vigente = _envio_rnds_vigente(anterior) if anterior is not None else None
    if vigente is not None:
        # The RNDS holds the previous version: the correction replaces that document
        # (relatesTo replaces, same identifier) instead of adding a second dose.
        outbox_registrar_substituicao(
            municipio=municipio, destino="rnds", objeto=vacinacao, tipo="ria-r", chave_original=vigente.chave
        )
    elif not vacinacao.registro_anterior:
        outbox_registrar(
            municipio=municipio, destino="rnds", tipo="ria-r", chave=f"ria-r:{vacinacao.uuid}", objeto=vacinacao
        )
    outbox_registrar(
        municipio=municipio, destino="sisab", tipo="ficha_vacinacao", chave=f"fv:{vacinacao.uuid}", objeto=vacinacao
    )


@transaction.atomic
def vacinacao_registrar(*, cidadao: Cidadao, lotacao: Lotacao, dados: dict[str, Any]) -> Vacinacao:
    assert_owned(cidadao, lotacao.municipio_id)
    vacinacao = Vacinacao(
        municipio_id=cidadao.municipio_id,
        cidadao=cidadao,
        lotacao=lotacao,
        estabelecimento=lotacao.estabelecimento,
        origem=Vacinacao.Origem.PEC,
        registrado_em=timezone.now(),
        **_valores(dados),
    )
    _validar(vacinacao, dados)
    vacinacao.save()
    _verificar_rnds(vacinacao)
    _registrar_envios(vacinacao)
    return vacinacao


def _pode_alterar(vacinacao: Vacinacao, lotacao: Lotacao, permissoes: frozenset[str]) -> None:
    assert_owned(vacinacao, lotacao.municipio_id)
    if "vacina.corrigir" not in permissoes:
        raise PermissionDenied("Seu perfil não permite corrigir ou excluir doses registradas.")
    if vacinacao.origem != Vacinacao.Origem.PEC:
        raise ValidationError("Doses vindas de fichas CDS ou importadas só podem ser corrigidas na origem.")
    if vacinacao.excluida_em is not None or hasattr(vacinacao, "substituida_por"):
        raise ValidationError("Esta dose já foi corrigida ou excluída.")


@transaction.atomic
def vacinacao_corrigir(
    *, vacinacao: Vacinacao, lotacao: Lotacao, permissoes: frozenset[str], dados: dict[str, Any], ator: Ator
) -> Vacinacao:
    vacinacao = Vacinacao.objects.select_for_update().select_related("cidadao").get(pk=vacinacao.pk)
    _pode_alterar(vacinacao, lotacao, permissoes)
    agora = timezone.now()
    nova = Vacinacao(
        municipio_id=vacinacao.municipio_id,
        cidadao=vacinacao.cidadao,
        lotacao=lotacao,
        estabelecimento=vacinacao.estabelecimento,
        origem=Vacinacao.Origem.PEC,
        registrado_em=agora,
        versao=vacinacao.versao + 1,
        substitui=vacinacao,
        **_valores(dados),
    )
    _validar(nova, dados)
    nova.save()
    vacinacao.excluida_em, vacinacao.excluida_por, vacinacao.motivo_exclusao = agora, lotacao, "Corrigida"
    vacinacao.save(update_fields=["excluida_em", "excluida_por", "motivo_exclusao"])
    alteracoes = {
        c: [str(getattr(vacinacao, c)), str(getattr(nova, c))]
        for c in CAMPOS
        if getattr(vacinacao, c) != getattr(nova, c)
    }
    audit_event(
        evento="vacina_correcao",
        ator=ator,
        cidadao_id=vacinacao.cidadao_id,
        o_que=f"correção da dose {vacinacao.uuid}",
        detalhes={"nova": str(nova.uuid), "alteracoes": alteracoes},
    )
    _verificar_rnds(nova)
    _registrar_envios(nova, anterior=vacinacao)
    return nova


@transaction.atomic
def vacinacao_excluir(
    *, vacinacao: Vacinacao, lotacao: Lotacao, permissoes: frozenset[str], motivo: str, ator: Ator
) -> None:
    vacinacao = Vacinacao.objects.select_for_update().select_related("municipio").get(pk=vacinacao.pk)
    _pode_alterar(vacinacao, lotacao, permissoes)
    if not motivo.strip():
        raise ValidationError("Informe o motivo da exclusão.")
    vacinacao.excluida_em, vacinacao.excluida_por, vacinacao.motivo_exclusao = timezone.now(), lotacao, motivo[:200]
    vacinacao.save(update_fields=["excluida_em", "excluida_por", "motivo_exclusao"])
    audit_event(
        evento="vacina_exclusao",
        ator=ator,
        cidadao_id=vacinacao.cidadao_id,
        o_que=f"exclusão da dose {vacinacao.uuid}",
        detalhes={"motivo": motivo[:200]},
    )
    vigente = _envio_rnds_vigente(vacinacao)
    if vigente is not None:
        # A dose voided here (wrong citizen, duplicate) is deleted at the RNDS too.
        outbox_registrar_exclusao(
            municipio=vacinacao.municipio, destino="rnds", objeto=vacinacao, tipo="ria-r", chave_original=vigente.chave
        )
    outbox_registrar(
        municipio=vacinacao.municipio,
        destino="sisab",
        tipo="ficha_vacinacao_exclusao",
        chave=f"fv-exclusao:{vacinacao.uuid}",
        objeto=vacinacao,
    )
