"""``inventur demo``: the main job on embedded defaults (see flows/demo.py)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click

from flows.cli.app import App, pass_app


@click.command()
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the store, the share and all outputs (default: a new temporary folder).")
@click.option("--seed", type=int, default=2026, show_default=True, help="Seed of the simulated returns.")
@pass_app
def demo(app: App, workdir: Path | None, seed: int) -> None:
    """Run a whole survey campaign of the three cities on embedded defaults.

    Builds the survey for every department, simulates the returns (with messy values and bad files),
    collects them, writes feedback workbooks, validates, approves a share as a demo reviewer,
    exports the DCAT-AP.de catalog, and publishes to the local portal when one runs.
    """
    # Prefect runs without a separate server here: it starts a temporary one in this process
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    from catalog.publish.rules import WAITING
    from flows.demo import DEMO_REVIEWER, demo_settings, portal_for_demo, publish_phase, run_demo

    workdir = (workdir or Path(tempfile.mkdtemp(prefix="inventur-demo-"))).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    settings = demo_settings(workdir, app.settings)
    app.err.print(f"[bold]inventur demo[/bold] in {workdir}")
    with_portal = portal_for_demo(settings, app.progress)
    if with_portal is not None:
        settings = with_portal
        app.progress(f"publishing to {settings.ckan_url}")
    result = run_demo(settings, seed=seed, progress=app.progress,
                      publish=(lambda s: publish_phase(s, app.progress)) if with_portal is not None else None)

    c, v, q = result.collected, result.validation, result.quality
    console = app.console
    console.print()
    console.print("[bold]Summary[/bold]")
    console.print(f"  survey:      {result.workbooks} workbooks for {result.departments} departments of 3 cities")
    console.print(f"  returns:     {result.returns} departments answered; {c.get('files', 0)} files received, "
                  f"{c.get('read', 0)} read, {c.get('rejected', 0)} rejected (bad files)")
    console.print(f"  inventory:   {c.get('created', 0)} entries; {sum(result.findings.values())} open findings "
                  f"({', '.join(f'{k} {n}' for k, n in sorted(result.findings.items()))}) from reading, "
                  "normalising and validating")
    console.print(f"  feedback:    {result.feedback} feedback workbooks in the departments' outboxes")
    console.print(f"  review:      {result.approved} approved by {DEMO_REVIEWER}, {result.refused} refused by a hard rule"
                  + (f"; {result.waiting} of the approved wait for an access URL (none given, so there is nothing "
                     "to link a distribution to: not in the catalog, not on the portal until a department names one)"
                     if result.waiting else ""))
    skipped = result.catalog.get("skipped_by_reason", {})
    console.print(f"  DCAT-AP.de:  {result.catalog.get('datasets', 0)} datasets"
                  + "".join(f"; {n} left out ({WAITING[r][1] if r in WAITING else r})" for r, n in skipped.items()))
    if q:
        bands = ", ".join(f"{b} {q['bands'].get(b, 0)}" for b in ("excellent", "good", "sufficient", "bad"))
        shapes = ("checked with the official DCAT-AP.de shapes" if q["shapes_checked"] else
                  f"DCAT-AP.de shapes not checked (none in {q['shapes_folder']}: `inventur shapes fetch` gets them)")
        console.print(f"  quality:     mean {q['mean']:.0f} of 405 points ({bands}); URLs not checked (made up); {shapes}")
    if result.published is not None:
        t = result.published.get("totals", {})
        console.print(f"  portal:      {', '.join(f'{k} {n}' for k, n in t.items() if n and k != 'skipped') or 'nothing changed'} "
                      f"({result.published.get('writes', 0)} write calls) at {result.published.get('url')}"
                      + (f"; {result.waiting} approved entries wait for an access URL" if result.waiting else ""))
    console.print()
    console.print("[bold]Where to look[/bold]")
    console.print(f"  share (outboxes, inboxes):  {settings.share_location}")
    console.print(f"  feedback workbooks:         {settings.data_dir / 'feedback'}")
    if v.get("docs"):
        console.print(f"  validation report:          {v['docs']}")
    console.print(f"  DCAT-AP.de catalog:         {result.catalog.get('path')}")
    if result.reports:
        console.print(f"  campaign report (HTML):     {result.reports[0]}")
    console.print(f"  store (SQLite):             {workdir / 'inventur.db'}")
    console.print(f"  try:  {try_command(workdir / 'inventur.db')}")
    if result.published is None:
        console.print("  portal: none running. Start the local CKAN with `inventur portal up` (see the README), "
                      "then run the demo again to publish.")
    else:
        url = result.published.get("url")
        console.print(f"  published datasets (CKAN):  {url}/dataset")
        console.print(f"  by theme:                   {url}/group   by department: {url}/organization")
    for name, seconds in result.steps:
        app.err.print(f"[dim]{name}: {seconds:.1f} s[/dim]")


def try_command(database: Path, command: str = "campaign status") -> str:
    """A command to paste into a shell that shows the demo's store: with the full path of this
    installation's ``inventur`` (``.venv`` is not on a newcomer's PATH)."""
    import shlex
    import shutil
    import sys

    beside = Path(sys.executable).with_name("inventur")
    program = str(beside) if beside.is_file() else shutil.which("inventur") or f"{sys.executable} -m flows"
    return (f"INVENTUR_DATABASE_URL={shlex.quote(f'sqlite:///{database}')} "
            f"{' '.join(shlex.quote(p) for p in program.split(' '))} {command}")


def register(cli: click.Group) -> None:
    cli.add_command(demo)
