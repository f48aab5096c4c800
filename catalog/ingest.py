"""One ingest path: survey rows and harvested records into the inventory.

Every record takes the same steps, whichever wing brings it:

1. **Normalise** (:func:`normalise`): the raw record (field key -> value as found) read field by field
   by :class:`catalog.normalise.Normaliser`, with its findings; the spatial scope becomes the city's
   spatial URI.
2. **Identity**: the caller's, as only it knows what names an entry. A survey row names its entry by its
   Kennung (``survey.collect``); a harvested record by its source and remote id, the inventur identifier
   it carries or one of its keys (``catalog.harvest``): the names a dataset is known by beyond one
   source are kept here (:func:`entries_by_key`, :func:`remember_keys`). A record that names no entry
   becomes a new one with an identifier from its department's counter (:func:`identifiers`), never
   handed out twice.
3. **Versioned save** (:func:`save`): an entry whose content is unchanged writes nothing, a changed one
   gets a new version, a new one is created with its first version (in bulk); every version of every
   entry is kept with its raw record and where it came from.
4. **Findings** (:func:`record_findings`): the open findings of the record's stages on the entries it
   saved are superseded by the new ones.
5. **Run** (:func:`open_run`, :func:`close_run`): what one collect or harvest did, with its summary.

What stays with each wing is what only it has: ``survey.collect`` reads files (checksums, safety checks,
workbooks, feedback); ``catalog.harvest`` merges sources and survey answers and marks entries gone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.findings import Finding
from catalog.inventory import (
    EntryRef,
    NewEntry,
    Source,
    add_findings_of,
    allocate_identifiers,
    close_findings,
    finish_run,
    insert_entries,
    save_entry,
    start_run,
)
from catalog.models import Entry, EntryKey, Run
from catalog.normalise import Normalised, Normaliser, spatial_uri
from catalog.organisation import Organisation

# --------------------------------------------------------------------------- normalise


def normalise(normaliser: Normaliser, raw: Mapping[str, Any], geocoding_uri: str) -> Normalised:
    """A raw record's values as the inventory holds them, and the findings of normalising them: every
    field normalised, ``spatial_scope`` the scope the record gives, ``spatial`` the URI it stands for in
    the city (``geocoding_uri``)."""
    normalised = normaliser.record(raw)
    values = dict(normalised.values)
    values["spatial_scope"] = values.get("spatial")
    values["spatial"] = spatial_uri(values["spatial_scope"], geocoding_uri)
    return Normalised(values, normalised.findings)


def jsonable(value: Any) -> Any:
    """A raw value as a version's JSON can hold it: dates and times as ISO text, durations in seconds,
    tuples as lists, mapping keys as text."""
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value


# --------------------------------------------------------------------------- identity


def entries_by_key(session: Session, city: str, keys: Collection[str]) -> dict[str, int]:
    """The entries (ids) of a city that these keys already name: the names a dataset is known by beyond
    one source (its IRI, its ``dct:identifier``, a CKAN package id), kept in ``entry_keys``."""
    found: dict[str, int] = {}
    ordered = sorted(keys)
    for start in range(0, len(ordered), 900):  # bounded IN lists (SQLite limits bound parameters)
        chunk = ordered[start:start + 900]
        rows = session.execute(
            select(EntryKey.key, EntryKey.entry_id).where(EntryKey.city == city, EntryKey.key.in_(chunk)))
        found.update((key, entry_id) for key, entry_id in rows)
    return found


def remember_keys(session: Session, city: str, keys: Mapping[str, int]) -> None:
    """Keep the names (key -> entry id) by which a city's entries are known; a key another run named
    meanwhile keeps its entry."""
    if not keys:
        return
    rows = [{"city": city, "key": key, "entry_id": entry_id} for key, entry_id in keys.items()]
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        module = import_module(f"sqlalchemy.dialects.{dialect}")
        session.execute(module.insert(EntryKey).on_conflict_do_nothing(), rows)
    else:
        session.add_all(EntryKey(**row) for row in rows)


def identifiers(session: Session, organisation: Organisation, city: str, department: str, count: int) -> Iterator[str]:
    """``count`` new identifiers of a department (one counter update), in order."""
    return iter(allocate_identifiers(session, organisation, city, department, count))


# --------------------------------------------------------------------------- versioned save


@dataclass(frozen=True)
class Incoming:
    """A normalised record on its way into the inventory.

    ``entry`` is the entry its identity found; None for a new entry, which takes ``identifier`` (from
    :func:`identifiers`). ``raw`` is the record as received (kept with the version), ``origin`` how a new
    entry came to be (``survey``, ``harvest``, ``proposal``), ``remote`` the source, remote id and remote
    modification of a harvested record (linked to the entry whenever it gets a version).
    """

    values: Mapping[str, Any]
    source: Source
    city: str
    department: str
    entry: Entry | None = None
    identifier: str | None = None
    raw: Mapping[str, Any] | None = None
    origin: str = "survey"
    remote: tuple[str, str, str | None] | None = None


@dataclass(frozen=True)
class Saved:
    """What saving one record did: its entry (an :class:`EntryRef` for one created in bulk), whether it
    was created, and whether a version was written."""

    entry: Entry | EntryRef
    created: bool
    changed: bool


def save(session: Session, items: Sequence[Incoming], *, organisation: Organisation) -> list[Saved]:
    """Save ``items`` in order: an entry found gets a new version when its content changed and nothing
    when not; new entries are created afterwards in one bulk insert, in the order given. Returns what
    happened to each item, in the order of ``items``."""
    saved: list[Saved | None] = []
    new: list[NewEntry] = []
    for item in items:
        if item.entry is None:
            if not item.identifier:
                raise ValueError("a new entry needs its identifier")
            new.append(NewEntry(item.identifier, item.values, item.source, item.raw, city=item.city,
                                department=item.department, origin=item.origin, remote=item.remote))
            saved.append(None)
            continue
        result = save_entry(session, item.values, city=item.city, department=item.department, source=item.source,
                            organisation=organisation, raw=item.raw, origin=item.origin, remote=item.remote,
                            existing=item.entry)
        saved.append(Saved(result.entry, created=False, changed=result.changed))
    session.flush()
    created = iter(insert_entries(session, new))
    return [s if s is not None else Saved(next(created), created=True, changed=True) for s in saved]


# --------------------------------------------------------------------------- findings


def record_findings(
    session: Session,
    groups: Iterable[tuple[Entry | EntryRef | None, Iterable[Finding]]],
    *,
    stage: str,
    run_id: int | None,
    file_id: int | None = None,
    superseding: Sequence[int] = (),
    stages: Sequence[str] = (),
) -> int:
    """Close the open findings of ``stages`` on the entries ``superseding`` (ids: the entries read again),
    then store the findings of ``groups`` (an entry, or None for a finding on the file or source, and its
    findings) under ``stage``. Returns how many were stored."""
    if superseding and stages:
        close_findings(session, entry_ids=superseding, stages=stages)
    return add_findings_of(session, groups, stage=stage, run_id=run_id, file_id=file_id)


# --------------------------------------------------------------------------- run


def open_run(session: Session, kind: str) -> int:
    """Start a run of ``kind`` (``collect``, ``harvest``); its id."""
    return start_run(session, kind).id


def close_run(session: Session, run_id: int, summary: Mapping[str, Any], *, status: str = "ok") -> None:
    """Close a run with its summary (``status``: ``ok`` or ``failed``); a run no longer in the store is
    left alone."""
    run = session.get(Run, run_id)
    if run is not None:
        finish_run(session, run, summary, status=status)


__all__ = [
    "Incoming", "Saved", "close_run", "entries_by_key", "identifiers", "jsonable", "normalise", "open_run",
    "record_findings", "remember_keys", "save",
]
