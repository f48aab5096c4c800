"""How the inventory appears in CKAN: licences, theme groups, organisations (STANDARDS.md, CKAN.md).

GovData's CKAN uses the dcat-ap.de licence URIs as licence ids, and one group per EU data theme named
``agri`` ... ``tran``; ours does the same, so that ckanext-dcatde maps our packages to DCAT-AP.de.
"""

from __future__ import annotations

from typing import Any

from catalog.organisation import Department, Organisation
from catalog.vocabulary import vocabularies


def ckan_licences() -> list[dict[str, Any]]:
    """The 34 dcat-ap.de licences as CKAN's licence list (``licenses_group_url``): id = licence URI."""
    out = []
    for concept in vocabularies()["license"]:
        out.append({
            "id": concept.value,
            "title": concept.label,
            "url": concept.url or concept.value,
            "od_conformance": "approved" if concept.open else "not reviewed",
            "osd_conformance": "not reviewed",
            "status": "active",
            "domain_data": True,
            "domain_content": False,
            "domain_software": False,
        })
    return out


def group_name(theme_uri: str) -> str:
    """The CKAN group of an EU data theme: its code in lower case (``.../data-theme/ENVI`` -> ``envi``)."""
    return theme_uri.rstrip("/").rsplit("/", 1)[-1].lower()


def theme_groups() -> list[dict[str, str]]:
    """One CKAN group per EU data theme the survey offers, German title, the theme URI in the description."""
    return [
        {"name": group_name(c.value), "title": c.label, "description": f"{c.en} ({c.value})"}
        for c in vocabularies()["theme"].offered()
    ]


def organisation_name(department: Department) -> str:
    """The CKAN organisation of a department: ``<city>-<code>`` in lower case."""
    return department.key


def organisation_of(organisation: Organisation, department: Department) -> dict[str, Any]:
    """The CKAN organisation dict of a department, titled with its official name."""
    city = organisation.city(department.city)
    return {
        "name": organisation_name(department),
        "title": department.name,
        "description": f"{department.name}, {city.name}",
        "extras": [{"key": "city", "value": city.key}, {"key": "publisher_uri", "value": city.contributor_id}],
    }
