"""Formatting filters for pt-BR pages."""

from __future__ import annotations

from datetime import timedelta

from django import template

from pec.documentos import formatar_cpf

register = template.Library()


@register.filter
def duracao(valor: timedelta) -> str:
    """timedelta(minutes=90) -> '1 hora e 30 minutos'."""
    minutos = int(valor.total_seconds() // 60)
    horas, minutos = divmod(minutos, 60)
    partes = []
    if horas:
        partes.append(f"{horas} hora{'s' if horas > 1 else ''}")
    if minutos or not horas:
        partes.append(f"{minutos} minuto{'s' if minutos != 1 else ''}")
    return " e ".join(partes)


@register.filter
def cpf(valor: str) -> str:
    return formatar_cpf(valor)
