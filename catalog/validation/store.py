"""Validation of the inventory in the store: after every collect and harvest, and on demand.

Reads the current entries with where their current version came from (file, sheet, row) in chunks,
validates them with :class:`catalog.validation.suite.ChunkedValidation` (the cross-entry checks keep only the
title keys of all entries; the suite sees one chunk at a time), replaces the open validation findings
with the new ones, and moves each entry that is not yet reviewed to ``needs_changes`` (open errors) or
``ready`` (none). Memory grows with the chunk size, not with the inventory: the findings wait in a
temporary file until they are stored.
"""

from __future__ import annotations

import datetime as dt
import pickle
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from catalog.fields import BY_KEY, RECORD_KEYS
from catalog.findings import Finding
from catalog.inventory import EntryRef, add_findings_of, finish_run, start_run
from catalog.models import Entry, EntryVersion, FindingRow, ReceivedFile, Run, utcnow

VALIDATE_STAGE = "validate"
# review states that validation may move between; later states belong to the reviewers
OPEN_STATES = ("new", "needs_changes", "ready")


@dataclass
class InventoryValidation:
    checked: int
    findings: int
    by_severity: dict[str, int]
    by_code: dict[str, int]
    seconds: float
    docs_index: Path | None
    run_id: int
    states: dict[str, int] = field(default_factory=dict)
    skipped: bool = False  # nothing changed since the last run of the same scope: its result stands


DEFAULT_CHUNK = 5000
"""Entries validated at a time (``INVENTUR_CHUNK_SIZE``): memory grows with the chunk, not the inventory."""


def _scope(city: str | None) -> Any:
    """The entries a validation covers: the current ones (not gone), of one city or all."""
    current = Entry.gone_at.is_(None)
    return and_(current, Entry.city == city) if city else current


_LISTS = tuple(key for key in RECORD_KEYS if BY_KEY.get(key) is not None and BY_KEY[key].is_list)
_ORDER = (Entry.city, Entry.department, Entry.identifier)


def _where_read() -> tuple[Any, ...]:
    return (EntryVersion.sheet, EntryVersion.row, ReceivedFile.original_name)


def _located(query: Any, city: str | None) -> Any:
    """``query`` joined with where each entry's current version was read from, in scope and in order."""
    return (
        query.join(EntryVersion, and_(EntryVersion.entry_id == Entry.id, EntryVersion.version == Entry.version))
        .outerjoin(ReceivedFile, ReceivedFile.id == EntryVersion.file_id)
        .where(_scope(city))
        .order_by(*_ORDER)
    )


def _chunks(session: Session, query: Any, size: int) -> Iterator[Sequence[Any]]:
    """The rows of ``query`` in chunks of ``size``, streamed (a server-side cursor on PostgreSQL, SQLite's
    own cursor), so that no more than a chunk of rows is held at a time."""
    result = session.execute(query.execution_options(yield_per=size))
    yield from result.partitions(size)


def _keys(session: Session, city: str | None, size: int) -> Iterator[list[dict[str, Any]]]:
    """What the cross-entry checks need of every entry in scope, in chunks: the title, the source system
    and where the entry is, with its reference."""
    query = _located(select(Entry.id, Entry.version, Entry.city, Entry.department, Entry.identifier, Entry.title,
                            Entry.source_system, *_where_read()), city)
    for rows in _chunks(session, query, size):
        yield [dict(row._mapping) for row in rows]


def _records(session: Session, city: str | None, size: int) -> Iterator[list[tuple[dict[str, Any], EntryRef, str | None]]]:
    """The export records of the entries in scope, in chunks, with where their current version was read
    from, each with its reference and spatial scope.

    Read as plain rows (no ORM objects): validation touches every entry, and the ORM's bookkeeping
    for tens of thousands of objects costs more than the checks themselves."""
    columns = [getattr(Entry, key) for key in RECORD_KEYS]
    query = _located(select(Entry.id, Entry.version, Entry.spatial_scope, *columns, *_where_read()), city)
    for rows in _chunks(session, query, size):
        chunk = []
        for row in rows:
            values = row._mapping
            record = {key: values[key] for key in RECORD_KEYS}
            for key in _LISTS:
                record[key] = list(record[key] or [])
            record.update({"_file": values["original_name"], "_sheet": values["sheet"], "_row": values["row"]})
            chunk.append((record, EntryRef(values["id"], values["identifier"], values["version"]), values["spatial_scope"]))
        yield chunk


def _unchanged_since_last_run(session: Session, city: str | None, today: dt.date) -> Run | None:
    """The last validation run of the same scope and day when no entry changed since it started."""
    last = session.scalars(
        select(Run).where(Run.kind == "validate", Run.status == "ok").order_by(Run.id.desc()).limit(1)
    ).first()
    if last is None or (last.summary or {}).get("city") != city or last.started_at.date() != today:
        return None
    changed = select(func.max(Entry.updated_at))
    if city:
        changed = changed.where(Entry.city == city)
    latest = session.scalar(changed)
    started = last.started_at if last.started_at.tzinfo else last.started_at.replace(tzinfo=dt.UTC)
    if latest is not None and (latest if latest.tzinfo else latest.replace(tzinfo=dt.UTC)) >= started:
        return None
    return last


def validate_inventory(
    session: Session, *, city: str | None = None, today: dt.date | None = None, docs_dir: Path | None = None,
    force: bool = True, chunk_size: int = DEFAULT_CHUNK,
) -> InventoryValidation:
    """Validate the current entries (of one city, or all) and store the findings.

    The entries are read in chunks of ``chunk_size`` (see :class:`catalog.validation.suite.ChunkedValidation`):
    first what the cross-entry checks need of all of them, then the records chunk by chunk for the suite.
    The findings go to a temporary file as they are made and are stored at the end, in batches, so that
    the run writes (and, on SQLite, keeps other writers waiting) only in its last seconds. The findings
    are the same for any chunk size.

    With ``force=False`` (the scheduled runs) a run is skipped when no entry changed since the last
    validation of the same scope on the same day: its findings are still the right ones.
    """
    from catalog.validation.suite import ChunkedValidation

    if chunk_size < 1:
        raise ValueError(f"chunk size {chunk_size}: at least 1")
    if not force:
        last = _unchanged_since_last_run(session, city, today or dt.date.today())
        if last is not None:
            summary = last.summary or {}
            return InventoryValidation(
                checked=summary.get("checked", 0), findings=summary.get("findings", 0),
                by_severity=summary.get("by_severity", {}), by_code=summary.get("by_code", {}), seconds=0.0,
                docs_index=Path(summary["docs"]) if summary.get("docs") else None, run_id=last.id,
                states=summary.get("states", {}), skipped=True,
            )
    started = utcnow()
    validation = ChunkedValidation(today=today)
    validation.prepare()
    with tempfile.TemporaryFile(prefix="inventur-validation-") as spool:
        # pass 1: title keys and where each entry is; the cross-entry findings
        refs: list[EntryRef] = []
        for rows in _keys(session, city, chunk_size):
            validation.add_keys({**row, "_file": row["original_name"], "_sheet": row["sheet"], "_row": row["row"]}
                                for row in rows)
            refs += (EntryRef(row["id"], row["identifier"], row["version"]) for row in rows)
        pending: list[tuple[EntryRef, Finding]] = []
        for index, found in validation.cross_findings():
            pending.append((refs[index], found))
            if len(pending) >= chunk_size:
                pickle.dump(pending, spool)
                pending = []
        pickle.dump(pending, spool)
        del refs, pending
        # pass 2: the suite on each chunk of records
        for chunk in _records(session, city, chunk_size):
            found_in_chunk = validation.check([record for record, _ref, _scope_ in chunk])
            explained = _cells_with_value_findings(session, [ref.id for _record, ref, _scope_ in chunk])
            kept: list[tuple[EntryRef, Finding]] = []
            for index, found in found_in_chunk:
                _record, ref, spatial_scope = chunk[index]
                if _is_missing(found.code) and (ref.id, found.field) in explained:
                    continue  # the cell had a value that could not be read: its own finding says so already
                if found.code == "missing-recommended" and found.field == "spatial" and spatial_scope:
                    continue  # answered "kein Raumbezug": no geocoding URI, and nothing missing
                kept.append((ref, found))
            pickle.dump(kept, spool)
        # writing comes last, in one short stretch: other runs on SQLite wait for the writer
        run = start_run(session, "validate")
        run.started_at = started  # what the next scheduled run compares the entries' changes with
        docs_index = validation.finish(docs_dir, f"run-{run.id:05d}") if docs_dir else None
        in_scope = select(Entry.id).where(_scope(city)).scalar_subquery()
        session.execute(
            update(FindingRow)
            .where(FindingRow.stage == VALIDATE_STAGE, FindingRow.is_open.is_(True), FindingRow.entry_id.in_(in_scope))
            .values(is_open=False)
            .execution_options(synchronize_session=False)
        )
        spool.seek(0)
        while True:
            try:
                batch = pickle.load(spool)
            except EOFError:
                break
            _store(session, batch, run.id)
    states = _update_states(session, city) if validation.checked else {}
    by_severity: Counter[str] = Counter()
    by_code: Counter[str] = Counter()
    for (code, severity), n in validation.counts.items():
        by_severity[severity] += n
        by_code[code] += n
    summary = {
        "city": city,
        "checked": validation.checked,
        "findings": validation.findings,
        "by_severity": dict(by_severity),
        "by_code": dict(by_code),
        "states": states,
        "docs": str(docs_index) if docs_index else None,
    }
    finish_run(session, run, summary)
    return InventoryValidation(
        checked=validation.checked,
        findings=validation.findings,
        by_severity=dict(by_severity),
        by_code=dict(by_code),
        seconds=time.perf_counter() - validation.started,
        docs_index=docs_index,
        run_id=run.id,
        states=states,
    )


def _store(session: Session, found: Sequence[tuple[EntryRef, Finding]], run_id: int) -> None:
    """Store a batch of findings on their entries (grouped by entry, in the order given)."""
    grouped: dict[int, tuple[EntryRef, list[Finding]]] = {}
    for ref, finding_ in found:
        grouped.setdefault(ref.id, (ref, []))[1].append(finding_)
    add_findings_of(session, grouped.values(), stage=VALIDATE_STAGE, run_id=run_id)


def _is_missing(code: str) -> bool:
    return code.startswith("missing-") or code.endswith("-missing")


def _cells_with_value_findings(session: Session, entry_ids: Sequence[int]) -> set[tuple[int, str | None]]:
    """(entry, field) pairs of these entries whose current value was given but unusable (an open
    normalisation problem)."""
    cells: set[tuple[int, str | None]] = set()
    for start in range(0, len(entry_ids), 900):  # stay below the bound-parameter limits of the databases
        rows = session.execute(
            select(FindingRow.entry_id, FindingRow.field).where(
                FindingRow.stage.in_(("normalise", "harvest")), FindingRow.is_open.is_(True),
                FindingRow.severity != "info", FindingRow.entry_id.in_(entry_ids[start:start + 900]),
            )
        )
        cells.update((entry_id, field) for entry_id, field in rows if entry_id is not None)
    return cells


def _update_states(session: Session, city: str | None) -> dict[str, int]:
    """Entries not yet reviewed: ``needs_changes`` with open errors, else ``ready`` for review.

    Two set-wise updates (entries already in the right state are left alone); returns the number
    of entries in scope per state."""
    with_errors = (
        select(FindingRow.entry_id)
        .where(FindingRow.is_open.is_(True), FindingRow.severity == "error", FindingRow.entry_id.is_not(None))
        .scalar_subquery()
    )
    undecided = and_(_scope(city), Entry.status.in_(OPEN_STATES))
    for state, condition in (("needs_changes", Entry.id.in_(with_errors)), ("ready", Entry.id.not_in(with_errors))):
        session.execute(
            update(Entry)
            .where(undecided, condition, Entry.status != state)
            .values(status=state)
            .execution_options(synchronize_session="fetch")
        )
    counts = session.execute(select(Entry.status, func.count()).where(_scope(city)).group_by(Entry.status))
    return {status: number for status, number in counts}
