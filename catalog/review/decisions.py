"""Review of inventory entries: a named reviewer of the city approves, rejects, clears third-party rights,
reopens or withdraws an entry, and every decision is stored with who, when, which version, from which
state to which, and why.

Review states of an entry::

    new ──validate──> needs_changes (open errors) ⇄ ready (ready for review)
    ready / rejected / withdrawn ──approve──> approved ──publish──> published
    new / needs_changes / ready / approved ──reject──> rejected
    published ──reject or withdraw──> withdrawn          (the publish step takes it off the portal)
    approved / rejected / withdrawn ──reopen──> new      (validation moves it on)

A content change of an approved or published entry sets it back to ``new`` (see
:func:`catalog.inventory.save_entry`), so it needs approval again. A rights clearance holds for the
entry version it was given for; any change of content makes a new version and needs clearing again.

The hard rules of :mod:`catalog.publish.rules` are checked on every approval (and again when an entry is
marked published); no decision overrides them. A refused action raises a :class:`ReviewError`
subclass and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.errors import InventurError, UsageError
from catalog.fields import BY_KEY, Kind
from catalog.findings import SEVERITY_ORDER
from catalog.inventory import entry_record
from catalog.models import Entry, EntryVersion, FindingRow, ReviewDecision, utcnow
from catalog.publish.rules import BLOCKERS, WAITING, hard_blockers, waiting_for
from catalog.vocabulary import vocabularies

# The review states, in the order an entry usually passes them.
STATES: tuple[str, ...] = ("new", "needs_changes", "ready", "approved", "rejected", "published", "withdrawn")

# What a department or reviewer reads for each state.
STATE_LABELS: dict[str, str] = {
    "new": "neu (noch nicht geprüft)",
    "needs_changes": "Änderungen nötig",
    "ready": "bereit zur Freigabe",
    "approved": "freigegeben",
    "rejected": "abgelehnt",
    "published": "veröffentlicht",
    "withdrawn": "zurückgezogen",
}

# The decisions stored in ``review_decisions.decision``.
APPROVE = "approve"
REJECT = "reject"
WITHDRAW = "withdraw"
REOPEN = "reopen"
CLEAR_RIGHTS = "clear-rights"
PUBLISH = "publish"

DECISION_LABELS: dict[str, str] = {
    APPROVE: "freigegeben",
    REJECT: "abgelehnt",
    WITHDRAW: "zurückgezogen",
    REOPEN: "wieder geöffnet",
    CLEAR_RIGHTS: "Rechte Dritter geklärt",
    PUBLISH: "veröffentlicht",
    # the list of protected data (catalog.protected)
    "admit-protected": "ins Verzeichnis geschützter Daten aufgenommen",
    "exclude-protected": "aus dem Verzeichnis geschützter Daten herausgenommen",
}

_APPROVABLE = frozenset({"ready", "rejected", "withdrawn"})
_REJECTABLE = frozenset({"new", "needs_changes", "ready", "approved"})
_REOPENABLE = frozenset({"approved", "rejected", "withdrawn"})
_RIGHTS_TO_CLEAR = frozenset({"yes", "unclear"})
_MAX_REVIEWER = 200


# --------------------------------------------------------------------------- errors


class ReviewError(InventurError):
    """A review action that cannot be carried out; nothing was written.

    ``str(error)`` is the English message for operators; ``message_de`` the German text where a
    department or reviewer reads it (e.g. the hard rules that block an approval).
    """

    def __init__(self, message: str, *, identifier: str | None = None, message_de: str | None = None) -> None:
        super().__init__(message)
        self.identifier = identifier
        self.message_de = message_de or message


class UnknownEntry(ReviewError, UsageError, LookupError):
    """No entry has this identifier."""


class InvalidInput(ReviewError, UsageError, ValueError):
    """The request itself is incomplete: no reviewer name, or no comment where one is required."""


class TransitionRefused(ReviewError):
    """The entry's review state does not allow this decision (e.g. approving an entry never validated)."""


class ApprovalRefused(ReviewError):
    """A hard rule (STANDARDS.md, "Rules that decide publication") blocks the entry; no approval overrides it."""

    def __init__(self, identifier: str, blockers: Sequence[str], *, action: str = "approval") -> None:
        self.blockers = tuple(blockers)
        english = "; ".join(f"{blocker_text(code, 'en')} ({code})" for code in self.blockers)
        german = "; ".join(blocker_text(code, "de") for code in self.blockers)
        verb = "Freigabe" if action == "approval" else "Veröffentlichung"
        super().__init__(
            f"{identifier}: {action} refused by a hard rule: {english}",
            identifier=identifier,
            message_de=f"{identifier}: {verb} nicht möglich: {german}",
        )


class StaleEntry(ReviewError):
    """The entry changed after the reviewer saw it (another version or content): the decision is not applied."""

    def __init__(self, identifier: str, *, seen_version: int, current_version: int) -> None:
        self.seen_version = seen_version
        self.current_version = current_version
        if seen_version == current_version:
            detail = f"its content differs from version {seen_version} as reviewed"
        else:
            detail = f"reviewed version {seen_version}, now version {current_version}"
        super().__init__(
            f"{identifier}: the entry changed since it was reviewed ({detail}); review the current version",
            identifier=identifier,
            message_de=(
                f"{identifier}: Der Eintrag wurde nach der Prüfung geändert (geprüft: Version {seen_version}, "
                f"jetzt: Version {current_version}). Bitte die aktuelle Fassung prüfen."
            ),
        )


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class DecisionResult:
    """What a review action did. ``recorded`` is false when nothing had to change (e.g. approved twice)."""

    identifier: str
    decision: str
    state_from: str
    state_to: str
    version: int
    recorded: bool
    note: str = ""
    waiting: tuple[str, ...] = ()  # approved, but the portal still waits for this (codes of publication.WAITING)


@dataclass
class ReviewItem:
    """An entry as a reviewer sees it in a list: its record, open errors, clearance, blockers, last decision."""

    entry: Entry
    record: dict[str, Any]
    open_errors: int
    rights_cleared: bool
    blockers: list[str]
    last_decision: ReviewDecision | None = None

    @property
    def identifier(self) -> str:
        """The entry's identifier."""
        return self.entry.identifier

    @property
    def state(self) -> str:
        """The entry's review state (one of :data:`STATES`)."""
        return self.entry.status

    @property
    def waiting(self) -> list[str]:
        """What the portal still needs before it can show the entry (none while a hard rule blocks it)."""
        return [] if self.blockers else waiting_for(self.record)

    @property
    def changed_since_decision(self) -> bool:
        """The entry has a newer version than the one its last decision was taken on."""
        return self.last_decision is not None and self.last_decision.entry_version < self.entry.version

    def as_record(self) -> dict[str, Any]:
        """A JSON-ready summary (``inventur review list --format jsonl``)."""
        last = self.last_decision
        return {
            "identifier": self.identifier,
            "city": self.entry.city,
            "department": self.entry.department,
            "title": self.entry.title,
            "state": self.state,
            "version": self.entry.version,
            "content_hash": self.entry.content_hash,
            "open_errors": self.open_errors,
            "third_party_rights": self.entry.third_party_rights,
            "rights_cleared": self.rights_cleared,
            "blockers": list(self.blockers),
            "waiting": self.waiting,
            "gone": self.entry.gone_at is not None,
            "changed_since_decision": self.changed_since_decision,
            "last_decision": decision_record(last) if last is not None else None,
        }


@dataclass
class ReviewDetails:
    """Everything ``inventur review show`` prints about one entry."""

    item: ReviewItem
    findings: list[FindingRow] = field(default_factory=list)
    decisions: list[ReviewDecision] = field(default_factory=list)
    versions: list[EntryVersion] = field(default_factory=list)


# --------------------------------------------------------------------------- texts


def blocker_text(code: str, lang: str = "de") -> str:
    """The German (``de``) or English (``en``) explanation of a hard-rule blocker code."""
    german, english = BLOCKERS.get(code, (code, code))
    return german if lang == "de" else english


def state_label(state: str) -> str:
    """The German label of a review state (the state itself when unknown)."""
    return STATE_LABELS.get(state, state)


def decision_record(decision: ReviewDecision) -> dict[str, Any]:
    """A stored decision as a JSON-ready mapping."""
    return {
        "decision": decision.decision,
        "state_from": decision.state_from,
        "state_to": decision.state_to,
        "entry_version": decision.entry_version,
        "reviewer": decision.reviewer,
        "comment": decision.comment,
        "decided_at": decision.decided_at.isoformat() if decision.decided_at else None,
    }


def shown_value(key: str, entry: Entry) -> str:
    """The value of field ``key`` as a German reader sees it: labels for codes, ``; `` between list items,
    German dates, the spatial scope's label instead of the geocoding URI; empty text for no value."""
    if key == "spatial":
        scope = entry.spatial_scope
        if scope:
            return vocabularies().label("spatial_scope", scope) or scope
        return entry.spatial or ""
    value = getattr(entry, key, None)
    spec = BY_KEY.get(key)
    if value is None or value == "" or value == []:
        return ""
    if spec is None:
        return str(value)
    if spec.kind is Kind.CODES and spec.vocabulary:
        return "; ".join(vocabularies().label(spec.vocabulary, str(v)) or str(v) for v in value)
    if spec.kind is Kind.KEYWORDS:
        return "; ".join(str(v) for v in value)
    if spec.kind is Kind.CODE and spec.vocabulary:
        return vocabularies().label(spec.vocabulary, str(value)) or str(value)
    if spec.kind in (Kind.DATE, Kind.DATE_START, Kind.DATE_END):
        try:
            return dt.date.fromisoformat(str(value)[:10]).strftime("%d.%m.%Y")
        except ValueError:
            return str(value)
    return str(value)


# --------------------------------------------------------------------------- facts the rules need


def find_entry(session: Session, identifier: str, *, lock: bool = False) -> Entry:
    """The entry with ``identifier`` (locked for update where the database supports it), or :class:`UnknownEntry`."""
    query = select(Entry).where(Entry.identifier == identifier.strip())
    if lock:
        query = query.with_for_update()
    entry = session.execute(query).scalar_one_or_none()
    if entry is None:
        raise UnknownEntry(f"no entry with identifier {identifier!r}", identifier=identifier)
    return entry


def open_error_count(session: Session, entry: Entry) -> int:
    """How many open findings of severity ``error`` the entry has (from any stage)."""
    count = session.scalar(
        select(func.count())
        .select_from(FindingRow)
        .where(FindingRow.entry_id == entry.id, FindingRow.is_open.is_(True), FindingRow.severity == "error")
    )
    return int(count or 0)


def rights_cleared(session: Session, entry: Entry) -> bool:
    """Whether a reviewer cleared the third-party rights of the entry's *current* version."""
    found = session.scalar(
        select(ReviewDecision.id)
        .where(
            ReviewDecision.entry_id == entry.id,
            ReviewDecision.decision == CLEAR_RIGHTS,
            ReviewDecision.entry_version == entry.version,
        )
        .limit(1)
    )
    return found is not None


def blockers_of(session: Session, entry: Entry) -> list[str]:
    """The hard rules that block this entry now (codes of :data:`catalog.publish.rules.BLOCKERS`)."""
    return hard_blockers(
        entry_record(entry), open_errors=open_error_count(session, entry), rights_cleared=rights_cleared(session, entry)
    )


def publication_facts(session: Session, entry_ids: Iterable[int] | None = None) -> dict[int, tuple[int, bool]]:
    """Per entry id: (open error findings, third-party rights cleared for the current version).

    In bulk, for the publish step and the DCAT export, which pass both to
    :func:`catalog.publish.rules.is_publishable`. Entries with neither are left out: (0, False).
    """
    ids = list(entry_ids) if entry_ids is not None else None
    errors_query = (
        select(FindingRow.entry_id, func.count())
        .where(FindingRow.is_open.is_(True), FindingRow.severity == "error", FindingRow.entry_id.is_not(None))
        .group_by(FindingRow.entry_id)
    )
    cleared_query = (
        select(ReviewDecision.entry_id)
        .join(Entry, Entry.id == ReviewDecision.entry_id)
        .where(ReviewDecision.decision == CLEAR_RIGHTS, ReviewDecision.entry_version == Entry.version)
    )
    if ids is not None:
        if not ids:
            return {}
        errors_query = errors_query.where(FindingRow.entry_id.in_(ids))
        cleared_query = cleared_query.where(ReviewDecision.entry_id.in_(ids))
    errors: dict[int, int] = {int(k): int(v) for k, v in session.execute(errors_query).all() if k is not None}
    cleared = set(session.scalars(cleared_query))
    return {entry_id: (errors.get(entry_id, 0), entry_id in cleared) for entry_id in set(errors) | cleared}


def catalog_records(session: Session, *, city: str | None = None, publishable_only: bool = True) -> list[dict[str, Any]]:
    """The current entries as export records with ``issued``/``modified``: only those approved and blocked
    by no hard rule (what the DCAT-AP.de catalog holds), or all of them."""
    from catalog.inventory import entry_record, iter_entries
    from catalog.publish.rules import is_publishable
    from catalog.records import moment_text

    facts = publication_facts(session)
    records = []
    for entry in iter_entries(session, city=city):
        if entry.gone_at is not None:
            continue
        record = entry_record(entry)
        errors, cleared = facts.get(entry.id, (0, False))
        if publishable_only and not is_publishable(record, open_errors=errors, rights_cleared=cleared):
            continue
        record["issued"] = moment_text(entry.created_at)  # as the publish step writes them to the portal
        record["modified"] = moment_text(entry.updated_at)
        records.append(record)
    return records


# --------------------------------------------------------------------------- decisions


def reviewer_name(name: str | None) -> str:
    """The reviewer's name as stored (blanks collapsed); :class:`InvalidInput` when empty or too long."""
    text = " ".join((name or "").split())
    if not text:
        raise InvalidInput("a reviewer name is required (who decides)")
    if len(text) > _MAX_REVIEWER:
        raise InvalidInput(f"the reviewer name is longer than {_MAX_REVIEWER} characters")
    return text


def _comment(comment: str | None, *, required_for: str | None = None, identifier: str | None = None) -> str | None:
    text = (comment or "").strip()
    if not text and required_for:
        raise InvalidInput(f"a comment is required to {required_for} an entry (why)", identifier=identifier)
    return text or None


def _check_seen(entry: Entry, version: int | None, content_hash: str | None) -> None:
    """Refuse when the reviewer decided on another version or content than the entry has now."""
    if version is not None and version != entry.version:
        raise StaleEntry(entry.identifier, seen_version=version, current_version=entry.version)
    if content_hash is not None and content_hash != entry.content_hash:
        raise StaleEntry(entry.identifier, seen_version=version or entry.version, current_version=entry.version)


def _record(
    session: Session, entry: Entry, decision: str, state_to: str, reviewer: str, comment: str | None
) -> DecisionResult:
    """Store the decision on the entry's current version and move the entry to ``state_to``."""
    state_from = entry.status
    session.add(
        ReviewDecision(
            entry_id=entry.id,
            entry_version=entry.version,
            decision=decision,
            state_from=state_from,
            state_to=state_to,
            reviewer=reviewer,
            comment=comment,
            decided_at=utcnow(),
        )
    )
    entry.status = state_to
    session.flush()
    return DecisionResult(entry.identifier, decision, state_from, state_to, entry.version, recorded=True)


def _unchanged(entry: Entry, decision: str, note: str) -> DecisionResult:
    return DecisionResult(entry.identifier, decision, entry.status, entry.status, entry.version, recorded=False, note=note)


def approve(
    session: Session,
    identifier: str,
    reviewer: str,
    comment: str | None = None,
    *,
    version: int | None = None,
    content_hash: str | None = None,
) -> DecisionResult:
    """Approve the entry's current version for publication.

    Refused with :class:`ApprovalRefused` when a hard rule blocks it (personal data, not public, no open
    licence, attribution missing, third-party rights not cleared for this version, open errors), with
    :class:`TransitionRefused` when the entry is gone from its source or its current content was not
    validated yet (``new``, or ``needs_changes`` whose errors are no longer open),
    and with :class:`StaleEntry` when ``version``/``content_hash`` (what the reviewer saw) are given and
    differ. Approving an approved or published entry changes nothing.
    """
    who = reviewer_name(reviewer)
    note = _comment(comment)
    entry = find_entry(session, identifier, lock=True)
    _check_seen(entry, version, content_hash)
    if entry.status in ("approved", "published"):
        return _unchanged(entry, APPROVE, f"already {entry.status}")
    if entry.gone_at is not None:
        raise TransitionRefused(
            f"{entry.identifier}: the entry is gone from its source and cannot be approved",
            identifier=entry.identifier,
            message_de=f"{entry.identifier}: Der Eintrag ist in seiner Quelle nicht mehr vorhanden.",
        )
    blockers = blockers_of(session, entry)
    if blockers:
        raise ApprovalRefused(entry.identifier, blockers)
    if entry.status not in _APPROVABLE:
        # ``new`` or ``needs_changes`` without open errors: its findings predate its content
        raise TransitionRefused(
            f"{entry.identifier}: the entry is {entry.status!r} and has not been validated since its last change; "
            "run `inventur validate` first",
            identifier=entry.identifier,
            message_de=f"{entry.identifier}: Der Eintrag ist noch nicht geprüft ({state_label(entry.status)}).",
        )
    result = _record(session, entry, APPROVE, "approved", who, note)
    waiting = waiting_for(entry_record(entry))
    if waiting:
        result = replace(result, note="; ".join(WAITING[code][1] for code in waiting), waiting=tuple(waiting))
    return result


def reject(
    session: Session,
    identifier: str,
    reviewer: str,
    comment: str | None,
    *,
    version: int | None = None,
    content_hash: str | None = None,
) -> DecisionResult:
    """Reject the entry (a comment saying why is required).

    A published entry becomes ``withdrawn`` (the publish step takes it off the portal); any other
    not yet decided or approved entry becomes ``rejected``. Rejecting a rejected or withdrawn entry
    changes nothing.
    """
    who = reviewer_name(reviewer)
    note = _comment(comment, required_for="reject", identifier=identifier)
    entry = find_entry(session, identifier, lock=True)
    _check_seen(entry, version, content_hash)
    if entry.status in ("rejected", "withdrawn"):
        return _unchanged(entry, REJECT, f"already {entry.status}")
    if entry.status == "published":
        return _record(session, entry, REJECT, "withdrawn", who, note)
    if entry.status not in _REJECTABLE:
        raise TransitionRefused(f"{entry.identifier}: an entry in state {entry.status!r} cannot be rejected",
                                identifier=entry.identifier)
    return _record(session, entry, REJECT, "rejected", who, note)


def withdraw(session: Session, identifier: str, reviewer: str, comment: str | None) -> DecisionResult:
    """Take a published entry back (``withdrawn``); a comment saying why is required.

    Only published entries can be withdrawn; an entry not yet published is rejected instead.
    """
    who = reviewer_name(reviewer)
    note = _comment(comment, required_for="withdraw", identifier=identifier)
    entry = find_entry(session, identifier, lock=True)
    if entry.status == "withdrawn":
        return _unchanged(entry, WITHDRAW, "already withdrawn")
    if entry.status != "published":
        raise TransitionRefused(
            f"{entry.identifier}: only a published entry can be withdrawn (it is {entry.status!r}); reject it instead",
            identifier=entry.identifier,
        )
    return _record(session, entry, WITHDRAW, "withdrawn", who, note)


def reopen(session: Session, identifier: str, reviewer: str, comment: str | None = None) -> DecisionResult:
    """Undo an approval, a rejection or a withdrawal: the entry becomes ``new`` and the next validation
    moves it to ``ready`` or ``needs_changes``, so that it is reviewed again."""
    who = reviewer_name(reviewer)
    note = _comment(comment)
    entry = find_entry(session, identifier, lock=True)
    if entry.status in ("new", "needs_changes", "ready"):
        return _unchanged(entry, REOPEN, f"already open ({entry.status})")
    if entry.status not in _REOPENABLE:
        raise TransitionRefused(
            f"{entry.identifier}: a {entry.status!r} entry cannot be reopened; reject it to withdraw it",
            identifier=entry.identifier,
        )
    return _record(session, entry, REOPEN, "new", who, note)


def clear_rights(session: Session, identifier: str, reviewer: str, comment: str | None) -> DecisionResult:
    """Record that a reviewer cleared the third-party rights (``yes`` or ``unclear``) of the entry's current
    version; a comment saying how they were cleared is required. The state does not change.

    The clearance holds for this version only: a change of content makes a new version that needs
    clearing again.
    """
    who = reviewer_name(reviewer)
    note = _comment(comment, required_for="clear the third-party rights of", identifier=identifier)
    entry = find_entry(session, identifier, lock=True)
    if entry.third_party_rights not in _RIGHTS_TO_CLEAR:
        raise TransitionRefused(
            f"{entry.identifier}: third-party rights are {entry.third_party_rights or 'not given'}; "
            "only 'yes' or 'unclear' can be cleared",
            identifier=entry.identifier,
        )
    if rights_cleared(session, entry):
        return _unchanged(entry, CLEAR_RIGHTS, f"rights of version {entry.version} already cleared")
    return _record(session, entry, CLEAR_RIGHTS, entry.status, who, note)


def mark_published(session: Session, identifier: str, actor: str, comment: str | None = None) -> DecisionResult:
    """For the publish step: an approved entry is now on the portal (``published``).

    The hard rules are checked once more (an entry's findings may have changed since its approval);
    a blocked entry raises :class:`ApprovalRefused` and stays ``approved``.
    """
    who = reviewer_name(actor)
    entry = find_entry(session, identifier, lock=True)
    if entry.status == "published":
        return _unchanged(entry, PUBLISH, "already published")
    if entry.status != "approved":
        raise TransitionRefused(
            f"{entry.identifier}: only an approved entry can be published (it is {entry.status!r})",
            identifier=entry.identifier,
        )
    blockers = blockers_of(session, entry)
    if blockers:
        raise ApprovalRefused(entry.identifier, blockers, action="publication")
    return _record(session, entry, PUBLISH, "published", who, _comment(comment))


# --------------------------------------------------------------------------- reading


def review_items(
    session: Session,
    *,
    city: str | None = None,
    department: str | None = None,
    states: Sequence[str] = (),
    identifiers: Sequence[str] = (),
    include_gone: bool = True,
    chunk_size: int = 1000,
) -> Iterator[ReviewItem]:
    """Entries with what a reviewer needs to decide, in city, department and identifier order.

    The entries are read ``chunk_size`` at a time (one streamed query); open errors, clearances and last
    decisions are read in bulk per chunk, so a list of thousands costs a few queries, not a few per entry,
    and a consumer that does not keep the items holds no more than a chunk.
    """
    query = select(Entry).order_by(Entry.city, Entry.department, Entry.identifier)
    if city:
        query = query.where(Entry.city == city)
    if department:
        query = query.where(Entry.department == department)
    if states:
        query = query.where(Entry.status.in_(list(states)))
    if identifiers:
        query = query.where(Entry.identifier.in_([i.strip() for i in identifiers]))
    if not include_gone:
        query = query.where(Entry.gone_at.is_(None))
    size = max(1, min(chunk_size, 900))  # the ids of a chunk stay below the bound-parameter limits of the databases
    for rows in session.execute(query.execution_options(yield_per=size)).partitions(size):
        entries = [row[0] for row in rows]
        ids = [e.id for e in entries]
        facts = publication_facts(session, ids)
        latest = (
            select(func.max(ReviewDecision.id)).where(ReviewDecision.entry_id.in_(ids)).group_by(ReviewDecision.entry_id)
        )
        last = {d.entry_id: d for d in session.scalars(select(ReviewDecision).where(ReviewDecision.id.in_(latest)))}
        for entry in entries:
            errors, cleared = facts.get(entry.id, (0, False))
            record = entry_record(entry)
            yield ReviewItem(
                entry=entry,
                record=record,
                open_errors=errors,
                rights_cleared=cleared,
                blockers=hard_blockers(record, open_errors=errors, rights_cleared=cleared),
                last_decision=last.get(entry.id),
            )


def review_item(session: Session, identifier: str) -> ReviewItem:
    """One entry as :func:`review_items` gives it, or :class:`UnknownEntry`."""
    found = list(review_items(session, identifiers=[identifier]))
    if not found:
        raise UnknownEntry(f"no entry with identifier {identifier!r}", identifier=identifier)
    return found[0]


def entry_details(session: Session, identifier: str) -> ReviewDetails:
    """One entry with its open findings, its decision history and its versions (oldest first)."""
    item = review_item(session, identifier)
    entry_id = item.entry.id
    findings = list(
        session.scalars(select(FindingRow).where(FindingRow.entry_id == entry_id, FindingRow.is_open.is_(True)))
    )
    findings.sort(key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), f.field or "", f.id))
    decisions = list(
        session.scalars(select(ReviewDecision).where(ReviewDecision.entry_id == entry_id).order_by(ReviewDecision.id))
    )
    versions = list(
        session.scalars(select(EntryVersion).where(EntryVersion.entry_id == entry_id).order_by(EntryVersion.version))
    )
    return ReviewDetails(item=item, findings=findings, decisions=decisions, versions=versions)
