"""The metadata quality score of an entry on the data.europa.eu MQA scheme (405 points, five dimensions).

Scored on what the entry's DCAT-AP.de dataset carries (``catalog.dcat.export`` builds it from the same
record). Indicators that need the network (does the access URL answer?) take their result from a URL
check done elsewhere; without one they score nothing and are marked ``not checked``, so an offline
score is a lower bound and says so. Distribution-level indicators count for the best distribution.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from catalog.dcat.export import bulk_download_url, media_type
from catalog.vocabulary import vocabularies

Status = Literal["yes", "no", "not checked"]

# indicator: (dimension, points), in the order of STANDARDS.md
INDICATORS: dict[str, tuple[str, int]] = {
    "keywords": ("findability", 30),
    "themes": ("findability", 30),
    "spatial": ("findability", 20),
    "temporal": ("findability", 20),
    "access_url_answers": ("accessibility", 50),
    "download_url": ("accessibility", 20),
    "download_url_answers": ("accessibility", 30),
    "format": ("interoperability", 20),
    "media_type": ("interoperability", 10),
    "format_from_vocabulary": ("interoperability", 10),
    "non_proprietary": ("interoperability", 20),
    "machine_readable": ("interoperability", 20),
    "dcat_ap_shapes": ("interoperability", 30),
    "licence": ("reusability", 20),
    "known_licence": ("reusability", 10),
    "access_rights": ("reusability", 10),
    "access_rights_from_vocabulary": ("reusability", 5),
    "contact_point": ("reusability", 20),
    "publisher": ("reusability", 10),
    "rights": ("contextuality", 5),
    "byte_size": ("contextuality", 5),
    "issued": ("contextuality", 5),
    "modified": ("contextuality", 5),
}
MAX_POINTS = sum(points for _dim, points in INDICATORS.values())
DIMENSIONS = ("findability", "accessibility", "interoperability", "reusability", "contextuality")
BANDS = ((351, "excellent"), (221, "good"), (121, "sufficient"), (0, "bad"))
BAND_DE = {"excellent": "ausgezeichnet", "good": "gut", "sufficient": "ausreichend", "bad": "schlecht"}


@dataclass(frozen=True)
class UrlCheck:
    """The answer of one URL: its HTTP status (None when it did not answer) and its declared size."""

    url: str
    status: int | None
    content_length: int | None = None
    error: str | None = None

    @property
    def answers(self) -> bool:
        return self.status is not None and 200 <= self.status < 400


@dataclass
class QualityScore:
    total: int
    band: str
    indicators: dict[str, tuple[Status, int]] = field(default_factory=dict)  # name -> (status, points earned)

    def dimension(self, name: str) -> int:
        return sum(points for key, (_s, points) in self.indicators.items() if INDICATORS[key][0] == name)

    @property
    def not_checked(self) -> list[str]:
        return [key for key, (status, _p) in self.indicators.items() if status == "not checked"]

    def as_dict(self) -> dict[str, Any]:
        return {"total": self.total, "band": self.band,
                "indicators": {k: {"status": s, "points": p} for k, (s, p) in self.indicators.items()}}


def band(total: int) -> str:
    """The MQA band of a score: excellent 351-405, good 221-350, sufficient 121-220, bad 0-120."""
    return next(name for floor, name in BANDS if total >= floor)


def urls_to_check(record: Mapping[str, Any]) -> list[str]:
    """The URLs whose answer the score needs: the access URL and the download URL (the survey's own, or the
    access URL when it is a direct download)."""
    return list(dict.fromkeys(u for u in (_access(record), bulk_download_url(record)) if u))


def _access(record: Mapping[str, Any]) -> str | None:
    """The access URL of the entry's distributions (its download, when that is its only URL)."""
    return record.get("access_url") or record.get("download_url") or None


def _codes(values: Sequence[str] | None) -> list[str]:
    return [v.rsplit("/", 1)[-1] for v in values or []]


def score(
    record: Mapping[str, Any],
    *,
    urls: Mapping[str, UrlCheck] | None = None,
    passes_shapes: bool | None = None,
    has_contact: bool = True,
    has_publisher: bool = True,
) -> QualityScore:
    """Score one entry (a record with the export keys, plus ``issued``/``modified`` when known).

    ``urls`` holds the checks of :func:`urls_to_check` (None: not checked); ``passes_shapes`` whether
    the entry's dataset passed the DCAT-AP.de shapes (None: not checked); ``has_contact`` whether a
    contact point is exported (the department's or city's address stands in for a missing one).
    """
    vocab = vocabularies()
    found: dict[str, Status] = {}

    def mark(name: str, value: bool | None) -> None:
        found[name] = "not checked" if value is None else ("yes" if value else "no")

    mark("keywords", bool(record.get("keywords")))
    mark("themes", bool(record.get("theme")))
    mark("spatial", bool(record.get("spatial")))
    mark("temporal", bool(record.get("temporal_start") or record.get("temporal_end")))

    access = _access(record)
    codes = _codes(record.get("formats"))
    concepts = [vocab["file_type"].get(f) for f in record.get("formats") or []]
    download_url = bulk_download_url(record)
    download = download_url is not None
    check = (urls or {}).get(access) if access else None
    loaded = (urls or {}).get(download_url) if download_url else None
    if not access:
        mark("access_url_answers", False)
    else:
        mark("access_url_answers", None if urls is None else bool(check and check.answers))
    mark("download_url", download)
    if not download:
        mark("download_url_answers", False)
    else:
        mark("download_url_answers", None if urls is None else bool(loaded and loaded.answers))

    mark("format", bool(codes))
    mark("media_type", any(media_type(c) for c in codes))
    mark("format_from_vocabulary", bool(concepts) and all(c is not None for c in concepts))
    mark("non_proprietary", any(c is not None and c.non_proprietary for c in concepts))
    mark("machine_readable", any(c is not None and c.machine_readable for c in concepts))
    mark("dcat_ap_shapes", passes_shapes)

    licence = record.get("license")
    mark("licence", bool(licence))
    mark("known_licence", bool(licence) and vocab["license"].get(str(licence)) is not None)
    rights = record.get("access_rights")
    mark("access_rights", bool(rights))
    mark("access_rights_from_vocabulary", bool(rights) and vocab["access_rights"].get(str(rights)) is not None)
    mark("contact_point", bool(record.get("contact_email")) or has_contact)
    mark("publisher", has_publisher)

    mark("rights", False)  # dct:rights is not part of the DCAT-AP.de export
    if download and loaded is not None:
        mark("byte_size", loaded.content_length is not None)
    else:
        mark("byte_size", None if download and urls is None else False)
    mark("issued", bool(record.get("issued")))
    mark("modified", bool(record.get("modified")))

    indicators = {name: (found[name], INDICATORS[name][1] if found[name] == "yes" else 0) for name in INDICATORS}
    total = sum(points for _s, points in indicators.values())
    return QualityScore(total=total, band=band(total), indicators=indicators)
