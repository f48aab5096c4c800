"""Commands that harvest existing catalogs and systems into the inventory: CKAN, DCAT, databases.

Exit codes: 0 done; 2 a wrong argument (unknown city or department, a missing or unreadable file, a bad
address, an invalid sources file); 3 the store cannot be used; 4 a source cannot be reached (or answers
with something that is no catalog). With ``harvest sources`` a failing source does not stop the others;
the exit code then says the worst that happened.
"""

from __future__ import annotations

import json
from typing import Any

import click

from catalog.errors import KINDS
from flows.cli.app import CITY_CHOICE, App, markup, pass_app, table

FORMAT = click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
                      help="A table for people, or JSON for scripts.")
NO_VALIDATE = click.option("--no-validate", is_flag=True, help="Do not validate the inventory afterwards.")


def _render(app: App, summary: dict[str, Any], fmt: str) -> None:
    """The harvest report: per source what was read, created, updated, unchanged, merged and gone, then each
    source's findings by code with a few examples (or the summary as JSON)."""
    if fmt == "json":
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2, default=str))
    else:
        from flows.steps.harvest import REPORT_COLUMNS, example_text, findings_by_code, report_rows

        rows = [
            (s["name"] or s["source"], f"{s['kind']} {s['city']}", *report_rows(s), sum(s["findings"].values()))
            for s in summary["sources"]
        ]
        table(app, "harvest", ["source", "kind", *(en for _k, en, _de in REPORT_COLUMNS), "findings"], rows)
        for s in summary["sources"]:
            label = markup(s["name"] or s["source"])
            if s["merged"]:
                app.console.print(f"{label}: {s['merged']} records of datasets already in the inventory (from the "
                                  f"survey or another source); {s['conflicts']} survey answers kept over the "
                                  f"source's values; {s.get('duplicates', 0)} records disagree with another source")
            if not s["complete"]:
                app.console.print(f"{label}: not read completely, nothing marked gone (see the findings)")
            grouped = findings_by_code(s)
            if grouped:
                table(app, f"findings of {label}", ["code", "count", "examples"],
                       ((code, count, "\n".join(example_text(e) for e in examples))
                        for code, count, examples in grouped))
        for s in summary["sources"]:
            if s["gone"]:
                app.console.print(f"gone from {markup(s['name'] or s['source'])}: {markup(', '.join(s['gone']))}")
        validation = summary.get("validation")
        if validation:
            app.console.print(f"validated {validation['checked']} entries: {validation['findings']} findings "
                              f"{validation.get('by_severity', {})}")
        for failure in summary.get("failed", []):
            app.err.print(f"[red]failed[/red] {markup(failure['name'])}: {markup(failure['error'])}")
    failures = summary.get("failed") or []
    if failures:
        # a source that could not be reached outweighs a wrong call: 4 before 2
        raise SystemExit(KINDS["remote"] if any(f["exit"] == "remote" for f in failures) else KINDS["usage"])


@click.group()
def harvest() -> None:
    """Harvest existing catalogs and systems into the inventory.

    Harvested records take the survey's path: the same normalisation, findings and validation. A record
    is recognised by its source and remote id, then by an inventur identifier it carries; an unchanged
    record writes nothing; a record gone from its source is marked and reported, never deleted; a
    department's survey answer wins over harvested values.
    """


@harvest.command("ckan")
@click.argument("url")
@click.option("--city", type=CITY_CHOICE, required=True, help="The city whose inventory receives the packages.")
@click.option("--organization", help="Only this CKAN organisation's packages (its name).")
@click.option("--department", help="The department (code) of the packages; default: by the organisation's name "
              "<city>-<code>, as inventur names CKAN organisations.")
@click.option("--full", is_flag=True, help="Read every package, not only those changed since the last run.")
@NO_VALIDATE
@FORMAT
@pass_app
def harvest_ckan(app: App, url: str, city: str, organization: str | None, department: str | None, full: bool,
                 no_validate: bool, fmt: str) -> None:
    """Harvest the public packages of the CKAN portal at URL (package_search in pages of up to 1000).

    After the first run only packages modified since the last one are read; the portal's list of ids
    tells which are gone.
    """
    from flows.steps.harvest import harvest_ckan as step

    summary = step(app.services, url, city=city, organization=organization, department=department,
                   full=full, validate=not no_validate, progress=app.progress)
    _render(app, summary, fmt)


@harvest.command("dcat")
@click.argument("location", metavar="URL_OR_FILE")
@click.option("--city", type=CITY_CHOICE, required=True, help="The city whose inventory receives the datasets.")
@click.option("--department", help="The department (code) of the datasets.")
@click.option("--max-pages", type=click.IntRange(min=1), help="Read at most this many pages [1000].")
@NO_VALIDATE
@FORMAT
@pass_app
def harvest_dcat(app: App, location: str, city: str, department: str | None, max_pages: int | None,
                 no_validate: bool, fmt: str) -> None:
    """Harvest a DCAT-AP / DCAT-AP.de catalog (Turtle, RDF/XML or JSON-LD) at a URL or in a file.

    Hydra paging (hydra:next, hydra:nextPage) is followed; a loop or too many pages ends the read, and
    then nothing is marked gone.
    """
    from flows.steps.harvest import harvest_dcat as step

    summary = step(app.services, location, city=city, department=department, max_pages=max_pages,
                   validate=not no_validate, progress=app.progress)
    _render(app, summary, fmt)


@harvest.command("sql")
@click.argument("database_url")
@click.option("--city", type=CITY_CHOICE, required=True, help="The city of the department.")
@click.option("--department", required=True, help="The department (code) whose database it is.")
@click.option("--schema", "schemas", multiple=True, help="Only this schema (repeatable); default: all but the system's.")
@NO_VALIDATE
@FORMAT
@pass_app
def harvest_sql(app: App, database_url: str, city: str, department: str, schemas: tuple[str, ...],
                no_validate: bool, fmt: str) -> None:
    """Propose one entry per table and view of a database, for the department to confirm.

    DATABASE_URL is an SQLAlchemy URL (postgresql://user:password@host/db, sqlite:///file.db); the
    database is opened read-only.
    """
    from flows.steps.harvest import harvest_sql as step

    summary = step(app.services, database_url, city=city, department=department, schemas=schemas,
                   validate=not no_validate, progress=app.progress)
    _render(app, summary, fmt)


@harvest.command("sources")
@click.option("--name", "names", multiple=True, help="Only this source (repeatable); default: every enabled one.")
@click.option("--list", "list_only", is_flag=True, help="List the configured sources instead of running them.")
@click.option("--full", is_flag=True, help="CKAN sources: read every package, not only the changed ones.")
@NO_VALIDATE
@FORMAT
@pass_app
def harvest_sources(app: App, names: tuple[str, ...], list_only: bool, full: bool, no_validate: bool, fmt: str) -> None:
    """Run the harvest sources of the sources file (INVENTUR_SOURCES_FILE).

    A source that fails is reported and does not stop the others.
    """
    from flows.steps.harvest import harvest_sources as step
    from flows.steps.harvest import load_harvest_sources

    if list_only:
        configs = load_harvest_sources(app.services)
        if fmt == "json":
            click.echo(json.dumps([c.describe() for c in configs], ensure_ascii=False, indent=2))
            return
        table(app, f"{len(configs)} harvest sources", ["name", "kind", "city", "department", "schedule", "enabled"],
               ((c.name, c.kind, c.city, c.department, c.schedule, "yes" if c.enabled else "no") for c in configs))
        return
    summary = step(app.services, names=list(names) or None, full=full, validate=not no_validate,
                   progress=app.progress)
    _render(app, summary, fmt)


def register(cli: click.Group) -> None:
    """Add the ``harvest`` commands to the command line."""
    cli.add_command(harvest)
