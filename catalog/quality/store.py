"""The quality score of the inventory in the store: per entry, and its distribution per city and
department with the weakest indicators (the share of entries that miss each one)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from catalog.inventory import entry_record, finish_run, start_run
from catalog.organisation import Organisation
from catalog.quality.score import DIMENSIONS, INDICATORS, QualityScore, UrlCheck, score, urls_to_check

DEFAULT_CHUNK = 5000
"""Entries scored at a time (``INVENTUR_CHUNK_SIZE``)."""

UrlChecker = Callable[[Sequence[str]], Mapping[str, UrlCheck]]


@dataclass
class GroupQuality:
    """Scores of a group of entries (a city, or a department)."""

    entries: int = 0
    total: int = 0
    bands: Counter[str] = field(default_factory=Counter)
    dimensions: Counter[str] = field(default_factory=Counter)
    missed: Counter[str] = field(default_factory=Counter)  # indicator -> entries that did not earn it
    not_checked: Counter[str] = field(default_factory=Counter)

    def add(self, result: QualityScore) -> None:
        self.entries += 1
        self.total += result.total
        self.bands[result.band] += 1
        for dim in DIMENSIONS:
            self.dimensions[dim] += result.dimension(dim)
        for name, (status, _points) in result.indicators.items():
            if status == "no":
                self.missed[name] += 1
            elif status == "not checked":
                self.not_checked[name] += 1

    @property
    def mean(self) -> float:
        return self.total / self.entries if self.entries else 0.0

    def weakest(self, count: int = 3) -> list[tuple[str, float, int]]:
        """The indicators missed by most entries, weighted by their points: (name, share missed, points)."""
        ranked = sorted(self.missed.items(), key=lambda kv: (-kv[1] * INDICATORS[kv[0]][1], kv[0]))
        return [(name, n / self.entries, INDICATORS[name][1]) for name, n in ranked[:count] if n]

    def as_dict(self) -> dict[str, Any]:
        return {
            "entries": self.entries, "mean": round(self.mean, 1), "bands": dict(self.bands),
            "dimensions": {d: round(self.dimensions[d] / self.entries, 1) if self.entries else 0 for d in DIMENSIONS},
            "weakest": [{"indicator": n, "missed_share": round(s, 3), "points": p} for n, s, p in self.weakest()],
            "not_checked": dict(self.not_checked),
        }


@dataclass
class QualityReport:
    cities: dict[str, GroupQuality]
    departments: dict[tuple[str, str], GroupQuality]
    urls_checked: int
    shapes_checked: bool
    run_id: int


def _shape_failures(records: list[dict[str, Any]], organisation: Organisation, shapes_dir: Path) -> set[str]:
    """Identifiers whose dataset has a violation under the shapes (or could not be exported at all)."""
    from catalog.dcat.export import build_catalog, dataset_uri
    from catalog.dcat.shacl import validate

    base = "http://localhost/inventur"
    export = build_catalog(records, organisation, base_uri=base, catalog_title="Qualitätsprüfung",
                           catalog_description="Alle Einträge des Inventars, für die Qualitätsbewertung.",
                           publisher_name="Kooperation München, Augsburg, Nürnberg")
    failed = {s.identifier for s in export.skipped if s.identifier}
    report = validate(export.graph, shapes_dir)
    prefixes = {dataset_uri(base, r["identifier"]): r["identifier"] for r in records if r.get("identifier")}
    for result in report.of("Violation"):
        node = str(result.focus_node)
        for prefix, identifier in prefixes.items():
            if node == prefix or node.startswith(prefix + "/") or node.startswith(prefix + "#"):
                failed.add(identifier)
    return failed


def assess_inventory(
    session: Session,
    organisation: Organisation,
    *,
    city: str | None = None,
    check_urls: UrlChecker | None = None,
    shapes_dir: Path | None = None,
    chunk_size: int = DEFAULT_CHUNK,
) -> QualityReport:
    """Score every current entry, store ``quality_score``, and summarise per city and department.

    The entries are read, checked (URLs, shapes), scored and updated ``chunk_size`` at a time; what is
    kept over the run is the summary per city and department and the answers of the URLs checked."""
    from sqlalchemy import select, update

    from catalog.models import Entry

    if chunk_size < 1:
        raise ValueError(f"chunk size {chunk_size}: at least 1")
    run = start_run(session, "quality")
    cities: dict[str, GroupQuality] = defaultdict(GroupQuality)
    departments: dict[tuple[str, str], GroupQuality] = defaultdict(GroupQuality)
    checked: dict[str, UrlCheck] = {}
    shapes_checked = shapes_dir is not None
    scored = 0
    query = select(Entry).where(Entry.gone_at.is_(None)).order_by(Entry.city, Entry.department, Entry.identifier)
    if city:
        query = query.where(Entry.city == city)
    for rows in session.execute(query.execution_options(yield_per=chunk_size)).partitions(chunk_size):
        entries = [row[0] for row in rows]
        records = []
        for entry in entries:
            record = entry_record(entry)
            record["issued"], record["modified"] = entry.created_at.isoformat(), entry.updated_at.isoformat()
            records.append(record)
        urls: Mapping[str, UrlCheck] | None = None
        if check_urls is not None:
            wanted = [u for r in records for u in urls_to_check(r) if u not in checked]
            if wanted:
                checked.update(check_urls(wanted))
            urls = checked
        failures = _shape_failures(records, organisation, shapes_dir) if shapes_dir is not None else None
        scores = []
        for entry, record in zip(entries, records, strict=True):
            # the DCAT export falls back to the department's or city's address: there is always a contact point
            result = score(record, urls=urls, passes_shapes=None if failures is None else entry.identifier not in failures)
            scores.append({"id": entry.id, "quality_score": result.total})
            cities[entry.city].add(result)
            departments[(entry.city, entry.department)].add(result)
        session.execute(update(Entry), scores)  # one statement per chunk; the chunk's entries are let go
        scored += len(entries)
    finish_run(session, run, {
        "entries": scored, "urls_checked": len(checked), "shapes_checked": shapes_checked and scored > 0,
        "cities": {k: v.as_dict() for k, v in cities.items()},
    })
    return QualityReport(dict(cities), dict(departments), len(checked), shapes_checked and scored > 0, run.id)
