"""Tenancy: every municipality's rows live in shared tables, walled off by PostgreSQL.

Two layers (see docs/adr/0001-tenancy-rls.md):
- the application filters by `municipio` and asserts ownership (selectors, `assert_owned`);
- PostgreSQL row-level security, ENABLE + FORCE, on every table with `municipio_id`, with
  a policy on the transaction-local setting `app.municipio`. The app role is neither
  owner nor superuser, so a forgotten filter returns nothing instead of another
  municipality's data.

The setting is transaction-local (`set_config(..., true)`), so it can never leak from one
request or task to the next through a pooled connection.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from django.db import connections, models, transaction
from django.db.migrations.operations.base import Operation

TENANT_SETTING = "app.municipio"
USER_SETTING = "app.usuario"

_current_municipio: contextvars.ContextVar[int | None] = contextvars.ContextVar("municipio", default=None)


def current_municipio_id() -> int | None:
    return _current_municipio.get()


@contextmanager
def current_municipio(municipio_id: int | None) -> Iterator[None]:
    """Make `municipio_id` what current_municipio_id() answers inside the block (the
    request's municipality, set by pec.middleware.TenantMiddleware); None changes nothing."""
    token = _current_municipio.set(municipio_id) if municipio_id is not None else None
    try:
        yield
    finally:
        if token is not None:
            _current_municipio.reset(token)


def set_config(name: str, value: int | str, using: str) -> None:
    """A transaction-local setting (app.municipio, app.usuario)."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, true)", [name, str(value)])


def get_config(name: str, using: str) -> str:
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT coalesce(current_setting(%s, true), '')", [name])
        valor: str = cursor.fetchone()[0]
        return valor


@contextmanager
def tenant_context(municipio_id: int, *, using: str = "default") -> Iterator[None]:
    """Run the block in a transaction whose rows are those of one municipality.

    Nested inside another transaction it is a savepoint; a transaction-local setting
    would outlive the savepoint, so the enclosing tenant is put back on the way out.
    """
    if not isinstance(municipio_id, int):
        raise TypeError(f"municipio_id must be an int, got {municipio_id!r}")
    nested = connections[using].in_atomic_block
    token = _current_municipio.set(municipio_id)
    try:
        with transaction.atomic(using=using):
            previous = get_config(TENANT_SETTING, using) if nested else ""
            set_config(TENANT_SETTING, municipio_id, using)
            yield
            if nested:
                set_config(TENANT_SETTING, previous, using)
    finally:
        _current_municipio.reset(token)


def escopo(municipio_id: int | None) -> AbstractContextManager[Any]:
    """A transaction over one municipality's rows, or over the installation's (no tenant)."""
    return transaction.atomic() if municipio_id is None else tenant_context(municipio_id)


@contextmanager
def usuario_context(usuario_id: int, *, using: str = "default") -> Iterator[None]:
    """Let the block read a user's own rows across municipalities (the tenant_visible
    policies) before that user is logged in: the gov.br callback checks the lotações of
    the CPF it received. A savepoint; the previous setting is put back on the way out."""
    with transaction.atomic(using=using):
        previous = get_config(USER_SETTING, using)
        set_config(USER_SETTING, usuario_id, using)
        yield
        set_config(USER_SETTING, previous, using)


def assert_owned(obj: Any, municipio_id: int | None = None) -> None:
    """Second line of defence: the object must belong to the current municipality.

    Callers have already filtered; this catches the bug where they did not.
    """
    expected = municipio_id if municipio_id is not None else current_municipio_id()
    if expected is None or getattr(obj, "municipio_id", None) != expected:
        raise AssertionError(f"{type(obj).__name__} {getattr(obj, 'pk', '?')} is outside municipality {expected}")


class TenantModel(models.Model):
    """Base class of every municipality-owned table.

    Its migration must apply `TenantRLS`; tests/pec/test_tenancy.py fails for any table
    with `municipio_id` that lacks the forced policy.
    """

    municipio = models.ForeignKey("pec.Municipio", on_delete=models.PROTECT, db_index=False)

    class Meta:
        abstract = True


def _policy_predicate() -> str:
    return f"municipio_id = (SELECT NULLIF(current_setting('{TENANT_SETTING}', true), '')::bigint)"


class TenantRLS(Operation):
    """Migration operation: ENABLE and FORCE row-level security on a tenant table.

    `also_visible` is an extra SQL condition that makes rows readable (never writable)
    outside their municipality, e.g. a user's own lotações at login.
    """

    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str, also_visible: str = "") -> None:
        self.model_name = model_name
        self.also_visible = also_visible

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        kwargs: dict[str, Any] = {"model_name": self.model_name}
        if self.also_visible:
            kwargs["also_visible"] = self.also_visible
        return (self.__class__.__qualname__, [], kwargs)

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        model = to_state.apps.get_model(app_label, self.model_name)
        for statement in tenant_rls_sql(model._meta.db_table, self.also_visible):
            schema_editor.execute(statement)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        model = from_state.apps.get_model(app_label, self.model_name)
        table = schema_editor.quote_name(model._meta.db_table)
        schema_editor.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
        schema_editor.execute(f"DROP POLICY IF EXISTS tenant_visible ON {table}")
        schema_editor.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")

    def describe(self) -> str:
        return f"Enable forced row-level security on {self.model_name}"

    @property
    def migration_name_fragment(self) -> str:
        return f"rls_{self.model_name.lower()}"


def tenant_rls_sql(table: str, also_visible: str = "") -> list[str]:
    quoted = '"' + table.replace('"', '""') + '"'
    statements = [
        f"ALTER TABLE {quoted} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {quoted} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS tenant_isolation ON {quoted}",
        f"CREATE POLICY tenant_isolation ON {quoted} USING ({_policy_predicate()}) WITH CHECK ({_policy_predicate()})",
    ]
    if also_visible:
        statements += [
            f"DROP POLICY IF EXISTS tenant_visible ON {quoted}",
            f"CREATE POLICY tenant_visible ON {quoted} FOR SELECT USING ({also_visible})",
        ]
    return statements


def current_user_predicate(column: str = "usuario_id") -> str:
    """SQL: the row belongs to the logged-in user (readable across municipalities)."""
    return f"{column} = (SELECT NULLIF(current_setting('{USER_SETTING}', true), '')::bigint)"


class OwnerMigratesRouter:
    """Schema changes happen only through the owner role; the app role cannot do DDL."""

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == "owner"


def set_request_tenant(municipio_id: int | None) -> None:
    """Set the tenant of the current request transaction (after a lotação switch); None
    takes it away again (the session's lotação turned out not to be valid)."""
    set_config(TENANT_SETTING, "" if municipio_id is None else municipio_id, "default")


def tenant_task(func: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator for Celery task bodies: `municipio_id` is explicit and scopes the task."""

    @functools.wraps(func)
    def wrapper(*args: Any, municipio_id: int, **kwargs: Any) -> Any:
        with tenant_context(municipio_id):
            return func(*args, municipio_id=municipio_id, **kwargs)

    return wrapper
