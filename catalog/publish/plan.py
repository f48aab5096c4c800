"""Publish planning: the difference between the reviewed inventory and a CKAN portal, as actions.

Pure: no I/O. The publish step reads the entries from the store and the portal's packages (in pages,
with ``package_search``), and this module decides, per entry, what has to happen on the portal:

- ``create``    the entry is to be published and the portal has no package of it;
- ``update``    the portal's package differs from what the entry maps to (the content hash differs);
- ``restore``   the entry is to be published, the portal's search does not show its package, but it was
                published there before: the package is probably withdrawn (CKAN keeps soft-deleted
                packages out of its search index), so it is looked up by name and made active again;
- ``withdraw``  a package of ours whose entry is no longer to be published (soft delete: CKAN can undo);
- ``unchanged`` the portal's package is what the entry maps to: no write.

Which entries are to be published (CKAN.md, STANDARDS.md, "Rules that decide publication"):

- an ``approved`` or ``published`` entry that no hard rule blocks: its current version;
- an entry changed after its approval (back in ``new``, ``needs_changes`` or ``ready``): its last approved
  version stays on the portal until it is approved again, unless the current version is blocked by a
  hard rule (personal data, not public, no open licence, attribution missing, third-party rights not
  cleared), which withdraws it. Open errors of the changed version do not: they concern content that is
  not published, and the review deals with them;
- nothing else: ``rejected`` and ``withdrawn`` entries, entries never approved or reopened, entries gone
  from their source, and approved entries now blocked by a hard rule are withdrawn where they are on the
  portal.

An entry that cannot become a valid package (the entries the DCAT-AP.de export leaves out) is skipped
with a reason, and withdrawn where an earlier version of it is on the portal. Only packages we own are
touched: those in our organisations that carry an ``identifier`` extra. A package of ours whose
identifier is not in the inventory is reported, never touched; a second package of ours with the same
identifier is withdrawn, so that each entry is on the portal exactly once.

Withdrawals come first in the plan, then restores, updates and creates. What CKAN refuses when the
plan is applied becomes findings on the entry (:func:`rejection_findings`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from catalog.findings import Finding, finding
from catalog.organisation import Organisation
from catalog.publish.mapping import (
    HASH_EXTRA,
    IDENTIFIER_EXTRA,
    PackageSkipped,
    extra,
    package_name,
    package_of,
)
from catalog.publish.rules import hard_blockers

Action = Literal["create", "update", "restore", "withdraw", "unchanged"]
ACTIONS: tuple[Action, ...] = ("withdraw", "restore", "update", "create", "unchanged")
WRITES: frozenset[str] = frozenset({"create", "update", "restore", "withdraw"})

PUBLISHED_STATES = frozenset({"approved", "published"})
OPEN_STATES = frozenset({"new", "needs_changes", "ready"})
# Hard rules that withdraw the last approved version of an entry changed since (not "open-errors": see above).
_CONTENT_BLOCKERS_IGNORED = frozenset({"open-errors"})

# Reasons (stable codes) of actions and skips besides the skip codes of catalog.dcat.export / catalog.publish.mapping.
REASON_NEW = "new"
REASON_CHANGED = "changed"
REASON_UNCHANGED = "unchanged"
REASON_KEPT = "kept-approved-version"
REASON_REPUBLISH = "published-before"
REASON_BLOCKED = "blocked"
REASON_NOT_APPROVED = "not-approved"
REASON_GONE = "gone"
REASON_DUPLICATE = "duplicate"
REASON_NOT_IN_INVENTORY = "not-in-inventory"


@dataclass(frozen=True)
class ApprovedVersion:
    """The version of an entry that its last standing approval was given for, as an export record."""

    version: int
    record: Mapping[str, Any]


@dataclass(frozen=True)
class EntryState:
    """One entry as the planner needs it (read by the publish step from the store).

    ``record`` is the current version as an export record with ``issued`` and ``modified``;
    ``open_errors`` counts its open error findings; ``approved`` is set for an entry changed after an approval that still stands; ``confirmed_hash`` is
    the content hash of the last publication on this portal that CKAN confirmed; ``known_on_portal``
    says a publication on this portal succeeded before (so the package may exist, withdrawn).
    """

    entry_id: int
    identifier: str
    status: str
    version: int
    record: Mapping[str, Any]
    open_errors: int = 0
    rights_cleared: bool = False
    gone: bool = False
    approved: ApprovedVersion | None = None
    confirmed_hash: str | None = None
    known_on_portal: bool = False


@dataclass(frozen=True)
class RemoteResource:
    """A resource of a package on the portal: kept by id when the package is updated."""

    id: str
    format: str
    url: str


@dataclass(frozen=True)
class RemotePackage:
    """What the plan needs of a package on the portal (from ``package_search`` or ``package_show``)."""

    id: str
    name: str
    identifier: str | None
    organisation: str | None
    state: str
    content_hash: str | None
    resources: tuple[RemoteResource, ...] = ()

    @classmethod
    def from_ckan(cls, package: Mapping[str, Any]) -> RemotePackage:
        """Read a package dict as CKAN returns it."""
        organisation = package.get("organization")
        org_name = organisation.get("name") if isinstance(organisation, Mapping) else None
        resources = tuple(
            RemoteResource(str(r.get("id") or ""), str(r.get("format") or ""), str(r.get("url") or ""))
            for r in package.get("resources") or []
            if isinstance(r, Mapping) and r.get("id")
        )
        return cls(
            id=str(package.get("id") or ""),
            name=str(package.get("name") or ""),
            identifier=(extra(package, IDENTIFIER_EXTRA) or "").strip() or None,
            organisation=org_name,
            state=str(package.get("state") or "active"),
            content_hash=extra(package, HASH_EXTRA),
            resources=resources,
        )


@dataclass(frozen=True)
class PlannedAction:
    """One thing to do on the portal, and why (``reason`` is a stable code, ``detail`` says more)."""

    action: Action
    identifier: str
    package_name: str
    reason: str
    detail: str = ""
    entry_id: int | None = None
    entry_version: int | None = None
    package: Mapping[str, Any] | None = None
    remote: RemotePackage | None = None
    mark_published: bool = False
    verify: bool = False
    record: Mapping[str, Any] | None = None  # the export record the package was made of (None: withdrawal)

    @property
    def content_hash(self) -> str | None:
        """The hash of the package to publish (None for a withdrawal)."""
        return extra(self.package, HASH_EXTRA) if self.package is not None else None

    @property
    def writes(self) -> bool:
        """Whether the action writes to the portal (a verified ``unchanged`` may still create)."""
        return self.action in WRITES

    @property
    def needs_portal(self) -> bool:
        """Whether applying the action talks to the portal at all (writes, or checks an unconfirmed package)."""
        return self.writes or self.verify


@dataclass(frozen=True)
class Skip:
    """An entry (or a package of ours) that is left as it is, and why."""

    identifier: str
    reason: str
    message: str
    entry_id: int | None = None


@dataclass
class PublishPlan:
    """The actions for one portal (withdrawals first) and what is skipped."""

    actions: list[PlannedAction] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """How many actions of each kind, and how many skips."""
        counts = Counter(a.action for a in self.actions)
        result: dict[str, int] = {action: counts.get(action, 0) for action in ACTIONS}
        result["skipped"] = len(self.skipped)
        return result

    def skipped_by_reason(self) -> dict[str, int]:
        """How many skips per reason code."""
        return dict(Counter(s.reason for s in self.skipped))

    @property
    def writes(self) -> int:
        """How many actions write to the portal."""
        return sum(1 for a in self.actions if a.writes)


@dataclass(frozen=True)
class _Desired:
    record: Mapping[str, Any]
    version: int
    reason: str


def _desired(entry: EntryState) -> _Desired | tuple[str, str]:
    """The version of an entry that belongs on the portal, or (reason, detail) why none does."""
    if entry.gone:
        return REASON_GONE, "gone from its source"
    if entry.status in PUBLISHED_STATES:
        blockers = hard_blockers(entry.record, open_errors=entry.open_errors, rights_cleared=entry.rights_cleared)
        if blockers:
            return REASON_BLOCKED, ", ".join(blockers)
        return _Desired(entry.record, entry.version, REASON_CHANGED)
    if entry.status in OPEN_STATES and entry.approved is not None:
        blockers = [
            b for b in hard_blockers(entry.record, open_errors=0, rights_cleared=entry.rights_cleared)
            if b not in _CONTENT_BLOCKERS_IGNORED
        ]
        if blockers:
            return REASON_BLOCKED, ", ".join(blockers)
        return _Desired(entry.approved.record, entry.approved.version, REASON_KEPT)
    if entry.status in ("rejected", "withdrawn"):
        return entry.status, f"entry {entry.status}"
    return REASON_NOT_APPROVED, f"entry {entry.status}, not approved"


def _owned(remote: Iterable[RemotePackage], organisations: Collection[str]) -> dict[str, list[RemotePackage]]:
    """Our packages (in our organisations, with an identifier extra) per identifier."""
    owned: dict[str, list[RemotePackage]] = {}
    for package in remote:
        if package.identifier and package.organisation in organisations:
            owned.setdefault(package.identifier, []).append(package)
    return owned


def _primary(identifier: str, packages: list[RemotePackage]) -> tuple[RemotePackage | None, list[RemotePackage]]:
    """The package that stands for the entry (its own name first, then an active one) and the duplicates."""
    if not packages:
        return None, []
    name = package_name(identifier)
    ordered = sorted(packages, key=lambda p: (p.name != name, p.state != "active", p.name))
    return ordered[0], [p for p in ordered[1:] if p.state == "active"]


def plan_publication(
    entries: Iterable[EntryState],
    remote: Iterable[RemotePackage],
    organisation: Organisation,
    *,
    organisations: Collection[str],
    base_uri: str | None = None,
) -> PublishPlan:
    """Plan what to do on one portal: ``entries`` are the inventory's entries for it (one city's or all),
    ``remote`` the packages its search shows in ``organisations`` (the organisation names we publish
    to there; packages elsewhere are never ours); ``base_uri`` is the portal's address, under which the
    packages carry the DCAT-AP.de export's IRIs (:func:`catalog.publish.mapping.package_of`)."""
    owned = owned_packages(remote, set(organisations))
    plan = plan_chunk(entries, owned, organisation, base_uri=base_uri)
    plan.skipped.extend(not_in_inventory(owned))
    return plan


def owned_packages(remote: Iterable[RemotePackage], organisations: Collection[str]) -> dict[str, list[RemotePackage]]:
    """Our packages (in our organisations, with an identifier extra) per identifier."""
    return _owned(remote, organisations)


def not_in_inventory(owned: Mapping[str, list[RemotePackage]]) -> list[Skip]:
    """The packages of ours no entry claimed: reported, never touched."""
    return [
        Skip(identifier, REASON_NOT_IN_INVENTORY,
             f"package {package.name} carries identifier {identifier}, which the inventory does not hold; left as it is")
        for identifier, packages in sorted(owned.items()) for package in packages
    ]


def plan_chunk(
    entries: Iterable[EntryState],
    owned: dict[str, list[RemotePackage]],
    organisation: Organisation,
    *,
    base_uri: str | None = None,
) -> PublishPlan:
    """Plan a chunk of entries against ``owned`` (our packages per identifier, see :func:`owned_packages`):
    the packages of these entries are taken out of ``owned``, so that what is left when every chunk is
    planned is :func:`not_in_inventory`. Actions in the plan's order: withdrawals, restores, updates,
    creates, unchanged."""
    plan = PublishPlan()
    seen: set[str] = set()
    for entry in entries:
        if entry.identifier in seen:
            continue
        seen.add(entry.identifier)
        current, duplicates = _primary(entry.identifier, owned.pop(entry.identifier, []))
        for duplicate in duplicates:
            plan.actions.append(PlannedAction(
                "withdraw", entry.identifier, duplicate.name, REASON_DUPLICATE,
                f"a second package of {entry.identifier}", entry_id=entry.entry_id, remote=duplicate,
            ))
        active = current if current is not None and current.state == "active" else None
        plan.actions.extend(_plan_entry(entry, active, organisation, plan.skipped, base_uri))
    order = {action: i for i, action in enumerate(ACTIONS)}
    plan.actions.sort(key=lambda a: (order[a.action], a.identifier, a.package_name))
    return plan


def _plan_entry(
    entry: EntryState, remote: RemotePackage | None, organisation: Organisation, skipped: list[Skip],
    base_uri: str | None = None,
) -> list[PlannedAction]:
    """The action for one entry (none when nothing is to be done), adding to ``skipped`` where it is left out."""
    name = remote.name if remote is not None else package_name(entry.identifier)
    desired = _desired(entry)
    if isinstance(desired, _Desired):
        try:
            package = package_of(desired.record, organisation, base_uri=base_uri)
        except PackageSkipped as exc:
            skipped.append(Skip(entry.identifier, exc.code, str(exc), entry.entry_id))
            desired = (exc.code, str(exc))
    if not isinstance(desired, _Desired):
        reason, detail = desired
        if remote is not None:
            return [PlannedAction("withdraw", entry.identifier, name, reason, detail, entry_id=entry.entry_id,
                                  entry_version=entry.version, remote=remote)]
        if reason == REASON_BLOCKED and entry.status in PUBLISHED_STATES:
            skipped.append(Skip(entry.identifier, REASON_BLOCKED, f"{entry.identifier}: blocked by {detail}",
                                entry.entry_id))
        return []

    mark = entry.status == "approved"
    common: dict[str, Any] = {
        "entry_id": entry.entry_id, "entry_version": desired.version, "package": package, "mark_published": mark,
        "record": desired.record,
    }
    wanted_hash = extra(package, HASH_EXTRA)
    if remote is None:
        if entry.known_on_portal:
            return [PlannedAction("restore", entry.identifier, package["name"], REASON_REPUBLISH,
                                  "published here before, not in the portal's search", **common)]
        return [PlannedAction("create", entry.identifier, package["name"], REASON_NEW, **common)]
    if remote.content_hash == wanted_hash and remote.organisation == package["owner_org"]:
        verify = entry.confirmed_hash != wanted_hash
        reason = REASON_KEPT if desired.reason == REASON_KEPT else REASON_UNCHANGED
        if not (mark or verify):
            return [PlannedAction("unchanged", entry.identifier, remote.name, reason, entry_id=entry.entry_id,
                                  entry_version=desired.version, package=package, remote=remote,
                                  record=desired.record)]
        return [PlannedAction("unchanged", entry.identifier, remote.name, reason, remote=remote, verify=verify,
                              **common)]
    detail = "kept at its last approved version" if desired.reason == REASON_KEPT else ""
    return [PlannedAction("update", entry.identifier, remote.name, REASON_CHANGED, detail, remote=remote, **common)]


# --------------------------------------------------------------------------- the portal's refusals as findings

PUBLISH_STAGE = "publish"
REJECTED_CODE = "ckan-rejected"

# CKAN field (the first part of an error's path) -> the entry field a department corrects.
_ENTRY_FIELD_OF: dict[str, str] = {
    "id": "identifier",
    "name": "identifier",
    "title": "title",
    "notes": "description",
    "tags": "keywords",
    "groups": "theme",
    "owner_org": "department",
    "license_id": "license",
    "url": "access_url",
    "maintainer": "contact_name",
    "maintainer_email": "contact_email",
}
_RESOURCE_FIELD_OF: dict[str, str] = {
    "url": "access_url",
    "access_url": "access_url",
    "download_url": "access_url",
    "format": "formats",
    "mimetype": "formats",
    "license": "license",
    "licenseAttributionByText": "attribution",
    "modified": "last_updated",
    "name": "title",
}


def entry_field(ckan_path: str) -> str | None:
    """The entry field behind a CKAN error path (``resources[0].url`` -> ``access_url``), or None."""
    head = ckan_path.split(".", 1)[0].split("[", 1)[0]
    if head == "resources":
        leaf = ckan_path.rsplit(".", 1)[-1] if "." in ckan_path else ""
        return _RESOURCE_FIELD_OF.get(leaf, "formats" if not leaf else None)
    return _ENTRY_FIELD_OF.get(head)


def rejection_findings(
    field_errors: Mapping[str, list[str]],
    *,
    identifier: str,
    city: str | None,
    department: str | None,
    message: str | None = None,
) -> list[Finding]:
    """CKAN's refusal of a package (its field errors) as findings of stage ``publish`` on the entry, one per
    field (German for the department, English for operators); without field errors, one carrying ``message``.

    Severity ``warning``: the review counts every open error as a hard rule, so an error would keep the
    department's corrected version from being approved, while only the next publish attempt can tell
    whether the portal still refuses it. The refusal itself shows as ``failed`` in every run until then.
    """
    found: list[Finding] = []
    items = list(field_errors.items()) or [("", [message or "refused"])]
    for path, messages in items:
        text = " ".join(m.strip() for m in messages if m and m.strip()) or "refused"
        where = f"{path}: " if path else ""
        found.append(finding(REJECTED_CODE, value=path or None, where=where, reason=text).at(
            city=city, department=department, identifier=identifier, field=entry_field(path) if path else None))
    return found
