"""Deployment checks of our own, reported by `manage.py check --deploy`.

The demo accounts share one password printed in the README and by `make run`: in a
production installation they are a public way in, whoever created them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register
from django.db import DatabaseError


@register(Tags.security, deploy=True)
def demo_contas_em_producao(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if not settings.PRODUCTION:
        return []
    from pec.demo import demo_contas_com_senha_publica

    try:
        cpfs = demo_contas_com_senha_publica()
    except DatabaseError:  # no database yet: nothing to find
        return []
    if not cpfs:
        return []
    return [
        Warning(
            f"{len(cpfs)} demo account(s) accept the public demo password in this production installation.",
            hint="Deactivate them or set new passwords (manage.py changepassword CPF); never run seed_demo in production.",
            id="pec.W001",
        )
    ]
