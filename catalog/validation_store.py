"""Validation of the inventory in the store: after every collect and harvest, and on demand.

Loads the current entries with where their current version came from (file, sheet, row), runs
:func:`catalog.validation.validate_records` over them (cross-entry checks need the whole set), replaces
the open validation findings with the new ones, and moves each entry that is not yet reviewed to
``needs_changes`` (open errors) or ``ready`` (none).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from catalog.fields import BY_KEY, RECORD_KEYS
from catalog.inventory import EntryRef, add_findings_of, finish_run, start_run
from catalog.models import Entry, EntryVersion, FindingRow, ReceivedFile, Run

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


@dataclass(frozen=True)
class _Current:
    """What validation needs of a stored entry besides its record."""

    ref: EntryRef
    spatial_scope: str | None


def _scope(city: str | None) -> Any:
    """The entries a validation covers: the current ones (not gone), of one city or all."""
    current = Entry.gone_at.is_(None)
    return and_(current, Entry.city == city) if city else current


def _records(session: Session, city: str | None) -> tuple[list[dict[str, Any]], list[_Current]]:
    """The export records of the entries in scope, with where their current version was read from.

    Read as plain rows (no ORM objects): validation touches every entry, and the ORM's bookkeeping
    for tens of thousands of objects costs more than the checks themselves."""
    columns = [getattr(Entry, key) for key in RECORD_KEYS]
    query = (
        select(Entry.id, Entry.version, Entry.spatial_scope, *columns,
               EntryVersion.sheet, EntryVersion.row, ReceivedFile.original_name)
        .join(EntryVersion, and_(EntryVersion.entry_id == Entry.id, EntryVersion.version == Entry.version))
        .outerjoin(ReceivedFile, ReceivedFile.id == EntryVersion.file_id)
        .where(_scope(city))
        .order_by(Entry.city, Entry.department, Entry.identifier)
    )
    lists = [key for key in RECORD_KEYS if BY_KEY.get(key) is not None and BY_KEY[key].is_list]
    records, entries = [], []
    for row in session.execute(query):
        values = row._mapping
        record = {key: values[key] for key in RECORD_KEYS}
        for key in lists:
            record[key] = list(record[key] or [])
        record.update({"_file": values["original_name"], "_sheet": values["sheet"], "_row": values["row"]})
        records.append(record)
        entries.append(_Current(EntryRef(values["id"], values["identifier"], values["version"]), values["spatial_scope"]))
    return records, entries


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
    force: bool = True,
) -> InventoryValidation:
    """Validate the current entries (of one city, or all) and store the findings.

    With ``force=False`` (the scheduled runs) a run is skipped when no entry changed since the last
    validation of the same scope on the same day: its findings are still the right ones.
    """
    from catalog.validation import validate_records

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
    run = start_run(session, "validate")
    records, entries = _records(session, city)
    result = validate_records(records, today=today, docs_dir=docs_dir, run_name=f"run-{run.id:05d}" if docs_dir else None)
    by_identifier = {e.ref.identifier: e for e in entries}
    in_scope = select(Entry.id).where(_scope(city)).scalar_subquery()
    session.execute(
        update(FindingRow)
        .where(FindingRow.stage == VALIDATE_STAGE, FindingRow.is_open.is_(True), FindingRow.entry_id.in_(in_scope))
        .values(is_open=False)
        .execution_options(synchronize_session=False)
    )
    explained = _cells_with_value_findings(session, in_scope)
    grouped: dict[str, list[Any]] = {}
    for found in result.findings:
        entry = by_identifier.get(found.identifier or "")
        if _is_missing(found.code) and entry is not None and (entry.ref.id, found.field) in explained:
            continue  # the cell had a value that could not be read: its own finding says so already
        if found.code == "missing-recommended" and found.field == "spatial" and entry is not None and entry.spatial_scope:
            continue  # answered "kein Raumbezug": no geocoding URI, and nothing missing
        grouped.setdefault(found.identifier or "", []).append(found)
    add_findings_of(session, ((e.ref if (e := by_identifier.get(i)) else None, batch) for i, batch in grouped.items()),
                    stage=VALIDATE_STAGE, run_id=run.id)
    states = _update_states(session, city) if entries else {}
    by_severity: dict[str, int] = dict(Counter(f.severity for f in result.findings))
    by_code: dict[str, int] = dict(Counter(f.code for f in result.findings))
    summary = {
        "city": city,
        "checked": result.checked,
        "findings": len(result.findings),
        "by_severity": by_severity,
        "by_code": by_code,
        "states": states,
        "docs": str(result.docs_index) if result.docs_index else None,
    }
    finish_run(session, run, summary)
    return InventoryValidation(
        checked=result.checked,
        findings=len(result.findings),
        by_severity=by_severity,
        by_code=by_code,
        seconds=result.seconds,
        docs_index=result.docs_index,
        run_id=run.id,
        states=states,
    )


def _is_missing(code: str) -> bool:
    return code.startswith("missing-") or code.endswith("-missing")


def _cells_with_value_findings(session: Session, entry_ids: Any) -> set[tuple[int, str | None]]:
    """(entry, field) pairs whose current value was given but unusable (an open normalisation problem)."""
    rows = session.execute(
        select(FindingRow.entry_id, FindingRow.field).where(
            FindingRow.stage.in_(("normalise", "harvest")), FindingRow.is_open.is_(True), FindingRow.severity != "info",
            FindingRow.entry_id.in_(entry_ids),
        )
    )
    return {(entry_id, field) for entry_id, field in rows if entry_id is not None}


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
