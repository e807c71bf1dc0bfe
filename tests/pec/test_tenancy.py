"""Row-level security, checked with raw SQL as the app role: the database itself keeps
municipalities apart, whatever the application forgets."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import DataError, ProgrammingError, connection, transaction

from pec import tasks
from pec.audit.chain import audit_event
from pec.models import Estabelecimento
from pec.tenancy import TenantModel, tenant_context
from tests import mundo as fabricas

pytestmark = pytest.mark.django_db


def tenant_tables() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND column_name = 'municipio_id' ORDER BY table_name"
        )
        return [row[0] for row in cursor.fetchall()]


def count(table: str) -> int:
    """Rows of municipalities (the audit trail's installation rows have municipio_id NULL)."""
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{table}" WHERE municipio_id IS NOT NULL')
        return cursor.fetchone()[0]


OWN_POLICIES = {"pec_eventoauditoria": "auditoria_cadeia"}


def has_forced_policy(table: str, policy: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relrowsecurity AND c.relforcerowsecurity FROM pg_class c JOIN pg_policy p ON p.polrelid = c.oid "
            "WHERE c.relname = %s AND p.polname = %s",
            [table, policy],
        )
        row = cursor.fetchone()
        return bool(row and row[0])


@pytest.fixture
def two_municipios():
    a = fabricas.municipio("A")
    b = fabricas.municipio("B")
    alice = fabricas.usuario("Alice")
    charlie = fabricas.usuario("Charlie")
    fabricas.lotacao(a, alice)
    fabricas.lotacao(b, charlie)
    for municipio in (a, b):
        with tenant_context(municipio.id):
            audit_event(evento="admin_alteracao", o_que="municipal row for the checks below")
    audit_event(evento="login_falha", cpf_informado="installation row")
    return a, b


def test_app_role_is_neither_superuser_nor_owner_and_cannot_bypass_rls():
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False, False)
        cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user")
        assert cursor.fetchone()[0] == 0
    assert connection.settings_dict["USER"] == settings.DB_ROLES["app"]["USER"]


def test_the_audit_role_never_logs_in_and_the_app_cannot_become_it():
    """The app reaches the audit table only through the audit role's function."""
    audit = settings.DB_ROLES["audit"]["USER"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolcanlogin, rolbypassrls FROM pg_roles WHERE rolname = %s", [audit])
        assert cursor.fetchone() == (False, True)
        cursor.execute("SELECT pg_has_role(current_user, %s, 'MEMBER')", [audit])
        assert cursor.fetchone() == (False,)
    with (
        pytest.raises(ProgrammingError, match="permission denied"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f'SET ROLE "{audit}"')


def test_app_role_plans_without_parallel_workers():
    # Set for the role in this database by db_setup; a new connection picks it up.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setting FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole, "
            "unnest(s.setconfig) setting WHERE r.rolname = current_user "
            "AND s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        assert cursor.fetchall() == [("max_parallel_workers_per_gather=0",)]


def test_every_table_with_municipio_id_has_forced_policy():
    tables = tenant_tables()
    assert "pec_lotacao" in tables
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relrowsecurity AND c.relforcerowsecurity "
            "AND EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = %s)",
            ["tenant_isolation"],
        )
        protected = {row[0] for row in cursor.fetchall()}
    # The audit trail has its own policy (its installation chain has municipio_id NULL);
    # tests/pec/test_audit.py and test_no_tenant_set_sees_no_rows check what it shows.
    protected |= {table for table, policy in OWN_POLICIES.items() if has_forced_policy(table, policy)}
    assert [t for t in tables if t not in protected] == []


def test_every_tenant_model_is_a_tenant_table():
    from django.apps import apps

    models = [m for m in apps.get_models() if issubclass(m, TenantModel)]
    assert {m._meta.db_table for m in models} <= set(tenant_tables())


def test_no_tenant_set_sees_no_rows(two_municipios):
    for table in tenant_tables():
        assert count(table) == 0, table


def test_tenant_set_sees_only_its_rows(two_municipios):
    a, _b = two_municipios
    with tenant_context(a.id):
        with connection.cursor() as cursor:
            cursor.execute("SELECT DISTINCT municipio_id FROM pec_estabelecimento")
            assert [row[0] for row in cursor.fetchall()] == [a.id]
        for table in tenant_tables():
            with connection.cursor() as cursor:
                cursor.execute(f'SELECT count(*) FROM "{table}" WHERE municipio_id IS DISTINCT FROM %s', [a.id])
                assert cursor.fetchone()[0] == 0, table


def test_setting_does_not_outlive_its_transaction(two_municipios):
    a, _ = two_municipios
    with tenant_context(a.id):
        assert count("pec_estabelecimento") == 1
    assert count("pec_estabelecimento") == 0


def test_insert_into_other_municipality_is_rejected(two_municipios):
    a, b = two_municipios
    with pytest.raises(ProgrammingError, match="row-level security"), tenant_context(a.id):
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO pec_estabelecimento (municipio_id, cnes, nome, tipo, cnpj, logradouro, numero, "
                "bairro, cep, telefone, ativo) VALUES (%s, '1234567', 'Intrusa', '', '', '', '', '', '', '', true)",
                [b.id],
            )


def test_moving_a_row_to_other_municipality_is_rejected(two_municipios):
    a, b = two_municipios
    with pytest.raises(ProgrammingError, match="row-level security"), tenant_context(a.id):
        with connection.cursor() as cursor:
            cursor.execute("UPDATE pec_estabelecimento SET municipio_id = %s", [b.id])


def test_update_of_other_municipality_touches_nothing(two_municipios):
    a, b = two_municipios
    with tenant_context(a.id), connection.cursor() as cursor:
        cursor.execute("UPDATE pec_estabelecimento SET nome = 'x' WHERE municipio_id = %s", [b.id])
        assert cursor.rowcount == 0
        cursor.execute("DELETE FROM pec_estabelecimento WHERE municipio_id = %s", [b.id])
        assert cursor.rowcount == 0
    with tenant_context(b.id):
        assert Estabelecimento.objects.get().nome == "UBS Centro"


def test_orm_without_tenant_finds_nothing(two_municipios):
    assert Estabelecimento.objects.count() == 0


def test_app_role_cannot_disable_rls():
    with pytest.raises(ProgrammingError, match="must be owner"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("ALTER TABLE pec_estabelecimento NO FORCE ROW LEVEL SECURITY")


def test_tenant_value_must_be_an_integer(two_municipios):
    with pytest.raises(TypeError), tenant_context("1"):  # type: ignore[arg-type]
        pass
    # With rows to check, PostgreSQL must evaluate the policy, and a setting that is not an
    # integer is an error, never a condition (on an empty table the check never runs).
    with pytest.raises(DataError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('app.municipio', '1 OR true', true)")
        cursor.execute("SELECT count(*) FROM pec_estabelecimento")


def test_celery_task_of_a_cannot_read_b(two_municipios):
    a, _b = two_municipios
    resumo = tasks.municipio_resumo.apply(kwargs={"municipio_id": a.id}).get()
    assert resumo["estabelecimentos"] == 1
    assert resumo["municipios_vistos"] == [a.id]


def test_nested_tenant_context_restores_the_enclosing_tenant(two_municipios):
    a, b = two_municipios
    with tenant_context(a.id):
        with tenant_context(b.id):
            assert list(Estabelecimento.objects.values_list("municipio_id", flat=True)) == [b.id]
        assert list(Estabelecimento.objects.values_list("municipio_id", flat=True)) == [a.id]


def test_fan_out_queues_one_task_per_active_municipality(two_municipios):
    a, b = two_municipios
    fabricas.municipio("Inativo", ativo=False)

    class Recorder:
        calls: list[dict] = []

        def delay(self, **kwargs):
            self.calls.append(kwargs)

    recorder = Recorder()
    assert tasks.fan_out(recorder, competencia="202611") == 2
    assert sorted(call["municipio_id"] for call in recorder.calls) == sorted([a.id, b.id])
    assert {call["competencia"] for call in recorder.calls} == {"202611"}


def test_a_session_lotacao_no_longer_valid_leaves_no_tenant_behind(two_municipios):
    from django.test import RequestFactory

    from pec.identity.login import SESSION_LOTACAO, SESSION_MUNICIPIO, activate_lotacao_from_session
    from pec.models import Lotacao

    a, _ = two_municipios
    with tenant_context(a.id):
        lotacao = Lotacao.objects.filter(municipio=a).select_related("usuario").first()
        Lotacao.objects.filter(pk=lotacao.pk).update(ativo=False)
    request = RequestFactory().get("/")
    request.user = lotacao.usuario
    request.session = {SESSION_LOTACAO: lotacao.pk, SESSION_MUNICIPIO: a.id}  # type: ignore[assignment]  # a dict stands in for the session
    with transaction.atomic():
        assert activate_lotacao_from_session(request) is None
        with connection.cursor() as cursor:
            cursor.execute("SELECT coalesce(current_setting('app.municipio', true), '')")
            assert cursor.fetchone()[0] == ""
    assert request.lotacao is None and SESSION_LOTACAO not in request.session
