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

from catalog.inventory import add_findings_of, entry_record, finish_run, start_run
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


def _records(session: Session, city: str | None) -> tuple[list[dict[str, Any]], list[Entry]]:
    query = (
        select(Entry, EntryVersion.sheet, EntryVersion.row, ReceivedFile.original_name)
        .join(EntryVersion, and_(EntryVersion.entry_id == Entry.id, EntryVersion.version == Entry.version))
        .outerjoin(ReceivedFile, ReceivedFile.id == EntryVersion.file_id)
        .where(Entry.gone_at.is_(None))
        .order_by(Entry.city, Entry.department, Entry.identifier)
    )
    if city:
        query = query.where(Entry.city == city)
    records, entries = [], []
    for entry, sheet, row, file_name in session.execute(query):
        record = entry_record(entry)
        record.update({"_file": file_name, "_sheet": sheet, "_row": row})
        records.append(record)
        entries.append(entry)
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
    by_identifier = {e.identifier: e for e in entries}
    ids = [e.id for e in entries]
    if ids:
        session.execute(
            update(FindingRow)
            .where(FindingRow.stage == VALIDATE_STAGE, FindingRow.is_open.is_(True), FindingRow.entry_id.in_(ids))
            .values(is_open=False)
        )
    explained = _cells_with_value_findings(session, ids)
    grouped: dict[str, list[Any]] = {}
    for found in result.findings:
        entry = by_identifier.get(found.identifier or "")
        if _is_missing(found.code) and entry is not None and (entry.id, found.field) in explained:
            continue  # the cell had a value that could not be read: its own finding says so already
        if found.code == "missing-recommended" and found.field == "spatial" and entry is not None and entry.spatial_scope:
            continue  # answered "kein Raumbezug": no geocoding URI, and nothing missing
        grouped.setdefault(found.identifier or "", []).append(found)
    add_findings_of(session, ((by_identifier.get(i), batch) for i, batch in grouped.items()), stage=VALIDATE_STAGE,
                    run_id=run.id)
    states = _update_states(session, entries)
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


def _cells_with_value_findings(session: Session, entry_ids: list[int]) -> set[tuple[int, str | None]]:
    """(entry, field) pairs whose current value was given but unusable (an open normalisation problem)."""
    if not entry_ids:
        return set()
    rows = session.execute(
        select(FindingRow.entry_id, FindingRow.field).where(
            FindingRow.stage.in_(("normalise", "harvest")), FindingRow.is_open.is_(True), FindingRow.severity != "info",
            FindingRow.entry_id.in_(entry_ids),
        )
    )
    return {(entry_id, field) for entry_id, field in rows if entry_id is not None}


def _update_states(session: Session, entries: list[Entry]) -> dict[str, int]:
    """Entries not yet reviewed: ``needs_changes`` with open errors, else ``ready`` for review."""
    if not entries:
        return {}
    with_errors = set(
        session.scalars(
            select(FindingRow.entry_id).where(
                FindingRow.is_open.is_(True), FindingRow.severity == "error", FindingRow.entry_id.in_([e.id for e in entries])
            )
        )
    )
    counts: Counter[str] = Counter()
    for entry in entries:
        if entry.status in OPEN_STATES:
            entry.status = "needs_changes" if entry.id in with_errors else "ready"
        counts[entry.status] += 1
    session.flush()
    return dict(counts)
