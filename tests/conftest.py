"""Test database: created with the same roles as production, migrated as the owner.

Tests run as the app role (alias "default"), which is neither owner nor superuser, so
row-level security applies to them exactly as it does to the web and the workers.
Several suites can share one PostgreSQL server: PEC_TEST_DB names the database.
"""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connections

from pec.dbroles import drop_database, setup_database

# Browser fixtures (live_server, browser, new_page) for every test module.
pytest_plugins = ["tests.browser"]


def test_database_name() -> str:
    return os.environ.get("PEC_TEST_DB", f"test_{settings.DB_ADMIN['NAME']}")


@pytest.fixture(scope="session")
def django_db_setup(django_db_blocker):  # type: ignore[no-untyped-def]
    name = test_database_name()
    with django_db_blocker.unblock():
        for alias in ("default", "owner"):
            connections[alias].close()
        drop_database(settings.DB_ADMIN, name)
        setup_database(settings.DB_ADMIN, name, settings.DB_ROLES)
        for alias in ("default", "owner"):
            settings.DATABASES[alias]["NAME"] = name
            connections[alias].settings_dict["NAME"] = name
        call_command("migrate", database="owner", interactive=False, verbosity=0)
    yield
    with django_db_blocker.unblock():
        for alias in ("default", "owner"):
            connections[alias].close()
        if not os.environ.get("PEC_KEEP_TEST_DB"):
            drop_database(settings.DB_ADMIN, name)


@pytest.fixture
def celery_eager():  # type: ignore[no-untyped-def]
    """Tasks queued during the test run at once, in the test's own process and transaction."""
    from config.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def broker_fora_do_ar():  # type: ignore[no-untyped-def]
    """The Celery broker pointed at a local port nobody listens on: every publish meets a
    real "connection refused", as when Redis is down."""
    import socket

    from config.celery import app

    with socket.socket() as livre:
        livre.bind(("127.0.0.1", 0))
        porta = livre.getsockname()[1]
    anterior = app.conf.broker_url

    def trocar(url: str) -> None:
        app.conf.broker_url = url
        app._pool = None  # the connection and producer pools are cached per broker URL
        app.amqp._producer_pool = None

    trocar(f"redis://127.0.0.1:{porta}/0")
    yield
    trocar(anterior)


@pytest.fixture(autouse=True)
def _force_login_is_a_full_login():  # type: ignore[no-untyped-def]
    """Client.force_login stands for a complete login: with the second step (administrators
    must have passed MFA, pec.identity.acesso.mfa_pendente) and recent (pages that edit secrets ask
    for a reauthentication). Real logins through the login page are left as they are."""
    from allauth.account.internal.flows.login import record_authentication
    from django.contrib.auth.signals import user_logged_in
    from django.http import HttpRequest

    def completar(sender, request, user, **kwargs):  # type: ignore[no-untyped-def]
        if type(request) is HttpRequest:  # force_login's bare request, never a served one
            record_authentication(request, user, "mfa", type="totp", reauthenticated=True)

    user_logged_in.connect(completar, dispatch_uid="tests.force_login_is_a_full_login")
    yield
    user_logged_in.disconnect(dispatch_uid="tests.force_login_is_a_full_login")


@pytest.fixture
def mundo(db):  # type: ignore[no-untyped-def]
    """Alice and Bob in municipality A, Charlie in B (tests/mundo.py)."""
    from tests import mundo as fabricas

    return fabricas.mundo()


@pytest.fixture
def alice(client, mundo):  # type: ignore[no-untyped-def]
    """The test client, logged in as Alice (recepção, A)."""
    from tests import mundo as fabricas

    return fabricas.entrar(mundo.alice, client=client)
