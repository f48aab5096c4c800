"""The pipeline's steps as plain functions over :class:`flows.services.Services`.

The CLI commands call them directly; the Prefect flows wrap them as tasks. Each step sequences
library calls (catalog/, survey/, connectors/) and returns a summary; none holds business rules.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flows.services import Services

Progress = Callable[[str], None]


def _quiet(_message: str) -> None:
    return None


@dataclass
class BuiltSurvey:
    city: str
    department: str
    file_name: str
    path: Path | None
    location: str | None
    size: int
    sha256: str
    prefilled: int


def build_surveys(
    services: Services,
    *,
    city: str,
    campaign: str,
    department: str | None = None,
    out_dir: Path | None = None,
    distribute: bool = False,
    deadline: dt.date | None = None,
    issued: dt.date | None = None,
    progress: Progress = _quiet,
) -> list[BuiltSurvey]:
    """Build the signed workbook of each department (pre-filled with its known entries), write it to
    ``out_dir`` and/or put it into the department's outbox on the sharing platform (recorded)."""
    import hashlib

    from catalog.inventory import iter_entries
    from catalog.localtime import local_now
    from catalog.models import Delivery
    from survey.signature import TEMPLATE_VERSION
    from survey.template import build_workbook, workbook_name

    organisation = services.organisation
    target = organisation.city(city)
    departments = [organisation.department(city, department)] if department else organisation.departments_of(city)
    secret = services.settings.signing_secret(city)
    issued = issued or local_now().date()  # the day in the cities, not on the server
    built: list[BuiltSurvey] = []
    for dept in departments:
        with services.store.session() as session:
            known = [_prefill_record(e) for e in iter_entries(session, city=city, department=dept.code) if e.gone_at is None]
        data = build_workbook(city=target, department=dept, campaign=campaign, secret=secret, issued=issued,
                              deadline=deadline, known_entries=known)
        name = workbook_name(city, dept.code, campaign)
        path = None
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)
            path = out_dir / name
            path.write_bytes(data)
        location = None
        digest = hashlib.sha256(data).hexdigest()
        if distribute:
            services.share.ensure_department(city, dept.code)
            delivery = services.share.put_outbox(city, dept.code, name, data)
            location = delivery.location
            with services.store.session() as session:
                session.add(Delivery(campaign=campaign, city=city, department=dept.code, file_name=name,
                                     location=location, sha256=digest, size=len(data),
                                     template_version=TEMPLATE_VERSION))
        built.append(BuiltSurvey(city, dept.code, name, path, location, len(data), digest, len(known)))
        progress(f"{name}: {len(known)} known entries")
    return built


def _prefill_record(entry: Any) -> dict[str, Any]:
    from catalog.inventory import entry_record

    record = entry_record(entry)
    record["spatial_scope"] = entry.spatial_scope
    return record


@dataclass
class CollectSummary:
    totals: dict[str, int]
    validation: dict[str, Any] | None
    feedback: list[str] = field(default_factory=list)
    outcomes: list[Any] = field(default_factory=list)
    seconds: float = 0.0


def collect(
    services: Services,
    paths: Sequence[Path] = (),
    *,
    from_share: bool = False,
    validate: bool = True,
    feedback: bool = True,
    progress: Progress = _quiet,
) -> CollectSummary:
    """Collect workbooks from ``paths`` and/or the departments' inboxes, validate the inventory, and
    send each department whose file was read or rejected its feedback workbook."""
    import time

    from catalog.locks import run_lock
    from survey.collect import CollectReport

    started = time.perf_counter()
    collector = services.collector
    reports: list[CollectReport] = []
    with run_lock(services.store.engine, "collect", wait=services.settings.lock_wait):
        if paths:
            reports.append(collector.collect(list(paths)))
            progress(f"read {reports[-1].totals()['files']} files from the given paths")
        if from_share:
            reports.append(_collect_inboxes(services, progress))
    outcomes = [o for r in reports for o in r.outcomes]
    totals: dict[str, int] = {}
    for report in reports:
        for key, value in report.totals().items():
            totals[key] = totals.get(key, 0) + value
    validation = None
    fresh = [o for o in outcomes if o.status in ("read", "rejected")]
    if validate and fresh:
        validation = validate_step(services, progress=progress)
    sent = send_feedback(services, fresh, progress=progress) if feedback else []
    return CollectSummary(totals, validation, sent, outcomes, time.perf_counter() - started)


def _collect_inboxes(services: Services, progress: Progress) -> Any:
    """Read every file in the departments' inboxes (each kept by checksum, so known files cost nothing)."""
    import time

    from catalog.ingest import close_run, open_run
    from survey.collect import CollectReport

    started = time.perf_counter()
    share = services.share
    outcomes = []
    incoming = services.folder("incoming")
    with services.store.session() as session:
        run_id = open_run(session, "collect")
    from connectors.share import ShareError

    status = "failed"
    try:
        for remote in share.list_all_inboxes():
            with tempfile.TemporaryDirectory(dir=incoming) as tmp:
                local = Path(tmp) / remote.name
                try:
                    local.write_bytes(share.read(remote))
                except ShareError as exc:  # one unreadable upload (too large, gone, a link) does not stop the others
                    progress(f"{remote.location}: not read: {exc}")
                    continue
                outcome = services.collector.collect_file(
                    local, sender=f"{remote.city}/{remote.department} inbox", source=remote.location, run_id=run_id
                )
                outcomes.append(outcome)
        status = "ok"
    finally:  # the run is closed whatever happened: its files so far are stored and counted
        report = CollectReport(outcomes, run_id, time.perf_counter() - started)
        with services.store.session() as session:
            close_run(session, run_id, {**report.totals(), "source": share.describe()}, status=status)
    progress(f"read {len(outcomes)} files from the inboxes of {share.describe()}")
    return report


def validate_step(services: Services, *, city: str | None = None, docs: bool = True, force: bool = True,
                  progress: Progress = _quiet) -> dict[str, Any]:
    """Validate the inventory in the store; Data Docs of the run under ``<data_dir>/validation``.
    ``force=False`` skips the run when nothing changed since the last one (scheduled runs)."""
    from catalog.validation.store import validate_inventory

    with services.store.session() as session:
        result = validate_inventory(session, city=city, docs_dir=services.folder("validation") if docs else None,
                                    force=force, chunk_size=services.settings.chunk_size)
    if result.skipped:
        progress(f"validation: nothing changed since run {result.run_id}; its {result.findings} findings stand")
    else:
        progress(f"validated {result.checked} entries: {result.findings} findings in {result.seconds:.1f} s")
    return {
        "checked": result.checked,
        "findings": result.findings,
        "by_severity": result.by_severity,
        "by_code": result.by_code,
        "states": result.states,
        "docs": str(result.docs_index) if result.docs_index else None,
        "seconds": round(result.seconds, 2),
        "skipped": result.skipped,
    }


def send_feedback(services: Services, outcomes: Sequence[Any], *, progress: Progress = _quiet) -> list[str]:
    """A feedback workbook per file that was read or rejected: into the department's outbox and
    ``<data_dir>/feedback/<city>/<department>/``. Returns where each was put.

    Each workbook is built in the collector's sandbox (a child process with a memory limit); when that
    fails, the department gets the summary sheet alone. A file whose feedback cannot be delivered is
    reported and does not stop the others; only an unreachable share stops the step.
    """
    import logging

    from catalog.inventory import findings_for_file, identifiers_for_file
    from connectors.share import ShareError, UnsafeNameError
    from survey.feedback import build_feedback, feedback_name

    sent: list[str] = []
    now = dt.datetime.now(dt.UTC)
    max_cells = services.settings.feedback_max_cells
    for outcome in outcomes:
        if not outcome.city or not outcome.department or outcome.file_id is None:
            continue  # without a known department there is nobody to send it to (the finding stays)
        city = services.organisation.city(outcome.city)
        dept = services.organisation.department(outcome.city, outcome.department)
        with services.store.session() as session:
            found, stored = findings_for_file(session, outcome.file_id)
            identifiers = identifiers_for_file(session, outcome.file_id)
        details = {"city": city, "department": dept, "campaign": outcome.campaign, "file_name": outcome.name,
                   "created": now, "identifiers": identifiers}
        try:
            data = services.collector.sandbox.call(build_feedback, Path(stored), found, max_cells=max_cells, **details)
        except Exception as exc:  # the child ran out of memory or time, or the workbook broke openpyxl
            logging.getLogger(__name__).warning("feedback for %r: cells not marked: %s", outcome.name, exc)
            data = build_feedback(Path(stored), found, max_cells=0, **details)
        name = feedback_name(outcome.name)
        local = services.folder(f"feedback/{city.key}/{dept.code}") / name
        local.write_bytes(data)
        services.share.ensure_department(city.key, dept.code)
        try:
            delivery = services.share.put_outbox(city.key, dept.code, name, data)
        except UnsafeNameError as exc:
            progress(f"feedback {name}: not delivered: {exc}")
            continue
        except ShareError as exc:
            if exc.status is None or exc.status >= 500:
                raise
            progress(f"feedback {name}: not delivered: {exc}")
            continue
        sent.append(delivery.location)
        progress(f"feedback {name}: {len(found)} findings")
    return sent


def export_catalog(
    services: Services,
    out: Path,
    *,
    fmt: str = "turtle",
    city: str | None = None,
    base_uri: str | None = None,
    publishable_only: bool = True,
    scope: str = "open",
    request_url: str | None = None,
    request_email: str | None = None,
) -> dict[str, Any]:
    """Write a DCAT-AP.de catalog (of one city, or all three): ``open``, the publishable entries; ``hvd``,
    those of them with an HVD category (the part the DCAT-AP HVD shapes check); ``protected``, the list of
    protected data (DGA Art. 8) of the entries the review admitted, with ``request_url`` as the page and
    ``request_email`` as the mailbox for re-use requests."""
    from collections import Counter

    from catalog.dcat.export import build_catalog, build_protected_catalog, serialize
    from catalog.review.decisions import catalog_records

    organisation = services.organisation
    from catalog.publish.mapping import CATALOG_DESCRIPTION, CATALOG_PUBLISHER, CATALOG_TITLE

    base = base_uri or services.settings.ckan_url or "http://localhost"
    name = organisation.city(city).name if city else "München, Augsburg und Nürnberg"
    publisher = None if city else CATALOG_PUBLISHER
    if scope == "protected":
        from catalog.protected import protected_records

        with services.store.session() as session:
            records = protected_records(session, city=city)
        export = build_protected_catalog(
            records, organisation, base_uri=base, city=city, request_url=request_url, request_email=request_email,
            publisher_name=publisher,
            catalog_title=f"Verzeichnis geschützter Daten: {name}",
            catalog_description=(
                f"Nicht offene Datenbestände von {name}, die auf Antrag weiterverwendet werden können "
                "(Data Governance Act, Verordnung (EU) 2022/868, Art. 8): Beschreibung, Rechtsgrundlage der "
                "Beschränkung, Bedingungen der Weiterverwendung und wohin Anfragen gehen. Die Daten selbst "
                "sind nicht enthalten."),
        )
    else:
        with services.store.session() as session:
            records = catalog_records(session, city=city, publishable_only=publishable_only)
        if scope == "hvd":
            records = [r for r in records if r.get("hvd_category")]
        hvd_title = " (hochwertige Datensätze)" if scope == "hvd" else ""
        hvd_description = (" Nur die hochwertigen Datensätze (Durchführungsverordnung (EU) 2023/138)."
                           if scope == "hvd" else "")
        export = build_catalog(
            records, organisation, base_uri=base, city=city,
            # for all three cities the portal's own catalog title and description
            catalog_title=(f"Offene Daten: {name}" if city else CATALOG_TITLE) + hvd_title,
            catalog_description=(f"Datenbestände von {name}, aus dem Dateninventar der Städte." if city
                                 else CATALOG_DESCRIPTION) + hvd_description,
            publisher_name=publisher,
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(serialize(export.graph, fmt))  # type: ignore[arg-type]
    reasons = Counter(s.reason for s in export.skipped)
    return {"datasets": len(export.datasets), "skipped": len(export.skipped), "skipped_by_reason": dict(reasons),
            "path": str(out), "scope": scope}


def quality_step(
    services: Services, *, city: str | None = None, online: bool | None = None, shapes: bool = True,
    progress: Progress = _quiet,
) -> Any:
    """Score the inventory on the MQA scheme: URL checks when online, the DCAT-AP.de shapes when found."""
    from catalog.quality.store import assess_inventory
    from connectors.urlcheck import check_urls

    settings = services.settings
    online = settings.url_checks if online is None else online

    def checker(urls: Sequence[str]) -> Any:
        progress(f"checking {len(set(urls))} URLs")
        return check_urls(urls, timeout=min(settings.http_timeout, 10.0), concurrency=8)

    shapes_dir = settings.dcat_shapes() if shapes else None
    with services.store.session() as session:
        report = assess_inventory(session, services.organisation, city=city, check_urls=checker if online else None,
                                  shapes_dir=shapes_dir, chunk_size=services.settings.chunk_size)
    progress(f"scored {sum(g.entries for g in report.cities.values())} entries"
             + ("" if online else " (offline: URL indicators not checked)")
             + ("" if shapes_dir or not shapes else
                f" (DCAT-AP.de shapes not in {settings.shapes_folder()}: shape indicator not checked; "
                "`inventur shapes fetch` gets them)"))
    return report


@dataclass
class HvdOverview:
    """What ``inventur hvd`` shows: the HVD entries with their readiness, and the shapes' verdict when checked."""

    figures: Any  # catalog.hvd.HvdFigures
    shapes: dict[str, list[str]] | None = None
    shapes_dir: Path | None = None


def hvd_step(services: Services, *, city: str | None = None, shapes: bool | None = None,
             base_uri: str | None = None) -> HvdOverview:
    """The High-Value Datasets of the inventory (of one city, or all) with what each still lacks; with the
    DCAT-AP HVD shapes of ``INVENTUR_HVD_SHAPES_DIR`` (``shapes`` None: when set) their export is checked too."""
    from catalog.hvd import hvd_figures, shape_violations

    folder = services.settings.hvd_shapes_dir
    check = (folder is not None) if shapes is None else shapes
    with services.store.session() as session:
        figures = hvd_figures(session, city=city)
        verdict = None
        if check:
            if folder is None:
                raise FileNotFoundError("no DCAT-AP HVD shapes: set INVENTUR_HVD_SHAPES_DIR to the folder with "
                                        "hvd-SHACL.ttl (SEMICeu/DCAT-AP, releases/3.0.0-hvd)")
            base = base_uri or services.settings.ckan_url or "http://localhost"
            verdict = shape_violations(session, services.organisation, folder, city=city, base_uri=base)
    return HvdOverview(figures, verdict, folder if check else None)
