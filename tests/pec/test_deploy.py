"""Production settings and the one-machine launcher, run as the operators run them."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.core.checks import run_checks

from pec.dbroles import drop_database
from pec.demo import DEMO_PASSWORD, PESSOAS
from pec.models import Usuario
from tests.browser import database_url_for, redis_url_proprio


def production_env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return {
        **base,
        "PEC_PRODUCTION": "true",
        "SECRET_KEY": "k" * 20 + "production-secret-for-the-deploy-check-0123456789",
        "ALLOWED_HOSTS": "pec.exemplo.gov.br",
        "PEC_ENCRYPTION_KEYS": "cHJvZHVjdGlvbi1rZXktZm9yLXRlc3RzLTMyYnl0ZXM=",
        "DATABASE_URL": settings.DATABASE_URL,
        "REDIS_URL": settings.REDIS_URL,
        **extra,
    }


def test_check_deploy_is_clean_in_production_mode():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=production_env(),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    "relaxada", [{"PEC_DESTINOS_HTTP": "true"}, {"PEC_HOSTS_LOCAIS": "127.0.0.1"}, {"PEC_SISAB_PASTA_BASE": "/"}]
)
def test_check_deploy_warns_when_outbound_rules_are_relaxed(relaxada):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=production_env(**relaxada),
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0 and "pec.W010" in result.stdout + result.stderr


def test_production_refuses_to_start_without_secret_key():
    env = production_env()
    del env["SECRET_KEY"]
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_secret_can_come_from_a_file(tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text("s" * 60 + "\n")
    env = production_env(SECRET_KEY_FILE=str(secret_file))
    del env["SECRET_KEY"]
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; print(len(settings.SECRET_KEY))",
        ],
        cwd=settings.BASE_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
    )
    assert result.stdout.strip() == "60", result.stderr


@pytest.mark.parametrize("comando", [["seed_demo"], ["serve", "--demo", "--bind", "127.0.0.1:1"]])
def test_demo_is_refused_in_production_before_touching_the_database(comando):
    # An unreachable database: the refusal must come first, so nothing can have been written.
    env = production_env(DATABASE_URL="postgresql://ninguem@127.0.0.1:1/nada")
    result = subprocess.run(
        [sys.executable, "manage.py", *comando], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Refusing to load the demo in a production installation" in result.stderr
    assert "Traceback" not in result.stderr


def _avisos_de_implantacao() -> list[str]:
    return [m.id for m in run_checks(include_deployment_checks=True, tags=["security"]) if m.id == "pec.W001"]


@pytest.mark.django_db
def test_check_deploy_reports_demo_accounts_with_the_public_password(settings):
    settings.PRODUCTION = True
    assert _avisos_de_implantacao() == []
    medico = Usuario.objects.create_user(PESSOAS[0].cpf, DEMO_PASSWORD, nome=PESSOAS[0].nome)
    assert _avisos_de_implantacao() == ["pec.W001"]
    medico.set_password("outra-senha-longa-2026")
    medico.save()
    assert _avisos_de_implantacao() == []
    settings.PRODUCTION = False
    medico.set_password(DEMO_PASSWORD)
    medico.save()
    assert _avisos_de_implantacao() == []  # the demo itself, on a developer's machine


@pytest.mark.browser
def test_serve_starts_web_worker_beat_and_stops_them_on_ctrl_c(tmp_path):
    dbname = os.environ.get("PEC_TEST_DB", f"test_{settings.DB_ADMIN['NAME']}") + "_serve"
    drop_database(settings.DB_ADMIN, dbname)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = production_env(
        PEC_PRODUCTION="false",
        DATABASE_URL=database_url_for(dbname),
        REDIS_URL=redis_url_proprio(14),
        PEC_VAR_DIR=str(tmp_path),
    )
    del env["ALLOWED_HOSTS"]
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--demo", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output = ""
        deadline = time.monotonic() + 300  # migrations + demo data on a busy 2-core machine
        while "PEC running at" not in output and time.monotonic() < deadline:
            output += proc.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in output
        for _ in range(60):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/conta/login/", timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("web did not answer")
        linhas = subprocess.run(["pgrep", "-a", "-P", str(proc.pid)], capture_output=True, text=True).stdout
        # web, worker, beat and, in demo mode, the national peer (and the one-shot demo history)
        children = [linha.split()[0] for linha in linhas.splitlines() if "seed_demo" not in linha]
        assert len(children) == 4, linhas
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
        output += rest
        assert proc.returncode == 0, output
        assert "Demo logins" in output and "Stopped web, worker, beat, national-simulator" in output
        for pid in children:
            assert not os.path.exists(f"/proc/{pid}") or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()
    finally:
        if proc.poll() is None:
            proc.kill()
        drop_database(settings.DB_ADMIN, dbname)


# --- Credentials per unit: each process gets only the database roles it needs ---------------

DEPLOY = settings.BASE_DIR / "deploy"
SENHAS = {f"db_{kind}_password": f"senha-de-{kind}" for kind in ("owner", "app", "backup", "restore")}


def _unidade(nome: str) -> tuple[dict[str, str], list[str], dict[str, str]]:
    """(variables of its EnvironmentFiles, in order; its credentials; its Environment= lines)."""
    variaveis: dict[str, str] = {}
    credenciais: list[str] = []
    ambiente: dict[str, str] = {}
    for linha in (DEPLOY / "systemd" / f"{nome}.service").read_text().splitlines():
        chave, _, valor = linha.partition("=")
        if chave == "EnvironmentFile":
            arquivo = DEPLOY / "env" / valor.removeprefix("/etc/pec/")
            for entrada in arquivo.read_text().splitlines():
                if entrada and not entrada.startswith("#"):
                    k, _, v = entrada.partition("=")
                    variaveis[k] = v
        elif chave == "LoadCredential":
            credenciais.append(valor.split(":", 1)[0])
        elif chave == "Environment":
            k, _, v = valor.partition("=")
            ambiente[k] = v
    return variaveis, credenciais, ambiente


def _settings_da_unidade(nome: str, tmp_path) -> tuple[dict, list[str]]:
    """Build config.settings in a fresh process exactly as systemd would start the unit."""
    variaveis, credenciais, ambiente = _unidade(nome)
    pasta = tmp_path / nome
    pasta.mkdir()
    valores = {
        **SENHAS,
        "secret_key": "s" * 60,
        "pec_encryption_keys": "cHJvZHVjdGlvbi1rZXktZm9yLXRlc3RzLTMyYnl0ZXM=",
        "backup_signing_key": "chave",
        "pec_audit_head_key": "chave-das-cabecas",
    }
    for credencial in credenciais:
        (pasta / credencial).write_text(valores[credencial] + "\n")
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    env.update(variaveis)
    env.update({k: v.replace("%d", str(pasta)) for k, v in ambiente.items()})
    env["CREDENTIALS_DIRECTORY"] = str(pasta)
    script = (
        "import json; from config import settings as s; "
        "print(json.dumps({'admin': [s.DB_ADMIN.get('USER', ''), s.DB_ADMIN.get('PASSWORD', '')], "
        "'bancos': {k: [v['USER'], v['PASSWORD']] for k, v in s.DATABASES.items()}, "
        "'papeis': {k: v['PASSWORD'] for k, v in s.DB_ROLES.items()}, 'assinatura': s.BACKUP_SIGNING_KEY, 'cabecas': s.PEC_AUDIT_HEAD_KEY}))"
    )
    resultado = subprocess.run(
        [sys.executable, "-c", script], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True
    )
    assert resultado.returncode == 0, resultado.stderr
    return json.loads(resultado.stdout.strip().splitlines()[-1]), credenciais


@pytest.mark.parametrize("unidade", ["pec-web", "pec-worker", "pec-beat"])
def test_web_worker_and_beat_get_the_app_role_only(unidade, tmp_path):
    """A code-execution bug in these processes finds no owner, backup or administrative
    credential: not in their settings, not among the secrets systemd hands them."""
    valores, credenciais = _settings_da_unidade(unidade, tmp_path)
    assert valores["admin"] == ["", ""]
    assert list(valores["bancos"]) == ["default"] and valores["bancos"]["default"][0] == "pec_app"
    assert list(valores["papeis"]) == ["app"]
    assert not {"db_owner_password", "db_backup_password", "db_restore_password", "backup_signing_key"} & set(
        credenciais
    )
    assert unidade == "pec-beat" or valores["papeis"]["app"] == "senha-de-app"


def test_the_backup_unit_gets_backup_and_restore_roles_and_the_signing_key_but_not_the_owner(tmp_path):
    valores, credenciais = _settings_da_unidade("pec-backup", tmp_path)
    assert valores["admin"] == ["", ""] and list(valores["bancos"]) == ["default"]
    assert valores["papeis"] == {"app": "senha-de-app", "backup": "senha-de-backup", "restore": "senha-de-restore"}
    assert valores["assinatura"] == str(tmp_path / "pec-backup" / "backup_signing_key")
    assert valores["cabecas"] == "chave-das-cabecas"  # signs the audit heads in each manifest
    assert "db_owner_password" not in credenciais
    servico = (DEPLOY / "systemd" / "pec-backup.service").read_text()
    assert "celery -A config worker -Q backup" in servico and settings.CELERY_TASK_ROUTES == {
        "pec.tasks.backup_noturno": {"queue": "backup"}
    }


def test_only_migrations_get_the_owner_and_only_setup_an_administrative_connection(tmp_path):
    migrate, _ = _settings_da_unidade("pec-migrate", tmp_path)
    assert migrate["bancos"]["owner"] == ["pec_owner", "senha-de-owner"] and migrate["admin"] == ["", ""]
    setup, _ = _settings_da_unidade("pec-db-setup", tmp_path)
    assert set(setup["papeis"]) == {"owner", "app", "backup", "restore", "audit"}
    assert setup["admin"] == ["", ""]  # peer authentication as the postgres system user: no password at all
    assert "User=postgres" in (DEPLOY / "systemd" / "pec-db-setup.service").read_text()


def test_production_settings_without_roles_build_no_owner_connection():
    """The default in production is the app role alone, whatever DATABASE_URL says."""
    script = (
        "import json; from config import settings as s; print(json.dumps([sorted(s.DATABASES), sorted(s.DB_ROLES)]))"
    )
    resultado = subprocess.run(
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env=production_env(DB_OWNER_PASSWORD="x"),
        capture_output=True,
        text=True,
    )
    assert json.loads(resultado.stdout.strip().splitlines()[-1]) == [["default"], ["app"]], resultado.stderr


def test_migrate_without_the_owner_says_where_it_is(tmp_path):
    resultado = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--check"],
        cwd=settings.BASE_DIR,
        env=production_env(),
        capture_output=True,
        text=True,
    )
    assert resultado.returncode != 0 and "run migrate with the owner's environment" in resultado.stderr
