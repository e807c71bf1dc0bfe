"""Agenda and lista de atendimentos pages. Objects are looked up in the active lotação's
municipality (404 otherwise); RLS backs the filter."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from pec import parametros
from pec.buscas import busca_ler, busca_postada
from pec.http import RequisicaoComLotacao
from pec.identity.acesso import requer_permissao, tem_permissao
from pec.models import Equipe, Lotacao
from prontuario.agenda import lista
from prontuario.agenda import selectors as agenda_selectors
from prontuario.agenda import services as agenda
from prontuario.agenda.forms import AdicionarListaForm, BloqueioForm, ConfiguracaoForm, HorariosFormSet
from prontuario.cadastro.selectors import cidadao_pesquisar
from prontuario.clinico.selectors import cidadao_clinico, entrada_obter
from prontuario.models import AgendaBloqueio, Agendamento, EntradaLista


def _lotacao(request: RequisicaoComLotacao) -> Lotacao:
    return request.lotacao


def _agenda(request: RequisicaoComLotacao, agenda_id: int) -> Lotacao:
    try:
        return agenda.agenda_obter(lotacao=_lotacao(request), agenda_id=agenda_id)
    except Lotacao.DoesNotExist as exc:
        raise Http404 from exc


def _agendamento(request: RequisicaoComLotacao, agendamento_id: int) -> Agendamento:
    try:
        return agenda.agendamento_obter(lotacao=_lotacao(request), agendamento_id=agendamento_id)
    except Agendamento.DoesNotExist as exc:
        raise Http404 from exc


def _agendamento_ler(request: RequisicaoComLotacao, agendamento_id: int, *, o_que: str) -> Agendamento:
    try:
        return agenda_selectors.agendamento_ler(ator=request.ator, agendamento_id=agendamento_id, o_que=o_que)
    except Agendamento.DoesNotExist as exc:
        raise Http404 from exc


def _dia(request: HttpRequest) -> datetime.date:
    """The day asked for (?dia=AAAA-MM-DD), or today; an impossible date says so."""
    valor = request.GET.get("dia", "")
    dia = parametros.data(valor)
    if dia is None and valor:
        messages.warning(request, "Data inválida na página pedida: mostrando a agenda de hoje.")
    return dia or timezone.localdate()


def _erro(request: HttpRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


# --- Agenda views ------------------------------------------------------------------------


@requer_permissao("agenda.ver")
def agenda_ubs(request: RequisicaoComLotacao) -> HttpResponse:
    """Every agenda of the UBS for one day, side by side; or the week as a table of
    professionals by days, each cell how the day is taken (?semana=1)."""
    dia = _dia(request)
    agendas = agenda.agendas_da_ubs(lotacao=_lotacao(request))
    if request.GET.get("semana"):
        segunda = dia - datetime.timedelta(days=dia.weekday())
        dias = [segunda + datetime.timedelta(days=n) for n in range(7)]
        horarios = agenda.agendas_periodo(agendas=agendas, dias=dias)
        linhas = [(a, [(d, agenda.ResumoDia.de(horarios[a.pk, d])) for d in dias]) for a in agendas]
        return render(
            request,
            "prontuario/agenda_ubs_semana.html",
            {"dia": segunda, "dias": dias, "linhas": linhas, **_navegacao(segunda, 7)},
        )
    horarios = agenda.agendas_periodo(agendas=agendas, dias=[dia])
    return render(
        request,
        "prontuario/agenda_ubs.html",
        {"dia": dia, "agendas": [(a, horarios[a.pk, dia]) for a in agendas], **_navegacao(dia, 1)},
    )


@requer_permissao("agenda.ver")
def agenda_profissional(request: RequisicaoComLotacao, agenda_id: int) -> HttpResponse:
    a = _agenda(request, agenda_id)
    dia = _dia(request)
    if request.GET.get("semana"):
        segunda = dia - datetime.timedelta(days=dia.weekday())
        dias = [(segunda + datetime.timedelta(days=n)) for n in range(7)]
        horarios = agenda.agendas_periodo(agendas=[a], dias=dias)
        semana = [(d, horarios[a.pk, d]) for d in dias]
        return render(
            request,
            "prontuario/agenda_semana.html",
            {"agenda": a, "dia": segunda, "semana": semana, **_navegacao(segunda, 7)},
        )
    return render(
        request,
        "prontuario/agenda_dia.html",
        {"agenda": a, "dia": dia, "horarios": agenda.agenda_dia(agenda=a, dia=dia), **_navegacao(dia, 1)},
    )


def _navegacao(dia: datetime.date, passo: int) -> dict[str, Any]:
    return {
        "anterior": dia - datetime.timedelta(days=passo),
        "seguinte": dia + datetime.timedelta(days=passo),
        "hoje": timezone.localdate(),
    }


@requer_permissao("agenda.gerenciar")
def agenda_configurar(request: RequisicaoComLotacao, agenda_id: int) -> HttpResponse:
    a = _agenda(request, agenda_id)
    config = getattr(a, "agenda_configuracao", None)
    inicial = [{"dia_semana": h.dia_semana, "inicio": h.inicio, "fim": h.fim} for h in a.agenda_horarios.all()]
    form = ConfiguracaoForm(request.POST or None, initial={"duracao_minutos": config.duracao_minutos if config else 20})
    horarios = HorariosFormSet(request.POST or None, initial=inicial, prefix="h")
    if request.method == "POST" and form.is_valid() and horarios.is_valid():
        periodos = [
            (int(f.cleaned_data["dia_semana"]), f.cleaned_data["inicio"], f.cleaned_data["fim"])
            for f in horarios.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE") and f.cleaned_data.get("dia_semana") is not None
        ]
        try:
            agenda.agenda_configurar(agenda=a, duracao_minutos=form.cleaned_data["duracao_minutos"], periodos=periodos)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Horários da agenda salvos.")
            return redirect("agenda_profissional", agenda_id=a.pk)
    return render(request, "prontuario/agenda_configurar.html", {"agenda": a, "form": form, "horarios": horarios})


@requer_permissao("agenda.gerenciar")
def agenda_bloqueios(request: RequisicaoComLotacao, agenda_id: int) -> HttpResponse:
    a = _agenda(request, agenda_id)
    form = BloqueioForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            agenda.agenda_bloquear(agenda=a, por=_lotacao(request), **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Período bloqueado.")
            return redirect("agenda_bloqueios", agenda_id=a.pk)
    bloqueios = AgendaBloqueio.objects.filter(municipio_id=a.municipio_id, lotacao=a, fim__gte=timezone.now()).order_by(
        "inicio"
    )
    return render(request, "prontuario/agenda_bloqueios.html", {"agenda": a, "form": form, "bloqueios": bloqueios})


@require_POST
@requer_permissao("agenda.gerenciar")
def agenda_desbloquear(request: RequisicaoComLotacao, bloqueio_id: int) -> HttpResponse:
    lotacao = _lotacao(request)
    try:
        bloqueio = agenda.bloqueio_obter(lotacao=lotacao, bloqueio_id=bloqueio_id)
    except AgendaBloqueio.DoesNotExist as exc:
        raise Http404 from exc
    agenda.agenda_desbloquear(bloqueio=bloqueio, por=lotacao)
    messages.success(request, "Bloqueio removido.")
    return redirect("agenda_bloqueios", agenda_id=bloqueio.lotacao_id)


@requer_permissao("agenda.gerenciar")
def agendar(request: RequisicaoComLotacao, agenda_id: int) -> HttpResponse:
    """Book a slot: pick the citizen (search box), confirm. Reached from a free slot."""
    lotacao = _lotacao(request)
    a = _agenda(request, agenda_id)
    inicio = parametros.data_hora(request.GET.get("inicio") or request.POST.get("inicio"))
    if inicio is None:
        messages.error(request, "Horário inválido: escolha um horário livre na agenda.")
        return redirect("agenda_profissional", agenda_id=a.pk)
    if request.method == "POST" and "q" in request.POST:
        return busca_postada(request, reverse("agendar", args=[a.pk]), inicio=inicio.isoformat())
    cidadao_id = parametros.inteiro(request.POST.get("cidadao") or request.GET.get("cidadao"))
    cidadao = (
        cidadao_clinico(ator=request.ator, cidadao_id=cidadao_id, o_que="agendamento (escolha do horário)")
        if cidadao_id is not None
        else None
    )
    if request.method == "POST" and cidadao is not None:
        try:
            agendamento = agenda.agendar(
                agenda=a, cidadao=cidadao, inicio=inicio, por=lotacao, observacao=request.POST.get("observacao", "")
            )
        except ValidationError as exc:
            _erro(request, exc)
        else:
            _avisar_email(request, agendamento)
            return redirect("agendamento_detalhe", agendamento_id=agendamento.pk)
    entrada = busca_ler(request).get("q", "")
    resultado = cidadao_pesquisar(ator=request.ator, entrada=entrada) if entrada and cidadao is None else None
    return render(
        request,
        "prontuario/agendar.html",
        {"agenda": a, "inicio": inicio, "cidadao": cidadao, "entrada": entrada, "resultado": resultado},
    )


def _avisar_email(request: RequisicaoComLotacao, agendamento: Agendamento) -> None:
    messages.success(request, f"Agendado para {timezone.localtime(agendamento.inicio):%d/%m/%Y %H:%M}.")
    email = agendamento.cidadao.email
    if not email:
        return
    if _lotacao(request).municipio.em_treinamento:
        messages.info(
            request,
            f"Município em treinamento: nenhum e-mail foi enviado. Teria sido enviado a {email}: "
            f"“{agenda.agendamento_email_assunto(agendamento)}” — {agenda.agendamento_email_corpo(agendamento)}",
        )
    else:
        messages.info(request, f"Confirmação enviada por e-mail para {email}.")


@requer_permissao("agenda.ver")
def agendamento_detalhe(request: RequisicaoComLotacao, agendamento_id: int) -> HttpResponse:
    agendamento = _agendamento_ler(request, agendamento_id, o_que="agendamento")
    return render(request, "prontuario/agendamento.html", {"agendamento": agendamento})


@requer_permissao("agenda.ver")
def agendamento_comprovante(request: RequisicaoComLotacao, agendamento_id: int) -> HttpResponse:
    agendamento = _agendamento_ler(request, agendamento_id, o_que="comprovante de agendamento")
    return render(request, "prontuario/agendamento_comprovante.html", {"agendamento": agendamento})


@require_POST
@requer_permissao("agenda.gerenciar")
def agendamento_acao(request: RequisicaoComLotacao, agendamento_id: int, acao: str) -> HttpResponse:
    """cancelar, faltou, remarcar (novo_inicio), chegada (puts the citizen in the list)."""
    lotacao = _lotacao(request)
    agendamento = _agendamento(request, agendamento_id)
    try:
        if acao == "cancelar":
            agenda.agendamento_cancelar(agendamento=agendamento, por=lotacao, motivo=request.POST.get("motivo", ""))
            messages.success(request, "Agendamento cancelado.")
        elif acao == "faltou":
            agenda.agendamento_faltou(agendamento=agendamento, por=lotacao)
            messages.success(request, "Falta registrada.")
        elif acao == "remarcar":
            novo = parametros.data_hora(request.POST.get("novo_inicio"))
            if novo is None:
                raise ValidationError("Escolha o novo horário.")
            agendamento = agenda.agendamento_remarcar(agendamento=agendamento, novo_inicio=novo, por=lotacao)
            _avisar_email(request, agendamento)
        elif acao == "chegada":
            lista.lista_adicionar(por=lotacao, cidadao=agendamento.cidadao, agendamento=agendamento)
            messages.success(request, f"{agendamento.cidadao.nome_exibicao} incluído(a) na lista de atendimentos.")
        else:
            raise Http404
    except ValidationError as exc:
        _erro(request, exc)
    return redirect("agendamento_detalhe", agendamento_id=agendamento.pk)


# --- Lista de atendimentos ---------------------------------------------------------------------


def _filtro(request: HttpRequest) -> lista.FiltroLista:
    situacao = request.GET.get("situacao", "")
    situacoes: tuple[str, ...] = (situacao,) if situacao in EntradaLista.Situacao.values else tuple(lista.ATIVAS)
    if situacao == "todas":
        situacoes = tuple(EntradaLista.Situacao.values)
    tipo = request.GET.get("tipo", "")
    return lista.FiltroLista(
        situacoes=situacoes,
        profissional_id=parametros.inteiro(request.GET.get("profissional")),
        equipe_id=parametros.inteiro(request.GET.get("equipe")),
        tipo=tipo if tipo in EntradaLista.Tipo.values else "",
    )


@requer_permissao("fila.ver")
def lista_atendimentos(request: RequisicaoComLotacao) -> HttpResponse:
    lotacao = _lotacao(request)
    contexto = _contexto_lista(request)
    contexto["profissionais"] = (
        Lotacao.objects.filter(
            municipio_id=lotacao.municipio_id, estabelecimento_id=lotacao.estabelecimento_id, ativo=True
        )
        .select_related("profissional")
        .order_by("profissional__nome")
    )
    contexto["equipes"] = Equipe.objects.filter(
        municipio_id=lotacao.municipio_id, estabelecimento_id=lotacao.estabelecimento_id, ativo=True
    )
    contexto["situacoes"] = EntradaLista.Situacao.choices
    contexto["tipos"] = EntradaLista.Tipo.choices
    return render(request, "prontuario/lista.html", contexto)


@requer_permissao("fila.ver")
def lista_fragmento(request: RequisicaoComLotacao) -> HttpResponse:
    """The rows only, fetched every few seconds by static/js/lista.js."""
    return render(request, "prontuario/_lista_linhas.html", _contexto_lista(request))


def _contexto_lista(request: RequisicaoComLotacao) -> dict[str, Any]:
    return {
        "entradas": list(lista.lista_do_dia(lotacao=_lotacao(request), filtro=_filtro(request))),
        "pode_gerenciar": tem_permissao(request, "fila.gerenciar"),
        "pode_escuta": tem_permissao(request, "escuta.registrar"),
        "pode_atender": tem_permissao(request, "atendimento.registrar"),
        "agora": timezone.now(),
    }


@requer_permissao("fila.gerenciar")
def lista_adicionar(request: RequisicaoComLotacao, cidadao_id: int) -> HttpResponse:
    """Spontaneous demand: the citizen arrives without a booking."""
    lotacao = _lotacao(request)
    cidadao = cidadao_clinico(ator=request.ator, cidadao_id=cidadao_id, o_que="inclusão na lista de atendimentos")
    form = AdicionarListaForm(request.POST or None, lotacao=lotacao)
    if request.method == "POST" and form.is_valid():
        try:
            lista.lista_adicionar(por=lotacao, cidadao=cidadao, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"{cidadao.nome_exibicao} incluído(a) na lista de atendimentos.")
            return redirect("lista_atendimentos")
    return render(request, "prontuario/lista_adicionar.html", {"cidadao": cidadao, "form": form})


@require_POST
@requer_permissao("fila.gerenciar")
def lista_situacao(request: RequisicaoComLotacao, entrada_id: int) -> HttpResponse:
    lotacao = _lotacao(request)
    entrada = entrada_obter(lotacao=lotacao, entrada_id=entrada_id)
    nova = request.POST.get("situacao", "")
    if nova not in (
        EntradaLista.Situacao.NAO_AGUARDOU,
        EntradaLista.Situacao.CANCELADO,
        EntradaLista.Situacao.AGUARDANDO,
    ):
        raise Http404
    try:
        lista.lista_mudar_situacao(entrada=entrada, nova=nova, por=lotacao)
    except ValidationError as exc:
        _erro(request, exc)
    return redirect("lista_atendimentos")
