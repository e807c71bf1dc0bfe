from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def get(dicionario: dict[str, Any] | None, chave: str) -> Any:
    """{{ nomes.cid10|get:codigo }}: a dict lookup with a variable key."""
    return (dicionario or {}).get(chave, "")
