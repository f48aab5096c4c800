"""The comparison of the portal's DCAT with the export (catalog/dcat/compare.py), on graphs made here.

The "portal" graphs are the export as ckanext-dcat and ckanext-dcatde write it (the differences measured on the
local portal, see tests/test_portal_dcat.py): plain literals, the extra blank location of ckanext-dcatde, the
DCAT-AP 1 period ckanext-dcat leaves for an end-only period, typing of vocabulary terms. The real portal's DCAT is
compared in tests/test_portal_dcat.py.
"""

from __future__ import annotations

from typing import Any

from rdflib import Graph, Namespace, URIRef
from rdflib import Literal as RdfLiteral

from catalog.dcat.compare import (
    SCHEMA,
    Verification,
    check_datasets,
    compare_catalog,
    datasets_by_identifier,
    part_of,
    verification_findings,
    without_paging,
)
from catalog.dcat.export import build_catalog
from catalog.dcat.shacl import ShaclReport, ShaclResult
from catalog.organisation import load_organisation
from tests.factories import DCAT, DCT, RDF, as_the_portal_writes
from tests.factories import dcat_record as record

ORG = load_organisation()
BASE = "http://portal.example.org"
EU = "http://publications.europa.eu/resource/authority/"
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")


def export(records: list[dict[str, Any]]) -> Any:
    return build_catalog(records, ORG, base_uri=BASE, catalog_title="Offene Daten", catalog_description="Alles",
                         publisher_name="Kooperation")


def checked(portal: Graph, made: Any, reports: list[ShaclReport] | None = None) -> Any:
    return check_datasets(datasets_by_identifier(made.graph), made.graph, portal, reports or [])


def test_the_portals_known_additions_are_no_difference() -> None:
    made = export([record(1), record(2, temporal_start="2020-01-01", spatial=None)])
    checks = checked(as_the_portal_writes(made.graph), made)
    assert all(c.found and c.ok for c in checks.values())
    known = sorted((i, d.property, d.known) for i, c in checks.items() for d in c.differences)
    assert known == [("M-KVR-00001", "dct:spatial", "dcatde-admin-unit-location"),
                     ("M-KVR-00001", "dct:temporal", "dcat-end-only-period"),
                     ("M-KVR-00002", "dct:spatial", "dcatde-admin-unit-location")]


def test_a_changed_lost_or_added_property_is_a_difference() -> None:
    made = export([record(1)])
    portal = as_the_portal_writes(made.graph)
    dataset = URIRef(f"{BASE}/dataset/M-KVR-00001")
    csv = URIRef(f"{dataset}/distribution/CSV")
    portal.set((dataset, DCT.title, RdfLiteral("Parkraum 1 (von Hand)")))
    portal.remove((dataset, DCAT.keyword, RdfLiteral("Verkehr")))
    portal.set((csv, DCT["format"], RdfLiteral("CSV")))
    extra = URIRef(f"{dataset}/resource/123")
    portal.add((dataset, DCAT.distribution, extra))
    portal.add((extra, RDF.type, DCAT.Distribution))

    [check] = checked(portal, made).values()
    found = {(d.node, d.property, d.kind, d.expected, d.found) for d in check.real_differences}
    assert found == {
        ("dataset", "dct:title", "changed", ('"Parkraum 1"',), ('"Parkraum 1 (von Hand)"',)),
        ("dataset", "dcat:keyword", "lost", ('"Verkehr"',), ()),
        ("distribution CSV", "dct:format", "changed", (f"<{EU}file-type/CSV>",), ('"CSV"',)),
        ("distribution 123", "dcat:distribution", "added", (), (f"<{extra}>",)),
    }
    assert not check.ok


def test_a_dataset_is_found_by_its_identifier_and_its_iri_compared() -> None:
    made = export([record(1), record(2)])
    portal = as_the_portal_writes(made.graph)
    ours = URIRef(f"{BASE}/dataset/M-KVR-00001")
    theirs = URIRef(f"{BASE}/dataset/5d2e-uuid")
    for s, p, o in list(portal.triples((ours, None, None))):
        portal.remove((s, p, o))
        portal.add((theirs, p, o))
    for s, p, o in list(portal.triples((None, None, URIRef(f"{BASE}/dataset/M-KVR-00002")))):
        portal.remove((s, p, o))
    for s, p, o in list(portal.triples((URIRef(f"{BASE}/dataset/M-KVR-00002"), None, None))):
        portal.remove((s, p, o))
    checks = checked(portal, made)
    assert [(d.property, d.found) for d in checks["M-KVR-00001"].real_differences] == [("IRI", (f"<{theirs}>",))]
    assert not checks["M-KVR-00002"].found


def test_violations_belong_to_the_datasets_whose_nodes_or_values_they_concern() -> None:
    made = export([record(1, temporal_start="2020-01-01"), record(2, temporal_start="2020-01-01")])
    portal = as_the_portal_writes(made.graph)
    first = f"{BASE}/dataset/M-KVR-00001"
    portal.set((URIRef(first + "/distribution/CSV"), DCT["format"], RdfLiteral("CSV")))
    catalog = next(iter(portal.subjects(RDF.type, DCAT.Catalog)))
    report = ShaclReport("shapes-3.0", results=[
        ShaclResult("Violation", first + "/distribution/CSV", "dct:format", "s1", "format must be an IRI"),
        ShaclResult("Violation", "CSV", "skos:inScheme", "s2", "format from the vocabulary"),
        ShaclResult("Violation", str(catalog), "dct:publisher", "s3", "catalog needs a publisher"),
        ShaclResult("Warning", first, "dcat:landingPage", "s4", "a landing page is recommended"),
    ])
    checks = checked(portal, made, [report])
    assert [(p, r.source_shape) for p, r in checks["M-KVR-00001"].violations] == [("3.0", "s1"), ("3.0", "s2")]
    assert checks["M-KVR-00002"].violations == []

    result = Verification(portal=BASE)
    result.add(checks.values())
    assert result.violations == {"3.0": 2} and not result.ok
    assert [c.identifier for c in result.entries] == ["M-KVR-00001"]
    found = verification_findings(checks["M-KVR-00001"], portal=BASE, city="muenchen", department="KVR")
    assert sorted((f.code, f.field or "") for f in found) == [
        ("portal-dcat-difference", "formats"), ("portal-dcat-violation", ""), ("portal-dcat-violation", "formats")]
    assert all(f.severity == "warning" and f.identifier == "M-KVR-00001" and BASE in f.message for f in found)


def test_the_end_only_period_violation_is_named_as_caused_upstream() -> None:
    made = export([record(1)])
    portal = as_the_portal_writes(made.graph)
    period = next(p for p in portal.objects(URIRef(f"{BASE}/dataset/M-KVR-00001"), DCT.temporal)
                  if (p, SCHEMA.endDate, None) in portal)
    report = ShaclReport("shapes-3.0", results=[ShaclResult(
        "Violation", f"_:{period}", "(dcat:startDate | dcat:endDate)", "dcatde3:DE_PeriodOfTime_periodPoints_v_Min",
        "dcterms:PeriodOfTime: MUSS mindestens eine der folgenden Eigenschaften besitzen")])
    [check] = checked(portal, made, [report]).values()
    assert check.violations == [] and [(p, c) for p, _, c in check.upstream] == [("3.0", "dcat-end-only-period")]
    assert check.ok


def test_the_catalog_node_and_paging() -> None:
    made = export([record(1)])
    portal = as_the_portal_writes(made.graph)
    page = URIRef(f"{BASE}/catalog.ttl?page=1")
    portal.add((page, RDF.type, HYDRA.PagedCollection))
    portal.add((page, HYDRA.next, URIRef(f"{BASE}/catalog.ttl?page=2")))
    clean = without_paging(portal)
    assert not any(str(p).startswith(str(HYDRA)) for _, p, _ in clean) and (page, None, None) not in clean
    catalog = made.catalog
    assert compare_catalog(made.graph, catalog, clean, catalog) == []
    clean.set((catalog, DCT.language, RdfLiteral("de")))
    [difference] = compare_catalog(made.graph, catalog, clean, catalog)
    assert (difference.property, difference.kind, difference.found) == ("dct:language", "changed", ('"de"',))


def test_the_part_of_a_catalog_that_is_ours() -> None:
    made = export([record(1), record(2)])
    portal = as_the_portal_writes(made.graph)
    ours, theirs = (URIRef(f"{BASE}/dataset/M-KVR-0000{n}") for n in (1, 2))
    part = part_of(portal, [ours])
    assert (ours, None, None) in part and (theirs, None, None) not in part
    assert (None, None, theirs) not in part  # not even the catalog's link to it
    for distribution in portal.objects(ours, DCAT.distribution):
        assert set(portal.triples((distribution, None, None))) <= set(part)
    publisher = portal.value(ours, DCT.publisher)
    assert set(portal.triples((publisher, None, None))) <= set(part)
    assert len(list(part.subjects(RDF.type, DCAT.Catalog))) == 1
    assert checked(part, export([record(1)]))["M-KVR-00001"].ok


def api(number: int, **over: Any) -> dict[str, Any]:
    """An entry with a REST API and its description."""
    return record(number, formats=[EU + "file-type/JSON"], api_url=f"https://api.muenchen.de/parken-{number}/v1",
                  api_type="REST", api_documentation=f"https://api.muenchen.de/parken-{number}/v1/openapi.json", **over)


def test_data_services_are_compared_service_by_service() -> None:
    made = export([api(1), api(2)])
    portal = as_the_portal_writes(made.graph)
    assert all(c.ok for c in checked(portal, made).values())

    first = URIRef(f"{BASE}/dataset/M-KVR-00001/dataservice")
    second = URIRef(f"{BASE}/dataset/M-KVR-00002/dataservice")
    portal.set((first, DCAT.endpointDescription, URIRef("https://example.org/handbuch.html")))
    portal.remove((portal.value(first, DCAT.contactPoint), URIRef("http://www.w3.org/2006/vcard/ns#hasEmail"), None))
    catalog = next(iter(portal.subjects(RDF.type, DCAT.Catalog)))
    portal.remove((catalog, DCAT.service, second))
    checks = checked(portal, made)
    found = {(d.node, d.property, d.kind) for d in checks["M-KVR-00001"].real_differences}
    assert found == {("service dataservice", "dcat:endpointDescription", "changed"),
                     ("service dataservice", "dcat:contactPoint", "changed")}
    assert [(d.node, d.property, d.kind) for d in checks["M-KVR-00002"].real_differences] == [
        ("service dataservice", "catalog dcat:service", "lost")]
    findings = verification_findings(checks["M-KVR-00001"], portal=BASE, city="muenchen", department="KVR")
    assert sorted(f.field or "" for f in findings) == ["api_documentation", "contact_email"]

    # a service the portal lost entirely, and one it has that the export does not
    portal = as_the_portal_writes(made.graph)
    api_distribution = URIRef(f"{BASE}/dataset/M-KVR-00001/distribution/api")
    portal.remove((api_distribution, DCAT.accessService, first))
    portal.add((URIRef(f"{BASE}/dataset/M-KVR-00002/distribution/JSON"), DCAT.accessService, URIRef(f"{BASE}/x")))
    checks = checked(portal, made)
    assert {(d.node, d.property, d.kind) for d in checks["M-KVR-00001"].real_differences} == {
        ("distribution api", "dcat:accessService", "lost"), ("service dataservice", "dcat:accessService", "lost")}
    assert ("service x", "dcat:accessService", "added") in {
        (d.node, d.property, d.kind) for d in checks["M-KVR-00002"].real_differences}


def test_a_dataset_read_alone_is_not_asked_for_its_catalogs_services() -> None:
    made = export([api(1)])
    portal = as_the_portal_writes(made.graph)
    catalog = next(iter(portal.subjects(RDF.type, DCAT.Catalog)))
    portal.remove((catalog, None, None))  # as /dataset/<name>.ttl: no catalog node
    assert checked(portal, made)["M-KVR-00001"].ok


def test_the_part_of_a_catalog_keeps_only_our_services() -> None:
    made = export([api(1), api(2)])
    portal = as_the_portal_writes(made.graph)
    ours, theirs = (URIRef(f"{BASE}/dataset/M-KVR-0000{n}") for n in (1, 2))
    part = part_of(portal, [ours])
    assert (URIRef(f"{ours}/dataservice"), DCAT.endpointURL, None) in part
    assert (None, DCAT.service, URIRef(f"{theirs}/dataservice")) not in part
    assert (URIRef(f"{theirs}/dataservice"), None, None) not in part
    contact = portal.value(URIRef(f"{ours}/dataservice"), DCAT.contactPoint)
    assert set(portal.triples((contact, None, None))) <= set(part)
