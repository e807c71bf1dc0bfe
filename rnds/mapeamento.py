"""Clinical records (prontuario, issue 6) → the typed RNDS records of rnds.registros.

Registered for the outbox rows prontuario writes on finalising (tipo "rac" / "ria-r",
chave "<tipo>:<uuid>"). Each atendimento individual carries the consultation procedure
of the professional's CBO (SIGTAP), as PEC records it.

The RAC's Encounter says how the citizen came and how the contact ended, in RNDS code
systems (CodeSystem-BRCaraterAtendimento, -BRProcedencia, -BRMotivoDesfecho of the RAC
IG). They come from the same fields the SISAB gets: the LEDI tipoAtendimento (1
programada/cuidado continuado, 2 agendada, 5 consulta no dia, 6 urgência) and the
condutas. BRCaraterAtendimento has a code for each LEDI type. Procedência: spontaneous
demand (5, 6) is 09; continued care (1) is a return, 11; a plain scheduled consultation
(2) does not record who sent the citizen, 99. Desfecho: one code for several condutas,
the one that says most about where the citizen goes next: a referral (03) over a return
(08) over a discharge (01); none marked is 99.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from rnds.registros import (
    Identificacao,
    Problema,
    Procedimento,
    Registro,
    RegistroAtendimento,
    RegistroVacina,
    procedimento_consulta,
)

if TYPE_CHECKING:
    from prontuario.models import Vacinacao


def _quem(*, identificador: str, cidadao, lotacao, estabelecimento) -> Identificacao:  # type: ignore[no-untyped-def]
    return Identificacao(
        identificador=identificador,
        cidadao_cpf=cidadao.cpf,
        cidadao_cns=cidadao.cns,
        profissional_cns=lotacao.profissional.cns,
        profissional_cbo=lotacao.cbo,
        cnes=estabelecimento.cnes,
    )


CARATER = {1: "04", 2: "03", 5: "05", 6: "06"}
PROCEDENCIA = {1: "11", 2: "99", 5: "09", 6: "09"}
# prontuario CONDUTA codes (LEDI condutas) by BRMotivoDesfecho, in order of precedence.
DESFECHOS = (
    ("03", frozenset({4, 5, 6, 7, 8, 10, 11})),  # encaminhamento (especializado, CAPS, internação, ...)
    ("08", frozenset({1, 2, 12, 14})),  # retorno: consulta agendada, cuidado continuado, grupos, eMulti
    ("01", frozenset({9})),  # alta do episódio
)


def desfecho_das_condutas(condutas: list[int]) -> str:
    marcadas = set(condutas)
    return next((codigo for codigo, grupo in DESFECHOS if marcadas & grupo), "99")


def atendimento_para_registro(atendimento) -> RegistroAtendimento:  # type: ignore[no-untyped-def]
    problemas: list[Problema] = []
    for avaliado in atendimento.problemas_avaliados.order_by("id"):  # in the order they were assessed
        if avaliado.ciap:
            problemas.append(Problema("CIAP2", avaliado.ciap.strip().upper()))
        if avaliado.cid10:
            problemas.append(Problema("CID10", avaliado.cid10.replace(".", "").strip().upper()))
    return RegistroAtendimento(
        quem=_quem(
            identificador=str(atendimento.uuid),
            cidadao=atendimento.cidadao,
            lotacao=atendimento.lotacao,
            estabelecimento=atendimento.estabelecimento,
        ),
        inicio=atendimento.iniciado_em,
        fim=atendimento.finalizado_em or atendimento.iniciado_em,
        problemas=tuple(dict.fromkeys(problemas)),
        procedimentos=(Procedimento(procedimento_consulta(atendimento.lotacao.cbo)),),
        carater=CARATER.get(atendimento.tipo_atendimento, "99"),
        procedencia=PROCEDENCIA.get(atendimento.tipo_atendimento, "99"),
        desfecho=desfecho_das_condutas(atendimento.condutas),
    )


def _primeira_versao(vacinacao: Vacinacao) -> Vacinacao:
    """A corrected dose is a new row; the RNDS document keeps the first one's identifier,
    since a replacing Bundle must carry the identifier of the one it replaces (ERR872)."""
    while vacinacao.substitui_id is not None:
        vacinacao = vacinacao.substitui  # type: ignore[assignment]  # substitui_id is set
    return vacinacao


def vacinacao_para_registro(vacinacao) -> RegistroVacina:  # type: ignore[no-untyped-def]
    registrado = timezone.localtime(vacinacao.registrado_em)
    # The dose has a date; the time is that of the record when given the same day.
    hora = (
        registrado.timetz()
        if registrado.date() == vacinacao.data_aplicacao
        else datetime.time(12, tzinfo=registrado.tzinfo)
    )
    return RegistroVacina(
        quem=_quem(
            identificador=str(_primeira_versao(vacinacao).uuid),
            cidadao=vacinacao.cidadao,
            lotacao=vacinacao.lotacao,
            estabelecimento=vacinacao.estabelecimento,
        ),
        aplicada_em=datetime.datetime.combine(vacinacao.data_aplicacao, hora),
        imunobiologico=vacinacao.imunobiologico,
        lote=vacinacao.lote,
        fabricante=vacinacao.fabricante,
        dose=vacinacao.dose,
        estrategia=vacinacao.estrategia,
        grupo_atendimento=vacinacao.grupo_atendimento or "00",
        condicao_maternal=vacinacao.condicao_maternal or "1",
        local_aplicacao=vacinacao.local_aplicacao or "0",
        via_administracao=vacinacao.via or "0",
        transcricao_caderneta=vacinacao.registro_anterior,
        contato_hanseniase=vacinacao.comunicante_hanseniase,
        indicacao_cid10=vacinacao.cid10_motivo_indicacao.replace(".", "").strip().upper(),
    )


# Each takes its own model; the outbox hands it the row of the label it is registered for.
Mapeador = Callable[[Any], Registro]

# The registry of mappings, by model label in lower case as the outbox stores it. The
# delivery (rnds.entrega) and the check before finalising (rnds.verificacao) both read it
# here, so neither needs the other to find a record's mapping.
MAPEADORES: dict[str, Mapeador] = {
    "prontuario.atendimento": atendimento_para_registro,
    "prontuario.vacinacao": vacinacao_para_registro,
}


def registrar_mapeador(objeto_tipo: str, mapeador: Mapeador) -> None:
    """`objeto_tipo` is the model label in lower case, as the outbox stores it."""
    MAPEADORES[objeto_tipo] = mapeador
