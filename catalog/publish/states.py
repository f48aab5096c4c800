"""The entries as the planner needs them (:class:`~catalog.publish.plan.EntryState`), read from the store in
chunks: a few queries per chunk (entries, standing approvals, their approved versions, open errors and
cleared rights, what the portal confirmed before), never the whole inventory at once.

A standing approval is rebuilt from the review decisions: an entry changed after its approval (back in
``new``, ``needs_changes`` or ``ready``) keeps its last approved version on the portal while no later
decision (reject, withdraw, reopen) undid that approval.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, tuple_

from catalog.fields import RECORD_KEYS
from catalog.inventory import entry_record
from catalog.models import Entry, EntryVersion, Publication, ReviewDecision
from catalog.publish.plan import OPEN_STATES, ApprovedVersion, EntryState
from catalog.records import moment_text
from catalog.review.decisions import APPROVE, PUBLISH, REJECT, REOPEN, WITHDRAW, publication_facts

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from catalog.store import Store

CHUNK = 1000  # entries per chunk: bounds the memory of planning and applying, whatever the inventory's size


def export_record(entry: Entry) -> dict[str, Any]:
    """The current version of an entry as an export record, with ``issued`` and ``modified``."""
    record = entry_record(entry)
    record["issued"] = moment_text(entry.created_at)
    record["modified"] = moment_text(entry.updated_at)
    return record


def _standing_approvals(session: Session, entry_ids: Sequence[int]) -> dict[int, int]:
    """Entry id -> the version its approval stands for, for entries whose last deciding decision approved."""
    if not entry_ids:
        return {}
    last: dict[int, ReviewDecision] = {}
    for decision in session.scalars(
        select(ReviewDecision)
        .where(ReviewDecision.entry_id.in_(list(entry_ids)),
               ReviewDecision.decision.in_([APPROVE, PUBLISH, REJECT, WITHDRAW, REOPEN]))
        .order_by(ReviewDecision.id)
    ):
        last[decision.entry_id] = decision
    return {i: d.entry_version for i, d in last.items() if d.decision in (APPROVE, PUBLISH)}


def _approved_data(session: Session, standing: dict[int, int]) -> dict[int, tuple[dict[str, Any], dt.datetime]]:
    """The data of the approved versions (entry id -> (data, created))."""
    if not standing:
        return {}
    found: dict[int, tuple[dict[str, Any], dt.datetime]] = {}
    for version in session.scalars(
        select(EntryVersion).where(EntryVersion.entry_id.in_(list(standing)),
                                   EntryVersion.version.in_(set(standing.values())))
    ):
        if standing.get(version.entry_id) == version.version:
            found[version.entry_id] = (dict(version.data or {}), version.created_at)
    return found


def _confirmed(session: Session, entry_ids: Sequence[int], portal: str) -> dict[int, tuple[str, str | None]]:
    """What this portal confirmed before: the last successful publication per entry (action, content hash)."""
    latest = (
        select(func.max(Publication.id))
        .where(Publication.portal == portal, Publication.ok.is_(True), Publication.entry_id.in_(list(entry_ids)))
        .group_by(Publication.entry_id)
    )
    return {
        int(entry_id): (str(action), digest)
        for entry_id, action, digest in session.execute(
            select(Publication.entry_id, Publication.action, Publication.content_hash).where(Publication.id.in_(latest))
        )
    }


def entry_states(session: Session, entries: Sequence[Entry], *, portal: str) -> list[EntryState]:
    """The planner's view of ``entries`` (one chunk), read in bulk: a few queries, not one per entry."""
    ids = [e.id for e in entries]
    if not ids:
        return []
    facts = publication_facts(session, ids)
    standing = _standing_approvals(session, [e.id for e in entries if e.status in OPEN_STATES])
    approved_data = _approved_data(session, standing)
    confirmed = _confirmed(session, ids, portal)
    states = []
    for entry in entries:
        errors, cleared = facts.get(entry.id, (0, False))
        approved = None
        if entry.id in approved_data:
            data, created = approved_data[entry.id]
            record = {key: data.get(key) for key in RECORD_KEYS}
            record.update(identifier=entry.identifier, city=entry.city, department=entry.department,
                          status=entry.status, quality_score=entry.quality_score,
                          issued=moment_text(entry.created_at), modified=moment_text(created))
            approved = ApprovedVersion(standing[entry.id], record)
        last_action, digest = confirmed.get(entry.id, (None, None))
        states.append(EntryState(
            entry_id=entry.id,
            identifier=entry.identifier,
            status=entry.status,
            version=entry.version,
            record=export_record(entry),
            open_errors=errors,
            rights_cleared=cleared,
            gone=entry.gone_at is not None,
            approved=approved,
            confirmed_hash=digest if last_action not in (None, "withdraw") else None,
            known_on_portal=last_action is not None,
        ))
    return states


def iter_entry_states(store: Store, *, cities: Sequence[str], portal: str, chunk: int = CHUNK
                      ) -> Iterator[list[EntryState]]:
    """The entries of ``cities`` as the planner needs them, ``chunk`` at a time, in the order of city,
    department and identifier (keyset paging: each chunk a short transaction of its own, so that what is
    written between two chunks never waits for a long read)."""
    after: tuple[str, str, str] | None = None
    key = tuple_(Entry.city, Entry.department, Entry.identifier)
    while True:
        with store.session() as session:
            query = select(Entry).where(Entry.city.in_(list(cities))).order_by(
                Entry.city, Entry.department, Entry.identifier).limit(max(1, chunk))
            if after is not None:
                query = query.where(key > tuple_(*after))
            entries = list(session.scalars(query))
            if not entries:
                return
            states = entry_states(session, entries, portal=portal)
            last = entries[-1]
            after = (last.city, last.department, last.identifier)
        yield states
        if len(entries) < chunk:
            return


def read_entry_states(session: Session, *, cities: Sequence[str], portal: str) -> list[EntryState]:
    """All entries of ``cities`` as the planner needs them, in one list (for small inventories and tests;
    publishing itself reads them a chunk at a time with :func:`iter_entry_states`)."""
    entries = list(session.scalars(
        select(Entry).where(Entry.city.in_(list(cities))).order_by(Entry.city, Entry.department, Entry.identifier)))
    states: list[EntryState] = []
    for start in range(0, len(entries), 900):
        states.extend(entry_states(session, entries[start:start + 900], portal=portal))
    return states
