"""The list of protected data (Data Governance Act, Art. 8): a campaign of real workbooks with restricted and
non-public holdings, reviewed with `review admit`/`exclude`, exported with `dcat export --scope protected`:
only what the review admitted, never a download URL, never a URL of the data, never a person's contact, and
valid under both DCAT-AP.de profiles."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from rdflib import Graph, Literal, Namespace, URIRef

from catalog.dcat.shacl import validate
from catalog.fields import FIELDS
from catalog.inventory import Source, entry_record, iter_entries, open_findings, save_entry
from catalog.organisation import load_organisation
from catalog.protected import admit, listed_record, listing_blockers, protected_records
from catalog.review.decisions import find_entry
from flows.services import Services
from flows.settings import Settings
from flows.steps.inventory import build_surveys, collect
from tests.official_shapes import dcat_ap_de_dir

DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
RDF = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
DCATDE = Namespace("http://dcat-ap.de/def/dcatde/")
DCATAP = Namespace("http://data.europa.eu/r5r/")

ROOT = Path(__file__).resolve().parents[1]
CAMPAIGN = "2027-dga"
COL = {f.key: f.column for f in FIELDS}
EU = "http://publications.europa.eu/resource/authority/"
BASE = "https://opendata.example.org"
REQUEST_PAGE = "https://www.augsburg.de/weiterverwendung"
DGA = URIRef("http://data.europa.eu/eli/reg/2022/868/oj")
PERSON = ("Erika Muster", "erika.muster@augsburg.de")
INTERNAL = "intranet.augsburg.de"


def holding(title: str, **over: Any) -> dict[str, Any]:
    """A restricted holding as a department describes it, with a person as contact and internal URLs."""
    slug = title.split()[0].lower()
    row: dict[str, Any] = {
        "title": title,
        "description": f"{title}: Bestand der Stadtverwaltung, nur für den Dienstgebrauch geführt.",
        "theme": "Bevölkerung und Gesellschaft",
        "keywords": "Verwaltung; geschützt",
        "contact_name": PERSON[0],
        "contact_email": PERSON[1],
        "personal_data": "nein",
        "third_party_rights": "nein",
        "access_rights": "eingeschränkt",
        "restriction_reason": "Statistikgeheimnis",
        "formats": "CSV; XLSX",
        "access_url": f"https://{INTERNAL}/{slug}/daten.csv",
        "frequency": "jährlich",
        "spatial": "Stadtbezirke / Stadtteile",
        "publish_proposal": "nein",
        "download_url": f"https://{INTERNAL}/{slug}/gesamt.zip",
        "api_url": f"https://{INTERNAL}/api/{slug}",
        "legal_basis": "§ 16 BStatG",
        "reuse_conditions": "nur für wissenschaftliche Zwecke, auf schriftlichen Antrag",
        "protected_listing": "ja",
    }
    row.update(over)
    return row


ROWS = [
    holding("Mikrodaten Bürgerumfrage"),  # admitted
    holding("Melderegister Auszüge", access_rights="nicht öffentlich", personal_data="ja", legal_basis="Art. 6 DSGVO; § 34 BMG",
            restriction_reason="Datenschutz", reuse_conditions=None),  # personal data: described, admitted
    holding("Schutzbedürftige Einrichtungen", access_rights="nicht öffentlich", protected_listing="nein",
            restriction_reason="öffentliche Sicherheit"),  # the department refused a listing: blocked
    holding("Kostenrechnung Ämter", protected_listing=None),  # never decided: not listed
    holding("Gewerbesteuer Einzelfälle", legal_basis="§ 30 AO"),  # admitted, then excluded
    holding("Baumkataster", access_rights="öffentlich", restriction_reason=None, legal_basis=None,
            license="Datenlizenz Deutschland – Zero – 2.0", publish_proposal="ja"),  # public: blocked
    holding("Fehlerhafter Bestand", restriction_reason=None),  # an open error: blocked
    holding("Sozialleistungen Statistik", legal_basis="§ 35 SGB I"),  # admitted, then changed: needs a new decision
]
ADMITTED = {"Mikrodaten Bürgerumfrage", "Melderegister Auszüge"}


def fill(src: Path, rows: list[dict[str, Any]], dest: Path) -> Path:
    workbook = openpyxl.load_workbook(src)
    sheet = workbook["Datenbestände"]
    for offset, row in enumerate(rows):
        for key, value in row.items():
            sheet[f"{COL[key]}{2 + offset}"] = value
    dest.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(dest)
    return dest


def cli(services: Services, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("INVENTUR_")}
    environment.update(COLUMNS="220", INVENTUR_DATABASE_URL=services.settings.database_url,
                       INVENTUR_DATA_DIR=str(services.settings.data_dir))
    return subprocess.run([sys.executable, "-m", "flows", *args], capture_output=True, text=True, env=environment,
                          timeout=300, cwd=ROOT)


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Services, dict[str, str]]]:
    """Two cities' returns collected and validated; the review's decisions taken through the command line."""
    tmp = tmp_path_factory.mktemp("dga")
    settings = Settings(database_url=f"sqlite:///{tmp / 'inventur.db'}", data_dir=tmp / "data",  # type: ignore[arg-type]
                        secret_augsburg="geheim-augsburg", secret_muenchen="geheim-muenchen")
    services = Services(settings)
    share = Path(settings.share_location)
    returns = {("augsburg", "STAT"): ROWS,
               ("muenchen", "KVR"): [holding("Gaststättenkontrollen", contact_email="kontrolle.kvr@muenchen.de",
                                             legal_basis="§ 2 GeschGehG")]}
    for (city, dept), rows in returns.items():
        build_surveys(services, city=city, department=dept, campaign=CAMPAIGN, distribute=True)
        blank = share / city / dept / "outbox" / f"{city}_{dept}_{CAMPAIGN}.xlsx"
        fill(blank, rows, share / city / dept / "inbox" / "antwort.xlsx")
    assert collect(services, from_share=True).totals["read"] == 2
    with services.store.session() as session:
        ids = {e.title or "": e.identifier for e in iter_entries(session)}
    yield services, ids
    services.close()


@pytest.fixture(scope="module")
def decided(campaign: tuple[Services, dict[str, str]]) -> tuple[Services, dict[str, str], dict[str, Any]]:
    services, ids = campaign
    outcomes: dict[str, Any] = {}
    admitted = cli(services, "review", "admit", *(ids[t] for t in (*ADMITTED, "Gewerbesteuer Einzelfälle",
                                                                      "Sozialleistungen Statistik", "Gaststättenkontrollen")),
                   "--by", "Erika Muster")
    outcomes["admit"] = admitted
    outcomes["refused"] = cli(services, "review", "admit", ids["Schutzbedürftige Einrichtungen"], ids["Baumkataster"],
                              ids["Fehlerhafter Bestand"], "--by", "Erika Muster")
    outcomes["exclude"] = cli(services, "review", "exclude", ids["Gewerbesteuer Einzelfälle"], "--by", "Max Mustermann",
                              "--comment", "Einzelfälle lassen Rückschlüsse auf Betriebe zu")
    outcomes["exclude-no-comment"] = cli(services, "review", "exclude", ids["Kostenrechnung Ämter"], "--by", "M. M.")
    outcomes["again"] = cli(services, "review", "admit", ids["Mikrodaten Bürgerumfrage"], "--by", "Erika Muster")
    # a change after the decision: the entry needs a new one (as an approval does)
    org = load_organisation()
    with services.store.session() as session:
        entry = find_entry(session, ids["Sozialleistungen Statistik"])
        values = {**entry_record(entry), "spatial_scope": entry.spatial_scope,
                  "description": "Sozialleistungen nach Art und Stadtbezirk, neu gegliedert."}
        save_entry(session, values, identifier=entry.identifier, city="augsburg", department="STAT", organisation=org,
                   source=Source("survey", "korrektur.xlsx"))
    return services, ids, outcomes


def test_review_decides_with_the_hard_rules(decided: tuple[Services, dict[str, str], dict[str, Any]]) -> None:
    services, ids, outcomes = decided
    assert outcomes["admit"].returncode == 0, outcomes["admit"].stderr
    refused = outcomes["refused"]
    assert refused.returncode == 1
    assert f"{ids['Schutzbedürftige Einrichtungen']}: listing refused by a hard rule" in refused.stderr
    assert "listing-refused" in refused.stderr and "not-restricted" in refused.stderr and "open-errors" in refused.stderr
    assert "nicht ins Verzeichnis" in refused.stderr and "3 of 3 refused" in refused.stderr
    assert outcomes["exclude"].returncode == 0 and "exclude-protected" in outcomes["exclude"].stdout
    assert outcomes["exclude-no-comment"].returncode == 2
    assert "unchanged, already admitted" in outcomes["again"].stdout

    listing = cli(services, "review", "protected", "--format", "jsonl")
    assert listing.returncode == 0, listing.stderr
    states = {r["title"]: (r["listing"], r["blockers"]) for r in map(json.loads, listing.stdout.splitlines())}
    assert states == {
        "Mikrodaten Bürgerumfrage": ("admitted", []),
        "Melderegister Auszüge": ("admitted", []),
        "Schutzbedürftige Einrichtungen": ("blocked", ["listing-refused"]),
        "Kostenrechnung Ämter": ("undecided", []),
        "Gewerbesteuer Einzelfälle": ("excluded", []),
        "Fehlerhafter Bestand": ("blocked", ["open-errors"]),
        "Sozialleistungen Statistik": ("undecided", []),
        "Gaststättenkontrollen": ("admitted", []),
    }
    shown = cli(services, "review", "show", ids["Gewerbesteuer Einzelfälle"])
    assert "aus dem Verzeichnis geschützter Daten herausgenommen" in shown.stdout
    with services.store.session() as session:
        assert {(f.identifier, f.code) for f in open_findings(session) if f.code == "restriction-reason-missing"} == {
            (ids["Fehlerhafter Bestand"], "restriction-reason-missing")}


def test_hard_rules_in_the_library(decided: tuple[Services, dict[str, str], dict[str, Any]]) -> None:
    from catalog.protected import ListingRefused

    services, ids, _outcomes = decided
    with services.store.session() as session, pytest.raises(ListingRefused) as refused:
        admit(session, ids["Baumkataster"], "Erika Muster")
    assert refused.value.blockers == ("not-restricted",)
    assert listing_blockers({"access_rights": EU + "access-right/RESTRICTED"}, gone=True) == ["gone"]
    # what the list may carry of an entry: no contact, no URL, no remarks, no open licence that does not apply
    listed = listed_record({"identifier": "x", "contact_name": PERSON[0], "contact_email": PERSON[1],
                            "access_url": "https://x", "download_url": "https://y", "api_url": "https://z",
                            "remarks": "intern", "license": "http://dcat-ap.de/def/licenses/dl-zero-de/2.0"})
    assert not {"contact_name", "contact_email", "access_url", "download_url", "api_url", "remarks"} & set(listed)
    assert listed["license"] is None
    with services.store.session() as session:
        assert {r["title"] for r in protected_records(session)} == {*ADMITTED, "Gaststättenkontrollen"}


@pytest.fixture(scope="module")
def exported(decided: tuple[Services, dict[str, str], dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
             ) -> tuple[Path, Graph, dict[str, str]]:
    services, ids, _outcomes = decided
    out = tmp_path_factory.mktemp("dga-export") / "geschuetzt.ttl"
    done = cli(services, "dcat", "export", "--scope", "protected", "--out", str(out), "--base-uri", BASE,
               "--request-url", REQUEST_PAGE)
    assert done.returncode == 0, done.stderr
    assert "3 datasets written" in done.stderr
    return out, Graph().parse(out), ids


def test_export_holds_only_what_the_review_admitted(exported: tuple[Path, Graph, dict[str, str]]) -> None:
    _out, graph, ids = exported
    datasets = {str(graph.value(ds, DCTERMS.identifier)) for ds in graph.subjects(RDF.type, DCAT.Dataset)}
    assert datasets == {ids[t] for t in (*ADMITTED, "Gaststättenkontrollen")}
    [catalog] = list(graph.subjects(RDF.type, DCAT.Catalog))
    assert str(catalog) == f"{BASE}/catalog/protected"


def test_export_has_no_download_url_and_no_url_of_the_data(exported: tuple[Path, Graph, dict[str, str]]) -> None:
    out, graph, _ids = exported
    assert not list(graph.triples((None, DCAT.downloadURL, None)))
    assert not list(graph.subjects(RDF.type, DCAT.DataService))
    text = out.read_text(encoding="utf-8")
    assert INTERNAL not in text and "muenchen.de/api" not in text
    access = {str(o) for o in graph.objects(None, DCAT.accessURL)}
    assert access == {REQUEST_PAGE}


def test_export_has_no_personal_contact(exported: tuple[Path, Graph, dict[str, str]]) -> None:
    out, graph, ids = exported
    text = out.read_text(encoding="utf-8")
    for personal in (*PERSON, "Erika", "kontrolle.kvr@muenchen.de"):
        assert personal not in text, personal
    contacts = {}
    for ds in graph.subjects(RDF.type, DCAT.Dataset):
        node = graph.value(ds, DCAT.contactPoint)
        contacts[str(graph.value(ds, DCTERMS.identifier))] = (
            str(graph.value(node, VCARD.fn)), graph.value(node, VCARD.hasEmail), graph.value(node, VCARD.hasURL))
    # Augsburg's statistics office has a published functional mailbox; München's KVR none: the request page
    assert contacts[ids["Mikrodaten Bürgerumfrage"]] == (
        "Amt für Statistik und Stadtforschung", URIRef("mailto:statistik@augsburg.de"), None)
    assert contacts[ids["Gaststättenkontrollen"]][1] is None
    assert contacts[ids["Gaststättenkontrollen"]][2] == URIRef(REQUEST_PAGE)


def test_export_carries_access_rights_legal_basis_and_conditions(exported: tuple[Path, Graph, dict[str, str]]) -> None:
    _out, graph, ids = exported
    ds = next(d for d in graph.subjects(RDF.type, DCAT.Dataset)
              if str(graph.value(d, DCTERMS.identifier)) == ids["Mikrodaten Bürgerumfrage"])
    assert graph.value(ds, DCTERMS.accessRights) == URIRef(EU + "access-right/RESTRICTED")
    assert graph.value(ds, DCATDE.legalBasis) == Literal("§ 16 BStatG", lang="de")
    assert graph.value(ds, DCATAP.applicableLegislation) == DGA
    distributions = list(graph.objects(ds, DCAT.distribution))
    assert {str(graph.value(d, DCTERMS["format"])).rsplit("/", 1)[1] for d in distributions} == {"CSV", "XLSX"}
    rights = {graph.value(d, DCTERMS.rights) for d in distributions}
    assert len(rights) == 1
    statement = str(graph.value(rights.pop(), RDFS.label))
    assert "Rechtsgrundlage der Beschränkung: § 16 BStatG." in statement
    assert "nur für wissenschaftliche Zwecke, auf schriftlichen Antrag" in statement
    assert "statistik@augsburg.de" in statement
    assert {graph.value(d, DCTERMS.license) for d in distributions} == {URIRef("http://dcat-ap.de/def/licenses/other-closed")}
    melde = next(d for d in graph.subjects(RDF.type, DCAT.Dataset)
                 if str(graph.value(d, DCTERMS.identifier)) == ids["Melderegister Auszüge"])
    assert graph.value(melde, DCTERMS.accessRights) == URIRef(EU + "access-right/NON_PUBLIC")


@pytest.mark.parametrize("profile", ["shapes-2.0", "shapes-3.0"])
def test_export_validates_under_both_profiles(exported: tuple[Path, Graph, dict[str, str]], profile: str) -> None:
    out, _graph, _ids = exported
    report = validate(out, dcat_ap_de_dir() / profile)
    assert report.violations == 0, report.summary()


def test_export_options_are_checked(decided: tuple[Services, dict[str, str], dict[str, Any]], tmp_path: Path) -> None:
    services, _ids, _outcomes = decided
    out = tmp_path / "x.ttl"
    for args in (("--scope", "protected", "--all-entries"), ("--request-url", REQUEST_PAGE),
                 ("--scope", "protected", "--request-url", "ftp://x")):
        done = cli(services, "dcat", "export", "--out", str(out), *args)
        assert done.returncode == 2 and "Error:" in done.stderr and "Traceback" not in done.stderr, args
    assert cli(services, "dcat", "export", "--out", str(out), "--scope", "protected", "--request-email", "x").returncode == 2
    one_city = cli(services, "dcat", "export", "--scope", "protected", "--city", "muenchen", "--out", str(out),
                   "--request-email", "weiterverwendung@muenchen.de")
    assert one_city.returncode == 0 and "1 datasets written" in one_city.stderr
    graph = Graph().parse(out)
    contacts = {graph.value(c, VCARD.hasEmail) for c in graph.objects(None, DCAT.contactPoint)}
    assert contacts == {URIRef("mailto:weiterverwendung@muenchen.de")}
    assert str(next(graph.subjects(RDF.type, DCAT.Catalog))) == "http://localhost/catalog/protected/muenchen"
