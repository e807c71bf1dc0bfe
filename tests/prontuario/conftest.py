from __future__ import annotations

import pytest

from tests.prontuario import fabricas


@pytest.fixture
def mundo(db):  # type: ignore[no-untyped-def]
    return fabricas.mundo()


def entrar(client, lotacao):  # type: ignore[no-untyped-def]
    """Log the lotação's user in with that lotação active (what the lotação choice does)."""
    from pec.identity.login import SESSION_LOTACAO, SESSION_MUNICIPIO

    client.force_login(lotacao.usuario)
    session = client.session
    session[SESSION_LOTACAO] = lotacao.id
    session[SESSION_MUNICIPIO] = lotacao.municipio_id
    session.save()
    return client


@pytest.fixture
def alice(client, mundo):  # type: ignore[no-untyped-def]
    return entrar(client, mundo.alice)
