"""What a publish run leaves in the store: a :class:`~catalog.models.Publication` per action tried, CKAN's
refusals as findings on the entry (stage ``publish``), approved entries marked ``published`` once their
package is on the portal. Written in small transactions while the run goes on, so that a run stopped
halfway leaves what it did recorded, and the next run completes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, select, update

from catalog.inventory import add_findings_of, close_findings
from catalog.models import Entry, FindingRow, Publication, utcnow
from catalog.publish.plan import PUBLISH_STAGE, PlannedAction, rejection_findings
from catalog.publish.summary import PublishedItem
from catalog.review.decisions import ReviewError, mark_published

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from catalog.store import Store

ACTOR = "inventur publish"
FLUSH_EVERY = 50  # results per store transaction while applying
_ACTION_OF_RESULT = {"created": "create", "updated": "update", "restored": "restore", "withdrawn": "withdraw",
                     "unchanged": "unchanged"}


def close_superseded_findings(session: Session) -> None:
    """Refusals of the portal that concern an older version of their entry are closed: the entry changed,
    and the next attempt shows whether the portal still refuses it."""
    stale = (
        select(FindingRow.id)
        .join(Entry, Entry.id == FindingRow.entry_id)
        .where(and_(FindingRow.stage == PUBLISH_STAGE, FindingRow.is_open.is_(True),
                    FindingRow.entry_version != Entry.version))
    )
    session.execute(update(FindingRow).where(FindingRow.id.in_(stale)).values(is_open=False))


def recordable(item: PublishedItem, planned: PlannedAction) -> bool:
    """Whether a result is recorded as a publication: everything tried on the portal, and an unchanged
    package whose entry becomes ``published`` by it; not what was never tried or had nothing to do."""
    return item.attempted or (item.result == "unchanged" and planned.mark_published)


class Recorder:
    """Writes the results on one portal into the store in small transactions: publications, findings,
    published states. :meth:`expect` tells it the actions of the next chunk of the plan."""

    def __init__(self, store: Store, run_id: int, portal: str) -> None:
        self.store = store
        self.run_id = run_id
        self.portal = portal
        self.planned: dict[tuple[str, str], PlannedAction] = {}
        self.pending: list[PublishedItem] = []
        self.problems: list[str] = []

    def expect(self, actions: Iterable[PlannedAction]) -> None:
        """The actions whose results come next (those recorded before are forgotten)."""
        self.flush()
        self.planned = {(a.identifier, a.package_name): a for a in actions}

    def add(self, item: PublishedItem) -> None:
        self.pending.append(item)
        if len(self.pending) >= FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        items, self.pending = self.pending, []
        with self.store.session() as session:
            self._write(session, items)

    def _write(self, session: Session, items: list[PublishedItem]) -> None:
        rows = []
        settled: list[int] = []
        refused: list[tuple[Entry | None, list[Any]]] = []
        to_mark: list[tuple[str, str]] = []
        now = utcnow()
        for item in items:
            planned = self.planned.get((item.identifier, item.package))
            if planned is None or planned.entry_id is None or not recordable(item, planned):
                continue
            ok = item.result != "failed"
            action = _ACTION_OF_RESULT.get(item.result, "failed")
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
                entry = session.get(Entry, planned.entry_id)
                record: Mapping[str, Any] = planned.record or {}
                city = entry.city if entry is not None else record.get("city")
                department = entry.department if entry is not None else record.get("department")
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
