"""Lista de atendimentos of a UBS: arrivals (bookings or spontaneous demand), their state
from arrival to the end of care, and the queue as the professionals see it.

Escuta inicial and atendimento (prontuario.clinico.services) move an entry into their own states;
reception moves it here. Every move appends to `historico` with who and when.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from pec.models import Equipe, Lotacao
from pec.tenancy import assert_owned
from prontuario.models import Agendamento, Cidadao, EntradaLista

S = EntradaLista.Situacao
ATIVAS = (S.AGUARDANDO, S.EM_ESCUTA, S.EM_ATENDIMENTO)

# Allowed moves. Reception: não aguardou, cancelar, back to waiting after an escuta that
# stopped midway. Care: escuta and atendimento (normally through prontuario.clinico.services).
TRANSICOES: dict[str, set[str]] = {
    S.AGUARDANDO: {S.EM_ESCUTA, S.EM_ATENDIMENTO, S.NAO_AGUARDOU, S.CANCELADO},
    S.EM_ESCUTA: {S.AGUARDANDO, S.EM_ATENDIMENTO, S.NAO_AGUARDOU},
    S.EM_ATENDIMENTO: {S.ATENDIDO},
    S.ATENDIDO: set(),
    S.NAO_AGUARDOU: set(),
    S.CANCELADO: set(),
}
_CARIMBO: dict[str, str] = {
    S.EM_ESCUTA: "escuta_em",
    S.EM_ATENDIMENTO: "atendimento_em",
    S.ATENDIDO: "atendido_em",
    S.NAO_AGUARDOU: "nao_aguardou_em",
    S.CANCELADO: "cancelado_em",
}


@transaction.atomic
def lista_adicionar(
    *,
    por: Lotacao,
    cidadao: Cidadao,
    profissional: Lotacao | None = None,
    equipe: Equipe | None = None,
    agendamento: Agendamento | None = None,
) -> EntradaLista:
    """Put the citizen in the list of the actor's UBS: the arrival of a booking (which
    becomes "cidadão presente") or spontaneous demand."""
    for obj in (cidadao, profissional, equipe, agendamento):
        if obj is not None:
            assert_owned(obj, por.municipio_id)
    if not cidadao.ativo:
        raise ValidationError("Este cadastro foi unificado a outro; use o cadastro que permaneceu.")
    ja = EntradaLista.objects.filter(
        municipio_id=por.municipio_id,
        estabelecimento_id=por.estabelecimento_id,
        cidadao=cidadao,
        situacao__in=ATIVAS,
        chegada_em__date=timezone.localdate(),
    ).exists()
    if ja:
        raise ValidationError("O cidadão já está na lista de atendimentos de hoje.")
    tipo = EntradaLista.Tipo.ESPONTANEA
    if agendamento is not None:
        agendamento = Agendamento.objects.select_for_update().get(pk=agendamento.pk, municipio_id=por.municipio_id)
        if agendamento.cidadao_id != cidadao.pk:
            raise ValidationError("O agendamento é de outro cidadão.")
        if agendamento.situacao != Agendamento.Situacao.AGENDADO:
            raise ValidationError(f"Este agendamento está {agendamento.get_situacao_display().lower()}.")
        agendamento.situacao = Agendamento.Situacao.CHEGOU
        agendamento.save(update_fields=["situacao", "alterado_em"])
        tipo = EntradaLista.Tipo.AGENDADA
        profissional = profissional or agendamento.lotacao
    agora = timezone.now()
    return EntradaLista.objects.create(
        municipio_id=por.municipio_id,
        estabelecimento_id=por.estabelecimento_id,
        cidadao=cidadao,
        agendamento=agendamento,
        tipo=tipo,
        profissional=profissional,
        equipe=equipe,
        chegada_em=agora,
        historico=[{"situacao": S.AGUARDANDO, "em": agora.isoformat(), "lotacao_id": por.id}],
        criado_por=por,
    )


@transaction.atomic
def lista_mudar_situacao(
    *, entrada: EntradaLista, nova: str, por: Lotacao, classificacao_risco: int | None = None
) -> EntradaLista:
    assert_owned(entrada, por.municipio_id)
    atual = EntradaLista.objects.select_for_update().get(pk=entrada.pk, municipio_id=por.municipio_id)
    if nova not in TRANSICOES[atual.situacao]:
        raise ValidationError(f"Não é possível passar de “{atual.get_situacao_display()}” para “{S(nova).label}”.")
    agora = timezone.now()
    atual.situacao = nova
    atual.historico = [*atual.historico, {"situacao": nova, "em": agora.isoformat(), "lotacao_id": por.id}]
    campos = ["situacao", "historico"]
    if nova in _CARIMBO:
        setattr(atual, _CARIMBO[nova], agora)
        campos.append(_CARIMBO[nova])
    if classificacao_risco is not None:
        atual.classificacao_risco = classificacao_risco
        atual.prioridade = classificacao_risco
        campos += ["classificacao_risco", "prioridade"]
    atual.save(update_fields=campos)
    return atual


@dataclass(frozen=True)
class FiltroLista:
    situacoes: tuple[str, ...] = tuple(ATIVAS)
    profissional_id: int | None = None
    equipe_id: int | None = None
    tipo: str = ""
    dia: datetime.date | None = None


def lista_do_dia(*, lotacao: Lotacao, filtro: FiltroLista) -> QuerySet[EntradaLista]:
    """The UBS's list for the day, by risk class (emergência first, unclassified last),
    then arrival. One query with what each row shows."""
    dia = filtro.dia or timezone.localdate()
    inicio = timezone.make_aware(datetime.datetime.combine(dia, datetime.time.min))
    consulta = EntradaLista.objects.filter(
        municipio_id=lotacao.municipio_id,
        estabelecimento_id=lotacao.estabelecimento_id,
        chegada_em__gte=inicio,
        chegada_em__lt=inicio + datetime.timedelta(days=1),
        situacao__in=filtro.situacoes,
    )
    if filtro.profissional_id:
        consulta = consulta.filter(profissional_id=filtro.profissional_id)
    if filtro.equipe_id:
        consulta = consulta.filter(equipe_id=filtro.equipe_id)
    if filtro.tipo:
        consulta = consulta.filter(tipo=filtro.tipo)
    return consulta.select_related("cidadao", "profissional__profissional", "equipe").order_by(
        "prioridade", "chegada_em", "id"
    )
