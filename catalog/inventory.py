"""Entries in the store: identifiers that are never reused, versioned saves, findings, and export records.

A save whose content equals the entry's current content writes nothing; any other save writes a new
:class:`~catalog.models.EntryVersion` and keeps all earlier ones.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from catalog.fields import BY_KEY, FIELDS, LATER_KEYS, RECORD_KEYS
from catalog.findings import SEVERITY_ORDER, Finding
from catalog.models import Base, Entry, EntryVersion, FindingRow, IdentifierCounter, Run, utcnow
from catalog.organisation import Organisation

# The values that make up an entry's content (what a version records and the content hash covers).
CONTENT_KEYS: tuple[str, ...] = (*(f.key for f in FIELDS if f.key != "identifier"), "spatial_scope")
_LATER = frozenset(LATER_KEYS)

# Review states after which a change of content goes back to review (a decision was about another version).
_DECIDED_STATES = frozenset({"approved", "published", "rejected", "withdrawn"})


def content_hash(values: Mapping[str, Any]) -> str:
    """A stable hash of an entry's content (order of keys and list items as given).

    The fields added to the survey later (``LATER_KEYS``) count only when they hold a value, so that an
    entry stored before they existed keeps its hash (and its review decision) when it is read again."""
    body = {k: values.get(k) for k in CONTENT_KEYS if k not in _LATER or values.get(k) not in (None, "", [])}
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def allocate_identifier(session: Session, organisation: Organisation, city: str, department: str) -> str:
    """The next identifier of a department, e.g. ``A-STAT-00017``; numbers are never handed out twice."""
    return allocate_identifiers(session, organisation, city, department, 1)[0]


def allocate_identifiers(session: Session, organisation: Organisation, city: str, department: str, count: int) -> list[str]:
    """``count`` new identifiers of a department at once (one counter update)."""
    prefix = organisation.city(city).prefix
    counter = session.execute(
        select(IdentifierCounter)
        .where(IdentifierCounter.city == city, IdentifierCounter.department == department)
        .with_for_update()
    ).scalar_one_or_none()
    if counter is None:
        counter = IdentifierCounter(city=city, department=department, next_value=1)
        session.add(counter)
    first = counter.next_value
    counter.next_value = first + count
    session.flush()
    return [f"{prefix}-{department}-{number:05d}" for number in range(first, first + count)]


@dataclass(frozen=True)
class Source:
    """Where a version comes from."""

    kind: str  # survey, harvest, review, import
    name: str | None = None  # file name, harvest URL, reviewer
    file_id: int | None = None
    sheet: str | None = None
    row: int | None = None
    run_id: int | None = None


_LOOK_UP: Any = object()


@dataclass(frozen=True)
class SaveResult:
    entry: Entry
    created: bool
    changed: bool


def save_entry(
    session: Session,
    values: Mapping[str, Any],
    *,
    city: str,
    department: str,
    source: Source,
    organisation: Organisation,
    identifier: str | None = None,
    raw: Mapping[str, Any] | None = None,
    origin: str = "survey",
    remote: tuple[str, str, str | None] | None = None,
    existing: Entry | None = _LOOK_UP,
) -> SaveResult:
    """Create the entry or add a version when its content changed; an unchanged save writes nothing.

    ``existing`` spares the look-up by identifier when the caller holds the entry already (or knows
    there is none). Nothing is flushed here: callers that need ids flush once per batch.
    """
    digest = content_hash(values)
    entry = existing if existing is not _LOOK_UP else None
    if existing is _LOOK_UP and identifier:
        entry = session.execute(select(Entry).where(Entry.identifier == identifier)).scalar_one_or_none()
    if entry is not None and entry.content_hash == digest:
        return SaveResult(entry, created=False, changed=False)
    now = utcnow()
    created = entry is None
    if entry is None:
        entry = Entry(
            identifier=identifier or allocate_identifier(session, organisation, city, department),
            city=city,
            department=department,
            origin=origin,
            version=0,
            status="new",
            created_at=now,
        )
        session.add(entry)
    for key in CONTENT_KEYS:
        setattr(entry, key, column_value(key, values.get(key)))
    if remote is not None:
        entry.remote_source, entry.remote_id, entry.remote_modified = remote
        entry.gone_at = None
    entry.content_hash = digest
    entry.version += 1
    entry.updated_at = now
    if entry.status in _DECIDED_STATES:
        entry.status = "new"  # a changed entry needs a new review decision
    session.add(
        EntryVersion(
            entry=entry,
            version=entry.version,
            data={k: values.get(k) for k in CONTENT_KEYS},
            raw=dict(raw) if raw is not None else None,
            content_hash=digest,
            source_kind=source.kind,
            source=source.name,
            file_id=source.file_id,
            sheet=source.sheet,
            row=source.row,
            run_id=source.run_id,
            created_at=now,
        )
    )
    return SaveResult(entry, created=created, changed=True)


@dataclass(frozen=True)
class EntryRef:
    """What findings and reports need of a stored entry, without loading it."""

    id: int
    identifier: str
    version: int


@dataclass(frozen=True)
class NewEntry:
    """An entry to create: its identifier (already allocated), values, and where they come from; its city,
    department and origin when they are not those of the whole batch, and the harvested record it links to
    (source, remote id, remote modification)."""

    identifier: str
    values: Mapping[str, Any]
    source: Source
    raw: Mapping[str, Any] | None = None
    city: str | None = None
    department: str | None = None
    origin: str | None = None
    remote: tuple[str, str, str | None] | None = None


def insert_entries(session: Session, items: Sequence[NewEntry], *, city: str | None = None, department: str | None = None,
                   origin: str = "survey") -> list[EntryRef]:
    """Create many entries at once, each with its first version: the same rows :func:`save_entry` writes
    for a new entry, in two bulk inserts instead of two statements per entry. ``city``, ``department`` and
    ``origin`` are those of the items that do not name their own. Returns the entries in order."""
    if not items:
        return []
    now = utcnow()
    entries, versions = _table(Entry), _table(EntryVersion)
    entry_rows, hashes = [], []
    for item in items:
        digest = content_hash(item.values)
        hashes.append(digest)
        row = {key: column_value(key, item.values.get(key)) for key in CONTENT_KEYS}
        remote_source, remote_id, remote_modified = item.remote or (None, None, None)
        row.update(identifier=item.identifier, city=item.city or city, department=item.department or department,
                   origin=item.origin or origin, version=1, status="new", content_hash=digest, created_at=now,
                   updated_at=now, remote_source=remote_source, remote_id=remote_id, remote_modified=remote_modified)
        if row["city"] is None or row["department"] is None:
            raise ValueError(f"no city or department for the new entry {item.identifier}")
        entry_rows.append(row)
    ids = session.execute(
        insert(entries).returning(entries.c.id, sort_by_parameter_order=True), entry_rows
    ).scalars().all()
    session.execute(
        insert(versions),
        [
            {
                "entry_id": entry_id, "version": 1, "data": {k: item.values.get(k) for k in CONTENT_KEYS},
                "raw": dict(item.raw) if item.raw is not None else None, "content_hash": digest,
                "source_kind": item.source.kind, "source": item.source.name, "file_id": item.source.file_id,
                "sheet": item.source.sheet, "row": item.source.row, "run_id": item.source.run_id, "created_at": now,
            }
            for entry_id, item, digest in zip(ids, items, hashes, strict=True)
        ],
    )
    return [EntryRef(entry_id, item.identifier, 1) for entry_id, item in zip(ids, items, strict=True)]


def _table(model: type[Base]) -> Table:
    """The model's table, for Core statements that skip the ORM's per-object work."""
    return cast(Table, model.__table__)


_LIST_KEYS = frozenset(key for key in CONTENT_KEYS if key in BY_KEY and BY_KEY[key].is_list)


def column_value(key: str, value: Any) -> Any:
    """A content value as the entry's column and its versions hold it (lists as lists)."""
    return list(value or []) if key in _LIST_KEYS else value



def entry_record(entry: Entry) -> dict[str, Any]:
    """The entry as a record: the keys of ``inventur export --format jsonl`` (SURVEY.md), then those of the
    later survey columns (``catalog.fields.RECORD_KEYS``)."""
    record: dict[str, Any] = {}
    for key in RECORD_KEYS:
        value = getattr(entry, key)
        spec = BY_KEY.get(key)
        if spec is not None and spec.is_list:
            value = list(value or [])
        record[key] = value
    return record


def iter_entries(
    session: Session, *, city: str | None = None, department: str | None = None, batch: int = 1000
) -> Iterator[Entry]:
    """Entries in identifier order, read in batches so that large inventories stream."""
    query = select(Entry).order_by(Entry.city, Entry.department, Entry.identifier)
    if city:
        query = query.where(Entry.city == city)
    if department:
        query = query.where(Entry.department == department)
    yield from session.scalars(query.execution_options(yield_per=batch))


def versions_of(session: Session, identifier: str) -> list[EntryVersion]:
    entry = session.execute(select(Entry).where(Entry.identifier == identifier)).scalar_one_or_none()
    if entry is None:
        return []
    return list(
        session.scalars(select(EntryVersion).where(EntryVersion.entry_id == entry.id).order_by(EntryVersion.version))
    )


def start_run(session: Session, kind: str) -> Run:
    run = Run(kind=kind, status="running", summary={})
    session.add(run)
    session.flush()
    return run


def finish_run(session: Session, run: Run, summary: Mapping[str, Any], status: str = "ok") -> None:
    run.summary = dict(summary)
    run.status = status
    run.finished_at = utcnow()
    session.flush()


def close_findings(session: Session, *, entry_ids: Sequence[int] = (), file_ids: Sequence[int] = (), stages: Sequence[str]) -> None:
    """Mark earlier findings of these entries or files (for these stages) as superseded."""
    if entry_ids:
        session.execute(
            update(FindingRow)
            .where(FindingRow.entry_id.in_(list(entry_ids)), FindingRow.stage.in_(list(stages)), FindingRow.is_open.is_(True))
            .values(is_open=False)
        )
    if file_ids:
        session.execute(
            update(FindingRow)
            .where(FindingRow.file_id.in_(list(file_ids)), FindingRow.stage.in_(list(stages)), FindingRow.is_open.is_(True))
            .values(is_open=False)
        )


def add_findings(
    session: Session,
    findings: Iterable[Finding],
    *,
    stage: str,
    run_id: int | None = None,
    entry: Entry | EntryRef | None = None,
    file_id: int | None = None,
) -> int:
    """Store findings (in bulk); returns how many were stored."""
    return add_findings_of(session, [(entry, findings)], stage=stage, run_id=run_id, file_id=file_id)


def add_findings_of(
    session: Session,
    groups: Iterable[tuple[Entry | EntryRef | None, Iterable[Finding]]],
    *,
    stage: str,
    run_id: int | None = None,
    file_id: int | None = None,
) -> int:
    """Store the findings of several entries in one insert; returns how many were stored."""
    rows = []
    now = utcnow()
    for entry, findings in groups:
        for f in findings:
            rows.append(
                {
                    "run_id": run_id,
                    "stage": stage,
                    "entry_id": entry.id if entry is not None else None,
                    "entry_version": entry.version if entry is not None else None,
                    "file_id": file_id,
                    "code": f.code,
                    "severity": f.severity,
                    "city": f.city,
                    "department": f.department,
                    "identifier": f.identifier or (entry.identifier if entry is not None else None),
                    "file": f.file,
                    "sheet": f.sheet,
                    "row": f.row,
                    "column": f.column,
                    "field": f.field,
                    "value": f.value,
                    "message": f.message,
                    "message_en": f.message_en,
                    "is_open": True,
                    "created_at": now,
                }
            )
    if rows:
        session.execute(insert(_table(FindingRow)), rows)
    return len(rows)


def open_findings(
    session: Session, *, city: str | None = None, severity: str | None = None, include_closed: bool = False
) -> list[FindingRow]:
    """Findings (open ones by default), most severe first, then by city, department, file and row."""
    query = select(FindingRow)
    if not include_closed:
        query = query.where(FindingRow.is_open.is_(True))
    if city:
        query = query.where(FindingRow.city == city)
    if severity:
        query = query.where(FindingRow.severity == severity)
    rows = list(session.scalars(query))
    rows.sort(
        key=lambda r: (
            SEVERITY_ORDER.get(r.severity, 9), r.city or "", r.department or "", r.file or "", r.row or 0, r.column or "", r.id
        )
    )
    return rows


def finding_record(row: FindingRow) -> dict[str, Any]:
    """A stored finding with exactly the keys of SURVEY.md ("Findings")."""
    from catalog.findings import FINDING_KEYS

    return {key: getattr(row, key) for key in FINDING_KEYS}


def identifiers_for_file(session: Session, file_id: int) -> dict[int, str]:
    """Row of the received file -> Kennung of the entry that row was saved as (any version read from it)."""
    rows = session.execute(
        select(EntryVersion.row, Entry.identifier)
        .join(Entry, Entry.id == EntryVersion.entry_id)
        .where(EntryVersion.file_id == file_id, EntryVersion.row.is_not(None))
    )
    return {row: identifier for row, identifier in rows if row is not None}


def findings_for_file(session: Session, file_id: int) -> tuple[list[Finding], str]:
    """The open findings that concern one received file (its own, and those of the entries whose current
    version it holds), as findings with their cells; and the stored copy's path."""
    from sqlalchemy import and_, or_

    from catalog.models import ReceivedFile

    received = session.get(ReceivedFile, file_id)
    if received is None:
        raise LookupError(f"no received file with id {file_id}")
    current = (
        select(Entry.id)
        .join(EntryVersion, and_(EntryVersion.entry_id == Entry.id, EntryVersion.version == Entry.version))
        .where(EntryVersion.file_id == file_id)
    )
    rows = session.scalars(
        select(FindingRow)
        .where(FindingRow.is_open.is_(True), or_(FindingRow.file_id == file_id, FindingRow.entry_id.in_(current)))
        .order_by(FindingRow.row, FindingRow.column, FindingRow.id)
    ).all()
    found = [
        Finding(
            code=r.code, severity=r.severity,  # type: ignore[arg-type]
            message=r.message, message_en=r.message_en, city=r.city, department=r.department,
            identifier=r.identifier, file=r.file, sheet=r.sheet, row=r.row, column=r.column, field=r.field, value=r.value,
        )
        for r in rows
    ]
    return found, received.stored_path
