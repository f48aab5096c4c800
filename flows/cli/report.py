"""The campaign report: ``inventur report`` (the flows attach it to a run through ``flows.steps.report``).

One self-contained HTML page and one xlsx workbook per city, and one of each for the three cities
together (or only the given city's), written into one folder; plus a Markdown summary with the key
figures and the paths, for a Prefect artifact.

Exit codes: 0 done; 2 bad usage (unknown campaign, a folder that cannot be written); 3 store unreachable.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from flows.cli.app import CITY_CHOICE, EXIT_USAGE, App, fail, table
from flows.steps.report import report_step


@click.command()
@click.option("--city", type=CITY_CHOICE, help="Only this city's report (default: each city and the three together).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for the HTML pages and xlsx workbooks (created when missing).")
@click.option("--campaign", help="The campaign whose response the report shows (default: the latest).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_obj
def report(app: App, city: str | None, out_dir: Path, campaign: str | None, fmt: str) -> None:
    """Write the campaign report: an HTML page with charts and an xlsx workbook per city and for all three.

    \b
    The pages are self-contained (open them offline, forward them as one file) and in German:
    response per department, entries per theme, publishable or not and why, quality scores and the
    weakest indicators, findings by code, kinds of datasets one city has and others have not yet
    inventoried, and the trend across campaigns.
    """
    try:
        written = report_step(app.services, out_dir, city=city, campaign=campaign, progress=app.progress)
    except OSError as exc:
        fail(f"cannot write the report into {out_dir}: {exc}", EXIT_USAGE)
    if fmt == "json":
        click.echo(json.dumps([{
            "scope": scope or "all", "campaign": f.campaign, "entries": f.entries,
            "publishable": f.publication.publishable, "open_errors": f.open_errors,
            "html": str(written.pages[scope]), "xlsx": str(written.workbooks[scope]),
        } for scope, f in written.figures.items()], ensure_ascii=False, indent=2))
        return
    table(app, f"report in {out_dir}: one .html and one .xlsx per scope",
           ["file", "campaign", "entries", "publishable", "open errors"],
           ((written.pages[scope].stem, f.campaign, f.entries, f.publication.publishable, f.open_errors)
            for scope, f in written.figures.items()))


def register(cli: click.Group) -> None:
    """Add the ``report`` command to the ``inventur`` command line."""
    cli.add_command(report)
