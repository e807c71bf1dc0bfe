"""Reading query and form parameters that are not behind a Django form.

A parameter comes from whoever typed or forged the URL: an impossible date (2026-02-30),
letters where an id goes, Unicode digits ('²'.isdigit() is True, int('²') raises), a
number of thousands of digits. These readers answer None for all of them, so the view
shows a message or falls back to a default instead of a 500. NUL bytes, which PostgreSQL
text refuses, are turned away for every request by pec.middleware.ParametrosMiddleware.
"""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

# Dates outside this range are typing errors here, and keep date arithmetic (the day
# before, the week after) far from datetime's limits.
DATA_MINIMA = datetime.date(1900, 1, 1)
DATA_MAXIMA = datetime.date(2999, 12, 31)


def inteiro(valor: str | None) -> int | None:
    """A positive id or count written in ASCII digits, else None."""
    if not valor or len(valor) > 18 or not (valor.isascii() and valor.isdigit()):
        return None
    return int(valor)


def data(valor: str | None) -> datetime.date | None:
    """An ISO date (AAAA-MM-DD) that exists and is within the accepted range, else None."""
    try:
        dia = parse_date(valor or "")
    except ValueError:
        return None
    return dia if dia is not None and DATA_MINIMA <= dia <= DATA_MAXIMA else None


def data_hora(valor: str | None) -> datetime.datetime | None:
    """An ISO date and time that exists, aware in the current time zone, else None."""
    try:
        momento = parse_datetime(valor or "")
    except ValueError:
        return None
    if momento is None or not DATA_MINIMA <= momento.date() <= DATA_MAXIMA:
        return None
    return momento if timezone.is_aware(momento) else timezone.make_aware(momento)
