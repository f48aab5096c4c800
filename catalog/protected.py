"""The list of protected data (Data Governance Act (EU) 2022/868, Art. 8): which holdings it names, and how
the review decides it.

Public bodies make their non-open data findable through a single information point, with the conditions
for re-use, so that others can ask to re-use it. The inventory knows which holdings are restricted or not
public and why; this module decides which of them the list names, the way the review decides publication:

- a named reviewer *admits* an entry to the list (``admit-protected``) or *excludes* it
  (``exclude-protected``, a comment saying why is required); the decision is stored with who, when and
  the entry version, and holds for that version only: a changed entry needs a new decision, as an
  approval does;
- hard rules hold whatever a reviewer decides (:func:`listing_blockers`): only restricted and not public
  holdings belong to the list (public ones go to the open-data portal), a holding whose department said
  that even its description reveals protected facts (``protected_listing = no``) stays out, and so does
  one with open errors or one gone from its source.

What the list carries of an admitted entry is chosen field by field (:data:`LISTED_KEYS`): title,
description, themes, keywords, formats, period, area, access rights, legal basis and conditions. Never
the entry's contact person or e-mail, never a URL of the data, never its remarks or source system: the
export (``catalog.dcat.export.build_protected_catalog``) cannot leak what it is never given.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.findings import Finding, finding
from catalog.models import Entry, ReviewDecision, utcnow
from catalog.review.decisions import DecisionResult, InvalidInput, ReviewError, find_entry, reviewer_name

RESTRICTED = "http://publications.europa.eu/resource/authority/access-right/RESTRICTED"
NON_PUBLIC = "http://publications.europa.eu/resource/authority/access-right/NON_PUBLIC"
PROTECTED_ACCESS = frozenset({RESTRICTED, NON_PUBLIC})

ADMIT = "admit-protected"
EXCLUDE = "exclude-protected"
DECISIONS = (ADMIT, EXCLUDE)

# blocker code: (German, English) explanation
BLOCKERS: dict[str, tuple[str, str]] = {
    "not-restricted": ("Zugang ist nicht eingeschränkt oder nicht öffentlich (offene Daten gehören ins Portal)",
                       "access is not restricted or non-public (open data belongs on the portal)"),
    "listing-refused": ("die Dienststelle hat eine Nennung im Verzeichnis abgelehnt (schon die Beschreibung ist "
                        "schützenswert)", "the department refused a listing (the description itself is protected)"),
    "open-errors": ("offene Fehler", "open errors"),
    "gone": ("in der Quelle nicht mehr vorhanden", "gone from its source"),
}

# The keys of an entry the list of protected data may carry; everything else stays in the inventory.
LISTED_KEYS: tuple[str, ...] = (
    "identifier", "city", "department", "title", "description", "theme", "keywords", "formats", "frequency",
    "temporal_start", "temporal_end", "spatial", "last_updated", "access_rights", "license", "legal_basis",
    "restriction_reason", "reuse_conditions",
)


def listing_blockers(record: Mapping[str, Any], *, open_errors: int = 0, gone: bool = False) -> list[str]:
    """The hard rules that keep an entry off the list of protected data, whatever a reviewer decides."""
    blockers = []
    if record.get("access_rights") not in PROTECTED_ACCESS:
        blockers.append("not-restricted")
    if record.get("protected_listing") == "no":
        blockers.append("listing-refused")
    if open_errors:
        blockers.append("open-errors")
    if gone:
        blockers.append("gone")
    return blockers


def blocker_text(code: str, lang: str = "de") -> str:
    german, english = BLOCKERS.get(code, (code, code))
    return german if lang == "de" else english


def listing_findings(record: Mapping[str, Any]) -> list[Finding]:
    """What a restricted entry still needs for the list: the legal basis of its restriction (a warning)."""
    if record.get("access_rights") not in PROTECTED_ACCESS or record.get("protected_listing") == "no":
        return []
    legal = record.get("legal_basis")
    if isinstance(legal, str) and legal.strip():
        return []
    return [finding("legal-basis-missing", field="legal_basis")]


def listed_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """The part of an export record the list may carry (:data:`LISTED_KEYS`); the open licence of a
    holding that is not open is dropped, as it does not apply."""
    from catalog.vocabulary import vocabularies

    listed = {key: record.get(key) for key in LISTED_KEYS}
    licence = vocabularies()["license"].get(str(listed.get("license") or ""))
    if licence is not None and licence.open:
        listed["license"] = None
    return listed


# --------------------------------------------------------------------------- decisions


class ListingRefused(ReviewError):
    """A hard rule keeps the entry off the list; nothing was written."""

    def __init__(self, identifier: str, blockers: list[str]) -> None:
        self.blockers = tuple(blockers)
        super().__init__(
            f"{identifier}: listing refused by a hard rule: "
            + "; ".join(f"{blocker_text(b, 'en')} ({b})" for b in blockers),
            identifier=identifier,
            message_de=f"{identifier}: nicht ins Verzeichnis: " + "; ".join(blocker_text(b) for b in blockers),
        )


@dataclass(frozen=True)
class Listing:
    """An entry as the list of protected data sees it: its blockers and the decision on its current version."""

    entry: Entry
    blockers: list[str]
    decision: ReviewDecision | None  # the latest admit/exclude decision on the current version

    @property
    def admitted(self) -> bool:
        return not self.blockers and self.decision is not None and self.decision.decision == ADMIT

    @property
    def state(self) -> str:
        """``admitted``, ``excluded``, ``blocked`` or ``undecided``."""
        if self.blockers:
            return "blocked"
        if self.decision is None:
            return "undecided"
        return "admitted" if self.decision.decision == ADMIT else "excluded"

    def as_record(self) -> dict[str, Any]:
        entry, decision = self.entry, self.decision
        return {
            "identifier": entry.identifier, "city": entry.city, "department": entry.department,
            "title": entry.title, "access_rights": entry.access_rights, "version": entry.version,
            "listing": self.state, "blockers": list(self.blockers),
            "decided_by": decision.reviewer if decision is not None else None,
            "decided_at": decision.decided_at.isoformat() if decision is not None else None,
        }


def _open_errors(session: Session, entry_ids: list[int]) -> dict[int, int]:
    from catalog.models import FindingRow

    counts: dict[int, int] = {}
    for start in range(0, len(entry_ids), 900):
        chunk = entry_ids[start:start + 900]
        for entry_id, count in session.execute(
            select(FindingRow.entry_id, func.count())
            .where(FindingRow.entry_id.in_(chunk), FindingRow.is_open.is_(True), FindingRow.severity == "error")
            .group_by(FindingRow.entry_id)
        ):
            if entry_id is not None:
                counts[int(entry_id)] = int(count)
    return counts


def _decisions(session: Session, entries: list[Entry]) -> dict[int, ReviewDecision]:
    """The latest admit/exclude decision of each entry, where it was taken on the entry's current version."""
    versions = {e.id: e.version for e in entries}
    latest: dict[int, ReviewDecision] = {}
    ids = list(versions)
    for start in range(0, len(ids), 900):
        chunk = ids[start:start + 900]
        for decision in session.scalars(
            select(ReviewDecision).where(ReviewDecision.entry_id.in_(chunk), ReviewDecision.decision.in_(DECISIONS))
            .order_by(ReviewDecision.id)
        ):
            latest[decision.entry_id] = decision
    return {k: d for k, d in latest.items() if d.entry_version == versions[k]}


def listings(session: Session, *, city: str | None = None, identifiers: list[str] | None = None,
             restricted_only: bool = True) -> Iterator[Listing]:
    """The entries the list of protected data could name (restricted and not public ones, by default), with
    their blockers and decisions, in city, department and identifier order."""
    from catalog.inventory import entry_record

    query = select(Entry).order_by(Entry.city, Entry.department, Entry.identifier)
    if city:
        query = query.where(Entry.city == city)
    if identifiers is not None:
        query = query.where(Entry.identifier.in_([i.strip() for i in identifiers]))
    if restricted_only:
        query = query.where(Entry.access_rights.in_(sorted(PROTECTED_ACCESS)))
    entries = list(session.scalars(query))
    errors = _open_errors(session, [e.id for e in entries])
    decided = _decisions(session, entries)
    for entry in entries:
        blockers = listing_blockers(entry_record(entry), open_errors=errors.get(entry.id, 0),
                                    gone=entry.gone_at is not None)
        yield Listing(entry, blockers, decided.get(entry.id))


def protected_records(session: Session, *, city: str | None = None) -> list[dict[str, Any]]:
    """What the list of protected data names: the admitted entries blocked by no hard rule, each reduced to
    :data:`LISTED_KEYS`, with ``issued``/``modified`` (when the entry was first and last recorded)."""
    from catalog.inventory import entry_record

    records = []
    for listing in listings(session, city=city):
        if not listing.admitted:
            continue
        record = listed_record(entry_record(listing.entry))
        record["issued"] = listing.entry.created_at.isoformat()
        record["modified"] = listing.entry.updated_at.isoformat()
        records.append(record)
    return records


def admit(session: Session, identifier: str, reviewer: str, comment: str | None = None) -> DecisionResult:
    """Admit the entry's current version to the list of protected data; :class:`ListingRefused` when a hard
    rule keeps it out. Admitting an admitted entry changes nothing."""
    return _decide(session, identifier, reviewer, comment, ADMIT)


def exclude(session: Session, identifier: str, reviewer: str, comment: str | None) -> DecisionResult:
    """Keep the entry off the list of protected data (a comment saying why is required). Excluding an
    excluded entry changes nothing."""
    return _decide(session, identifier, reviewer, comment, EXCLUDE)


def _decide(session: Session, identifier: str, reviewer: str, comment: str | None, decision: str) -> DecisionResult:
    who = reviewer_name(reviewer)
    note = (comment or "").strip() or None
    if decision == EXCLUDE and note is None:
        raise InvalidInput("a comment is required to exclude an entry from the list of protected data (why)",
                           identifier=identifier)
    entry = find_entry(session, identifier, lock=True)
    [listing] = list(listings(session, identifiers=[entry.identifier], restricted_only=False))
    if decision == ADMIT and listing.blockers:
        raise ListingRefused(entry.identifier, listing.blockers)
    if listing.decision is not None and listing.decision.decision == decision:
        return DecisionResult(entry.identifier, decision, entry.status, entry.status, entry.version, recorded=False,
                              note=f"already {'admitted' if decision == ADMIT else 'excluded'} (version {entry.version})")
    session.add(ReviewDecision(
        entry_id=entry.id, entry_version=entry.version, decision=decision, state_from=entry.status,
        state_to=entry.status, reviewer=who, comment=note, decided_at=utcnow(),
    ))
    session.flush()
    return DecisionResult(entry.identifier, decision, entry.status, entry.status, entry.version, recorded=True)
