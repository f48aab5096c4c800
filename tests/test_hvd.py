"""High-Value Datasets: a campaign of real workbooks with HVD holdings of every category, some ready and
some not, collected and validated; the readiness findings on the departments' cells, `inventur hvd`, the
report section, the data services of the export and the official DCAT-AP HVD and DCAT-AP.de shapes."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from rdflib import Graph, Namespace, URIRef

from catalog.dcat.export import DCATAP, build_catalog, data_service_uri, dataset_uri, serialize
from catalog.dcat.shacl import validate, validate_hvd
from catalog.fields import FIELDS, LATER_KEYS
from catalog.hvd import REQUIREMENTS, hvd_findings, readiness
from catalog.inventory import content_hash, entry_record, iter_entries, open_findings
from catalog.organisation import load_organisation
from catalog.review.decisions import approve, catalog_records
from flows.services import Services
from flows.settings import Settings
from flows.steps.inventory import build_surveys, collect
from tests.official_shapes import dcat_ap_de_dir, hvd_shapes_dir

# Open namespaces: pytest's collection probes module attributes, which rdflib's closed namespaces warn about.
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
RDF = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")

ROOT = Path(__file__).resolve().parents[1]
CAMPAIGN = "2027-hvd"
COL = {f.key: f.column for f in FIELDS}
EU = "http://publications.europa.eu/resource/authority/"
BNA = "http://data.europa.eu/bna/"
BASE = "https://opendata.example.org"
HVD_LEGISLATION = URIRef("http://data.europa.eu/eli/reg_impl/2023/138/oj")
CATEGORIES = ("Georaum", "Erdbeobachtung und Umwelt", "Meteorologie", "Statistik", "Unternehmen und Eigentümerschaft",
              "Mobilität")


def holding(title: str, category: str, slug: str, **over: Any) -> dict[str, Any]:
    """A row a data officer types for an HVD holding that meets every requirement (``over`` takes some away)."""
    row: dict[str, Any] = {
        "title": title,
        "description": f"{title}: vollständiger Bestand der Stadt mit allen Merkmalen, laufend fortgeschrieben.",
        "theme": "Regionen und Städte",
        "keywords": "Hochwertige Daten; Stadt",
        "contact_name": "Sachgebiet Open Data",
        "contact_email": "opendata@augsburg.de",
        "personal_data": "nein",
        "third_party_rights": "nein",
        "access_rights": "öffentlich",
        "license": "Datenlizenz Deutschland – Namensnennung – 2.0",
        "attribution": "Stadt Augsburg",
        "formats": "CSV; GeoJSON",
        "access_url": f"https://opendata.augsburg.de/dataset/{slug}",
        "frequency": "monatlich",
        "spatial": "gesamtes Stadtgebiet",
        "hvd_category": category,
        "publish_proposal": "ja",
        "download_url": f"https://opendata.augsburg.de/download/{slug}.csv",
        "api_url": f"https://api.augsburg.de/{slug}/v1",
        "api_type": "REST-Schnittstelle (JSON oder XML)",
        "api_documentation": f"https://api.augsburg.de/{slug}/v1/openapi.json",
    }
    row.update(over)
    return row


# (department, row, expected HVD finding codes with the field each is on)
_READY = {
    "Geobasis Flurstücke": ("GEO", "Georaum", "flurstuecke"),
    "Lärmkartierung": ("GEO", "Erdbeobachtung und Umwelt", "laerm"),
    "Wetterstation Rathaus": ("GEO", "Meteorologie", "wetter"),
    "Bevölkerungsstand": ("STAT", "Statistik", "bevoelkerung"),
    "Gewerberegister Auszug": ("STAT", "Unternehmen und Eigentümerschaft", "gewerbe"),
    "Verkehrszählstellen": ("STAT", "Mobilität", "verkehr"),
}
CAMPAIGN_ROWS: dict[str, list[tuple[dict[str, Any], set[tuple[str, str]]]]] = {"GEO": [], "STAT": []}
for _title, (_dept, _category, _slug) in _READY.items():
    CAMPAIGN_ROWS[_dept].append((holding(_title, _category, _slug), set()))
CAMPAIGN_ROWS["GEO"] += [
    # a map service only: the API is there (a WMS describes itself), but no machine-readable format, no file
    (holding("Bodenrichtwertkarte", "Georaum", "brw", formats="WMS", access_url="https://geodienste.augsburg.de/brw/wms",
             download_url=None, api_url=None, api_type=None, api_documentation=None),
     {("hvd-format", "formats"), ("hvd-bulk-download", "download_url")}),
    # a licence that is not open
    (holding("Grundwassermessstellen", "Erdbeobachtung und Umwelt", "gw", license="andere Lizenz (nicht offen)",
             attribution=None),
     {("hvd-licence", "license")}),
    # restricted: neither public nor licensed
    (holding("Niederschlagsradar", "Meteorologie", "radar", access_rights="eingeschränkt", license=None,
             attribution=None, restriction_reason="Messnetz eines Vertragspartners"),
     {("hvd-not-public", "access_rights"), ("hvd-licence", "license")}),
]
CAMPAIGN_ROWS["STAT"] += [
    # an API without a description, and no update frequency
    (holding("Wahlergebnisse", "Statistik", "wahlen", api_documentation=None, frequency=None),
     {("hvd-metadata", "api_documentation"), ("hvd-metadata", "frequency")}),
    # not online at all
    (holding("Handelsregister Auszüge", "Unternehmen und Eigentümerschaft", "hr", formats="XLSX", access_url=None,
             download_url=None, api_url=None, api_type=None, api_documentation=None),
     {("hvd-bulk-download", "download_url"), ("hvd-api", "api_url"), ("hvd-metadata", "access_url")}),
    # documents only, and an e-mail address nobody can write to
    (holding("Baustellenplan", "Mobilität", "baustellen", formats="PDF",
             download_url="https://opendata.augsburg.de/download/baustellen.pdf", contact_email="verkehr(at)augsburg.de"),
     {("hvd-format", "formats"), ("hvd-contact", "contact_email")}),
    # no HVD category: no HVD finding
    (holding("Hundekotbeutelspender", "keine", "hunde"), set()),
]
EXPECTED: dict[str, set[tuple[str, str]]] = {row["title"]: codes for rows in CAMPAIGN_ROWS.values() for row, codes in rows}
APPROVABLE = {*_READY, "Bodenrichtwertkarte", "Wahlergebnisse", "Handelsregister Auszüge", "Hundekotbeutelspender"}


def fill(src: Path, rows: list[dict[str, Any]], dest: Path) -> Path:
    """Type the rows into the entry sheet as a data officer would (by column letter, from row 2)."""
    workbook = openpyxl.load_workbook(src)
    sheet = workbook["Datenbestände"]
    for offset, row in enumerate(rows):
        for key, value in row.items():
            sheet[f"{COL[key]}{2 + offset}"] = value
    dest.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(dest)
    return dest


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Services, dict[str, str], Any]]:
    """The campaign collected (with validation and feedback) and the approvable entries approved."""
    tmp = tmp_path_factory.mktemp("hvd")
    settings = Settings(database_url=f"sqlite:///{tmp / 'inventur.db'}", data_dir=tmp / "data",  # type: ignore[arg-type]
                        secret_augsburg="geheim-augsburg")
    services = Services(settings)
    share = Path(settings.share_location)
    for dept, rows in CAMPAIGN_ROWS.items():
        build_surveys(services, city="augsburg", department=dept, campaign=CAMPAIGN, distribute=True)
        blank = share / "augsburg" / dept / "outbox" / f"augsburg_{dept}_{CAMPAIGN}.xlsx"
        fill(blank, [row for row, _codes in rows], share / "augsburg" / dept / "inbox" / "antwort.xlsx")
    summary = collect(services, from_share=True)
    assert summary.totals["read"] == 2
    with services.store.session() as session:
        identifiers = {e.title: e.identifier for e in iter_entries(session)}
        for title in APPROVABLE:
            approve(session, identifiers[title], "Erika Muster", comment="geprüft")
    yield services, identifiers, summary
    services.close()


def _cli(services: Services, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    import os

    environment = {k: v for k, v in os.environ.items() if not k.startswith("INVENTUR_")}
    environment.update(COLUMNS="220", INVENTUR_DATABASE_URL=services.settings.database_url,
                       INVENTUR_DATA_DIR=str(services.settings.data_dir), **env)
    return subprocess.run([sys.executable, "-m", "flows", *args], capture_output=True, text=True, env=environment,
                          timeout=300, cwd=ROOT)


# ------------------------------------------------------------------------------------------- readiness findings


def test_campaign_yields_the_expected_readiness_findings(campaign: Any) -> None:
    services, identifiers, _summary = campaign
    with services.store.session() as session:
        found = [(f.identifier, f.code, f.field, f.column, f.severity) for f in open_findings(session)
                 if f.code.startswith("hvd-")]
    by_title = {title: {(code, field) for identifier, code, field, _c, _s in found if identifier == identifiers[title]}
                for title in EXPECTED}
    assert by_title == EXPECTED
    assert {severity for *_rest, severity in found} == {"warning"}  # readiness never blocks an approval
    assert all(column == COL[field] for _i, _code, field, column, _s in found)  # on the cell to fix
    # every category has a ready and a not-ready holding
    with services.store.session() as session:
        records = [entry_record(e) for e in iter_entries(session)]
    states = {(r["hvd_category"], readiness(r).ready) for r in records if r["hvd_category"]}  # type: ignore[union-attr]
    assert states == {(BNA + code, ready) for code in ("c_ac64a52d", "c_dd313021", "c_164e0bf5", "c_e1da4e07",
                                                       "c_a9135398", "c_b79e35eb") for ready in (True, False)}


def test_restricted_holding_is_asked_for_its_legal_basis(campaign: Any) -> None:
    services, identifiers, _summary = campaign
    with services.store.session() as session:
        codes = {(f.identifier, f.code, f.column) for f in open_findings(session)}
    assert (identifiers["Niederschlagsradar"], "legal-basis-missing", COL["legal_basis"]) in codes
    assert not any(code == "legal-basis-missing" and i != identifiers["Niederschlagsradar"] for i, code, _c in codes)


def test_department_sees_the_findings_on_its_cells(campaign: Any) -> None:
    _services, _identifiers, summary = campaign
    [feedback] = [Path(p) for p in summary.feedback if "/STAT/" in p]
    sheet = openpyxl.load_workbook(feedback)["Datenbestände"]
    rows = {sheet[f"B{r}"].value: r for r in range(2, 12) if sheet[f"B{r}"].value}
    row = rows["Handelsregister Auszüge"]
    for key, words in (("download_url", "herunterladbar"), ("api_url", "Schnittstelle (API)"),
                       ("access_url", "URL (falls online)")):
        comment = sheet[f"{COL[key]}{row}"].comment
        assert comment is not None and words in comment.text and "Hochwertiger Datensatz" in comment.text, key
    ready = rows["Bevölkerungsstand"]
    assert all(sheet[f"{COL[k]}{ready}"].comment is None for k in ("download_url", "api_url", "license", "formats"))
    summary_sheet = openpyxl.load_workbook(feedback)["Rückmeldung"]
    texts = " ".join(str(c.value) for row_cells in summary_sheet.iter_rows() for c in row_cells if c.value)
    assert "Er muss über eine Schnittstelle (API) abrufbar sein" in texts


def test_review_shows_the_findings(campaign: Any) -> None:
    services, identifiers, _summary = campaign
    done = _cli(services, "review", "show", identifiers["Wahlergebnisse"], "--format", "json")
    assert done.returncode == 0, done.stderr
    codes = [(f["code"], f["field"]) for f in json.loads(done.stdout)["findings"]]
    assert ("hvd-metadata", "api_documentation") in codes and ("hvd-metadata", "frequency") in codes


def test_readiness_of_single_records() -> None:
    public = {"hvd_category": BNA + "c_e1da4e07", "access_rights": EU + "access-right/PUBLIC",
              "license": "http://dcat-ap.de/def/licenses/cc-by/4.0", "formats": [EU + "file-type/CSV"],
              "access_url": "https://example.org/daten.csv", "frequency": EU + "frequency/ANNUAL",
              "contact_email": "mailto:statistik@example.org"}
    # a CSV file as the access URL is the bulk download; no API yet
    assert {f.code for f in hvd_findings(public)} == {"hvd-api"}
    # a WFS given as the only format makes the access URL the API (an OGC service describes itself)
    wfs = {**public, "formats": [EU + "file-type/WFS_SRVC"], "access_url": "https://example.org/wfs",
           "download_url": "https://example.org/daten.zip"}
    assert hvd_findings(wfs) == []
    # licences less permissive than CC BY 4.0, and no HVD category at all
    for licence in ("cc-by-sa/4.0", "dl-by-de/1.0", "geoNutz/20131001", "other-open"):
        assert {f.code for f in hvd_findings({**wfs, "license": f"http://dcat-ap.de/def/licenses/{licence}"})} == {
            "hvd-licence"}, licence
    assert hvd_findings({**public, "hvd_category": None}) == []
    assert set(REQUIREMENTS) == {"open", "machine_readable", "bulk_download", "api", "metadata", "contact"}


# ------------------------------------------------------------------------------------------- inventur hvd


def test_inventur_hvd_lists_each_entry_with_what_it_lacks(campaign: Any, tmp_path: Path) -> None:
    services, identifiers, _summary = campaign
    done = _cli(services, "hvd", "--city", "augsburg", "--format", "json", "--no-shapes")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    entries = {e["title"]: e for e in result["entries"]}
    assert set(entries) == {t for t in EXPECTED if t != "Hundekotbeutelspender"}
    for title, codes in EXPECTED.items():
        if title in entries:
            assert entries[title]["ready"] is (not codes), title
            assert {(f["code"], f["field"]) for f in entries[title]["findings"]} == codes
    assert entries["Handelsregister Auszüge"]["requirements"] == {
        "open": True, "machine_readable": True, "bulk_download": False, "api": False, "metadata": False, "contact": True}
    assert [(c["category"], c["entries"], c["ready"]) for c in result["categories"]] == [
        ("Geospatial", 2, 1), ("Earth observation and environment", 2, 1), ("Meteorological", 2, 1),
        ("Statistics", 2, 1), ("Companies and company ownership", 2, 1), ("Mobility", 2, 1)]

    table = _cli(services, "hvd", "--not-ready", "--no-shapes")
    assert table.returncode == 0 and "6 of 12 ready" in table.stdout and identifiers["Baustellenplan"] in table.stdout
    assert identifiers["Bevölkerungsstand"] not in table.stdout

    out = tmp_path / "hvd.xlsx"
    written = _cli(services, "hvd", "--format", "xlsx", "--out", str(out), "--no-shapes")
    assert written.returncode == 0, written.stderr
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["HVD je Kategorie", "HVD-Datensätze"]
    rows = {r[0].value: [c.value for c in r] for r in book["HVD-Datensätze"].iter_rows(min_row=2)}
    assert rows[identifiers["Handelsregister Auszüge"]][6] == "nein" and rows[identifiers["Geobasis Flurstücke"]][6] == "ja"
    assert _cli(services, "hvd", "--format", "xlsx").returncode == 2
    missing = _cli(services, "hvd", "--shapes")
    assert missing.returncode == 2 and "INVENTUR_HVD_SHAPES_DIR" in missing.stderr


def test_inventur_hvd_checks_the_export_with_the_official_shapes(campaign: Any) -> None:
    services, identifiers, _summary = campaign
    shapes = hvd_shapes_dir()
    done = _cli(services, "hvd", "--format", "json", INVENTUR_HVD_SHAPES_DIR=str(shapes))
    assert done.returncode == 0, done.stderr
    verdict = {e["identifier"]: e["shape_violations"] for e in json.loads(done.stdout)["entries"]}
    not_exported = {identifiers[t] for t in ("Handelsregister Auszüge", "Niederschlagsradar")}
    assert {i for i, v in verdict.items() if v} == not_exported
    assert all(v[0].startswith("not exported") for i, v in verdict.items() if i in not_exported)


# ------------------------------------------------------------------------------------------- the export


@pytest.fixture(scope="module")
def hvd_export(campaign: Any) -> Graph:
    services, _identifiers, _summary = campaign
    with services.store.session() as session:
        records = [r for r in catalog_records(session) if r["hvd_category"]]
    export = build_catalog(records, load_organisation(), base_uri=BASE, city="augsburg",
                           catalog_title="Hochwertige Datensätze", catalog_description="Test")
    return export.graph


def test_apis_are_data_services_the_distributions_point_to(campaign: Any, hvd_export: Graph) -> None:
    _services, identifiers, _summary = campaign
    g = hvd_export
    ds = dataset_uri(BASE, identifiers["Bevölkerungsstand"])
    service = data_service_uri(str(ds))
    assert (service, RDF.type, DCAT.DataService) in g
    assert g.value(service, DCAT.endpointURL) == URIRef("https://api.augsburg.de/bevoelkerung/v1")
    assert g.value(service, DCAT.endpointDescription) == URIRef("https://api.augsburg.de/bevoelkerung/v1/openapi.json")
    assert (service, DCAT.servesDataset, ds) in g
    assert g.value(service, DCTERMS.license) == URIRef("http://dcat-ap.de/def/licenses/dl-by-de/2.0")
    assert g.value(g.value(service, DCAT.contactPoint), URIRef("http://www.w3.org/2006/vcard/ns#hasEmail")) == \
        URIRef("mailto:opendata@augsburg.de")
    assert g.value(service, DCATAP.hvdCategory) == URIRef(BNA + "c_e1da4e07")
    assert g.value(service, DCATAP.applicableLegislation) == HVD_LEGISLATION
    catalog = next(g.subjects(RDF.type, DCAT.Catalog))
    assert (catalog, DCAT.service, service) in g
    via = [d for d in g.objects(ds, DCAT.distribution) if (d, DCAT.accessService, service) in g]
    assert len(via) == 1 and g.value(via[0], DCAT.accessURL) == g.value(service, DCAT.endpointURL)
    downloads = {g.value(d, DCAT.downloadURL) for d in g.objects(ds, DCAT.distribution)} - {None}
    assert downloads == {URIRef("https://opendata.augsburg.de/download/bevoelkerung.csv")}
    # a WMS given as the only format: the service describes itself (GetCapabilities) and is documented by it
    wms = data_service_uri(str(dataset_uri(BASE, identifiers["Bodenrichtwertkarte"])))
    assert g.value(wms, FOAF.page) == URIRef(
        "https://geodienste.augsburg.de/brw/wms?SERVICE=WMS&REQUEST=GetCapabilities")
    # an HVD API without any description stays a plain distribution: the shapes demand a documentation page
    wahlen = dataset_uri(BASE, identifiers["Wahlergebnisse"])
    assert not list(g.subjects(DCAT.servesDataset, wahlen))
    assert any(g.value(d, DCAT.accessURL) == URIRef("https://api.augsburg.de/wahlen/v1")
               for d in g.objects(wahlen, DCAT.distribution))


def test_hvd_export_passes_the_hvd_shapes(hvd_export: Graph) -> None:
    report = validate_hvd(hvd_export, hvd_shapes_dir())
    assert report.violations == 0, report.summary()
    datasets = set(hvd_export.subjects(RDF.type, DCAT.Dataset))
    assert len(datasets) == 8 and len(set(hvd_export.subjects(RDF.type, DCAT.DataService))) == 7


@pytest.mark.parametrize("profile", ["shapes-2.0", "shapes-3.0"])
def test_hvd_export_passes_both_dcat_ap_de_profiles(hvd_export: Graph, profile: str) -> None:
    report = validate(hvd_export, dcat_ap_de_dir() / profile)
    assert report.violations == 0, report.summary()


@pytest.mark.parametrize("profile", ["shapes-2.0", "shapes-3.0"])
def test_whole_export_with_data_services_passes_both_profiles(campaign: Any, profile: str, tmp_path: Path) -> None:
    services, _identifiers, _summary = campaign
    out = tmp_path / "catalog.ttl"
    done = _cli(services, "dcat", "export", "--out", str(out), "--city", "augsburg", "--base-uri", BASE)
    assert done.returncode == 0, done.stderr
    graph = Graph().parse(out)
    assert len(set(graph.subjects(RDF.type, DCAT.DataService))) == 8  # the seven HVD APIs and one more
    report = validate(graph, dcat_ap_de_dir() / profile)
    assert report.violations == 0, report.summary()


def test_dcat_export_scope_hvd_and_validate_cli(campaign: Any, tmp_path: Path) -> None:
    services, identifiers, _summary = campaign
    out = tmp_path / "hvd.ttl"
    done = _cli(services, "dcat", "export", "--out", str(out), "--scope", "hvd", "--base-uri", BASE)
    assert done.returncode == 0, done.stderr
    graph = Graph().parse(out)
    exported = {str(ds).rsplit("/", 1)[1] for ds in graph.subjects(RDF.type, DCAT.Dataset)}
    assert identifiers["Hundekotbeutelspender"] not in exported and identifiers["Bevölkerungsstand"] in exported
    assert all(graph.value(ds, DCATAP.hvdCategory) for ds in graph.subjects(RDF.type, DCAT.Dataset))
    checked = _cli(services, "dcat", "validate", str(out), "--shapes", str(hvd_shapes_dir()))
    assert checked.returncode == 0 and "0 violations" in checked.stdout, checked.stdout + checked.stderr
    assert serialize(graph)  # parses back and serialises


# ------------------------------------------------------------------------------------------- report and survey


def test_report_has_an_hvd_section(campaign: Any, tmp_path: Path) -> None:
    services, identifiers, _summary = campaign
    done = _cli(services, "report", "--out", str(tmp_path), "--city", "augsburg")
    assert done.returncode == 0, done.stderr
    page = next(tmp_path.glob("*augsburg*.html")).read_text(encoding="utf-8")
    assert '<section id="hvd">' in page and 'data-ready="6" data-total="12"' in page
    assert identifiers["Handelsregister Auszüge"] in page and identifiers["Geobasis Flurstücke"] not in page.split(
        '<section id="hvd">', 1)[1].split("</section>", 1)[0]
    book = openpyxl.load_workbook(next(tmp_path.glob("*augsburg*.xlsx")))
    rows = [[c.value for c in r] for r in book["HVD je Kategorie"].iter_rows(min_row=2)]
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [(c, 2, 1, 1) for c in CATEGORIES]


def test_older_workbooks_are_read_and_keep_the_new_answers(campaign: Any, tmp_path: Path) -> None:
    """A 2026.1 workbook (without the columns Z to AF) is still read: no missing-column finding, and the
    answers given in those columns before stay as they were."""
    from survey.signature import Meta, sign

    services, identifiers, _summary = campaign
    share = Path(services.settings.share_location)
    build_surveys(services, city="augsburg", department="STAT", campaign="2027-alt", distribute=True)
    workbook = openpyxl.load_workbook(share / "augsburg" / "STAT" / "outbox" / "augsburg_STAT_2027-alt.xlsx")
    sheet = workbook["Datenbestände"]
    sheet.delete_cols(26, len(LATER_KEYS))
    meta = workbook["Meta"]
    values = {meta.cell(row=r, column=1).value: meta.cell(row=r, column=2).value for r in range(1, 8)}
    old = sign(Meta(**{**{k: values[k] for k in ("campaign", "city", "department", "department_name", "issued")},
                       "survey_version": "2026.1"}), b"geheim-augsburg")
    for r in range(1, 8):
        key = meta.cell(row=r, column=1).value
        meta.cell(row=r, column=2).value = old.signature if key == "signature" else old.values().get(key, values[key])
    row = next(r for r in range(2, 20) if sheet[f"B{r}"].value == "Bevölkerungsstand")
    sheet[f"R{row}"] = "jährlich"  # a change in an old column: a new version of the entry
    path = tmp_path / "alt.xlsx"
    workbook.save(path)
    result = collect(services, [path], feedback=False)
    [outcome] = result.outcomes
    assert outcome.status == "read" and not [f for f in outcome.findings if f.code in ("missing-column", "template-outdated")]
    with services.store.session() as session:
        entry = next(e for e in iter_entries(session) if e.identifier == identifiers["Bevölkerungsstand"])
        assert entry.frequency == EU + "frequency/ANNUAL" and entry.version == 2
        assert entry.api_url == "https://api.augsburg.de/bevoelkerung/v1"
        assert entry.download_url == "https://opendata.augsburg.de/download/bevoelkerung.csv"


def test_entries_stored_before_the_new_fields_keep_their_hash() -> None:
    values = {"title": "Baumkataster", "theme": ["x"], "formats": [], "access_url": None}
    assert content_hash(values) == content_hash({**values, **{k: None for k in LATER_KEYS}})
    assert content_hash(values) != content_hash({**values, "api_url": "https://example.org/api"})
