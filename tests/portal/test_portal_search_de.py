"""Portal visitors search in German: a small campaign of the three cities, published by ``publish`` as the
pipeline does, then searched through CKAN as a visitor's browser does (``package_search``, the dataset
and organisation pages), with the real Solr behind it.

The session's portal is shared with other tests, so each search is limited to this campaign's
organisations (fresh random department codes), as a visitor's search on an organisation page is.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from ckanapi import RemoteCKAN
from pydantic import SecretStr

from catalog.inventory import Source, save_entry
from catalog.organisation import load_organisation
from catalog.publish.mapping import organisation_name, package_name
from catalog.review.decisions import approve, reject
from flows.services import Services
from flows.settings import Settings
from flows.steps.publish import publish
from portal.local import PortalInfo

pytestmark = [pytest.mark.portal, pytest.mark.slow]

EU = "http://publications.europa.eu/resource/authority/"
CITIES = ("muenchen", "augsburg", "nuernberg")
TIMEOUT = 60
REVIEWER = "Erika Muster"

# (city, department 0-2, title, description, theme, keywords, formats)
CAMPAIGN: list[tuple[str, int, str, str, str, list[str], list[str]]] = [
    ("muenchen", 0, "Radverkehrszählung 2024", "Tageswerte der automatischen Zählstellen an Radwegen.",
     "TRAN", ["Fahrrad", "Zählstellen"], ["CSV", "JSON"]),
    ("muenchen", 0, "Verkehrsunfälle", "Polizeilich erfasste Unfälle mit Ort, Zeit und Beteiligten.",
     "TRAN", ["Unfallatlas"], ["CSV"]),
    ("augsburg", 0, "Verkehrszählstellen", "Standorte und Messwerte der Dauerzählstellen für Kraftfahrzeuge.",
     "TRAN", ["Kfz"], ["GEOJSON"]),
    ("nuernberg", 0, "Parkhausbelegung", "Freie Stellplätze der Parkhäuser in Echtzeit.",
     "TRAN", ["Parken"], ["JSON"]),
    ("muenchen", 1, "Baumkataster", "Alle städtischen Bäume mit Art, Pflanzjahr und Standort.",
     "ENVI", ["Stadtgrün"], ["CSV", "GEOJSON"]),
    ("augsburg", 1, "Straßenbäume", "Bäume an Straßen und Plätzen mit Art und Zustand.",
     "ENVI", ["Stadtgrün"], ["CSV"]),
    ("nuernberg", 1, "Grundschulen", "Sprengel, Adresse und Klassenzahl jeder Einrichtung.",
     "EDUC", ["Bildung"], ["CSV"]),
    ("muenchen", 2, "Berufliche Schulen", "Berufsschulen und Fachoberschulen mit Fachrichtungen.",
     "EDUC", ["Bildung"], ["XLSX"]),
    ("augsburg", 2, "Straßenverzeichnis", "Alle Strassen mit Hausnummern und Koordinaten.",
     "REGI", ["Adressen"], ["CSV"]),
    ("nuernberg", 2, "Strassenreinigung", "Reinigungsklassen und Termine je Abschnitt.",
     "ENVI", ["Reinigung"], ["PDF"]),
    ("muenchen", 0, "Lärmkartierung", "Strategische Lärmkarten für Straßen- und Schienenverkehr.",
     "ENVI", ["Umgebungslärm"], ["WMS_SRVC"]),
    ("augsburg", 0, "Beratungsstellen", "Anlaufstellen für Familien, Senioren und Menschen mit Behinderung.",
     "SOCI", ["Soziales"], ["CSV"]),
    ("nuernberg", 0, "Wahlergebnisse der Stadtratswahl", "Stimmen und Sitze nach Wahlbezirken.",
     "GOVE", ["Wahlen"], ["CSV", "JSON"]),
]

# what a visitor types, and the titles that must come back: all of them, and nothing else
SEARCHES: list[tuple[str, set[str]]] = [
    ("Verkehr", {"Radverkehrszählung 2024", "Verkehrsunfälle", "Verkehrszählstellen", "Lärmkartierung"}),
    ("verkehr", {"Radverkehrszählung 2024", "Verkehrsunfälle", "Verkehrszählstellen", "Lärmkartierung"}),
    ("Baum", {"Baumkataster", "Straßenbäume"}),
    ("Bäume", {"Baumkataster", "Straßenbäume"}),
    ("Baeume", {"Baumkataster", "Straßenbäume"}),
    ("Schule", {"Grundschulen", "Berufliche Schulen"}),
    ("Schulen", {"Grundschulen", "Berufliche Schulen"}),
    ("Straßen", {"Straßenbäume", "Straßenverzeichnis", "Strassenreinigung", "Lärmkartierung"}),
    ("Strassen", {"Straßenbäume", "Straßenverzeichnis", "Strassenreinigung", "Lärmkartierung"}),
    ("Straße", {"Straßenbäume", "Straßenverzeichnis", "Strassenreinigung", "Lärmkartierung"}),
    ("Unfall", {"Verkehrsunfälle"}),
    ("Zählstelle", {"Radverkehrszählung 2024", "Verkehrszählstellen"}),
    ("Lärm", {"Lärmkartierung"}),
    ("Parkhaus", {"Parkhausbelegung"}),
    ("Wahl Ergebnisse", {"Wahlergebnisse der Stadtratswahl"}),
    ("Verkehr Unfälle", {"Verkehrsunfälle"}),
    ("Rat", set()),  # not "Beratungsstellen", not "Stadtratswahl"
]


@dataclass
class Campaign:
    """The published campaign: its organisations (city -> three names) and datasets (title -> package name)."""

    organisations: dict[str, list[str]]
    datasets: dict[str, str]
    services: Services
    identifiers: dict[str, str]  # title -> entry identifier

    @property
    def scope(self) -> str:
        names = [name for names in self.organisations.values() for name in names]
        return "organization:(" + " OR ".join(names) + ")"


def _campaign(tmp_path: Path, portal: PortalInfo) -> Campaign:
    codes = {city: ["S" + secrets.token_hex(3).upper() for _ in range(3)] for city in CITIES}
    departments = tmp_path / "departments.yaml"
    departments.write_text(yaml.safe_dump({
        "opendata_contacts": {},
        "departments": [
            {"city": city, "code": code, "name": f"Dienststelle {code}", "kind": "Amt",
             "email": f"{code.lower()}@{city}.example.org"}
            for city in CITIES for code in codes[city]
        ],
    }, allow_unicode=True), encoding="utf-8")
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'inventur.db'}", data_dir=tmp_path / "data",
        departments_file=departments, ckan_url=portal.url, ckan_token=SecretStr(portal.token),
        ckan_url_muenchen=None, ckan_url_augsburg=None, ckan_url_nuernberg=None,
        ckan_token_muenchen=None, ckan_token_augsburg=None, ckan_token_nuernberg=None,
        http_timeout=30.0, publish_concurrency=4,
    )
    services = Services(settings)
    organisation = load_organisation(departments)
    identifiers: dict[str, str] = {}
    with services.store.session() as session:
        for number, (city, department, title, description, theme, keywords, formats) in enumerate(CAMPAIGN):
            values = {
                "title": title, "description": description, "theme": [EU + f"data-theme/{theme}"],
                "keywords": keywords, "contact_email": f"daten{number}@{city}.example.org",
                "personal_data": "no", "third_party_rights": "no", "access_rights": EU + "access-right/PUBLIC",
                "license": "http://dcat-ap.de/def/licenses/dl-zero-de/2.0",
                "formats": [EU + f"file-type/{f}" for f in formats],
                "access_url": f"https://opendata.example.org/d{number}", "frequency": EU + "frequency/ANNUAL",
                "temporal_start": "2020-01-01", "publish_proposal": "yes", "spatial_scope": "city",
            }
            saved = save_entry(session, values, city=city, department=codes[city][department],
                               source=Source("survey", "kampagne.xlsx"), organisation=organisation)
            saved.entry.status = "ready"
            session.flush()
            approve(session, saved.entry.identifier, REVIEWER)
            identifiers[title] = saved.entry.identifier
    summary = publish(services)
    assert summary.portals[0].counts["created"] == len(CAMPAIGN), summary.portals[0].counts
    organisations = {
        city: [organisation_name(organisation.department(city, code)) for code in codes[city]] for city in CITIES
    }
    return Campaign(organisations, {t: package_name(i) for t, i in identifiers.items()}, services, identifiers)


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory, portal: PortalInfo) -> Iterator[Campaign]:
    made = _campaign(tmp_path_factory.mktemp("campaign"), portal)
    yield made
    made.services.close()


@pytest.fixture(scope="module")
def ckan(portal: PortalInfo) -> Iterator[Any]:
    """The action API as an anonymous visitor's browser uses it (no token)."""
    remote = RemoteCKAN(portal.url, user_agent="Mozilla/5.0 (inventur-tests)")

    def call(action: str, **data: Any) -> Any:
        return remote.call_action(action, data, requests_kwargs={"timeout": TIMEOUT})

    yield call
    remote.close()


def found(ckan: Any, campaign: Campaign, query: str) -> set[str]:
    result = ckan("package_search", q=query, fq=campaign.scope, rows=100)
    return {package["title"] for package in result["results"]}


@pytest.mark.parametrize(("query", "titles"), SEARCHES, ids=[q for q, _ in SEARCHES])
def test_a_visitor_finds_what_the_word_means(ckan: Any, campaign: Campaign, query: str, titles: set[str]) -> None:
    assert found(ckan, campaign, query) == titles


def test_the_best_match_comes_first(ckan: Any, campaign: Campaign) -> None:
    result = ckan("package_search", q="Baumkataster", fq=campaign.scope, rows=5)
    assert [p["title"] for p in result["results"]][:1] == ["Baumkataster"]
    result = ckan("package_search", q="Radverkehr", fq=campaign.scope, rows=5)
    assert [p["title"] for p in result["results"]] == ["Radverkehrszählung 2024"]


def test_the_organisation_page_search_box_finds_compounds(portal: PortalInfo, campaign: Campaign) -> None:
    """What the visitor sees: the organisation's page with ?q=, as the search box sends it."""
    organisation = campaign.organisations["muenchen"][0]
    page = requests.get(f"{portal.url}/organization/{organisation}", params={"q": "Verkehr"}, timeout=TIMEOUT)
    assert page.status_code == 200
    shown = {title for title, name in campaign.datasets.items() if f'href="/dataset/{name}"' in page.text}
    assert shown == {"Radverkehrszählung 2024", "Verkehrsunfälle", "Lärmkartierung"}


def _facets(ckan: Any, campaign: Campaign) -> dict[str, dict[str, int]]:
    result = ckan("package_search", fq=campaign.scope, rows=0, **{
        "facet.field": '["groups", "organization", "res_format", "tags", "license_id"]', "facet.limit": -1})
    return {field: {item["name"]: item["count"] for item in value["items"]}
            for field, value in result["search_facets"].items()}


def _expected(campaign: Campaign, titles: list[str]) -> dict[str, Counter[str]]:
    rows = [row for row in CAMPAIGN if row[2] in titles]
    return {
        "groups": Counter(theme.lower() for _, _, _, _, theme, _, _ in rows),
        "organization": Counter(campaign.organisations[city][department] for city, department, *_ in rows),
        "res_format": Counter(f for *_, formats in rows for f in formats),
        "tags": Counter(k for *_, keywords, _ in rows for k in keywords),
    }


def test_facets_and_the_dataset_counts_of_organisations_and_groups_are_right(
    ckan: Any, portal: PortalInfo, campaign: Campaign
) -> None:
    titles = [row[2] for row in CAMPAIGN]
    facets = _facets(ckan, campaign)
    expected = _expected(campaign, titles)
    for field in ("groups", "organization", "tags"):
        assert facets[field] == dict(expected[field]), field
    # formats are EU file-type IRIs (what ckanext-dcat needs for dct:format); visitors read their codes
    assert {name.rsplit("/", 1)[-1]: count for name, count in facets["res_format"].items()} == dict(expected["res_format"])
    assert facets["license_id"] == {"http://dcat-ap.de/def/licenses/dl-zero-de/2.0": len(CAMPAIGN)}
    for name, count in expected["organization"].items():
        shown = ckan("organization_show", id=name, include_datasets=False)
        assert shown["package_count"] == count
        page = requests.get(f"{portal.url}/organization/{name}", timeout=TIMEOUT)
        assert sum(f'href="/dataset/{campaign.datasets[t]}"' in page.text for t in titles) == count
    listed = {o["name"]: o["package_count"] for o in ckan("organization_list", all_fields=True, limit=1000)}
    assert {name: listed[name] for name in expected["organization"]} == dict(expected["organization"])
    for group in expected["groups"]:  # a group page counts every dataset of the theme on the portal
        assert ckan("group_show", id=group, include_datasets=False)["package_count"] == ckan(
            "package_search", fq=f"groups:{group}", rows=0)["count"] >= expected["groups"][group]


def test_counts_follow_a_withdrawal(ckan: Any, campaign: Campaign) -> None:
    title = "Parkhausbelegung"
    with campaign.services.store.session() as session:
        reject(session, campaign.identifiers[title], REVIEWER, comment="Daten veraltet")
    summary = publish(campaign.services)
    assert summary.portals[0].counts["withdrawn"] == 1
    remaining = [row[2] for row in CAMPAIGN if row[2] != title]
    facets = _facets(ckan, campaign)
    expected = _expected(campaign, remaining)
    assert facets["groups"] == dict(expected["groups"]) and facets["organization"] == dict(expected["organization"])
    organisation = campaign.organisations["nuernberg"][0]
    assert ckan("organization_show", id=organisation)["package_count"] == expected["organization"][organisation]
    assert found(ckan, campaign, "Parkhaus") == set()
