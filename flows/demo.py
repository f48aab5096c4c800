"""The main job on embedded defaults: a whole survey campaign of the three cities, end to end.

Builds the survey for every department, lets simulated data officers fill and return it (with the
messy values and bad files real returns have), collects the returns, writes the feedback workbooks,
validates, approves a realistic share as a named demo reviewer, exports the DCAT-AP.de catalog, scores
the quality, publishes to the local portal when one runs, and only then writes the campaign report, so
that it shows what was published. Everything lands in one work folder.
"""

from __future__ import annotations

import datetime as dt
import os
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flows.services import Services
from flows.settings import Settings

DEMO_CAMPAIGN = "2026-herbst"
DEMO_REVIEWER = "Demo-Prüferin (Open-Data-Team)"


@dataclass
class DemoResult:
    workdir: Path
    departments: int = 0
    workbooks: int = 0
    returns: int = 0
    bad_files: int = 0
    collected: dict[str, int] = field(default_factory=dict)
    validation: dict[str, Any] = field(default_factory=dict)
    approved: int = 0
    refused: int = 0
    waiting: int = 0  # approved, but without an access URL: the portal cannot show them yet
    findings: dict[str, int] = field(default_factory=dict)  # open findings in the store, by severity
    quality: dict[str, Any] = field(default_factory=dict)
    catalog: dict[str, Any] = field(default_factory=dict)
    reports: list[str] = field(default_factory=list)
    published: dict[str, Any] | None = None
    portal_note: str | None = None
    feedback: int = 0
    steps: list[tuple[str, float]] = field(default_factory=list)


def demo_settings(workdir: Path, base: Settings) -> Settings:
    """The embedded defaults: SQLite and a folder share inside ``workdir``; CKAN as configured."""
    return base.model_copy(update={
        "database_url": f"sqlite:///{workdir / 'inventur.db'}",
        "data_dir": workdir / "data",
        "share": str(workdir / "share"),
        "departments_file": base.departments_file,
        "portal_dir": base.portal_folder,  # the local portal stays where `inventur portal up` put it
        "shapes_dir": base.shapes_folder(),  # the shapes stay where `inventur shapes fetch` put them
    })


def portal_for_demo(settings: Settings, progress: Callable[[str], None]) -> Settings | None:
    """Settings that point at a portal to publish to: the configured CKAN, else the local portal when it
    runs; None when there is none."""
    if settings.ckan_url and settings.ckan_token:
        return settings
    from portal.errors import PortalError
    from portal.local import status, up

    state = status(settings.portal_folder)
    if state["ckan"]["status"] != "running":
        return None
    from catalog.publish.mapping import ckan_licences, theme_groups

    venv = os.environ.get("INVENTUR_CKAN_VENV")  # as `inventur portal up` chose it: not switched to another
    try:  # idempotent: a running portal answers at once with its URL and token
        info = up(settings.portal_folder, licenses=ckan_licences(), groups=theme_groups(),
                  port=state["ckan"]["port"] or 5050, venv=Path(venv) if venv else None)
    except PortalError as exc:
        progress(f"local portal not usable: {exc}")
        return None
    from pydantic import SecretStr

    return settings.model_copy(update={"ckan_url": info.url, "ckan_token": SecretStr(info.token)})


def publish_phase(services: Services, progress: Callable[[str], None]) -> dict[str, Any]:
    """Publish the approved entries to the portal; the counts per action and where to look."""
    from flows.steps.publish import publish

    summary = publish(services, progress=progress)
    record = summary.as_record()
    record["url"] = services.settings.ckan_url
    return record


def build_phase(services: Services, result: DemoResult, progress: Callable[[str], None]) -> None:
    """Build the survey of every department of the three cities and put it into its outbox."""
    from flows.steps.inventory import build_surveys

    for city in services.organisation.cities:
        built = build_surveys(services, city=city.key, campaign=DEMO_CAMPAIGN, distribute=True,
                              deadline=dt.date.today() + dt.timedelta(days=42))
        result.workbooks += len(built)
        progress(f"{city.name}: {len(built)} survey workbooks in the departments' outboxes")


def return_phase(services: Services, result: DemoResult, rng: random.Random, rows: tuple[int, int],
                 progress: Callable[[str], None]) -> None:
    """Simulated data officers fill the workbook and drop it into their inbox (some send a bad file)."""
    from survey.simulation import BAD_FILE_KINDS, bad_file, fill_workbook, realistic_rows

    organisation = services.organisation
    share_root = Path(services.settings.share_location)
    departments = list(organisation.departments)
    result.departments = len(departments)
    answering = [d for d in departments if rng.random() < 0.85]  # some departments do not answer
    bad_kinds = iter(BAD_FILE_KINDS)
    for index, dept in enumerate(answering):
        city = organisation.city(dept.city)
        outbox = share_root / city.key / dept.code / "outbox" / f"{city.key}_{dept.code}_{DEMO_CAMPAIGN}.xlsx"
        template = outbox.read_bytes()
        inbox = share_root / city.key / dept.code / "inbox"
        if index % 11 == 5:  # now and then a department sends the wrong file first
            kind = next(bad_kinds, None)
            if kind is not None:
                suffix, data = bad_file(kind, template)
                (inbox / f"Fragebogen_{dept.code}{suffix}").write_bytes(data)
                result.bad_files += 1
        filled = fill_workbook(template, realistic_rows(city, dept, rng.randint(*rows), rng, messy=0.3, broken=0.06))
        (inbox / outbox.name).write_bytes(filled)
        result.returns += 1
    progress(f"{result.returns} of {len(departments)} departments returned the survey "
             f"({result.bad_files} sent a bad file too)")


def collect_phase(services: Services, result: DemoResult, progress: Callable[[str], None]) -> None:
    """Collect every inbox, validate the inventory, send the feedback workbooks."""
    from flows.steps.inventory import collect

    summary = collect(services, from_share=True, progress=progress)
    result.collected = summary.totals
    result.validation = summary.validation or {}
    result.feedback = len(summary.feedback)
    result.findings = stored_findings(services)


def stored_findings(services: Services) -> dict[str, int]:
    """The open findings in the store by severity: of reading, normalising and validating alike."""
    from sqlalchemy import func, select

    from catalog.models import FindingRow

    with services.store.session() as session:
        rows = session.execute(select(FindingRow.severity, func.count()).where(FindingRow.is_open.is_(True))
                               .group_by(FindingRow.severity))
        return {severity: count for severity, count in rows}


def quality_phase(services: Services, result: DemoResult, progress: Callable[[str], None]) -> None:
    """Score every entry (MQA) with the official DCAT-AP.de shapes when they are there; offline, as the
    simulated departments' URLs are made up and nobody should be asked for them."""
    from flows.steps.inventory import quality_step

    report = quality_step(services, online=False, progress=progress)
    entries = sum(g.entries for g in report.cities.values())
    bands: dict[str, int] = {}
    for group in report.cities.values():
        for name, count in group.bands.items():
            bands[name] = bands.get(name, 0) + count
    result.quality = {
        "entries": entries,
        "mean": sum(g.total for g in report.cities.values()) / entries if entries else 0.0,
        "bands": bands,
        "shapes_checked": report.shapes_checked,
        "shapes_folder": str(services.settings.shapes_folder()),
    }


def catalog_phase(services: Services, result: DemoResult, progress: Callable[[str], None]) -> None:
    """Export the publishable entries as the DCAT-AP.de catalog."""
    from flows.steps.inventory import export_catalog

    result.catalog = export_catalog(services, services.folder("catalog") / "catalog.ttl")
    progress(f"DCAT-AP.de catalog with {result.catalog['datasets']} datasets: {result.catalog['path']}")


def report_phase(services: Services, result: DemoResult, progress: Callable[[str], None]) -> None:
    """The campaign report: an HTML page and an xlsx workbook per city and for the three together."""
    from flows.steps.report import report_step

    written = report_step(services, campaign=DEMO_CAMPAIGN)
    result.reports = [str(p) for p in written.pages.values()]
    progress(f"campaign report: {len(written.paths)} files in {written.out_dir}")


def run_demo(
    settings: Settings,
    *,
    seed: int = 2026,
    rows: tuple[int, int] = (4, 12),
    progress: Callable[[str], None] = lambda _m: None,
    publish: Callable[[Services], dict[str, Any]] | None = None,
) -> DemoResult:
    """Run the whole campaign as a Prefect flow (no separate server needed: Prefect starts its own)."""
    from prefect import flow, task
    from prefect.cache_policies import NO_CACHE

    rng = random.Random(seed)
    services = Services(settings)
    result = DemoResult(workdir=settings.data_dir.parent)

    def timed(name: str, phase: Callable[..., Any], *args: Any) -> None:
        import time

        started = time.perf_counter()
        wrapped: Any = task(name=name, cache_policy=NO_CACHE)(phase)
        wrapped(*args)
        result.steps.append((name, time.perf_counter() - started))

    @flow(name="demo-campaign")
    def demo_campaign() -> None:
        timed("build and distribute the survey", build_phase, services, result, progress)
        timed("departments fill and return the survey", return_phase, services, result, rng, rows, progress)
        timed("collect, feedback, validate", collect_phase, services, result, progress)
        timed("review", lambda: _record_review(services, result, rng, progress))
        timed("DCAT-AP.de catalog", catalog_phase, services, result, progress)
        timed("quality score", quality_phase, services, result, progress)
        if publish is not None:
            timed("publish to CKAN", lambda: setattr(result, "published", publish(services)))
        # last: the report shows what the steps before did, publication included
        timed("campaign report", report_phase, services, result, progress)

    demo_campaign()
    services.close()
    return result


def _record_review(services: Services, result: DemoResult, rng: random.Random, progress: Callable[[str], None]) -> None:
    result.approved, result.refused, result.waiting = _approve_share(services, rng, progress)


def _approve_share(services: Services, rng: random.Random, progress: Callable[[str], None]) -> tuple[int, int, int]:
    """The demo reviewer approves most entries that are ready and proposed for publication."""
    from sqlalchemy import select

    from catalog.models import Entry
    from catalog.review import decisions as review

    approved = refused = waiting = 0
    with services.store.session() as session:
        ready = session.scalars(
            select(Entry.identifier).where(Entry.status == "ready", Entry.publish_proposal == "yes").order_by(Entry.identifier)
        ).all()
    for identifier in ready:
        if rng.random() > 0.8:
            continue  # the team has not got to it yet
        with services.store.session() as session:
            try:
                decided = review.approve(session, identifier, DEMO_REVIEWER, comment="Geprüft im Demo-Lauf")
                approved += 1
                waiting += bool(decided.waiting)
            except review.ReviewError:
                refused += 1
    progress(f"review: {approved} entries approved by {DEMO_REVIEWER} ({waiting} of them wait for an access URL), "
             f"{refused} refused by a hard rule")
    return approved, refused, waiting
