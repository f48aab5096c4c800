"""CKAN itself: its own virtual environment, its configuration, its command line and its web server.

CKAN 2.11 installs from PyPI only as ``ckan[requirements]==2.11.6`` (plain ``ckan`` brings none of
its dependencies) and must not share an environment with inventur (its pins would clash), so it
gets a virtual environment of its own, by default in ``~/.cache/inventur/ckan-2.11.6``, shared by
all portals of the user. Setup uses CKAN's own commands (``ckan generate config``, ``ckan
config-tool``, ``ckan db init``, ``ckan user add``, ``ckan user token add``), so the portal is set
up exactly as CKAN's documentation describes.

The web server is a WSGI server with several worker processes, as CKAN's deployment documentation
describes for production (a ``wsgi.py`` next to ``ckan.ini`` that builds the application with
``ckan.config.middleware.make_app``): gunicorn, pinned and installed into CKAN's environment. One
process (``ckan run``, Werkzeug's development server) would let Python's GIL hold CKAN to one core.
The worker count is ``INVENTUR_CKAN_WORKERS``, by default one per core plus one. Workers are bound
to their master: when it dies, even by SIGKILL, they die with it (``PR_SET_PDEATHSIG``), so no
orphan keeps serving on the portal's port.
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
from portal.processes import children, cmdline, file_lock, find_processes, running_pid, spawn, stop, tail

CKAN_VERSION = "2.11.6"
CKAN_REQUIREMENT = f"ckan[requirements]=={CKAN_VERSION}"
SERVER_DISTRIBUTION, SERVER_VERSION = "gunicorn", "23.0.0"
SERVER_REQUIREMENT = f"{SERVER_DISTRIBUTION}=={SERVER_VERSION}"
WORKERS_ENV = "INVENTUR_CKAN_WORKERS"
MAX_WORKERS = 16  # each worker holds database connections; the private PostgreSQL allows 50
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


def default_workers() -> int:
    """CKAN's worker processes: ``INVENTUR_CKAN_WORKERS`` if set, else one per core plus one.

    A worker spends part of each request waiting for PostgreSQL and the search index, so one more
    worker than cores keeps every core busy (measured on 2 cores: 3 workers, see the README).
    """
    given = os.environ.get(WORKERS_ENV, "").strip()
    if given:
        try:
            workers = int(given)
        except ValueError:
            raise PortalError(f"{WORKERS_ENV} must be a whole number of processes, not {given!r}") from None
        if not 1 <= workers <= MAX_WORKERS:
            raise PortalError(f"{WORKERS_ENV} must be between 1 and {MAX_WORKERS}, not {workers}")
        return workers
    return min((os.cpu_count() or 1) + 1, MAX_WORKERS)


def _ckan_installed(venv: Path) -> bool:
    marker = venv / _MARKER
    return (
        (venv / "bin" / "ckan").is_file() and marker.is_file() and marker.read_text().strip() == CKAN_VERSION
    )


def _server_installed(venv: Path) -> bool:
    return (venv / "bin" / SERVER_DISTRIBUTION).is_file() and any(
        venv.glob(f"lib/python3*/site-packages/{SERVER_DISTRIBUTION}-{SERVER_VERSION}.dist-info")
    )


def venv_ready(venv: Path) -> bool:
    """True if ``venv`` holds a completed installation of this CKAN version and of its web server."""
    return _ckan_installed(venv) and _server_installed(venv)


def ensure_venv(venv: Path, log_path: Path, progress: Callable[[str], None]) -> None:
    """Install CKAN and its web server into ``venv`` unless they are there (uv if available, else venv + pip).

    An environment of an earlier inventur (CKAN without gunicorn) only gets the web server added.
    """
    if venv_ready(venv):
        return
    with file_lock(venv.parent / f"{venv.name}.lock", timeout=1800, what=f"CKAN environment {venv}"):
        if venv_ready(venv):
            return
        uv = shutil.which("uv")
        python = str(venv / "bin" / "python")
        log_path.parent.mkdir(parents=True, exist_ok=True)
        if _ckan_installed(venv):
            progress(f"CKAN: adding the web server {SERVER_REQUIREMENT} to {venv}")
            install = (
                [uv, "pip", "install", "--python", python, SERVER_REQUIREMENT]
                if uv
                else [python, "-m", "pip", "install", "--disable-pip-version-check", SERVER_REQUIREMENT]
            )
            _run_install([install], log_path)
            return
        missing = [tool for tool in ("pg_config", "gcc") if shutil.which(tool) is None]
        if missing:
            packages = ["libpq-dev" if tool == "pg_config" else tool for tool in missing]
            raise MissingSystemPackagesError(packages, missing)
        if venv.exists():
            shutil.rmtree(venv)  # an interrupted installation: start over
        progress(f"CKAN: installing {CKAN_REQUIREMENT} into {venv} (first run only, about a minute)")
        if uv:
            steps = [
                [uv, "venv", "--quiet", "--python", sys.executable, str(venv)],
                [uv, "pip", "install", "--python", python, CKAN_REQUIREMENT, SERVER_REQUIREMENT],
            ]
        else:
            steps = [
                [sys.executable, "-m", "venv", str(venv)],
                [python, "-m", "pip", "install", "--disable-pip-version-check", CKAN_REQUIREMENT,
                 SERVER_REQUIREMENT],
            ]
        _run_install(steps, log_path)
        (venv / _MARKER).write_text(CKAN_VERSION + "\n")


def _run_install(steps: list[list[str]], log_path: Path) -> None:
    """Run installation commands one after the other, output appended to ``log_path``."""
    with log_path.open("a") as log:
        for argv in steps:
            log.write(f"$ {' '.join(argv)}\n")
            log.flush()
            try:
                result = subprocess.run(
                    argv, stdout=log, stderr=subprocess.STDOUT, timeout=1800, env=_clean_env(), check=False
                )
            except (OSError, subprocess.SubprocessError) as exc:
                raise PortalError(f"CKAN: installation failed: {exc}", log_path) from exc
            if result.returncode != 0:
                raise PortalError(
                    f"CKAN: installation failed (exit {result.returncode}):\n{tail(log_path)}", log_path
                )


def solr_schema(venv: Path) -> Path:
    """CKAN's ``schema.xml`` inside its environment (the schema of the portal's Solr core)."""
    for candidate in sorted(venv.glob("lib/python3*/site-packages/ckan/config/solr/schema.xml")):
        return candidate
    raise PortalError(f"CKAN's Solr schema (ckan/config/solr/schema.xml) is missing in {venv}")


# The WSGI entry point, as in CKAN's deployment documentation: the application built by make_app from the
# ckan.ini next to this file. Loggers that exist already (gunicorn's) stay enabled.
_WSGI = """\
\"\"\"CKAN as a WSGI application for gunicorn, configured by the ckan.ini next to this file.

Written by inventur (portal/ckan_site.py) for the local development portal; changes are overwritten.
\"\"\"

import os
from logging.config import fileConfig

from ckan.cli import CKANConfigLoader
from ckan.config.middleware import make_app

CONFIG_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ckan.ini")
fileConfig(CONFIG_FILE, disable_existing_loggers=False)
application = make_app(CKANConfigLoader(CONFIG_FILE).get_config())
"""

# gunicorn's settings (bind address and worker count come on the command line).
_GUNICORN_CONF = """\
\"\"\"gunicorn settings of the local development portal's CKAN.

Written by inventur (portal/ckan_site.py); changes are overwritten.
\"\"\"

import ctypes
import os
import signal

wsgi_app = "wsgi:application"
worker_class = "sync"
timeout = 120  # a worker silent for longer is restarted (CKAN's own Solr timeout is 30 s)
graceful_timeout = 10  # on SIGTERM, requests under way may finish for this long
errorlog = "-"  # gunicorn's messages go to standard error, which is appended to logs/ckan.log
loglevel = "info"
accesslog = None  # CKAN logs every request itself

_PR_SET_PDEATHSIG = 1


def post_fork(server, worker):
    \"\"\"A worker dies with its master: no orphan keeps serving if the master is killed.\"\"\"
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != server.pid:  # the master died before prctl took effect
        os._exit(1)
"""


def _write_if_changed(path: Path, text: str) -> None:
    if not path.is_file() or path.read_text() != text:
        path.write_text(text)


class CkanSite:
    """One portal's CKAN: configuration file, CLI commands and the web server (a master and its workers)."""

    def __init__(self, venv: Path, base_dir: Path, setup_log: Path, run_log: Path) -> None:
        self.venv = venv
        self.folder = base_dir / "ckan"
        self.ini = self.folder / "ckan.ini"
        self.wsgi = self.folder / "wsgi.py"
        self.server_conf = self.folder / "gunicorn.conf.py"
        self.pid_file = base_dir / "run" / "ckan.pid"
        self.setup_log = setup_log
        self.run_log = run_log
        self.js_translations = base_dir / "ckan" / "storage" / "i18n" / "js"

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

    def build_js_translations(self) -> None:
        """Build the JavaScript translations into the storage folder once (``ckan translation js``), as a
        deployment does: unlike ``ckan run``, a WSGI server does not build them when it starts."""
        if self.js_translations.is_dir() and any(self.js_translations.glob("*.js")):
            return
        self.cli("translation", "js")

    def _markers(self) -> tuple[str, ...]:
        return (SERVER_DISTRIBUTION, str(self.server_conf))

    def running(self) -> int | None:
        """Pid of this portal's CKAN web server (gunicorn's master), if it runs.

        A portal started by an earlier inventur runs ``ckan run`` (one process); it is found as well, so
        that ``up`` can replace it and ``down`` can stop it.
        """
        return running_pid(self.pid_file, *self._markers()) or running_pid(self.pid_file, str(self.ini), " run")

    def legacy(self, pid: int) -> bool:
        """Whether ``pid`` is the single-process ``ckan run`` of an earlier inventur (to be replaced)."""
        line = cmdline(pid)
        return not all(marker in line for marker in self._markers())

    def workers(self, pid: int | None = None) -> list[int]:
        """Pids of the worker processes of the running web server (none for ``ckan run``)."""
        pid = pid if pid is not None else self.running()
        if pid is None:
            return []
        return [child for child in children(pid) if all(m in cmdline(child) for m in self._markers())]

    def start(self, port: int, workers: int) -> int:
        """Start the web server in the background: gunicorn with ``workers`` worker processes on
        127.0.0.1:``port``; returns the master's pid (written to ``run/ckan.pid``)."""
        if not 1 <= workers <= MAX_WORKERS:
            raise PortalError(f"CKAN: the number of worker processes must be between 1 and {MAX_WORKERS}")
        self.folder.mkdir(parents=True, exist_ok=True)
        _write_if_changed(self.wsgi, _WSGI)
        _write_if_changed(self.server_conf, _GUNICORN_CONF)
        argv = [
            str(self.venv / "bin" / SERVER_DISTRIBUTION),
            "--config",
            str(self.server_conf),
            "--chdir",
            str(self.folder),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
        ]
        return spawn(argv, self.run_log, self.pid_file, env=_clean_env(), cwd=self.folder)

    def stop(self) -> None:
        """Stop the web server if it runs: the master (which stops its workers), then any process of it left
        (a worker whose master was killed is killed with it; this is the safety net)."""
        pid = self.running()
        if pid is not None:
            stop(pid)
        for leftover in find_processes(*self._markers()):
            stop(leftover, timeout=5)
        self.pid_file.unlink(missing_ok=True)
