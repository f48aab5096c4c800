"""CKAN itself: its own virtual environment, its configuration, its command line and its web process.

CKAN 2.11 installs from PyPI only as ``ckan[requirements]==2.11.6`` (plain ``ckan`` brings none of
its dependencies) and must not share an environment with inventur (its pins would clash), so it
gets a virtual environment of its own, by default in ``~/.cache/inventur/ckan-2.11.6``, shared by
all portals of the user. Setup uses CKAN's own commands (``ckan generate config``, ``ckan
config-tool``, ``ckan db init``, ``ckan user add``, ``ckan user token add``), so the portal is set
up exactly as CKAN's documentation describes.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from portal.errors import MissingSystemPackagesError, PortalError
from portal.processes import file_lock, running_pid, spawn, stop, tail

CKAN_VERSION = "2.11.6"
CKAN_REQUIREMENT = f"ckan[requirements]=={CKAN_VERSION}"
_MARKER = ".inventur-ckan"
_TOKEN = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_URL_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^@\s]+@")


def masked(argument: str) -> str:
    """An argument as it may appear in logs and messages: passwords replaced by ``***``."""
    if argument.startswith("password="):
        return "password=***"
    return _URL_PASSWORD.sub(r"\1***@", argument)


def default_venv() -> Path:
    """Where CKAN's environment lives unless the caller chooses another folder."""
    return Path.home() / ".cache" / "inventur" / f"ckan-{CKAN_VERSION}"


def _clean_env() -> dict[str, str]:
    """Our environment without the variables that would leak inventur's Python into CKAN's."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "CKAN_INI")
    }
    env.setdefault("LC_ALL", "C.UTF-8")
    return env


def venv_ready(venv: Path) -> bool:
    """True if ``venv`` holds a completed installation of this CKAN version."""
    marker = venv / _MARKER
    return (
        (venv / "bin" / "ckan").is_file() and marker.is_file() and marker.read_text().strip() == CKAN_VERSION
    )


def ensure_venv(venv: Path, log_path: Path, progress: Callable[[str], None]) -> None:
    """Install CKAN into ``venv`` unless it is already there (uv if available, else venv + pip)."""
    if venv_ready(venv):
        return
    with file_lock(venv.parent / f"{venv.name}.lock", timeout=1800, what=f"CKAN environment {venv}"):
        if venv_ready(venv):
            return
        missing = [tool for tool in ("pg_config", "gcc") if shutil.which(tool) is None]
        if missing:
            packages = ["libpq-dev" if tool == "pg_config" else tool for tool in missing]
            raise MissingSystemPackagesError(packages, missing)
        if venv.exists():
            shutil.rmtree(venv)  # an interrupted installation: start over
        progress(f"CKAN: installing {CKAN_REQUIREMENT} into {venv} (first run only, about a minute)")
        log_path.parent.mkdir(parents=True, exist_ok=True)
        uv = shutil.which("uv")
        python = str(venv / "bin" / "python")
        if uv:
            steps = [
                [uv, "venv", "--quiet", "--python", sys.executable, str(venv)],
                [uv, "pip", "install", "--python", python, CKAN_REQUIREMENT],
            ]
        else:
            steps = [
                [sys.executable, "-m", "venv", str(venv)],
                [python, "-m", "pip", "install", "--disable-pip-version-check", CKAN_REQUIREMENT],
            ]
        with log_path.open("a") as log:
            for argv in steps:
                log.write(f"$ {' '.join(argv)}\n")
                log.flush()
                try:
                    result = subprocess.run(
                        argv,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        timeout=1800,
                        env=_clean_env(),
                        check=False,
                    )
                except (OSError, subprocess.SubprocessError) as exc:
                    raise PortalError(f"CKAN: installation failed: {exc}", log_path) from exc
                if result.returncode != 0:
                    raise PortalError(
                        f"CKAN: installation failed (exit {result.returncode}):\n{tail(log_path)}", log_path
                    )
        (venv / _MARKER).write_text(CKAN_VERSION + "\n")


def solr_schema(venv: Path) -> Path:
    """CKAN's ``schema.xml`` inside its environment (what the Solr stand-in serves)."""
    for candidate in sorted(venv.glob("lib/python3*/site-packages/ckan/config/solr/schema.xml")):
        return candidate
    raise PortalError(f"CKAN's Solr schema (ckan/config/solr/schema.xml) is missing in {venv}")


class CkanSite:
    """One portal's CKAN: configuration file, CLI commands and the web process."""

    def __init__(self, venv: Path, base_dir: Path, setup_log: Path, run_log: Path) -> None:
        self.venv = venv
        self.folder = base_dir / "ckan"
        self.ini = self.folder / "ckan.ini"
        self.pid_file = base_dir / "run" / "ckan.pid"
        self.setup_log = setup_log
        self.run_log = run_log

    @property
    def executable(self) -> str:
        """The ``ckan`` command of the environment."""
        return str(self.venv / "bin" / "ckan")

    def cli(self, *args: str, timeout: float = 300, with_config: bool = True) -> str:
        """Run a ``ckan`` command; returns its standard output, raises PortalError on failure."""
        argv = [self.executable, *(["-c", str(self.ini)] if with_config else []), *args]
        shown = " ".join(masked(a) for a in argv)
        try:
            result = subprocess.run(
                argv,
                capture_output=True,
                text=True,
                timeout=timeout,
                cwd=self.folder,
                env=_clean_env(),
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise PortalError(f"CKAN: '{shown}' failed: {exc}", self.setup_log) from exc
        with self.setup_log.open("a") as log:
            output = _TOKEN.sub("<token>", result.stdout)
            log.write(f"$ {shown}\n{output}{result.stderr}\n")
        if result.returncode != 0:
            details = "\n".join((result.stderr or result.stdout).strip().splitlines()[-12:])
            raise PortalError(
                f"CKAN: '{shown}' failed (exit {result.returncode}):\n{details}", self.setup_log
            )
        return result.stdout

    def generate_config(self) -> None:
        """Write a fresh ``ckan.ini`` (with new secrets) unless one exists."""
        self.folder.mkdir(parents=True, exist_ok=True)
        if not self.ini.is_file():
            self.cli("generate", "config", str(self.ini), with_config=False)

    def configure(self, settings: Mapping[str, str]) -> None:
        """Apply settings with ``ckan config-tool``; the file holds secrets, so only we may read it."""
        self.cli("config-tool", str(self.ini), *(f"{k}={v}" for k, v in settings.items()), with_config=False)
        self.ini.chmod(0o600)

    def init_db(self) -> None:
        """Create CKAN's tables, including those of the default ``activity`` plugin."""
        self.cli("db", "init")
        self.cli("db", "upgrade", "-p", "activity")

    def add_sysadmin(self, name: str, email: str, password: str) -> None:
        """Create the sysadmin account (or make an existing account sysadmin)."""
        try:
            self.cli("user", "add", name, f"email={email}", f"password={password}", "sysadmin=True")
        except PortalError as exc:
            message = str(exc).lower()
            if not any(hint in message for hint in ("not available", "already", "in use")):
                raise
            self.cli("sysadmin", "add", name)

    def create_token(self, user: str, label: str) -> str:
        """Create an API token for ``user`` and return it."""
        output = self.cli("user", "token", "add", user, label)
        tokens = _TOKEN.findall(output)
        if not tokens:
            raise PortalError("CKAN: 'ckan user token add' printed no token", self.setup_log)
        return tokens[-1]

    def running(self) -> int | None:
        """Pid of this portal's CKAN web process, if it runs."""
        return running_pid(self.pid_file, str(self.ini), " run")

    def start(self, port: int) -> int:
        """Start the web server in the background (single process, threaded, no reloader)."""
        argv = [
            self.executable,
            "-c",
            str(self.ini),
            "run",
            "-H",
            "127.0.0.1",
            "-p",
            str(port),
            "--disable-reloader",
            "--threaded",
        ]
        return spawn(argv, self.run_log, self.pid_file, env=_clean_env(), cwd=self.folder)

    def stop(self) -> None:
        """Stop the web server if it runs."""
        pid = self.running()
        if pid is not None:
            stop(pid)
        self.pid_file.unlink(missing_ok=True)
