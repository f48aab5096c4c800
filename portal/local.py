"""The local CKAN development portal: bring it up, take it down, ask how it is.

One base folder holds everything of a portal: a private PostgreSQL cluster, a private Redis, Apache
Solr's home and index, CKAN's configuration and files, logs, pid files, the chosen ports
(``portal.json``) and the sysadmin's API token (``token``, mode 0600). Nothing outside it is
touched except the caches shared by the user's portals: CKAN's virtual environment
(``~/.cache/inventur/ckan-2.11.6``) and Solr's jars (``~/.cache/inventur/solr-9.10.1``).

``up`` is idempotent: on a running portal it only checks the token and the groups and returns;
on a stopped one it restarts the processes with the data kept (a few seconds); on an empty folder
it builds the portal (about 20 s with CKAN's environment already installed). Solr starts first and
warms up while PostgreSQL, Redis and CKAN's setup go on. CKAN's port is checked before anything
starts, and an ``up`` that fails stops again whatever it started: it never leaves half a portal
running.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from portal.api import ActionClient, ActionError, is_up
from portal.ckan_site import MAX_WORKERS, CkanSite, default_venv, default_workers, ensure_venv, solr_schema
from portal.errors import MissingSystemPackagesError, PortalError
from portal.extensions import ensure_extensions, extensions, installed_version, plugins, profiles
from portal.layout import Layout, load_state, save_state, secret, write_private
from portal.postgres import find_bindir
from portal.processes import (
    cmdline,
    file_lock,
    find_processes,
    free_port,
    is_alive,
    port_is_free,
    resident_mb,
    wait_until,
)
from portal.redis_server import find_redis_server, ping
from portal.solr import server as solr_server
from portal.solr.artifacts import SolrJars, default_cache, find_java
from portal.solr.configset import write_home

SYSADMIN = "inventur-admin"
SYSADMIN_EMAIL = "inventur-admin@example.org"
SITE_TITLE = "inventur local development portal"
COMPONENTS = ("postgres", "redis", "solr", "ckan")
DEFAULT_PORT = 5050
_LOCK_TIMEOUT = 1800.0
_BIND = re.compile(r"--bind 127\.0\.0\.1:(\d+)")


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
    for finder in (find_bindir, find_redis_server, find_java, solr_server.find_eatmydata):
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


class _Started:
    """The components an ``up`` started (or restarted): stopped again, newest first, if it fails."""

    def __init__(self) -> None:
        self.stoppers: list[tuple[str, Callable[[], None]]] = []

    def add(self, name: str, stopper: Callable[[], None]) -> None:
        self.stoppers.append((name, stopper))

    def roll_back(self) -> None:
        for _name, stopper in reversed(self.stoppers):
            with contextlib.suppress(PortalError, OSError):
                stopper()


@contextlib.contextmanager
def _stopped_on_failure() -> Iterator[_Started]:
    started = _Started()
    try:
        yield started
    except BaseException:
        started.roll_back()
        raise


def _portal_on_port(port: int) -> Path | None:
    """The folder of the local portal whose CKAN serves ``port``, if one of ours does."""
    for pid in find_processes("gunicorn", "gunicorn.conf.py", f"127.0.0.1:{port}"):
        line = cmdline(pid)
        match = _BIND.search(line)
        if match and int(match.group(1)) == port:
            for argument in line.split():
                if argument.endswith("/ckan/gunicorn.conf.py"):
                    return Path(argument).parent.parent
    return None


def _check_ckan_port(layout: Layout, site: CkanSite, state: dict[str, Any], port: int) -> None:
    """Fail before anything starts if CKAN's port is taken by anything but this portal's CKAN."""
    if site.running() is not None and state.get("ckan_port") == port:
        return
    if port_is_free(port):
        return
    other = _portal_on_port(port)
    if other is not None and other != layout.base:
        raise PortalError(
            f"port {port} on 127.0.0.1 is taken by the local portal in {other}; stop it first "
            f"(INVENTUR_PORTAL_DIR={other} inventur portal down) or choose another port (--port)"
        )
    raise PortalError(f"port {port} on 127.0.0.1 is in use by another program; choose another port (--port)")


def _choose_ports(layout: Layout, state: dict[str, Any], ckan_port: int) -> dict[str, int]:
    """Keep the remembered ports where possible; pick free ones for new or taken ports."""
    remembered: dict[str, int] = dict(state.get("ports", {}))
    running = {
        "postgres": (layout.postgres().running() or (None, None))[1],
        "redis": remembered.get("redis") if layout.redis().running(remembered.get("redis")) else None,
        "solr": remembered.get("solr") if layout.solr().running() else None,
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


def _up_postgres(layout: Layout, port: int, started: _Started, progress: Callable[[str], None]) -> str:
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
        started.add("postgres", cluster.stop)
        cluster.start(port)
    cluster.ensure_database(port, password)
    return password


def _up_redis(layout: Layout, port: int, started: _Started, progress: Callable[[str], None]) -> None:
    redis = layout.redis()
    if redis.running(port) is not None and ping(port):
        return
    redis.stop()
    progress(f"Redis: starting on 127.0.0.1:{port}")
    started.add("redis", redis.stop)
    redis.start(port)


def _start_solr(
    layout: Layout,
    state: dict[str, Any],
    port: int,
    jars: SolrJars,
    ckan_schema: Path,
    started: _Started,
    progress: Callable[[str], None],
) -> int | None:
    """Write Solr's home and start Solr unless it runs with this configuration; returns the pid of a Solr
    that was started (to wait for with :func:`_solr_ready`), None if it was running already."""
    solr = layout.solr()
    digest = write_home(solr.home, ckan_schema)
    pid = solr.running()
    if pid is not None and state.get("solr_conf") == digest and solr_server.ping(port):
        return None
    if pid is not None:
        progress("Solr: restarting with the new configuration")
    solr.stop()  # also what an earlier inventur left on the pid file
    if state.get("solr_conf") != digest:
        state["solr_conf"] = digest
        state["solr_reindex"] = True  # CKAN re-indexes its datasets once Solr and CKAN's database are up
        save_state(layout, state)
    progress(f"Solr: starting Apache Solr on 127.0.0.1:{port}")
    started.add("solr", solr.stop)
    return solr.start(port, find_java(), jars)


def _solr_ready(layout: Layout, port: int, pid: int | None) -> None:
    if pid is not None:
        layout.solr().wait(port, pid)


def _reindex(layout: Layout, site: CkanSite, state: dict[str, Any], progress: Callable[[str], None]) -> None:
    """Rebuild CKAN's search index from its database after Solr's configuration changed (or a new index)."""
    if not state.get("solr_reindex"):
        return
    progress("CKAN: indexing its datasets in Solr (the search configuration is new)")
    site.cli("search-index", "rebuild", timeout=3600)
    state["solr_reindex"] = False
    save_state(layout, state)


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
    started: _Started,
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
        started.add("ckan", site.stop)
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
    from catalog.publish.mapping import format_labels, portal_settings

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
    port: int | None = None,
    progress: Callable[[str], None] = lambda message: None,
    venv: Path | None = None,
    workers: int | None = None,
    dcatde: str | None = None,
    solr_cache: Path | None = None,
) -> PortalInfo:
    """Bring the portal in ``base_dir`` up (building it on first use) and return how to reach it.

    ``licenses`` become CKAN's licence list (``licenses_group_url``), ``groups`` are created or
    updated through the action API, ``port`` is CKAN's port on 127.0.0.1 (default: the port the
    portal had, else 5050; the other services get free private ports), ``venv`` is CKAN's environment
    (default ``~/.cache/inventur/ckan-2.11.6``), ``workers`` the number of CKAN's web worker processes
    (default ``INVENTUR_CKAN_WORKERS``, else one per core plus one; a running CKAN with another number
    is restarted), ``solr_cache`` the folder of Solr's jars (default ``~/.cache/inventur/solr-9.10.1``).
    ``dcatde`` is where GovData's ckanext-dcatde comes from (a wheel file or a pip requirement; see
    :mod:`portal.extensions`): None keeps the portal's earlier choice, an empty text runs ckanext-dcat's
    DCAT-AP 2 profile instead.
    Raises MissingSystemPackagesError naming the Debian packages to install, PortalError otherwise;
    then nothing that this call started is left running.
    """
    _validate(licenses, groups)
    workers = default_workers() if workers is None else workers
    if not 1 <= workers <= MAX_WORKERS:
        raise ValueError(f"workers must be between 1 and {MAX_WORKERS}, not {workers}")
    base_dir = Path(base_dir).expanduser().resolve()
    _check_system()
    layout = Layout(base_dir)
    venv = Path(venv).expanduser().resolve() if venv else default_venv()
    site = layout.ckan(venv)
    remembered = load_state(layout)
    port = port or remembered.get("ckan_port") or DEFAULT_PORT
    _check_ckan_port(layout, site, remembered, port)  # before the folder is even created
    base_dir.mkdir(parents=True, exist_ok=True)
    jars = SolrJars(Path(solr_cache).expanduser().resolve() if solr_cache else default_cache())
    with file_lock(layout.lock, _LOCK_TIMEOUT, f"the portal in {base_dir}"), \
            _stopped_on_failure() as started:
        state = load_state(layout)
        _check_ckan_port(layout, site, state, port)
        layout.logs.mkdir(parents=True, exist_ok=True)
        ensure_venv(venv, layout.log("ckan-install"), progress)
        jars.ensure(layout.log("solr-install"), progress)
        state["venv"] = str(venv)
        source = (state.get("dcatde") or None) if dcatde is None else (dcatde.strip() or None)
        ensure_extensions(venv, extensions(source), layout.log("ckan-install"), progress)
        state["dcatde"] = source
        ports = _choose_ports(layout, state, port)
        state["ports"] = ports
        save_state(layout, state)
        solr_pid = _start_solr(layout, state, ports["solr"], jars, solr_schema(venv), started, progress)
        password = _up_postgres(layout, ports["postgres"], started, progress)
        _up_redis(layout, ports["redis"], started, progress)
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
            state["solr_reindex"] = False  # a new database has no datasets to index
            save_state(layout, state)
        if not state.get("sysadmin"):
            progress(f"CKAN: creating sysadmin {SYSADMIN}")
            site.add_sysadmin(SYSADMIN, SYSADMIN_EMAIL, secret(layout.secrets / "sysadmin-password"))
            state["sysadmin"] = True
            save_state(layout, state)
        _solr_ready(layout, ports["solr"], solr_pid)
        _reindex(layout, site, state, progress)
        pid = _start_ckan_process(layout, site, state, port, workers, changed, started, progress)
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
        layout.solr().stop()
        layout.redis().stop()
        cluster = layout.postgres()
        if cluster.running() is not None:
            cluster.stop()


def status(base_dir: Path) -> dict[str, Any]:
    """Per component (``postgres``, ``redis``, ``solr``, ``ckan``): status, pid, port and memory; plus
    ``url`` and ``base_dir``.

    Each component maps to ``{"status": "running" | "stopped", "pid": int | None, "port": int | None,
    "memory_mb": float | None}`` (resident memory of the process and its children: CKAN's workers,
    PostgreSQL's backends); ``ckan``'s pid is its web server's master, ``ckan["workers"]`` lists the pids
    of its worker processes.
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
        "solr": layout.solr().running(),
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
        result[name] = {"status": "running" if pid else "stopped", "pid": pid, "port": port,
                        "memory_mb": resident_mb(pid) if pid else None}
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
