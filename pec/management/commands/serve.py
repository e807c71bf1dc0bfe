"""Run the whole installation on one machine: web (gunicorn), Celery worker and beat.

`make run` calls this with --demo. It prepares the database (roles, migrations, demo
data once), starts the three processes with the same DATABASE_URL and REDIS_URL (the
embedded servers when none are set), and stops all of them on Ctrl-C.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from pec.embedded import free_port


def _die_with_parent() -> None:
    """In the child: if this launcher is killed outright (SIGKILL), take the child down
    too, so no orphaned worker keeps consuming the queue. Linux only; elsewhere a no-op."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        return
    pr_set_pdeathsig = 1
    libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


class Command(BaseCommand):
    help = "Prepare the database and run gunicorn, a Celery worker and Celery beat until Ctrl-C."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--bind", default=os.environ.get("PEC_BIND", "127.0.0.1:8000"))
        parser.add_argument(
            "--demo", action="store_true", help="load the demo municipalities once and print their logins"
        )
        parser.add_argument(
            "--demo-cidadaos", type=int, help="with --demo: citizens with a year of care (seed_demo --cidadaos)"
        )
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "3")))

    def handle(self, *args: Any, **options: Any) -> None:
        if options["demo"]:
            from pec.demo import DemoEmProducao, demo_recusar_em_producao

            try:
                demo_recusar_em_producao()
            except DemoEmProducao as exc:
                raise CommandError(str(exc)) from exc
        call_command("db_setup", stdout=self.stdout)
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Migrations applied.")
        if options["demo"]:
            call_command("seed_demo", if_empty=True, cidadaos=0, stdout=self.stdout)
        call_command("collectstatic", interactive=False, verbosity=0)

        env = {**os.environ, "DATABASE_URL": settings.DATABASE_URL, "REDIS_URL": settings.REDIS_URL}
        python = sys.executable
        bindir = os.path.dirname(python)
        demo_processes: dict[str, list[str]] = {}
        if options["demo"]:
            demo_processes, env = self._demo_national_peer(python, env, options["bind"])
            # The demo's logins are public (and refused in production): its installation
            # administrator is not sent to enrol in MFA before the first page.
            env.setdefault("PEC_MFA_ADMIN_INSTALACAO", "false")
        commands = {
            "web": [
                os.path.join(bindir, "gunicorn"),
                "config.wsgi",
                "--config",
                str(settings.BASE_DIR / "deploy" / "gunicorn.conf.py"),
                "--bind",
                options["bind"],
                "--workers",
                str(options["workers"]),
            ],
            # One machine, one worker: the default queue and the backups' (production runs a
            # unit per queue, each with its own credentials: deploy/systemd).
            "worker": [
                os.path.join(bindir, "celery"),
                "-A",
                "config",
                "worker",
                "-l",
                "info",
                "--concurrency",
                "2",
                "-Q",
                f"celery,{settings.BACKUP_FILA}",
            ],
            "beat": [
                os.path.join(bindir, "celery"),
                "-A",
                "config",
                "beat",
                "-l",
                "info",
                "--schedule",
                str(settings.VAR_DIR / "celerybeat-schedule"),
            ],
        }
        commands.update(demo_processes)
        processes = {
            name: subprocess.Popen(cmd, env=env, start_new_session=True, preexec_fn=_die_with_parent)
            for name, cmd in commands.items()
        }
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        self._announce(options)
        # One-shot jobs (the demo's year of care): their end, whatever its code, stops nothing.
        tarefas = {"demo-history": self._demo_completar(python, env, options)} if options["demo"] else {}
        try:
            while not stopping:
                for name, proc in processes.items():
                    if proc.poll() is not None:
                        self.stderr.write(f"{name} exited with code {proc.returncode}; stopping the others.")
                        stopping = True
                for name, proc in list(tarefas.items()):
                    if proc.poll() is not None:
                        if proc.returncode:
                            self.stderr.write(f"{name} failed with code {proc.returncode}; the server keeps running.")
                        del tarefas[name]
                time.sleep(0.5)
        finally:
            self._stop_all({**processes, **tarefas})

    def _demo_national_peer(
        self, python: str, env: dict[str, str], bind: str
    ) -> tuple[dict[str, list[str]], dict[str, str]]:
        """The local RNDS/CADSUS peer (mutual TLS with a test PKI), and the demo
        municipality pointed at it and at this installation's own LEDI receiving API, so
        finalised records really travel in the demo."""
        from pec.demo import demo_configurar

        pasta = settings.VAR_DIR / "rnds-teste"
        porta = free_port()
        host, _, porta_web = bind.rpartition(":")
        host = "127.0.0.1" if host in ("", "0.0.0.0", "[::]") else host
        demo_configurar(url_web=f"http://{host}:{porta_web}", url_rnds=f"https://127.0.0.1:{porta}", pasta=pasta)
        env = {**env, "RNDS_CA_ARQUIVO": str(pasta / "ac-teste.pem")}
        comando = [
            python,
            str(settings.BASE_DIR / "manage.py"),
            "national_simulator",
            "--porta",
            str(porta),
            "--pasta",
            str(pasta),
        ]
        self.stdout.write(f"Local RNDS/CADSUS peer (test PKI) at https://127.0.0.1:{porta}/")
        return {"national-simulator": comando}, env

    def _demo_completar(self, python: str, env: dict[str, str], options: dict[str, Any]) -> subprocess.Popen[bytes]:
        """The year of care, written by the clinical services, takes a minute or more on a
        small machine: it runs beside the server, in one transaction (visible all
        at once; an interrupted run leaves nothing and is redone by the next `make run`)."""
        comando = [python, str(settings.BASE_DIR / "manage.py"), "seed_demo", "--completar"]
        if options["demo_cidadaos"] is not None:
            comando += ["--cidadaos", str(options["demo_cidadaos"])]
        self.stdout.write(
            "Demonstração: o histórico de um ano do município de produção é conferido em segundo plano "
            "e montado só na primeira execução (cerca de um minuto)."
        )
        return subprocess.Popen(comando, env=env, start_new_session=True, preexec_fn=_die_with_parent)

    def _announce(self, options: dict[str, Any]) -> None:
        host, _, port = options["bind"].rpartition(":")
        self.stdout.write(self.style.SUCCESS(f"\nPEC running at http://{host}:{port}/  (Ctrl-C stops everything)"))
        if options["demo"]:
            from pec.demo import demo_logins_text

            self.stdout.write(demo_logins_text())

    def _stop_all(self, processes: dict[str, subprocess.Popen[bytes]]) -> None:
        for proc in processes.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for name, proc in processes.items():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.stderr.write(f"{name} did not stop in time; killing it.")
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.stdout.write(f"Stopped {', '.join(processes)}.")
