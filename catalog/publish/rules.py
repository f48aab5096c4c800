"""The rules that decide publication: what no approval can override, and what the portal still waits for.

An entry reaches the portal only when it is approved by a named reviewer and none of these rules
blocks it: personal data, not public, not openly licensed, missing attribution, third-party rights
not cleared, open errors. An entry that may be published can still *wait*: without an access URL
there is nothing for a distribution to link to, so the portal (and the DCAT-AP.de catalog) cannot
show it until the department names one. Approving it is allowed; it is published once the URL is there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from catalog.vocabulary import vocabularies

PUBLIC = "http://publications.europa.eu/resource/authority/access-right/PUBLIC"
PUBLISHABLE_STATES = frozenset({"approved", "published"})

# blocker code: (German, English) explanation
BLOCKERS: dict[str, tuple[str, str]] = {
    "personal-data": ("enthält personenbezogene Daten", "contains personal data"),
    "not-public": ("Zugang ist nicht öffentlich", "access is not public"),
    "licence-not-open": ("keine offene Lizenz", "no open licence"),
    "attribution-missing": ("Namensnennung fehlt", "attribution text missing"),
    "third-party-rights": ("Rechte Dritter nicht geklärt", "third-party rights not cleared"),
    "open-errors": ("offene Fehler", "open errors"),
}


# waiting code: (German, English) explanation. The code is the one the DCAT-AP.de export skips it with.
WAITING: dict[str, tuple[str, str]] = {
    "no-access-url": (
        "wartet auf URL: keine Zugangs-URL angegeben, es gibt nichts zu verlinken",
        "waits for an access URL: without one there is nothing to link a distribution to",
    ),
}


def waiting_for(record: Mapping[str, Any]) -> list[str]:
    """What the portal still needs of an entry no hard rule blocks (codes of :data:`WAITING`)."""
    if not any(str(record.get(key) or "").strip() for key in ("access_url", "landing_page")):
        return ["no-access-url"]
    return []


def hard_blockers(record: Mapping[str, Any], *, open_errors: int = 0, rights_cleared: bool = False) -> list[str]:
    """The hard rules that keep this entry off the portal, whatever a reviewer decides."""
    blockers = []
    if record.get("personal_data") == "yes":
        blockers.append("personal-data")
    if record.get("access_rights") != PUBLIC:
        blockers.append("not-public")
    licence = vocabularies()["license"].get(record.get("license") or "")
    if licence is None or not licence.open:
        blockers.append("licence-not-open")
    elif licence.attribution and not (record.get("attribution") or "").strip():
        blockers.append("attribution-missing")
    if record.get("third_party_rights") in ("yes", "unclear") and not rights_cleared:
        blockers.append("third-party-rights")
    if open_errors:
        blockers.append("open-errors")
    return blockers


def is_publishable(record: Mapping[str, Any], *, open_errors: int = 0, rights_cleared: bool = False) -> bool:
    """Approved by a reviewer and blocked by no hard rule."""
    return record.get("status") in PUBLISHABLE_STATES and not hard_blockers(
        record, open_errors=open_errors, rights_cleared=rights_cleared
    )
