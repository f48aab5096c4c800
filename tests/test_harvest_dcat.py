"""Harvesting DCAT-AP.de catalogs: Turtle, RDF/XML and JSON-LD files, Hydra paging, loops, HTTP.

The fixtures in ``tests/data/harvest`` are one catalog of Nürnberg in three pages, written in each
syntax: ``ttl`` pages like ckanext-dcat (``hydra:PagedCollection``, ``hydra:nextPage`` literals), ``rdf``
and ``jsonld`` pages with ``hydra:PartialCollectionView`` and ``hydra:next``; the RDF/XML catalog's last
page loops back to page 1. The catalog is messy on purpose (free-text frequency, a licence id, a broken
e-mail, a dataset repeated on a later page, one that cannot be recognised again).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from sqlalchemy import select

from catalog.models import Entry, EntryVersion, FindingRow
from catalog.organisation import load_organisation
from connectors.harvest.dcat import DcatSource, next_page, parse_page
from connectors.harvest.http import SourceInvalid, SourceUnavailable
from flows.services import Services
from flows.steps.harvest import harvest_dcat, run_dcat
from tests.factories import count

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "harvest"
FIRST = {"ttl": "ttl/page-1.ttl", "rdf": "rdf/page-1.rdf", "jsonld": "jsonld/page-1.jsonld"}
EU = "http://publications.europa.eu/resource/authority/"
NUERNBERG = load_organisation().city("nuernberg")
MAPPING = {"Servicebetrieb Öffentlicher Raum Nürnberg": "SOER", "Amt für Stadtforschung und Statistik": "STA"}


def entries(services: Services) -> dict[str, Entry]:
    with services.store.session() as session:
        return {e.title or "": e for e in session.scalars(select(Entry))}


def open_codes(services: Services, entry: Entry) -> list[str]:
    with services.store.session() as session:
        return sorted(session.scalars(select(FindingRow.code).where(FindingRow.entry_id == entry.id,
                                                                    FindingRow.is_open.is_(True))))


@pytest.mark.timeout(60)
@pytest.mark.parametrize("syntax", ["ttl", "rdf", "jsonld"])
def test_a_paged_catalog_in_each_syntax(services: Services, syntax: str) -> None:
    report = run_dcat(services, str(DATA / FIRST[syntax]), city="nuernberg", department="ADP", departments=MAPPING)
    assert (report.records, report.created, report.skipped) == (4, 4, 1)  # the tree register counted once
    assert report.complete is (syntax != "rdf")  # the RDF/XML catalog loops back to page 1
    if syntax == "rdf":
        assert report.findings["harvest-incomplete"] == 1
    found = entries(services)
    trees = found["Baumkataster"]
    assert trees.department == "SOER" and trees.city == "nuernberg" and trees.origin == "harvest"
    assert trees.remote_id == "https://opendata.nuernberg.de/dataset/baumkataster"
    assert trees.remote_source == (DATA / FIRST[syntax]).resolve().as_uri()
    assert trees.description and trees.description.startswith("Standorte, Arten")  # the full record, not page 2's
    assert trees.theme == [EU + "data-theme/ENVI"] and trees.keywords == ["Bäume", "Grünflächen"]
    assert trees.contact_name == "Baumkontrolle" and trees.contact_email == "baumkataster@stadt.nuernberg.de"
    assert trees.access_rights == EU + "access-right/PUBLIC" and trees.frequency == EU + "frequency/MONTHLY"
    assert trees.license == "http://dcat-ap.de/def/licenses/dl-by-de/2.0" and trees.attribution == "Stadt Nürnberg, SÖR"
    assert trees.formats == [EU + "file-type/CSV"]
    assert trees.access_url == "https://opendata.nuernberg.de/dataset/baumkataster"
    assert (trees.temporal_start, trees.last_updated) == ("2015-01-01", "2024-05-02")
    assert trees.spatial_scope == "city" and trees.spatial == NUERNBERG.geocoding_uri
    assert trees.remote_modified == "2024-05-02T08:30:00"
    assert open_codes(services, trees) == []  # a clean DCAT-AP.de record needs no correction
    votes = found["Wahlergebnisse nach Stimmbezirken"]
    assert votes.department == "STA"
    assert votes.frequency == EU + "frequency/ANNUAL"
    assert votes.license == "http://dcat-ap.de/def/licenses/dl-by-de/2.0"
    assert votes.formats == [EU + "file-type/XLSX"] and votes.contact_email is None
    assert open_codes(services, votes) == ["invalid-email", "value-corrected", "value-corrected"]
    budget = found["Haushaltsplan der Stadt Nürnberg"]
    assert budget.department == "ADP"  # "Kämmerei" is not mapped: the default department
    assert "department-unmapped" in open_codes(services, budget)
    assert (budget.temporal_start, budget.temporal_end) == ("2020-01-01", "2024-03-31")
    assert budget.frequency == EU + "frequency/IRREG"
    assert budget.formats == [EU + "file-type/PDF", EU + "file-type/XLSX"]  # distributions in a stable order
    stops = found["Haltestellen des Nahverkehrs"]
    assert stops.remote_id == "haltestellen-2024" and stops.frequency == EU + "frequency/WEEKLY"
    with services.store.session() as session:
        skipped = session.scalars(select(FindingRow).where(FindingRow.code == "remote-record-skipped")).one()
        assert skipped.value == "Namenlose Tabelle" and skipped.entry_id is None and skipped.city == "nuernberg"


@pytest.mark.parametrize("syntax", ["ttl", "rdf", "jsonld"])
def test_reading_the_same_catalog_again_writes_nothing(services: Services, syntax: str) -> None:
    first = run_dcat(services, str(DATA / FIRST[syntax]), city="nuernberg", department="ADP")
    versions = count(services.store, EntryVersion)
    for _ in range(3):  # blank nodes get new ids on every parse: the records must not depend on them
        again = run_dcat(services, str(DATA / FIRST[syntax]), city="nuernberg", department="ADP")
        assert (again.unchanged, again.updated, again.created) == (first.created, 0, 0)
    assert count(services.store, EntryVersion) == versions


def test_all_syntaxes_yield_the_same_records() -> None:
    def read(syntax: str) -> list[tuple[str, dict[str, Any]]]:
        source = DcatSource(str(DATA / FIRST[syntax]), city=NUERNBERG)
        return sorted(((r.remote_id, dict(r.raw)) for page in source.pages() for r in page), key=repr)

    turtle = read("ttl")
    assert len(turtle) == 5  # 2 + 2 + 1 (the nameless one is skipped); the repeated one counts per page here
    assert read("rdf") == turtle == read("jsonld")


def test_a_second_harvest_writes_nothing_and_a_removed_dataset_is_gone(services: Services, tmp_path: Path) -> None:
    catalog = tmp_path / "catalog"
    shutil.copytree(DATA / "ttl", catalog)
    run_dcat(services, str(catalog / "page-1.ttl"), city="nuernberg", department="ADP")
    versions, findings = count(services.store, EntryVersion), count(services.store, FindingRow)
    again = run_dcat(services, str(catalog / "page-1.ttl"), city="nuernberg", department="ADP")
    assert (again.created, again.updated, again.unchanged, again.gone) == (0, 0, 4, [])
    assert count(services.store, EntryVersion) == versions
    assert count(services.store, FindingRow) == findings  # the skipped dataset's finding stays, not repeated
    assert again.findings == {"remote-record-skipped": 1}  # ... and is still reported
    page2 = catalog / "page-2.ttl"
    text = page2.read_text(encoding="utf-8")
    page2.write_text(text[: text.index("<https://opendata.nuernberg.de/dataset/haushaltsplan>")] + text[text.index(
        "<https://opendata.nuernberg.de/dataset/baumkataster> a dcat:Dataset ;\n    dct:title \"Baumkataster\"@de ."):],
        encoding="utf-8")
    gone = run_dcat(services, str(catalog / "page-1.ttl"), city="nuernberg", department="ADP")
    budget = entries(services)["Haushaltsplan der Stadt Nürnberg"]
    assert gone.gone == [budget.identifier] and budget.gone_at is not None
    assert open_codes(services, budget) == ["remote-gone"]


def test_the_loop_and_the_page_limit_stop_the_read(services: Services) -> None:
    source = DcatSource(str(DATA / FIRST["rdf"]), city=NUERNBERG)
    assert sum(len(p) for p in source.pages()) == 5 and source.pages_read == 3
    assert source.incomplete and "page-1.rdf" in source.incomplete[0]
    limited = DcatSource(str(DATA / FIRST["ttl"]), city=NUERNBERG, max_pages=2)
    assert len(list(limited.pages())) == 2 and limited.incomplete == ("more than 2 pages", "mehr als 2 Seiten")
    report = run_dcat(services, str(DATA / FIRST["ttl"]), city="nuernberg", department="ADP", max_pages=2)
    assert not report.complete and report.records == 3


def test_next_page_forms() -> None:
    graph = parse_page((DATA / "ttl" / "page-2.ttl").read_bytes(), location=(DATA / "ttl" / "page-2.ttl").as_uri())
    assert next_page(graph) == "page-3.ttl"  # a literal, resolved against the page by the reader
    graph = parse_page((DATA / "jsonld" / "page-1.jsonld").read_bytes(),
                       location=(DATA / "jsonld" / "page-1.jsonld").as_uri())
    assert next_page(graph) == (DATA / "jsonld" / "page-2.jsonld").as_uri()
    assert next_page(parse_page((DATA / "ttl" / "page-3.ttl").read_bytes(), location="file:///x.ttl")) is None


def test_files_that_are_no_catalog(services: Services, tmp_path: Path) -> None:
    broken = tmp_path / "catalog.ttl"
    broken.write_text("this is @prefix not turtle <<<", encoding="utf-8")
    with pytest.raises(SourceInvalid, match="no RDF catalog"):
        run_dcat(services, str(broken), city="nuernberg", department="ADP")
    with pytest.raises(FileNotFoundError):
        run_dcat(services, str(tmp_path / "missing.ttl"), city="nuernberg", department="ADP")


# -- over HTTP ---------------------------------------------------------------------------------------------


class CatalogHandler(SimpleHTTPRequestHandler):
    """Serves tests/data/harvest; ``/flaky/...`` fails once with 503 first; ``/foreign.ttl`` links to a file."""

    failed: ClassVar[set[str]] = set()
    requests: ClassVar[list[str]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, directory=str(DATA), **kwargs)

    def log_message(self, *_args: Any) -> None:
        return None

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        if self.path.startswith("/flaky/"):
            if self.path not in self.failed:
                self.failed.add(self.path)
                self.send_error(503, "try again")
                return
            self.path = self.path[len("/flaky"):]
        if self.path == "/foreign.ttl":
            body = (b"@prefix hydra: <http://www.w3.org/ns/hydra/core#> .\n"
                    b"<foreign.ttl> a hydra:PagedCollection ; hydra:nextPage \"file:///etc/hostname\" .\n")
            self.send_response(200)
            self.send_header("Content-Type", "text/turtle")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()


@pytest.fixture(scope="module")
def catalog_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), CatalogHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.mark.timeout(60)
def test_a_catalog_over_http_with_a_retry_and_a_loop(services: Services, catalog_server: str) -> None:
    report = run_dcat(services, f"{catalog_server}/flaky/ttl/page-1.ttl", city="nuernberg", department="ADP")
    assert (report.records, report.complete) == (4, True)
    assert CatalogHandler.requests.count("/flaky/ttl/page-1.ttl") == 2  # 503 once, then read
    assert entries(services)["Baumkataster"].remote_source == f"{catalog_server}/flaky/ttl/page-1.ttl"
    looped = run_dcat(services, f"{catalog_server}/jsonld/page-1.jsonld", city="nuernberg", department="ADP")
    assert looped.complete and looped.records == 4
    loop = run_dcat(services, f"{catalog_server}/rdf/page-1.rdf", city="nuernberg", department="ADP")
    assert not loop.complete and loop.records == 4


def test_a_web_catalog_cannot_lead_into_local_files(services: Services, catalog_server: str) -> None:
    source = DcatSource(f"{catalog_server}/foreign.ttl", city=NUERNBERG)
    assert list(source.pages()) == [[]]
    assert source.incomplete and "file:///etc/hostname" in source.incomplete[0]


def test_unreachable_and_missing_catalogs(services: Services, catalog_server: str) -> None:
    with pytest.raises(SourceUnavailable, match="HTTP 404"):
        run_dcat(services, f"{catalog_server}/nothing-here.ttl", city="nuernberg", department="ADP")
    closed = _closed_port()
    with pytest.raises(SourceUnavailable, match="did not answer after 3 attempts"):
        run_dcat(services, f"http://127.0.0.1:{closed}/catalog.ttl", city="nuernberg", department="ADP")


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- the command line --------------------------------------------------------------------------------------


def inventur(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flows", *args], capture_output=True, text=True, env=env,
                          timeout=180, cwd=ROOT)


def test_cli_dcat_exit_codes(cli_env: dict[str, str], tmp_path: Path) -> None:
    import json

    done = inventur(cli_env, "harvest", "dcat", str(DATA / FIRST["jsonld"]), "--city", "nuernberg",
                    "--department", "ADP", "--format", "json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["sources"][0]["created"] == 4 and summary["validation"]["checked"] == 4
    again = inventur(cli_env, "harvest", "dcat", str(DATA / FIRST["jsonld"]), "--city", "nuernberg",
                     "--department", "ADP", "--format", "json")
    assert json.loads(again.stdout)["validation"] is None  # nothing changed: nothing to validate
    table = inventur(cli_env, "harvest", "dcat", str(DATA / FIRST["ttl"]), "--city", "nuernberg", "--department",
                     "ADP", "--no-validate")
    assert table.returncode == 0 and "harvest" in table.stdout
    missing = inventur(cli_env, "harvest", "dcat", str(tmp_path / "nope.ttl"), "--city", "nuernberg")
    assert missing.returncode == 2 and "no catalog file" in missing.stderr
    broken = tmp_path / "broken.jsonld"
    broken.write_text("{not json", encoding="utf-8")
    assert inventur(cli_env, "harvest", "dcat", str(broken), "--city", "nuernberg").returncode == 2
    unknown = inventur(cli_env, "harvest", "dcat", str(DATA / FIRST["ttl"]), "--city", "nuernberg", "--department", "XYZ")
    assert unknown.returncode == 2 and "XYZ" in unknown.stderr
    down = inventur({**cli_env, "INVENTUR_HTTP_TIMEOUT": "2"}, "harvest", "dcat",
                    f"http://127.0.0.1:{_closed_port()}/catalog.ttl", "--city", "nuernberg")
    assert down.returncode == 4 and "did not answer" in down.stderr


def test_harvest_step_validates_afterwards(services: Services) -> None:
    summary = harvest_dcat(services, str(DATA / FIRST["ttl"]), city="nuernberg", department="ADP")
    assert summary["validation"]["checked"] == 4 and summary["failed"] == []
    with services.store.session() as session:
        states = {e.title: e.status for e in session.scalars(select(Entry))}
        validated = session.scalars(select(FindingRow.code).where(FindingRow.stage == "validate")).all()
    assert set(states.values()) <= {"needs_changes", "ready"} and "missing-required" in validated
