"""What GovData harvests from the portal is what we publish: the local portal with ckanext-dcat 2.3.0 and
ckanext-dcatde 6.10.0 (profile ``dcatap_de``), a campaign covering every field kind published to it, and the
portal's own DCAT (every page of ``/catalog.ttl``, read as a harvester does) judged by the official
DCAT-AP.de 2.0 and 3.0 shapes and compared, dataset by dataset and distribution by distribution, with
``inventur dcat export`` of the same entries; after the first publication, after an update round, after a
withdrawal and restore, and with a package edited by hand (``inventur publish --verify`` must say so).

Needs the portal with ckanext-dcatde (``INVENTUR_CKAN_DCATDE``, a wheel file or pip requirement) and the
shapes (``INVENTUR_SHAPES_DIR``); without them the tests skip, saying how to get them, or fail in CI
(``INVENTUR_REQUIRE_PORTAL=1``).
"""

from __future__ import annotations

import html
import json
import os
import re
import secrets
import subprocess
import sys
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
from rdflib import BNode, Graph, Namespace, URIRef
from sqlalchemy import select

from catalog.dcat.compare import check_datasets, compare_catalog, datasets_by_identifier
from catalog.dcat.shacl import ShaclResult, validate, validate_hvd
from catalog.fields import BY_KEY
from catalog.inventory import Source, save_entry
from catalog.models import Entry, FindingRow
from catalog.normalise import normalise_value
from catalog.organisation import Organisation, load_organisation
from catalog.review.decisions import approve, reject
from catalog.vocabulary import vocabularies
from flows.services import Services
from flows.settings import Settings
from flows.steps.publish import PublishSummary, publish
from portal.local import PortalInfo, status
from tests.official_shapes import hvd_shapes_dir

pytestmark = [pytest.mark.portal, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
EU = "http://publications.europa.eu/resource/authority/"
LICENCES = "http://dcat-ap.de/def/licenses/"
TIMEOUT = 120
REVIEWER = "Erika Muster"
FILLERS = 100  # with the campaign, more datasets than one page of /catalog.ttl holds (100)

DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCT = Namespace("http://purl.org/dc/terms/")
RDF = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
SCHEMA = Namespace("http://schema.org/")
DCATAP = Namespace("http://data.europa.eu/r5r/")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")

# Violations caused inside ckanext-dcat itself, each with its upstream cause; everything else must be 0.
UPSTREAM_CAUSES = {
    "end-only period": "ckanext-dcat 2.3.0 writes a period with only an end date twice: the DCAT-AP 1 node "
                       "(schema:endDate) stays, because EuropeanDCATAP2Profile._graph_from_dataset_v2 removes it only "
                       "when it has schema:startDate; DCAT-AP.de 3.0 wants dcat:startDate or dcat:endDate on every "
                       "dct:PeriodOfTime (dcatde3:DE_PeriodOfTime_periodPoints_v_Min)",
}


def hvd_folder() -> Path | None:
    """The DCAT-AP HVD shapes (``INVENTUR_TEST_HVD_SHAPES_DIR``); without them, and not required, the HVD
    checks are left out and the rest runs."""
    if not os.environ.get("INVENTUR_TEST_HVD_SHAPES_DIR", "").strip() and os.environ.get(
            "INVENTUR_REQUIRE_SHAPES") != "1":
        return None
    return hvd_shapes_dir()


def _required() -> bool:
    return os.environ.get("INVENTUR_REQUIRE_PORTAL") == "1"


def _missing(message: str) -> None:
    if _required():
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def dcat_portal(portal: PortalInfo) -> PortalInfo:
    """The session's portal, which must serve ckanext-dcatde's profile."""
    dcat = status(portal.base_dir)["dcat"]
    if dcat["profile"] != "dcatap_de":
        _missing(f"the local portal runs {dcat['profile']}, not GovData's dcatap_de: set INVENTUR_CKAN_DCATDE to "
                 "ckanext-dcatde's wheel file or pip requirement "
                 "(README: the portal's extensions)")
    assert dcat["ckanext-dcat"] == "2.3.0" and dcat["ckanext-dcatde"] == "6.10.0", dcat
    return portal


@pytest.fixture(scope="module")
def shapes(dcat_material: Path) -> dict[str, Path]:
    """The DCAT-AP.de 2.0 and 3.0 shapes of the official material (conftest's ``dcat_material``)."""
    found = Settings(shapes_dir=dcat_material).dcat_shape_profiles()
    assert {"2.0", "3.0"} <= set(found), found
    return found


# --------------------------------------------------------------------------- the campaign


@dataclass
class Campaign:
    services: Services
    organisation: Organisation
    codes: dict[str, str]
    word: str
    kinds: dict[str, str]  # field kind -> identifier
    fillers: list[str]
    portal: PortalInfo

    def session(self) -> Any:
        return self.services.store.session()

    def org_name(self, city: str) -> str:
        return f"{city}-{self.codes[city].lower()}"


def _keywords(text: str) -> list[str]:
    """Keywords as the survey's normalisation stores them (one cleaning for every path)."""
    value, _found = normalise_value(BY_KEY["keywords"], text)
    assert value is not None
    return list(value)


def base_values(word: str, **over: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "title": f"Baumkataster {word.capitalize()}",
        "description": f"Alle städtischen Bäume mit Art, Pflanzjahr und Standort ({word}).",
        "theme": [EU + "data-theme/ENVI"],
        "keywords": ["Bäume", f"tag-{word}"],
        "contact_email": "gruen@muenchen.de",
        "personal_data": "no",
        "third_party_rights": "no",
        "access_rights": EU + "access-right/PUBLIC",
        "license": LICENCES + "dl-zero-de/2.0",
        "formats": [EU + "file-type/CSV"],
        "access_url": f"https://opendata.example.org/{word}.csv",
        "frequency": EU + "frequency/ANNUAL",
        "temporal_start": "2020-01-01",
        "publish_proposal": "yes",
        "spatial_scope": "city",
        "last_updated": "2025-11-30",
    }
    values.update(over)
    return values


def kinds_of(word: str, organisation: Organisation) -> dict[str, tuple[str, dict[str, Any]]]:
    """One entry per field kind: (city, values)."""
    every_format = [c.value for c in vocabularies()["file_type"].offered()]
    hvd = vocabularies()["hvd_category"].concepts[0].value
    geo = {c.key: c.geocoding_uri for c in organisation.cities}
    return {
        "every-format": ("muenchen", base_values(word + "a", formats=every_format, spatial=geo["muenchen"],
                                                 access_url=f"https://geo.example.org/{word}/daten.zip")),
        "services-zip": ("muenchen", base_values(word + "b", formats=[EU + "file-type/WMS_SRVC", EU + "file-type/WFS_SRVC",
                                                                     EU + "file-type/ZIP"],
                                                 access_url=f"https://geo.example.org/{word}/archiv.zip",
                                                 spatial=geo["muenchen"])),
        "no-format": ("muenchen", base_values(word + "c", formats=[], spatial=geo["muenchen"])),
        "end-only": ("augsburg", base_values(word + "d", temporal_start=None, temporal_end="2025-12-31",
                                             spatial=geo["augsburg"])),
        "no-spatial": ("augsburg", base_values(word + "e", spatial_scope="none", spatial=None)),
        "attribution": ("augsburg", base_values(word + "f", license=LICENCES + "dl-by-de/2.0",
                                                attribution="Stadt Augsburg, Amt für Grünordnung",
                                                spatial=geo["augsburg"])),
        "hvd": ("nuernberg", base_values(word + "g", hvd_category=hvd, spatial=geo["nuernberg"],
                                         formats=[EU + "file-type/GEOJSON", EU + "file-type/WMS_SRVC"])),
        "odd-keywords": ("nuernberg", base_values(
            word + "h", spatial=geo["nuernberg"], contact_email=None,  # no e-mail anywhere: the city's homepage
            keywords=_keywords(f"Baum/Kataster; Grün & Blau; x; ÖPNV-Haltestellen_2024 v1.2; C++; „Zitat“; {word}"))),
        "same-title-muenchen": ("muenchen", base_values(word + "j", title=f"Spielplätze {word}", spatial=geo["muenchen"])),
        "same-title-augsburg": ("augsburg", base_values(word + "k", title=f"Spielplätze {word}", spatial=geo["augsburg"])),
        # a bulk download of one of the formats, the access URL a page
        "download": ("augsburg", base_values(word + "m", formats=[EU + "file-type/CSV", EU + "file-type/JSON"],
                                             access_url=f"https://opendata.example.org/{word}m",
                                             download_url=f"https://opendata.example.org/{word}m/Bäume-alle.csv",
                                             spatial=geo["augsburg"])),
        # a REST API with its description, beside a file
        "rest-api": ("muenchen", base_values(word + "n", formats=[EU + "file-type/JSON"],
                                             access_url=f"https://opendata.example.org/{word}n.json",
                                             api_url=f"https://api.example.org/{word}n/v1", api_type="REST",
                                             api_documentation=f"https://api.example.org/{word}n/v1/openapi.json",
                                             spatial=geo["muenchen"])),
        # a WMS given as the entry's URL (with a list of layers): the API, describing itself (GetCapabilities)
        "wms-url": ("muenchen", base_values(word + "p", formats=[EU + "file-type/WMS_SRVC"],
                                            access_url=f"https://geo.example.org/{word}p/wms?LAYERS=baeume,strassen",
                                            spatial=geo["muenchen"])),
        # a High-Value Dataset with an OGC API (served through its WFS distribution) and a bulk download of
        # a format it does not list
        "hvd-api": ("nuernberg", base_values(
            word + "q", hvd_category=hvd, spatial=geo["nuernberg"], license=LICENCES + "cc-by/4.0",
            attribution="Stadt Nürnberg", formats=[EU + "file-type/CSV", EU + "file-type/WFS_SRVC"],
            access_url=f"https://opendata.example.org/{word}q", contact_email="geo@nuernberg.de",
            download_url=f"https://opendata.example.org/{word}q/bestand.zip",
            api_url=f"https://geo.example.org/{word}q/ogcapi", api_type="OGC_API",
            api_documentation=f"https://geo.example.org/{word}q/ogcapi/api")),
    }


# distributions per kind: a format each (one without format), a bulk download of no listed format and an API
# without a service format each one more
DISTRIBUTIONS = {"every-format": len(vocabularies()["file_type"].offered()), "services-zip": 3, "hvd": 2,
                 "download": 2, "rest-api": 2, "hvd-api": 3}
SERVICES = ("rest-api", "wms-url", "hvd-api")


def _departments(path: Path, codes: dict[str, str]) -> Path:
    doc = {"opendata_contacts": {}, "departments": [
        {"city": city, "code": code, "name": f"Amt für Grün {code}", "kind": "Amt",
         **({"email": f"{code.lower()}@{city}.example.org"} if city != "nuernberg" else {})}
        for city, code in codes.items()]}
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def _save(campaign: Campaign, city: str, values: dict[str, Any]) -> str:
    with campaign.session() as session:
        saved = save_entry(session, values, city=city, department=campaign.codes[city],
                           source=Source("survey", "kampagne.xlsx"), organisation=campaign.organisation)
        saved.entry.status = "ready"
        session.flush()
        approve(session, saved.entry.identifier, REVIEWER)
        return saved.entry.identifier


@pytest.fixture(scope="module")
def campaign(dcat_portal: PortalInfo, dcat_material: Path,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[Campaign]:
    folder = tmp_path_factory.mktemp("dcat-campaign")
    codes = {city: "G" + secrets.token_hex(4).upper()[:7] for city in ("muenchen", "augsburg", "nuernberg")}
    departments = _departments(folder / "departments.yaml", codes)
    settings = Settings(
        database_url=f"sqlite:///{folder / 'inventur.db'}", data_dir=folder / "data", departments_file=departments,
        ckan_url=dcat_portal.url, ckan_token=SecretStr(dcat_portal.token), ckan_url_muenchen=None,
        ckan_url_augsburg=None, ckan_url_nuernberg=None, ckan_token_muenchen=None, ckan_token_augsburg=None,
        ckan_token_nuernberg=None, http_timeout=60.0, publish_concurrency=4, shapes_dir=dcat_material,
        hvd_shapes_dir=hvd_folder(),
    )
    organisation = load_organisation(departments)
    word = "".join(secrets.choice("bcdfghjklmnpqrstvwxz") for _ in range(8))
    made = Campaign(Services(settings), organisation, codes, word, {}, [], dcat_portal)
    for kind, (city, values) in kinds_of(word, organisation).items():
        made.kinds[kind] = _save(made, city, values)
    for number in range(FILLERS):
        made.fillers.append(_save(made, ("muenchen", "augsburg", "nuernberg")[number % 3], base_values(
            f"{word}{number:03d}", title=f"Messreihe {number} {word}", formats=[EU + "file-type/JSON"],
            spatial=organisation.city(("muenchen", "augsburg", "nuernberg")[number % 3]).geocoding_uri)))
    yield made
    made.services.close()


@pytest.fixture(scope="module")
def first(campaign: Campaign) -> PublishSummary:
    summary = publish(campaign.services, verify=True)
    assert summary.failed == 0, [i.error for p in summary.portals for i in p.items if i.result == "failed"]
    return summary


# --------------------------------------------------------------------------- the judges


def read_catalog(url: str) -> tuple[Graph, int]:
    """Every page of /catalog.ttl as a harvester reads it: following hydra:next; the union without paging."""
    graph, pages, seen = Graph(), 0, set()
    page: str | None = f"{url}/catalog.ttl"
    while page and page not in seen:
        seen.add(page)
        response = requests.get(page, timeout=TIMEOUT)
        assert response.status_code == 200, (page, response.status_code)
        assert response.headers["Content-Type"].startswith("text/turtle")
        part = Graph().parse(data=response.content.decode("utf-8"), format="turtle")
        pages += 1
        following = list(part.objects(None, HYDRA.next))
        page = str(following[0]) if following else None
        for triple in part:
            if not str(triple[1]).startswith(str(HYDRA)) and (triple[0], RDF.type, HYDRA.PagedCollection) not in part:
                graph.add(triple)
    return graph, pages


def ours_only(graph: Graph, identifiers: set[str]) -> tuple[Graph, set[URIRef]]:
    """The catalog node and our datasets with everything reachable from them (distributions, contact points,
    periods, locations, publishers, and what is said about the vocabulary terms they use), nothing of the
    datasets other tests put on the shared portal."""
    datasets = {d for d in graph.subjects(RDF.type, DCAT.Dataset)
                if str(graph.value(d, DCT.identifier)) in identifiers}
    others = set(graph.subjects(RDF.type, DCAT.Dataset)) - datasets
    services = {v for d in datasets for dist in graph.objects(d, DCAT.distribution)
                for v in graph.objects(dist, DCAT.accessService)}
    out = Graph()
    for catalog in graph.subjects(RDF.type, DCAT.Catalog):
        for s, p, o in graph.triples((catalog, None, None)):
            if o not in others and (p != DCAT.service or o in services):
                out.add((s, p, o))
            if p == DCT.publisher:
                for triple in graph.triples((o, None, None)):
                    out.add(triple)
    frontier: set[Any] = set(datasets)
    done: set[Any] = set()
    for _ in range(4):
        following: set[Any] = set()
        for node in frontier - done:
            done.add(node)
            for s, p, o in graph.triples((node, None, None)):
                out.add((s, p, o))
                if isinstance(o, URIRef | BNode) and o not in others and (o, RDF.type, DCAT.Catalog) not in graph:
                    following.add(o)
        frontier = following
    return out, datasets


def upstream_cause(graph: Graph, result: ShaclResult) -> str | None:
    """The cause of a violation when it is one of UPSTREAM_CAUSES (recognised here, independently)."""
    if result.focus_node.startswith("_:"):
        node = BNode(result.focus_node[2:])
        if ((node, RDF.type, DCT.PeriodOfTime) in graph and (node, SCHEMA.endDate, None) in graph
                and (node, DCAT.endDate, None) not in graph and (node, DCAT.startDate, None) not in graph):
            return "end-only period"
    return None


def run_cli(campaign: Campaign, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    settings = campaign.services.settings
    environment = {k: v for k, v in os.environ.items() if not k.startswith("INVENTUR_") or k in (
        "INVENTUR_CKAN_DCATDE",)}
    environment.update(INVENTUR_DATABASE_URL=settings.database_url, INVENTUR_DATA_DIR=str(settings.data_dir),
                       INVENTUR_DEPARTMENTS_FILE=str(settings.departments_file), INVENTUR_CKAN_URL=campaign.portal.url,
                       INVENTUR_SHAPES_DIR=str(settings.shapes_folder()),
                       **({"INVENTUR_HVD_SHAPES_DIR": str(settings.hvd_shapes_dir)} if settings.hvd_shapes_dir else {}),
                       INVENTUR_CKAN_TOKEN=campaign.portal.token, DO_NOT_TRACK="1", **(env or {}))
    return subprocess.run([sys.executable, "-m", "flows", *args], env=environment, cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


def published(campaign: Campaign) -> set[str]:
    with campaign.session() as session:
        return set(session.scalars(select(Entry.identifier).where(Entry.status == "published")))


def judge(campaign: Campaign, shapes: dict[str, Path], tmp_path: Path) -> dict[str, Any]:
    """Read every page, validate our part with both profiles, compare with `inventur dcat export`."""
    graph, pages = read_catalog(campaign.portal.url)
    identifiers = published(campaign)
    part, datasets = ours_only(graph, identifiers)
    assert len(datasets) == len(identifiers), "every published entry is in the portal's DCAT"
    total = len(set(graph.subjects(RDF.type, DCAT.Dataset)))
    assert pages == -(-total // 100) and pages >= 2, (pages, total)

    upstream: Counter[tuple[str, str]] = Counter()
    for version, folder in sorted(shapes.items()):
        report = validate(part, folder)
        for result in report.of("Violation"):
            cause = upstream_cause(part, result)
            assert cause is not None, f"DCAT-AP.de {version}: {result}"
            upstream[(version, cause)] += 1

    # the High-Value Datasets with their distributions and data services, as the DCAT-AP HVD shapes see them
    hvd = {str(graph.value(d, DCT.identifier)) for d in datasets if (d, DCATAP.hvdCategory, None) in graph}
    folder = hvd_folder()
    hvd_violations = None if folder is None else [
        str(r) for r in validate_hvd(ours_only(graph, hvd)[0], folder).of("Violation")]

    exported = run_cli(campaign, "dcat", "export", "--out", str(tmp_path / "export.ttl"), "--base-uri",
                       campaign.portal.url)
    assert exported.returncode == 0, exported.stderr
    export = Graph().parse(tmp_path / "export.ttl")
    expected = datasets_by_identifier(export)
    assert set(expected) == identifiers
    checks = check_datasets(expected, export, graph)
    differences = Counter((d.node.split()[0], d.property, d.known) for c in checks.values() for d in c.differences)

    def count(g: Graph, nodes: Any, link: Any) -> int:
        return sum(len(list(g.objects(node, link))) for node in nodes)

    def services(g: Graph, nodes: Any) -> set[Any]:
        return {v for d in nodes for dist in g.objects(d, DCAT.distribution) for v in g.objects(dist, DCAT.accessService)}

    catalog = next(iter(export.subjects(RDF.type, DCAT.Catalog)))
    portal_catalog = next(iter(graph.subjects(RDF.type, DCAT.Catalog)))
    mine, theirs = services(export, expected.values()), services(graph, datasets)
    return {"pages": pages, "upstream": upstream, "differences": differences,
            "distributions": (count(export, expected.values(), DCAT.distribution), count(graph, datasets, DCAT.distribution)),
            "services": (len(mine), len(theirs), len(set(export.objects(catalog, DCAT.service))),
                         len(set(graph.objects(portal_catalog, DCAT.service)) & theirs)),
            "hvd": (len(hvd), hvd_violations),
            "catalog": compare_catalog(export, catalog, graph, portal_catalog),
            "datasets": len(identifiers)}


def assert_as_published(campaign: Campaign, outcome: dict[str, Any], end_only: int) -> None:
    n = outcome["datasets"]
    # the only violations: the end-only periods, under 3.0, caused inside ckanext-dcat (UPSTREAM_CAUSES)
    assert dict(outcome["upstream"]) == ({("3.0", "end-only period"): end_only} if end_only else {})
    # dataset by dataset, distribution by distribution: nothing lost or changed but the documented additions
    assert dict(outcome["differences"]) == {
        ("dataset", "dct:spatial", "dcatde-admin-unit-location"): n,
        **({("dataset", "dct:temporal", "dcat-end-only-period"): end_only} if end_only else {}),
    }
    mine, theirs = outcome["distributions"]
    assert mine == theirs
    # data service by data service (compared with their datasets above), each listed by the catalog
    assert outcome["services"] == (len(SERVICES),) * 4
    # the High-Value Datasets pass the DCAT-AP HVD shapes as the portal writes them
    assert outcome["hvd"] == (2, [] if hvd_folder() else None)
    assert outcome["catalog"] == []


# --------------------------------------------------------------------------- the tests


def test_the_portals_dcat_is_what_we_publish(campaign: Campaign, first: PublishSummary, shapes: dict[str, Path],
                                             tmp_path: Path) -> None:
    totals = first.totals()
    assert totals["created"] == len(campaign.kinds) + FILLERS and totals["skipped"] == 0
    outcome = judge(campaign, shapes, tmp_path)
    assert_as_published(campaign, outcome, end_only=1)
    assert outcome["distributions"][0] == (
        sum(DISTRIBUTIONS.values()) + len(campaign.kinds) - len(DISTRIBUTIONS) + FILLERS)

    # the publish step's own verification agrees with the judges above
    [portal] = first.portals
    verification = portal.verification
    assert verification is not None and verification.ok, verification.as_record() if verification else None
    assert verification.datasets == len(campaign.kinds) + FILLERS
    # the High-Value Datasets also with the HVD shapes
    assert verification.profiles == ["2.0", "3.0", *(["hvd"] if hvd_folder() else [])]
    assert verification.upstream == {"dcat-end-only-period (3.0)": 1}

    # what GovData reads of some kinds, in detail
    graph, _ = read_catalog(campaign.portal.url)
    base = campaign.portal.url

    def dataset(kind: str) -> URIRef:
        return URIRef(f"{base}/dataset/{campaign.kinds[kind]}")

    services = dataset("services-zip")
    formats = {str(graph.value(d, DCT["format"])): graph.value(d, DCAT.downloadURL)
               for d in graph.objects(services, DCAT.distribution)}
    assert formats == {EU + "file-type/WMS_SRVC": None, EU + "file-type/WFS_SRVC": None,
                       EU + "file-type/ZIP": URIRef(f"https://geo.example.org/{campaign.word}/archiv.zip")}
    assert {str(k) for k in graph.objects(dataset("odd-keywords"), DCAT.keyword)} == {
        "Baum Kataster", "Grün Blau", "ÖPNV-Haltestellen_2024 v1.2", "Zitat", campaign.word}
    contact = graph.value(dataset("odd-keywords"), DCAT.contactPoint)
    assert graph.value(contact, URIRef("http://www.w3.org/2006/vcard/ns#hasURL")) == URIRef("https://www.nuernberg.de")
    assert graph.value(dataset("no-spatial"), DCT.spatial) is not None  # only ckanext-dcatde's adminUnitL2 location
    assert URIRef(campaign.organisation.city("muenchen").geocoding_uri) in set(
        graph.objects(dataset("no-format"), DCT.spatial))
    # none of our datasets (other tests' packages share this portal and may carry a maintainer of their own)
    ours, _ = ours_only(graph, published(campaign))
    assert not list(ours.subjects(URIRef("http://dcat-ap.de/def/dcatde/maintainer"), None))
    assert list(ours.subjects(DCAT.contactPoint, None))
    assert graph.value(dataset("hvd"), URIRef("http://data.europa.eu/r5r/hvdCategory")) is not None

    # bulk downloads and APIs
    word = campaign.word

    def distribution(kind: str, code: str) -> URIRef:
        return URIRef(f"{dataset(kind)}/distribution/{code}")

    def service(kind: str) -> URIRef:
        return URIRef(f"{dataset(kind)}/dataservice")

    assert graph.value(distribution("download", "CSV"), DCAT.downloadURL) == URIRef(  # encoded as the export does
        f"https://opendata.example.org/{word}m/B%C3%A4ume-alle.csv")
    assert graph.value(distribution("download", "JSON"), DCAT.downloadURL) is None
    rest = service("rest-api")
    assert (distribution("rest-api", "api"), DCAT.accessService, rest) in graph
    assert graph.value(distribution("rest-api", "JSON"), DCAT.downloadURL) == URIRef(
        f"https://opendata.example.org/{word}n.json")
    assert graph.value(rest, DCAT.endpointURL) == URIRef(f"https://api.example.org/{word}n/v1")
    assert graph.value(rest, DCAT.endpointDescription) == graph.value(rest, FOAF.page) == URIRef(
        f"https://api.example.org/{word}n/v1/openapi.json")
    assert (rest, DCAT.servesDataset, dataset("rest-api")) in graph
    assert graph.value(graph.value(rest, DCAT.contactPoint), VCARD.hasEmail) == URIRef("mailto:gruen@muenchen.de")
    wms = service("wms-url")
    assert (distribution("wms-url", "WMS_SRVC"), DCAT.accessService, wms) in graph
    assert graph.value(wms, DCAT.endpointURL) == URIRef(f"https://geo.example.org/{word}p/wms?LAYERS=baeume%2Cstrassen")
    assert graph.value(wms, DCAT.endpointDescription) == URIRef(
        f"https://geo.example.org/{word}p/wms?LAYERS=baeume%2Cstrassen&SERVICE=WMS&REQUEST=GetCapabilities")
    assert graph.value(wms, DCT.conformsTo) == URIRef("http://www.opengis.net/def/serviceType/ogc/wms")
    ogc = service("hvd-api")
    assert (distribution("hvd-api", "WFS_SRVC"), DCAT.accessService, ogc) in graph
    assert graph.value(distribution("hvd-api", "WFS_SRVC"), DCAT.accessURL) == URIRef(
        f"https://geo.example.org/{word}q/ogcapi")
    assert graph.value(distribution("hvd-api", "ZIP"), DCAT.downloadURL) == URIRef(
        f"https://opendata.example.org/{word}q/bestand.zip")
    assert graph.value(ogc, DCATAP.hvdCategory) == graph.value(dataset("hvd-api"), DCATAP.hvdCategory)
    assert graph.value(ogc, DCATAP.applicableLegislation) == URIRef("http://data.europa.eu/eli/reg_impl/2023/138/oj")
    assert (graph.value(ogc, DCAT.contactPoint), RDF.type, VCARD.Kind) in graph
    catalog = next(iter(graph.subjects(RDF.type, DCAT.Catalog)))
    assert {rest, wms, ogc} <= set(graph.objects(catalog, DCAT.service))


def test_an_update_round_keeps_it(campaign: Campaign, first: PublishSummary, shapes: dict[str, Path],
                                  tmp_path: Path) -> None:
    changes = {
        "every-format": {"title": f"Baumkataster, neu vermessen {campaign.word}", "formats": [EU + "file-type/CSV"]},
        "no-format": {"formats": [EU + "file-type/XLSX", EU + "file-type/WMTS_SRVC"]},
        "end-only": {"temporal_start": "2019-01-01"},
        "odd-keywords": {"keywords": _keywords("Spiel & Spaß; Stadt/Park")},
        "no-spatial": {"temporal_end": "2024-06-30", "temporal_start": None},  # now the end-only one
        # the bulk download now of a listed format: its own distribution goes, the CSV one has it
        "hvd-api": {"download_url": f"https://opendata.example.org/{campaign.word}q/bestand.csv"},
        "rest-api": {"api_documentation": f"https://api.example.org/{campaign.word}n/v2/openapi.json",
                     "api_url": f"https://api.example.org/{campaign.word}n/v2"},
    }
    with campaign.session() as session:
        for kind, over in changes.items():
            entry = session.scalars(select(Entry).where(Entry.identifier == campaign.kinds[kind])).one()
            values = {f: getattr(entry, f) for f in ("title", "description", "theme", "keywords", "contact_email",
                                                     "personal_data", "third_party_rights", "access_rights", "license",
                                                     "formats", "access_url", "frequency", "temporal_start",
                                                     "temporal_end", "publish_proposal", "spatial_scope", "spatial",
                                                     "attribution", "hvd_category", "last_updated", "download_url",
                                                     "api_url", "api_type", "api_documentation")}
            values.update(over)
            save_entry(session, values, identifier=entry.identifier, city=entry.city, department=entry.department,
                       source=Source("survey", "runde-2.xlsx"), organisation=campaign.organisation)
            entry.status = "ready"
            session.flush()
            approve(session, entry.identifier, REVIEWER)
    summary = publish(campaign.services)
    assert summary.totals()["updated"] == len(changes) and summary.failed == 0
    assert_as_published(campaign, judge(campaign, shapes, tmp_path), end_only=1)
    graph, _ = read_catalog(campaign.portal.url)
    hvd_api = URIRef(f"{campaign.portal.url}/dataset/{campaign.kinds['hvd-api']}")
    assert {str(d).rsplit("/", 1)[1]: graph.value(d, DCAT.downloadURL) for d in graph.objects(hvd_api, DCAT.distribution)
            } == {"CSV": URIRef(f"https://opendata.example.org/{campaign.word}q/bestand.csv"), "WFS_SRVC": None}
    rest = URIRef(f"{campaign.portal.url}/dataset/{campaign.kinds['rest-api']}/dataservice")
    assert set(graph.objects(rest, DCAT.endpointURL)) == {URIRef(f"https://api.example.org/{campaign.word}n/v2")}


def test_a_withdrawal_and_a_restore_keep_it(campaign: Campaign, first: PublishSummary, shapes: dict[str, Path],
                                            tmp_path: Path) -> None:
    gone = campaign.kinds["attribution"]
    with campaign.session() as session:
        reject(session, gone, REVIEWER, "Rechte ungeklärt")
    assert publish(campaign.services).totals()["withdrawn"] == 1
    graph, _ = read_catalog(campaign.portal.url)
    assert gone not in datasets_by_identifier(graph)

    with campaign.session() as session:
        approve(session, gone, REVIEWER, "Rechte geklärt")
    assert publish(campaign.services).totals()["restored"] == 1
    outcome = judge(campaign, shapes, tmp_path)
    assert_as_published(campaign, outcome, end_only=1)


def test_verify_reports_a_package_edited_by_hand(campaign: Campaign, first: PublishSummary,
                                                  shapes: dict[str, Path]) -> None:
    edited = campaign.kinds["hvd"]
    remote = RemoteCKAN(campaign.portal.url, apikey=campaign.portal.token, user_agent="inventur-tests/1")
    try:
        package = remote.call_action("package_show", {"id": edited.lower()}, requests_kwargs={"timeout": TIMEOUT})
        remote.call_action("package_patch", {"id": package["id"], "title": package["title"] + " (von Hand)"},
                           requests_kwargs={"timeout": TIMEOUT})
        geojson = next(r for r in package["resources"] if r["format"].endswith("/GEOJSON"))
        remote.call_action("resource_patch", {"id": geojson["id"], "format": "GeoJSON"},
                           requests_kwargs={"timeout": TIMEOUT})
        # the documentation of a data service, changed by hand
        served = remote.call_action("package_show", {"id": campaign.kinds["hvd-api"].lower()},
                                    requests_kwargs={"timeout": TIMEOUT})
        wfs = next(r for r in served["resources"] if r.get("access_services"))
        [access_service] = json.loads(wfs["access_services"])
        access_service["endpoint_description"] = "https://example.org/handbuch.html"
        remote.call_action("resource_patch", {"id": wfs["id"], "access_services": json.dumps([access_service])},
                           requests_kwargs={"timeout": TIMEOUT})
    finally:
        remote.close()

    done = run_cli(campaign, "publish", "--verify", "--city", "nuernberg", "--format", "json")
    assert done.returncode == 1, done.stdout + done.stderr
    [portal] = json.loads(done.stdout)["portals"]
    verification = portal["verification"]
    assert portal["writes"] == 0 and not verification["ok"]
    entries = {e["identifier"]: e for e in verification["entries"]}
    assert set(entries) == {edited, campaign.kinds["hvd-api"]}
    assert entries[campaign.kinds["hvd-api"]]["differences"] == [
        "service dataservice dcat:endpointDescription: expected "
        f"<https://geo.example.org/{campaign.word}q/ogcapi/api>, portal has <https://example.org/handbuch.html>"]
    entry = entries[edited]
    assert any("dct:title" in d and "(von Hand)" in d for d in entry["differences"])
    assert any("distribution GEOJSON dct:format" in d and '"GeoJSON"' in d for d in entry["differences"])
    assert any(v.startswith("3.0: dct:format") for v in entry["violations"])
    with campaign.session() as session:
        found = session.execute(select(FindingRow.code, FindingRow.field).where(
            FindingRow.identifier == edited, FindingRow.stage == "verify", FindingRow.is_open.is_(True))).all()
    assert ("portal-dcat-difference", "title") in found and ("portal-dcat-violation", "formats") in found
    with campaign.session() as session:
        found = session.execute(select(FindingRow.code, FindingRow.field).where(
            FindingRow.identifier == campaign.kinds["hvd-api"], FindingRow.stage == "verify",
            FindingRow.is_open.is_(True))).all()
    assert found == [("portal-dcat-difference", "api_documentation")]

    table = run_cli(campaign, "publish", "--dry-run", "--verify", "--city", "nuernberg")
    assert table.returncode == 1 and edited in table.stdout and "(von Hand)" in table.stdout


def test_german_visitors(campaign: Campaign, first: PublishSummary) -> None:
    base = campaign.portal.url
    page = requests.get(f"{base}/dataset/", params={"q": f"Spielplätze {campaign.word}"}, timeout=TIMEOUT).text
    assert '<html lang="de"' in page and "Datensätze" in page  # CKAN's interface in German
    # the same title of two departments: each shows its organisation, which names its city
    munich = f"München: Amt für Grün {campaign.codes['muenchen']}"
    augsburg = f"Augsburg: Amt für Grün {campaign.codes['augsburg']}"
    shown = html.unescape(page)
    assert shown.count(f"Spielplätze {campaign.word}") >= 2 and munich in shown and augsburg in shown

    remote = RemoteCKAN(base, user_agent="inventur-tests/1")
    try:
        organisation = remote.call_action("organization_show", {"id": campaign.org_name("augsburg")})
        assert organisation["title"] == augsburg
        group = remote.call_action("group_show", {"id": "envi", "include_datasets": False})
        assert group["title"] == "Umwelt" and "Umwelt" in group["description"] and "http" not in group["description"]
    finally:
        remote.close()

    # formats as people read them: the dataset page, the search badges, the facet, the resource page
    name = campaign.kinds["services-zip"].lower()
    shown = html.unescape(requests.get(f"{base}/dataset/{name}", timeout=TIMEOUT).text)
    labels = re.findall(r'class="format-label"[^>]*data-format="([^"]*)">([^<]*)<', shown)
    assert sorted(labels) == [("wfs", "WFS"), ("wms", "WMS"), ("zip", "ZIP")]
    assert "WMS_SRVC" not in re.sub(r'href="[^"]*"|data-[a-z-]+="[^"]*"', "", shown)
    search = html.unescape(requests.get(f"{base}/dataset/", params={"q": campaign.word + "b"}, timeout=TIMEOUT).text)
    assert 'data-format="wms">WMS</a>' in search and ">WMS_SRVC<" not in search
    assert re.search(r'<span class="item-label">WMS</span>', search)
    package = requests.get(f"{base}/api/3/action/package_show", params={"id": name}, timeout=TIMEOUT).json()["result"]
    wms = next(r for r in package["resources"] if r["format"].endswith("/WMS_SRVC"))
    assert wms["format"] == EU + "file-type/WMS_SRVC"  # the API keeps the IRI GovData reads
    resource = html.unescape(requests.get(f"{base}/dataset/{name}/resource/{wms['id']}", timeout=TIMEOUT).text)
    assert re.search(r"<th scope=\"row\">Format</th>\s*<td>WMS</td>", resource)


def test_portal_status_names_the_profile(dcat_portal: PortalInfo) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INVENTUR_")}
    env["INVENTUR_PORTAL_DIR"] = str(dcat_portal.base_dir)

    def status_of(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "flows", "portal", "status", *args], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "DCAT profile: dcatap_de (ckanext-dcat 2.3.0, ckanext-dcatde 6.10.0 from" in " ".join(status_of().split())
    assert json.loads(status_of("--format", "json"))["dcat"]["profiles"] == ["dcatap_de", "inventur_catalog"]
