"""DCAT-AP.de export: a realistic inventory of the three cities, validated with the official shapes.

The shapes, code lists and ontologies are GovData's (``inventur shapes fetch``, or the folder in
``INVENTUR_TEST_SHAPES_DIR``); without them these tests skip saying how to get them, and CI
(``INVENTUR_REQUIRE_SHAPES=1``) fails instead.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from rdflib import Graph, Namespace, URIRef
from rdflib import Literal as RdfLiteral
from rdflib.compare import isomorphic

from catalog.dcat.export import (
    DCATAP,
    DCATDE,
    SKIP_DUPLICATE,
    SKIP_NO_IDENTIFIER,
    SKIP_NO_LICENSE,
    SKIP_NO_URL,
    SKIP_OTHER_CITY,
    SKIP_PERSONAL_DATA,
    SKIP_UNKNOWN_CITY,
    VCARD,
    build_catalog,
    build_catalog_graph,
    catalog_uri,
    dataset_uri,
    serialize,
)
from catalog.dcat.shacl import ShaclReport, validate
from catalog.fields import RECORD_KEYS
from catalog.organisation import Organisation, parse_organisation
from catalog.vocabulary import vocabularies

# Open namespaces: pytest's collection probes module attributes, which rdflib's closed namespaces warn about.
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
RDF = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")

HERE = Path(__file__).resolve().parent
MUNICIPALITY_KEYS = HERE / "data" / "dcat" / "municipality-keys.ttl"
BASE = "https://opendata.example.org"
PROFILES = ("shapes-2.0", "shapes-3.0")

EU = "http://publications.europa.eu/resource/authority/"
THEME = EU + "data-theme/"
FREQ = EU + "frequency/"
FILE = EU + "file-type/"
ACCESS = EU + "access-right/"
LICENSE = "http://dcat-ap.de/def/licenses/"
HVD = "http://data.europa.eu/bna/"
HVD_LEGISLATION = URIRef("http://data.europa.eu/eli/reg_impl/2023/138/oj")
GEO = "http://dcat-ap.de/def/politicalGeocoding/municipalityKey/"
CITY_GEO = {"muenchen": GEO + "09162000", "augsburg": GEO + "09761000", "nuernberg": GEO + "09564000"}
CITY_NAME = {"muenchen": "Landeshauptstadt München", "augsburg": "Stadt Augsburg", "nuernberg": "Stadt Nürnberg"}
PREFIX = {"muenchen": "M", "augsburg": "A", "nuernberg": "N"}

# The warnings that remain for a correct export, by profile (see the report of test_inventory_validates):
# 3.0 deprecates dcatde:politicalGeocodingURI, which 2.0 recommends and Konvention K8 demands for
# municipal data; 2.0 asks a dct:Location for a bbox/centroid/geometry (our locations are geocoding IRIs);
# without the municipality-key code list, 2.0 cannot find our geocoding IRIs in any list.
EXPECTED_WARNINGS = {
    "shapes-2.0": {"dcatde:Location_locations_v_Min"},
    "shapes-3.0": {"dcatde:politicalGeocodingURI: Deprecated: dcatde:politicalGeocodingURI soll nicht mehr verwendet werden."},
}
MISSING_KEY_LIST_WARNING = "dcatde:Dataset_dcatde_politicalGeocodingURI_w_List"


# ----------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def validation_dir(dcat_material: Path) -> Path:
    """The official material: ``shapes-2.0``, ``shapes-3.0``, ``vocab`` and ``ontologies``."""
    return dcat_material


@pytest.fixture(scope="session")
def organisation() -> Organisation:
    """The shipped cities with a few departments of each (independent of the full departments list)."""
    cities = yaml.safe_load(resources.files("catalog").joinpath("data/cities.yaml").read_text(encoding="utf-8"))
    departments = {
        "departments": [
            {"city": "muenchen", "code": "MOR", "name": "Mobilitätsreferat", "email": "mobilitaet@example.org"},
            {"city": "muenchen", "code": "RKU", "name": "Referat für Klima- und Umweltschutz"},
            {"city": "muenchen", "code": "KVR", "name": "Kreisverwaltungsreferat"},
            {"city": "augsburg", "code": "STAT", "name": "Amt für Statistik und Stadtforschung"},
            {"city": "augsburg", "code": "GEO", "name": "Geodatenamt", "email": "geodaten@example.org"},
            {"city": "nuernberg", "code": "GEO", "name": "Amt für Geoinformation und Bodenordnung"},
            {"city": "nuernberg", "code": "UWA", "name": "Umweltamt"},
        ]
    }
    return parse_organisation(cities, departments)


# ----------------------------------------------------------------------------------------------- inventory

# city, department, title, description, themes, keywords, formats, frequency, licence, start, end, hvd
_HOLDINGS: list[tuple[Any, ...]] = [
    ("muenchen", "MOR", "Radverkehrszählstellen", "Stündliche Zählwerte der automatischen Raddauerzählstellen im Stadtgebiet.",
     ["TRAN"], ["Radverkehr", "Zählstellen"], ["CSV", "JSON"], "CONT", "dl-by-de/2.0", "2008-01-01", None, "c_b79e35eb"),
    ("muenchen", "MOR", "Parkhausbelegung", "Aktuelle Belegung der öffentlichen Parkhäuser und Park-and-Ride-Anlagen.",
     ["TRAN"], ["Parken", "Verkehr"], ["JSON"], "DAILY", "dl-zero-de/2.0", None, None, "c_b79e35eb"),
    ("muenchen", "RKU", "Luftmessstationen", "Messwerte für Stickstoffdioxid und Feinstaub der städtischen Messstationen.",
     ["ENVI", "HEAL"], ["Luftqualität", "Stickstoffdioxid"], ["CSV"], "WEEKLY", "cc-by/4.0", "2015-01-01", "2024-12-31", "c_dd313021"),
    ("muenchen", "RKU", "Solarpotenzialkataster", "Eignung der Dachflächen für Photovoltaik und Solarthermie.",
     ["ENER"], ["Solar", "Photovoltaik"], ["WMS_SRVC", "WFS_SRVC"], "IRREG", "dl-by-de/2.0", None, None, "c_ac64a52d"),
    ("muenchen", "KVR", "Gewerbeanmeldungen", "Monatliche Zahl der Gewerbean-, -um- und -abmeldungen nach Branchen.",
     ["ECON"], ["Gewerbe", "Wirtschaft"], ["XLSX", "CSV"], "MONTHLY", "dl-zero-de/2.0", "2010-01-01", "2024-06-30", "c_a9135398"),
    ("muenchen", "KVR", "Verkehrsunfälle", "Polizeilich erfasste Verkehrsunfälle nach Unfallkategorie und Stadtbezirk.",
     ["JUST", "TRAN"], ["Unfälle", "Sicherheit"], ["CSV"], "ANNUAL", "officialWork", "2000-01-01", "2023-12-31", None),
    ("muenchen", "MOR", "Baustellen im Straßenraum", "Geplante und laufende Baustellen mit Verkehrsbeeinträchtigung.",
     ["TRAN", "REGI"], ["Baustellen"], ["GEOJSON", "WFS_SRVC"], "DAILY", "dl-by-de/2.0", None, None, None),
    ("muenchen", "RKU", "Hitzeaktionsplan", "Bericht zum Hitzeaktionsplan der Stadt mit Maßnahmen und Karten.",
     ["HEAL", "ENVI"], ["Hitze", "Klimaanpassung"], ["PDF"], "NEVER", "cc-zero", "2023-01-01", None, None),
    ("augsburg", "STAT", "Bevölkerung nach Stadtbezirken", "Einwohnerinnen und Einwohner mit Hauptwohnsitz nach Alter und Geschlecht.",
     ["SOCI"], ["Bevölkerung", "Statistik"], ["CSV", "XLSX"], "ANNUAL_2", "dl-by-de/2.0", "2005-12-31", "2024-12-31", "c_e1da4e07"),
    ("augsburg", "STAT", "Wahlergebnisse Stadtratswahl", "Ergebnisse der Stadtratswahlen nach Wahlbezirken.",
     ["GOVE"], ["Wahlen", "Stadtrat"], ["CSV", "PDF"], "IRREG", "dl-zero-de/2.0", "2014-03-16", "2020-03-15", None),
    ("augsburg", "STAT", "Schulen und Schülerzahlen", "Allgemeinbildende Schulen mit Schülerzahlen je Schuljahr.",
     ["EDUC"], ["Schulen", "Bildung"], ["XLSX"], "ANNUAL", "cc-by/4.0", "2012-09-01", None, "c_e1da4e07"),
    ("augsburg", "GEO", "Digitale Stadtgrundkarte", "Stadtgrundkarte als Kartendienst und zum Herunterladen.",
     ["REGI"], ["Stadtkarte", "Geobasisdaten"], ["WMS_SRVC", "SHP", "GPKG"], "QUARTERLY", "dl-by-de/2.0", None, None, "c_ac64a52d"),
    ("augsburg", "GEO", "Baumkataster", "Straßenbäume mit Art, Pflanzjahr und Standort.",
     ["ENVI", "AGRI"], ["Bäume", "Grünflächen"], ["GEOJSON", "SHP", "WFS_SRVC"], "MONTHLY", "cc-zero", None, None, None),
    ("augsburg", "STAT", "Partnerstädte", "Die Partnerstädte Augsburgs mit Jahr der Partnerschaft.",
     ["INTR"], ["Städtepartnerschaft"], ["CSV"], "UNKNOWN", "officialWork", None, None, None),
    ("augsburg", "GEO", "Wetterstation Rathausplatz", "Temperatur, Niederschlag und Wind der städtischen Wetterstation.",
     ["ENVI", "TECH"], ["Wetter", "Klima"], ["CSV", "JSON"], "CONT", "cc-by/4.0", "2019-05-01", None, "c_164e0bf5"),
    ("augsburg", "STAT", "Interne Kostenrechnung", "Kostenstellenrechnung der Ämter (nicht öffentlich zugänglich).",
     ["ECON"], ["Kosten"], ["XLSX"], "ANNUAL", "other-closed", "2022-01-01", "2022-12-31", None),
    ("nuernberg", "GEO", "Bebauungspläne", "Rechtskräftige Bebauungspläne als Kartendienst und Plandokumente.",
     ["REGI", "GOVE"], ["Bebauungsplan", "Bauleitplanung"], ["WMS_SRVC", "PDF"], "IRREG", "dl-by-de/2.0", None, None, "c_ac64a52d"),
    ("nuernberg", "GEO", "Adressen und Hauskoordinaten", "Amtliche Adressen mit Hauskoordinaten.",
     ["REGI"], ["Adressen"], ["CSV", "SHP", "GEOJSON"], "MONTHLY", "dl-zero-de/2.0", None, None, "c_ac64a52d"),
    ("nuernberg", "UWA", "Lärmkarten", "Strategische Lärmkarten für Straßen-, Schienen- und Fluglärm.",
     ["ENVI", "TRAN"], ["Lärm", "Umgebungslärm"], ["WMS_SRVC", "WFS_SRVC", "PDF"], "QUARTERLY", "cc-by/4.0", "2022-01-01", "2022-12-31", "c_dd313021"),
    ("nuernberg", "UWA", "Energieverbrauch städtischer Gebäude", "Strom- und Wärmeverbrauch der städtischen Liegenschaften.",
     ["ENER", "GOVE"], ["Energie", "Gebäude"], ["XLSX", "CSV"], "ANNUAL", "dl-by-de/2.0", "2016-01-01", "2023-12-31", None),
    ("nuernberg", "UWA", "Gewässergüte der Pegnitz", "Messwerte der Gewässergüte an den Messstellen der Pegnitz.",
     ["ENVI", "TECH"], ["Gewässer", "Wasserqualität"], ["CSV"], "WEEKLY", "dl-zero-de/2.0", "2010-01-01", None, "c_dd313021"),
    ("nuernberg", "GEO", "Sportstätten", "Öffentliche Sportplätze, Hallen und Bäder mit Lage und Ausstattung.",
     ["EDUC", "SOCI"], ["Sport", "Freizeit"], ["GEOJSON", "KML"], "IRREG", "cc-zero", None, None, None),
]


def make_entry(number: int, row: tuple[Any, ...], **overrides: Any) -> dict[str, Any]:
    """One record of ``inventur export --format jsonl`` (exactly its keys) plus issued/modified/landing_page."""
    city, dept, title, description, themes, keywords, formats, frequency, licence, start, end, hvd = row
    concept = vocabularies()["license"][LICENSE + licence]
    identifier = f"{PREFIX[city]}-{number:05d}"
    entry: dict[str, Any] = {
        "identifier": identifier,
        "city": city,
        "department": dept,
        "title": title,
        "description": description,
        "theme": [THEME + t for t in themes],
        "keywords": keywords,
        "data_kind": "statistics",
        "source_system": "Fachverfahren",
        "contact_name": "Sachgebiet Open Data",
        "contact_email": f"opendata.{dept.lower()}@example.org",
        "personal_data": "no",
        "third_party_rights": "no",
        "access_rights": ACCESS + ("NON_PUBLIC" if licence == "other-closed" else "PUBLIC"),
        "restriction_reason": "interne Steuerungsdaten" if licence == "other-closed" else None,
        "license": LICENSE + licence,
        "attribution": f"{CITY_NAME[city]}, {dept}" if concept.attribution else None,
        "formats": [FILE + f for f in formats],
        "access_url": f"https://daten.example.org/{city}/{identifier.lower()}",
        "frequency": FREQ + frequency,
        "temporal_start": start,
        "temporal_end": end,
        "spatial": CITY_GEO[city] if number % 5 else None,
        "last_updated": "2024-11-15",
        "hvd_category": HVD + hvd if hvd else None,
        "publish_proposal": "yes",
        "remarks": None,
        "status": "approved",
        "quality_score": 85,
        "download_url": None,
        "api_url": None,
        "api_type": None,
        "api_documentation": None,
        "legal_basis": None,
        "reuse_conditions": None,
        "protected_listing": None,
        "issued": "2024-01-15T09:30:00+01:00",
        "modified": "2024-11-20T14:05:00+01:00",
        "landing_page": f"{BASE}/dataset/{identifier.lower()}",
    }
    entry.update(overrides)
    return entry


def inventory(size: int | None = None) -> list[dict[str, Any]]:
    """The holdings above as entries; with ``size``, repeated (new identifiers) up to that many entries."""
    count = size or len(_HOLDINGS)
    entries = [make_entry(n + 1, _HOLDINGS[n % len(_HOLDINGS)]) for n in range(count)]
    # a file download: the access URL ends in the format's extension
    entries[0]["access_url"] = "https://daten.example.org/muenchen/radverkehr.csv"
    return entries


def export(entries: list[dict[str, Any]], organisation: Organisation, **kwargs: Any) -> Graph:
    kwargs.setdefault("publisher_name", "Open-Data-Kooperation der Städte")
    return build_catalog_graph(
        entries,
        organisation,
        base_uri=BASE,
        catalog_title="Offene Daten der Städte",
        catalog_description="Datenbestände der Städte München, Augsburg und Nürnberg.",
        **kwargs,
    )


@pytest.fixture(scope="module")
def entries() -> list[dict[str, Any]]:
    return inventory()


@pytest.fixture(scope="module")
def graph(entries: list[dict[str, Any]], organisation: Organisation) -> Graph:
    return export(entries, organisation)


@pytest.fixture(scope="module")
def reports(graph: Graph, validation_dir: Path) -> Iterator[dict[str, ShaclReport]]:
    yield {profile: validate(graph, validation_dir / profile) for profile in PROFILES}


def _dataset(identifier: str) -> URIRef:
    return dataset_uri(BASE, identifier)


# ----------------------------------------------------------------------------------------------- the fixture is what it claims


def test_inventory_covers_the_survey_vocabularies(entries: list[dict[str, Any]]) -> None:
    vocab = vocabularies()
    assert all(set(e) == set(RECORD_KEYS) | {"issued", "modified", "landing_page"} for e in entries)
    used = {key: {v for e in entries for v in (e[key] if isinstance(e[key], list) else [e[key]]) if v} for key in entries[0]}
    assert {c.uri for c in vocab["theme"].offered()} <= used["theme"]
    assert {c.uri for c in vocab["license"].offered()} <= used["license"]
    assert {c.uri for c in vocab["frequency"].offered()} <= used["frequency"]
    assert {c.uri for c in vocab["hvd_category"].offered()} <= used["hvd_category"]
    assert {FILE + f for f in ("WMS_SRVC", "WFS_SRVC", "GEOJSON", "SHP", "PDF")} <= used["formats"]
    assert {"muenchen", "augsburg", "nuernberg"} <= used["city"]
    assert any(e["temporal_start"] and e["temporal_end"] for e in entries)
    assert any(e["temporal_start"] and not e["temporal_end"] for e in entries)


# ----------------------------------------------------------------------------------------------- validation


@pytest.mark.parametrize("profile", PROFILES)
def test_inventory_validates_without_violations(profile: str, reports: dict[str, ShaclReport]) -> None:
    report = reports[profile]
    print("\n" + report.summary())
    assert report.violations == 0, report.summary()
    assert report.infos == 0, report.summary()
    warning_rules = {r.rule for r in report.of("Warning")}
    assert warning_rules <= EXPECTED_WARNINGS[profile] | {MISSING_KEY_LIST_WARNING}, report.summary()


def test_with_the_municipality_key_list_only_the_known_warnings_remain(graph: Graph, validation_dir: Path) -> None:
    for profile in PROFILES:
        report = validate(graph, validation_dir / profile, extra_vocab=[MUNICIPALITY_KEYS])
        assert report.violations == 0, report.summary()
        assert {r.rule for r in report.of("Warning")} == EXPECTED_WARNINGS[profile], report.summary()
    # one Location warning per distinct geocoding IRI in 2.0, one deprecation per dataset in 3.0
    report_2 = validate(graph, validation_dir / "shapes-2.0", extra_vocab=[MUNICIPALITY_KEYS])
    assert report_2.warnings == 3


def test_minimal_entry_is_valid(organisation: Organisation, validation_dir: Path) -> None:
    """Only what an entry must have: missing optional values leave properties out, never break a shape."""
    bare = make_entry(
        900, _HOLDINGS[0], keywords=[], formats=[], frequency=None, temporal_start=None, temporal_end=None,
        spatial=None, last_updated=None, hvd_category=None, contact_name=None, contact_email=None,
        department="XYZ", issued=None, modified=None, landing_page=None, access_rights=None, attribution=None,
    )
    graph = export([bare], organisation, publisher_name=None)
    ds = _dataset(bare["identifier"])
    dist = next(graph.objects(ds, DCAT.distribution))
    assert graph.value(dist, DCTERMS["format"]) is None
    assert graph.value(ds, DCTERMS.temporal) is None
    assert graph.value(ds, DCTERMS.spatial) is None
    # no spatial reference: the city's municipality key is still the political geocoding (K8)
    assert graph.value(ds, DCATDE.politicalGeocodingURI) == URIRef(CITY_GEO["muenchen"])
    contact = graph.value(ds, DCAT.contactPoint)
    assert graph.value(contact, VCARD.hasURL) == URIRef("https://stadt.muenchen.de")
    for profile in PROFILES:
        report = validate(graph, validation_dir / profile, extra_vocab=[MUNICIPALITY_KEYS])
        assert report.violations == 0, report.summary()


def test_missing_title_is_a_violation_in_both_profiles(graph: Graph, validation_dir: Path) -> None:
    broken = Graph()
    for triple in graph:
        broken.add(triple)
    ds = _dataset("M-00001")
    broken.remove((ds, DCTERMS.title, None))
    for profile in PROFILES:
        report = validate(broken, validation_dir / profile)
        hits = [r for r in report.of("Violation") if r.path == "dct:title"]
        assert [r.focus_node for r in hits] == [str(ds)], report.summary()
        assert hits[0].constraint == "sh:MinCountConstraintComponent"
    assert hits[0].rule.startswith("semic3:dcat:DatasetShape/")


def test_two_contributor_ids_break_konvention_12(graph: Graph, validation_dir: Path) -> None:
    broken = Graph()
    for triple in graph:
        broken.add(triple)
    ds = _dataset("A-00009")
    broken.add((ds, DCATDE.contributorID, URIRef("http://dcat-ap.de/def/contributors/stadtNuernberg")))
    report = validate(broken, validation_dir / "shapes-2.0")
    assert [(r.rule, r.focus_node) for r in report.of("Violation")] == [
        ("dcatde:Konv12_13_contributorID_v_List", str(ds))
    ]
    grouped = report.by_rule()
    assert grouped[0].severity == "Violation" and grouped[0].count == 1
    assert "K12&13" in report.summary()


def test_a_licence_outside_the_list_breaks_konvention_31(graph: Graph, validation_dir: Path) -> None:
    broken = Graph()
    for triple in graph:
        broken.add(triple)
    dist = URIRef(f"{_dataset('M-00003')}/distribution/CSV")
    broken.remove((dist, DCTERMS.license, None))
    broken.add((dist, DCTERMS.license, URIRef(LICENSE + "dl-by-de/2.0/")))  # the trailing-slash trap
    report = validate(broken, validation_dir / "shapes-2.0")
    assert "dcatde:Konv31_dct_license_v_List" in {r.rule for r in report.of("Violation")}


def test_validate_reads_a_file(graph: Graph, validation_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "catalog.ttl"
    path.write_bytes(serialize(graph, "turtle"))
    report = validate(path, validation_dir / "shapes-3.0")
    assert report.violations == 0
    assert report.data_triples == len(graph)
    assert report.profile == "shapes-3.0"


def test_validate_needs_its_folders(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        validate(Graph(), tmp_path / "shapes-2.0")


def test_validate_does_not_change_the_data(graph: Graph, validation_dir: Path) -> None:
    before = len(graph)
    validate(graph, validation_dir / "shapes-2.0")
    assert len(graph) == before


@pytest.mark.slow
def test_validation_time_of_200_datasets(organisation: Organisation, validation_dir: Path) -> None:
    graph = export(inventory(200), organisation)
    assert len(list(graph.subjects(RDF.type, DCAT.Dataset))) == 200
    for profile in PROFILES:
        validate(Graph(), validation_dir / profile)  # parse and cache shapes, code lists, ontologies
        started = time.perf_counter()
        report = validate(graph, validation_dir / profile)
        seconds = time.perf_counter() - started
        print(f"\n200 datasets, {len(graph)} triples, {profile}: {seconds:.2f} s, {report.counts}")
        assert report.violations == 0, report.summary()
        assert seconds < 60


# ----------------------------------------------------------------------------------------------- serialisation


@pytest.mark.parametrize("fmt,rdflib_format", [("turtle", "turtle"), ("xml", "xml"), ("json-ld", "json-ld")])
def test_serialisations_round_trip(graph: Graph, fmt: str, rdflib_format: str) -> None:
    data = serialize(graph, fmt)  # type: ignore[arg-type]
    assert isinstance(data, bytes)
    parsed = Graph().parse(data=data, format=rdflib_format)
    assert len(parsed) == len(graph)
    assert isomorphic(parsed, graph)


def test_serialize_rejects_unknown_formats(graph: Graph) -> None:
    with pytest.raises(ValueError, match="unknown RDF format"):
        serialize(graph, "n3")  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------------------- the mapping


def test_catalog_has_what_both_profiles_ask(graph: Graph, entries: list[dict[str, Any]]) -> None:
    catalog = catalog_uri(BASE)
    assert (catalog, RDF.type, DCAT.Catalog) in graph
    assert graph.value(catalog, DCTERMS.title) == RdfLiteral("Offene Daten der Städte", lang="de")
    assert graph.value(catalog, DCTERMS.description) is not None
    assert graph.value(catalog, DCTERMS.language) == URIRef(EU + "language/DEU")
    assert graph.value(catalog, FOAF.homepage) == URIRef(BASE + "/")
    publisher = graph.value(catalog, DCTERMS.publisher)
    assert (publisher, RDF.type, FOAF.Agent) in graph
    assert len(set(graph.objects(catalog, DCAT.dataset))) == len(entries)


def test_dataset_mapping(graph: Graph, entries: list[dict[str, Any]]) -> None:
    entry = entries[2]  # Luftmessstationen, München, CC BY 4.0, 2015-2024, HVD earth observation
    ds = _dataset(entry["identifier"])
    assert graph.value(ds, DCTERMS.identifier) == RdfLiteral(entry["identifier"])
    assert graph.value(ds, DCTERMS.title) == RdfLiteral(entry["title"], lang="de")
    assert graph.value(ds, DCTERMS.description) == RdfLiteral(entry["description"], lang="de")
    assert set(graph.objects(ds, DCAT.theme)) == {URIRef(THEME + "ENVI"), URIRef(THEME + "HEAL")}
    assert set(graph.objects(ds, DCAT.keyword)) == {RdfLiteral(k, lang="de") for k in entry["keywords"]}
    assert graph.value(ds, DCTERMS.accrualPeriodicity) == URIRef(FREQ + "WEEKLY")
    assert graph.value(ds, DCTERMS.accessRights) == URIRef(ACCESS + "PUBLIC")
    assert graph.value(ds, DCAT.landingPage) == URIRef(entry["landing_page"])
    assert list(graph.objects(ds, DCATDE.contributorID)) == [
        URIRef("http://dcat-ap.de/def/contributors/landeshauptstadtMuenchen")
    ]
    geocoding = URIRef(CITY_GEO["muenchen"])
    assert graph.value(ds, DCATDE.politicalGeocodingURI) == geocoding
    assert graph.value(ds, DCTERMS.spatial) == geocoding
    assert graph.value(ds, DCATDE.politicalGeocodingLevelURI) == URIRef(
        "http://dcat-ap.de/def/politicalGeocoding/Level/municipality"
    )
    publisher = graph.value(ds, DCTERMS.publisher)
    assert graph.value(publisher, FOAF.name) == RdfLiteral("Landeshauptstadt München", lang="de")
    assert graph.value(publisher, DCTERMS.type) == URIRef("http://purl.org/adms/publishertype/LocalAuthority")
    assert set(graph.objects(publisher, RDF.type)) == {FOAF.Agent}  # as ckanext-dcat writes a publisher
    assert graph.value(ds, DCATAP.hvdCategory) == URIRef(HVD + "c_dd313021")
    assert graph.value(ds, DCATAP.applicableLegislation) == HVD_LEGISLATION


def test_every_dataset_has_exactly_one_contributor_id(graph: Graph) -> None:
    for ds in graph.subjects(RDF.type, DCAT.Dataset):
        assert len(list(graph.objects(ds, DCATDE.contributorID))) == 1


def test_contact_point_has_a_mailto_iri(graph: Graph, entries: list[dict[str, Any]]) -> None:
    for entry in entries:
        contact = graph.value(_dataset(entry["identifier"]), DCAT.contactPoint)
        assert (contact, RDF.type, VCARD.Organization) in graph
        assert graph.value(contact, VCARD.fn) == RdfLiteral("Sachgebiet Open Data", lang="de")
        email = graph.value(contact, VCARD.hasEmail)
        assert isinstance(email, URIRef)
        assert email == URIRef("mailto:" + entry["contact_email"])


def test_contact_falls_back_to_the_department(organisation: Organisation) -> None:
    entry = make_entry(1, _HOLDINGS[0], contact_name=None, contact_email="  ")
    graph = export([entry], organisation)
    contact = graph.value(_dataset(entry["identifier"]), DCAT.contactPoint)
    assert graph.value(contact, VCARD.fn) == RdfLiteral("Mobilitätsreferat", lang="de")
    assert graph.value(contact, VCARD.hasEmail) == URIRef("mailto:mobilitaet@example.org")


def test_mailto_prefix_is_not_doubled(organisation: Organisation) -> None:
    entry = make_entry(1, _HOLDINGS[0], contact_email="mailto:verkehr@example.org")
    graph = export([entry], organisation)
    contact = graph.value(_dataset(entry["identifier"]), DCAT.contactPoint)
    assert graph.value(contact, VCARD.hasEmail) == URIRef("mailto:verkehr@example.org")


def test_one_distribution_per_format_with_licence(graph: Graph, entries: list[dict[str, Any]]) -> None:
    for entry in entries:
        ds = _dataset(entry["identifier"])
        distributions = set(graph.objects(ds, DCAT.distribution))
        assert {graph.value(d, DCTERMS["format"]) for d in distributions} == {URIRef(f) for f in entry["formats"]}
        for dist in distributions:
            assert graph.value(dist, DCTERMS.license) == URIRef(entry["license"])
            assert graph.value(dist, DCAT.accessURL) == URIRef(entry["access_url"])
            assert str(graph.value(dist, DCTERMS.title)).startswith(entry["title"] + " (")
            assert graph.value(dist, DCTERMS.modified) == RdfLiteral("2024-11-15", datatype=XSD.date)
            if entry["hvd_category"]:
                assert graph.value(dist, DCATAP.applicableLegislation) == HVD_LEGISLATION


def test_service_distributions_and_downloads(graph: Graph, entries: list[dict[str, Any]]) -> None:
    geo = _dataset(entries[3]["identifier"])  # Solarpotenzialkataster: WMS + WFS
    wms = URIRef(f"{geo}/distribution/WMS_SRVC")
    assert graph.value(wms, DCTERMS.title) == RdfLiteral("Solarpotenzialkataster (WMS-Dienst)", lang="de")
    assert graph.value(wms, DCAT.mediaType) is None
    assert graph.value(wms, DCAT.downloadURL) is None
    csv = URIRef(f"{_dataset(entries[0]['identifier'])}/distribution/CSV")
    assert graph.value(csv, DCAT.downloadURL) == URIRef("https://daten.example.org/muenchen/radverkehr.csv")
    assert graph.value(csv, DCAT.mediaType) == URIRef("https://www.iana.org/assignments/media-types/text/csv")
    json = URIRef(f"{_dataset(entries[0]['identifier'])}/distribution/JSON")
    assert graph.value(json, DCAT.downloadURL) is None  # the .csv URL is no JSON download


def test_attribution_text_where_the_licence_demands_it(graph: Graph, entries: list[dict[str, Any]]) -> None:
    by_licence: dict[str, set[bool]] = {}
    for entry in entries:
        for dist in graph.objects(_dataset(entry["identifier"]), DCAT.distribution):
            text = graph.value(dist, DCATDE.licenseAttributionByText)
            by_licence.setdefault(entry["license"].rsplit("licenses/", 1)[1], set()).add(text is not None)
            if text is not None:
                assert text == RdfLiteral(entry["attribution"], lang="de")
    assert by_licence == {
        "dl-by-de/2.0": {True},
        "cc-by/4.0": {True},
        "dl-zero-de/2.0": {False},
        "cc-zero": {False},
        "officialWork": {False},
        "other-closed": {False},
    }


def test_licence_iris_have_no_trailing_slash(organisation: Organisation) -> None:
    spellings = [
        "http://dcat-ap.de/def/licenses/dl-by-de/2.0/",
        "https://www.dcat-ap.de/def/licenses/dl-by-de/2.0",
        "http://dcat-ap.de/def/licenses/cc-zero/",
        "https://dcat-ap.de/def/licenses/geonutz/20130319/",
    ]
    entries = [make_entry(n + 1, _HOLDINGS[1], license=s) for n, s in enumerate(spellings)]
    graph = export(entries, organisation)
    licences = {str(o) for o in graph.objects(None, DCTERMS.license)}
    assert licences == {
        LICENSE + "dl-by-de/2.0",
        LICENSE + "cc-zero",
        LICENSE + "geonutz/20130319",
    }
    assert not any(licence.endswith("/") for licence in licences)


def test_dates_are_typed(graph: Graph, entries: list[dict[str, Any]]) -> None:
    entry = entries[2]
    ds = _dataset(entry["identifier"])
    period = graph.value(ds, DCTERMS.temporal)
    assert (period, RDF.type, DCTERMS.PeriodOfTime) in graph
    assert graph.value(period, DCAT.startDate) == RdfLiteral("2015-01-01", datatype=XSD.date)
    assert graph.value(period, DCAT.endDate) == RdfLiteral("2024-12-31", datatype=XSD.date)
    issued = graph.value(ds, DCTERMS.issued)
    modified = graph.value(ds, DCTERMS.modified)
    assert isinstance(issued, RdfLiteral) and issued.datatype == XSD.dateTime
    assert isinstance(modified, RdfLiteral) and modified.datatype == XSD.dateTime
    assert issued == RdfLiteral("2024-01-15T09:30:00+01:00", datatype=XSD.dateTime)
    open_ended = graph.value(_dataset(entries[0]["identifier"]), DCTERMS.temporal)
    assert graph.value(open_ended, DCAT.endDate) is None
    assert graph.value(open_ended, DCAT.startDate) == RdfLiteral("2008-01-01", datatype=XSD.date)
    for literal in graph.objects(None, DCTERMS.modified):
        assert isinstance(literal, RdfLiteral) and literal.datatype in (XSD.date, XSD.dateTime)


def test_modified_falls_back_to_last_updated_as_a_date(organisation: Organisation) -> None:
    entry = make_entry(1, _HOLDINGS[0], modified=None, issued="2024-01-15")
    graph = export([entry], organisation)
    ds = _dataset(entry["identifier"])
    assert graph.value(ds, DCTERMS.modified) == RdfLiteral("2024-11-15", datatype=XSD.date)
    assert graph.value(ds, DCTERMS.issued) == RdfLiteral("2024-01-15", datatype=XSD.date)


def test_uris_are_stable_and_derived_from_the_identifier(organisation: Organisation) -> None:
    entries = inventory()
    first = export(entries, organisation)
    second = export(list(reversed(entries)), organisation)
    assert isomorphic(first, second)
    assert serialize(first) == serialize(second)
    assert dataset_uri(BASE + "/", "M-00001") == URIRef(f"{BASE}/dataset/M-00001")
    assert dataset_uri(BASE, "A 1/2") == URIRef(f"{BASE}/dataset/A%201%2F2")


def test_entries_that_cannot_be_datasets_are_skipped_with_a_reason(organisation: Organisation) -> None:
    row = _HOLDINGS[4]
    entries = [
        make_entry(1, row),
        make_entry(2, row, personal_data="yes"),
        make_entry(3, row, access_url=None, landing_page=None),
        make_entry(4, row, license=None),
        make_entry(1, row, title="Doppelt"),
        make_entry(5, row, city="berlin"),
        make_entry(6, row, access_url=None),  # landing page only: it becomes the access URL
        make_entry(7, row, identifier=None),
    ]
    result = build_catalog(
        entries, organisation, base_uri=BASE, catalog_title="T", catalog_description="D", publisher_name="P"
    )
    assert [(s.identifier, s.reason) for s in result.skipped] == [
        ("M-00002", SKIP_PERSONAL_DATA),
        ("M-00003", SKIP_NO_URL),
        ("M-00004", SKIP_NO_LICENSE),
        ("M-00001", SKIP_DUPLICATE),
        ("M-00005", SKIP_UNKNOWN_CITY),
        (None, SKIP_NO_IDENTIFIER),
    ]
    assert result.datasets == [_dataset("M-00001"), _dataset("M-00006")]
    landing = URIRef(entries[6]["landing_page"])
    for dist in result.graph.objects(_dataset("M-00006"), DCAT.distribution):
        assert result.graph.value(dist, DCAT.accessURL) == landing
    assert result.graph.value(_dataset("M-00001"), DCTERMS.title) == RdfLiteral(row[2], lang="de")


def test_city_catalog(organisation: Organisation, entries: list[dict[str, Any]]) -> None:
    result = build_catalog(
        entries, organisation, base_uri=BASE, catalog_title="Augsburg", catalog_description="D", city="augsburg"
    )
    augsburg = [e for e in entries if e["city"] == "augsburg"]
    assert len(result.datasets) == len(augsburg)
    assert {s.reason for s in result.skipped} == {SKIP_OTHER_CITY}
    assert result.catalog == URIRef(f"{BASE}/catalog/augsburg")
    publisher = result.graph.value(result.catalog, DCTERMS.publisher)
    assert result.graph.value(publisher, FOAF.name) == RdfLiteral("Stadt Augsburg", lang="de")


def test_a_catalog_of_several_cities_needs_a_publisher(
    organisation: Organisation, entries: list[dict[str, Any]]
) -> None:
    with pytest.raises(ValueError, match="publisher_name"):
        export(entries, organisation, publisher_name=None)


def test_values_that_break_the_contract_raise(organisation: Organisation) -> None:
    with pytest.raises(ValueError, match=r"entry M-00001: theme is not an absolute URI: 'Umwelt'"):
        export([make_entry(1, _HOLDINGS[0], theme=["Umwelt"])], organisation)
    with pytest.raises(ValueError, match="entry M-00001: temporal_start is not an ISO date"):
        export([make_entry(1, _HOLDINGS[0], temporal_start="01.03.2021")], organisation)
    with pytest.raises(ValueError, match="base_uri"):
        build_catalog_graph([], organisation, base_uri="opendata", catalog_title="T", catalog_description="D")
