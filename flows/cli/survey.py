"""Commands of the survey round trip, validation and the DCAT-AP.de catalog."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from pathlib import Path
from typing import Any

import click

from flows.cli.app import CITY_CHOICE, EXIT_FAILED, App, fail, pass_app, table


def _date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-12-31") from None


@click.group()
def survey() -> None:
    """The survey workbook: build it per department and campaign."""


@survey.command("build")
@click.option("--city", type=CITY_CHOICE, required=True, help="The city whose departments get the survey.")
@click.option("--department", help="Only this department (its code, see `inventur departments`).")
@click.option("--campaign", required=True, help="Campaign ID, e.g. 2026-herbst (letters, digits, . _ -).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), help="Write the workbooks into this folder.")
@click.option("--distribute", is_flag=True, help="Put each workbook into the department's outbox on the sharing platform.")
@click.option("--deadline", callback=_date, help="Return deadline shown in the workbook (YYYY-MM-DD).")
@pass_app
def survey_build(app: App, city: str, department: str | None, campaign: str, out_dir: Path | None,
                 distribute: bool, deadline: dt.date | None) -> None:
    """Build the signed survey workbook for one or all departments of a city.

    Update rounds pre-fill each department's known entries with their Kennung.
    """
    from flows.steps.inventory import build_surveys

    if out_dir is None and not distribute:
        fail("give --out DIR, --distribute, or both")
    try:
        built = build_surveys(app.services, city=city, department=department, campaign=campaign, out_dir=out_dir,
                              distribute=distribute, deadline=deadline, progress=app.progress)
    except ValueError as exc:
        fail(str(exc))
    for item in built:
        click.echo(str(item.path or item.location))
    app.err.print(f"{len(built)} workbooks built" + (", distributed" if distribute else ""))


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--from-share", is_flag=True, help="Also read every file in the departments' inboxes on the sharing platform.")
@click.option("--no-feedback", is_flag=True, help="Do not write feedback workbooks.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@pass_app
def collect(app: App, paths: tuple[Path, ...], from_share: bool, no_feedback: bool, fmt: str) -> None:
    """Collect filled survey workbooks (files or folders); idempotent by file checksum.

    Every received file is kept; each changed entry gets a new version; findings land on their cells;
    the inventory is validated; each department gets a feedback workbook in its outbox.
    """
    from flows.steps.inventory import collect as collect_step

    if not paths and not from_share:
        fail("give files or folders to collect, or --from-share")
    summary = collect_step(app.services, paths, from_share=from_share, feedback=not no_feedback, progress=app.progress)
    if fmt == "json":
        click.echo(json.dumps({"totals": summary.totals, "validation": summary.validation, "feedback": summary.feedback,
                               "files": [{"name": o.name, "status": o.status, "city": o.city, "department": o.department,
                                          "rows": o.rows, "findings": o.finding_count} for o in summary.outcomes]},
                              ensure_ascii=False, indent=2))
        return
    table(app, "collected files", ["file", "status", "city", "department", "rows", "new", "changed", "findings"],
           ((o.name, o.status, o.city, o.department, o.rows, o.created, o.updated, o.finding_count) for o in summary.outcomes))
    t = summary.totals
    app.console.print(
        f"{t.get('files', 0)} files: {t.get('read', 0)} read, {t.get('rejected', 0)} rejected, "
        f"{t.get('duplicate', 0)} already known; {t.get('created', 0)} new entries, {t.get('updated', 0)} changed; "
        f"{len(summary.feedback)} feedback workbooks; {summary.seconds:.1f} s"
    )


@click.group()
def campaign() -> None:
    """Survey campaigns: progress per city and department."""


@campaign.command("status")
@click.option("--city", type=CITY_CHOICE, help="Only this city.")
@click.option("--campaign", "campaign_id", help="Only this campaign.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@pass_app
def campaign_status(app: App, city: str | None, campaign_id: str | None, fmt: str) -> None:
    """Per department: sent, returned, with errors, entries, last return; response rate per city."""
    from survey.campaign import campaign_progress

    with app.store.session() as session:
        progress = campaign_progress(session, app.organisation, city=city, campaign=campaign_id)
    if fmt == "json":
        click.echo(json.dumps([{
            "city": c.city, "sent": c.sent, "returned": c.returned, "response_rate": round(c.response_rate, 4),
            "departments": [{"department": d.department, "name": d.name, "state": d.state, "sent": d.sent,
                             "returned": d.returned, "rejected": d.rejected, "with_errors": d.with_errors,
                             "entries": d.entries, "open_errors": d.open_errors,
                             "last_return": d.last_return.isoformat() if d.last_return else None}
                            for d in c.departments]} for c in progress], ensure_ascii=False, indent=2))
        return
    from catalog.localtime import to_local
    for c in progress:
        table(app, f"{c.city}: {c.returned} of {c.sent} departments answered ({c.response_rate:.0%})",
               ["department", "name", "state", "sent", "returned", "rejected", "entries", "open errors", "last return"],
               ((d.department, d.name, d.state, d.sent, d.returned, d.rejected, d.entries, d.open_errors,
                 to_local(d.last_return).strftime("%Y-%m-%d %H:%M") if d.last_return else "") for d in c.departments))


@click.command()
@click.option("--city", type=CITY_CHOICE, help="Only this city's entries.")
@click.option("--no-docs", is_flag=True, help="Do not write the Data Docs report.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@pass_app
def validate(app: App, city: str | None, no_docs: bool, fmt: str) -> None:
    """Validate the inventory (Great Expectations suite and cross-entry checks); store the findings."""
    from flows.steps.inventory import validate_step

    result = validate_step(app.services, city=city, docs=not no_docs, progress=app.progress)
    if fmt == "json":
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    app.console.print(f"{result['checked']} entries checked, {result['findings']} findings "
                      f"({', '.join(f'{k}: {v}' for k, v in sorted(result['by_severity'].items())) or 'none'})")
    for code, count in sorted(result["by_code"].items(), key=lambda kv: -kv[1]):
        app.console.print(f"  {count:6d}  {code}")
    if result["docs"]:
        app.console.print(f"Data Docs: {result['docs']}")


@click.group()
def dcat() -> None:
    """The DCAT-AP.de catalog: export it, validate it against the official shapes."""


@dcat.command("export")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The catalog file to write.")
@click.option("--format", "fmt", type=click.Choice(["turtle", "xml", "json-ld"]), default="turtle", show_default=True)
@click.option("--city", type=CITY_CHOICE, help="Only this city's datasets (its own catalog).")
@click.option("--base-uri", help="Base of dataset URIs (default: INVENTUR_CKAN_URL, else http://localhost).")
@click.option("--all-entries", is_flag=True, help="Export every entry, not only the publishable ones (for checks).")
@click.option("--scope", type=click.Choice(["open", "hvd", "protected"]), default="open", show_default=True,
              help="open: the publishable entries; hvd: those of them with an HVD category; protected: the list "
                   "of protected data (DGA Art. 8) of the entries `review admit` admitted.")
@click.option("--request-url", help="With --scope protected: the page where re-use is requested (default: the "
                                    "city's homepage); every distribution points there.")
@click.option("--request-email", help="With --scope protected: the functional mailbox re-use requests go to (default: "
                                      "the department's published one, else the city's open-data team's).")
@pass_app
def dcat_export(app: App, out: Path, fmt: str, city: str | None, base_uri: str | None, all_entries: bool,
                scope: str, request_url: str | None, request_email: str | None) -> None:
    """Export the publishable entries as a DCAT-AP.de catalog GovData can harvest (or, with --scope, their
    High-Value Datasets, or the list of protected data for a single information point)."""
    from catalog.normalise import EMAIL_PATTERN
    from flows.steps.inventory import export_catalog

    if all_entries and scope == "protected":
        fail("--all-entries does not apply to --scope protected: the list holds what the review admitted")
    if (request_url is not None or request_email is not None) and scope != "protected":
        fail("--request-url and --request-email apply to --scope protected only")
    if request_url is not None and not re.match(r"(?i)^https?://\S+$", request_url):
        fail(f"--request-url must be an http(s) URL, got {request_url!r}")
    if request_email is not None and not EMAIL_PATTERN.match(request_email.removeprefix("mailto:")):
        fail(f"--request-email must be an e-mail address, got {request_email!r}")
    try:
        result = export_catalog(app.services, out, fmt=fmt, city=city, base_uri=base_uri,
                                publishable_only=not all_entries, scope=scope, request_url=request_url,
                                request_email=request_email.removeprefix("mailto:") if request_email else None)
    except ValueError as exc:
        fail(str(exc))
    app.err.print(f"{result['datasets']} datasets written to {out} ({result['skipped']} skipped)")
    for reason, count in result["skipped_by_reason"].items():
        app.err.print(f"  skipped {count}: {reason}")


@dcat.command("validate")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--profile", type=click.Choice(["2.0", "3.0", "hvd"]), default="2.0", show_default=True,
              help="DCAT-AP.de 2.0 + Konventionen (what GovData checks deliveries with), 3.0, or the DCAT-AP HVD "
              "shapes (INVENTUR_HVD_SHAPES_DIR).")
@click.option("--shapes", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A folder of SHACL shapes instead of the profile's folder in INVENTUR_SHAPES_DIR "
              "(`inventur shapes fetch` puts them there).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@pass_app
def dcat_validate(app: App, file: Path, profile: str, shapes: Path | None, fmt: str) -> None:
    """Validate a catalog file with the official DCAT-AP.de shapes, or with the DCAT-AP HVD shapes
    (``--profile hvd``, or ``--shapes`` naming their folder); exit 1 on violations."""
    from catalog.dcat.shacl import is_hvd_folder, validate_hvd
    from catalog.dcat.shacl import validate as shacl_validate
    from flows.cli.shapes import how_to_get

    if shapes is None and profile == "hvd":
        shapes = app.settings.hvd_shapes_dir
        if shapes is None:
            fail("no DCAT-AP HVD shapes configured: set INVENTUR_HVD_SHAPES_DIR to a folder with hvd-SHACL.ttl "
                 "(SEMICeu/DCAT-AP on GitHub, releases/3.0.0-hvd/shacl), or give --shapes")
    shapes = shapes or app.settings.dcat_shapes(f"shapes-{profile}")
    if shapes is None:
        folder = app.settings.shapes_folder()
        fail(f"no DCAT-AP.de {profile} shapes in {folder}: {how_to_get(folder)}")
    try:
        report = validate_hvd(file, shapes) if is_hvd_folder(shapes) else shacl_validate(file, shapes)
    except FileNotFoundError as exc:
        fail(f"{exc}: {how_to_get(app.settings.shapes_folder())}")
    if fmt == "json":
        click.echo(json.dumps({"counts": report.counts, "by_rule": _by_rule(report)}, ensure_ascii=False, indent=2))
    else:
        app.console.print(report.summary())
    if report.counts.get("Violation", 0):
        sys.exit(EXIT_FAILED)


def _by_rule(report: Any) -> list[dict[str, Any]]:
    return [{"severity": g.severity, "rule": g.rule, "count": g.count, "message": g.message} for g in report.by_rule()]


def register(cli: click.Group) -> None:
    cli.add_command(survey)
    cli.add_command(collect)
    cli.add_command(campaign)
    cli.add_command(validate)
    cli.add_command(dcat)
    cli.add_command(quality)


@click.command()
@click.option("--city", type=CITY_CHOICE, help="Only this city.")
@click.option("--offline", is_flag=True, help="Do not check URLs (their indicators count as not checked).")
@click.option("--no-shapes", is_flag=True, help="Do not check the datasets against the DCAT-AP.de shapes.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@pass_app
def quality(app: App, city: str | None, offline: bool, no_shapes: bool, fmt: str) -> None:
    """Score every entry on the MQA scheme (405 points) and show the distribution per city and
    department with the weakest indicators."""
    from flows.steps.inventory import quality_step

    report = quality_step(app.services, city=city, online=False if offline else None, shapes=not no_shapes,
                          progress=app.progress)
    if fmt == "json":
        click.echo(json.dumps({
            "cities": {k: v.as_dict() for k, v in report.cities.items()},
            "departments": {f"{c}/{d}": v.as_dict() for (c, d), v in sorted(report.departments.items())},
            "urls_checked": report.urls_checked, "shapes_checked": report.shapes_checked,
        }, ensure_ascii=False, indent=2))
        return
    bands = ("excellent", "good", "sufficient", "bad")
    table(app, "quality per city (MQA, 405 points)", ["city", "entries", "mean", *bands, "weakest indicators"],
           ((c, g.entries, f"{g.mean:.0f}", *(g.bands.get(b, 0) for b in bands),
             ", ".join(f"{n} ({s:.0%} miss)" for n, s, _p in g.weakest())) for c, g in sorted(report.cities.items())))
    table(app, "quality per department", ["city", "department", "entries", "mean", "weakest indicators"],
           ((c, d, g.entries, f"{g.mean:.0f}", ", ".join(f"{n} ({s:.0%})" for n, s, _p in g.weakest()))
            for (c, d), g in sorted(report.departments.items())))
