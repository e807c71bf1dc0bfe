from __future__ import annotations

import datetime

from django import template
from django.utils import timezone

from pec.documentos import formatar_cpf
from prontuario.clinico.regras import idade_em

register = template.Library()


@register.filter
def cpf(valor: str) -> str:
    return formatar_cpf(valor) if valor else ""


@register.filter
def cns(valor: str) -> str:
    return f"{valor[:3]} {valor[3:7]} {valor[7:11]} {valor[11:]}" if len(valor) == 15 else valor


@register.filter
def telefone(valor: str) -> str:
    if len(valor) == 11:
        return f"({valor[:2]}) {valor[2:7]}-{valor[7:]}"
    if len(valor) == 10:
        return f"({valor[:2]}) {valor[2:6]}-{valor[6:]}"
    return valor


@register.filter
def idade(nascimento: datetime.date | None) -> str:
    if nascimento is None:
        return ""
    hoje = timezone.localdate()
    anos = idade_em(nascimento, hoje)
    if anos >= 1:
        return f"{anos} ano{'s' if anos > 1 else ''}"
    meses = (hoje.year - nascimento.year) * 12 + hoje.month - nascimento.month - (hoje.day < nascimento.day)
    return f"{meses} {'mês' if meses == 1 else 'meses'}"
