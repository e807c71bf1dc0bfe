"""Check digits of Brazilian identifiers: CPF (Receita Federal) and CNS (Cartão SUS).

CNS rules: LEDI APS `regras/algoritmo_CNS` (docs/integracoes/ledi.md) — numbers starting
with 1 or 2 derive from a PIS and carry a check digit; 7, 8, 9 (provisórios) and, since
LEDI 7.3.7, 5 are valid when the weighted sum of all 15 digits is a multiple of 11.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

# Digits with the punctuation people type in documents, CEPs and phones; anything else
# (letters, Unicode digits such as "²") is a typing error, refused rather than dropped.
_NUMERO_PONTUADO = re.compile(r"[0-9.\-/()\s]*")


def so_digitos(valor: str) -> str:
    """The ASCII digits of `valor` (str.isdigit would also keep "²" and other scripts' digits)."""
    return "".join(ch for ch in valor if ch in "0123456789")


def numeros_digitados(valor: str, mensagem: str) -> str:
    """The digits of a number typed with its usual punctuation; ValidationError(mensagem)
    when it carries anything else."""
    if not _NUMERO_PONTUADO.fullmatch(valor):
        raise ValidationError(mensagem)
    return so_digitos(valor)


def cpf_valido(cpf: str) -> bool:
    if len(cpf) != 11 or not cpf.isdigit() or cpf == cpf[0] * 11:
        return False
    for size in (9, 10):
        total = sum(int(cpf[i]) * (size + 1 - i) for i in range(size))
        digit = (total * 10) % 11 % 10
        if digit != int(cpf[size]):
            return False
    return True


def cns_valido(cns: str) -> bool:
    if len(cns) != 15 or not cns.isdigit():
        return False
    if cns[0] in "12":
        return cns == _cns_definitivo(cns[:11])
    if cns[0] in "5789":
        return sum(int(d) * (15 - i) for i, d in enumerate(cns)) % 11 == 0
    return False


def _cns_definitivo(pis: str) -> str:
    total = sum(int(d) * (15 - i) for i, d in enumerate(pis))
    dv = 11 - total % 11
    if dv == 11:
        dv = 0
    if dv == 10:
        dv = 11 - (total + 2) % 11
        return f"{pis}001{dv}"
    return f"{pis}000{dv}"


def validar_cpf(valor: str) -> None:
    if not cpf_valido(valor):
        raise ValidationError("CPF inválido: confira os 11 dígitos.", code="cpf_invalido")


def validar_cns(valor: str) -> None:
    if valor and not cns_valido(valor):
        raise ValidationError("CNS inválido: confira os 15 dígitos.", code="cns_invalido")


def formatar_cpf(cpf: str) -> str:
    return f"{cpf[:3]}.{cpf[3:6]}.{cpf[6:9]}-{cpf[9:]}" if len(cpf) == 11 else cpf
