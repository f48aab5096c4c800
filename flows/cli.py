"""The ``inventur`` command line: parse input, call one library function, render the result.

Known errors become one clear message and an exit code (see ``EXIT_CODES``); heavy libraries are
imported inside the commands that need them, so that ``--help`` and light commands stay fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from functools import cached_property
from pathlib import Path
from typing import Any, NoReturn

import click

# exit codes of every command (documented in the README), declared with the error tree
from catalog.errors import EXIT_BUSY, EXIT_FAILED, EXIT_OK, EXIT_REMOTE, EXIT_STORE, EXIT_USAGE, exit_code
from flows.settings import Settings, load_settings

__all__ = ["EXIT_BUSY", "EXIT_FAILED", "EXIT_OK", "EXIT_REMOTE", "EXIT_STORE", "EXIT_USAGE", "App", "cli", "main"]

CITY_CHOICE = click.Choice(["muenchen", "augsburg", "nuernberg"])


class App:
    """What the commands share: settings (read once), the console, and the wired services."""

    def __init__(self, settings: Settings) -> None:
        from flows.services import Services

        self.settings = settings
        self.services = Services(settings)

    @cached_property
    def console(self) -> Any:
        return _console(stderr=False)

    @cached_property
    def err(self) -> Any:
        return _console(stderr=True)

    @property
    def store(self) -> Any:
        return self.services.store

    @property
    def organisation(self) -> Any:
        return self.services.organisation

    def progress(self, message: str) -> None:
        self.err.print(f"[dim]·[/dim] {markup(message)}")


def plain(value: Any) -> str:
    """A value as a terminal may show it: control characters (escape sequences) written as ``\\x1b``."""
    from catalog.normalise import visible

    return visible(str(value))


def markup(value: Any) -> str:
    """A value inside rich markup: shown as written, neither as markup (``[/x]``) nor as control codes."""
    from rich.markup import escape

    return escape(plain(value))


PIPE_WIDTH = 10_000
"""Line width when the output goes to a pipe or a log: as wide as the text, never wrapped at 80 columns."""


def _console(*, stderr: bool) -> Any:
    """A rich console; into a pipe or a log (no terminal, no COLUMNS set) lines and tables keep their
    full width, so that `grep` and log readers see whole lines and tables no one-letter columns."""
    import os

    from rich.console import Console

    console = Console(stderr=stderr, highlight=False)
    if not console.is_terminal and not os.environ.get("COLUMNS"):
        console = Console(stderr=stderr, highlight=False, width=PIPE_WIDTH, soft_wrap=True)
    return console


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Stop the command with ``message`` on stderr and exit ``code``."""
    click.echo(f"Error: {plain(message)}", err=True)
    sys.exit(code)


class InventurGroup(click.Group):
    """A click group that turns the project's errors (:mod:`catalog.errors`) into a message and an exit code:
    the one place where an error becomes what the user sees."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort, SystemExit):
            raise
        except Exception as exc:
            code = exit_code(exc)
            if code is None:
                raise
            click.echo(f"Error: {plain(exc)}", err=True)
            ctx.exit(code)


pass_app = click.make_pass_decorator(App)


@click.group(cls=InventurGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="inventur")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """inventur: the open-data inventory of München, Augsburg and Nürnberg.

    Builds and collects the data-silo survey, harvests existing catalogs, validates and normalises
    everything into one inventory, and publishes what may be open to CKAN and as DCAT-AP.de.
    Settings come from INVENTUR_* environment variables (see the README).
    """
    ctx.obj = App(load_settings())


def _table(app: App, title: str, columns: list[str], rows: Iterable[Iterable[Any]]) -> None:
    """A table of values shown as written: no markup, no control codes reach the terminal."""
    from rich.table import Table

    table = Table(title=markup(title), title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*["" if v is None else markup(v) for v in row])
    app.console.print(table)


def _jsonl(records: Iterable[Mapping[str, Any]]) -> int:
    from catalog.export import write_jsonl

    return write_jsonl(records, sys.stdout)


@cli.command()
@click.option("--city", type=CITY_CHOICE, help="Only this city.")
@click.option("--format", "fmt", type=click.Choice(["table", "jsonl"]), default="table", show_default=True)
@pass_app
def departments(app: App, city: str | None, fmt: str) -> None:
    """List the departments (Referate, Ämter, Dienststellen, Eigenbetriebe) of the cities."""
    depts = app.organisation.departments_of(city)
    if fmt == "jsonl":
        _jsonl({"city": d.city, "code": d.code, "name": d.name, "kind": d.kind, "email": d.email} for d in depts)
        return
    _table(app, f"{len(depts)} departments", ["city", "code", "name", "kind", "e-mail"],
           ((d.city, d.code, d.name, d.kind, d.email) for d in depts))


@cli.command()
@click.option("--city", type=CITY_CHOICE, help="Only this city.")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "xlsx"]), default="jsonl", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file (required for xlsx).")
@click.option("--all-fields", is_flag=True,
              help="Also the survey's later columns (download_url, api_url, ..., protected_listing), after the "
              "keys of the survey contract.")
@pass_app
def export(app: App, city: str | None, fmt: str, out: Path | None, all_fields: bool) -> None:
    """Export the inventory, one record per entry, with coded values as URIs."""
    from catalog.export import write_csv, write_jsonl, write_xlsx
    from catalog.fields import EXPORT_KEYS, RECORD_KEYS
    from catalog.inventory import entry_record, iter_entries

    if fmt == "xlsx" and out is None:
        fail("--format xlsx needs --out FILE")
    keys = RECORD_KEYS if all_fields else EXPORT_KEYS
    with app.store.session() as session:
        records = ({key: record[key] for key in keys}
                   for record in (entry_record(e) for e in iter_entries(session, city=city)))
        if fmt == "xlsx":
            assert out is not None
            count = write_xlsx(records, out, keys, sheet="Inventar")
        else:
            writer: Callable[..., int] = write_jsonl if fmt == "jsonl" else (lambda r, f: write_csv(r, f, keys))
            if out is None:
                count = writer(records, sys.stdout)
            else:
                with out.open("w", encoding="utf-8", newline="") as handle:
                    count = writer(records, handle)
    if out is not None:
        click.echo(f"{count} entries written to {out}", err=True)


@cli.command()
@click.option("--city", type=CITY_CHOICE, help="Only this city.")
@click.option("--severity", type=click.Choice(["error", "warning", "info"]), help="Only this severity.")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "table"]), default="table", show_default=True)
@click.option("--all", "include_closed", is_flag=True, help="Include findings superseded by newer versions.")
@pass_app
def findings(app: App, city: str | None, severity: str | None, fmt: str, include_closed: bool) -> None:
    """List the findings: the problems found in received files, entries and publications."""
    from catalog.inventory import finding_record, open_findings

    with app.store.session() as session:
        rows = open_findings(session, city=city, severity=severity, include_closed=include_closed)
        records = [finding_record(r) for r in rows]
    if fmt == "jsonl":
        _jsonl(records)
        return
    _table(
        app,
        f"{len(records)} findings",
        ["severity", "code", "city", "department", "identifier", "file", "row", "col", "message"],
        ((r["severity"], r["code"], r["city"], r["department"], r["identifier"], r["file"], r["row"], r["column"],
          r["message_en"]) for r in records),
    )


@cli.command()
@click.argument("scheme", required=False)
@click.argument("value", required=False)
@pass_app
def vocab(app: App, scheme: str | None, value: str | None) -> None:
    """Show the vocabularies, one vocabulary, or what a spelling resolves to.

    \b
    inventur vocab                      the vocabularies and their sizes
    inventur vocab license              the concepts of one vocabulary
    inventur vocab frequency taeglich   how a value is read
    """
    from catalog.vocabulary import vocabularies

    vocabs = vocabularies()
    if scheme is None:
        _table(app, "vocabularies", ["name", "concepts", "offered in the survey", "source"],
               ((s.name, len(s), len(s.offered()), s.source) for s in vocabs))
        return
    try:
        chosen = vocabs[scheme]
    except KeyError as exc:
        fail(str(exc.args[0]))
    if value is None:
        _table(app, chosen.title, ["code", "German", "English", "URI"],
               ((c.code, c.label, c.en, c.uri) for c in chosen))
        return
    match = chosen.lookup(value)
    if match.ok:
        app.console.print(f"{match.status}: {markup(match.value)}")
        return
    app.err.print(f"{match.status}: {markup(repr(value))} is no value of {markup(scheme)}")
    for candidate in match.candidates:
        app.err.print(f"  candidate: {markup(candidate.value)} ({markup(candidate.label)})")
    sys.exit(EXIT_FAILED)


@cli.group()
def db() -> None:
    """The store's schema (migrations run automatically; these commands show and apply them)."""


@db.command("status")
@pass_app
def db_status(app: App) -> None:
    """Show the database, its schema revision and row counts."""
    from sqlalchemy import func, select

    from catalog.models import Entry, EntryVersion, FindingRow, ReceivedFile
    from catalog.store import current_revision, head_revision

    store = app.store
    with store.session() as session:
        counts = {
            "entries": session.scalar(select(func.count()).select_from(Entry)),
            "entry versions": session.scalar(select(func.count()).select_from(EntryVersion)),
            "received files": session.scalar(select(func.count()).select_from(ReceivedFile)),
            "open findings": session.scalar(select(func.count()).select_from(FindingRow).where(FindingRow.is_open.is_(True))),
        }
    app.console.print(f"database: {store.engine.url.render_as_string(hide_password=True)}")
    app.console.print(f"schema revision: {current_revision(store.engine)} (newest: {head_revision()})")
    for name, count in counts.items():
        app.console.print(f"{name}: {count}")


@db.command("upgrade")
@pass_app
def db_upgrade(app: App) -> None:
    """Apply all migrations (the store also does this when it is opened)."""
    from catalog.store import current_revision

    app.console.print(f"schema revision: {current_revision(app.store.engine)}")


from flows import (  # noqa: E402  (command modules register themselves)
    cli_demo,
    cli_harvest,
    cli_hvd,
    cli_portal,
    cli_publish,
    cli_report,
    cli_review,
    cli_shapes,
    cli_survey,
)

for _module in (cli_survey, cli_review, cli_portal, cli_demo, cli_report, cli_harvest, cli_publish, cli_shapes,
                cli_hvd):
    _module.register(cli)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="inventur")

