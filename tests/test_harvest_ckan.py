"""Harvesting CKAN portals: the real local CKAN 2.11 loaded with München-style messy packages.

Each test works in its own organisation (random name) and harvests only it, so a reused portal folder
does not disturb the results. München's portal carries frequencies as free text next to EU URIs,
licence ids as ``dl-de-by-2.0`` next to ``dl-by-de/2.0``, e-mail addresses without a domain, and its
fields on the package itself (ckanext-scheming); the local portal keeps them in extras. Both are read.
"""

from __future__ import annotations

import json
import secrets
import string
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from catalog.inventory import Source, save_entry
from catalog.models import Entry, EntryVersion, FindingRow
from catalog.organisation import load_organisation
from connectors.ckan.source import CkanSource, canonical_url, package_record, solr_time
from connectors.harvest.http import SourceInvalid, SourceUnavailable
from flows.services import Services
from flows.steps.harvest import harvest_ckan, run_ckan
from portal.local import PortalInfo
from tests.conftest import CkanApi as Api
from tests.factories import count

ROOT = Path(__file__).resolve().parents[1]
EU = "http://publications.europa.eu/resource/authority/"
DL_BY = "http://dcat-ap.de/def/licenses/dl-by-de/2.0"
MUENCHEN = load_organisation().city("muenchen")
TIMEOUT = 60


PORTAL = (pytest.mark.portal, pytest.mark.slow)


def portal_test(test: Any) -> Any:
    """Mark a test as one on the real local portal."""
    for mark in PORTAL:
        test = mark(test)
    return test


def unique_word(length: int = 8) -> str:
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(length))



def organisation(api: Api, prefix: str) -> str:
    name = f"{prefix}-{unique_word(8)}"
    api("organization_create", name=name, title=f"{prefix.capitalize()} (Test)")
    return name


def package(api: Api, org: str, slug: str, *, extras: dict[str, str] | None = None, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": f"{slug}-{org}"[:100],
        "owner_org": org,
        "notes": "Ein Datensatz des Portals, mit einer Beschreibung von mehr als dreißig Zeichen.",
        "extras": [{"key": k, "value": v} for k, v in (extras or {}).items()],
    }
    data.update(fields)
    result: dict[str, Any] = api("package_create", **data)
    return result


def munich_packages(api: Api, org: str) -> dict[str, dict[str, Any]]:
    """München-style packages: messy values where the real portal has them."""
    geocoding = MUENCHEN.geocoding_uri
    return {
        "parken": package(
            api, org, "parken", title="Parkflächen für Carsharing", license_id="dl-de-by-2.0",
            author="MOR-GB1", maintainer="MOR-GB1", maintainer_email="gis.mor@muenchen.de",
            groups=[{"name": "tran"}], tags=[{"name": "Parken"}, {"name": "Carsharing"}],
            extras={"frequency": "täglich", "politicalGeocodingURI": geocoding, "hvd_category": "",
                    "licenseAttributionByText": "Landeshauptstadt München, Mobilitätsreferat"},
            resources=[{"url": "https://example.org/parken.geojson", "format": "GeoJSON"},
                       {"url": "https://example.org/geoserver/wfs", "format": "WFS"}],
        ),
        "wahlen": package(
            api, org, "wahlen", title="Stimm- und Briefwahlbezirke", license_id="dl-by-de/2.0",
            maintainer="Kreisverwaltungsreferat, Wahlen und Abstimmungen", maintainer_email="wahlamt.kvr@muenchen",
            groups=[{"name": "gove"}],
            extras={"frequency": f"{EU}frequency/IRREG", "temporal_start": "2017-09-24T00:00:00"},
            resources=[{"url": "https://example.org/wahlbezirke.zip", "format": "Shape"}],
        ),
        "erhalt": package(
            api, org, "erhalt", title="Erhaltungssatzungsgebiete", license_id=DL_BY,
            groups=[{"name": "regi"}, {"name": "envi"}],
            extras={"frequency": "kontinuierlich", "contact_email": " mailto:plan.ha2-11@muenchen.de"},
            resources=[{"url": "https://example.org/erhalt.csv", "format": "csv"}],
        ),
        "personal": package(
            api, org, "personal", title="Personalstand", license_id="cc-by-4.0",
            maintainer_email="stat.amt@muenchen.de", extras={"frequency": "alle paar Jahre"},
        ),
        "privat": package(api, org, "privat", title="Interner Entwurf", private=True),
    }


def entry_of(services: Services, made: dict[str, Any]) -> Entry:
    """The entry harvested from a package (by the package's id, the remote id)."""
    with services.store.session() as session:
        return session.execute(select(Entry).where(Entry.remote_id == made["id"])).scalar_one()


def count_of(services: Services, packages: dict[str, dict[str, Any]]) -> int:
    with services.store.session() as session:
        return int(session.scalar(select(func.count()).select_from(Entry).where(
            Entry.remote_id.in_([p["id"] for p in packages.values()]))) or 0)


def open_codes(services: Services, entry: Entry, stage: str = "harvest") -> list[str]:
    with services.store.session() as session:
        return sorted(session.scalars(select(FindingRow.code).where(
            FindingRow.entry_id == entry.id, FindingRow.is_open.is_(True), FindingRow.stage == stage)))


@portal_test
def test_messy_munich_packages_incremental_changed_and_gone(api: Api, portal: PortalInfo, services: Services) -> None:
    org = organisation(api, "mor")
    packages = munich_packages(api, org)
    summary = harvest_ckan(services, portal.url, city="muenchen", organization=org, department="RIT",
                           departments={org: "MOR"})
    [first] = summary["sources"]
    assert (first["records"], first["created"], first["since"], first["scope"]) == (4, 4, None, [org])
    assert summary["validation"]["checked"] >= 4  # validation ran after the harvest
    assert count_of(services, packages) == 4  # the private package is not harvested

    parken = entry_of(services, packages["parken"])
    assert parken.department == "MOR" and parken.origin == "harvest" and parken.city == "muenchen"
    assert parken.remote_source == canonical_url(portal.url) and parken.remote_id == packages["parken"]["id"]
    assert parken.remote_modified == packages["parken"]["metadata_modified"]
    assert parken.frequency == EU + "frequency/DAILY"
    assert parken.license == DL_BY and parken.attribution == "Landeshauptstadt München, Mobilitätsreferat"
    assert parken.theme == [EU + "data-theme/TRAN"] and parken.keywords == ["Carsharing", "Parken"]
    assert parken.formats == [EU + "file-type/GEOJSON", EU + "file-type/WFS_SRVC"]
    assert parken.access_url == "https://example.org/parken.geojson"
    assert parken.contact_name == "MOR-GB1" and parken.contact_email == "gis.mor@muenchen.de"
    assert parken.access_rights == EU + "access-right/PUBLIC" and parken.publish_proposal == "yes"
    assert parken.spatial_scope == "city" and parken.spatial == MUENCHEN.geocoding_uri
    assert parken.hvd_category is None
    assert open_codes(services, parken) == ["value-corrected"]  # dl-de-by-2.0, the licence id
    assert parken.status in ("needs_changes", "ready")  # validated

    wahlen = entry_of(services, packages["wahlen"])
    assert wahlen.license == DL_BY and wahlen.frequency == EU + "frequency/IRREG"
    assert wahlen.contact_email is None and wahlen.contact_name == "Kreisverwaltungsreferat, Wahlen und Abstimmungen"
    assert wahlen.formats == [EU + "file-type/SHP"] and wahlen.temporal_start == "2017-09-24"
    assert wahlen.theme == [EU + "data-theme/GOVE"]
    assert open_codes(services, wahlen) == ["invalid-email", "value-corrected", "value-corrected"]
    with services.store.session() as session:
        problem = session.execute(select(FindingRow).where(FindingRow.entry_id == wahlen.id,
                                                           FindingRow.code == "invalid-email")).scalar_one()
    assert (problem.severity, problem.field, problem.value) == ("error", "contact_email", "wahlamt.kvr@muenchen")
    assert problem.file and problem.file.endswith(f"/dataset/{packages['wahlen']['name']}")
    assert problem.message.startswith("„wahlamt.kvr@muenchen“ ist keine gültige E-Mail-Adresse")

    erhalt = entry_of(services, packages["erhalt"])
    assert erhalt.frequency == EU + "frequency/CONT" and erhalt.license == DL_BY
    assert erhalt.contact_email == "plan.ha2-11@muenchen.de"
    assert erhalt.theme == [EU + "data-theme/REGI", EU + "data-theme/ENVI"]
    personal = entry_of(services, packages["personal"])
    assert personal.frequency is None and personal.license == "http://dcat-ap.de/def/licenses/cc-by/4.0"
    assert "unknown-value" in open_codes(services, personal)
    with services.store.session() as session:
        unknown = session.execute(select(FindingRow).where(FindingRow.entry_id == personal.id,
                                                           FindingRow.code == "unknown-value")).scalar_one()
    assert (unknown.severity, unknown.field, unknown.value) == ("warning", "frequency", "alle paar Jahre")

    # nothing changed: incremental, and nothing written
    versions, finding_rows = count(services.store, EntryVersion), count(services.store, FindingRow)
    [second] = harvest_ckan(services, portal.url, city="muenchen", organization=org, department="RIT",
                            departments={org: "MOR"})["sources"]
    assert second["since"] == first["high_water"] and second["records"] <= 1  # only from the mark on
    assert (second["created"], second["updated"], second["gone"]) == (0, 0, [])
    assert count(services.store, EntryVersion) == versions and count(services.store, FindingRow) == finding_rows

    # one package changed: read incrementally, a new version
    api("package_patch", id=packages["personal"]["id"],
        extras=[{"key": "frequency", "value": "wöchentlich"}])
    [third] = harvest_ckan(services, portal.url, city="muenchen", organization=org, department="RIT",
                           departments={org: "MOR"}, validate=False)["sources"]
    assert (third["updated"], third["created"]) == (1, 0)
    personal = entry_of(services, packages["personal"])
    assert personal.frequency == EU + "frequency/WEEKLY" and personal.version == 2
    assert "unknown-value" not in open_codes(services, personal)

    # one package removed from the portal: reported and marked, not deleted
    api("package_delete", id=packages["parken"]["id"])
    [fourth] = harvest_ckan(services, portal.url, city="muenchen", organization=org, department="RIT",
                            departments={org: "MOR"}, validate=False)["sources"]
    parken = entry_of(services, packages["parken"])
    assert fourth["gone"] == [parken.identifier] and parken.gone_at is not None
    assert open_codes(services, parken) == ["remote-gone"]
    assert count_of(services, packages) == 4


@portal_test
def test_survey_answer_and_portal_record_merge(api: Api, portal: PortalInfo, services: Services) -> None:
    org = organisation(api, "kvr")
    with services.store.session() as session:
        answer = save_entry(session, {
            "title": "Wahlbezirke (Umfrage)", "description": "Stimm- und Briefwahlbezirke, vom Wahlamt gepflegt.",
            "contact_email": "wahlamt@muenchen.de", "personal_data": "no", "third_party_rights": "no",
            "publish_proposal": "yes", "keywords": ["Wahlen"],
        }, city="muenchen", department="KVR", source=Source("survey", "muenchen_KVR_2026-herbst.xlsx"),
            organisation=services.organisation)
        identifier = answer.entry.identifier
    package(api, org, "wahl", title="Stimmbezirke (Portal)", license_id="dl-de-by-2.0",
            maintainer_email="wahlamt.kvr@muenchen", groups=[{"name": "gove"}],
            extras={"identifier": identifier, "frequency": "unregelmäßig"},
            resources=[{"url": "https://example.org/stimmbezirke.zip", "format": "SHP"}])
    [report] = harvest_ckan(services, portal.url, city="muenchen", organization=org, department="RIT",
                            validate=False)["sources"]
    assert (report["created"], report["updated"], report["merged"]) == (0, 1, 1)
    with services.store.session() as session:
        assert session.scalar(select(func.count()).select_from(Entry)) == 1  # no duplicate
        entry = session.execute(select(Entry).where(Entry.identifier == identifier)).scalar_one()
    assert entry.title == "Wahlbezirke (Umfrage)" and entry.contact_email == "wahlamt@muenchen.de"
    assert entry.department == "KVR"  # the survey's department, not the source's default
    assert entry.license == DL_BY and entry.frequency == EU + "frequency/IRREG"
    assert entry.formats == [EU + "file-type/SHP"] and entry.theme == [EU + "data-theme/GOVE"]
    assert entry.remote_source == canonical_url(portal.url)
    assert "invalid-email" not in open_codes(services, entry)
    again = run_ckan(services, portal.url, city="muenchen", organization=org, department="RIT")
    assert (again.created, again.updated, again.gone) == (0, 0, [])


@portal_test
def test_paging_reads_every_package_once(api: Api, portal: PortalInfo) -> None:
    org = organisation(api, "seiten")
    made = [package(api, org, f"p{i}", title=f"Seite {i}") for i in range(7)]
    with CkanSource(portal.url, page_size=3) as source:
        pages = list(source.package_pages(organization=org))
        assert [len(p) for p in pages] == [3, 3, 1]
        assert sorted(p["id"] for page in pages for p in page) == sorted(p["id"] for p in made)
        assert source.package_ids(organization=org) == {p["id"] for p in made}
        mark = made[3]["metadata_modified"]
        later = [p["id"] for page in source.package_pages(organization=org, since=mark) for p in page]
        assert set(later) == {p["id"] for p in made[3:]}
        assert source.requests <= 3 + 3 + 2 + 1  # pages, never a request per dataset


def test_package_record_of_a_scheming_portal() -> None:
    package_doc = json.loads((ROOT / "tests" / "data" / "harvest" / "muenchen-package.json").read_text(encoding="utf-8"))
    record = package_record(package_doc, portal="https://opendata.muenchen.de", city=MUENCHEN)
    assert record.remote_id == package_doc["id"] and record.organization == "kreisverwaltungsreferat"
    assert record.link == "https://opendata.muenchen.de/dataset/wahlen-stimm-und-briefwahlbezirke-in-muenchen"
    raw = record.raw
    assert raw["frequency"] == f"{EU}frequency/IRREG" and raw["license"] == "dl-de-by-2.0"
    assert raw["contact_email"] == "wahlamt.kvr@muenchen" and raw["spatial"] == "gesamtes Stadtgebiet"
    assert raw["formats"] == "SHP"  # "shp" is the same format
    # München's group "Politik und Wahlen" is one of GovData's older categories: the EU theme GovData maps it to
    assert raw["theme"] == f"{EU}data-theme/GOVE"
    assert [(f.code, f.params["before"], f.params["after"]) for f in record.findings] == [
        ("value-corrected", "Politik und Wahlen", "Regierung und öffentlicher Sektor")]
    assert str(raw["temporal_start"]) == "2017-09-24" and str(raw["last_updated"]) == "2025-02-04"
    assert "hvd_category" not in raw  # empty on the portal: no value
    assert record.identifier is None


def test_solr_time_and_canonical_url() -> None:
    assert solr_time("2026-01-28T07:45:18.079134") == "2026-01-28T07:45:18.079"
    assert solr_time("2026-01-28T07:45:18.079Z") == "2026-01-28T07:45:18.079"
    assert solr_time("2026-01-28T07:45:18") == "2026-01-28T07:45:18.000"
    assert canonical_url("https://opendata.muenchen.de/api/3/action/") == "https://opendata.muenchen.de"
    with pytest.raises(SourceInvalid):
        CkanSource("opendata.muenchen.de")


def inventur(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flows", *args], capture_output=True, text=True, env=env,
                          timeout=180, cwd=ROOT)


@portal_test
def test_cli_ckan_exit_codes(api: Api, portal: PortalInfo, cli_env: dict[str, str]) -> None:
    org = organisation(api, "cli")
    package(api, org, "eins", title="Eins", license_id="dl-de-by-2.0", extras={"frequency": "täglich"})
    done = inventur(cli_env, "harvest", "ckan", portal.url, "--city", "muenchen", "--organization", org,
                    "--department", "RIT", "--no-validate", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["sources"][0]["created"] == 1
    env = {**cli_env, "INVENTUR_HTTP_TIMEOUT": "2"}
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    down = inventur(env, "harvest", "ckan", f"http://127.0.0.1:{port}", "--city", "muenchen", "--department", "RIT")
    assert down.returncode == 4 and "did not answer after 3 attempts" in down.stderr
    not_ckan = inventur(env, "harvest", "ckan", f"{portal.url}/no-ckan-here", "--city", "muenchen")
    assert not_ckan.returncode == 4, not_ckan.stderr
    bad = inventur(env, "harvest", "ckan", "opendata.muenchen.de", "--city", "muenchen")
    assert bad.returncode == 2 and "no http(s) URL" in bad.stderr
    unknown = inventur(env, "harvest", "ckan", portal.url, "--city", "muenchen", "--department", "NOPE")
    assert unknown.returncode == 2


def test_unreachable_portal_raises() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with CkanSource(f"http://127.0.0.1:{port}", timeout=2, backoff=0.1) as source, \
            pytest.raises(SourceUnavailable, match="did not answer after 3 attempts"):
        source.package_ids()
