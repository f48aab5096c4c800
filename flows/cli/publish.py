"""``inventur publish``: the approved inventory onto the CKAN portal(s) (see catalog/publish/)."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import click

from flows.cli.app import CITY_CHOICE, EXIT_FAILED, App, fail, markup, pass_app, table

if TYPE_CHECKING:
    from catalog.dcat.compare import Verification
    from flows.steps.publish import PublishSummary

_LISTED = 30  # datasets and failures listed per portal in the table output (JSON lists all)


@click.command("publish")
@click.option("--city", type=CITY_CHOICE, help="Only this city's entries (and its organisations on the portal).")
@click.option("--dry-run", is_flag=True,
              help="Read the portal and the store, show what would be done; change nothing on either.")
@click.option("--verify", is_flag=True,
              help="Afterwards read the portal's DCAT as GovData does (every page of /catalog.ttl), validate it "
                   "with the DCAT-AP.de shapes (the High-Value Datasets also with the DCAT-AP HVD shapes, where "
                   "INVENTUR_HVD_SHAPES_DIR is set) and compare it with the export; problems become findings.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@pass_app
def publish_command(app: App, city: str | None, dry_run: bool, verify: bool, fmt: str) -> None:
    """Publish the approved entries to CKAN: create, update, withdraw, restore; unchanged costs no write.

    \b
    An approved entry that no hard rule blocks is published (one package per entry, one organisation per
    department, the city as publisher); a rejected, withdrawn or now blocked entry is withdrawn (a soft
    delete CKAN can undo); an entry changed after its approval keeps its approved version on the portal
    until it is approved again. CKAN's refusals become findings on the entry (stage publish).
    Portal: INVENTUR_CKAN_URL / INVENTUR_CKAN_TOKEN, or per city INVENTUR_CKAN_URL_<CITY> /
    INVENTUR_CKAN_TOKEN_<CITY>. Exit 1 when some actions failed or --verify found a problem, 4 when a
    portal cannot be reached.

    \b
    --verify reads what GovData harvests: the portal's DCAT, written by ckanext-dcat and ckanext-dcatde from
    our packages. Each dataset published (and still as planned) is validated with the DCAT-AP.de 2.0 and 3.0
    shapes (INVENTUR_SHAPES_DIR) and compared, distribution by distribution, with `inventur dcat export` of
    the same entry version; violations and differences become findings (stage verify) on the entry. With
    --dry-run only what is on the portal already is verified, and nothing is stored.
    """
    from flows.steps.publish import PortalUnreachable, publish

    try:
        summary = publish(app.services, city=city, dry_run=dry_run, progress=app.progress, verify=verify)
    except PortalUnreachable as exc:
        _render(app, exc.summary, fmt)
        fail(f"{exc} (what was done is recorded; run publish again when the portal is back)", exc.exit_code)
    _render(app, summary, fmt)
    if summary.failed or not summary.verified_ok:
        sys.exit(EXIT_FAILED)


def _render(app: App, summary: PublishSummary, fmt: str) -> None:
    """The summary as JSON, or as tables: counts per action, then failures, skips and changed datasets."""
    from flows.steps.publish import RESULTS

    if fmt == "json":
        click.echo(json.dumps(summary.as_record(), indent=2, ensure_ascii=False))
        return
    mode = " (dry run: nothing changed)" if summary.dry_run else ""
    for portal in summary.portals:
        title = f"{portal.portal} ({', '.join(portal.cities)}){mode}"
        rows = [(key if not summary.dry_run or key in ("failed", "skipped") else f"{key} (planned)", portal.counts[key])
                for key in RESULTS]
        rows.append(("write calls", portal.writes))
        table(app, title, ["action", "count"], rows)
        if portal.organisations_created:
            verb = "to create" if summary.dry_run else "created"
            app.console.print(f"organisations {verb}: {', '.join(portal.organisations_created)}")
        failed = [i for i in portal.items if i.result == "failed"]
        if failed:
            table(app, f"{len(failed)} failed", ["identifier", "package", "error"], (
                (i.identifier, i.package, "; ".join([i.error or "", *(f"{k}: {' '.join(v)}" for k, v in
                                                                      i.field_errors.items())]).strip("; "))
                for i in failed[:_LISTED]))
        if portal.skipped:
            reasons = sorted(portal.skipped.items(), key=lambda kv: (-kv[1], kv[0]))
            table(app, f"{sum(portal.skipped.values())} skipped", ["reason", "count"], reasons)
        changed = [i for i in portal.items if i.result in ("created", "updated", "restored", "withdrawn")]
        if changed:
            more = f" (first {_LISTED}; --format json lists all)" if len(changed) > _LISTED else ""
            table(app, f"{len(changed)} datasets{mode}{more}", ["identifier", "result", "reason", "link"], (
                (i.identifier, i.result, i.reason, i.link or "") for i in changed[:_LISTED]))
        if portal.verification is not None:
            _render_verification(app, portal.verification)
        for problem in portal.problems:
            app.err.print(f"[yellow]![/yellow] {markup(problem)}")
        if portal.unreachable:
            app.err.print(f"[red]unreachable:[/red] {markup(portal.unreachable)}")


def _render_verification(app: App, verification: Verification) -> None:
    """What GovData would read: counts, the entries with problems, the documented extension behaviour."""
    from catalog.dcat.compare import profile_name

    profiles = ", ".join(profile_name(p) for p in verification.profiles) or "no shapes found (INVENTUR_SHAPES_DIR)"
    rows: list[tuple[str, object]] = [
        ("datasets checked", verification.datasets),
        ("catalog pages read", verification.pages),
        ("missing from the portal's DCAT", len(verification.missing)),
        ("differences from the export", verification.differences),
    ]
    rows += [(f"violations, {p}", n) for p, n in sorted(verification.violations.items())]
    rows += [(f"caused inside the extensions: {k}", n) for k, n in sorted(verification.upstream.items())]
    rows += [(f"documented difference: {k}", n) for k, n in sorted(verification.known.items())]
    verdict = "as published" if verification.ok else "PROBLEMS"
    table(app, f"verified against the portal's DCAT ({profiles}): {verdict}", ["check", "count"], rows)
    problems = verification.entries
    if problems:
        more = f" (first {_LISTED}; --format json lists all)" if len(problems) > _LISTED else ""
        table(app, f"{len(problems)} datasets with problems{more}", ["identifier", "problem"], (
            (c.identifier, "; ".join(
                (["missing from the portal's DCAT"] if not c.found else [])
                + [d.describe() for d in c.real_differences[:3]]
                + [f"{p}: {r.path or ''} {r.message}".strip() for p, r in c.violations[:3]]))
            for c in problems[:_LISTED]))
    for line in verification.catalog + verification.problems:
        app.err.print(f"[yellow]! catalog:[/yellow] {line}")
    for line in verification.catalog_differences:
        app.err.print(f"catalog node (ckan.ini): {line}")


def register(cli: click.Group) -> None:
    """Add ``publish`` to the command line."""
    cli.add_command(publish_command)
