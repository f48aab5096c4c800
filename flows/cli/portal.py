"""``inventur portal up|down|status``: the local CKAN development portal (see portal/)."""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path

import click

from flows.cli.app import App, fail, pass_app, table


@click.group()
def portal() -> None:
    """The local CKAN development portal: CKAN 2.11 with PostgreSQL, Redis and Apache Solr, and the DCAT
    extensions GovData harvests through (ckanext-dcat, ckanext-dcatde from INVENTUR_CKAN_DCATDE).

    One portal per machine user, in one folder whatever the current folder: INVENTUR_PORTAL_DIR, by
    default ~/.local/share/inventur/portal (/var/lib/inventur/portal for root). Private ports; nothing
    else on the machine is touched. For development and tests, not for production.
    """


@portal.command("up")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="Port of CKAN's web server on 127.0.0.1 [default: the portal's port, at first 5050].")
@pass_app
def portal_up(app: App, port: int | None) -> None:
    """Bring the portal up (idempotent) and print `export INVENTUR_CKAN_URL=...` and
    `export INVENTUR_CKAN_TOKEN=...`, so that `eval "$(inventur portal up)"` sets both for the shell and
    the programs it starts."""
    from catalog.publish.mapping import ckan_licences, theme_groups
    from portal.errors import MissingSystemPackagesError
    from portal.local import up

    venv = os.environ.get("INVENTUR_CKAN_VENV")
    try:
        info = up(app.settings.portal_folder, licenses=ckan_licences(), groups=theme_groups(), port=port,
                  progress=app.progress, venv=Path(venv) if venv else None, dcatde=app.settings.ckan_dcatde)
    except MissingSystemPackagesError as exc:
        fail(f"{exc} (install with: apt-get install {' '.join(exc.packages)})", exc.exit_code)
    click.echo(f"export INVENTUR_CKAN_URL={shlex.quote(info.url)}")
    click.echo(f"export INVENTUR_CKAN_TOKEN={shlex.quote(info.token)}")
    app.err.print(f"portal up: {info.url} (sysadmin {info.sysadmin}, folder {info.base_dir}); "
                  f"eval \"$(inventur portal up)\" exports both variables in your shell")


@portal.command("down")
@pass_app
def portal_down(app: App) -> None:
    """Stop the portal's processes (data kept for a fast restart)."""
    from portal.local import down

    down(app.settings.portal_folder)
    app.err.print("portal down")


@portal.command("status")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@pass_app
def portal_status(app: App, fmt: str) -> None:
    """Show the portal's folder and URL, and whether its components run: pids, ports, memory."""
    from portal.local import COMPONENTS, status

    state = status(app.settings.portal_folder)
    if fmt == "json":
        click.echo(json.dumps(state, indent=2))
        return
    table(app, f"portal in {state['base_dir']}: {state.get('url') or 'not set up'}",
           ["component", "status", "pid", "port", "memory MB"],
           ((name, state[name]["status"], state[name]["pid"], state[name]["port"], state[name]["memory_mb"])
            for name in COMPONENTS))
    _print_dcat(app, state["dcat"])


def _print_dcat(app: App, dcat: dict[str, str | None]) -> None:
    """Which DCAT profile the portal's endpoints serve, and from which extensions."""
    versions = f"ckanext-dcat {dcat['ckanext-dcat'] or 'not installed'}"
    if dcat["ckanext-dcatde"]:
        versions += f", ckanext-dcatde {dcat['ckanext-dcatde']} from {dcat['dcatde_source']}"
    else:
        versions += "; ckanext-dcatde not configured (INVENTUR_CKAN_DCATDE)"
    app.console.print(f"DCAT profile: {dcat['profile']} ({versions})")


def register(cli: click.Group) -> None:
    cli.add_command(portal)
