"""Builders for the clinical tests. Municipality A has two UBS: Nina (enfermeira) and Bob
(médico) at UBS Centro, Olga (médica) at UBS Jardim; Charlie (médico) and Dani (enfermeira) work in B.
A larger scenario than tests/mundo.py's world, built from its builders."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from pec.models import Estabelecimento, Lotacao, Municipio
from prontuario.models import Cidadao
from tests import mundo as fabricas


@dataclass
class Clinica:
    a: Municipio
    b: Municipio
    centro: Estabelecimento
    jardim: Estabelecimento
    nina: Lotacao  # enfermeira, A / Centro
    bob: Lotacao  # médico, A / Centro
    olga: Lotacao  # médica, A / Jardim
    tecnico: Lotacao  # técnico de enfermagem, A / Centro (no vacina.corrigir)
    charlie: Lotacao  # médico, B
    dani: Lotacao  # enfermeira, B (vacina.corrigir in her own municipality)
    maria: Cidadao  # A
    zeca: Cidadao  # B


def clinica() -> Clinica:
    a = fabricas.municipio("Município A")
    b = fabricas.municipio("Município B")
    centro = fabricas.estabelecimento(a, "UBS Centro")
    jardim = fabricas.estabelecimento(a, "UBS Jardim")

    def lot(municipio: Municipio, nome: str, cbo: str, ubs: Estabelecimento | None) -> Lotacao:
        return fabricas.dar_perfis(fabricas.lotacao(municipio, fabricas.usuario(nome), cbo=cbo, estabelecimento=ubs))

    nina = lot(a, "Nina Enfermeira", "223565", centro)
    bob = lot(a, "Bob Médico", "225142", centro)
    olga = lot(a, "Olga Médica", "225142", jardim)
    tecnico = lot(a, "Téo Técnico", "322245", centro)
    charlie = lot(b, "Charlie Médico", "225142", None)
    dani = lot(b, "Dani Enfermeira", "223565", charlie.estabelecimento)
    maria = fabricas.cidadao(bob, nome="MARIA JOSE DA SILVA", sexo=1, data_nascimento=datetime.date(1990, 5, 10))
    zeca = fabricas.cidadao(charlie, nome="JOSE CARLOS PEREIRA", sexo=0, nome_mae="ANA PEREIRA")
    return Clinica(a, b, centro, jardim, nina, bob, olga, tecnico, charlie, dani, maria, zeca)


def formulario_atendimento(**extra: Any) -> dict[str, Any]:
    """A complete, valid atendimento form (management forms included)."""
    dados: dict[str, Any] = {
        "tipo_atendimento": "5",
        "subjetivo": "Febre há 2 dias.",
        "subjetivo_ciap": "A03",
        "objetivo": "BEG.",
        "avaliacao": "Quadro viral.",
        "plano": "Sintomáticos.",
        "orientacoes": "Hidratação.",
        "condutas": ["9"],
        "atestado-dias": "",
        "atestado-cid10": "",
        "atestado-texto": "",
    }
    for prefixo, total in (
        ("problemas", 4),
        ("alergias", 2),
        ("prescricoes", 3),
        ("exames", 3),
        ("encaminhamentos", 2),
    ):
        dados.update(
            {
                f"{prefixo}-TOTAL_FORMS": str(total),
                f"{prefixo}-INITIAL_FORMS": "0",
                f"{prefixo}-MIN_NUM_FORMS": "0",
                f"{prefixo}-MAX_NUM_FORMS": str(total),
            }
        )
    dados.update({"problemas-0-ciap": "A03", "problemas-0-cid10": "R509", "problemas-0-situacao": "0"})
    dados.update(extra)
    return dados
