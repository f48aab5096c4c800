"""The harvest steps as plain functions over :class:`flows.services.Services`.

The CLI commands call them directly and the Prefect flows wrap them as tasks. Each step builds the
connector from the settings (timeouts), feeds its records to :class:`catalog.harvest.Harvest`, and
validates the inventory afterwards when the harvest changed it. Every step returns the same summary:
``{"sources": [run summary, ...], "failed": [{"name", "error", "exit"}, ...], "validation": {...} | None}``.
:func:`report_rows` and :func:`report_markdown` turn it into the harvest report a team acts on: per source
what was read, created, updated, unchanged, merged and gone, and its findings grouped by code with a few
examples each (the CLI's table, the flow's Prefect artifact).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from flows.services import Services

if TYPE_CHECKING:
    from catalog.harvest import HarvestReport
    from connectors.harvest.sources import SourceConfig

Progress = Callable[[str], None]


def _quiet(_message: str) -> None:
    return None


def _summary(
    services: Services,
    reports: Sequence[HarvestReport],
    *,
    failed: Sequence[Mapping[str, Any]] = (),
    validate: bool,
    progress: Progress,
) -> dict[str, Any]:
    """The step's summary; validation runs when any harvest changed the inventory."""
    validation = None
    if validate and any(r.changed for r in reports):
        from flows.steps.inventory import validate_step

        validation = validate_step(services, progress=progress)
    return {"sources": [r.summary() for r in reports], "failed": list(failed), "validation": validation}


def _bounds(services: Services, what: str) -> dict[str, Any]:
    """The request bounds and the deadline of one harvest, from the settings."""
    from connectors.harvest.http import Deadline, HttpLimits

    settings = services.settings
    limits = HttpLimits(timeout=settings.http_timeout, deadline=settings.http_deadline,
                        max_bytes=settings.harvest_max_mb * 1024 * 1024, max_redirects=settings.http_max_redirects)
    from urllib.parse import urlsplit

    parts = urlsplit(what)
    shown = parts._replace(netloc=parts.netloc.rsplit("@", 1)[-1]).geturl() if "://" in what else what  # no password
    return {"limits": limits, "deadline": Deadline(settings.harvest_deadline, what=f"the harvest of {shown}")}


# The report's figures per source: (summary key, English heading, German heading).
REPORT_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("records", "read", "gelesen"),
    ("created", "created", "neu"),
    ("updated", "updated", "geändert"),
    ("unchanged", "unchanged", "unverändert"),
    ("merged", "merged", "zusammengeführt"),
    ("gone", "gone", "entfernt"),
    ("skipped", "skipped", "übersprungen"),
)


def report_rows(source: Mapping[str, Any]) -> list[int]:
    """A source's figures in the order of :data:`REPORT_COLUMNS` (``gone`` as a count)."""
    return [len(source[key]) if isinstance(source.get(key), list) else int(source.get(key) or 0)
            for key, _en, _de in REPORT_COLUMNS]


def findings_by_code(source: Mapping[str, Any]) -> list[tuple[str, int, list[dict[str, Any]]]]:
    """A source's findings as (code, count, examples), the most frequent code first."""
    counts: Mapping[str, int] = source.get("findings") or {}
    examples: Mapping[str, list[dict[str, Any]]] = source.get("examples") or {}
    return [(code, count, list(examples.get(code) or []))
            for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def example_text(example: Mapping[str, Any], *, lang: str = "en") -> str:
    """One example finding as a line: where (identifier and title, else the record's address) and what."""
    where = " ".join(p for p in (example.get("identifier"), f"„{example['title']}“" if example.get("title") else None)
                     if p) or str(example.get("file") or "")
    message = example.get("message_en" if lang == "en" else "message") or ""
    return f"{where}: {message}" if where else str(message)


def report_markdown(summary: Mapping[str, Any]) -> str:
    """The harvest report as Markdown for the Prefect UI (German, for the cities' open-data teams)."""
    lines = ["# Harvest", ""]
    sources = list(summary.get("sources") or [])
    if sources:
        lines += ["| Quelle | " + " | ".join(de for _k, _en, de in REPORT_COLUMNS) + " | Befunde |",
                  "|---|" + "---:|" * (len(REPORT_COLUMNS) + 1)]
        for source in sources:
            label = str(source.get("name") or source.get("source")).replace("|", "\\|")
            figures = [*report_rows(source), sum((source.get("findings") or {}).values())]
            lines.append(f"| {label} | " + " | ".join(str(f) for f in figures) + " |")
    for failure in summary.get("failed") or []:
        lines += ["", f"**{failure.get('name')}: fehlgeschlagen.** {failure.get('error')}"]
    for source in sources:
        grouped = findings_by_code(source)
        notes = []
        if not source.get("complete", True):
            notes.append("Nicht vollständig gelesen: nichts wurde als entfernt markiert.")
        if source.get("duplicates"):
            notes.append(f"{source['duplicates']} Datensätze stimmen nicht mit derselben Quelle eines anderen "
                         "Katalogs überein (duplicate-across-sources).")
        if not grouped and not notes:
            continue
        lines += ["", f"## {source.get('name') or source.get('source')}", "", *notes]
        for code, count, examples in grouped:
            lines += ["", f"**{code}** ({count})"]
            lines += [f"- {example_text(e, lang='de')}" for e in examples]
    return "\n".join(lines) + "\n"


def _said(report: HarvestReport, progress: Progress) -> HarvestReport:
    progress(
        f"{report.name or report.source}: {report.records} read, {report.created} new, {report.updated} changed, "
        f"{report.unchanged} unchanged, {report.merged} merged, {len(report.gone)} gone, {report.skipped} skipped"
        + ("" if report.complete else " (incomplete read: nothing marked gone)")
    )
    return report


def run_ckan(
    services: Services,
    url: str,
    *,
    city: str,
    organization: str | None = None,
    department: str | None = None,
    departments: Mapping[str, str] | None = None,
    full: bool = False,
    name: str | None = None,
    progress: Progress = _quiet,
) -> HarvestReport:
    """Harvest a CKAN portal (one organisation, or all): incrementally from the last run's high-water mark
    unless ``full``; the portal's complete id list then tells what is gone."""
    from catalog.harvest import Harvest, HarvestTarget, previous_high_water
    from connectors.ckan.source import CkanSource, package_record

    settings = services.settings
    organisation = services.organisation
    target_city = organisation.city(city)
    with CkanSource(url, timeout=settings.http_timeout, **_bounds(services, url)) as source:
        target = HarvestTarget(
            source=source.url, kind="ckan", city=city, department=department, departments=dict(departments or {}),
            scope=frozenset({organization}) if organization else None, name=name,
        )
        since = None
        if not full:
            with services.store.session() as session:
                since = previous_high_water(session, target.source, target.scope)
        harvest = Harvest(services.store, organisation, target, since=since)
        progress(f"{name or source.url}: reading packages" + (f" modified since {since}" if since else " (all)"))
        try:
            for number, page in enumerate(source.package_pages(organization=organization, since=since), start=1):
                harvest.add(package_record(p, portal=source.url, city=target_city) for p in page if p.get("id"))
                progress(f"{name or source.url}: page {number}, {len(page)} packages")
            present = source.package_ids(organization=organization) if since else set(harvest.seen)
        except BaseException as exc:
            harvest.fail(exc)
            raise
    return _said(harvest.finish(present=present), progress)


def run_dcat(
    services: Services,
    location: str,
    *,
    city: str,
    department: str | None = None,
    departments: Mapping[str, str] | None = None,
    max_pages: int | None = None,
    name: str | None = None,
    progress: Progress = _quiet,
) -> HarvestReport:
    """Harvest a DCAT-AP(.de) catalog at a URL or in a file, along its Hydra paging."""
    from catalog.harvest import HarvestTarget, harvest_records
    from connectors.harvest.dcat import DEFAULT_MAX_PAGES, DcatSource

    settings = services.settings
    organisation = services.organisation
    bounds = _bounds(services, location)
    source = DcatSource(location, city=organisation.city(city), timeout=settings.http_timeout,
                        max_pages=max_pages or DEFAULT_MAX_PAGES, max_bytes=bounds["limits"].max_bytes,
                        max_triples=settings.harvest_max_triples, **bounds)
    target = HarvestTarget(source=source.source, kind="dcat", city=city, department=department,
                           departments=dict(departments or {}), name=name)
    try:
        report = harvest_records(services.store, organisation, target, source.pages(),
                                 skipped=lambda: source.skipped, incomplete=lambda: source.incomplete)
    finally:
        source.close()
    progress(f"{name or source.source}: {source.pages_read} pages")
    return _said(report, progress)


def run_sql(
    services: Services,
    url: str,
    *,
    city: str,
    department: str,
    schemas: Sequence[str] = (),
    name: str | None = None,
    progress: Progress = _quiet,
) -> HarvestReport:
    """Propose one entry per table and view of a department's database (origin ``proposal``)."""
    from catalog.harvest import HarvestTarget, harvest_records
    from connectors.harvest.sql import DatabaseSource

    organisation = services.organisation
    organisation.department(city, department)
    with DatabaseSource(url, timeout=services.settings.http_timeout, schemas=schemas,
                        deadline=_bounds(services, url)["deadline"]) as database:
        records = database.records()
        source = database.source
    progress(f"{name or source}: {len(records)} tables and views")
    target = HarvestTarget(source=source, kind="sql", city=city, department=department,
                           scope=frozenset(schemas) if schemas else None, origin="proposal", name=name)
    return _said(harvest_records(services.store, organisation, target, [records]), progress)


def harvest_ckan(services: Services, url: str, *, city: str, organization: str | None = None,
                 department: str | None = None, departments: Mapping[str, str] | None = None, full: bool = False,
                 validate: bool = True, progress: Progress = _quiet) -> dict[str, Any]:
    """Harvest a CKAN portal, then validate (see :func:`run_ckan`)."""
    report = run_ckan(services, url, city=city, organization=organization, department=department,
                      departments=departments, full=full, progress=progress)
    return _summary(services, [report], validate=validate, progress=progress)


def harvest_dcat(services: Services, location: str, *, city: str, department: str | None = None,
                 departments: Mapping[str, str] | None = None, max_pages: int | None = None, validate: bool = True,
                 progress: Progress = _quiet) -> dict[str, Any]:
    """Harvest a DCAT catalog, then validate (see :func:`run_dcat`)."""
    report = run_dcat(services, location, city=city, department=department, departments=departments,
                      max_pages=max_pages, progress=progress)
    return _summary(services, [report], validate=validate, progress=progress)


def harvest_sql(services: Services, url: str, *, city: str, department: str, schemas: Sequence[str] = (),
                validate: bool = True, progress: Progress = _quiet) -> dict[str, Any]:
    """Propose entries from a database, then validate (see :func:`run_sql`)."""
    report = run_sql(services, url, city=city, department=department, schemas=schemas, progress=progress)
    return _summary(services, [report], validate=validate, progress=progress)


def load_harvest_sources(services: Services) -> list[SourceConfig]:
    """The configured sources (``INVENTUR_SOURCES_FILE``)."""
    from connectors.harvest.sources import SourcesFileError, load_sources

    path = services.settings.sources_file
    if path is None:
        raise SourcesFileError("no sources file configured: set INVENTUR_SOURCES_FILE (see harvest-sources.example.yaml)")
    return load_sources(path, services.organisation)


def run_source(services: Services, config: SourceConfig, *, full: bool = False, progress: Progress = _quiet) -> HarvestReport:
    """Harvest one configured source (its URL's ``${NAME}`` placeholders filled from the environment)."""
    url = config.address(os.environ)
    if config.kind == "ckan":
        return run_ckan(services, url, city=config.city, organization=config.organization,
                        department=config.department, departments=config.organisations, full=full, name=config.name,
                        progress=progress)
    if config.kind == "dcat":
        return run_dcat(services, url, city=config.city, department=config.department,
                        departments=config.organisations, max_pages=config.max_pages, name=config.name,
                        progress=progress)
    assert config.department is not None  # checked when the file is loaded
    return run_sql(services, url, city=config.city, department=config.department, schemas=config.schemas,
                   name=config.name, progress=progress)


def due_sources(services: Services, configs: Sequence[SourceConfig], now: dt.datetime | None = None) -> list[SourceConfig]:
    """The sources whose ``schedule`` fired since their last successful harvest (no schedule: always)."""
    from catalog.harvest import last_run_started
    from connectors.cron import due

    now = now or dt.datetime.now(dt.UTC)
    chosen = []
    with services.store.session() as session:
        for config in configs:
            if config.schedule is None or due(config.schedule, last_run_started(session, config.name), now):
                chosen.append(config)
    return chosen


def _store_failure(error: BaseException) -> bool:
    """Whether ``error`` means the store cannot be used (then the step stops), not the source."""
    from sqlalchemy.exc import InterfaceError, OperationalError

    from catalog.store import StoreUnavailable

    return isinstance(error, (StoreUnavailable, OperationalError, InterfaceError))


def harvest_sources(
    services: Services, *, names: Sequence[str] | None = None, full: bool = False, validate: bool = True,
    progress: Progress = _quiet,
) -> dict[str, Any]:
    """Run the configured sources (all enabled ones, or those named), then validate once.

    A source that cannot be reached or read is reported in ``failed`` and does not stop the others.
    """
    from catalog.errors import kind
    from connectors.harvest.http import SourceInvalid, SourceUnavailable, SourceUnreadable
    from connectors.harvest.sources import SourcesFileError, select_sources

    configs = select_sources(load_harvest_sources(services), names)
    reports: list[HarvestReport] = []
    failed: list[dict[str, Any]] = []
    for config in configs:
        try:
            reports.append(run_source(services, config, full=full, progress=progress))
        except (SourceUnavailable, SourceUnreadable, SourceInvalid, SourcesFileError, FileNotFoundError) as exc:
            # "exit": the error's kind (catalog.errors): "remote" when the source fails, "usage" when the call does
            failed.append({"name": config.name, "error": str(exc), "exit": kind(exc)})
            progress(f"{config.name}: failed: {exc}")
        except Exception as exc:  # whatever else one source does wrong, the others still run
            if _store_failure(exc):
                raise
            logging.getLogger(__name__).exception("harvest source %s failed", config.name)
            failed.append({"name": config.name, "error": f"{type(exc).__name__}: {str(exc)[:300]}", "exit": "remote"})
            progress(f"{config.name}: failed: {type(exc).__name__}: {str(exc)[:300]}")
    return _summary(services, reports, failed=failed, validate=validate, progress=progress)
