"""Shared fixtures: real stores on SQLite (a temporary file) and PostgreSQL (a private server), the
official DCAT-AP.de shapes (when given), wired services on a fresh store, and the command line with its
own environment: ``cli_env`` for a real process, ``cli_runner`` (click's CliRunner) in this process.
Factories (sample entries, review helpers) are in ``tests/factories.py``.

A missing PostgreSQL skips its tests on a developer machine; with ``INVENTUR_REQUIRE_POSTGRES=1`` (set
by ``.ci/run``) it fails them instead, so CI cannot pass without them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from catalog.publish.mapping import ckan_licences, theme_groups
from catalog.store import Store
from flows.services import Services
from flows.settings import Settings
from portal.errors import PortalError
from portal.local import PortalInfo, down, status, up
from portal.processes import free_port, port_is_free
from tests.pgserver import postgres_bin, postgres_server

ROOT = Path(__file__).resolve().parents[1]


def _required(name: str) -> bool:
    return os.environ.get(name, "") == "1"


SHAPES_PARTS = ("shapes-2.0", "shapes-3.0", "vocab", "ontologies")


def shapes_material_or_skip() -> Path:
    """The official DCAT-AP.de validation material (GovData's, not part of the project): the folder in
    ``INVENTUR_TEST_SHAPES_DIR``, else what `inventur shapes fetch` put into the checkout's data folder.
    Without it the test skips saying how to get it, or fails when ``INVENTUR_REQUIRE_SHAPES=1`` (CI)."""
    given = os.environ.get("INVENTUR_TEST_SHAPES_DIR", "").strip()
    folder = Path(given).expanduser() if given else ROOT / "inventur-data" / "dcat-ap-de"
    if all((folder / part).is_dir() for part in SHAPES_PARTS):
        return folder
    message = (
        f"the official DCAT-AP.de shapes are not in {folder}: run `.venv/bin/inventur shapes fetch` in the "
        "checkout (it downloads them into inventur-data/dcat-ap-de), or set INVENTUR_TEST_SHAPES_DIR to a folder "
        "with shapes-2.0, shapes-3.0, vocab and ontologies"
    )
    if _required("INVENTUR_REQUIRE_SHAPES"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def dcat_material() -> Path:
    """The official DCAT-AP.de shapes, code lists and ontologies (see :func:`shapes_material_or_skip`)."""
    return shapes_material_or_skip()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A URL of an empty PostgreSQL database on a private server (or ``INVENTUR_TEST_POSTGRES_URL``)."""
    given = os.environ.get("INVENTUR_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    if postgres_bin() is None:
        message = "PostgreSQL is not installed (apt-get install postgresql)"
        if _required("INVENTUR_REQUIRE_POSTGRES"):
            pytest.fail(message)
        pytest.skip(message)
    # the server runs as the postgres user when the tests run as root: its folder must be reachable
    base = Path(tempfile.mkdtemp(prefix="inventur-test-pg-"))
    base.chmod(0o711)
    try:
        with postgres_server(base / "pg") as url:
            yield url
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _reset_postgres(url: str) -> None:
    store = Store.open(url, migrate_schema=False)
    with store.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    store.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database URL, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'inventur.db'}"
    url: str = request.getfixturevalue("postgres_url")
    _reset_postgres(url)
    return url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = Store.open(store_url)
    yield opened
    opened.close()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path / 'inventur.db'}")
    yield opened
    opened.close()


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """Environment for running ``inventur`` against a fresh store and data folder in ``tmp_path``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INVENTUR_")}
    env.update(
        {
            "INVENTUR_DATABASE_URL": f"sqlite:///{tmp_path / 'inventur.db'}",
            "INVENTUR_DATA_DIR": str(tmp_path / "data"),
            "INVENTUR_PORTAL_DIR": str(tmp_path / "portal"),  # never the user's own portal
        }
    )
    return env


@pytest.fixture
def cli_runner(cli_env: dict[str, str]) -> Callable[..., Any]:
    """``inventur ARGS`` in this process with click's CliRunner (cheaper than a process), by default in
    ``cli_env`` and for a terminal of ``columns`` (200) characters: ``cli_runner("review", "list")``."""
    from click.testing import CliRunner

    from flows.cli.main import cli

    runner = CliRunner()

    def invoke(*args: str, env: Mapping[str, str] | None = None, columns: int = 200) -> Any:
        return runner.invoke(cli, list(args), env={**(cli_env if env is None else env), "COLUMNS": str(columns)})

    return invoke


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    """Services on a fresh SQLite store and data folder (no environment read)."""
    wired = Services(Settings(database_url=f"sqlite:///{tmp_path / 'inventur.db'}", data_dir=tmp_path / "data",
                              sources_file=None))
    yield wired
    wired.close()


def tool_or_skip(names: tuple[str, ...], package: str, required_by: str) -> str:
    """A program's path; without it the test skips, or fails when the variable ``required_by`` is 1 (CI)."""
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    message = f"{names[0]} is not installed (Debian package {package})"
    if _required(required_by):
        pytest.fail(message)
    pytest.skip(message)


def libreoffice_or_skip() -> str:
    """LibreOffice's binary (INVENTUR_REQUIRE_LIBREOFFICE=1 in CI)."""
    return tool_or_skip(("soffice", "libreoffice"), "libreoffice-calc-nogui", "INVENTUR_REQUIRE_LIBREOFFICE")


def chromium_or_skip() -> str:
    """Chromium's binary (INVENTUR_REQUIRE_CHROMIUM=1 in CI)."""
    return tool_or_skip(("chromium", "chromium-browser"), "chromium", "INVENTUR_REQUIRE_CHROMIUM")


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One Prefect test harness (a temporary local API and database) for the whole test run."""
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield


# -- the real portal ------------------------------------------------------------------------------------


def _portal_base() -> tuple[Path, bool]:
    given = os.environ.get("INVENTUR_TEST_PORTAL_DIR")
    if given:
        return Path(given).expanduser().resolve(), False
    # PostgreSQL runs as 'postgres' when the tests run as root: its folder's parents must be reachable,
    # which pytest's private temporary folders are not.
    return Path(tempfile.mkdtemp(prefix="inventur-test-portal-")), True


@pytest.fixture(scope="session")
def portal() -> Iterator[PortalInfo]:
    """The local portal, up for the whole session and taken down afterwards."""
    base, temporary = _portal_base()
    current = status(base)["ckan"]
    # keep the port of a kept portal folder: a new port would mean reconfiguring CKAN
    remembered = current["port"]
    port = (
        remembered
        if remembered and (current["status"] == "running" or port_is_free(remembered))
        else free_port()
    )
    venv_env = os.environ.get("INVENTUR_CKAN_VENV")
    try:
        info = up(
            base, licenses=ckan_licences(), groups=theme_groups(), port=port, venv=Path(venv_env) if venv_env else None,
            dcatde=os.environ.get("INVENTUR_CKAN_DCATDE"),
        )
    except (PortalError, OSError) as exc:
        if temporary:
            with contextlib.suppress(PortalError, OSError):
                down(base)
            shutil.rmtree(base, ignore_errors=True)
        message = f"the local CKAN portal cannot be brought up: {exc}"
        if os.environ.get("INVENTUR_REQUIRE_PORTAL") == "1":
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield info
    finally:
        down(base)
        if temporary:
            shutil.rmtree(base, ignore_errors=True)


class CkanApi:
    """The portal's action API through ckanapi, as its sysadmin, with a timeout on every call."""

    timeout = 60

    def __init__(self, info: PortalInfo) -> None:
        from ckanapi import RemoteCKAN

        self.remote = RemoteCKAN(info.url, apikey=info.token, user_agent="inventur-tests/1")

    def __call__(self, action: str, **data: Any) -> Any:
        return self.remote.call_action(action, data, requests_kwargs={"timeout": self.timeout})


@pytest.fixture(scope="module")
def api(portal: PortalInfo) -> Iterator[CkanApi]:
    """A client of the session's local portal."""
    client = CkanApi(portal)
    yield client
    client.remote.close()
