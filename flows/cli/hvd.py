"""``inventur hvd``: the High-Value Datasets of a city and what each still lacks (Regulation (EU) 2023/138).

Exit codes: 0 done (whatever the readiness); 2 bad usage (xlsx without --out, shapes asked for but not
configured); 3 store unreachable.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from flows.cli.app import CITY_CHOICE, App, fail, pass_app, table


@click.command()
@click.option("--city", type=CITY_CHOICE, help="Only this city.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "xlsx"]), default="table", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="The xlsx file to write (with --format xlsx).")
@click.option("--not-ready", is_flag=True, help="Only the entries that miss a requirement.")
@click.option("--shapes/--no-shapes", default=None,
              help="Also check the HVD datasets' export against the DCAT-AP HVD shapes of INVENTUR_HVD_SHAPES_DIR "
                   "(default: when that is set).")
@pass_app
def hvd(app: App, city: str | None, fmt: str, out: Path | None, not_ready: bool, shapes: bool | None) -> None:
    """List the High-Value Datasets with what each still lacks.

    \b
    For every entry with an HVD category: open (public, licence at least as permissive as CC BY 4.0),
    machine-readable format, bulk download, API, HVD metadata complete, contact. The same findings
    (hvd-*) reach the departments in their feedback workbooks and the reviewers in `review show`.
    Per category: how many entries are ready and what the others lack.
    """
    from catalog.hvd import REQUIREMENTS, category_label, requirement_labels
    from flows.steps.inventory import hvd_step

    if fmt == "xlsx" and out is None:
        fail("--format xlsx needs --out FILE")
    try:
        overview = hvd_step(app.services, city=city, shapes=shapes)
    except FileNotFoundError as exc:
        fail(str(exc))
    except ValueError as exc:
        fail(f"the HVD datasets cannot be exported for the shapes check: {exc}")
    figures = overview.figures
    entries = [e for e in figures.entries if not (not_ready and e.ready)]
    verdict = overview.shapes
    if fmt == "xlsx":
        from dataclasses import replace

        from reports.xlsx import hvd_sheets, sheets_workbook

        assert out is not None
        names = {c.key: c.short_name for c in app.organisation.cities}
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(sheets_workbook(hvd_sheets(replace(figures, entries=entries), names, verdict)))
        click.echo(f"{len(entries)} HVD entries written to {out}", err=True)
        return
    if fmt == "json":
        records = []
        for entry in entries:
            record = entry.as_record()
            if verdict is not None:
                record["shape_violations"] = verdict.get(entry.identifier, [])
            records.append(record)
        click.echo(json.dumps({
            "city": city,
            "entries": records,
            "categories": [{"hvd_category": c.category, "category": category_label(c.category, "en"),
                            "entries": c.entries, "ready": c.ready, "not_ready": c.not_ready,
                            "lacking": {key: n for key, _label, n in c.lacking}} for c in figures.categories],
            "shapes": str(overview.shapes_dir) if overview.shapes_dir else None,
        }, ensure_ascii=False, indent=2))
        return
    table(app, f"High-Value Datasets: {figures.ready} of {figures.total} ready",
           ["category", "entries", "ready", "not ready", "lacking (entries)"],
           ((category_label(c.category, "en"), c.entries, c.ready, c.not_ready,
             "; ".join(f"{REQUIREMENTS[key][1]} ({n})" for key, _label, n in c.lacking))
            for c in figures.categories))
    columns = ["identifier", "department", "category", "state", "ready", "lacking"]
    if verdict is not None:
        columns.append("HVD shapes")
    table(app, f"{len(entries)} HVD entries" + (" not ready" if not_ready else ""), [*columns, "title"],
           ((e.identifier, f"{e.city}/{e.department}", category_label(e.category, "en"), e.state,
             "yes" if e.ready else "no", requirement_labels(e.lacking, "en"),
             *([_verdict(verdict.get(e.identifier, []))] if verdict is not None else []), e.title)
            for e in entries))


def _verdict(violations: list[str]) -> str:
    if not violations:
        return "0 violations"
    return f"{len(violations)} violations: " + "; ".join(dict.fromkeys(violations))


def register(cli: click.Group) -> None:
    """Add the ``hvd`` command to the ``inventur`` command line."""
    cli.add_command(hvd)
