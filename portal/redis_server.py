"""A private Redis for the local portal: 127.0.0.1 and a private port, no persistence.

CKAN keeps only transient data in Redis (jobs, caches), so ``--save ''`` and no append-only file
are right for a development portal; the pid file, working folder and log live in the base folder.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

from portal.errors import MissingSystemPackagesError, PortalError
from portal.processes import running_pid, stop, wait_until


def find_redis_server() -> str:
    """Path of ``redis-server``, or an error naming the Debian package."""
    found = shutil.which("redis-server")
    if not found:
        raise MissingSystemPackagesError(["redis-server"], ["redis-server"])
    return found


def ping(port: int, timeout: float = 1.0) -> bool:
    """True if a Redis on 127.0.0.1:``port`` answers PING."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class Redis:
    """The Redis server of one portal."""

    def __init__(self, base_dir: Path, log_path: Path) -> None:
        self.dir = base_dir / "redis"
        self.pid_file = base_dir / "run" / "redis.pid"
        self.log_path = log_path

    def running(self, port: int | None = None) -> int | None:
        """Pid of this portal's Redis if it runs (on ``port``, when given)."""
        markers = ("redis-server", f":{port}") if port else ("redis-server",)
        return running_pid(self.pid_file, *markers)

    def start(self, port: int, timeout: float = 20.0) -> None:
        """Start Redis daemonised and wait until it answers."""
        self.dir.mkdir(parents=True, exist_ok=True)
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        argv = [
            find_redis_server(),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--protected-mode",
            "yes",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "yes",
            "--pidfile",
            str(self.pid_file),
            "--dir",
            str(self.dir),
            "--logfile",
            str(self.log_path),
        ]
        try:
            subprocess.run(argv, check=True, timeout=timeout, capture_output=True, start_new_session=True)
        except (OSError, subprocess.SubprocessError) as exc:
            raise PortalError(f"Redis: cannot start redis-server: {exc}", self.log_path) from exc
        wait_until(lambda: ping(port), timeout=timeout, what=f"Redis on port {port}", log_path=self.log_path)

    def stop(self) -> None:
        """Stop Redis if it runs."""
        pid = self.running()
        if pid is not None:
            stop(pid)
        self.pid_file.unlink(missing_ok=True)
