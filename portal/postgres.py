"""A private PostgreSQL cluster for the local portal, inside its base directory.

``initdb`` into ``<base>/postgres/data``, listening on 127.0.0.1 and a private port only, with its
socket in the same folder, password authentication and ``fsync=off`` (a development database).
PostgreSQL refuses to run as root; when the portal is managed by root, the server runs as the
``postgres`` system user that Debian's package creates, and only the cluster folder is handed to it.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

from portal.errors import MissingSystemPackagesError, PortalError
from portal.processes import cmdline, is_alive, tail

_TOOLS = ("initdb", "pg_ctl", "psql", "createdb")
_SOCKET_PATH_MAX = 100  # sun_path holds 108 bytes; ".s.PGSQL.NNNNN.lock" must fit as well


def find_bindir() -> Path:
    """The folder holding PostgreSQL's server programs (Debian keeps them off the PATH)."""
    candidates: list[Path] = []
    for tool in ("pg_ctl", "initdb"):
        found = shutil.which(tool)
        if found:
            candidates.append(Path(found).resolve().parent)
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: [int(x) for x in re.findall(r"\d+", p.parent.name)] or [0],
        reverse=True,
    )
    candidates.extend(versions)
    for folder in candidates:
        if all((folder / tool).is_file() for tool in _TOOLS):
            return folder
    raise MissingSystemPackagesError(["postgresql"], ["initdb", "pg_ctl"])


def _service_account() -> dict[str, Any]:
    """subprocess arguments that run PostgreSQL as ``postgres`` when we are root, else nothing."""
    if os.geteuid() != 0:
        return {}
    try:
        account = pwd.getpwnam("postgres")
    except KeyError as exc:
        raise PortalError(
            "PostgreSQL refuses to run as root and there is no 'postgres' user to run it as; "
            "install the 'postgresql' package (it creates that user) or run as an ordinary user"
        ) from exc
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


class Postgres:
    """The cluster of one portal: initialise, configure, start, stop, create the database."""

    def __init__(self, base_dir: Path, log_path: Path) -> None:
        self.root = base_dir / "postgres"
        self.data = self.root / "data"
        self.log_path = log_path
        self._bindir: Path | None = None

    @property
    def bindir(self) -> Path:
        """PostgreSQL's program folder (looked up on first use)."""
        if self._bindir is None:
            self._bindir = find_bindir()
        return self._bindir

    def _run(
        self,
        argv: list[str],
        *,
        as_service: bool,
        timeout: float,
        env: dict[str, str] | None = None,
        what: str,
    ) -> subprocess.CompletedProcess[str]:
        extra = _service_account() if as_service else {}
        try:
            result = subprocess.run(
                argv,
                capture_output=True,
                text=True,
                timeout=timeout,
                cwd=self.root,
                env=env,
                start_new_session=True,
                check=False,
                **extra,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise PortalError(f"PostgreSQL: {what} failed: {exc}", self.log_path) from exc
        with self.log_path.open("a") as log:
            log.write(f"$ {' '.join(argv)}\n{result.stdout}{result.stderr}")
        if result.returncode != 0:
            details = (result.stderr or result.stdout).strip()[-2000:]
            raise PortalError(
                f"PostgreSQL: {what} failed (exit {result.returncode}): {details}", self.log_path
            )
        return result

    def _hand_over(self, *paths: Path) -> None:
        account = _service_account()
        if not account:
            return
        for path in paths:
            os.chown(path, account["user"], account["group"])
            for dirpath, dirnames, filenames in os.walk(path):
                for name in dirnames + filenames:
                    os.chown(
                        os.path.join(dirpath, name), account["user"], account["group"], follow_symlinks=False
                    )

    def _check_reachable(self) -> None:
        if not _service_account():
            return
        base = self.root.parent
        mode = base.stat().st_mode
        if not mode & stat.S_IXOTH:
            os.chmod(base, mode | stat.S_IXOTH | stat.S_IXGRP)
        probe = subprocess.run(["test", "-w", str(self.root)], check=False, timeout=10, **_service_account())
        if probe.returncode != 0:
            raise PortalError(
                f"PostgreSQL must run as user 'postgres' (it refuses root), and that user cannot reach "
                f"{self.root}; choose a base folder whose parent folders are open to other users "
                "(for example under /tmp or /var/tmp), or run as an ordinary user"
            )

    def initialised(self) -> bool:
        """True once ``initdb`` has run."""
        return (self.data / "PG_VERSION").is_file()

    def initialise(self, password: str) -> None:
        """Create the cluster with superuser ``ckan`` and the given password."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o700)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_path.touch()
        self._hand_over(self.root, self.log_path)
        self._check_reachable()
        password_file = self.root / "initdb.pw"
        password_file.write_text(password + "\n")
        password_file.chmod(0o600)
        self._hand_over(password_file)
        try:
            self._run(
                [
                    str(self.bindir / "initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    "ckan",
                    f"--pwfile={password_file}",
                    "--auth=scram-sha-256",
                    "-E",
                    "UTF8",
                    "--locale=C",
                    "-N",
                ],
                as_service=True,
                timeout=120,
                what="initdb",
            )
        finally:
            password_file.unlink(missing_ok=True)
        conf = self.data / "postgresql.conf"
        with conf.open("a") as handle:
            handle.write("\ninclude = 'inventur.conf'\n")

    def configure(self, port: int) -> None:
        """Write the settings that depend on this portal (port, socket folder, durability off)."""
        socket_dir = str(self.root) if len(str(self.root)) <= _SOCKET_PATH_MAX - 24 else ""
        settings = {
            "port": str(port),
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": "'" + socket_dir.replace("'", "''") + "'",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "50",
            "shared_buffers": "64MB",
        }
        target = self.data / "inventur.conf"
        target.write_text("".join(f"{key} = {value}\n" for key, value in settings.items()))
        self._hand_over(target)

    def running(self) -> tuple[int, int] | None:
        """(pid, port) of the running postmaster, from ``postmaster.pid``."""
        try:
            lines = (self.data / "postmaster.pid").read_text().splitlines()
            pid, port = int(lines[0]), int(lines[3])
        except (OSError, ValueError, IndexError):
            return None
        if not is_alive(pid) or "postgres" not in cmdline(pid):
            return None
        return pid, port

    def start(self, port: int, timeout: int = 60) -> None:
        """Start the server (after ``configure``) and wait until it accepts connections."""
        self.log_path.touch()
        self._hand_over(self.log_path)
        self._check_reachable()
        try:
            self._run(
                [
                    str(self.bindir / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.log_path),
                    "-w",
                    "-t",
                    str(timeout),
                    "start",
                ],
                as_service=True,
                timeout=timeout + 15,
                what=f"starting the server on port {port}",
            )
        except PortalError as exc:
            raise PortalError(f"{exc}\n{tail(self.log_path)}") from exc

    def stop(self, timeout: int = 60) -> None:
        """Stop the server (fast shutdown) if it runs."""
        if self.running() is None:
            return
        self._run(
            [
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.data),
                "-m",
                "fast",
                "-w",
                "-t",
                str(timeout),
                "stop",
            ],
            as_service=True,
            timeout=timeout + 15,
            what="stopping the server",
        )

    def ensure_database(self, port: int, password: str, name: str = "ckan") -> None:
        """Create database ``name`` owned by ``ckan`` unless it exists."""
        env = {**os.environ, "PGPASSWORD": password, "PGCONNECT_TIMEOUT": "10"}
        common = ["-h", "127.0.0.1", "-p", str(port), "-U", "ckan"]
        found = self._run(
            [
                str(self.bindir / "psql"),
                *common,
                "-d",
                "postgres",
                "-tAc",
                f"SELECT 1 FROM pg_database WHERE datname = '{name}'",
            ],
            as_service=False,
            timeout=60,
            env=env,
            what="looking up the database",
        )
        if found.stdout.strip() != "1":
            self._run(
                [str(self.bindir / "createdb"), *common, "-E", "UTF8", name],
                as_service=False,
                timeout=60,
                env=env,
                what=f"creating database {name}",
            )
