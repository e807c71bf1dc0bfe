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
from django.core.management.base import BaseCommand

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
        parser.add_argument("--demo", action="store_true", help="load the demo municipalities once and print their logins")
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "3")))

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("db_setup", stdout=self.stdout)
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Migrations applied.")
        if options["demo"]:
            call_command("seed_demo", if_empty=True, stdout=self.stdout)
        call_command("collectstatic", interactive=False, verbosity=0)

        env = {**os.environ, "DATABASE_URL": settings.DATABASE_URL, "REDIS_URL": settings.REDIS_URL}
        python = sys.executable
        bindir = os.path.dirname(python)
        demo_processes = {}
        if options["demo"]:
            demo_processes, env = self._demo_national_peer(python, env)
        commands = {
            "web": [
                os.path.join(bindir, "gunicorn"),
                "pec.wsgi",
                "--config",
                str(settings.BASE_DIR / "deploy" / "gunicorn.conf.py"),
                "--bind",
                options["bind"],
                "--workers",
                str(options["workers"]),
            ],
            # One machine, one worker: the default queue and the backups' (production runs a
            # unit per queue, each with its own credentials: deploy/systemd).
            "worker": [os.path.join(bindir, "celery"), "-A", "pec", "worker", "-l", "info", "--concurrency", "2",
                       "-Q", f"celery,{settings.BACKUP_FILA}"],
            "beat": [
                os.path.join(bindir, "celery"),
                "-A",
                "pec",
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
        try:
            while not stopping:
                for name, proc in processes.items():
                    if proc.poll() is not None:
                        self.stderr.write(f"{name} exited with code {proc.returncode}; stopping the others.")
                        stopping = True
                time.sleep(0.5)
        finally:
            self._stop_all(processes)

    def _demo_national_peer(self, python: str, env: dict[str, str]) -> tuple[dict[str, list[str]], dict[str, str]]:
        """The local RNDS/CADSUS peer (mutual TLS with a test PKI), and the demo
        municipality pointed at it, so finalised records really travel in the demo."""
        from pec.demo import demo_configurar_rnds

        pasta = settings.VAR_DIR / "rnds-teste"
        porta = free_port()
        demo_configurar_rnds(url=f"https://127.0.0.1:{porta}", pasta=pasta)
        env = {**env, "RNDS_CA_ARQUIVO": str(pasta / "ac-teste.pem")}
        comando = [python, str(settings.BASE_DIR / "manage.py"), "national_simulator", "--porta", str(porta),
                   "--pasta", str(pasta)]
        self.stdout.write(f"Local RNDS/CADSUS peer (test PKI) at https://127.0.0.1:{porta}/")
        return {"national-simulator": comando}, env

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
