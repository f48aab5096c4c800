"""High-Value Datasets: what Implementing Regulation (EU) 2023/138 asks of an entry with an HVD category.

The regulation wants the data of its six categories open (under CC BY 4.0 or something more permissive),
machine-readable, downloadable in bulk and served by an API, and described with the DCAT-AP HVD
properties, from which data.europa.eu builds the Member States' reports. Each requirement is checked on
the entry's record (the export keys of ``catalog.fields``) and what falls short becomes a finding with a
stable code on the cell the department fills in to fix it:

============================  =====================  ======================================================
requirement                   code                   cell
============================  =====================  ======================================================
open                          ``hvd-not-public``     Zugang (access not public)
open                          ``hvd-licence``        Lizenz (none, or less permissive than CC BY 4.0)
machine-readable format       ``hvd-format``         Formate
bulk download                 ``hvd-bulk-download``  Download-Adresse (or a URL that is a file download)
API                           ``hvd-api``            Schnittstelle (API): Adresse (or a service URL)
HVD metadata complete         ``hvd-metadata``       the missing field (a URL, the API's description, ...)
contact                       ``hvd-contact``        Kontakt-E-Mail
============================  =====================  ======================================================

All are warnings: they do not block an approval (publishing part of what the law asks is better than
publishing nothing), they tell the department and the review what is still missing. Validation stores
them with the other findings (so the feedback workbook marks the cells); ``inventur hvd`` and the HVD
section of the campaign report show the same assessment per entry and per category.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.dcat.export import bulk_download_url, format_codes, service_endpoint, service_kind
from catalog.findings import Finding, finding
from catalog.normalise import EMAIL_PATTERN
from catalog.organisation import Organisation
from catalog.publish.rules import PUBLIC
from catalog.vocabulary import vocabularies

# requirement: (German, English) label, in the order the regulation lists them
REQUIREMENTS: dict[str, tuple[str, str]] = {
    "open": ("offen (öffentlich, Lizenz mindestens so frei wie CC BY 4.0)",
             "open (public, licence at least as permissive as CC BY 4.0)"),
    "machine_readable": ("maschinenlesbares Format", "machine-readable format"),
    "bulk_download": ("als Ganzes herunterladbar", "bulk download"),
    "api": ("über eine Schnittstelle (API) abrufbar", "served by an API"),
    "metadata": ("HVD-Metadaten vollständig", "HVD metadata complete"),
    "contact": ("Kontaktstelle angegeben", "contact point"),
}

# finding code -> the requirement it falls short of
CODES: dict[str, str] = {
    "hvd-not-public": "open",
    "hvd-licence": "open",
    "hvd-format": "machine_readable",
    "hvd-bulk-download": "bulk_download",
    "hvd-api": "api",
    "hvd-metadata": "metadata",
    "hvd-contact": "contact",
}

# What the HVD report needs besides title, description, category and legislation (which the entry has or
# validation reports anyway): field -> (German label, English label, German hint)
_METADATA: dict[str, tuple[str, str, str]] = {
    "access_url": ("URL (falls online)", "an access URL",
                   "Ohne eine Internetadresse lässt sich keine Bezugsquelle beschreiben."),
    "api_documentation": ("Schnittstelle: Beschreibung", "the API's description",
                          "Die EU verlangt für jede HVD-Schnittstelle eine Seite, die sie beschreibt."),
    "frequency": ("Aktualisierung", "the update frequency",
                  "Die Verordnung legt fest, wie aktuell die Daten je Kategorie sein müssen."),
}

_KNOWN_EXAMPLES = "z. B. CSV, JSON, GeoJSON oder XML"


def _text(record: Mapping[str, Any], key: str) -> str | None:
    """A record's text value, or None (blank, missing, NaN from a data frame)."""
    value = record.get(key)
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    return text or None


def category_label(value: str | None, lang: str = "de") -> str:
    """The German (or English) name of an HVD category URI (the URI itself when unknown)."""
    if not value:
        return ""
    return vocabularies().label("hvd_category", value, lang) or value


def hvd_findings(record: Mapping[str, Any]) -> list[Finding]:
    """The findings of an entry's HVD readiness (none when it has no HVD category, or meets everything)."""
    category = _text(record, "hvd_category")
    vocab = vocabularies()
    if category is None or vocab["hvd_category"].get(category) is None:
        return []  # no HVD category, or one that is not (validation reports the unknown value)
    names: dict[str, Any] = {"category": category_label(category), "category_en": category_label(category, "en")}
    found: list[Finding] = []

    access = _text(record, "access_rights")
    if access != PUBLIC:
        shown = vocab.label("access_rights", access) if access else "keine Angabe"
        found.append(finding("hvd-not-public", value=shown, field="access_rights", **names))
    licence_value = _text(record, "license")
    licence = vocab["license"].get(licence_value) if licence_value else None
    if licence is None or not licence.hvd:
        if licence_value is None:
            problem, problem_en = "Es ist keine Lizenz angegeben.", "no licence is given"
        else:
            shown = licence.label if licence is not None else licence_value
            problem, problem_en = f"Angegeben ist „{shown}“.", f"{shown!r} is not"
        found.append(finding("hvd-licence", value=licence_value, field="license", problem=problem,
                             problem_en=problem_en, **names))

    formats = format_codes(record)
    concepts = [vocab["file_type"].get(v) for v in _list(record.get("formats"))]
    if not any(c is not None and c.machine_readable for c in concepts):
        given = "; ".join(formats)
        found.append(finding(
            "hvd-format", value=given or None, field="formats", examples=_KNOWN_EXAMPLES,
            given=f"; angegeben: {given}" if given else "; es ist kein Format angegeben",
            given_en=f" (given: {given})" if given else " (none given)", **names,
        ))
    if bulk_download_url(record) is None:
        found.append(finding("hvd-bulk-download", field="download_url", **names))
    endpoint = service_endpoint(record)
    if endpoint is None:
        found.append(finding("hvd-api", field="api_url", **names))

    missing: list[str] = []
    if not any(_text(record, key) for key in ("access_url", "download_url", "api_url", "landing_page")):
        missing.append("access_url")
    if endpoint is not None and _text(record, "api_documentation") is None and not _describes_itself(record):
        missing.append("api_documentation")
    if _text(record, "frequency") is None:
        missing.append("frequency")
    for key in missing:
        label, label_en, hint = _METADATA[key]
        found.append(finding("hvd-metadata", field=key, label=label, label_en=label_en, hint=hint, **names))

    email = _text(record, "contact_email")
    if email is None or not EMAIL_PATTERN.match(email.removeprefix("mailto:")):
        found.append(finding("hvd-contact", value=email, field="contact_email", **names))
    return found


def _describes_itself(record: Mapping[str, Any]) -> bool:
    """An OGC web service describes itself (GetCapabilities): its endpoint is its own description."""
    kind = service_kind(record)
    return kind is not None and kind.file_type is not None


def _list(value: Any) -> list[str]:
    if value is None or isinstance(value, float):
        return []
    if isinstance(value, str):
        return [value] if value.strip() else []
    return [str(v) for v in value if v is not None and str(v).strip()]


# --------------------------------------------------------------------------- per entry


@dataclass(frozen=True)
class Readiness:
    """An HVD entry and what it still lacks (no findings: ready)."""

    identifier: str
    city: str
    department: str
    title: str
    category: str
    state: str
    findings: tuple[Finding, ...] = ()

    @property
    def ready(self) -> bool:
        return not self.findings

    @property
    def lacking(self) -> list[str]:
        """The requirements not met, in the regulation's order."""
        unmet = {CODES[f.code] for f in self.findings}
        return [r for r in REQUIREMENTS if r in unmet]

    def as_record(self) -> dict[str, Any]:
        """A JSON-ready summary (``inventur hvd --format json``)."""
        return {
            "identifier": self.identifier,
            "city": self.city,
            "department": self.department,
            "title": self.title,
            "hvd_category": self.category,
            "category": category_label(self.category, "en"),
            "state": self.state,
            "ready": self.ready,
            "requirements": {r: r not in self.lacking for r in REQUIREMENTS},
            "findings": [{"code": f.code, "field": f.field, "message": f.message, "message_en": f.message_en}
                         for f in self.findings],
        }


def readiness(record: Mapping[str, Any]) -> Readiness | None:
    """The HVD readiness of one export record (None when it has no HVD category)."""
    category = _text(record, "hvd_category")
    if category is None:
        return None
    return Readiness(
        identifier=_text(record, "identifier") or "",
        city=_text(record, "city") or "",
        department=_text(record, "department") or "",
        title=_text(record, "title") or "",
        category=category,
        state=_text(record, "status") or "",
        findings=tuple(hvd_findings(record)),
    )


def hvd_entries(session: Session, *, city: str | None = None) -> list[Readiness]:
    """The current HVD entries of the store (of one city, or all), in city, department, identifier order."""
    from catalog.inventory import entry_record
    from catalog.models import Entry

    query = (select(Entry).where(Entry.hvd_category.is_not(None), Entry.gone_at.is_(None))
             .order_by(Entry.city, Entry.department, Entry.identifier))
    if city:
        query = query.where(Entry.city == city)
    found = []
    for entry in session.scalars(query):
        item = readiness(entry_record(entry))
        if item is not None:
            found.append(item)
    return found


# --------------------------------------------------------------------------- per category


@dataclass(frozen=True)
class CategoryReadiness:
    """One HVD category: how many entries meet everything, how many do not, and what they lack."""

    category: str
    label: str
    entries: int
    ready: int
    lacking: list[tuple[str, str, int]] = field(default_factory=list)  # (requirement, German label, entries)

    @property
    def not_ready(self) -> int:
        return self.entries - self.ready


def by_category(items: Sequence[Readiness]) -> list[CategoryReadiness]:
    """Every HVD category (also those without entries), in the order of the regulation's annex."""
    rows = []
    for concept in vocabularies()["hvd_category"]:
        mine = [i for i in items if i.category == concept.value]
        counts: Counter[str] = Counter(r for i in mine for r in i.lacking)
        rows.append(CategoryReadiness(
            category=concept.value,
            label=concept.label,
            entries=len(mine),
            ready=sum(1 for i in mine if i.ready),
            lacking=[(r, REQUIREMENTS[r][0], counts[r]) for r in REQUIREMENTS if counts[r]],
        ))
    return rows


def requirement_labels(requirements: Iterable[str], lang: str = "de") -> str:
    """The labels of ``requirements`` joined for a table cell."""
    index = 0 if lang == "de" else 1
    return "; ".join(REQUIREMENTS[r][index] for r in requirements)


@dataclass(frozen=True)
class HvdFigures:
    """The HVD part of the campaign report: each category, and every HVD entry with what it lacks."""

    categories: list[CategoryReadiness]
    entries: list[Readiness]

    @property
    def total(self) -> int:
        return len(self.entries)

    @property
    def ready(self) -> int:
        return sum(1 for e in self.entries if e.ready)

    @property
    def not_ready(self) -> list[Readiness]:
        return [e for e in self.entries if not e.ready]


def hvd_figures(session: Session, *, city: str | None = None) -> HvdFigures:
    """The HVD readiness of the current entries (of one city, or all), per category and per entry."""
    items = hvd_entries(session, city=city)
    return HvdFigures(categories=by_category(items), entries=items)


# --------------------------------------------------------------------------- the official shapes as second opinion


def shape_violations(
    session: Session, organisation: Organisation, hvd_dir: Path, *, city: str | None = None,
    base_uri: str = "http://localhost",
) -> dict[str, list[str]]:
    """The DCAT-AP HVD shapes' verdict on each HVD entry's export: identifier -> the messages of its
    violations (an empty list: none). Every current HVD entry is exported, approved or not, as it would be
    published; an entry the export must leave out (no licence, no URL) is listed with the reason."""
    from catalog.dcat.export import build_catalog, dataset_uri
    from catalog.dcat.shacl import validate_hvd
    from catalog.review.decisions import catalog_records

    records = [r for r in catalog_records(session, city=city, publishable_only=False) if r.get("hvd_category")]
    export = build_catalog(records, organisation, base_uri=base_uri, city=city,
                           catalog_title="HVD", catalog_description="HVD",
                           publisher_name=None if city else "HVD")
    verdict: dict[str, list[str]] = {}
    for skipped in export.skipped:
        if skipped.identifier:
            verdict[skipped.identifier] = [f"not exported: {skipped.message}"]
    owners: dict[str, str] = {}
    for record in records:
        identifier = str(record["identifier"])
        if identifier not in verdict:
            verdict[identifier] = []
            owners[str(dataset_uri(base_uri, identifier))] = identifier
    report = validate_hvd(export.graph, hvd_dir)
    for result in report.of("Violation"):
        node = result.focus_node
        # the dataset, or what is named after it: its distributions, contact point and data service
        hit = owners.get(node) or next((i for d, i in owners.items() if node.startswith((d + "/", d + "#"))), None)
        if hit in verdict:
            verdict[hit].append(f"{result.path or ''}: {result.message}".strip(": "))
    return verdict
