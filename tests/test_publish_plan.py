"""Publishing without a portal: the CKAN package mapping, the plan, the portal's refusals as findings, the
connector's timeouts and retries (against a small local HTTP server that answers as told), and which
portal each city publishes to."""

from __future__ import annotations

import contextlib
import http.server
import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from pydantic import SecretStr

from catalog.dcat import export as dcat
from catalog.organisation import Organisation, load_organisation
from catalog.publish.apply import with_remote_ids
from catalog.publish.mapping import (
    HASH_EXTRA,
    PackageSkipped,
    extra,
    package_hash,
    package_id,
    package_name,
    package_of,
    package_tags,
    resource_id,
    tag_name,
)
from catalog.publish.plan import (
    ApprovedVersion,
    EntryState,
    RemotePackage,
    RemoteResource,
    entry_field,
    plan_publication,
    rejection_findings,
)
from connectors.ckan import CkanUnavailable, RemoteCkanPortal, flatten_errors, is_write
from flows.settings import Settings
from flows.steps.publish import PublishConfigError, portal_targets

ORG = load_organisation()
EU = "http://publications.europa.eu/resource/authority/"
LICENCES = "http://dcat-ap.de/def/licenses/"
OURS = {d.key for d in ORG.departments}


def record(number: int = 1, **over: Any) -> dict[str, Any]:
    """An export record of an Augsburg statistics entry, plus issued and modified."""
    values: dict[str, Any] = {
        "identifier": f"A-STAT-{number:05d}",
        "city": "augsburg",
        "department": "STAT",
        "title": "Bevölkerung nach Stadtbezirken",
        "description": "Einwohnerinnen und Einwohner je Stadtbezirk, jährlich zum 31.12.",
        "theme": [EU + "data-theme/SOCI", EU + "data-theme/REGI"],
        "keywords": ["Bevölkerung", "Stadtbezirke", "Statistik/Bevölkerung", "x"],
        "data_kind": None, "source_system": None,
        "contact_name": None,
        "contact_email": "statistik@augsburg.de",
        "personal_data": "no",
        "third_party_rights": "no",
        "access_rights": EU + "access-right/PUBLIC",
        "restriction_reason": None,
        "license": LICENCES + "dl-by-de/2.0",
        "attribution": "Stadt Augsburg, Amt für Statistik",
        "formats": [EU + "file-type/CSV", EU + "file-type/WMS_SRVC"],
        "access_url": "https://geo.augsburg.de/daten/bevoelkerung.csv",
        "frequency": EU + "frequency/ANNUAL",
        "temporal_start": "2010-01-01",
        "temporal_end": "2024-12-31",
        "spatial": None,
        "last_updated": "2025-01-15",
        "hvd_category": "http://data.europa.eu/bna/c_e1da4e07",
        "publish_proposal": "yes",
        "remarks": None,
        "status": "approved",
        "quality_score": None,
        "issued": "2026-03-01T10:00:00+00:00",
        "modified": "2026-03-02T11:30:00+00:00",
    }
    values.update(over)
    return values


# --------------------------------------------------------------------------- names, tags, packages


def test_package_names_are_stable_valid_and_distinct() -> None:
    assert package_name("A-STAT-00017") == "a-stat-00017"
    assert package_name(" A-STAT-00017 ") == "a-stat-00017"
    identifiers = ["A-STAT-00017", "a-stat-00017", "a-STAT-00017", "muc/geo.1", "muc-geo-1", "new", "NEW", "x" * 300,
                   "Ä-Ö-Ü", "ab"]
    names = [package_name(i) for i in identifiers]
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"[a-z0-9_-]{2,100}", n) for n in names), names
    assert "new" not in names
    assert package_name("muc/geo.1") == package_name("muc/geo.1")  # the same every time
    assert package_id("A-STAT-00017") == package_id("A-STAT-00017") != package_id("A-STAT-00018")


def test_tags_follow_ckans_rules() -> None:
    assert tag_name("Bäume/Grün & Wald") == "Bäume Grün Wald"
    assert tag_name("ÖPNV-Haltestellen_2024 v1.2") == "ÖPNV-Haltestellen_2024 v1.2"
    assert tag_name("x") is None and tag_name(" ! ") is None
    long = " ".join(["Wort"] * 40)
    assert tag_name(long) is not None and len(tag_name(long) or "") <= 100 and not (tag_name(long) or "").endswith(" ")
    assert package_tags(["Bäume", "bäume", "Bäume!", None, "Grün"]) == [{"name": "Bäume"}, {"name": "Grün"}]


def test_a_record_maps_to_a_package_as_govdata_reads_it() -> None:
    base = "https://daten.example.org"
    package = package_of(record(), ORG, base_uri=base)
    dataset = f"{base}/dataset/A-STAT-00001"
    assert package["name"] == "a-stat-00001" and package["id"] == package_id("A-STAT-00001")
    assert package["owner_org"] == "augsburg-stat"
    assert package["license_id"] == LICENCES + "dl-by-de/2.0"
    assert package["groups"] == [{"name": "soci"}, {"name": "regi"}]
    # the one keyword cleaning of every path: "/" becomes a blank, a one-letter keyword is not kept
    assert package["tags"] == [{"name": "Bevölkerung"}, {"name": "Stadtbezirke"}, {"name": "Statistik Bevölkerung"}]
    assert package["maintainer_email"] == "statistik@augsburg.de"
    assert "maintainer" not in package  # it would become the deprecated dcatde:maintainer
    extras = {e["key"]: e["value"] for e in package["extras"]}
    # the export's IRIs: dataset, contact point, publisher
    assert extras["uri"] == dataset
    assert extras["contact_uri"] == f"{dataset}#contact"
    assert extras["publisher_uri"] == f"{base}/publisher/augsburg"
    assert extras["identifier"] == "A-STAT-00001"
    assert json.loads(extras["contributorID"]) == [ORG.city("augsburg").contributor_id]
    assert json.loads(extras["politicalGeocodingURI"]) == [ORG.city("augsburg").geocoding_uri]
    assert extras["politicalGeocodingLevelURI"] == "http://dcat-ap.de/def/politicalGeocoding/Level/municipality"
    assert extras["publisher_name"] == "Stadt Augsburg"
    assert extras["publisher_type"] == "http://purl.org/adms/publishertype/LocalAuthority"
    assert extras["access_rights"] == EU + "access-right/PUBLIC"
    assert extras["frequency"] == EU + "frequency/ANNUAL"
    assert (extras["temporal_start"], extras["temporal_end"]) == ("2010-01-01", "2024-12-31")
    assert (extras["issued"], extras["modified"]) == ("2026-03-01T10:00:00+00:00", "2026-03-02T11:30:00+00:00")
    assert extras["hvd_category"] == "http://data.europa.eu/bna/c_e1da4e07"
    assert extras["applicable_legislation"] == "http://data.europa.eu/eli/reg_impl/2023/138/oj"
    assert extras["contact_email"] == "statistik@augsburg.de" and extras["contact_name"]
    assert "spatial_uri" not in extras and "spatial_text" not in extras and "contact_url" not in extras
    assert extras[HASH_EXTRA] == package_hash(package)

    csv, wms = package["resources"]
    # IRIs, so that ckanext-dcat writes dct:format and dcat:mediaType as IRIs
    assert (csv["format"], wms["format"]) == (EU + "file-type/CSV", EU + "file-type/WMS_SRVC")
    assert csv["mimetype"] == "https://www.iana.org/assignments/media-types/text/csv" and wms["mimetype"] == ""
    assert (csv["uri"], wms["uri"]) == (f"{dataset}/distribution/CSV", f"{dataset}/distribution/WMS_SRVC")
    for resource in (csv, wms):
        assert resource["id"] == package_of(record(), ORG, base_uri=base)["resources"][(csv, wms).index(resource)]["id"]
        assert resource["license"] == LICENCES + "dl-by-de/2.0"
        assert resource["licenseAttributionByText"] == "Stadt Augsburg, Amt für Statistik"
        assert resource["url"] == resource["access_url"] == "https://geo.augsburg.de/daten/bevoelkerung.csv"
        assert resource["modified"] == "2025-01-15" and resource["issued"] == extras["issued"]
        assert resource["description"] == ""
    assert csv["id"] != wms["id"] != package_of(record(2), ORG, base_uri=base)["resources"][1]["id"]
    assert csv["download_url"] == csv["url"] and "download_url" not in wms

    # a spatial reference: the municipality IRI with a name (ckanext-dcat writes spatial_uri only with a text)
    spatial = package_of(record(spatial=ORG.city("augsburg").geocoding_uri), ORG, base_uri=base)
    extras = {e["key"]: e["value"] for e in spatial["extras"]}
    assert (extras["spatial_uri"], extras["spatial_text"]) == (ORG.city("augsburg").geocoding_uri, "Stadt Augsburg")
    # no e-mail anywhere: the city's homepage is the way to reach someone (as in the export)
    unreachable = Organisation(tuple(replace(c, opendata_email=None) for c in ORG.cities),
                               tuple(replace(d, email=None) for d in ORG.departments))
    extras = {e["key"]: e["value"] for e in package_of(record(contact_email=None), unreachable)["extras"]}
    assert "contact_email" not in extras and extras["contact_url"] == ORG.city("augsburg").homepage
    # without a base address: none of our IRIs (CKAN's uuids name the dataset)
    plain = package_of(record(), ORG)
    assert not {"uri", "contact_uri", "publisher_uri"} & {e["key"] for e in plain["extras"]}
    assert "uri" not in plain["resources"][0]


ACCESS_KINDS: dict[str, dict[str, Any]] = {
    "download of a format": {"formats": [EU + "file-type/CSV", EU + "file-type/JSON"],
                             "access_url": "https://opendata.augsburg.de/bevoelkerung",
                             "download_url": "https://opendata.augsburg.de/bevoelkerung/Bevölkerung alle.csv"},
    "download of no format": {"formats": [EU + "file-type/CSV"], "download_url": "https://opendata.augsburg.de/b.zip"},
    "only a download": {"formats": [], "access_url": None, "download_url": "https://opendata.augsburg.de/b.zip"},
    "REST API": {"formats": [EU + "file-type/JSON"], "api_url": "https://api.augsburg.de/b/v1", "api_type": "REST",
                 "api_documentation": "https://api.augsburg.de/b/v1/openapi.json", "hvd_category": None},
    "WMS as the URL": {"formats": [EU + "file-type/WMS_SRVC"], "access_url": "https://geo.augsburg.de/wms?LAYERS=a,b(c)",
                       "hvd_category": None},
    "HVD OGC API and download": {"formats": [EU + "file-type/CSV", EU + "file-type/WFS_SRVC"],
                                 "api_url": "https://geo.augsburg.de/ogcapi", "api_type": "OGC_API",
                                 "api_documentation": "https://geo.augsburg.de/ogcapi/api",
                                 "download_url": "https://opendata.augsburg.de/b.zip"},
    "HVD API without description": {"api_url": "https://api.augsburg.de/w/v1", "api_type": "REST"},
    "only an API": {"formats": [], "access_url": None, "api_url": "https://api.augsburg.de/x/v1", "api_type": "REST",
                    "hvd_category": None},
}


@pytest.mark.parametrize("kind", ACCESS_KINDS)
def test_downloads_and_apis_map_as_the_export_writes_them(kind: str) -> None:
    """Every distribution of the export is a resource with the same IRI, addresses and format, and the API's
    data service rides on the resources of the API as ckanext-dcat reads it (``access_services``)."""
    from rdflib.namespace import DCAT, DCTERMS, FOAF

    base = "https://daten.example.org"
    entry = record(**ACCESS_KINDS[kind])
    package = package_of(entry, ORG, base_uri=base)
    graph = dcat.build_catalog([entry], ORG, base_uri=base, catalog_title="t", catalog_description="d",
                               city="augsburg").graph
    dataset = dcat.dataset_uri(base, entry["identifier"])

    def text(node: Any) -> str:
        return "" if node is None else str(node)

    exported = {str(d): (text(graph.value(d, DCAT.accessURL)), text(graph.value(d, DCAT.downloadURL)),
                         text(graph.value(d, DCTERMS["format"])), text(graph.value(d, DCAT.mediaType)),
                         text(graph.value(d, DCAT.accessService)))
                for d in graph.objects(dataset, DCAT.distribution)}
    mapped = {r["uri"]: (r["access_url"], r.get("download_url", ""), r["format"], r["mimetype"],
                         next((s["uri"] for s in json.loads(r.get("access_services") or "[]")), ""))
              for r in package["resources"]}
    assert mapped == exported
    assert len({r["id"] for r in package["resources"]}) == len(package["resources"])

    services = [json.loads(r["access_services"])[0] for r in package["resources"] if r.get("access_services")]
    node = graph.value(predicate=DCAT.servesDataset, object=dataset)
    if node is None:
        assert services == []
        return
    [service] = {json.dumps(s, sort_keys=True) for s in services}  # the same on every resource of the API
    service = json.loads(service)
    assert service["uri"] == str(node) == f"{dataset}/dataservice"
    assert service["serves_dataset"] == [str(dataset)] and service["title"] == str(graph.value(node, DCTERMS.title))
    assert service["endpoint_url"] == [str(graph.value(node, DCAT.endpointURL))]
    assert service.get("endpoint_description", "") == text(graph.value(node, DCAT.endpointDescription))
    assert service.get("documentation", []) == [str(p) for p in graph.objects(node, FOAF.page)]
    assert service.get("conforms_to", []) == [str(p) for p in graph.objects(node, DCTERMS.conformsTo)]
    assert service["license"] == text(graph.value(node, DCTERMS.license))
    assert service["contact"]["uri"] == str(graph.value(node, DCAT.contactPoint))
    assert service["publisher"]["uri"] == str(graph.value(node, DCTERMS.publisher))
    assert service.get("hvd_category", []) == [str(c) for c in graph.objects(node, dcat.DCATAP.hvdCategory)]
    assert service.get("applicable_legislation", []) == [
        str(c) for c in graph.objects(node, dcat.DCATAP.applicableLegislation)]


def test_an_api_of_a_high_value_dataset_is_a_data_service_only_with_a_description() -> None:
    undescribed = package_of(record(**ACCESS_KINDS["HVD API without description"]), ORG, base_uri="https://d.example.org")
    assert not any(r.get("access_services") for r in undescribed["resources"])
    assert any(r["access_url"] == "https://api.augsburg.de/w/v1" for r in undescribed["resources"])
    ogc = package_of(record(**ACCESS_KINDS["HVD OGC API and download"]), ORG, base_uri="https://d.example.org")
    [wfs] = [r for r in ogc["resources"] if r.get("access_services")]
    assert wfs["format"] == EU + "file-type/WFS_SRVC" and wfs["access_url"] == "https://geo.augsburg.de/ogcapi"
    [service] = json.loads(wfs["access_services"])
    assert service["hvd_category"] == ["http://data.europa.eu/bna/c_e1da4e07"]
    assert service["contact"] == {"uri": "https://d.example.org/dataset/A-STAT-00001/dataservice#contact",
                                  "name": ORG.department("augsburg", "STAT").name, "email": "statistik@augsburg.de"}
    zip_file = next(r for r in ogc["resources"] if r["format"] == EU + "file-type/ZIP")
    assert zip_file["download_url"] == zip_file["url"] == "https://opendata.augsburg.de/b.zip"


def test_attribution_only_where_the_licence_demands_it_and_the_hash_follows_the_content() -> None:
    zero = package_of(record(license=LICENCES + "dl-zero-de/2.0"), ORG)
    assert all("licenseAttributionByText" not in r for r in zero["resources"])
    assert package_hash(zero) == package_hash(package_of(record(license=LICENCES + "dl-zero-de/2.0"), ORG))
    assert package_hash(zero) != package_hash(package_of(record(license=LICENCES + "dl-zero-de/2.0", title="X"), ORG))
    no_formats = package_of(record(formats=[]), ORG)
    assert len(no_formats["resources"]) == 1 and no_formats["resources"][0]["format"] == ""


def test_what_the_dcat_export_leaves_out_is_not_published_either() -> None:
    records = [
        record(1),
        record(2, access_url=None),
        record(3, license=None),
        record(4, personal_data="yes"),
        record(5, title=" "),
        record(6, description=None),
        record(7, city="berlin"),
        record(8, department="NOPE"),
    ]
    export = dcat.build_catalog(records, ORG, base_uri="https://daten.example.org", catalog_title="t",
                                catalog_description="d", publisher_name="p")
    dcat_skips = {s.identifier: s.reason for s in export.skipped}
    ckan_skips = {}
    for rec in records:
        try:
            package_of(rec, ORG)
        except PackageSkipped as exc:
            ckan_skips[rec["identifier"]] = exc.code
    assert {k: v for k, v in ckan_skips.items() if k != "A-STAT-00008"} == dcat_skips
    assert ckan_skips["A-STAT-00008"] == "unknown-department"


# --------------------------------------------------------------------------- the plan


def state(number: int = 1, *, status: str = "approved", version: int = 1, **over: Any) -> EntryState:
    fields = {k: over.pop(k) for k in list(over) if k in EntryState.__dataclass_fields__}
    rec = record(number, status=status, **over)
    return EntryState(entry_id=number, identifier=rec["identifier"], status=status, version=version, record=rec,
                      **fields)


def remote_of(rec: dict[str, Any], *, state: str = "active", **over: Any) -> RemotePackage:
    package = package_of(rec, ORG)
    values: dict[str, Any] = {
        "id": f"id-{rec['identifier']}", "name": package["name"], "identifier": rec["identifier"],
        "organisation": package["owner_org"], "state": state, "content_hash": extra(package, HASH_EXTRA),
        "resources": (RemoteResource("r-csv", "CSV", "u"), RemoteResource("r-wms", "WMS_SRVC", "u")),
    }
    values.update(over)
    return RemotePackage(**values)


def plan(entries: list[EntryState], remote: list[RemotePackage]) -> list[tuple[str, str, str]]:
    result = plan_publication(entries, remote, ORG, organisations=OURS)
    return [(a.action, a.identifier, a.reason) for a in result.actions]


def test_new_changed_unchanged_and_gone() -> None:
    same = record(2)
    assert plan([state(1)], []) == [("create", "A-STAT-00001", "new")]
    assert plan([state(2, status="published", confirmed_hash=extra(package_of(same, ORG), HASH_EXTRA))],
                [remote_of(same)]) == [("unchanged", "A-STAT-00002", "unchanged")]
    assert plan([state(3, status="published")], [remote_of(record(3, title="alt"))]) == [
        ("update", "A-STAT-00003", "changed")]
    assert plan([state(4, status="published", gone=True)], [remote_of(record(4))]) == [
        ("withdraw", "A-STAT-00004", "gone")]


def test_an_unconfirmed_package_is_checked_and_an_approved_entry_marked() -> None:
    result = plan_publication([state(1, status="approved")], [remote_of(record(1))], ORG, organisations=OURS)
    [action] = result.actions
    assert (action.action, action.verify, action.mark_published) == ("unchanged", True, True)
    confirmed = extra(package_of(record(1, status="published"), ORG), HASH_EXTRA)
    result = plan_publication([state(1, status="published", confirmed_hash=confirmed)], [remote_of(record(1))], ORG,
                              organisations=OURS)
    assert (result.actions[0].verify, result.actions[0].mark_published, result.writes) == (False, False, 0)


def test_withdrawals_rejections_and_hard_rules() -> None:
    assert plan([state(1, status="rejected")], [remote_of(record(1))]) == [("withdraw", "A-STAT-00001", "rejected")]
    assert plan([state(2, status="withdrawn")], [remote_of(record(2))]) == [
        ("withdraw", "A-STAT-00002", "withdrawn")]
    assert plan([state(3, status="rejected")], []) == []
    assert plan([state(4, status="ready")], [remote_of(record(4))]) == [("withdraw", "A-STAT-00004", "not-approved")]
    blocked = plan_publication([state(5, status="published", personal_data="yes")], [remote_of(record(5))], ORG,
                               organisations=OURS)
    assert [(a.action, a.reason, a.detail) for a in blocked.actions] == [("withdraw", "blocked", "personal-data")]
    not_there = plan_publication([state(6, open_errors=2)], [], ORG, organisations=OURS)
    assert not_there.actions == [] and [(s.reason, s.identifier) for s in not_there.skipped] == [
        ("blocked", "A-STAT-00006")]


def test_a_changed_entry_keeps_its_approved_version_unless_a_hard_rule_blocks_it() -> None:
    old = record(1, title="Bevölkerung (Stand 2024)", status="published")
    approved = ApprovedVersion(1, old)
    changed = {"version": 2, "approved": approved, "title": "Bevölkerung (Stand 2025)"}
    assert plan([state(1, status="new", **changed)], [remote_of(old)]) == [
        ("unchanged", "A-STAT-00001", "kept-approved-version")]
    assert plan([state(1, status="needs_changes", open_errors=3, **changed)], [remote_of(old)]) == [
        ("unchanged", "A-STAT-00001", "kept-approved-version")]
    created = plan_publication([state(1, status="ready", **changed)], [], ORG, organisations=OURS)
    [action] = created.actions
    assert (action.action, action.entry_version, action.mark_published) == ("create", 1, False)
    assert action.package is not None and action.package["title"] == "Bevölkerung (Stand 2024)"
    assert plan([state(1, status="new", personal_data="yes", **changed)], [remote_of(old)]) == [
        ("withdraw", "A-STAT-00001", "blocked")]
    assert plan([state(1, status="new", third_party_rights="unclear", **changed)], [remote_of(old)]) == [
        ("withdraw", "A-STAT-00001", "blocked")]
    assert plan([state(1, status="new", version=2)], [remote_of(old)]) == [
        ("withdraw", "A-STAT-00001", "not-approved")]  # never approved, or the approval was undone


def test_restore_duplicates_strangers_and_the_order() -> None:
    restored = plan([state(1, known_on_portal=True)], [])
    assert restored == [("restore", "A-STAT-00001", "published-before")]
    twin = remote_of(record(2), id="other", name="a-stat-00002-copy")
    stranger = remote_of(record(3), identifier="A-STAT-99999", name="not-ours-by-identifier")
    foreign = remote_of(record(4), organisation="someone-else")
    no_identifier = remote_of(record(5), identifier=None)
    result = plan_publication(
        [state(6, status="rejected"), state(2, status="published"), state(7)],
        [remote_of(record(2)), twin, stranger, foreign, no_identifier, remote_of(record(6))], ORG, organisations=OURS,
    )
    assert [(a.action, a.package_name, a.reason) for a in result.actions] == [
        ("withdraw", "a-stat-00002-copy", "duplicate"),
        ("withdraw", "a-stat-00006", "rejected"),
        ("create", "a-stat-00007", "new"),
        ("unchanged", "a-stat-00002", "unchanged"),
    ]
    assert [(s.identifier, s.reason) for s in result.skipped] == [("A-STAT-99999", "not-in-inventory")]


def test_an_entry_that_cannot_be_a_package_is_skipped_and_withdrawn() -> None:
    result = plan_publication([state(1, access_url=None)], [remote_of(record(1))], ORG, organisations=OURS)
    assert [(a.action, a.reason) for a in result.actions] == [("withdraw", "no-access-url")]
    assert [s.reason for s in result.skipped] == ["no-access-url"]


def test_update_writes_the_stable_resource_ids() -> None:
    package = package_of(record(1), ORG)
    remote = remote_of(record(1), resources=(RemoteResource("r-wms", "WMS_SRVC", "x"),
                                             RemoteResource("r-old", "PDF", "x")))
    written = with_remote_ids(package, remote)
    assert written["id"] == "id-A-STAT-00001"
    # the ids follow from identifier and format: the same on every update, never guessed anew by CKAN
    assert [r["id"] for r in written["resources"]] == [resource_id("A-STAT-00001", "CSV"),
                                                       resource_id("A-STAT-00001", "WMS_SRVC")]
    assert package["id"] == package_id("A-STAT-00001")  # the planned package is not changed


# --------------------------------------------------------------------------- refusals as findings


def test_ckan_field_errors_become_findings_on_the_right_fields() -> None:
    errors = flatten_errors({
        "__type": "Validation Error",
        "maintainer_email": ["Email gruen(at)x is not a valid format"],
        "resources": [{}, {"url": ["Missing value"]}],
        "tags": [{"name": ["Tag too long"]}],
    })
    assert errors == {"maintainer_email": ["Email gruen(at)x is not a valid format"],
                      "resources[1].url": ["Missing value"], "tags[0].name": ["Tag too long"]}
    found = rejection_findings(errors, identifier="A-STAT-00001", city="augsburg", department="STAT")
    assert [(f.code, f.severity, f.field, f.value) for f in found] == [
        ("ckan-rejected", "warning", "contact_email", "maintainer_email"),
        ("ckan-rejected", "warning", "access_url", "resources[1].url"),
        ("ckan-rejected", "warning", "keywords", "tags[0].name"),
    ]
    assert "abgelehnt" in found[0].message and "not a valid format" in found[0].message_en
    assert entry_field("owner_org") == "department" and entry_field("extras[3].value") is None
    [general] = rejection_findings({}, identifier="A-STAT-00001", city=None, department=None, message="HTTP 403")
    assert general.field is None and "HTTP 403" in general.message_en


# --------------------------------------------------------------------------- the connector


class FakeCkan:
    """A local HTTP server that answers CKAN actions from a script: per action a list of (status, body)."""

    def __init__(self) -> None:
        self.script: dict[str, list[tuple[int, Any]]] = {}
        self.requests: list[tuple[str, dict[str, Any], dict[str, str]]] = []
        self.delay = 0.0
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                action = self.path.rstrip("/").rsplit("/", 1)[-1]
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fake.requests.append((action, json.loads(body or b"{}"), dict(self.headers)))
                if fake.delay:
                    time.sleep(fake.delay)
                queue = fake.script.get(action) or [(200, {"success": True, "result": {}})]
                code, answer = queue.pop(0) if len(queue) > 1 else queue[0]
                data = json.dumps(answer).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def actions(self) -> list[str]:
        return [a for a, _, _ in self.requests]


@pytest.fixture
def fake() -> Iterator[FakeCkan]:
    server = FakeCkan()
    yield server
    server.server.shutdown()
    server.server.server_close()


def client(url: str, **over: Any) -> RemoteCkanPortal:
    return RemoteCkanPortal(url, "secret-token", **{"timeout": 2.0, "retries": 3, "backoff": 0.01, **over})


def test_server_errors_are_retried_a_bounded_number_of_times(fake: FakeCkan) -> None:
    ok = {"success": True, "result": {"id": "p1", "name": "a"}}
    fake.script["package_create"] = [(503, {"success": False}), (500, {"success": False}), (200, ok)]
    portal = client(fake.url)
    result = portal.create_package({"name": "a"})
    assert result.ok and result.package == ok["result"]
    assert fake.actions() == ["package_create"] * 3 and portal.writes == 3
    _, _, headers = fake.requests[0]
    assert headers["User-Agent"].startswith("inventur/") and headers["Authorization"] == "secret-token"

    fake.requests.clear()
    fake.script["package_update"] = [(500, {"success": False, "error": {"message": "boom"}})]
    failed = portal.update_package({"id": "p1"})
    assert not failed.ok and failed.server_error and failed.status == 500
    assert fake.actions() == ["package_update"] * 4  # 1 + 3 retries, then it gives up


def test_client_errors_are_never_retried(fake: FakeCkan) -> None:
    fake.script["package_create"] = [(409, {"success": False, "error": {
        "__type": "Validation Error", "name": ["That URL is already in use."]}})]
    fake.script["package_delete"] = [(404, {"success": False, "error": {"__type": "Not Found Error", "message": "x"}})]
    fake.script["package_patch"] = [(403, {"success": False, "error": {"__type": "Authorization Error",
                                                                        "message": "Access denied"}})]
    portal = client(fake.url)
    refused = portal.create_package({"name": "a"})
    assert (refused.ok, refused.status, refused.field_errors) == (False, 409, {"name": ["That URL is already in use."]})
    assert portal.delete_package("a").not_found
    denied = portal._write("package_patch", {"id": "a"})
    assert (denied.ok, denied.status) == (False, 403)
    assert fake.actions() == ["package_create", "package_delete", "package_patch"]


def test_an_unreachable_portal_raises_after_the_retries(fake: FakeCkan) -> None:
    fake.server.shutdown()
    fake.server.server_close()
    portal = client(fake.url, retries=2)
    with pytest.raises(CkanUnavailable, match="after 3 attempts"):
        portal.create_package({"name": "a"})
    assert portal.writes == 3
    with pytest.raises(CkanUnavailable):
        list(portal.iter_packages(["augsburg-stat"]))


def test_every_call_has_a_timeout(fake: FakeCkan) -> None:
    fake.delay = 1.0
    portal = client(fake.url, timeout=0.2, retries=1)
    started = time.perf_counter()
    with pytest.raises(CkanUnavailable):
        portal.show_package("a")
    assert time.perf_counter() - started < 1.5
    assert fake.actions() == ["package_show", "package_show"]


def test_packages_are_read_in_pages_and_organisations_created_once(fake: FakeCkan) -> None:
    page = {"count": 2500, "results": [{"name": f"p{i}"} for i in range(1000)]}
    last = {"count": 2500, "results": [{"name": f"p{i}"} for i in range(500)]}
    fake.script["package_search"] = [(200, {"success": True, "result": page}), (200, {"success": True, "result": page}),
                                     (200, {"success": True, "result": last})]
    portal = client(fake.url)
    assert len(list(portal.iter_packages(["augsburg-stat", "muenchen-kvr"]))) == 2500
    searches = [data for action, data, _ in fake.requests if action == "package_search"]
    assert [s["start"] for s in searches] == [0, 1000, 2000]
    assert all(s["rows"] == 1000 and s["include_private"] is True for s in searches)
    assert searches[0]["fq"] == 'organization:("augsburg-stat" OR "muenchen-kvr")'
    assert portal.writes == 0 and portal.reads == 3

    fake.script["organization_list"] = [(200, {"success": True, "result": ["augsburg-stat"]})]
    errors = portal.ensure_organisations([{"name": "augsburg-stat"}, {"name": "augsburg-geo", "title": "Geo"}])
    assert errors == {} and portal.writes == 1, fake.actions()
    assert portal.ensure_organisations([{"name": "augsburg-geo", "title": "Geo"}]) == {} and portal.writes == 1
    # an organisation of ours with another title (what visitors read) gets the wanted one
    assert portal.ensure_organisations([{"name": "augsburg-stat", "title": "Augsburg: Amt für Statistik"}]) == {}
    assert portal.writes == 2 and fake.actions()[-1] == "organization_patch"
    assert [d for a, d, _ in fake.requests if a == "organization_patch"][-1]["title"] == "Augsburg: Amt für Statistik"
    assert is_write("package_patch") and not is_write("package_search") and not is_write("organization_list")


# --------------------------------------------------------------------------- portals per city


def settings(**over: Any) -> Settings:
    values: dict[str, Any] = {f"ckan_{kind}_{city}": None for kind in ("url", "token")
                              for city in ("muenchen", "augsburg", "nuernberg")}
    values.update(ckan_url=None, ckan_token=None)
    values.update(over)
    return Settings(**values)


def test_each_city_publishes_to_its_own_portal_or_the_shared_one() -> None:
    shared = settings(ckan_url="https://daten.example.org/", ckan_token=SecretStr("t"))
    [target] = portal_targets(shared)
    assert (target.url, target.token, target.cities) == ("https://daten.example.org", "t",
                                                          ("muenchen", "augsburg", "nuernberg"))
    own = settings(ckan_url="https://daten.example.org", ckan_token=SecretStr("t"),
                   ckan_url_muenchen="https://opendata.muenchen.de", ckan_token_muenchen=SecretStr("munich-secret"))
    targets = {t.url: (t.token, t.cities) for t in portal_targets(own)}
    assert targets == {"https://opendata.muenchen.de": ("munich-secret", ("muenchen",)),
                       "https://daten.example.org": ("t", ("augsburg", "nuernberg"))}
    assert [t.cities for t in portal_targets(own, "muenchen")] == [("muenchen",)]
    assert "munich-secret" not in repr(portal_targets(own, "muenchen"))
    with pytest.raises(PublishConfigError, match="augsburg"):
        portal_targets(settings(ckan_url_muenchen="https://opendata.muenchen.de"))
