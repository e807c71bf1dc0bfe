"""The competência page: what each UBS, team and professional still owes the SISAB this
month, for whoever can act on it (sisab.competencia says why and how it is scoped)."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import render

from pec.http import RequisicaoComLotacao
from pec.identity.acesso import permissoes_ativas, requer_permissao
from sisab import competencia, envio, selectors

MESES_NA_LISTA = 12


def _meses(hoje: datetime.date) -> list[datetime.date]:
    """This month and the eleven before it, newest first."""
    meses, mes = [], hoje.replace(day=1)
    for _ in range(MESES_NA_LISTA):
        meses.append(mes)
        mes = (mes - datetime.timedelta(days=1)).replace(day=1)
    return meses


def _competencia_pedida(texto: str, meses: list[datetime.date]) -> datetime.date | None:
    try:
        pedida = datetime.datetime.strptime(texto, "%Y-%m").date()
    except ValueError:
        return None
    return pedida if pedida in meses else None


@requer_permissao("competencia.ver")
def pagina(request: RequisicaoComLotacao) -> HttpResponse:
    lotacao = request.lotacao
    instalacao = envio.instalacao_do_municipio(municipio_id=lotacao.municipio_id)
    prazo_dia = instalacao.prazo_dia if instalacao else selectors.PRAZO_PADRAO
    hoje = selectors.hoje()
    meses = _meses(hoje)
    # The open competência nearest its deadline: last month until its prazo, then this one.
    escolhida = selectors.competencias_abertas(hoje=hoje, prazo_dia=prazo_dia)[0]
    texto = request.GET.get("competencia", "")
    if texto:
        pedida = _competencia_pedida(texto, meses)
        if pedida is None:
            messages.error(request, "Competência inválida: escolha um dos últimos 12 meses (AAAA-MM).")
        else:
            escolhida = pedida
    escopo = competencia.escopo_de(lotacao=lotacao, permissoes=permissoes_ativas(request))
    dados = competencia.painel(escopo=escopo, competencia=escolhida, prazo_dia=prazo_dia, hoje=hoje)
    contexto = {
        "painel": dados,
        "meses": meses,
        "barras": competencia.barras(dados.tipos),
        "grafico": {
            "largura": competencia.LARGURA_ROTULO + competencia.LARGURA_BARRAS + 60,
            "altura": max(len(dados.tipos), 1) * competencia.ALTURA_BARRA,
            "x_barras": competencia.LARGURA_ROTULO,
            "x_total": competencia.LARGURA_ROTULO + competencia.LARGURA_BARRAS + 6,
            "legenda": competencia.SEGMENTOS,
        },
        "estabelecimento": lotacao.estabelecimento,
    }
    return render(request, "sisab/competencia.html", contexto)
