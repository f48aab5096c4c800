"""One publish run: the reviewed inventory onto one or several CKAN portals.

Per portal: read the portal's packages of our organisations (``package_search`` in pages, kept as a small
index of what the plan needs: id, name, identifier, organisation, state, content hash), then read the
entries a chunk at a time (:func:`catalog.publish.states.iter_entry_states`), plan the chunk
(:func:`catalog.publish.plan.plan_publication`), apply it with a bounded number of threads (withdrawals
first) and record the results (:class:`catalog.publish.record.Recorder`); the packages of ours left in the
index when all entries are planned hold identifiers the inventory does not know, and are reported. A dry
run reads both sides, plans, and writes nothing anywhere. An unchanged inventory costs no write: reads of
the portal's search in pages, and of the store in chunks.

Crash safety: a run stopped halfway (the portal or this process died) is completed by the next run: the
portal's state is read again, a package created whose answer was lost is found and confirmed instead of
created twice (:mod:`catalog.publish.apply`), and package ids follow from the identifiers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol

from catalog.errors import RemoteUnavailableError
from catalog.inventory import finish_run, start_run
from catalog.locks import run_lock
from catalog.models import Run
from catalog.organisation import Organisation
from catalog.publish.apply import Applier, Stopper, apply_actions, organisations_needed
from catalog.publish.mapping import organisation_name
from catalog.publish.plan import (
    ACTIONS,
    PlannedAction,
    PublishPlan,
    RemotePackage,
    Skip,
    not_in_inventory,
    plan_chunk,
)
from catalog.publish.portal import CkanPortal, CkanUnavailable
from catalog.publish.record import Recorder, close_superseded_findings
from catalog.publish.states import CHUNK, iter_entry_states
from catalog.publish.summary import PLANNED_RESULT, RESULTS, PortalSummary, PublishedItem, PublishSummary

if TYPE_CHECKING:
    from catalog.dcat.compare import Verification
    from catalog.store import Store

Progress = Callable[[str], None]


def _quiet(_message: str) -> None:
    return None


class PortalUnreachable(RemoteUnavailableError):
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


class Verifier(Protocol):
    """Holds the portal's DCAT against the export of ``actions`` (:func:`catalog.publish.verify.verify_portal`)."""

    def __call__(self, portal: CkanPortal, actions: Sequence[PlannedAction], *, run_id: int | None,
                 progress: Progress, withdrawn: Sequence[int] = ()) -> Verification:
        ...


@dataclass
class Publisher:
    """What a run needs: the store, the organisation, how to reach a portal, and the run's bounds."""

    store: Store
    organisation: Organisation
    connect: Callable[[PortalTarget], CkanPortal]
    concurrency: int = 4
    lock_wait: float = 0.0
    chunk: int = CHUNK
    verifier: Verifier | None = None


def publish(
    publisher: Publisher,
    targets: Sequence[PortalTarget],
    *,
    dry_run: bool = False,
    progress: Progress = _quiet,
    on_result: Callable[[PublishedItem], None] | None = None,
    verify: bool = False,
) -> PublishSummary:
    """Publish the reviewed inventory to ``targets``; see the module docstring.

    ``dry_run`` plans and reports without writing to a portal or the store. ``on_result`` is called (in
    this thread) with each action's result as it arrives. ``verify`` reads each portal's DCAT afterwards and
    holds it against the export (in a dry run only the packages already as planned, and no findings stored).
    Raises :class:`PortalUnreachable` (with the summary of what was done) when a portal cannot be reached.
    """
    started = time.perf_counter()
    summary = PublishSummary(dry_run=dry_run)
    verifier = publisher.verifier if verify else None
    if dry_run:
        for target in targets:
            summary.portals.append(_publish_to(publisher, target, None, progress, on_result, verifier))
    else:
        with run_lock(publisher.store.engine, "publish", wait=publisher.lock_wait):
            with publisher.store.session() as session:
                summary.run_id = start_run(session, "publish").id
            status = "error"  # unless the loop completes
            try:
                for target in targets:
                    summary.portals.append(_publish_to(publisher, target, summary.run_id, progress, on_result,
                                                       verifier))
                unreachable = [p.unreachable for p in summary.portals if p.unreachable]
                status = "unreachable" if unreachable else ("failed" if summary.failed else "ok")
            finally:
                with publisher.store.session() as session:
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


# --------------------------------------------------------------------------- the portal's side


def read_remote(portal: CkanPortal, organisations: Sequence[str]) -> tuple[dict[str, list[RemotePackage]], int]:
    """Our packages on the portal (in our organisations, with an identifier) per identifier, read in pages and
    kept as no more than the plan needs; and how many packages the search showed."""
    index: dict[str, list[RemotePackage]] = {}
    seen = 0
    ours = set(organisations)
    for package in portal.iter_packages(sorted(ours)):
        seen += 1
        remote = RemotePackage.from_ckan(package)
        if remote.identifier and remote.organisation in ours:
            index.setdefault(remote.identifier, []).append(replace(remote, resources=()))
    return index, seen


# --------------------------------------------------------------------------- one portal


@dataclass
class _Run:
    """The state of a run on one portal while its chunks go by."""

    out: PortalSummary
    existing: set[str]
    applier: Applier | None = None
    stopper: Stopper | None = None
    recorder: Recorder | None = None
    needed: set[str] = field(default_factory=set)
    failed_organisations: dict[str, str] = field(default_factory=dict)
    done: int = 0
    total: int = 0
    expected: list[PlannedAction] = field(default_factory=list)  # for the verification
    failed: set[tuple[str, str]] = field(default_factory=set)
    withdrawn: list[int] = field(default_factory=list)


def _publish_to(
    publisher: Publisher,
    target: PortalTarget,
    run_id: int | None,
    progress: Progress,
    on_result: Callable[[PublishedItem], None] | None,
    verifier: Verifier | None,
) -> PortalSummary:
    """Plan and (unless ``run_id`` is None: a dry run) apply on one portal, chunk by chunk; then verify."""
    started = time.perf_counter()
    out = PortalSummary(portal=target.url, cities=list(target.cities))
    organisation = publisher.organisation
    ours = {organisation_name(d) for c in target.cities for d in organisation.departments_of(c)}
    portal = publisher.connect(target)
    try:
        try:
            progress(f"{target.url}: reading the packages of {len(ours)} organisations")
            existing = portal.organisation_names()
            remote, remote_count = read_remote(portal, sorted(ours))
        except CkanUnavailable as exc:
            out.unreachable = str(exc)
            return out
        if run_id is not None:
            with publisher.store.session() as session:
                close_superseded_findings(session)
        state = _Run(out, existing)
        if run_id is not None:
            state.stopper = Stopper(target.url)
            state.applier = Applier(portal, ours, state.stopper.event)
            state.recorder = Recorder(publisher.store, run_id, target.url)
        try:
            for chunks, states in enumerate(iter_entry_states(publisher.store, cities=target.cities,
                                                              portal=target.url, chunk=publisher.chunk), start=1):
                plan = plan_chunk(states, remote, organisation, base_uri=target.url)
                counts = plan.counts()
                where = f"chunk {chunks}: " if chunks > 1 or len(states) >= publisher.chunk else ""
                progress(f"{target.url}: {where}{remote_count} packages of ours, {len(states)} entries; plan: "
                         + ", ".join(f"{counts[a]} {a}" for a in ("withdraw", "restore", "update", "create",
                                                                  "unchanged"))
                         + f", {counts['skipped']} skipped")
                _take_skips(out, plan.skipped)
                if run_id is None:
                    _dry(state, plan, target.url, organisation, keep=verifier is not None)
                else:
                    _apply_chunk(publisher, state, plan, organisation, progress, on_result)
                if out.unreachable is not None:
                    break
            if out.unreachable is None:
                _take_skips(out, not_in_inventory(remote))
        except CkanUnavailable as exc:
            out.unreachable = str(exc)
        if run_id is None:
            out.organisations_created = sorted(state.needed - existing)
            order: dict[str, int] = {action: i for i, action in enumerate(ACTIONS)}
            out.items.sort(key=lambda i: (order[i.action], i.identifier, i.package))
        else:
            if state.recorder is not None:
                state.recorder.flush()
                out.problems.extend(state.recorder.problems)
            out.items.sort(key=lambda i: (RESULTS.index(i.result), i.identifier, i.package))
            progress(f"{portal.url}: " + ", ".join(f"{out.counts[k]} {k}" for k in RESULTS))
        if verifier is not None and out.unreachable is None:
            _verify(verifier, portal, state, out, run_id, progress)
        return out
    finally:
        out.writes = portal.writes
        out.reads = portal.reads
        out.seconds = time.perf_counter() - started
        portal.close()


def _take_skips(out: PortalSummary, skips: Sequence[Skip]) -> None:
    """Count and list what the plan left out."""
    for skip in skips:
        out.skipped[skip.reason] = out.skipped.get(skip.reason, 0) + 1
        out.skips.append({"identifier": skip.identifier, "reason": skip.reason, "message": skip.message})
    out.counts["skipped"] += len(skips)


def _dry(state: _Run, plan: PublishPlan, url: str, organisation: Organisation, *, keep: bool) -> None:
    """A chunk of a dry run: what would be done, counted and listed; nothing written."""
    for planned in plan.actions:
        item = PublishedItem(planned.identifier, planned.action, PLANNED_RESULT[planned.action],
                             planned.package_name, planned.reason, planned.detail, attempted=False,
                             link=f"{url}/dataset/{planned.package_name}")
        state.out.items.append(item)
        state.out.counts[item.result] += 1
        if keep and planned.action == "unchanged":
            state.expected.append(planned)
    state.needed |= set(organisations_needed(plan.actions, organisation))


def _apply_chunk(
    publisher: Publisher,
    state: _Run,
    plan: PublishPlan,
    organisation: Organisation,
    progress: Progress,
    on_result: Callable[[PublishedItem], None] | None,
) -> None:
    """A chunk of a real run: its organisations first, then its actions; results recorded as they come."""
    assert state.applier is not None and state.stopper is not None and state.recorder is not None
    out, portal, stopper, recorder = state.out, state.applier.portal, state.stopper, state.recorder
    needed = organisations_needed(plan.actions, organisation)
    fresh = {name: o for name, o in needed.items() if name not in state.needed}
    if fresh:
        failed = portal.ensure_organisations(list(fresh.values()))
        state.needed |= set(fresh)
        state.failed_organisations.update(failed)
        out.organisations_created = sorted(state.needed - state.existing - set(state.failed_organisations))
        for name, error in failed.items():
            out.problems.append(f"organisation {name} could not be created: {error}")
    recorder.expect(plan.actions)
    state.total += len(plan.actions)

    def settle(item: PublishedItem) -> None:
        state.done += 1
        out.items.append(item)
        out.counts[item.result] += 1
        stopper.see(item)
        if stopper.reason is not None and out.unreachable is None:
            out.unreachable = stopper.reason
        recorder.add(item)
        if item.result == "failed":
            state.failed.add((item.identifier, item.package))
        if on_result is not None:
            on_result(item)
        if state.done % 100 == 0:
            progress(f"{portal.url}: {state.done}/{state.total} done")

    apply_actions(state.applier, plan.actions, workers=publisher.concurrency,
                  failed_organisations=state.failed_organisations, settle=settle)
    recorder.flush()
    if publisher.verifier is not None:
        state.expected.extend(a for a in plan.actions if a.action != "withdraw" and a.record is not None
                              and a.package is not None and (a.identifier, a.package_name) not in state.failed)
        state.withdrawn.extend(a.entry_id for a in plan.actions if a.action == "withdraw" and a.entry_id is not None)


def _verify(verifier: Verifier, portal: CkanPortal, state: _Run, out: PortalSummary, run_id: int | None,
            progress: Progress) -> None:
    try:
        out.verification = verifier(portal, state.expected, run_id=run_id, progress=progress,
                                    withdrawn=state.withdrawn)
    except CkanUnavailable as exc:
        out.unreachable = f"verifying: {exc}"
    except Exception as exc:  # the packages are written and recorded: a failed check must not redo that
        from catalog.dcat.compare import Verification

        out.verification = Verification(portal=portal.url, problems=[
            f"the verification could not be completed: {type(exc).__name__}: {exc}"])
