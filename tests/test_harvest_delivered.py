"""Harvesting catalogs as German portals really deliver them, read the way a person who knows DCAT reads them.

The fixtures in ``tests/data/harvest/delivered`` are written in the shapes real catalogs have: one Augsburg
catalog in Turtle and in RDF/XML (the same catalog from two sources: nothing may be created twice), with
e-mail addresses as IRIs without ``mailto:``, media types and otherwise spelled file-type IRIs as formats,
a distribution with only a download URL, GovData's older categories as the portal's own IRIs, Dublin
Core frequencies, a licence IRI with ``https://www.``, and a date that is no valid ``xsd:dateTime``; and CKAN
packages as DKAN, ckanext-fluent and careless portals deliver them. The verdict of each test: no finding
reports a value such a person would have read correctly, and every value read otherwise than written is
a ``value-corrected`` finding with before and after.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from sqlalchemy import select

from catalog.harvest import HarvestedRecord, HarvestTarget, harvest_records
from catalog.models import Entry, EntryKey, EntryVersion, FindingRow
from catalog.organisation import load_organisation
from catalog.reading import email_in_iri, format_of_url, identity_key
from connectors.ckan.source import package_record, search_results
from connectors.harvest.dcat import dataset_records, parse_page
from flows.services import Services
from flows.steps.harvest import report_markdown, run_ckan, run_dcat
from tests.factories import count

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "harvest" / "delivered"
EU = "http://publications.europa.eu/resource/authority/"
LIC = "http://dcat-ap.de/def/licenses/"
AUGSBURG = load_organisation().city("augsburg")
MAPPING = {"Kämmerei": "STAT", "Tiefbauamt": "MTBA", "Umweltamt": "UWA", "Amt für Statistik und Stadtforschung": "STAT"}
# Findings that say a value could not be read: on these fixtures, every one would be a misreading.
MISREAD = {"unknown-value", "ambiguous-value", "invalid-email", "invalid-url", "invalid-date", "too-many-values"}


def entries(services: Services) -> dict[str, Entry]:
    with services.store.session() as session:
        return {e.title or e.remote_id or "": e for e in session.scalars(select(Entry))}


def findings(services: Services, entry: Entry | None = None, *, open_only: bool = True) -> list[FindingRow]:
    with services.store.session() as session:
        query = select(FindingRow).where(FindingRow.stage == "harvest")
        if entry is not None:
            query = query.where(FindingRow.entry_id == entry.id)
        if open_only:
            query = query.where(FindingRow.is_open.is_(True))
        return list(session.scalars(query.order_by(FindingRow.id)))


def corrections(services: Services, entry: Entry) -> dict[str, list[tuple[str, str]]]:
    """The entry's open ``value-corrected`` findings as (before, after) per field."""
    out: dict[str, list[tuple[str, str]]] = {}
    for row in findings(services, entry):
        if row.code == "value-corrected":
            before, after = row.message_en.removeprefix("Value corrected automatically: ").rstrip(".").split(" -> ")
            out.setdefault(row.field or "", []).append((before.strip("'"), after.strip("'")))
    return out


# -- one catalog, two syntaxes ---------------------------------------------------------------------------


def test_a_delivered_catalog_is_read_as_a_dcat_literate_person_reads_it(services: Services) -> None:
    report = run_dcat(services, str(DATA / "augsburg.ttl"), city="augsburg", department="STAT", departments=MAPPING)
    assert (report.records, report.created, report.skipped, report.complete) == (4, 4, 0, True)
    found = entries(services)
    assert not [(r.code, r.value) for r in findings(services) if r.code in MISREAD]

    budget = found["Haushaltsplan 2021"]
    assert budget.contact_email == "kaemmerei@augsburg.de"  # <kaemmerei@augsburg.de>, not file:///…/kaemmerei@…
    assert budget.theme == [EU + "data-theme/GOVE"] and budget.frequency == EU + "frequency/IRREG"
    assert budget.license == LIC + "dl-by-de/2.0" and budget.formats == [EU + "file-type/CSV", EU + "file-type/PDF"]
    assert budget.last_updated == "2021-01-28" and budget.department == "STAT"
    assert corrections(services, budget) == {
        "theme": [("http://dcat-ap.de/def/dcatde/1_0/group/verwaltung", "Regierung und öffentlicher Sektor")],
        "last_updated": [("2021-01-28 GMT 01:51:03", "2021-01-28")],
        "license": [("https://www.dcat-ap.de/def/licenses/dl-by-de/2.0", "Datenlizenz Deutschland – Namensnennung – 2.0")],
        "formats": [("text/csv", "CSV"), ("https://www.iana.org/assignments/media-types/application/pdf", "PDF")],
        "frequency": [("http://publications.europa.eu/resource/authority/frequency/IRREGULAR", "unregelmäßig")],
    }

    traffic = found["Verkehrszählstellen"]
    assert traffic.theme == [EU + "data-theme/TRAN"] and traffic.contact_email == "verkehr@augsburg.de"
    assert traffic.formats == [EU + "file-type/WFS_SRVC", EU + "file-type/WMS_SRVC"]
    assert traffic.frequency == EU + "frequency/DAILY" and traffic.department == "MTBA"
    assert corrections(services, traffic)["theme"] == [
        ("https://opendata.augsburg.de/kategorie/transport-und-verkehr", "Verkehr")]
    assert corrections(services, traffic)["formats"] == [
        ("http://publications.europa.eu/resource/authority/file-type/WFS", "WFS"),
        ("http://publications.europa.eu/resource/authority/file-type/WMS", "WMS")]

    zone = found["Umweltzone"]
    assert zone.theme == [EU + "data-theme/ENVI"] and zone.formats == [EU + "file-type/GEOJSON"]
    assert corrections(services, zone)["formats"] == [("https://opendata.augsburg.de/files/umweltzone.geojson", "GeoJSON")]
    unmapped = [r for r in findings(services, zone) if r.code == "category-unmapped"]
    assert [(r.value, r.severity) for r in unmapped] == [("http://dcat-ap.de/def/dcatde/1_0/group/geo", "info")]

    clean = found["Bevölkerung nach Stadtbezirken"]
    assert findings(services, clean) == []  # clean DCAT-AP.de needs no reading at all
    assert report.findings == {"value-corrected": 12, "category-unmapped": 1}


def test_both_syntaxes_of_one_catalog_create_nothing_twice(services: Services) -> None:
    first = run_dcat(services, str(DATA / "augsburg.ttl"), city="augsburg", department="STAT")
    versions, rows = count(services.store, EntryVersion), count(services.store, FindingRow)
    second = run_dcat(services, str(DATA / "augsburg.rdf"), city="augsburg", department="STAT")
    assert (first.created, second.created, second.records) == (4, 0, 4)
    assert (second.merged, second.duplicates, second.unchanged, second.updated) == (4, 0, 4, 0)
    assert count(services.store, Entry) == 4
    assert (count(services.store, EntryVersion), count(services.store, FindingRow)) == (versions, rows)
    ttl = (DATA / "augsburg.ttl").resolve().as_uri()
    assert {e.remote_source for e in entries(services).values()} == {ttl}  # each entry stays with its source
    again = run_dcat(services, str(DATA / "augsburg.ttl"), city="augsburg", department="STAT")
    assert (again.unchanged, again.merged, again.created) == (4, 0, 0)
    again_rdf = run_dcat(services, str(DATA / "augsburg.rdf"), city="augsburg", department="STAT")
    assert (again_rdf.unchanged, again_rdf.merged, again_rdf.created) == (4, 4, 0)
    assert (count(services.store, EntryVersion), count(services.store, FindingRow)) == (versions, rows)
    with services.store.session() as session:  # the dataset IRIs and dct:identifiers that name the entries
        keys = set(session.scalars(select(EntryKey.key)))
    assert {"http://opendata.augsburg.de/dataset/umweltzone", "umweltzone-augsburg",
            "a3f1c2d4-5b6e-4f70-8a9b-0c1d2e3f4a5b"} <= keys


def test_a_second_source_that_disagrees_is_reported_naming_both(services: Services, tmp_path: Path) -> None:
    run_dcat(services, str(DATA / "augsburg.ttl"), city="augsburg", department="STAT")
    mirror = tmp_path / "mirror.ttl"
    text = (DATA / "augsburg.ttl").read_text(encoding="utf-8")
    mirror.write_text(text.replace('dct:title "Umweltzone"@de ;', 'dct:title "Umweltzone Augsburg"@de ;', 1)
                      .replace("frequency/ANNUAL> ;\n    dct:temporal", "frequency/MONTHLY> ;\n    dct:temporal"),
                      encoding="utf-8")
    report = run_dcat(services, str(mirror), city="augsburg", department="STAT")
    assert (report.created, report.merged, report.duplicates) == (0, 4, 1)
    zone = entries(services)["Umweltzone"]  # the first source's values stay
    assert zone.frequency == EU + "frequency/ANNUAL"
    [duplicate] = [r for r in findings(services, zone) if r.code == "duplicate-across-sources"]
    assert duplicate.severity == "warning" and duplicate.value == "https://opendata.augsburg.de/dataset/umweltzone"
    assert mirror.resolve().as_uri() in duplicate.message and (DATA / "augsburg.ttl").resolve().as_uri() in duplicate.message
    assert "„Titel des Datenbestands“, „Aktualisierung“" in duplicate.message
    assert report.examples["duplicate-across-sources"][0]["identifier"] == zone.identifier
    # the first source's own findings on the entry are untouched
    assert "category-unmapped" in {r.code for r in findings(services, zone)}
    rows = count(services.store, FindingRow)
    again = run_dcat(services, str(mirror), city="augsburg", department="STAT")
    assert again.duplicates == 1 and count(services.store, FindingRow) == rows  # reported once, not every run
    mirror.write_text(text, encoding="utf-8")  # the mirror agrees again: the finding is closed
    agreed = run_dcat(services, str(mirror), city="augsburg", department="STAT")
    assert agreed.duplicates == 0
    assert "duplicate-across-sources" not in {r.code for r in findings(services, zone)}
    assert "category-unmapped" in {r.code for r in findings(services, zone)}


def _record(remote_id: str, **raw: Any) -> HarvestedRecord:
    values: dict[str, Any] = {
        "title": "Baumkataster",
        "description": "Standorte, Arten und Pflanzjahre der städtischen Bäume an Straßen und in Grünanlagen.",
        "theme": "Umwelt", "frequency": "monatlich", "license": "dl-by-de/2.0", "access_rights": "öffentlich",
        "contact_email": "baum@augsburg.de",
    }
    values.update(raw)
    return HarvestedRecord(remote_id, {k: v for k, v in values.items() if v is not None},
                           keys=("https://opendata.augsburg.de/dataset/baumkataster",), organization="agnf")


def test_a_second_source_fills_what_the_first_leaves_empty(services: Services) -> None:
    store, org = services.store, services.organisation
    portal = HarvestTarget(source="https://opendata.augsburg.de", kind="ckan", city="augsburg", department="AGNF")
    catalog = HarvestTarget(source="https://geoportal.augsburg.de/csw", kind="dcat", city="augsburg", department="AGNF")
    harvest_records(store, org, portal, [[_record("pkg-1")]])
    filled = harvest_records(store, org, catalog, [[_record("https://geoportal/ds/1", keywords="Bäume; Grün")]])
    assert (filled.merged, filled.updated, filled.created, filled.duplicates) == (1, 1, 0, 0)
    [tree] = entries(services).values()
    assert tree.keywords == ["Bäume", "Grün"] and tree.remote_source == portal.source and tree.version == 2
    # the portal's next runs keep what the catalog filled in: no versions back and forth
    again = harvest_records(store, org, portal, [[_record("pkg-1")]])
    assert (again.unchanged, again.updated) == (1, 0)
    changed = harvest_records(store, org, portal, [[_record("pkg-1", title="Baumkataster der Stadt")]])
    assert changed.updated == 1
    [tree] = entries(services).values()
    assert tree.title == "Baumkataster der Stadt" and tree.keywords == ["Bäume", "Grün"]
    renamed = {"title": "Baumkataster der Stadt"}
    same = harvest_records(store, org, catalog, [[_record("https://geoportal/ds/1", keywords="Bäume; Grün", **renamed)]])
    assert (same.unchanged, same.duplicates) == (1, 0)
    # the catalog's keywords change: its filled value follows, still without a disagreement
    moved = harvest_records(store, org, catalog, [[_record("https://geoportal/ds/1", keywords="Bäume", **renamed)]])
    assert (moved.updated, moved.duplicates) == (1, 0)
    assert next(iter(entries(services).values())).keywords == ["Bäume"]
    assert count(store, Entry) == 1


def test_gone_from_the_first_source_the_second_takes_the_entry_over(services: Services) -> None:
    store, org = services.store, services.organisation
    portal = HarvestTarget(source="https://opendata.augsburg.de", kind="ckan", city="augsburg", department="AGNF")
    catalog = HarvestTarget(source="https://geoportal.augsburg.de/csw", kind="dcat", city="augsburg", department="AGNF")
    harvest_records(store, org, portal, [[_record("pkg-1")]])
    harvest_records(store, org, catalog, [[_record("https://geoportal/ds/1")]])
    gone = harvest_records(store, org, portal, [[]])
    assert len(gone.gone) == 1
    taken = harvest_records(store, org, catalog, [[_record("https://geoportal/ds/1")]])
    assert taken.returned == 1 and taken.created == 0
    [tree] = entries(services).values()
    assert tree.gone_at is None and (tree.remote_source, tree.remote_id) == (catalog.source, "https://geoportal/ds/1")


def test_two_datasets_of_one_source_with_the_same_identifier_stay_two(services: Services) -> None:
    target = HarvestTarget(source="https://opendata.augsburg.de", kind="dcat", city="augsburg", department="AGNF")
    one = HarvestedRecord("https://x/ds/1", {"title": "Eins"}, keys=("https://x/ds/1", "gemeinsame-kennung"))
    two = HarvestedRecord("https://x/ds/2", {"title": "Zwei"}, keys=("https://x/ds/2", "gemeinsame-kennung"))
    harvest_records(services.store, services.organisation, target, [[one]])
    report = harvest_records(services.store, services.organisation, target, [[one, two]])
    assert report.created == 1 and count(services.store, Entry) == 2


# -- dates and the traceback -------------------------------------------------------------------------------


def test_an_invalid_datetime_is_a_finding_and_no_traceback(caplog: pytest.LogCaptureFixture,
                                                            capfd: pytest.CaptureFixture[str]) -> None:
    body = (b'@prefix dct: <http://purl.org/dc/terms/> . @prefix dcat: <http://www.w3.org/ns/dcat#> .\n'
            b'@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n'
            b'<https://x.de/ds/1> a dcat:Dataset ; dct:title "A" ; dct:modified "2021-01-28 GMT 01:51:03"^^xsd:dateTime .\n'
            b'<https://x.de/ds/2> a dcat:Dataset ; dct:title "B" ; dct:modified "gestern"^^xsd:dateTime .\n')
    with caplog.at_level(logging.DEBUG):
        graph = parse_page(body, location="file:///tmp/catalog.ttl")
        records, _skipped = dataset_records(graph, city=AUGSBURG)
    assert "Traceback" not in capfd.readouterr().err and not [r for r in caplog.records if r.name == "rdflib.term"]
    first, second = sorted(records, key=lambda r: r.remote_id)
    assert first.raw["last_updated"].isoformat() == "2021-01-28"
    assert [(f.code, f.params["before"], f.params["after"]) for f in first.findings] == [
        ("value-corrected", "2021-01-28 GMT 01:51:03", "2021-01-28")]
    assert second.raw["last_updated"] == "gestern" and second.findings == ()  # normalisation reports it


def test_the_command_shows_a_report_and_no_traceback(cli_env: dict[str, str]) -> None:
    done = subprocess.run([sys.executable, "-m", "flows", "harvest", "dcat", str(DATA / "augsburg.rdf"), "--city",
                           "augsburg", "--department", "STAT", "--no-validate"],
                          capture_output=True, text=True, env={**cli_env, "COLUMNS": "200"}, timeout=180, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "Failed to convert" not in done.stderr
    out = done.stdout
    for heading in ("read", "created", "updated", "unchanged", "merged", "gone"):
        assert heading in out
    assert "findings of" in out and "value-corrected" in out and "category-unmapped" in out
    assert "„Haushaltsplan 2021“: Value corrected automatically:" in out  # examples of different datasets
    assert "„Verkehrszählstellen“: Value corrected automatically:" in out


# -- CKAN portals as they deliver -------------------------------------------------------------------------


def _packages() -> dict[str, dict[str, Any]]:
    dkan = search_results(json.loads((DATA / "dkan-package-search.json").read_text(encoding="utf-8"))["result"])
    others = [json.loads((DATA / f).read_text(encoding="utf-8"))
              for f in ("fluent-package.json", "wrongly-typed-package.json")]
    return {p["name"]: p for p in [*dkan, *others]}


def _no_python_forms(record: HarvestedRecord) -> None:
    shown = [*map(str, record.raw.values()), *(f.message for f in record.findings), *(f.message_en for f in record.findings)]
    assert not [s for s in shown if "{'" in s or "['" in s or "[\"" in s], shown


def test_search_results_in_every_shape() -> None:
    packages = [{"id": "a"}, {"id": "b"}]
    assert search_results({"count": 2, "results": packages}) == packages
    assert search_results([{"count": 2, "results": packages}]) == packages  # DKAN
    assert search_results(packages) == packages  # DKAN's package lists
    assert search_results(None) == [] and search_results("Fehler") == []


def test_ckan_packages_as_portals_deliver_them() -> None:
    portal = "https://opendata.augsburg.de"
    packages = _packages()
    plans = package_record(packages["bebauungsplaene"], portal=portal, city=AUGSBURG)
    _no_python_forms(plans)
    assert plans.organization == "stadtplanungsamt" and plans.organization_title is None  # no title: no crash
    assert plans.raw["frequency"] == "http://purl.org/cld/freq/monthly"  # a JSON string in an extra
    assert plans.raw["attribution"] == "Stadt Augsburg, Stadtplanungsamt"
    assert plans.raw["formats"] == f"{EU}file-type/ZIP; application/pdf"  # no format: the URL's; then mimetype
    assert [(f.params["before"], f.params["after"]) for f in plans.findings] == [
        ("https://opendata.augsburg.de/files/bebauungsplaene.zip", "ZIP")]
    assert identity_key("https://opendata.augsburg.de/dataset/bebauungsplaene") in plans.keys  # extra "uri"

    parking = package_record(packages["parkhaeuser"], portal=portal, city=AUGSBURG)
    assert (parking.organization, parking.organization_title) == ("Tiefbauamt", "Tiefbauamt")  # a title only
    assert parking.raw["theme"] == EU + "data-theme/TRAN" and parking.raw["contact_email"] == "tiefbauamt@augsburg.de"

    trees = package_record(packages["baumkataster"], portal=portal, city=AUGSBURG)
    _no_python_forms(trees)
    assert trees.raw["title"] == "Baumkataster" and trees.raw["description"].startswith("Standorte, Arten")
    assert trees.raw["keywords"] == "Bäume; Grünflächen" and trees.organization_title == "Amt für Grünordnung"
    assert trees.raw["attribution"] == "Stadt Augsburg, Amt für Grünordnung" and trees.raw["theme"] == EU + "data-theme/ENVI"

    wrong = package_record(packages["wahlbezirke"], portal=portal, city=AUGSBURG)
    _no_python_forms(wrong)
    assert "title" not in wrong.raw and "frequency" not in wrong.raw  # not the list's or the dict's Python form
    assert wrong.raw["contact_email"] == "wahlamt@augsburg.de"  # a list of one address is that address
    problems = {f.field: (f.severity, f.value) for f in wrong.findings if f.code == "value-wrong-type"}
    assert problems == {"title": ("error", "Wahlbezirke; Stimmbezirke 2024"), "frequency": ("warning", "interval: P4Y")}


class DkanHandler(BaseHTTPRequestHandler):
    """A DKAN-style action API: ``package_search`` answers with a list."""

    calls: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.calls.append(self.path)
        if not self.path.startswith(("/api/3/action/package_search", "/api/action/package_search")):
            self.send_error(404)
            return
        body = (DATA / "dkan-package-search.json").read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: Any) -> None:
        return None


@pytest.fixture(name="dkan")
def dkan_fixture() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), DkanHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.mark.timeout(60)
def test_a_dkan_portal_is_harvested(services: Services, dkan: str) -> None:
    report = run_ckan(services, dkan, city="augsburg", department="STAT",
                      departments={"stadtplanungsamt": "STPLA", "Tiefbauamt": "MTBA"})
    assert (report.records, report.created) == (2, 2)
    found = entries(services)
    assert found["Bebauungspläne"].department == "STPLA" and found["Parkhäuser und Tiefgaragen"].department == "MTBA"
    parking = found["Parkhäuser und Tiefgaragen"]
    assert parking.formats == [EU + "file-type/WFS_SRVC", EU + "file-type/JSON"]
    assert parking.frequency == EU + "frequency/IRREG" and parking.license == LIC + "dl-zero-de/2.0"
    assert found["Bebauungspläne"].frequency == EU + "frequency/MONTHLY"
    assert not [(r.code, r.value) for r in findings(services) if r.code in MISREAD]
    again = run_ckan(services, dkan, city="augsburg", department="STAT", full=True,
                     departments={"stadtplanungsamt": "STPLA", "Tiefbauamt": "MTBA"})
    assert (again.unchanged, again.created) == (2, 0)


def test_a_catalog_and_the_portal_behind_it_make_one_entry(services: Services, dkan: str, tmp_path: Path) -> None:
    """ckanext-dcat names a package's dataset ``<portal>/dataset/<id>``: the DCAT view of a portal and the portal
    itself are one dataset each."""
    run_ckan(services, dkan, city="augsburg", department="STAT")
    catalog = tmp_path / "catalog.ttl"
    catalog.write_text(
        "@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .\n"
        f"<{dkan}/dataset/6f1d2c3b-4a59-4e68-9d70-8b9aa0b1c2d3> a dcat:Dataset ;\n"
        '  dct:title "Bebauungspläne"@de ; dcat:keyword "Bauleitplanung"@de, "Bebauungsplan"@de ;\n'
        "  dct:accrualPeriodicity <http://publications.europa.eu/resource/authority/frequency/MONTHLY> .\n",
        encoding="utf-8")
    versions = count(services.store, EntryVersion)
    report = run_dcat(services, str(catalog), city="augsburg", department="STAT")
    assert (report.created, report.merged, report.duplicates, report.unchanged) == (0, 1, 0, 1)
    assert count(services.store, Entry) == 2 and count(services.store, EntryVersion) == versions
    assert entries(services)["Bebauungspläne"].remote_source == dkan


# -- the report --------------------------------------------------------------------------------------------


def test_the_report_groups_findings_with_three_examples(services: Services, tmp_path: Path) -> None:
    catalog = tmp_path / "catalog"
    catalog.mkdir()
    shutil.copy(DATA / "augsburg.ttl", catalog / "augsburg.ttl")
    report = run_dcat(services, str(catalog / "augsburg.ttl"), city="augsburg", department="STAT", name="augsburg-dcat")
    summary = report.summary()
    assert summary["findings"]["value-corrected"] == 12
    assert len(summary["examples"]["value-corrected"]) == 3 and len(summary["examples"]["category-unmapped"]) == 1
    example = summary["examples"]["category-unmapped"][0]
    assert example["title"] == "Umweltzone" and example["identifier"].startswith("A-STAT-")
    markdown = report_markdown({"sources": [summary], "failed": [{"name": "kaputt", "error": "HTTP 404"}]})
    assert "| Quelle | gelesen | neu | geändert | unverändert | zusammengeführt | entfernt | übersprungen | Befunde |" in markdown
    assert "| augsburg-dcat | 4 | 4 | 0 | 0 | 0 | 0 | 0 | 13 |" in markdown
    assert "**value-corrected** (12)" in markdown and "**category-unmapped** (1)" in markdown
    assert markdown.count("- A-STAT-") == 4  # three examples of one code, one of the other
    assert "**kaputt: fehlgeschlagen.** HTTP 404" in markdown


def test_reading_helpers() -> None:
    assert email_in_iri("file:///srv/katalog/transparenz@finanzen.bremen.de") == "transparenz@finanzen.bremen.de"
    assert email_in_iri("https://opendata.example.de/catalog/a.b@stadt.de") == "a.b@stadt.de"
    assert email_in_iri("mailto:a@b.de?subject=x") == "a@b.de" and email_in_iri("https://x.de/kontakt") is None
    assert format_of_url("https://x.de/a/Haushalt.XLSX") == EU + "file-type/XLSX"
    assert format_of_url("https://x.de/a.tar.gz") == EU + "file-type/TAR_GZ"
    assert format_of_url("https://x.de/download?id=7") is None and format_of_url("https://x.de/index.php") is None
    assert identity_key("https://Opendata.X.de/dataset/a/") == "http://opendata.x.de/dataset/a"
    assert identity_key("17") is None and identity_key("baum") is None and identity_key("urn:x:1") == "urn:x:1"
    jsonld = b'{"@id": "https://x.de/ds/1", "@type": "http://www.w3.org/ns/dcat#Dataset", ' \
             b'"http://purl.org/dc/terms/title": "A", "http://www.w3.org/ns/dcat#contactPoint": ' \
             b'{"http://www.w3.org/2006/vcard/ns#hasEmail": {"@id": "info@x.de"}}}'
    [record], _ = dataset_records(parse_page(jsonld, location="file:///srv/k/catalog.jsonld"), city=AUGSBURG)
    assert record.raw["contact_email"] == "info@x.de"
