"""Check digits of Brazilian identifiers: CPF (Receita Federal) and CNS (Cartão SUS).

CNS rules: LEDI APS `regras/algoritmo_CNS` (docs/integracoes/ledi.md) — numbers starting
with 1 or 2 derive from a PIS and carry a check digit; 7, 8, 9 (provisórios) and, since
LEDI 7.3.7, 5 are valid when the weighted sum of all 15 digits is a multiple of 11.

The generators beside the validators (cpf_com_digitos, cns_definitivo, cns_provisorio)
compute the same check digits forwards: demonstration, synthetic and test data carry
fictitious numbers that every validator here accepts.
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
        return cns == cns_definitivo(cns[:11])
    if cns[0] in "5789":
        return sum(int(d) * (15 - i) for i, d in enumerate(cns)) % 11 == 0
    return False


def cpf_com_digitos(base9: str) -> str:
    """The CPF whose first nine digits are `base9`, with its two check digits."""
    digits = base9
    for size in (9, 10):
        total = sum(int(digits[i]) * (size + 1 - i) for i in range(size))
        digits += str((total * 10) % 11 % 10)
    return digits


def cns_definitivo(pis: str) -> str:
    """The definitive CNS derived from an 11-digit PIS (starting with 1 or 2)."""
    total = sum(int(d) * (15 - i) for i, d in enumerate(pis))
    dv = 11 - total % 11
    if dv == 11:
        dv = 0
    if dv == 10:
        dv = 11 - (total + 2) % 11
        return f"{pis}001{dv}"
    return f"{pis}000{dv}"


def cns_provisorio(base: str) -> str | None:
    """The provisional CNS that completes the 14 digits of `base` (starting with 7, 8 or 9)
    so that the weighted sum is a multiple of 11; None for the one base in eleven that
    would need a digit of 10."""
    digito = -sum(int(d) * (15 - i) for i, d in enumerate(base)) % 11
    return base + str(digito) if digito < 10 else None


def validar_cpf(valor: str) -> None:
    if not cpf_valido(valor):
        raise ValidationError("CPF inválido: confira os 11 dígitos.", code="cpf_invalido")


def validar_cns(valor: str) -> None:
    if valor and not cns_valido(valor):
        raise ValidationError("CNS inválido: confira os 15 dígitos.", code="cns_invalido")


def formatar_cpf(cpf: str) -> str:
    return f"{cpf[:3]}.{cpf[3:6]}.{cpf[6:9]}-{cpf[9:]}" if len(cpf) == 11 else cpf
