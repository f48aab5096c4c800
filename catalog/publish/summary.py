"""What a publish run did: per planned action a :class:`PublishedItem`, per portal a :class:`PortalSummary`,
for the run a :class:`PublishSummary` (JSON-ready, for the command's output and the run's record)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from catalog.dcat.compare import Verification

# What happened to each planned action (the counts of a summary, in this order).
RESULTS: tuple[str, ...] = ("created", "updated", "restored", "withdrawn", "unchanged", "failed", "skipped")
PLANNED_RESULT = {
    "create": "created", "update": "updated", "restore": "restored", "withdraw": "withdrawn", "unchanged": "unchanged",
}


@dataclass
class PublishedItem:
    """What happened to one planned action: ``result`` is one of :data:`RESULTS` (``failed`` with ``error``
    and CKAN's ``field_errors``); ``link`` is the dataset's page on the portal."""

    identifier: str
    action: str
    result: str
    package: str
    reason: str
    detail: str = ""
    link: str | None = None
    error: str | None = None
    field_errors: dict[str, list[str]] = field(default_factory=dict)
    remote_id: str | None = None
    attempted: bool = True
    server_error: bool = False
    unreachable: bool = False
    creates: int = field(default=0, repr=False)

    def as_record(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "identifier": self.identifier, "action": self.action, "result": self.result, "package": self.package,
            "reason": self.reason, "detail": self.detail or None, "link": self.link, "error": self.error,
            "field_errors": self.field_errors or None,
        }


@dataclass
class PortalSummary:
    """The outcome on one portal: counts per result, skips per reason, the items, writes on the wire."""

    portal: str
    cities: list[str]
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RESULTS, 0))
    skipped: dict[str, int] = field(default_factory=dict)
    items: list[PublishedItem] = field(default_factory=list)
    skips: list[dict[str, Any]] = field(default_factory=list)
    organisations_created: list[str] = field(default_factory=list)
    writes: int = 0
    reads: int = 0
    seconds: float = 0.0
    unreachable: str | None = None
    problems: list[str] = field(default_factory=list)
    verification: Verification | None = None

    def as_record(self) -> dict[str, Any]:
        """JSON-ready (items that changed something or failed; unchanged ones only as a count)."""
        return {
            "verification": self.verification.as_record() if self.verification is not None else None,
            "portal": self.portal,
            "cities": self.cities,
            "counts": self.counts,
            "skipped": self.skipped,
            "organisations_created": self.organisations_created,
            "writes": self.writes,
            "reads": self.reads,
            "seconds": round(self.seconds, 3),
            "unreachable": self.unreachable,
            "problems": self.problems,
            "items": [i.as_record() for i in self.items if i.result != "unchanged"],
            "skips": self.skips,
        }


@dataclass
class PublishSummary:
    """The outcome of a publish run over all portals (``dry_run``: what would happen)."""

    dry_run: bool
    portals: list[PortalSummary] = field(default_factory=list)
    run_id: int | None = None
    seconds: float = 0.0

    def totals(self) -> dict[str, int]:
        """Counts per result over all portals."""
        total: Counter[str] = Counter()
        for portal in self.portals:
            total.update(portal.counts)
        return {key: total.get(key, 0) for key in RESULTS}

    @property
    def failed(self) -> int:
        """How many actions failed (on any portal)."""
        return self.totals()["failed"]

    @property
    def writes(self) -> int:
        """Write requests sent to the portals."""
        return sum(p.writes for p in self.portals)

    @property
    def verified_ok(self) -> bool:
        """No verification of a portal found a problem (True when nothing was verified)."""
        return all(p.verification is None or p.verification.ok for p in self.portals)

    def as_record(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "dry_run": self.dry_run,
            "run_id": self.run_id,
            "seconds": round(self.seconds, 3),
            "totals": self.totals(),
            "writes": self.writes,
            "portals": [p.as_record() for p in self.portals],
        }
