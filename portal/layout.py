"""Where a local portal keeps things inside its base folder, and its small persistent state.

``portal.json`` remembers the chosen ports, CKAN's environment and which setup steps are done;
secrets (database and sysadmin passwords, the API token) are files readable by the owner only.

By default there is one portal per machine user, in a folder that does not depend on the current
folder (:func:`default_base_dir`), so that ``inventur portal status`` finds it from anywhere.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from portal.ckan_site import CkanSite
from portal.postgres import Postgres
from portal.redis_server import Redis
from portal.solr.server import Solr

STATE_VERSION = 1


def default_base_dir() -> Path:
    """The user's portal folder: ``/var/lib/inventur/portal`` for root, else
    ``$XDG_DATA_HOME/inventur/portal`` (``~/.local/share/inventur/portal``).

    Root's PostgreSQL runs as the ``postgres`` user, which cannot enter root's home folder; /var/lib is
    where a machine's services keep their state.
    """
    if os.geteuid() == 0:
        return Path("/var/lib/inventur/portal")
    data_home = os.environ.get("XDG_DATA_HOME", "").strip()
    base = Path(data_home) if data_home and Path(data_home).is_absolute() else Path.home() / ".local" / "share"
    return base / "inventur" / "portal"


class Layout:
    """Paths inside a portal's base folder."""

    def __init__(self, base_dir: Path) -> None:
        self.base = base_dir
        self.logs = base_dir / "logs"
        self.run = base_dir / "run"
        self.secrets = base_dir / "secrets"
        self.state = base_dir / "portal.json"
        self.token = base_dir / "token"
        self.lock = base_dir / ".lock"
        self.licenses = base_dir / "ckan" / "licenses.json"
        self.storage = base_dir / "ckan" / "storage"

    def log(self, name: str) -> Path:
        """The log file of a component."""
        return self.logs / f"{name}.log"

    def postgres(self) -> Postgres:
        """The portal's PostgreSQL cluster."""
        return Postgres(self.base, self.log("postgres"))

    def redis(self) -> Redis:
        """The portal's Redis."""
        return Redis(self.base, self.log("redis"))

    def solr(self) -> Solr:
        """The portal's Apache Solr."""
        return Solr(self.base, self.log("solr"))

    def ckan(self, venv: Path) -> CkanSite:
        """The portal's CKAN, run from the environment ``venv``."""
        return CkanSite(venv, self.base, self.log("ckan-setup"), self.log("ckan"))


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to a file only the owner can read (mode 0600 from the start)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
    path.chmod(0o600)


def secret(path: Path) -> str:
    """A random secret kept in ``path`` (created on first use)."""
    if path.is_file():
        return path.read_text().strip()
    value = secrets.token_urlsafe(24)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    write_private(path, value + "\n")
    return value


def load_state(layout: Layout) -> dict[str, Any]:
    """The remembered state (an empty one if there is none or it is unreadable)."""
    try:
        state = json.loads(layout.state.read_text())
    except (OSError, ValueError):
        return {"version": STATE_VERSION, "ports": {}}
    return state if isinstance(state, dict) else {"version": STATE_VERSION, "ports": {}}


def save_state(layout: Layout, state: dict[str, Any]) -> None:
    """Persist the state atomically (write, then rename)."""
    temporary = layout.state.with_suffix(".tmp")
    temporary.write_text(json.dumps(state, indent=2, sort_keys=True) + "\n")
    temporary.replace(layout.state)
