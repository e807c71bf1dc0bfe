"""Agenda of a lotação: weekly opening hours cut into slots, blocked periods (reservas),
bookings with conflict checks, cancel, reschedule, "faltou", and the e-mail to the citizen.

Bookings of one agenda are serialised by locking its lotação row, so two receptionists
can never both take the same slot; a partial unique index is the database's backstop.
"""

from __future__ import annotations

import datetime
import itertools
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from pec.email import email_enfileirar
from pec.models import Lotacao
from pec.tenancy import assert_owned
from prontuario.models import AgendaBloqueio, AgendaConfiguracao, AgendaHorario, Agendamento, Cidadao

ATIVO = Agendamento.Situacao.AGENDADO


@dataclass(frozen=True)
class Horario:
    """One slot of a day: free, booked, blocked or past."""

    inicio: datetime.datetime
    fim: datetime.datetime
    agendamento: Agendamento | None
    bloqueio: AgendaBloqueio | None
    passado: bool

    @property
    def livre(self) -> bool:
        return self.agendamento is None and self.bloqueio is None and not self.passado


@dataclass(frozen=True)
class ResumoDia:
    """One cell of the UBS week: how a professional's day is taken."""

    agendados: int
    faltas: int
    livres: int
    bloqueados: int

    @classmethod
    def de(cls, horarios: list[Horario]) -> ResumoDia:
        situacoes = [h.agendamento.situacao for h in horarios if h.agendamento]
        faltou = Agendamento.Situacao.FALTOU
        return cls(
            agendados=sum(1 for s in situacoes if s != faltou),
            faltas=situacoes.count(faltou),
            livres=sum(1 for h in horarios if h.livre),
            bloqueados=sum(1 for h in horarios if h.bloqueio),
        )

    @property
    def vazio(self) -> bool:
        return not (self.agendados or self.faltas or self.livres or self.bloqueados)


# --- Configuration -------------------------------------------------------------------------


@transaction.atomic
def agenda_configurar(
    *, agenda: Lotacao, duracao_minutos: int, periodos: list[tuple[int, datetime.time, datetime.time]]
) -> AgendaConfiguracao:
    """Replace the weekly opening periods (dia_semana 0 = segunda) and the slot length.

    Existing bookings stay as they are: changing the hours never cancels anyone.
    """
    if not 5 <= duracao_minutos <= 240:
        raise ValidationError("A duração de cada horário deve ficar entre 5 e 240 minutos.")
    ordenados = sorted(periodos)
    for dia, inicio, fim in ordenados:
        if fim <= inicio:
            raise ValidationError(f"{AgendaHorario.DIAS[dia][1]}: o fim deve ser depois do início.")
    for (dia_a, _, fim_a), (dia_b, inicio_b, _) in itertools.pairwise(ordenados):
        if dia_a == dia_b and inicio_b < fim_a:
            raise ValidationError(f"{AgendaHorario.DIAS[dia_a][1]}: os períodos se sobrepõem.")
    config, _ = AgendaConfiguracao.objects.update_or_create(
        municipio_id=agenda.municipio_id, lotacao=agenda, defaults={"duracao_minutos": duracao_minutos}
    )
    AgendaHorario.objects.filter(municipio_id=agenda.municipio_id, lotacao=agenda).delete()
    AgendaHorario.objects.bulk_create(
        AgendaHorario(municipio_id=agenda.municipio_id, lotacao=agenda, dia_semana=d, inicio=i, fim=f)
        for d, i, f in ordenados
    )
    return config


@transaction.atomic
def agenda_bloquear(
    *, agenda: Lotacao, inicio: datetime.datetime, fim: datetime.datetime, motivo: str, por: Lotacao
) -> AgendaBloqueio:
    _travar(agenda)
    if fim <= inicio:
        raise ValidationError("O fim do bloqueio deve ser depois do início.")
    marcados = Agendamento.objects.filter(
        municipio_id=agenda.municipio_id, lotacao=agenda, situacao=ATIVO, inicio__lt=fim, fim__gt=inicio
    ).select_related("cidadao")
    if marcados:
        nomes = ", ".join(f"{timezone.localtime(a.inicio):%d/%m %H:%M} {a.cidadao.nome_exibicao}" for a in marcados)
        raise ValidationError(f"Há agendamentos neste período; cancele ou remarque antes de bloquear: {nomes}.")
    return AgendaBloqueio.objects.create(
        municipio_id=agenda.municipio_id, lotacao=agenda, inicio=inicio, fim=fim, motivo=motivo, criado_por=por
    )


def agenda_desbloquear(*, bloqueio: AgendaBloqueio, por: Lotacao) -> None:
    assert_owned(bloqueio, por.municipio_id)
    bloqueio.delete()


# --- Reads ---------------------------------------------------------------------------------


def agendas_da_ubs(*, lotacao: Lotacao) -> list[Lotacao]:
    """Lotações of the same establishment that have an agenda configured."""
    return list(
        Lotacao.objects.filter(
            municipio_id=lotacao.municipio_id,
            estabelecimento_id=lotacao.estabelecimento_id,
            ativo=True,
            agenda_configuracao__isnull=False,
        )
        .select_related("profissional", "agenda_configuracao")
        .order_by("profissional__nome")
    )


def agenda_obter(*, lotacao: Lotacao, agenda_id: int) -> Lotacao:
    """An agenda (lotação) of the caller's UBS; Lotacao.DoesNotExist otherwise.

    Scope: agendas are kept by the UBS. Reception and professionals see and book the
    agendas of the establishment of their active lotação; someone who works in several
    UBS switches lotação. The citizen's record stays municipal (their bookings in any UBS
    show on the cadastro), but another UBS's agenda, bookings and blocks are not reachable
    by id.
    """
    agenda = Lotacao.objects.select_related("profissional", "estabelecimento").get(
        pk=agenda_id, municipio_id=lotacao.municipio_id, estabelecimento_id=lotacao.estabelecimento_id
    )
    assert_owned(agenda, lotacao.municipio_id)
    return agenda


def agenda_dia(*, agenda: Lotacao, dia: datetime.date) -> list[Horario]:
    """The day's slots, plus bookings outside them (made before the hours changed)."""
    return agendas_periodo(agendas=[agenda], dias=[dia])[agenda.pk, dia]


def agendas_periodo(
    *, agendas: list[Lotacao], dias: list[datetime.date]
) -> dict[tuple[int, datetime.date], list[Horario]]:
    """Every day's slots of several agendas (of one municipality) in four queries, keyed by
    (agenda id, day): the UBS week is one read, however many professionals it has."""
    if not agendas or not dias:
        return {}
    municipio_id = agendas[0].municipio_id
    for agenda in agendas:
        assert_owned(agenda, municipio_id)
    ids = [a.pk for a in agendas]
    inicio = timezone.make_aware(datetime.datetime.combine(min(dias), datetime.time.min))
    fim = timezone.make_aware(datetime.datetime.combine(max(dias), datetime.time.min)) + datetime.timedelta(days=1)
    duracoes = dict(
        AgendaConfiguracao.objects.filter(municipio_id=municipio_id, lotacao_id__in=ids).values_list(
            "lotacao_id", "duracao_minutos"
        )
    )
    periodos: dict[tuple[int, int], list[AgendaHorario]] = defaultdict(list)
    for periodo in AgendaHorario.objects.filter(municipio_id=municipio_id, lotacao_id__in=ids).order_by("inicio"):
        periodos[periodo.lotacao_id, periodo.dia_semana].append(periodo)
    agendamentos: dict[tuple[int, datetime.date], dict[datetime.datetime, Agendamento]] = defaultdict(dict)
    for a in (
        Agendamento.objects.filter(municipio_id=municipio_id, lotacao_id__in=ids, inicio__gte=inicio, inicio__lt=fim)
        .exclude(situacao__in=[Agendamento.Situacao.CANCELADO, Agendamento.Situacao.REMARCADO])
        .select_related("cidadao")
    ):
        assert_owned(a, municipio_id)
        agendamentos[a.lotacao_id, timezone.localdate(a.inicio)][a.inicio] = a
    bloqueios: dict[int, list[AgendaBloqueio]] = defaultdict(list)
    for b in AgendaBloqueio.objects.filter(
        municipio_id=municipio_id, lotacao_id__in=ids, inicio__lt=fim, fim__gt=inicio
    ):
        assert_owned(b, municipio_id)
        bloqueios[b.lotacao_id].append(b)

    agora = timezone.now()
    resultado = {}
    for agenda_id in ids:
        for dia in dias:
            do_dia = agendamentos[agenda_id, dia]
            horarios: list[Horario] = []
            for slot_inicio, slot_fim in _slots(dia, duracoes.get(agenda_id), periodos[agenda_id, dia.weekday()]):
                bloqueio = next((b for b in bloqueios[agenda_id] if b.inicio < slot_fim and b.fim > slot_inicio), None)
                horarios.append(
                    Horario(slot_inicio, slot_fim, do_dia.pop(slot_inicio, None), bloqueio, slot_inicio < agora)
                )
            horarios += [Horario(a.inicio, a.fim, a, None, a.inicio < agora) for a in do_dia.values()]
            resultado[agenda_id, dia] = sorted(horarios, key=lambda h: h.inicio)
    return resultado


def _slots(
    dia: datetime.date, duracao_minutos: int | None, periodos: list[AgendaHorario]
) -> list[tuple[datetime.datetime, datetime.datetime]]:
    if duracao_minutos is None:
        return []
    passo = datetime.timedelta(minutes=duracao_minutos)
    slots = []
    for periodo in periodos:
        inicio = timezone.make_aware(datetime.datetime.combine(dia, periodo.inicio))
        fim_periodo = timezone.make_aware(datetime.datetime.combine(dia, periodo.fim))
        while inicio + passo <= fim_periodo:
            slots.append((inicio, inicio + passo))
            inicio += passo
    return slots


def agendamento_obter(*, lotacao: Lotacao, agendamento_id: int) -> Agendamento:
    """A booking of an agenda of the caller's UBS (see agenda_obter); DoesNotExist otherwise."""
    agendamento = Agendamento.objects.select_related(
        "cidadao", "lotacao__profissional", "lotacao__estabelecimento"
    ).get(pk=agendamento_id, municipio_id=lotacao.municipio_id, lotacao__estabelecimento_id=lotacao.estabelecimento_id)
    assert_owned(agendamento, lotacao.municipio_id)
    return agendamento


def bloqueio_obter(*, lotacao: Lotacao, bloqueio_id: int) -> AgendaBloqueio:
    """A block of an agenda of the caller's UBS (see agenda_obter); DoesNotExist otherwise."""
    bloqueio = AgendaBloqueio.objects.get(
        pk=bloqueio_id, municipio_id=lotacao.municipio_id, lotacao__estabelecimento_id=lotacao.estabelecimento_id
    )
    assert_owned(bloqueio, lotacao.municipio_id)
    return bloqueio


# --- Bookings ------------------------------------------------------------------------------


def _travar(agenda: Lotacao) -> None:
    Lotacao.objects.select_for_update().filter(pk=agenda.pk, municipio_id=agenda.municipio_id).get()


@transaction.atomic
def agendar(
    *,
    agenda: Lotacao,
    cidadao: Cidadao,
    inicio: datetime.datetime,
    por: Lotacao,
    observacao: str = "",
    remarcado_de: Agendamento | None = None,
) -> Agendamento:
    """Book a free slot of the agenda for the citizen and queue the confirmation e-mail."""
    for obj in (agenda, cidadao):
        assert_owned(obj, por.municipio_id)
    _travar(agenda)
    if not cidadao.ativo:
        raise ValidationError("Este cadastro foi unificado a outro; agende pelo cadastro que permaneceu.")
    if cidadao.data_obito:
        raise ValidationError("Não é possível agendar para um cidadão com óbito registrado.")
    dia = timezone.localtime(inicio).date()
    horario = next((h for h in agenda_dia(agenda=agenda, dia=dia) if h.inicio == inicio), None)
    if horario is None:
        raise ValidationError("Este horário não existe na agenda do profissional.")
    if horario.passado:
        raise ValidationError("Este horário já passou.")
    if horario.bloqueio is not None:
        raise ValidationError(f"Horário bloqueado: {horario.bloqueio.motivo}.")
    if horario.agendamento is not None:
        raise ValidationError("Este horário acabou de ser ocupado. Escolha outro.")
    outro = (
        Agendamento.objects.filter(
            municipio_id=agenda.municipio_id, cidadao=cidadao, situacao=ATIVO, inicio__lt=horario.fim, fim__gt=inicio
        )
        .select_related("lotacao__profissional")
        .first()
    )
    if outro is not None:
        raise ValidationError(
            f"O cidadão já tem agendamento neste horário com {outro.lotacao.profissional.nome} "
            f"({timezone.localtime(outro.inicio):%d/%m %H:%M})."
        )
    try:
        with transaction.atomic():
            agendamento = Agendamento.objects.create(
                municipio_id=agenda.municipio_id,
                lotacao=agenda,
                cidadao=cidadao,
                inicio=inicio,
                fim=horario.fim,
                observacao=observacao[:200],
                criado_por=por,
                remarcado_de=remarcado_de,
            )
    except IntegrityError as exc:  # lost a race the lock did not cover (another database session)
        raise ValidationError("Este horário acabou de ser ocupado. Escolha outro.") from exc
    if cidadao.email:
        email_enfileirar(
            para=[cidadao.email],
            assunto=agendamento_email_assunto(agendamento),
            corpo=agendamento_email_corpo(agendamento),
            municipio_id=agenda.municipio_id,
        )
    return agendamento


@transaction.atomic
def agendamento_cancelar(*, agendamento: Agendamento, por: Lotacao, motivo: str) -> Agendamento:
    agendamento = _para_alterar(agendamento, por)
    agendamento.situacao = Agendamento.Situacao.CANCELADO
    agendamento.motivo_cancelamento = motivo[:200]
    agendamento.save(update_fields=["situacao", "motivo_cancelamento", "alterado_em"])
    return agendamento


@transaction.atomic
def agendamento_remarcar(*, agendamento: Agendamento, novo_inicio: datetime.datetime, por: Lotacao) -> Agendamento:
    """A new booking pointing to the old one, which becomes "remarcado" (kept, not edited)."""
    antigo = _para_alterar(agendamento, por)
    antigo.situacao = Agendamento.Situacao.REMARCADO
    antigo.save(update_fields=["situacao", "alterado_em"])
    return agendar(
        agenda=antigo.lotacao,
        cidadao=antigo.cidadao,
        inicio=novo_inicio,
        por=por,
        observacao=antigo.observacao,
        remarcado_de=antigo,
    )


@transaction.atomic
def agendamento_faltou(*, agendamento: Agendamento, por: Lotacao) -> Agendamento:
    agendamento = _para_alterar(agendamento, por)
    if agendamento.inicio > timezone.now():
        raise ValidationError("Só é possível registrar a falta depois do horário agendado.")
    agendamento.situacao = Agendamento.Situacao.FALTOU
    agendamento.save(update_fields=["situacao", "alterado_em"])
    return agendamento


def _para_alterar(agendamento: Agendamento, por: Lotacao) -> Agendamento:
    assert_owned(agendamento, por.municipio_id)
    atual = (
        Agendamento.objects.select_for_update()
        .select_related("lotacao", "cidadao")
        .get(pk=agendamento.pk, municipio_id=por.municipio_id)
    )
    if atual.situacao != ATIVO:
        raise ValidationError(f"Este agendamento já está {atual.get_situacao_display().lower()}.")
    return atual


# --- E-mail --------------------------------------------------------------------------------


def agendamento_email_assunto(agendamento: Agendamento) -> str:
    return f"Consulta agendada: {timezone.localtime(agendamento.inicio):%d/%m/%Y às %H:%M}"


def agendamento_email_corpo(agendamento: Agendamento) -> str:
    lotacao = agendamento.lotacao
    estabelecimento = lotacao.estabelecimento
    endereco = ", ".join(p for p in (estabelecimento.logradouro, estabelecimento.numero, estabelecimento.bairro) if p)
    linhas = [
        f"Olá, {agendamento.cidadao.nome_exibicao.title()}.",
        "",
        f"Sua consulta está agendada para {timezone.localtime(agendamento.inicio):%d/%m/%Y às %H:%M}",
        f"com {lotacao.profissional.nome}, na {estabelecimento.nome}{f' ({endereco})' if endereco else ''}.",
        "",
        "Chegue com 15 minutos de antecedência e traga um documento com foto e o Cartão SUS.",
        "Se não puder comparecer, avise a unidade para liberar o horário para outra pessoa.",
    ]
    return "\n".join(linhas)
