"""The publish step: the reviewed inventory onto one or several CKAN portals.

Per portal: read the portal's packages of our organisations (``package_search`` in pages) and the
entries from the store, let :func:`catalog.publish.plan.plan_publication` decide, then apply the plan with
a bounded number of threads (withdrawals first), record a :class:`~catalog.models.Publication` per
action, turn CKAN's refusals into findings on the entry (stage ``publish``) and mark approved entries
``published`` once their package is on the portal. A dry run reads both sides, plans, and writes nothing
anywhere.

Crash safety: results are recorded in small batches while the run goes on. A run stopped halfway (the
portal or this process died) is completed by the next run: the portal's state is read again, a package
created whose answer was lost is found and confirmed (``package_show``) instead of created twice, and
package ids follow from the identifiers, so that a retried create can only meet the same package.

Several portals: each city can publish to its own CKAN (``INVENTUR_CKAN_URL_<CITY>``, token
``INVENTUR_CKAN_TOKEN_<CITY>``), the others go to ``INVENTUR_CKAN_URL``; cities on the same URL share one
plan and one set of reads.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flows.services import Services
from flows.settings import CITY_KEYS, Settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from catalog.dcat_compare import Verification
    from catalog.models import Entry
    from catalog.organisation import Organisation
    from catalog.publish.plan import EntryState, PlannedAction, PublishPlan, RemotePackage
    from connectors.ckan import CkanPortal, WriteResult

Progress = Callable[[str], None]

# What happened to each planned action (the counts of a summary, in this order).
RESULTS: tuple[str, ...] = ("created", "updated", "restored", "withdrawn", "unchanged", "failed", "skipped")
_PLANNED_RESULT = {
    "create": "created", "update": "updated", "restore": "restored", "withdraw": "withdrawn", "unchanged": "unchanged",
}
ACTOR = "inventur publish"
_FLUSH_EVERY = 50  # results per store transaction while applying
_SERVER_ERRORS_IN_A_ROW = 8  # consecutive 5xx failures (after retries) that stop a run: the portal is broken
_CREATE_ATTEMPTS = 2  # creates of one package per run (a second when the package vanished while being updated)


def _quiet(_message: str) -> None:
    return None


class PublishConfigError(ValueError):
    """Publishing is not configured: no CKAN URL for a city that is to be published."""


class PortalUnreachable(Exception):
    """A CKAN portal could not be reached or read; what was done before is recorded in ``summary``."""

    def __init__(self, message: str, summary: PublishSummary) -> None:
        super().__init__(message)
        self.summary = summary


@dataclass(frozen=True)
class PortalTarget:
    """One portal and the cities that publish to it (the token is never shown)."""

    url: str
    token: str | None = field(repr=False)
    cities: tuple[str, ...]


@dataclass
class PublishedItem:
    """What happened to one planned action: ``result`` is one of :data:`RESULTS` (``failed`` with ``error``
    and CKAN's ``field_errors``); ``link`` is the dataset's page on the portal."""

    identifier: str
    action: str
    result: str
    package: str
    reason: str
    detail: str = ""
    link: str | None = None
    error: str | None = None
    field_errors: dict[str, list[str]] = field(default_factory=dict)
    remote_id: str | None = None
    attempted: bool = True
    server_error: bool = False
    unreachable: bool = False
    creates: int = field(default=0, repr=False)

    def as_record(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "identifier": self.identifier, "action": self.action, "result": self.result, "package": self.package,
            "reason": self.reason, "detail": self.detail or None, "link": self.link, "error": self.error,
            "field_errors": self.field_errors or None,
        }


@dataclass
class PortalSummary:
    """The outcome on one portal: counts per result, skips per reason, the items, writes on the wire."""

    portal: str
    cities: list[str]
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RESULTS, 0))
    skipped: dict[str, int] = field(default_factory=dict)
    items: list[PublishedItem] = field(default_factory=list)
    skips: list[dict[str, Any]] = field(default_factory=list)
    organisations_created: list[str] = field(default_factory=list)
    writes: int = 0
    reads: int = 0
    seconds: float = 0.0
    unreachable: str | None = None
    problems: list[str] = field(default_factory=list)
    verification: Verification | None = None

    def as_record(self) -> dict[str, Any]:
        """JSON-ready (items that changed something or failed; unchanged ones only as a count)."""
        return {
            "verification": self.verification.as_record() if self.verification is not None else None,
            "portal": self.portal,
            "cities": self.cities,
            "counts": self.counts,
            "skipped": self.skipped,
            "organisations_created": self.organisations_created,
            "writes": self.writes,
            "reads": self.reads,
            "seconds": round(self.seconds, 3),
            "unreachable": self.unreachable,
            "problems": self.problems,
            "items": [i.as_record() for i in self.items if i.result != "unchanged"],
            "skips": self.skips,
        }


@dataclass
class PublishSummary:
    """The outcome of a publish run over all portals (``dry_run``: what would happen)."""

    dry_run: bool
    portals: list[PortalSummary] = field(default_factory=list)
    run_id: int | None = None
    seconds: float = 0.0

    def totals(self) -> dict[str, int]:
        """Counts per result over all portals."""
        total: Counter[str] = Counter()
        for portal in self.portals:
            total.update(portal.counts)
        return {key: total.get(key, 0) for key in RESULTS}

    @property
    def failed(self) -> int:
        """How many actions failed (on any portal)."""
        return self.totals()["failed"]

    @property
    def writes(self) -> int:
        """Write requests sent to the portals."""
        return sum(p.writes for p in self.portals)

    @property
    def verified_ok(self) -> bool:
        """No verification of a portal found a problem (True when nothing was verified)."""
        return all(p.verification is None or p.verification.ok for p in self.portals)

    def as_record(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "dry_run": self.dry_run,
            "run_id": self.run_id,
            "seconds": round(self.seconds, 3),
            "totals": self.totals(),
            "writes": self.writes,
            "portals": [p.as_record() for p in self.portals],
        }


# --------------------------------------------------------------------------- portals


def portal_targets(settings: Settings, city: str | None = None) -> list[PortalTarget]:
    """The portals to publish to and their cities: a city's own URL (and token) where configured, else the
    default ``INVENTUR_CKAN_URL``. Raises :class:`PublishConfigError` when a city has no portal."""
    cities = [city] if city else list(CITY_KEYS)
    grouped: dict[tuple[str, str | None], list[str]] = {}
    missing = []
    for key in cities:
        url: str | None = getattr(settings, f"ckan_url_{key}", None) or settings.ckan_url
        if not url:
            missing.append(key)
            continue
        secret = getattr(settings, f"ckan_token_{key}", None) or settings.ckan_token
        token = secret.get_secret_value() if secret is not None else None
        grouped.setdefault((url.rstrip("/"), token), []).append(key)
    if missing:
        raise PublishConfigError(
            f"no CKAN portal configured for {', '.join(missing)}: set INVENTUR_CKAN_URL (and INVENTUR_CKAN_TOKEN), "
            "or INVENTUR_CKAN_URL_<CITY> for a city's own portal"
        )
    return [PortalTarget(url, token, tuple(keys)) for (url, token), keys in grouped.items()]


def connect(target: PortalTarget, settings: Settings) -> CkanPortal:
    """The real client of a portal, with the configured timeout and concurrency."""
    from connectors.ckan import RemoteCkanPortal

    return RemoteCkanPortal(target.url, target.token, timeout=settings.http_timeout,
                            concurrency=settings.publish_concurrency)


# --------------------------------------------------------------------------- reading the store


def _iso(moment: dt.datetime | None) -> str | None:
    from catalog.records import moment_text

    return moment_text(moment)


def _record(entry: Entry) -> dict[str, Any]:
    from catalog.inventory import entry_record

    record = entry_record(entry)
    record["issued"] = _iso(entry.created_at)
    record["modified"] = _iso(entry.updated_at)
    return record


def _chunks(values: Sequence[int], size: int = 900) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def read_entry_states(session: Session, *, cities: Sequence[str], portal: str) -> list[EntryState]:
    """The entries of ``cities`` with what the planner needs, read in bulk (a few queries, not per entry)."""
    from sqlalchemy import func, select

    from catalog.fields import RECORD_KEYS
    from catalog.inventory import iter_entries
    from catalog.models import EntryVersion, Publication, ReviewDecision
    from catalog.publish.plan import OPEN_STATES, ApprovedVersion, EntryState
    from catalog.review import APPROVE, PUBLISH, REJECT, REOPEN, WITHDRAW, publication_facts

    entries = [e for c in cities for e in iter_entries(session, city=c)]
    facts = publication_facts(session)

    # entries changed after an approval: the approval still stands when no later decision undid it
    reopened = [e.id for e in entries if e.status in OPEN_STATES]
    standing: dict[int, int] = {}  # entry id -> approved version
    for chunk in _chunks(reopened):
        last: dict[int, ReviewDecision] = {}
        for decision in session.scalars(
            select(ReviewDecision)
            .where(ReviewDecision.entry_id.in_(list(chunk)),
                   ReviewDecision.decision.in_([APPROVE, PUBLISH, REJECT, WITHDRAW, REOPEN]))
            .order_by(ReviewDecision.id)
        ):
            last[decision.entry_id] = decision
        standing.update({i: d.entry_version for i, d in last.items() if d.decision in (APPROVE, PUBLISH)})
    approved_data: dict[int, tuple[dict[str, Any], dt.datetime]] = {}
    for chunk in _chunks(list(standing)):
        for version in session.scalars(select(EntryVersion).where(EntryVersion.entry_id.in_(list(chunk)))):
            if standing.get(version.entry_id) == version.version:
                approved_data[version.entry_id] = (dict(version.data or {}), version.created_at)

    # what this portal confirmed before: the last successful publication per entry
    latest = (
        select(func.max(Publication.id))
        .where(Publication.portal == portal, Publication.ok.is_(True))
        .group_by(Publication.entry_id)
    )
    confirmed: dict[int, tuple[str, str | None]] = {
        int(entry_id): (str(action), digest)
        for entry_id, action, digest in session.execute(
            select(Publication.entry_id, Publication.action, Publication.content_hash)
            .where(Publication.id.in_(latest))
        )
    }

    states = []
    for entry in entries:
        errors, cleared = facts.get(entry.id, (0, False))
        approved = None
        if entry.id in approved_data:
            data, created = approved_data[entry.id]
            record = {key: data.get(key) for key in RECORD_KEYS}
            record.update(identifier=entry.identifier, city=entry.city, department=entry.department,
                          status=entry.status, quality_score=entry.quality_score,
                          issued=_iso(entry.created_at), modified=_iso(created))
            approved = ApprovedVersion(standing[entry.id], record)
        last_action, digest = confirmed.get(entry.id, (None, None))
        states.append(EntryState(
            entry_id=entry.id,
            identifier=entry.identifier,
            status=entry.status,
            version=entry.version,
            record=_record(entry),
            open_errors=errors,
            rights_cleared=cleared,
            gone=entry.gone_at is not None,
            approved=approved,
            confirmed_hash=digest if last_action not in (None, "withdraw") else None,
            known_on_portal=last_action is not None,
        ))
    return states


# --------------------------------------------------------------------------- applying


class _Applier:
    """Carries out planned actions on one portal; called from several threads at once."""

    def __init__(self, portal: CkanPortal, organisations: set[str], stop: threading.Event) -> None:
        self.portal = portal
        self.organisations = organisations
        self.stop = stop

    def link(self, name: str) -> str:
        return f"{self.portal.url}/dataset/{name}"

    def __call__(self, planned: PlannedAction) -> PublishedItem:
        from connectors.ckan import CkanUnavailable

        item = PublishedItem(planned.identifier, planned.action, "failed", planned.package_name, planned.reason,
                             planned.detail)
        if self.stop.is_set():
            item.attempted = False
            item.error = "not attempted: the run was stopped (portal unreachable)"
            return item
        try:
            self._apply(planned, item)
        except CkanUnavailable as exc:
            item.result, item.error, item.unreachable = "failed", str(exc), True
            self.stop.set()
        return item

    def _apply(self, planned: PlannedAction, item: PublishedItem) -> None:
        if planned.action == "withdraw":
            assert planned.remote is not None
            result = self.portal.delete_package(planned.remote.id)
            if result.ok or result.not_found:
                item.result, item.remote_id = "withdrawn", planned.remote.id
            else:
                self._failed(item, result)
        elif planned.action == "update":
            assert planned.remote is not None
            self._update(planned, planned.remote, item, "updated")
        elif planned.action == "create":
            self._create(planned, item)
        elif planned.action == "restore":
            assert planned.package is not None
            shown = self.portal.show_package(planned.package["name"]) or self.portal.show_package(planned.package["id"])
            self._settle(planned, shown, item, create_if_missing=True)
        elif planned.verify:
            assert planned.remote is not None
            shown = self.portal.show_package(planned.remote.id)
            self._settle(planned, shown, item, create_if_missing=True)
        else:  # unchanged: nothing to do on the portal
            item.result = "unchanged"
            item.remote_id = planned.remote.id if planned.remote else None
            item.link = self.link(planned.package_name)
            item.attempted = False

    def _ours(self, package: Mapping[str, Any] | None, identifier: str) -> bool:
        from catalog.publish.plan import RemotePackage

        if package is None:
            return False
        remote = RemotePackage.from_ckan(package)
        return remote.organisation in self.organisations and remote.identifier == identifier

    def _create(self, planned: PlannedAction, item: PublishedItem) -> None:
        assert planned.package is not None
        item.creates += 1
        if item.creates > _CREATE_ATTEMPTS:
            item.result, item.error = "failed", "gave up: the package kept changing on the portal while it was written"
            return
        result = self.portal.create_package(planned.package)
        if result.ok:
            package = result.package or {}
            item.result, item.remote_id = "created", package.get("id") or planned.package.get("id")
            item.link = self.link(planned.package["name"])
            return
        if result.field_errors.get("name") or result.field_errors.get("id"):
            # the name or id is taken: by our own package (an earlier attempt went through) or another one
            shown = self.portal.show_package(planned.package["id"]) or self.portal.show_package(planned.package["name"])
            if shown is not None:
                self._settle(planned, shown, item, create_if_missing=False)
                return
        self._failed(item, result)

    def _settle(self, planned: PlannedAction, shown: dict[str, Any] | None, item: PublishedItem,
                *, create_if_missing: bool) -> None:
        """Bring a package found on the portal (or missing there) to the planned content."""
        from catalog.publish.plan import RemotePackage

        assert planned.package is not None
        if shown is None or shown.get("state") == "unknown":
            if shown is None and create_if_missing:
                self._create(planned, item)
                return
            item.error = f"the name {planned.package['name']} is taken on the portal by a package that is not ours"
            item.field_errors = {"name": [f"{planned.package['name']} is used by another package"]}
            return
        if not self._ours(shown, planned.identifier):
            item.error = f"the name {planned.package['name']} is taken on the portal by a package that is not ours"
            item.field_errors = {"name": [f"{planned.package['name']} is used by a package of another organisation"]}
            return
        remote = RemotePackage.from_ckan(shown)
        if remote.state == "active" and remote.content_hash == planned.content_hash and (
            remote.organisation == planned.package["owner_org"]
        ):
            item.result, item.remote_id, item.link = "unchanged", remote.id, self.link(remote.name)
            return
        self._update(planned, remote, item, "restored" if remote.state != "active" else "updated")

    def _update(self, planned: PlannedAction, remote: RemotePackage, item: PublishedItem, done: str) -> None:
        assert planned.package is not None
        package = _with_remote_ids(planned.package, remote)
        if remote.state != "active":
            package["state"] = "active"
        result = self.portal.update_package(package)
        if result.ok:
            item.result, item.remote_id, item.link = done, remote.id, self.link(package["name"])
        elif result.not_found:
            self._create(planned, item)
        else:
            self._failed(item, result)

    @staticmethod
    def _failed(item: PublishedItem, result: WriteResult) -> None:
        item.result = "failed"
        item.error = result.error
        item.field_errors = dict(result.field_errors)
        item.server_error = result.server_error


def _with_remote_ids(package: Mapping[str, Any], remote: RemotePackage) -> dict[str, Any]:
    """The package to write over ``remote``: its id. Resources keep the ids the mapping gives them (stable,
    derived from identifier and format), so their URLs stay and CKAN never guesses a format for them."""
    result = dict(package)
    result["id"] = remote.id
    return result


# --------------------------------------------------------------------------- recording


def _recordable(item: PublishedItem, planned: PlannedAction) -> bool:
    """Whether a result is recorded as a publication: everything tried on the portal, and an unchanged
    package whose entry becomes ``published`` by it; not what was never tried or had nothing to do."""
    return item.attempted or (item.result == "unchanged" and planned.mark_published)


class _Recorder:
    """Writes the results into the store in small transactions: publications, findings, published states."""

    def __init__(self, services: Services, run_id: int, portal: str, plan: PublishPlan,
                 entries: Mapping[int, tuple[str, str]]) -> None:
        self.services = services
        self.run_id = run_id
        self.portal = portal
        self.planned: dict[tuple[str, str], PlannedAction] = {(a.identifier, a.package_name): a for a in plan.actions}
        self.entries = entries  # entry id -> (city, department)
        self.pending: list[PublishedItem] = []
        self.problems: list[str] = []

    def add(self, item: PublishedItem) -> None:
        self.pending.append(item)
        if len(self.pending) >= _FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        from catalog.inventory import add_findings_of, close_findings
        from catalog.models import Entry, Publication, utcnow
        from catalog.publish.plan import PUBLISH_STAGE, rejection_findings
        from catalog.review import ReviewError, mark_published

        items, self.pending = self.pending, []
        with self.services.store.session() as session:
            rows = []
            settled: list[int] = []
            refused: list[tuple[Entry | None, list[Any]]] = []
            to_mark: list[tuple[str, str]] = []
            now = utcnow()
            for item in items:
                planned = self.planned.get((item.identifier, item.package))
                if planned is None or planned.entry_id is None or not _recordable(item, planned):
                    continue
                ok = item.result != "failed"
                action = {"created": "create", "updated": "update", "restored": "restore", "withdrawn": "withdraw",
                          "unchanged": "unchanged"}.get(item.result, "failed")
                rows.append(Publication(
                    run_id=self.run_id, entry_id=planned.entry_id,
                    entry_version=planned.entry_version or 0, portal=self.portal, package_name=item.package[:100],
                    action=action, content_hash=planned.content_hash if action != "withdraw" else None,
                    remote_id=(item.remote_id or None), ok=ok, error=item.error, published_at=now,
                ))
                if planned.action == "withdraw" and planned.reason == "duplicate":
                    continue  # a duplicate's withdrawal says nothing about the entry itself
                if ok:
                    settled.append(planned.entry_id)
                    if planned.mark_published and item.result != "withdrawn":
                        to_mark.append((item.identifier, item.link or ""))
                elif item.field_errors and not item.unreachable:
                    city, department = self.entries.get(planned.entry_id, (None, None))
                    entry = session.get(Entry, planned.entry_id)
                    settled.append(planned.entry_id)  # earlier refusals are replaced by this one
                    refused.append((entry, rejection_findings(
                        item.field_errors, identifier=item.identifier, city=city, department=department,
                        message=item.error)))
            session.add_all(rows)
            if settled:
                close_findings(session, entry_ids=sorted(set(settled)), stages=[PUBLISH_STAGE])
            if refused:
                add_findings_of(session, refused, stage=PUBLISH_STAGE, run_id=self.run_id)
            session.flush()
            for identifier, link in to_mark:
                try:
                    mark_published(session, identifier, ACTOR, link or None)
                except ReviewError as exc:
                    self.problems.append(f"{identifier}: on the portal, but not marked published: {exc}")


# --------------------------------------------------------------------------- the step


def publish(
    services: Services,
    *,
    city: str | None = None,
    dry_run: bool = False,
    progress: Progress = _quiet,
    on_result: Callable[[PublishedItem], None] | None = None,
    connect_portal: Callable[[PortalTarget, Settings], CkanPortal] | None = None,
    verify: bool = False,
) -> PublishSummary:
    """Publish the reviewed inventory (of one city, or all) to its CKAN portal(s); see the module docstring.

    ``dry_run`` plans and reports without writing to a portal or the store. ``on_result`` is called (in
    this thread) with each action's result as it arrives; ``connect_portal`` builds a portal's client
    (default: the real one). ``verify`` reads each portal's DCAT afterwards and holds it against the export
    (:mod:`flows.steps_verify`; in a dry run only the packages already as planned, and no findings stored).
    Raises :class:`PublishConfigError` when a city has no portal configured and
    :class:`PortalUnreachable` (with the summary of what was done) when a portal cannot be reached.
    """
    from catalog.locks import run_lock

    started = time.perf_counter()
    targets = portal_targets(services.settings, city)
    summary = PublishSummary(dry_run=dry_run)
    build = connect_portal or connect
    if dry_run:
        for target in targets:
            summary.portals.append(_publish_to(services, target, build, None, progress, on_result, verify))
    else:
        from catalog.inventory import finish_run, start_run

        with run_lock(services.store.engine, "publish", wait=services.settings.lock_wait):
            with services.store.session() as session:
                summary.run_id = start_run(session, "publish").id
            status = "error"  # unless the loop completes
            try:
                for target in targets:
                    summary.portals.append(_publish_to(services, target, build, summary.run_id, progress, on_result,
                                                       verify))
                unreachable = [p.unreachable for p in summary.portals if p.unreachable]
                status = "unreachable" if unreachable else ("failed" if summary.failed else "ok")
            finally:
                with services.store.session() as session:
                    from catalog.models import Run

                    run = session.get(Run, summary.run_id)
                    if run is not None:
                        finish_run(session, run, summary.as_record() | {"portals": [
                            {k: v for k, v in p.as_record().items() if k not in ("items", "skips")}
                            for p in summary.portals]}, status=status)
    summary.seconds = time.perf_counter() - started
    unreachable = [p.unreachable for p in summary.portals if p.unreachable]
    if unreachable:
        raise PortalUnreachable("; ".join(u for u in unreachable if u), summary)
    return summary


def _publish_to(
    services: Services,
    target: PortalTarget,
    build: Callable[[PortalTarget, Settings], CkanPortal],
    run_id: int | None,
    progress: Progress,
    on_result: Callable[[PublishedItem], None] | None,
    verify: bool = False,
) -> PortalSummary:
    """Plan and (unless ``run_id`` is None: a dry run) apply on one portal; then verify when asked."""
    from catalog.publish.mapping import organisation_name
    from catalog.publish.plan import RemotePackage, plan_publication
    from connectors.ckan import CkanUnavailable

    started = time.perf_counter()
    out = PortalSummary(portal=target.url, cities=list(target.cities))
    organisation = services.organisation
    ours = {organisation_name(d) for c in target.cities for d in organisation.departments_of(c)}
    portal = build(target, services.settings)
    try:
        try:
            progress(f"{target.url}: reading the packages of {len(ours)} organisations")
            existing_orgs = portal.organisation_names()
            remote = [RemotePackage.from_ckan(p) for p in portal.iter_packages(sorted(ours))]
        except CkanUnavailable as exc:
            out.unreachable = str(exc)
            return out
        with services.store.session() as session:
            if run_id is not None:
                _close_superseded_findings(session)
            states = read_entry_states(session, cities=target.cities, portal=target.url)
            plan = plan_publication(states, remote, organisation, organisations=ours, base_uri=target.url)
        entry_places = {s.entry_id: (str(s.record.get("city")), str(s.record.get("department"))) for s in states}
        counts = plan.counts()
        progress(f"{target.url}: {len(remote)} packages of ours, {len(states)} entries; plan: "
                 + ", ".join(f"{counts[a]} {a}" for a in ("withdraw", "restore", "update", "create", "unchanged"))
                 + f", {counts['skipped']} skipped")
        out.skipped = plan.skipped_by_reason()
        out.counts["skipped"] = len(plan.skipped)
        out.skips = [{"identifier": s.identifier, "reason": s.reason, "message": s.message} for s in plan.skipped]
        needed = _organisations_needed(plan, organisation)
        if run_id is None:
            for planned in plan.actions:
                item = PublishedItem(planned.identifier, planned.action, _PLANNED_RESULT[planned.action],
                                     planned.package_name, planned.reason, planned.detail, attempted=False,
                                     link=f"{target.url}/dataset/{planned.package_name}")
                out.items.append(item)
                out.counts[item.result] += 1
            out.organisations_created = sorted(set(needed) - existing_orgs)
            if verify:
                _verify(services, portal, [a for a in plan.actions if a.action == "unchanged"], out, None, progress)
            return out
        try:
            _apply(services, portal, plan, needed, existing_orgs, out, run_id, entry_places, ours, progress, on_result)
        except CkanUnavailable as exc:
            out.unreachable = str(exc)
        if verify and out.unreachable is None:
            from flows.steps_verify import expected_actions

            failed = {(i.identifier, i.package) for i in out.items if i.result == "failed"}
            withdrawn = [a.entry_id for a in plan.actions if a.action == "withdraw" and a.entry_id is not None]
            _verify(services, portal, expected_actions(plan, failed), out, run_id, progress, withdrawn)
        return out
    finally:
        out.writes = getattr(portal, "writes", 0)
        out.reads = getattr(portal, "reads", 0)
        out.seconds = time.perf_counter() - started
        portal.close()


def _verify(services: Services, portal: CkanPortal, actions: Sequence[PlannedAction], out: PortalSummary,
            run_id: int | None, progress: Progress, withdrawn: Sequence[int] = ()) -> None:
    from connectors.ckan import CkanUnavailable
    from flows.steps_verify import verify_portal

    try:
        out.verification = verify_portal(services, portal, actions, run_id=run_id, progress=progress,
                                         withdrawn=withdrawn)
    except CkanUnavailable as exc:
        out.unreachable = f"verifying: {exc}"
    except Exception as exc:  # the packages are written and recorded: a failed check must not redo that
        from catalog.dcat_compare import Verification

        out.verification = Verification(portal=portal.url, problems=[
            f"the verification could not be completed: {type(exc).__name__}: {exc}"])


def _close_superseded_findings(session: Session) -> None:
    """Refusals of the portal that concern an older version of their entry are closed: the entry changed,
    and the next attempt shows whether the portal still refuses it."""
    from sqlalchemy import and_, select, update

    from catalog.models import Entry, FindingRow
    from catalog.publish.plan import PUBLISH_STAGE

    stale = (
        select(FindingRow.id)
        .join(Entry, Entry.id == FindingRow.entry_id)
        .where(and_(FindingRow.stage == PUBLISH_STAGE, FindingRow.is_open.is_(True),
                    FindingRow.entry_version != Entry.version))
    )
    session.execute(update(FindingRow).where(FindingRow.id.in_(stale)).values(is_open=False))


def _organisations_needed(plan: PublishPlan, organisation: Organisation) -> dict[str, dict[str, Any]]:
    """The organisation dicts of the packages the plan writes (or may have to write)."""
    from catalog.publish.mapping import organisation_of

    departments = {d.key: d for d in organisation.departments}
    needed: dict[str, dict[str, Any]] = {}
    for planned in plan.actions:
        if planned.package is None or not planned.needs_portal or planned.action == "withdraw":
            continue
        name = str(planned.package["owner_org"])
        if name not in needed and name in departments:
            needed[name] = organisation_of(organisation, departments[name])
    return needed


def _apply(
    services: Services,
    portal: CkanPortal,
    plan: PublishPlan,
    needed: Mapping[str, Mapping[str, Any]],
    existing_orgs: set[str],
    out: PortalSummary,
    run_id: int,
    entry_places: Mapping[int, tuple[str, str]],
    ours: set[str],
    progress: Progress,
    on_result: Callable[[PublishedItem], None] | None,
) -> None:
    """Apply a plan: organisations first, then withdrawals, then the rest, each with bounded concurrency."""
    failed_orgs = portal.ensure_organisations(list(needed.values())) if needed else {}
    out.organisations_created = sorted(set(needed) - set(existing_orgs) - set(failed_orgs))
    for name, error in failed_orgs.items():
        out.problems.append(f"organisation {name} could not be created: {error}")

    recorder = _Recorder(services, run_id, portal.url, plan, entry_places)
    stop = threading.Event()
    applier = _Applier(portal, ours, stop)
    workers = max(1, services.settings.publish_concurrency)
    withdrawals = [a for a in plan.actions if a.action == "withdraw"]
    others = [a for a in plan.actions if a.action != "withdraw"]
    total = len(plan.actions)
    done = 0
    server_errors_in_a_row = 0

    def settle(item: PublishedItem) -> None:
        nonlocal done, server_errors_in_a_row
        done += 1
        out.items.append(item)
        out.counts[item.result] += 1
        server_errors_in_a_row = server_errors_in_a_row + 1 if item.server_error else 0
        if server_errors_in_a_row >= _SERVER_ERRORS_IN_A_ROW and not stop.is_set():
            stop.set()
            out.unreachable = f"CKAN at {portal.url}: {server_errors_in_a_row} server errors in a row ({item.error})"
        if item.unreachable and out.unreachable is None:
            out.unreachable = item.error
        recorder.add(item)
        if on_result is not None:
            on_result(item)
        if done % 100 == 0:
            progress(f"{portal.url}: {done}/{total} done")

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="publish") as pool:
        for batch in (withdrawals, others):
            futures: list[Future[PublishedItem]] = []
            for planned in batch:
                org = planned.package.get("owner_org") if planned.package is not None else None
                if org in failed_orgs and planned.needs_portal:
                    settle(PublishedItem(planned.identifier, planned.action, "failed", planned.package_name,
                                         planned.reason, planned.detail,
                                         error=f"organisation {org} could not be created: {failed_orgs[org]}"))
                    continue
                if not planned.needs_portal:
                    settle(applier(planned))
                    continue
                futures.append(pool.submit(applier, planned))
            pending: set[Future[PublishedItem]] = set(futures)
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    settle(future.result())
    recorder.flush()
    out.problems.extend(recorder.problems)
    out.items.sort(key=lambda i: (RESULTS.index(i.result), i.identifier, i.package))
    progress(f"{portal.url}: " + ", ".join(f"{out.counts[k]} {k}" for k in RESULTS))
