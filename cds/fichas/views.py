"""The typing pages of the CDS fichas: the month's list with "Nova ficha", the typing
form (new or correcting), a saved ficha, its cancellation. Views parse the forms, call one
service or selector and render; a refusal of the service comes back as messages by field,
shown next to the field typed wrong and nothing saved."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from cds.fichas import ledi, selectors, services
from cds.fichas.forms import (
    LINHAS,
    ROTULO_LINHAS,
    AtividadeForm,
    CabecalhoForm,
    LinhaForm,
    linhas_formset,
)
from cds.fichas.models import FichaCds
from pec.http import RequisicaoComLotacao
from pec.identity.acesso import requer_permissao
from pec.models import Lotacao


@requer_permissao("cds.digitar")
def lista(request: RequisicaoComLotacao) -> HttpResponse:
    mes = _mes(request.GET.get("mes", ""))
    anterior = (mes - datetime.timedelta(days=1)).replace(day=1)
    seguinte = (mes + datetime.timedelta(days=32)).replace(day=1)
    contexto = {
        "mes": mes,
        "anterior": anterior,
        "seguinte": seguinte if seguinte <= timezone.localdate() else None,
        "fichas": selectors.fichas_do_mes(ator=request.ator, mes=mes),
        "tipos": [(tipo, ledi.TIPOS_DIGITAVEIS[tipo]) for tipo in services.tipos_permitidos(ator=request.ator)],
    }
    return render(request, "cds/fichas/lista.html", contexto)


def _mes(texto: str) -> datetime.date:
    """ "2026-11" -> 2026-11-01; anything else is this month."""
    try:
        return datetime.datetime.strptime(texto, "%Y-%m").date()
    except ValueError:
        return timezone.localdate().replace(day=1)


@requer_permissao("cds.digitar")
def nova(request: RequisicaoComLotacao, tipo: int) -> HttpResponse:
    if tipo not in ledi.TIPOS_DIGITAVEIS:
        raise Http404("Tipo de ficha desconhecido.")
    if tipo not in services.tipos_permitidos(ator=request.ator):
        raise PermissionDenied("A CBO da sua lotação não pode registrar esta ficha.")
    digitacao = Digitacao.do_post(request, tipo) if request.method == "POST" else Digitacao.vazia(request, tipo)
    if request.method == "POST" and digitacao.pronta(request):
        try:
            ficha = services.ficha_digitar(ator=request.ator, tipo=tipo, **digitacao.valores())
        except ValidationError as exc:
            digitacao.mostrar(exc)
        else:
            messages.success(request, f"{ledi.TIPOS_DIGITAVEIS[tipo]} salva.")
            return redirect("cds_ficha", ficha_id=ficha.id)
    return render(request, "cds/fichas/form.html", digitacao.contexto(titulo=ledi.TIPOS_DIGITAVEIS[tipo]))


@requer_permissao("cds.digitar")
def ver(request: RequisicaoComLotacao, ficha_id: int) -> HttpResponse:
    ficha = selectors.ficha_obter(ator=request.ator, ficha_id=ficha_id)
    forma = LINHAS[ficha.tipo]
    linhas = [(linha, _legivel(forma, linha.dados)) for linha in ficha.linhas.all()]
    contexto = {
        "ficha": ficha,
        "atividade": _legivel(AtividadeForm, ficha.dados) if ficha.tipo == ledi.ATIVIDADE_COLETIVA else [],
        "linhas": linhas,
        "rotulo_linhas": ROTULO_LINHAS[ficha.tipo],
        "pode_corrigir": not ficha.cancelada and ficha.tipo in services.tipos_permitidos(ator=request.ator),
    }
    return render(request, "cds/fichas/ver.html", contexto)


@requer_permissao("cds.digitar")
def editar(request: RequisicaoComLotacao, ficha_id: int) -> HttpResponse:
    ficha = selectors.ficha_obter(ator=request.ator, ficha_id=ficha_id)
    if ficha.tipo not in services.tipos_permitidos(ator=request.ator):
        raise PermissionDenied("A CBO da sua lotação não pode registrar esta ficha.")
    if ficha.cancelada:
        messages.error(request, "Esta ficha foi cancelada ou substituída: não pode ser corrigida.")
        return redirect("cds_ficha", ficha_id=ficha.id)
    digitacao = (
        Digitacao.do_post(request, ficha.tipo) if request.method == "POST" else Digitacao.da_ficha(request, ficha)
    )
    if request.method == "POST" and digitacao.pronta(request):
        try:
            nova_versao = services.ficha_editar(ator=request.ator, ficha=ficha, **digitacao.valores())
        except ValidationError as exc:
            digitacao.mostrar(exc)
        else:
            messages.success(request, "Ficha corrigida: a versão anterior foi cancelada.")
            return redirect("cds_ficha", ficha_id=nova_versao.id)
    titulo = f"Corrigir {ledi.TIPOS_DIGITAVEIS[ficha.tipo]}"
    return render(request, "cds/fichas/form.html", digitacao.contexto(titulo=titulo, ficha=ficha))


@require_POST
@requer_permissao("cds.digitar")
def cancelar(request: RequisicaoComLotacao, ficha_id: int) -> HttpResponse:
    ficha = selectors.ficha_obter(ator=request.ator, ficha_id=ficha_id)
    try:
        services.ficha_cancelar(ator=request.ator, ficha=ficha)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Ficha cancelada: não será enviada ao SISAB.")
    return redirect("cds_ficha", ficha_id=ficha.id)


def _legivel(forma: type[django_forms.Form], dados: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value as typed) of a saved row or activity, for reading."""
    inicial = forma.inicial(dados)  # type: ignore[attr-defined]  # LinhaForm and AtividadeForm have it
    itens = []
    for nome, campo in forma.base_fields.items():
        valor = inicial.get(nome)
        if valor in (None, "", [], False):
            continue
        escolhas = dict(getattr(campo, "choices", []) or [])
        legenda = dict(getattr(forma, "LEGENDAS", {}).get(nome, []))
        if legenda:  # codes typed as text: their names from the paper ficha's legend
            texto = "; ".join(str(legenda.get(int(codigo), codigo)) for codigo in str(valor).split())
        elif isinstance(valor, list):
            texto = "; ".join(str(escolhas.get(v, v)) for v in valor)
        elif isinstance(valor, datetime.date):
            texto = valor.strftime("%d/%m/%Y")
        elif valor is True:
            texto = "Sim"
        else:
            texto = str(escolhas.get(valor, escolhas.get(str(valor), valor)))
        itens.append((str(campo.label), texto))
    return itens


def _creditaveis(request: RequisicaoComLotacao, tipo: int) -> list[Lotacao]:
    """The header's choice of professional: offered when there is someone else to credit
    (a digitador), absent when the ficha can only be the typist's own."""
    lotacoes = services.lotacoes_para(ator=request.ator, tipo=tipo)
    return [] if [lotacao.id for lotacao in lotacoes] == [request.lotacao.id] else lotacoes


@dataclass
class Digitacao:
    """The forms of one typing page, and the messages that belong to none of their fields."""

    tipo: int
    cabecalho: CabecalhoForm
    linhas: django_forms.BaseFormSet[LinhaForm]
    atividade: AtividadeForm | None
    erros_gerais: list[str] = field(default_factory=list)
    # The formset index of each row sent to the service, in the order sent.
    indices: list[int] = field(default_factory=list)
    validada: bool = False  # sent to be saved: its messages are summed up on top

    @classmethod
    def vazia(cls, request: RequisicaoComLotacao, tipo: int) -> Digitacao:
        return cls(
            tipo=tipo,
            cabecalho=CabecalhoForm(
                tipo=tipo,
                lotacoes=_creditaveis(request, tipo),
                initial={"data_atendimento": timezone.localdate(), "lotacao": request.lotacao.id},
            ),
            linhas=linhas_formset(tipo, microarea=request.lotacao.microarea),
            atividade=AtividadeForm() if tipo == ledi.ATIVIDADE_COLETIVA else None,
        )

    @classmethod
    def da_ficha(cls, request: RequisicaoComLotacao, ficha: FichaCds) -> Digitacao:
        forma = LINHAS[ficha.tipo]
        return cls(
            tipo=ficha.tipo,
            cabecalho=CabecalhoForm(
                tipo=ficha.tipo,
                lotacoes=_creditaveis(request, ficha.tipo),
                initial={"data_atendimento": ficha.data_atendimento, "turno": ficha.turno, "lotacao": ficha.lotacao_id},
            ),
            linhas=linhas_formset(ficha.tipo, initial=[forma.inicial(linha.dados) for linha in ficha.linhas.all()]),
            atividade=AtividadeForm(initial=AtividadeForm.inicial(ficha.dados))
            if ficha.tipo == ledi.ATIVIDADE_COLETIVA
            else None,
        )

    @classmethod
    def do_post(cls, request: RequisicaoComLotacao, tipo: int) -> Digitacao:
        dados = request.POST.copy()
        if "adicionar" in dados:  # "Adicionar linha": one more blank row, nothing saved
            total = dados.get("linhas-TOTAL_FORMS", "0")
            dados["linhas-TOTAL_FORMS"] = str(int(total) + 1 if total.isdigit() else 1)
        return cls(
            tipo=tipo,
            cabecalho=CabecalhoForm(dados, tipo=tipo, lotacoes=_creditaveis(request, tipo)),
            linhas=linhas_formset(tipo, dados, microarea=request.lotacao.microarea),
            atividade=AtividadeForm(dados) if tipo == ledi.ATIVIDADE_COLETIVA else None,
        )

    def pronta(self, request: RequisicaoComLotacao) -> bool:
        """Sent to be saved (not "Adicionar linha") and every form well typed."""
        if "adicionar" in request.POST:
            return False
        self.validada = True
        formularios: list[django_forms.BaseForm] = [self.cabecalho, *([self.atividade] if self.atividade else [])]
        validos = [f.is_valid() for f in formularios]
        try:
            validos.append(self.linhas.is_valid())
        except ValidationError:  # the management form was tampered with
            self.erros_gerais.append("O formulário das linhas veio incompleto: recarregue a página.")
            return False
        return all(validos)

    def valores(self) -> dict[str, Any]:
        self.indices = [i for i, form in enumerate(self.linhas.forms) if form.has_changed()]
        return {
            "data_atendimento": self.cabecalho.cleaned_data["data_atendimento"],
            "turno": self.cabecalho.cleaned_data.get("turno"),
            "lotacao_id": self.cabecalho.cleaned_data.get("lotacao"),
            "dados": self.atividade.ledi() if self.atividade else {},
            "linhas": [self.linhas.forms[i].ledi() for i in self.indices],
        }

    def mostrar(self, exc: ValidationError) -> None:
        """Each message next to its field: the header's, the activity's (by LEDI name) or
        a row's ("linhas.<i>.<LEDI name>"); what has no field goes on top."""
        if not hasattr(exc, "error_dict"):
            self.erros_gerais += exc.messages
            return
        for chave, mensagens in exc.message_dict.items():
            if not self._no_campo(chave, mensagens):
                self.erros_gerais += mensagens

    def _no_campo(self, chave: str, mensagens: list[str]) -> bool:
        if chave in self.cabecalho.fields:
            self.cabecalho.add_error(chave, mensagens)
            return True
        if self.atividade is not None and chave in AtividadeForm.LEDI:
            self.atividade.add_error(AtividadeForm.LEDI[chave], mensagens)
            return True
        partes = chave.split(".")
        if len(partes) == 3 and partes[0] == "linhas" and partes[1].isdigit() and int(partes[1]) < len(self.indices):
            form = self.linhas.forms[self.indices[int(partes[1])]]
            campo = type(form).campo_do_ledi(partes[2])
            if campo is not None:
                form.add_error(campo, mensagens)
                return True
        return False

    def resumo(self) -> list[str]:
        """Every message with the name of its field (and row), for the top of the page."""
        itens = list(self.erros_gerais) + [str(m) for m in self.cabecalho.non_field_errors()]
        formularios: list[tuple[str, django_forms.BaseForm]] = [("", self.cabecalho)]
        if self.atividade is not None:
            formularios.append(("", self.atividade))
        formularios += [(f"Linha {i + 1}, ", form) for i, form in enumerate(self.linhas.forms)]
        for prefixo, form in formularios:
            for nome, erros in form.errors.items():
                rotulo = form.fields[nome].label if nome in form.fields else ""
                itens += [f"{prefixo}{rotulo}: {erro}" if rotulo else f"{prefixo}{erro}" for erro in erros]
        return list(dict.fromkeys(itens))

    def contexto(self, *, titulo: str, ficha: FichaCds | None = None) -> dict[str, Any]:
        return {
            "titulo": titulo,
            "tipo": self.tipo,
            "ficha": ficha,
            "cabecalho": self.cabecalho,
            "atividade": self.atividade,
            "linhas": self.linhas,
            "rotulo_linhas": ROTULO_LINHAS[self.tipo],
            "motivos": ledi.MOTIVO_VISITA,
            "condicoes_avaliadas": ledi.CONDICOES_AVALIADAS,
            "uma_linha": self.tipo in ledi.UM_CIDADAO,  # the one row is the ficha's body
            "resumo": self.resumo() if self.validada else [],
        }
