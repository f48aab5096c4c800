"""The local CKAN development portal: bring it up, take it down, ask how it is.

One base folder holds everything of a portal: a private PostgreSQL cluster, a private Redis, the
Solr stand-in's index, CKAN's configuration and files, logs, pid files, the chosen ports
(``portal.json``) and the sysadmin's API token (``token``, mode 0600). Nothing outside it is
touched except CKAN's shared virtual environment (``~/.cache/inventur/ckan-2.11.6`` by default).

``up`` is idempotent: on a running portal it only checks the token and the groups and returns;
on a stopped one it restarts the processes with the data kept (a few seconds); on an empty folder
it builds the portal (about 20 s with CKAN's environment already installed).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from portal.api import ActionClient, ActionError, is_up
from portal.ckan_site import MAX_WORKERS, CkanSite, default_venv, default_workers, ensure_venv, solr_schema
from portal.errors import MissingSystemPackagesError, PortalError
from portal.extensions import ensure_extensions, extensions, installed_version, plugins, profiles
from portal.layout import Layout, load_state, save_state, secret, write_private
from portal.postgres import find_bindir
from portal.processes import (
    file_lock,
    free_port,
    is_alive,
    port_is_free,
    running_pid,
    spawn,
    stop,
    wait_until,
)
from portal.redis_server import find_redis_server, ping

SYSADMIN = "inventur-admin"
SYSADMIN_EMAIL = "inventur-admin@example.org"
SITE_TITLE = "inventur local development portal"
COMPONENTS = ("postgres", "redis", "solr", "ckan")
_LOCK_TIMEOUT = 1800.0


@dataclass(frozen=True)
class PortalInfo:
    """How to reach a running portal: its URL, the sysadmin's API token and name, its folder."""

    url: str
    token: str = field(repr=False)
    sysadmin: str
    base_dir: Path


def _check_system() -> None:
    """Fail early, naming every missing Debian package at once."""
    packages: list[str] = []
    missing: list[str] = []
    for finder in (find_bindir, find_redis_server):
        try:
            finder()
        except MissingSystemPackagesError as exc:
            packages.extend(exc.packages)
            missing.extend(exc.missing)
    if packages:
        raise MissingSystemPackagesError(packages, missing)


def _validate(licenses: Sequence[Mapping[str, Any]], groups: Sequence[Mapping[str, str]]) -> None:
    for licence in licenses:
        if not isinstance(licence, Mapping) or not licence.get("id") or not licence.get("title"):
            raise ValueError(f"every licence needs an 'id' and a 'title': {licence!r}")
    for group in groups:
        if not isinstance(group, Mapping) or not group.get("name"):
            raise ValueError(f"every group needs a 'name': {group!r}")


def _solr_running(layout: Layout) -> int | None:
    return running_pid(layout.solr_pid, "portal.solr", str(layout.solr_data))


def _solr_ping(port: int) -> bool:
    try:
        response = requests.get(f"http://127.0.0.1:{port}/solr/ckan/admin/ping?wt=json", timeout=2)
        return response.status_code == 200
    except requests.RequestException:
        return False


def _choose_ports(layout: Layout, state: dict[str, Any], ckan_port: int) -> dict[str, int]:
    """Keep the remembered ports where possible; pick free ones for new or taken ports."""
    remembered: dict[str, int] = dict(state.get("ports", {}))
    running = {
        "postgres": (layout.postgres().running() or (None, None))[1],
        "redis": remembered.get("redis") if layout.redis().running(remembered.get("redis")) else None,
        "solr": remembered.get("solr") if _solr_running(layout) else None,
    }
    ports: dict[str, int] = {}
    for name in ("postgres", "redis", "solr"):
        port = running[name] or remembered.get(name)
        taken = [ckan_port, *ports.values()]
        if port is None or port in taken or (running[name] is None and not port_is_free(port)):
            port = free_port(avoid=taken)
        ports[name] = int(port)
    return ports


# -- components -------------------------------------------------------------------------------------


def _up_postgres(layout: Layout, port: int, progress: Callable[[str], None]) -> str:
    cluster = layout.postgres()
    password = secret(layout.secrets / "postgres-password")
    if not cluster.initialised():
        progress(f"PostgreSQL: creating a private cluster in {cluster.data}")
        cluster.initialise(password)
    current = cluster.running()
    if current is not None and current[1] != port:
        cluster.stop()
        current = None
    if current is None:
        progress(f"PostgreSQL: starting on 127.0.0.1:{port}")
        cluster.configure(port)
        cluster.start(port)
    cluster.ensure_database(port, password)
    return password


def _up_redis(layout: Layout, port: int, progress: Callable[[str], None]) -> None:
    redis = layout.redis()
    if redis.running(port) is not None and ping(port):
        return
    redis.stop()
    progress(f"Redis: starting on 127.0.0.1:{port}")
    redis.start(port)


def _up_solr(layout: Layout, port: int, schema: Path, progress: Callable[[str], None]) -> None:
    pid = _solr_running(layout)
    if pid is not None and _solr_ping(port):
        return
    if pid is not None:
        stop(pid)
    progress(f"Solr stand-in: starting on 127.0.0.1:{port} (a development stand-in, not Apache Solr)")
    layout.solr_data.mkdir(parents=True, exist_ok=True)
    package_root = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH", "")) if p)
    argv = [
        sys.executable,
        "-m",
        "portal.solr",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--data",
        str(layout.solr_data),
        "--schema",
        str(schema),
    ]
    log = layout.log("solr")
    new_pid = spawn(argv, log, layout.solr_pid, env=env, cwd=layout.base)
    wait_until(
        lambda: _solr_ping(port),
        timeout=30,
        what="the Solr stand-in",
        log_path=log,
        alive=lambda: is_alive(new_pid),
    )


def _write_licenses(layout: Layout, licenses: Sequence[Mapping[str, Any]]) -> str:
    text = json.dumps([dict(licence) for licence in licenses], ensure_ascii=False, indent=2) + "\n"
    layout.licenses.parent.mkdir(parents=True, exist_ok=True)
    if not layout.licenses.is_file() or layout.licenses.read_text() != text:
        layout.licenses.write_text(text)
    return text


def _configure_ckan(
    layout: Layout,
    site: CkanSite,
    state: dict[str, Any],
    settings: dict[str, str],
    licences_text: str,
    progress: Callable[[str], None],
) -> bool:
    """Generate and update ``ckan.ini``; True if anything changed (CKAN must then restart)."""
    digest = hashlib.sha256((json.dumps(settings, sort_keys=True) + licences_text).encode()).hexdigest()
    if site.ini.is_file() and state.get("config") == digest:
        return False
    if not site.ini.is_file():
        progress("CKAN: generating ckan.ini")
        site.generate_config()
    progress("CKAN: configuring ckan.ini")
    site.configure(settings)
    state["config"] = digest
    save_state(layout, state)
    return True


def _start_ckan_process(
    layout: Layout,
    site: CkanSite,
    state: dict[str, Any],
    port: int,
    workers: int,
    restart: bool,
    progress: Callable[[str], None],
) -> int:
    """Start (or restart) CKAN's web server without waiting for it; returns the pid of its master."""
    pid = site.running()
    if pid is not None and (
        restart or state.get("ckan_port") != port or state.get("ckan_workers") != workers or site.legacy(pid)
    ):
        progress("CKAN: restarting with the new settings")
        site.stop()
        pid = None
    if pid is None:
        site.stop()  # workers of a master that was killed, if any were left
        if not port_is_free(port):
            raise PortalError(f"port {port} on 127.0.0.1 is in use by another program; choose another port")
        progress(f"CKAN: starting on http://127.0.0.1:{port} ({workers} worker processes)")
        pid = site.start(port, workers)
        state["ckan_port"] = port
        state["ckan_workers"] = workers
        save_state(layout, state)
        site.build_js_translations()  # while the workers load CKAN
    return pid


def _wait_for_ckan(site: CkanSite, url: str, pid: int) -> None:
    wait_until(
        lambda: is_up(url),
        timeout=180,
        what=f"CKAN on {url}",
        log_path=site.run_log,
        alive=lambda: is_alive(pid),
        interval=0.5,
    )


def _token_is_valid(url: str, token: str) -> bool:
    client = ActionClient(url, token, timeout=30, retries=2)
    try:
        client.call("api_token_list", {"user_id": SYSADMIN})
        return True
    except ActionError as exc:
        if exc.status in (401, 403, 404):
            return False
        raise PortalError(f"CKAN at {url} did not answer a token check: {exc}") from exc
    finally:
        client.close()


def _ensure_token(layout: Layout, site: CkanSite, url: str, pid: int, progress: Callable[[str], None]) -> str:
    """The sysadmin's API token: the stored one if CKAN still accepts it, else a new one.

    A missing token is created with the CLI while the web process is still starting (it needs only
    the database), which saves a few seconds on the first start.
    """
    token = layout.token.read_text().strip() if layout.token.is_file() else ""
    if not token:
        progress(f"CKAN: creating an API token for {SYSADMIN}")
        token = site.create_token(SYSADMIN, "inventur")
        write_private(layout.token, token + "\n")
        _wait_for_ckan(site, url, pid)
        return token
    _wait_for_ckan(site, url, pid)
    if _token_is_valid(url, token):
        return token
    progress(f"CKAN: the stored API token was rejected; creating a new one for {SYSADMIN}")
    token = site.create_token(SYSADMIN, "inventur")
    write_private(layout.token, token + "\n")
    return token


def _ensure_groups(
    url: str, token: str, groups: Sequence[Mapping[str, str]], progress: Callable[[str], None]
) -> None:
    client = ActionClient(url, token, timeout=30, retries=3)
    try:
        for group in groups:
            wanted = {"title": group["name"], "description": "", **{k: str(v) for k, v in group.items()}}
            try:
                existing = client.call("group_show", {"id": group["name"], "include_datasets": False})
            except ActionError as exc:
                if exc.status != 404:
                    raise
                progress(f"CKAN: creating group {group['name']}")
                client.call("group_create", wanted)
                continue
            changes = {k: v for k, v in wanted.items() if (existing.get(k) or "") != v}
            if existing.get("state") != "active":
                changes["state"] = "active"
            if changes:
                progress(f"CKAN: updating group {group['name']}")
                client.call("group_patch", {"id": existing["id"], **changes})
    except ActionError as exc:
        raise PortalError(f"CKAN: setting up the groups failed: {exc}") from exc
    finally:
        client.close()


def _dcat_settings(layout: Layout, dcatde: bool) -> dict[str, str]:
    """CKAN's settings for the DCAT endpoints and German visitors: plugins, RDF profiles, locale, the
    catalog node (title, description, publisher, language), and the format labels file."""
    from catalog.ckan_mapping import format_labels, portal_settings

    labels = layout.base / "ckan" / "format-labels.json"
    text = json.dumps(format_labels(), ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    labels.parent.mkdir(parents=True, exist_ok=True)
    if not labels.is_file() or labels.read_text(encoding="utf-8") != text:
        labels.write_text(text, encoding="utf-8")
    return {
        "ckan.plugins": " ".join(plugins(dcatde)),
        "ckanext.dcat.rdf.profiles": " ".join(profiles(dcatde)),
        "ckanext.inventur.format_labels": str(labels),
        **portal_settings(),
    }


# -- public API -------------------------------------------------------------------------------------


def up(
    base_dir: Path,
    *,
    licenses: Sequence[Mapping[str, Any]],
    groups: Sequence[Mapping[str, str]],
    port: int = 5050,
    progress: Callable[[str], None] = lambda message: None,
    venv: Path | None = None,
    workers: int | None = None,
    dcatde: str | None = None,
) -> PortalInfo:
    """Bring the portal in ``base_dir`` up (building it on first use) and return how to reach it.

    ``licenses`` become CKAN's licence list (``licenses_group_url``), ``groups`` are created or
    updated through the action API, ``port`` is CKAN's port on 127.0.0.1 (the other services get
    free private ports), ``venv`` is CKAN's environment (default ``~/.cache/inventur/ckan-2.11.6``),
    ``workers`` the number of CKAN's web worker processes (default ``INVENTUR_CKAN_WORKERS``, else
    one per core plus one); a running CKAN with another number is restarted. ``dcatde`` is where
    GovData's ckanext-dcatde comes from (a wheel file or a pip requirement; see :mod:`portal.extensions`):
    None keeps the portal's earlier choice, an empty text runs ckanext-dcat's DCAT-AP 2 profile instead.
    Raises MissingSystemPackagesError naming the Debian packages to install, PortalError otherwise.
    """
    _validate(licenses, groups)
    workers = default_workers() if workers is None else workers
    if not 1 <= workers <= MAX_WORKERS:
        raise ValueError(f"workers must be between 1 and {MAX_WORKERS}, not {workers}")
    base_dir = Path(base_dir).expanduser().resolve()
    _check_system()
    base_dir.mkdir(parents=True, exist_ok=True)
    layout = Layout(base_dir)
    venv = Path(venv).expanduser().resolve() if venv else default_venv()
    with file_lock(layout.lock, _LOCK_TIMEOUT, f"the portal in {base_dir}"):
        state = load_state(layout)
        layout.logs.mkdir(parents=True, exist_ok=True)
        ensure_venv(venv, layout.log("ckan-install"), progress)
        state["venv"] = str(venv)
        source = (state.get("dcatde") or None) if dcatde is None else (dcatde.strip() or None)
        ensure_extensions(venv, extensions(source), layout.log("ckan-install"), progress)
        state["dcatde"] = source
        ports = _choose_ports(layout, state, port)
        state["ports"] = ports
        save_state(layout, state)
        password = _up_postgres(layout, ports["postgres"], progress)
        _up_redis(layout, ports["redis"], progress)
        _up_solr(layout, ports["solr"], solr_schema(venv), progress)
        site = layout.ckan(venv)
        layout.storage.mkdir(parents=True, exist_ok=True)
        settings = {
            "sqlalchemy.url": f"postgresql://ckan:{password}@127.0.0.1:{ports['postgres']}/ckan",
            "ckan.site_url": f"http://127.0.0.1:{port}",
            "ckan.site_title": SITE_TITLE,
            "ckan.redis.url": f"redis://127.0.0.1:{ports['redis']}/0",
            "solr_url": f"http://127.0.0.1:{ports['solr']}/solr/ckan",
            "solr_timeout": "30",
            "ckan.storage_path": str(layout.storage),
            "licenses_group_url": f"file://{layout.licenses}",
            **_dcat_settings(layout, source is not None),
        }
        licences_text = _write_licenses(layout, licenses)
        changed = _configure_ckan(layout, site, state, settings, licences_text, progress)
        if not state.get("database"):
            progress("CKAN: initialising the database")
            site.init_db()
            state["database"] = True
            save_state(layout, state)
        if not state.get("sysadmin"):
            progress(f"CKAN: creating sysadmin {SYSADMIN}")
            site.add_sysadmin(SYSADMIN, SYSADMIN_EMAIL, secret(layout.secrets / "sysadmin-password"))
            state["sysadmin"] = True
            save_state(layout, state)
        pid = _start_ckan_process(layout, site, state, port, workers, changed, progress)
        url = f"http://127.0.0.1:{port}"
        token = _ensure_token(layout, site, url, pid, progress)
        _ensure_groups(url, token, groups, progress)
    return PortalInfo(url=url, token=token, sysadmin=SYSADMIN, base_dir=base_dir)


def down(base_dir: Path) -> None:
    """Stop every process of the portal in ``base_dir``; the data stays for a fast restart."""
    base_dir = Path(base_dir).expanduser().resolve()
    if not base_dir.is_dir():
        return
    layout = Layout(base_dir)
    with file_lock(layout.lock, _LOCK_TIMEOUT, f"the portal in {base_dir}"):
        state = load_state(layout)
        layout.ckan(Path(state.get("venv") or default_venv())).stop()
        pid = _solr_running(layout)
        if pid is not None:
            stop(pid)
        layout.solr_pid.unlink(missing_ok=True)
        layout.redis().stop()
        cluster = layout.postgres()
        if cluster.running() is not None:
            cluster.stop()


def status(base_dir: Path) -> dict[str, Any]:
    """Per component (``postgres``, ``redis``, ``solr``, ``ckan``): status, pid and port; plus ``url``.

    Each component maps to ``{"status": "running" | "stopped", "pid": int | None, "port": int | None}``;
    ``ckan``'s pid is its web server's master, ``ckan["workers"]`` lists the pids of its worker processes.
    """
    base_dir = Path(base_dir).expanduser().resolve()
    layout = Layout(base_dir)
    state = load_state(layout)
    ports: dict[str, int] = state.get("ports", {})
    ckan_port = state.get("ckan_port")
    postgres = layout.postgres().running()
    site = layout.ckan(Path(state.get("venv") or default_venv()))
    pids: dict[str, int | None] = {
        "postgres": postgres[0] if postgres else None,
        "redis": layout.redis().running(ports.get("redis")),
        "solr": _solr_running(layout),
        "ckan": site.running(),
    }
    result: dict[str, Any] = {
        "url": f"http://127.0.0.1:{ckan_port}" if ckan_port else None,
        "base_dir": str(base_dir),
    }
    for name in COMPONENTS:
        port = ckan_port if name == "ckan" else ports.get(name)
        if name == "postgres" and postgres:
            port = postgres[1]
        pid = pids[name]
        result[name] = {"status": "running" if pid else "stopped", "pid": pid, "port": port}
    result["ckan"]["workers"] = site.workers(pids["ckan"]) if pids["ckan"] else []
    result["dcat"] = dcat_status(site.venv, state)
    return result


def dcat_status(venv: Path, state: Mapping[str, Any]) -> dict[str, Any]:
    """Which DCAT profile the portal serves (``dcatap_de`` with ckanext-dcatde, else ckanext-dcat's
    ``euro_dcat_ap_2``), the installed versions of both extensions, and where ckanext-dcatde came from."""
    dcatde = bool(state.get("dcatde"))
    return {
        "profile": profiles(dcatde)[0],
        "profiles": profiles(dcatde),
        "ckanext-dcat": installed_version(venv, "ckanext-dcat"),
        "ckanext-dcatde": installed_version(venv, "ckanext-dcatde") if dcatde else None,
        "dcatde_source": state.get("dcatde"),
    }
