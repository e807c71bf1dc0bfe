"""A year of care in the production demo municipality, so that lists, the folha de rosto,
the vaccination card, the SISAB competências and the RNDS panel look like a small real
municipality's on the first `make run`.

Everything is written by the services the pages use, with the data their forms would
post (cidadao_cadastrar, lista_adicionar, escuta_registrar, atendimento_finalizar,
vacinacao_registrar): the same validation, problem list, outbox rows for RNDS and SISAB.
Those services stamp the present ("a dose is registered on the day"), so each record is
moved afterwards to the day it stands for, in chronological order; the checks that look at
the date (no future, not before birth) hold on that day too. Deterministic for a seed.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from pec.demo import lotacao_demo
from pec.models import Lotacao, Municipio
from prontuario.agenda.lista import lista_adicionar
from prontuario.cadastro.services import cidadao_cadastrar
from prontuario.cadastro.sintetico import Gerador
from prontuario.clinico import services as clinico
from prontuario.clinico.forms import EscutaForm, MedicaoForm, VacinacaoForm
from prontuario.models import (
    Atendimento,
    Cidadao,
    EntradaLista,
    EscutaInicial,
    Medicao,
    Prescricao,
    Problema,
    Vacinacao,
)
from prontuario.vacinacao.services import vacinacao_registrar

# (CIAP2, CID-10, situação in the list or None, minimum age): common reasons in primary care.
PROBLEMAS = [
    ("A03", "R509", None, 0),
    ("R74", "J069", None, 0),
    ("D73", "A09", None, 0),
    ("L03", "M545", 0, 15),
    ("K86", "I10", 0, 30),
    ("T90", "E119", 0, 30),
    ("P76", "F329", 0, 18),
    ("S74", "B353", None, 0),
]
RACA_INDIGENA = 5  # LEDI raça/cor: requires the etnia
GRUPO_FAIXA_ETARIA = "000210"  # BRGrupoAtendimento "Faixa Etária"
# (imunobiológico, dose, via, local, fabricante, from age in days, to age in days): Rotina
# doses of the national calendar that the official rules table allows as applications.
VACINAS = [
    ("15", "9", "10885", "1", "163", 0, 30),  # BCG, dose única, intradérmica
    ("42", "1", "10890", "3", "163", 55, 120),  # penta D1
    ("42", "2", "10890", "3", "163", 115, 180),  # penta D2
    ("22", "1", "10890", "4", "2862", 55, 120),  # VIP D1
    ("56", "9", "10916", "2", "159", 450, 900),  # SCRV
    ("46", "6", "10890", "2", "149", 450, 1500),  # DTP R1
    ("67", "9", "10890", "2", "165", 9 * 365, 15 * 365),  # HPV
    ("9", "1", "10890", "2", "149", 20 * 365, 59 * 365),  # hepatite B D1
    ("33", "9", "10890", "2", "152", 60 * 365, 110 * 365),  # influenza, idosos
]
MANHA = (7, 11)


@dataclass(frozen=True)
class EquipeUbs:
    recepcao: Lotacao
    enfermeira: Lotacao
    medico: Lotacao


def demo_historico(*, municipio: Municipio, cidadaos: int, hoje: datetime.date, seed: int = 2026) -> dict[str, int]:
    """`cidadaos` citizens with CPF and/or CNS and the last 12 months of their care, split
    between the two UBS. Runs inside the municipality's tenant context."""
    rng = random.Random(seed)
    equipes = [
        EquipeUbs(*(lotacao_demo(municipio, cbo=cbo, ubs=ubs) for cbo in ("422110", "223565", "225142")))
        for ubs in (1, 2)
    ]
    gerador = Gerador(municipio_id=municipio.id, seed=seed, primeiro_documento=500_000_000)
    eventos: list[tuple[datetime.datetime, str, Cidadao, EquipeUbs]] = []
    for n in range(cidadaos):
        equipe = equipes[n % 2]
        cidadao = _cadastrar(gerador, equipe.recepcao, hoje)
        for _ in range(rng.choice([0, 1, 1, 2])):
            eventos.append((_quando(rng, hoje, cidadao.data_nascimento), "consulta", cidadao, equipe))
        if rng.random() < 0.6:
            eventos.append((_quando(rng, hoje, cidadao.data_nascimento), "vacina", cidadao, equipe))
    contagem = {"cidadaos": cidadaos, "atendimentos": 0, "vacinas": 0}
    for quando, tipo, cidadao, equipe in sorted(eventos, key=lambda e: e[0]):
        if tipo == "consulta":
            _consulta(rng, cidadao, equipe, quando)
            contagem["atendimentos"] += 1
        elif _vacina(rng, cidadao, equipe, quando):
            contagem["vacinas"] += 1
    return contagem


def _quando(rng: random.Random, hoje: datetime.date, nascimento: datetime.date) -> datetime.datetime:
    """A weekday morning of the last 12 months (not today, not before birth)."""
    while True:
        dia = hoje - datetime.timedelta(days=rng.randint(1, 365))
        if dia.weekday() < 5 and dia >= nascimento:
            hora = datetime.time(rng.randint(*MANHA), rng.choice([0, 20, 40]))
            return timezone.make_aware(datetime.datetime.combine(dia, hora))


def _cadastrar(gerador: Gerador, recepcao: Lotacao, hoje: datetime.date) -> Cidadao:
    """A synthetic citizen with CPF and/or CNS (the demo's records must be able to travel)."""
    dados = gerador.cidadao(hoje)
    while not (dados["cpf"] or dados["cns"]):
        dados = gerador.cidadao(hoje)
    if dados["raca_cor"] == RACA_INDIGENA:
        dados["etnia"] = gerador.rng.randint(1, 269)  # as prontuario.cadastro.sintetico does for its rows
    return cidadao_cadastrar(lotacao=recepcao, dados=dados, confirmar_duplicado=True)


def _idade_dias(cidadao: Cidadao, dia: datetime.date) -> int:
    return (dia - cidadao.data_nascimento).days


def _consulta(rng: random.Random, cidadao: Cidadao, equipe: EquipeUbs, quando: datetime.datetime) -> None:
    """Arrival, escuta inicial by the nurse, SOAP atendimento by the doctor; then dated."""
    idade_anos = _idade_dias(cidadao, quando.date()) // 365
    ciap, cid10, situacao, _ = rng.choice([p for p in PROBLEMAS if p[3] <= idade_anos])
    entrada = lista_adicionar(por=equipe.recepcao, cidadao=cidadao)
    escuta = EscutaForm(
        {
            "motivo_ciap": ciap,
            "descricao": "",
            "classificacao_risco": str(rng.choice([2, 3, 3])),
            "desfecho": EscutaInicial.Desfecho.ATENDIMENTO,
        }
    )
    medicao = MedicaoForm(_medicao(rng, idade_anos), prefix="m")
    if not (escuta.is_valid() and medicao.is_valid()):
        raise ValueError(f"demo escuta refused: {escuta.errors} {medicao.errors}")
    clinico.escuta_registrar(
        entrada=entrada, lotacao=equipe.enfermeira, dados=escuta.cleaned_data, medicao=medicao.cleaned_data
    )
    atendimento = clinico.atendimento_iniciar(cidadao=cidadao, lotacao=equipe.medico, entrada=entrada)
    clinico.atendimento_finalizar(
        atendimento=atendimento,
        lotacao=equipe.medico,
        dados=_formulario(ciap, cid10, situacao),
        versao=atendimento.versao,
    )
    _datar_consulta(entrada, quando)


def _medicao(rng: random.Random, idade_anos: int) -> dict[str, str]:
    if idade_anos < 12:
        return {"m-peso": str(rng.randint(4, 40)), "m-temperatura": f"{rng.uniform(36.0, 38.5):.1f}"}
    return {
        "m-pressao_sistolica": str(rng.randint(105, 160)),
        "m-pressao_diastolica": str(rng.randint(65, 100)),
        "m-peso": str(rng.randint(50, 100)),
        "m-altura": str(rng.randint(150, 190)),
    }


def _formulario(ciap: str, cid10: str, situacao: int | None) -> dict[str, Any]:
    """The atendimento page's POST: SOAP, one problem assessed, conduta "alta do episódio"."""
    dados: dict[str, Any] = {
        "tipo_atendimento": "5",
        "subjetivo": "Queixa referida na escuta inicial.",
        "subjetivo_ciap": ciap,
        "objetivo": "Bom estado geral.",
        "avaliacao": "",
        "plano": "Orientações gerais.",
        "orientacoes": "",
        "condutas": ["9"],
        "atestado-dias": "",
        "atestado-cid10": "",
        "atestado-texto": "",
        "problemas-0-ciap": ciap,
        "problemas-0-cid10": cid10,
        "problemas-0-situacao": "" if situacao is None else str(situacao),
    }
    for prefixo, total in (
        ("problemas", 1),
        ("alergias", 0),
        ("prescricoes", 0),
        ("exames", 0),
        ("encaminhamentos", 0),
    ):
        dados.update(
            {
                f"{prefixo}-TOTAL_FORMS": str(total),
                f"{prefixo}-INITIAL_FORMS": "0",
                f"{prefixo}-MIN_NUM_FORMS": "0",
                f"{prefixo}-MAX_NUM_FORMS": "1000",
            }
        )
    return dados


def _datar_consulta(entrada: EntradaLista, quando: datetime.datetime) -> None:
    """Move what the services stamped now to the morning the visit stands for."""
    escuta_fim, inicio = quando + datetime.timedelta(minutes=10), quando + datetime.timedelta(minutes=25)
    fim = inicio + datetime.timedelta(minutes=15)
    entrada.refresh_from_db()
    historico = [{**passo, "em": quando.isoformat()} for passo in entrada.historico]
    EntradaLista.objects.filter(pk=entrada.pk).update(
        chegada_em=quando,
        escuta_em=quando,
        atendimento_em=inicio,
        atendido_em=fim,
        historico=historico,
    )
    escuta = EscutaInicial.objects.get(entrada=entrada)
    EscutaInicial.objects.filter(pk=escuta.pk).update(finalizada_em=escuta_fim)
    atendimento = Atendimento.objects.get(entrada=entrada)
    Atendimento.objects.filter(pk=atendimento.pk).update(iniciado_em=inicio, finalizado_em=fim, salvo_em=fim)
    Medicao.objects.filter(pk__in=[escuta.medicao_id, atendimento.medicao_id]).update(em=escuta_fim)
    Prescricao.objects.filter(atendimento=atendimento).update(inicio=fim.date())
    problemas = Problema.objects.filter(avaliacoes__atendimento=atendimento)
    problemas.filter(evolucoes=1).update(inicio=fim.date())
    problemas.filter(fim__isnull=False).update(fim=fim.date())
    problemas.update(atualizado_em=fim)


def _vacina(rng: random.Random, cidadao: Cidadao, equipe: EquipeUbs, quando: datetime.datetime) -> bool:
    """One dose of the calendar for the age on that day, as the vaccination form posts it;
    False when no dose of the table fits the age."""
    idade = _idade_dias(cidadao, quando.date())
    opcoes = [v for v in VACINAS if v[5] <= idade <= v[6]]
    if not opcoes:
        return False
    imuno, dose, via, local, fabricante, _, _ = rng.choice(opcoes)
    form = VacinacaoForm(
        {
            "data_aplicacao": timezone.localdate().isoformat(),
            "imunobiologico": imuno,
            "estrategia": "1",
            "dose": dose,
            "lote": f"DEMO{quando:%y%m}{rng.randint(10, 99)}",
            "fabricante": fabricante,
            "via": via,
            "local_aplicacao": local,
            "grupo_atendimento": GRUPO_FAIXA_ETARIA,
            "condicao_maternal": "1" if cidadao.sexo == 1 else "",
            "comunicante_hanseniase": "False" if imuno == "15" else "",
        }
    )
    if not form.is_valid():
        raise ValueError(f"demo dose refused: {form.errors}")
    vacinador = equipe.enfermeira
    dose_registrada = vacinacao_registrar(cidadao=cidadao, lotacao=vacinador, dados=form.cleaned_data)
    Vacinacao.objects.filter(pk=dose_registrada.pk).update(data_aplicacao=quando.date(), registrado_em=quando)
    return True
