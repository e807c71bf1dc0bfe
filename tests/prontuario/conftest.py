from __future__ import annotations

import pytest

from tests.prontuario import fabricas


@pytest.fixture
def mundo(db):  # type: ignore[no-untyped-def]
    return fabricas.mundo()
