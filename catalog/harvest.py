"""Harvested records into the inventory: identity, change, merging with survey answers, and records gone.

A connector (a CKAN portal, a DCAT catalog, a department's database) turns what it reads into
:class:`HarvestedRecord` objects: the same raw record a survey row is (field key -> value as found),
with its provenance (source, remote id, remote modified). :class:`Harvest` takes them along the ingest path
survey rows take (:mod:`catalog.ingest`): normalisation with its findings on the entry (stage ``harvest``),
then the versioned save, which versions every change and writes nothing for an unchanged one, and the run.
What is the harvest's own is below: how a record finds its entry, merging, and records gone.

- **Identity.** A record is the entry harvested earlier from the same source with the same remote id;
  else the entry of the same city whose inventur identifier the record carries (a CKAN extra
  ``identifier`` or a ``dct:identifier`` written when inventur published it); else the entry that one of
  the record's keys names (its dataset IRI, its ``dct:identifier``, a CKAN package id: kept in
  ``entry_keys`` for every harvested entry), so that a second source of the same dataset finds it;
  else a new entry.
- **One dataset, one entry across sources.** An entry belongs to the source that brought it; a second
  source's record of it changes nothing the first one says. Where both have a value and the values
  differ, the entry keeps the first and gets a ``duplicate-across-sources`` finding naming both
  sources; where the second one says more, it fills what the entry leaves empty (and keeps filling it
  when the first source changes its record). Both syntaxes of one catalog thus make one entry each.
- **Change.** A record whose content hash equals its entry's writes nothing: no version, no findings.
- **Merging.** When the entry holds a department's survey answer (any version not made by a harvest),
  that answer wins on every conflict: the harvest only fills the fields the survey left empty, and only
  the findings on those fields are kept.
- **Gone.** An entry whose remote record is no longer at its source is marked (``gone_at``) and reported,
  never deleted; it comes back when the record does. An entry that holds a survey answer stays current
  (the department said the data exist) and is unlinked from the source instead, with a finding.

No Prefect here and no connector: this module only sees records, a store and the organisation.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import ingest
from catalog.fields import BY_KEY
from catalog.findings import Finding, finding
from catalog.inventory import CONTENT_KEYS, EntryRef, Source, add_findings, column_value
from catalog.models import Entry, EntryVersion, FindingRow, Run, utcnow
from catalog.normalise import Normaliser
from catalog.organisation import Organisation
from catalog.store import Store
from catalog.vocabulary import Vocabularies, vocabularies

HARVEST_STAGE = "harvest"
RUN_KIND = "harvest"
# Where a harvested version keeps its provenance inside the stored raw record.
PROVENANCE_KEY = "_provenance"
# An inventur identifier: city letter, department code, number (``M-KVR-00017``).
IDENTIFIER_PATTERN = re.compile(r"^[A-Z]-[A-Z0-9]{2,10}-\d{5}$")
# Stages whose open findings stop mattering once an entry is gone from its source.
_GONE_CLOSES = ("read", "normalise", "validate", HARVEST_STAGE)
# Values two sources of one dataset may give differently without disagreeing: the date of the last update
# is the metadata's as often as the data's.
_NOT_COMPARED = frozenset({"last_updated"})
EXAMPLES = 3  # findings shown per code in a harvest report

# The harvest's finding codes, rendered like every other finding by catalog.findings.finding().


@dataclass(frozen=True)
class HarvestedRecord:
    """One dataset as a source describes it: a raw record by field key, and where it comes from.

    ``raw`` holds what the source says, as it says it (``"täglich"``, ``"dl-de-by-2.0"``, a date): the
    same kind of record a survey row yields, so the same normalisation reads it. ``identifier`` is an
    inventur identifier the remote record carries, if any; ``organization`` the remote publisher (for
    the mapping to a department, by name, else by ``organization_title``); ``link`` where a person sees
    the record. ``keys`` are the names by which the dataset is known beyond this source (its IRI, its
    ``dct:identifier``: see :func:`catalog.reading.identity_keys`); ``findings`` what the connector met
    while reading it (values read otherwise than written, values of the wrong kind).
    """

    remote_id: str
    raw: Mapping[str, Any]
    remote_modified: str | None = None
    identifier: str | None = None
    organization: str | None = None
    link: str | None = None
    keys: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    organization_title: str | None = None


@dataclass(frozen=True)
class HarvestTarget:
    """One source harvested into one city, and how its records find their department.

    ``source`` is the source's canonical address, stored with every entry (``remote_source``).
    ``departments`` maps a remote organisation (name or title) to a department code; ``department`` is
    the default. ``scope`` lists the remote organisations a run is limited to (None: the whole source):
    only entries from inside it can be found gone. ``origin`` is ``harvest``, or ``proposal`` for entries
    a department still has to confirm.
    """

    source: str
    kind: str
    city: str
    department: str | None = None
    departments: Mapping[str, str] = field(default_factory=dict)
    scope: frozenset[str] | None = None
    origin: str = "harvest"
    name: str | None = None


@dataclass(frozen=True)
class Skipped:
    """A remote record a connector could not turn into a :class:`HarvestedRecord`, and why."""

    value: str
    reason: str
    reason_de: str


@dataclass
class HarvestReport:
    """What one harvest run did."""

    source: str
    kind: str
    city: str
    name: str | None
    scope: list[str] | None
    run_id: int
    since: str | None = None
    records: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    merged: int = 0
    conflicts: int = 0
    duplicates: int = 0
    skipped: int = 0
    returned: int = 0
    gone: list[str] = field(default_factory=list)
    complete: bool = True
    high_water: str | None = None
    findings: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    entry_ids: list[int] = field(default_factory=list)
    seconds: float = 0.0

    _spare: dict[str, list[dict[str, Any]]] = field(default_factory=dict, repr=False)

    def note(self, found: Finding, *, title: str | None = None) -> None:
        """Count a finding of the run and keep it as an example of its code: the first few, each of another
        entry where there are enough entries."""
        self.findings[found.code] += 1
        example = {
            "identifier": found.identifier, "title": title, "field": found.field, "value": found.value,
            "file": found.file, "message": found.message, "message_en": found.message_en,
        }
        examples = self.examples.setdefault(found.code, [])
        spare = self._spare.setdefault(found.code, [])
        if len(examples) < EXAMPLES and (found.identifier is None
                                         or found.identifier not in {e["identifier"] for e in examples}):
            examples.append(example)
        elif len(spare) < EXAMPLES:
            spare.append(example)

    def examples_of(self, code: str) -> list[dict[str, Any]]:
        """The examples of a code: of different entries first, then more of the same ones."""
        examples = self.examples.get(code, [])
        return [*examples, *self._spare.get(code, [])][:EXAMPLES]

    @property
    def changed(self) -> bool:
        """Whether the run changed the inventory (then validation has something to look at)."""
        return bool(self.created or self.updated or self.returned or self.gone)

    def summary(self) -> dict[str, Any]:
        """The report as JSON-able data (the run's summary in the store, the CLI's JSON output)."""
        return {
            "name": self.name,
            "source": self.source,
            "kind": self.kind,
            "city": self.city,
            "scope": self.scope,
            "since": self.since,
            "records": self.records,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "merged": self.merged,
            "conflicts": self.conflicts,
            "duplicates": self.duplicates,
            "skipped": self.skipped,
            "returned": self.returned,
            "gone": list(self.gone),
            "complete": self.complete,
            "high_water": self.high_water,
            "findings": dict(self.findings),
            "examples": {code: self.examples_of(code) for code in self.examples},
            "seconds": round(self.seconds, 2),
        }


# What a planned record makes of its save (None when nothing was saved): its entry, its findings, and whether
# anything was written.
_Done = Callable[[ingest.Saved | None], tuple[Entry | EntryRef, list[Finding], bool]]


def inventur_identifier(value: Any, city_prefix: str) -> str | None:
    """``value`` when it is an inventur identifier of the city with this prefix (``M``), else None."""
    if not isinstance(value, str):
        return None
    text = value.strip().upper()
    return text if IDENTIFIER_PATTERN.match(text) and text.startswith(f"{city_prefix}-") else None


def machine_date(value: Any) -> Any:
    """An ISO date or timestamp as a source's machine writes it, as a date; anything else unchanged.

    A source's own format (``2021-03-01T10:00:00Z``) is no spelling to correct, so it becomes a date before
    normalisation; what a person typed (``03/2021``) goes through normalisation and its findings.
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if not isinstance(value, str):
        return value
    text = value.strip()
    if not re.match(r"^\d{4}-\d{2}-\d{2}", text):
        return value
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        try:
            return dt.date.fromisoformat(text[:10])
        except ValueError:
            return value


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def merge_values(answer: Mapping[str, Any], harvested: Mapping[str, Any]) -> tuple[dict[str, Any], set[str], list[str]]:
    """The survey answer, with the harvested values filled in where the answer is empty.

    Returns the merged values, the field keys taken from the harvest, and the keys where both have a
    value and they differ (the answer won). ``spatial`` follows ``spatial_scope``: the URI is derived
    from the scope, so both come from the same side.
    """
    merged = {key: answer.get(key) for key in CONTENT_KEYS}
    filled: set[str] = set()
    conflicts: list[str] = []
    for key in CONTENT_KEYS:
        if key == "spatial":
            continue
        mine, theirs = answer.get(key), harvested.get(key)
        if _empty(theirs):
            continue
        if _empty(mine):
            merged[key] = theirs
            filled.add(key)
            if key == "spatial_scope":
                merged["spatial"] = harvested.get("spatial")
                filled.add("spatial")
        elif mine != theirs:
            conflicts.append(key)
    return merged, filled, conflicts


def previous_high_water(session: Session, source: str, scope: Collection[str] | None) -> str | None:
    """The high-water mark (newest remote modification seen) of the last successful run of this source
    and scope, for an incremental harvest; None when there is none."""
    wanted = sorted(scope) if scope is not None else None
    runs = session.scalars(
        select(Run).where(Run.kind == RUN_KIND, Run.status == "ok").order_by(Run.id.desc())
    )
    for run in runs:
        summary = run.summary or {}
        if summary.get("source") == source and summary.get("scope") == wanted:
            mark = summary.get("high_water")
            return str(mark) if mark else None
    return None


def _fill(values: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` with the empty ones taken from ``given``."""
    return {key: (given[key] if _empty(value) and not _empty(given.get(key)) else value)
            for key, value in {**{k: None for k in given}, **values}.items()}


def _current_fills(session: Session, entry_ids: Collection[int]) -> dict[int, dict[str, dict[str, Any]]]:
    """Per entry, the values other sources of its dataset filled in, by source, as its current version
    records them (only that small part of the version is read)."""
    if not entry_ids:
        return {}
    filled = EntryVersion.raw[(PROVENANCE_KEY, "filled")]
    rows = session.execute(
        select(EntryVersion.entry_id, filled)
        .join(Entry, (Entry.id == EntryVersion.entry_id) & (Entry.version == EntryVersion.version))
        .where(EntryVersion.entry_id.in_(list(entry_ids)), EntryVersion.source_kind == "harvest")
    )
    return {entry_id: dict(value) for entry_id, value in rows if isinstance(value, Mapping) and value}


def _survey_answers(session: Session, entry_ids: Collection[int]) -> dict[int, dict[str, Any]]:
    """Per entry, the values of its newest version that a person made (survey, import), if any."""
    if not entry_ids:
        return {}
    newest: dict[int, tuple[int, dict[str, Any]]] = {}
    rows = session.execute(
        select(EntryVersion.entry_id, EntryVersion.version, EntryVersion.data).where(
            EntryVersion.entry_id.in_(list(entry_ids)), EntryVersion.source_kind != "harvest"
        )
    )
    for entry_id, version, data in rows:
        if entry_id not in newest or version > newest[entry_id][0]:
            newest[entry_id] = (version, dict(data or {}))
    return {entry_id: data for entry_id, (_version, data) in newest.items()}


def _harvest_organisations(session: Session, entry_ids: Collection[int]) -> dict[int, str | None]:
    """Per entry, the remote organisation its newest harvested version came from."""
    if not entry_ids:
        return {}
    newest: dict[int, tuple[int, str | None]] = {}
    rows = session.execute(
        select(EntryVersion.entry_id, EntryVersion.version, EntryVersion.raw).where(
            EntryVersion.entry_id.in_(list(entry_ids)), EntryVersion.source_kind == "harvest"
        )
    )
    for entry_id, version, raw in rows:
        provenance = (raw or {}).get(PROVENANCE_KEY) or {}
        if entry_id not in newest or version > newest[entry_id][0]:
            newest[entry_id] = (version, provenance.get("organization"))
    return {entry_id: organisation for entry_id, (_version, organisation) in newest.items()}


class Harvest:
    """One harvest run of one source into the store: :meth:`add` pages of records, then :meth:`finish`.

    Each page is one transaction, so a run that breaks off keeps what it stored (a rerun finds it
    unchanged and writes nothing). ``since`` is the high-water mark the run started from (incremental).
    """

    def __init__(
        self,
        store: Store,
        organisation: Organisation,
        target: HarvestTarget,
        *,
        since: str | None = None,
        today: dt.date | None = None,
        vocab: Vocabularies | None = None,
    ) -> None:
        self.store = store
        self.organisation = organisation
        self.target = target
        self.city = organisation.city(target.city)
        for code in {target.department, *target.departments.values()} - {None}:
            organisation.department(target.city, str(code))
        self.today = today or dt.date.today()
        self.vocab = vocab or vocabularies()
        self.normaliser = Normaliser(vocab=self.vocab, today=self.today)
        self._started = time.perf_counter()
        self._seen: set[str] = set()
        self._high_water = since
        self._earliest_skipped: str | None = None
        self._run_findings: list[Finding] = []  # about the source, not an entry: written when the run ends
        self._runs: list[int] | None = None  # earlier runs of this source, once needed
        self._departments = {self._key(k): v.upper() for k, v in target.departments.items()}
        with store.session() as session:
            self.run_id = ingest.open_run(session, RUN_KIND)
        self.report = HarvestReport(
            source=target.source, kind=target.kind, city=target.city, name=target.name,
            scope=sorted(target.scope) if target.scope is not None else None, run_id=self.run_id, since=since,
        )

    @staticmethod
    def _key(name: str) -> str:
        return name.strip().casefold()

    @property
    def seen(self) -> frozenset[str]:
        """The remote ids this run has read so far."""
        return frozenset(self._seen)

    # -- departments ------------------------------------------------------------------------------------

    def department_for(self, organisation: str | None, title: str | None = None) -> tuple[str | None, bool]:
        """The department of a remote organisation (its name, or its title), and whether the source's
        mapping missed it.

        An explicit mapping wins; a source without a mapping puts everything into its default department;
        else an organisation named after inventur's own convention (``<city>-<code>``, as inventur names
        CKAN organisations) is that department; else the default, reported as unmapped.
        """
        for name in (organisation, title):
            if name and self._key(name) in self._departments:
                return self._departments[self._key(name)], False
        if not self._departments and self.target.department:
            return self.target.department.upper(), False
        if organisation:
            prefix = f"{self.city.key}-"
            if organisation.lower().startswith(prefix):
                code = organisation[len(prefix):].upper()
                if any(d.code == code for d in self.organisation.departments_of(self.city.key)):
                    return code, False
        if self.target.department:
            return self.target.department.upper(), True
        return None, True

    # -- records ----------------------------------------------------------------------------------------

    def add(self, records: Iterable[HarvestedRecord]) -> None:
        """Store one page of records (one transaction); a record seen earlier in this run is skipped."""
        page: list[HarvestedRecord] = []
        for record in records:
            if record.remote_id in self._seen:
                continue
            self._seen.add(record.remote_id)
            page.append(record)
        if not page:
            return
        with self.store.session() as session:
            self._store_page(session, page)

    def skip(self, skipped: Iterable[Skipped]) -> None:
        """Report remote records a connector could not read (one finding each, on the run)."""
        found = [
            finding("remote-record-skipped", value=s.value, source=self.target.source, reason=s.reason,
                    reason_de=s.reason_de).at(city=self.target.city, file=self._file(None))
            for s in skipped
        ]
        self.report.skipped += len(found)
        self._run_findings += found

    def _file(self, link: str | None) -> str:
        """What a finding names as its "file": where a person finds the record (at most 255 characters)."""
        return (link or self.target.source)[:255]

    def _raw(self, record: HarvestedRecord, *, fills: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
        """The record as received, with its provenance; ``fills`` are the values other sources of the same
        dataset filled in (by source), carried from version to version."""
        raw = {str(k): ingest.jsonable(v) for k, v in record.raw.items()}
        raw[PROVENANCE_KEY] = {
            "kind": self.target.kind, "source": self.target.source, "name": self.target.name,
            "id": record.remote_id, "modified": record.remote_modified, "organization": record.organization,
            "link": record.link,
            **({"keys": list(record.keys)} if record.keys else {}),
            **({"filled": {k: dict(v) for k, v in fills.items()}} if fills else {}),
        }
        return raw

    def _store_page(self, session: Session, page: list[HarvestedRecord]) -> None:
        source, city = self.target.source, self.target.city
        by_remote = {
            e.remote_id: e
            for e in session.scalars(
                select(Entry).where(Entry.remote_source == source, Entry.remote_id.in_([r.remote_id for r in page]))
            )
        }
        carried = {r.identifier for r in page if r.identifier and r.remote_id not in by_remote}
        by_identifier = (
            {e.identifier: e for e in session.scalars(
                select(Entry).where(Entry.identifier.in_(sorted(carried)), Entry.city == city))}
            if carried else {}
        )
        keyed = ingest.entries_by_key(session, city, {k for r in page for k in r.keys})
        by_id = {e.id: e for e in [*by_remote.values(), *by_identifier.values()]}
        wanted = set(keyed.values()) - set(by_id)
        if wanted:
            by_id.update((e.id, e) for e in session.scalars(select(Entry).where(Entry.id.in_(sorted(wanted)))))
        claimed: set[int] = {e.id for e in by_remote.values()}
        plans: list[tuple[HarvestedRecord, Entry | None, str | None, bool]] = []
        for record in page:
            entry = by_remote.get(record.remote_id)
            if entry is None:  # the inventur identifier it carries, else a key that names an entry
                candidates = [by_identifier.get(record.identifier)] if record.identifier else []
                candidates += [c for k in record.keys if k in keyed and (c := by_id.get(keyed[k])) is not None
                               and self._may_match(c, record)]
                entry = next((c for c in candidates if c is not None and c.id not in claimed), None)
            if entry is not None:
                claimed.add(entry.id)
            plans.append((record, entry, *self.department_for(record.organization, record.organization_title)))
        matched = {e.id for _r, e, _d, _u in plans if e is not None}
        answers = _survey_answers(session, matched)
        fills = _current_fills(session, matched)
        # identifiers for the page's new entries, one counter update per department
        needed = Counter(department for _r, entry, department, _u in plans if entry is None and department)
        fresh = {
            department: ingest.identifiers(session, self.organisation, city, department, n)
            for department, n in sorted(needed.items())
        }
        # what each record becomes, in order: what to save (None: nothing), and what to make of the result
        steps: list[tuple[HarvestedRecord, ingest.Incoming | None, _Done, Entry | None]] = []
        run_findings: list[Finding] = []
        for record, entry, department, unmapped in plans:
            if entry is not None and self._across(entry):
                steps.append((record, *self._plan_alongside(record, entry, fills), entry))
                continue
            identifier = next(fresh[department]) if entry is None and department else None
            planned = self._plan_record(record, entry, department, unmapped, identifier, answers, fills, run_findings)
            if planned is not None:
                steps.append((record, *planned, None))
        results = iter(ingest.save(session, [item for _r, item, _d, _e in steps if item is not None],
                                   organisation=self.organisation))
        touched: list[tuple[Entry | EntryRef, list[Finding], str | None]] = []
        alongside: list[tuple[Entry, list[Finding], bool]] = []
        kept: list[tuple[Entry | EntryRef, HarvestedRecord]] = []
        for record, item, done, across in steps:
            saved, found, written = done(next(results) if item is not None else None)
            kept.append((saved, record))
            if across is not None:
                alongside.append((across, found, written))
            elif written:
                touched.append((saved, found, item.values.get("title") if item is not None else None))
        session.flush()
        self.report.entry_ids.extend(e.id for e, _r in kept)
        self._add_keys(session, keyed, kept)
        located: list[tuple[Entry | EntryRef, list[Finding], str | None]] = list(touched)
        located += [(e, found, e.title) for e, found in self._findings_alongside(session, alongside)]
        ingest.record_findings(session, [(e, found) for e, found, _t in located], stage=HARVEST_STAGE,
                               run_id=self.run_id, superseding=[e.id for e, _f, _t in touched], stages=(HARVEST_STAGE,))
        self._run_findings += run_findings
        for _entry, found, title in located:
            for f in found:
                self.report.note(f, title=title)

    @staticmethod
    def _located(entry: Entry, found: Iterable[Finding]) -> list[Finding]:
        return Harvest._at(found, entry.identifier, entry.city, entry.department)

    @staticmethod
    def _at(found: Iterable[Finding], identifier: str, city: str, department: str) -> list[Finding]:
        return [f.at(identifier=identifier, city=city, department=department) for f in found]

    def _may_match(self, entry: Entry, record: HarvestedRecord) -> bool:
        """Whether a record may be the entry one of its keys names: not when the entry is another record of
        this same source (two datasets of one source that claim the same dct:identifier stay two)."""
        return not (entry.remote_source == self.target.source and entry.remote_id != record.remote_id)

    def _across(self, entry: Entry) -> bool:
        """Whether the entry belongs to another source that still holds it (a record of it from this source
        is then a second view of the same dataset, not a move)."""
        return entry.remote_source not in (None, self.target.source) and entry.gone_at is None

    def _add_keys(self, session: Session, keyed: Mapping[str, int],
                  kept: Sequence[tuple[Entry | EntryRef, HarvestedRecord]]) -> None:
        """Remember the keys of the page's records that no entry has yet (an unchanged page adds nothing)."""
        new: dict[str, int] = {}
        for entry, record in kept:
            for key in record.keys:
                if key not in keyed and key not in new:
                    new[key] = entry.id
        ingest.remember_keys(session, self.target.city, new)

    def _note_modified(self, modified: str | None, *, skipped: bool = False) -> None:
        if not modified:
            return
        if skipped:
            if self._earliest_skipped is None or modified < self._earliest_skipped:
                self._earliest_skipped = modified
        elif self._high_water is None or modified > self._high_water:
            self._high_water = modified

    def _read(self, record: HarvestedRecord) -> tuple[dict[str, Any], list[Finding]]:
        """A record's values, normalised as survey answers are, and the findings of reading and normalising it."""
        file = self._file(record.link)
        normalised = ingest.normalise(self.normaliser, record.raw, self.city.geocoding_uri)
        found = [f.at(file=file) for f in (*record.findings, *normalised.findings)]
        return normalised.values, found

    def _plan_record(
        self,
        record: HarvestedRecord,
        entry: Entry | None,
        department: str | None,
        unmapped: bool,
        identifier: str | None,
        answers: Mapping[int, Mapping[str, Any]],
        fills: Mapping[int, Mapping[str, Mapping[str, Any]]],
        run_findings: list[Finding],
    ) -> tuple[ingest.Incoming, _Done] | None:
        """Normalise and merge one record (``identifier`` for a new entry): what to save, and what to make of
        the save (the entry, its findings, whether anything was written); None when the record has no
        department to go to."""
        self.report.records += 1
        file = self._file(record.link)
        values, found = self._read(record)
        if entry is None and department is None:
            title = str(record.raw.get("title") or record.remote_id)
            run_findings.append(
                finding("department-unknown", value=record.organization or "", source=self.target.source,
                        title=title).at(city=self.target.city, file=file)
            )
            self.report.skipped += 1
            self._note_modified(record.remote_modified, skipped=True)
            return None
        self._note_modified(record.remote_modified)
        answer = answers.get(entry.id) if entry is not None else None
        if answer is not None:
            values, filled, conflicts = merge_values(answer, values)
            found = [f for f in found if f.field is None or f.field in filled]
            self.report.merged += 1
            self.report.conflicts += len(conflicts)
        elif entry is not None and (entry.remote_source, entry.remote_id) != (self.target.source, record.remote_id):
            self.report.merged += 1  # met through its identifier or a key: the same dataset, now from here
        others = {s: f for s, f in (fills.get(entry.id, {}) if entry is not None else {}).items()
                  if s != self.target.source}
        for filled_by in others.values():  # what other sources of the dataset filled in stays filled
            values = _fill(values, filled_by)
        if unmapped and department is not None and (entry is None or entry.department == department):
            found.append(
                finding("department-unmapped", value=record.organization or "", source=self.target.source,
                        department=department).at(file=file)
            )
        item = ingest.Incoming(
            values,
            Source("harvest", record.link or self.target.source, run_id=self.run_id),
            city=entry.city if entry is not None else self.target.city,
            department=entry.department if entry is not None else str(department),
            entry=entry,
            identifier=entry.identifier if entry is not None else identifier,
            raw=self._raw(record, fills=others),
            origin=self.target.origin,
            remote=(self.target.source, record.remote_id, record.remote_modified),
        )
        located = self._at(found, str(item.identifier), item.city, item.department)

        def done(result: ingest.Saved | None) -> tuple[Entry | EntryRef, list[Finding], bool]:
            assert result is not None
            saved = result.entry
            returned = False
            if not result.changed:
                assert isinstance(saved, Entry)
                if saved.gone_at is not None:
                    saved.gone_at = None
                    returned = True
                if (saved.remote_source, saved.remote_id) != (self.target.source, record.remote_id):
                    # first met through its identifier or a key: link it, so the next run knows it by its remote id
                    saved.remote_source, saved.remote_id = self.target.source, record.remote_id
                    saved.remote_modified = record.remote_modified
            self.report.created += int(result.created)
            self.report.updated += int(result.changed and not result.created)
            self.report.unchanged += int(not result.changed)
            self.report.returned += int(returned)
            return saved, located, result.changed or returned

        return item, done

    def _plan_alongside(
        self,
        record: HarvestedRecord,
        entry: Entry,
        fills: Mapping[int, Mapping[str, Mapping[str, Any]]],
    ) -> tuple[ingest.Incoming | None, _Done]:
        """A record of a dataset that another source brought (see the module docstring): compared with the
        entry, it fills what the entry leaves empty, or is reported as disagreeing; the entry stays linked
        to its own source. Returns what to save (None: nothing) and what to make of the save (the entry, the
        findings and whether anything was written)."""
        self.report.records += 1
        self.report.merged += 1
        self._note_modified(record.remote_modified)
        values, found = self._read(record)
        earlier = dict(fills.get(entry.id, {}))
        mine = earlier.pop(self.target.source, {})
        current = {key: column_value(key, getattr(entry, key)) for key in CONTENT_KEYS}
        for key, value in mine.items():  # what this source filled earlier is its own value, not the entry's
            if current.get(key) == value:
                current[key] = None
        merged, filled, conflicts = merge_values(current, values)
        conflicts = [key for key in conflicts if key not in _NOT_COMPARED]

        def unchanged(found: list[Finding]) -> _Done:
            def done(_result: ingest.Saved | None) -> tuple[Entry | EntryRef, list[Finding], bool]:
                self.report.unchanged += 1
                return entry, found, False
            return done

        if conflicts:
            self.report.duplicates += 1
            fields = [BY_KEY[k].label if k in BY_KEY else k for k in conflicts]
            owner = str(entry.remote_source)
            return None, unchanged([finding(
                "duplicate-across-sources", value=record.link or record.remote_id, source=self.target.source,
                owner=owner, fields=", ".join(f"„{f}“" for f in fields), fields_en=", ".join(conflicts),
            ).at(file=self._file(record.link))])
        given = ingest.jsonable({key: merged[key] for key in sorted(filled)})
        if given == mine:
            return None, unchanged([])
        merged = {key: (given[key] if key in given else current[key]) for key in CONTENT_KEYS}
        fills_now = {**earlier, **({self.target.source: given} if given else {})}
        item = ingest.Incoming(
            merged, Source("harvest", record.link or self.target.source, run_id=self.run_id), city=entry.city,
            department=entry.department, entry=entry, raw=self._raw(record, fills=fills_now),
        )

        def done(result: ingest.Saved | None) -> tuple[Entry | EntryRef, list[Finding], bool]:
            assert result is not None
            if result.changed:
                self.report.updated += 1
                return entry, [f for f in found if f.field in filled], True
            self.report.unchanged += 1
            return entry, [], False

        return item, done

    def _own_runs(self, session: Session) -> list[int]:
        """The harvest runs of this source (and scope), this one included."""
        if self._runs is None:
            self._runs = [
                run.id for run in session.scalars(select(Run).where(Run.kind == RUN_KIND, Run.id != self.run_id))
                if (run.summary or {}).get("source") == self.target.source
                and (run.summary or {}).get("scope") == self.report.scope
            ]
        return [*self._runs, self.run_id]

    def _findings_alongside(
        self, session: Session, alongside: Sequence[tuple[Entry, list[Finding], bool]]
    ) -> list[tuple[Entry, list[Finding]]]:
        """The findings of records of datasets other sources brought, written so that this source's own earlier
        findings on those entries are replaced and nobody else's are touched; a disagreement already reported
        the same way stays as it is (an unchanged source writes nothing)."""
        if not alongside:
            return []
        runs = self._own_runs(session)
        ids = [e.id for e, _found, _written in alongside]
        open_rows = list(session.scalars(select(FindingRow).where(
            FindingRow.entry_id.in_(ids), FindingRow.stage == HARVEST_STAGE, FindingRow.is_open.is_(True),
            FindingRow.run_id.in_(runs),
        )))
        located: list[tuple[Entry, list[Finding]]] = []
        for entry, found, written in alongside:
            mine = [row for row in open_rows if row.entry_id == entry.id]
            wanted = self._located(entry, found)
            if not written and {(f.code, f.message) for f in wanted} == {(r.code, r.message) for r in mine}:
                continue
            for row in mine:
                row.is_open = False
            if wanted:
                located.append((entry, wanted))
        return located

    # -- the end of a run -------------------------------------------------------------------------------

    def finish(self, *, present: Collection[str] | None, incomplete: tuple[str, str] | None = None) -> HarvestReport:
        """Mark the entries whose records are no longer at the source, and close the run.

        ``present`` is every remote id the source holds now (inside the run's scope); None when the source
        could not be read completely (``incomplete`` says why, in English and German): then nothing is
        marked gone, because a missing record might only be unread.
        """
        with self.store.session() as session:
            if present is None:
                self.report.complete = False
                reason, reason_de = incomplete or ("the listing is incomplete", "die Liste ist unvollständig")
                problem = finding("harvest-incomplete", source=self.target.source, reason=reason, reason_de=reason_de)
                self._run_findings.append(problem.at(city=self.target.city, file=self._file(None)))
            else:
                self._mark_gone(session, set(present))
            self._write_run_findings(session)
            high_water = self._high_water
            if self._earliest_skipped is not None and (high_water is None or self._earliest_skipped < high_water):
                high_water = self._earliest_skipped  # skipped records are fetched again next time
            self.report.high_water = high_water
            self.report.seconds = time.perf_counter() - self._started
            ingest.close_run(session, self.run_id, self.report.summary())
        return self.report

    def fail(self, error: BaseException) -> None:
        """Close the run as failed (its high-water mark is not used by the next run)."""
        self.report.seconds = time.perf_counter() - self._started
        with self.store.session() as session:
            ingest.close_run(session, self.run_id, {**self.report.summary(), "error": str(error)[:2000]}, status="failed")

    def _write_run_findings(self, session: Session) -> None:
        """Store the findings about the source itself (skipped records, an incomplete read): one that an
        earlier run of the same source and scope reported already stays as it is (an unchanged source
        writes nothing); one that no longer applies is closed."""
        self.report.findings.update(f.code for f in self._run_findings)
        earlier = [
            run.id for run in session.scalars(select(Run).where(Run.kind == RUN_KIND, Run.id != self.run_id))
            if (run.summary or {}).get("source") == self.target.source
            and (run.summary or {}).get("scope") == self.report.scope
        ]
        current = {(f.code, f.value, f.file, f.message): f for f in self._run_findings}
        reported: set[tuple[Any, ...]] = set()
        if earlier:
            for row in session.scalars(select(FindingRow).where(
                FindingRow.stage == HARVEST_STAGE, FindingRow.entry_id.is_(None), FindingRow.is_open.is_(True),
                FindingRow.run_id.in_(earlier),
            )):
                key = (row.code, row.value, row.file, row.message)
                if key in current:
                    reported.add(key)
                else:
                    row.is_open = False
        add_findings(session, [f for key, f in current.items() if key not in reported], stage=HARVEST_STAGE,
                     run_id=self.run_id)

    def _mark_gone(self, session: Session, present: set[str]) -> None:
        candidates = [
            e for e in session.scalars(
                select(Entry).where(Entry.remote_source == self.target.source, Entry.gone_at.is_(None))
            )
            if e.remote_id not in present
        ]
        if self.target.scope is not None and candidates:
            scope = {self._key(s) for s in self.target.scope}
            origins = _harvest_organisations(session, [e.id for e in candidates])
            candidates = [e for e in candidates if self._key(origins.get(e.id) or "") in scope]
        if not candidates:
            return
        answers = _survey_answers(session, [e.id for e in candidates])
        now = utcnow()
        gone_ids = [e.id for e in candidates if e.id not in answers]
        groups: list[tuple[Entry, list[Finding]]] = []
        for entry in sorted(candidates, key=lambda e: e.identifier):
            remote_id = entry.remote_id
            if entry.id in answers:
                consequence = ("Der Eintrag bleibt, weil die Dienststelle ihn in der Umfrage angegeben hat; "
                               "die Verknüpfung mit der Quelle wurde gelöst.")
                consequence_en = "The entry stays (the department confirmed it in the survey); its link to the source was removed."
                entry.remote_source = entry.remote_id = entry.remote_modified = None
            else:
                consequence = "Der Eintrag wurde als entfernt markiert und bleibt in der Historie."
                consequence_en = "The entry is marked gone and kept in the history."
                entry.gone_at = now
            found = finding("remote-gone", value=remote_id, source=self.target.source,
                            consequence=consequence, consequence_en=consequence_en)
            groups.append((entry, [found.at(city=entry.city, department=entry.department, identifier=entry.identifier,
                                            file=self._file(None))]))
            self.report.gone.append(entry.identifier)
        ingest.record_findings(session, groups, stage=HARVEST_STAGE, run_id=self.run_id, superseding=gone_ids,
                               stages=_GONE_CLOSES)
        self.report.findings["remote-gone"] += len(groups)


def harvest_records(
    store: Store,
    organisation: Organisation,
    target: HarvestTarget,
    pages: Iterable[Sequence[HarvestedRecord]],
    *,
    skipped: Callable[[], Iterable[Skipped]] = lambda: (),
    incomplete: Callable[[], tuple[str, str] | None] = lambda: None,
    today: dt.date | None = None,
) -> HarvestReport:
    """Harvest ``pages`` of records in one run, for sources read whole (a catalog, a database).

    What the run did not read is reported once the pages are consumed: ``skipped()`` the records the
    connector could not map, ``incomplete()`` why the source was not read to its end (English, German) or
    None; only a complete read marks entries gone. An incremental CKAN harvest drives a :class:`Harvest`
    itself, as its list of present records comes from a separate listing.
    """
    harvest = Harvest(store, organisation, target, today=today)
    try:
        for page in pages:
            harvest.add(page)
        harvest.skip(skipped())
        why = incomplete()
    except BaseException as exc:
        harvest.fail(exc)
        raise
    return harvest.finish(present=harvest.seen if why is None else None, incomplete=why)


__all__ = [
    "HARVEST_STAGE",
    "IDENTIFIER_PATTERN",
    "PROVENANCE_KEY",
    "Harvest",
    "HarvestReport",
    "HarvestTarget",
    "HarvestedRecord",
    "Skipped",
    "harvest_records",
    "inventur_identifier",
    "machine_date",
    "merge_values",
    "previous_high_water",
]


def last_run_started(session: Session, name: str) -> dt.datetime | None:
    """When the last successful harvest of the configured source ``name`` started (None: never)."""
    for run in session.scalars(select(Run).where(Run.kind == RUN_KIND, Run.status == "ok").order_by(Run.id.desc())):
        if (run.summary or {}).get("name") == name:
            started = run.started_at
            return started if started.tzinfo else started.replace(tzinfo=dt.UTC)
    return None
