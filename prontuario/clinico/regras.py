"""Clinical validation rules: plausible vital signs, CIAP2/CID-10 coding (LEDI APS FAI
`problemasCondicoes`, docs/integracoes/ledi.md) and the official vaccination rule table.

Each function returns messages for the professional, in Portuguese, keyed by field when
there is one; an empty result means valid.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from prontuario.models import CiapCid, RegraVacinacao

# Plausibility ranges, inside LEDI's own limits (dicionario-fai, medicoes): LEDI accepts a
# PA of 999 or a SpO2 of 0; a typo like that must be caught while the patient is there.
FAIXAS: dict[str, tuple[Decimal, Decimal, str, str]] = {
    "pressao_sistolica": (Decimal(50), Decimal(300), "mmHg", "A pressão sistólica"),
    "pressao_diastolica": (Decimal(20), Decimal(200), "mmHg", "A pressão diastólica"),
    "frequencia_cardiaca": (Decimal(20), Decimal(250), "bpm", "A frequência cardíaca"),
    "frequencia_respiratoria": (Decimal(5), Decimal(120), "irpm", "A frequência respiratória"),
    "temperatura": (Decimal("30.0"), Decimal("45.0"), "°C", "A temperatura"),
    "saturacao_o2": (Decimal(50), Decimal(100), "%", "A saturação de O2"),
    "peso": (Decimal("0.5"), Decimal(500), "kg", "O peso"),
    "altura": (Decimal(20), Decimal(250), "cm", "A altura"),
    "glicemia": (Decimal(10), Decimal(800), "mg/dL", "A glicemia capilar"),
}
CAMPOS_MEDICAO = (*FAIXAS, "glicemia_momento")


def _numero(valor: Any) -> str:
    return f"{valor}".replace(".", ",")


def medicao_erros(dados: dict[str, Any]) -> dict[str, str]:
    erros: dict[str, str] = {}
    for campo, (minimo, maximo, unidade, rotulo) in FAIXAS.items():
        valor = dados.get(campo)
        if valor is not None and not minimo <= Decimal(valor) <= maximo:
            erros[campo] = f"{rotulo} deve estar entre {_numero(minimo)} e {_numero(maximo)} {unidade}."
    sistolica, diastolica = dados.get("pressao_sistolica"), dados.get("pressao_diastolica")
    if (sistolica is None) != (diastolica is None):
        erros.setdefault("pressao_diastolica", "Informe a pressão sistólica e a diastólica.")
    elif (
        sistolica is not None
        and diastolica is not None
        and diastolica >= sistolica
        and "pressao_diastolica" not in erros
    ):
        erros["pressao_diastolica"] = "A pressão diastólica deve ser menor que a sistólica."
    if dados.get("glicemia") is not None and dados.get("glicemia_momento") is None:
        erros["glicemia_momento"] = "Informe o momento da coleta da glicemia capilar."
    imc = calcular_imc(dados.get("peso"), dados.get("altura"))
    if imc is not None and not Decimal(5) <= imc <= Decimal(150) and not ({"peso", "altura"} & erros.keys()):
        erros["altura"] = f"O IMC calculado ({_numero(imc)}) não é plausível: confira o peso e a altura."
    return erros


def calcular_imc(peso: Decimal | None, altura_cm: Decimal | None) -> Decimal | None:
    if not peso or not altura_cm:
        return None
    metros = Decimal(altura_cm) / 100
    return (Decimal(peso) / (metros * metros)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --- CIAP2 / CID-10 --------------------------------------------------------------------------

_CIAP = re.compile(r"^[A-Z](\d\d)$")
# CIAP2 reasons linked to prenatal care (W78 gravidez, W79 gravidez não desejada, W84
# gravidez de alto risco, ABP001 pré-natal) and CID-10 codes of a pregnancy's outcome
# (O00–O08 aborto, O80–O84 parto): LEDI refuses the pair.
CIAP_PRE_NATAL = frozenset({"W78", "W79", "W84", "ABP001"})
_DESFECHO_GESTACAO = re.compile(r"^O(0[0-8]|8[0-4])")


@dataclass(frozen=True)
class ItemAvaliado:
    ciap: str = ""
    cid10: str = ""
    situacao: int | None = None


def eh_codigo_ab(ciap: str) -> bool:
    return ciap.startswith("AB")


def eh_procedimento_ciap(ciap: str) -> bool:
    """CIAP2 component 2–6 codes (x30–x69) are procedures, never a problem/condition."""
    achado = _CIAP.match(ciap)
    return achado is not None and 30 <= int(achado.group(1)) <= 69


def idade_em(nascimento: datetime.date, dia: datetime.date) -> int:
    return dia.year - nascimento.year - ((dia.month, dia.day) < (nascimento.month, nascimento.day))


def problemas_erros(*, itens: list[ItemAvaliado], nascimento: datetime.date, dia: datetime.date) -> list[str]:
    """LEDI rules of FAI problemasCondicoes, for the items of one atendimento."""
    erros: list[str] = []
    vistos_ciap: set[str] = set()
    vistos_cid: set[str] = set()
    z34 = 0
    for item in itens:
        ciap, cid = item.ciap, item.cid10
        if not ciap and not cid:
            erros.append("Cada problema/condição precisa de uma CIAP2 ou de uma CID-10.")
            continue
        if ciap:
            if eh_procedimento_ciap(ciap):
                erros.append(f"A CIAP2 {ciap} é um procedimento e não pode ser registrada como problema/condição.")
            if ciap in vistos_ciap:
                erros.append(f"A CIAP2 {ciap} foi informada mais de uma vez.")
            vistos_ciap.add(ciap)
            if eh_codigo_ab(ciap) and item.situacao is not None:
                erros.append(f"O código {ciap} não entra na lista de problemas: não informe a situação.")
            if ciap in CIAP_PRE_NATAL:
                if idade_em(nascimento, dia) < 9:
                    erros.append(f"A CIAP2 {ciap} (pré-natal) não é permitida para menores de 9 anos.")
                if cid and _DESFECHO_GESTACAO.match(cid):
                    erros.append(
                        f"A CIAP2 {ciap} (pré-natal) não pode ser registrada com a CID-10 {cid}, de desfecho da gestação."
                    )
            if ciap == "W78":
                if cid and not cid.startswith("Z34"):
                    erros.append(
                        f"A CIAP2 W78 (gravidez) só pode ser vinculada a uma CID-10 da família Z34, não a {cid}."
                    )
                if item.situacao == 1:
                    erros.append('A CIAP2 W78 (gravidez) não pode ter a situação "latente".')
        if cid:
            if cid in vistos_cid:
                erros.append(f"A CID-10 {cid} foi informada mais de uma vez.")
            vistos_cid.add(cid)
            if cid.startswith("Z34"):
                z34 += 1
    if z34 > 1:
        erros.append("Só é permitida uma CID-10 da família Z34 (supervisão de gravidez) por atendimento.")
    return erros


def encaminhamento_erros(*, ciap: str, cid10: str) -> list[str]:
    """LEDI encaminhamentos: hypothesis in CID-10 xor CIAP2; a CIAP2 must map to a CID-10.
    (LEDI 8.4.0 lifted the 7.2.2 restriction of CID-10 to physicians' CBOs.)"""
    if bool(ciap) == bool(cid10):
        return ["Informe a hipótese diagnóstica do encaminhamento em CID-10 ou em CIAP2 (apenas uma)."]
    if ciap and not CiapCid.objects.filter(ciap=ciap).exists():
        return [f"A CIAP2 {ciap} não tem CID-10 correspondente e não pode justificar um encaminhamento."]
    return []


# --- Vacinação -------------------------------------------------------------------------------


BCG = "15"  # imunobiológico
ESTRATEGIA_ESPECIAL = "2"  # RNDS BREstrategiaVacinacao = LEDI 02
GRUPO_FAIXA_ETARIA = "000210"  # BRGrupoAtendimento "Faixa Etária" (LEDI 121): the routine calendar


def vacina_regra_permitida(*, imunobiologico: str, estrategia: str, dose: str) -> bool:
    return RegraVacinacao.objects.filter(imunobiologico=imunobiologico, estrategia=estrategia, dose=dose).exists()


def vacinacao_erros(*, dados: dict[str, Any], nascimento: datetime.date, hoje: datetime.date) -> dict[str, str]:
    """What the clinic asks of a dose beyond the LEDI ficha, whose rules (sisab.regras) the
    vaccination service applies as well: a date that exists, and for an application made
    now, the route and the site the RIA-R carries."""
    erros: dict[str, str] = {}
    data = dados["data_aplicacao"]
    if data > hoje:
        erros["data_aplicacao"] = "A data de aplicação não pode ser no futuro."
    elif data < nascimento:
        erros["data_aplicacao"] = "A data de aplicação não pode ser anterior ao nascimento."
    if dados.get("registro_anterior"):
        return erros
    if data != hoje and "data_aplicacao" not in erros:
        erros["data_aplicacao"] = (
            "Uma aplicação é registrada no dia; doses de outras datas entram como transcrição de caderneta."
        )
    for campo, rotulo in (("via", "a via de administração"), ("local_aplicacao", "o local de aplicação")):
        if not dados.get(campo):
            erros[campo] = f"Informe {rotulo}."
    return erros
