"""Commands on the inventory itself: departments, export, findings, vocabularies and the store's schema."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click

from flows.cli.app import CITY_CHOICE, EXIT_FAILED, App, fail, jsonl, markup, pass_app, table


@click.command()
@click.option("--city", type=CITY_CHOICE, help="Only this city.")
@click.option("--format", "fmt", type=click.Choice(["table", "jsonl"]), default="table", show_default=True)
@pass_app
def departments(app: App, city: str | None, fmt: str) -> None:
    """List the departments (Referate, Ämter, Dienststellen, Eigenbetriebe) of the cities."""
    depts = app.organisation.departments_of(city)
    if fmt == "jsonl":
        jsonl({"city": d.city, "code": d.code, "name": d.name, "kind": d.kind, "email": d.email} for d in depts)
        return
    table(app, f"{len(depts)} departments", ["city", "code", "name", "kind", "e-mail"],
           ((d.city, d.code, d.name, d.kind, d.email) for d in depts))


@click.command()
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


@click.command()
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
        jsonl(records)
        return
    table(
        app,
        f"{len(records)} findings",
        ["severity", "code", "city", "department", "identifier", "file", "row", "col", "message"],
        ((r["severity"], r["code"], r["city"], r["department"], r["identifier"], r["file"], r["row"], r["column"],
          r["message_en"]) for r in records),
    )


@click.command()
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
        table(app, "vocabularies", ["name", "concepts", "offered in the survey", "source"],
               ((s.name, len(s), len(s.offered()), s.source) for s in vocabs))
        return
    try:
        chosen = vocabs[scheme]
    except KeyError as exc:
        fail(str(exc.args[0]))
    if value is None:
        table(app, chosen.title, ["code", "German", "English", "URI"],
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


@click.group()
def db() -> None:
    """The store's schema (migrations run automatically; these commands show and apply them)."""


@db.command("status")
@pass_app
def db_status(app: App) -> None:
    """Show the database, its schema revision and row counts."""
    status = app.store.status()
    app.console.print(f"database: {status.url}")
    app.console.print(f"schema revision: {status.revision} (newest: {status.newest})")
    for name, count in status.counts.items():
        app.console.print(f"{name}: {count}")


@db.command("upgrade")
@pass_app
def db_upgrade(app: App) -> None:
    """Apply all migrations (the store also does this when it is opened)."""
    from catalog.store import current_revision

    app.console.print(f"schema revision: {current_revision(app.store.engine)}")


def register(cli: click.Group) -> None:
    """Add the inventory's commands to the command line."""
    for command in (departments, export, findings, vocab, db):
        cli.add_command(command)
