"""Bulk INSERT without model instances, for the tens of thousands of rows of a state's CNES
file.

`bulk_create` builds a model instance and prepares every value of every row in Python;
for a state's first import that was about half of the time. Here each batch travels as
one JSON parameter, unpacked by PostgreSQL (COPY would be faster still, but COPY FROM is
refused on tables under row-level security). Columns the caller leaves out get the
model field's default, so a field added later with a default keeps working.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models
from django.utils import timezone


def inserir(
    modelo: type[models.Model], linhas: Iterable[dict[str, Any]], *, ignorar_conflitos: bool = False
) -> list[int]:
    """Insert rows given as {attname: value}; return the new ids in the same order.

    With `ignorar_conflitos`, rows that hit a unique constraint are skipped and the ids
    are those of the inserted rows only (callers look the others up).
    """
    linhas = list(linhas)
    if not linhas:
        return []
    campos = [f for f in modelo._meta.concrete_fields if not f.primary_key]
    fixos, por_linha = _padroes(campos, set(linhas[0]))
    valores = []
    for linha in linhas:
        registro = {**fixos, **{nome: padrao() for nome, padrao in por_linha.items()}, **linha}
        valores.append([registro[f.attname] for f in campos])
    expressoes = ", ".join(
        f"(e->{i})::{f.db_type(connection)}" if f.db_type(connection) in ("jsonb", "json") else f"(e->>{i})::{_tipo(f)}"
        for i, f in enumerate(campos)
    )
    sql = (
        f"INSERT INTO {connection.ops.quote_name(modelo._meta.db_table)} "
        f"({', '.join(connection.ops.quote_name(f.column) for f in campos)}) "  # type: ignore[arg-type]  # concrete fields have a column
        f"SELECT {expressoes} FROM json_array_elements(%s::json) WITH ORDINALITY AS x(e, n) ORDER BY n "
        f"{'ON CONFLICT DO NOTHING ' if ignorar_conflitos else ''}"
        f"RETURNING {connection.ops.quote_name(modelo._meta.pk.column)}"  # type: ignore[arg-type]  # concrete fields have a column
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [json.dumps(valores, cls=DjangoJSONEncoder)])
        return [linha[0] for linha in cursor.fetchall()]


def _tipo(campo: models.Field[Any, Any]) -> str:
    # varchar(n) would silently cut; the caller already fitted strings to their columns.
    tipo = campo.db_type(connection) or "text"
    return "text" if tipo.startswith("varchar") else tipo


def _padroes(campos: list[models.Field[Any, Any]], dados: set[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Defaults of the columns the rows do not carry: constants once, callables per row."""
    fixos: dict[str, Any] = {}
    por_linha: dict[str, Any] = {}
    agora = timezone.now()
    for campo in campos:
        if campo.attname in dados:
            continue
        if getattr(campo, "auto_now", False) or getattr(campo, "auto_now_add", False):
            fixos[campo.attname] = agora
        elif campo.has_default() and callable(campo.default):
            por_linha[campo.attname] = campo.default
        elif campo.has_default():
            fixos[campo.attname] = campo.get_default()
        elif campo.null:
            fixos[campo.attname] = None
        else:
            fixos[campo.attname] = campo.get_default()  # "" for strings without a default
    return fixos, por_linha
