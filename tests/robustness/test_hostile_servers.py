"""Hostile and broken harvest sources, served by a local server built for the test: slow to the byte,
too large (declared, or as a gzip bomb), redirecting in loops or to files, paging forever, expanding
entities, pointing at local files for a JSON-LD context or the next page, a database view that never
ends. Each ends within its bound with a clear error for that source; in one ``inventur harvest sources``
run the good sources are harvested beside them, nothing local is read, peak memory stays under 1 GB.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from catalog.models import Entry, FindingRow
from catalog.organisation import load_organisation
from catalog.store import Store
from connectors.ckan.source import CkanSource
from connectors.harvest.dcat import DcatSource
from connectors.harvest.http import (
    Deadline,
    HttpLimits,
    SourceInvalid,
    SourceUnavailable,
    SourceUnreadable,
)
from connectors.harvest.sql import DatabaseSource
from tests.robustness.hostile_server import Hostile, gzip_bomb, serve
from tests.robustness.measure import run_measured

ROOT = Path(__file__).resolve().parents[2]
NUERNBERG = load_organisation().city("nuernberg")
MARKER = "GEHEIM-0815-nicht-lesen"
LIMITS = HttpLimits(timeout=1.0, deadline=2.0, max_bytes=1024 * 1024, max_redirects=3)
BOUND = 12.0  # seconds any one hostile source may take in these tests (deadline 2 s, retries included)

GOOD_TTL = """@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
<https://opendata.nuernberg.de/dataset/spielplaetze> a dcat:Dataset ;
    dct:title "Spielplätze"@de ; dct:description "Lage und Ausstattung der Spielplätze in Nürnberg."@de .
<https://opendata.nuernberg.de/dataset/brunnen> a dcat:Dataset ;
    dct:title "Brunnen"@de ; dct:description "Zier- und Trinkbrunnen der Stadt mit Standort und Betriebszeiten."@de .
"""
CONTEXT = {"@context": {"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/",
                        "title": {"@id": "dct:title", "@language": "de"}}}


def _many_triples(count: int) -> bytes:
    lines = ["@prefix dct: <http://purl.org/dc/terms/> ."]
    lines += [f"<https://example.org/d/{i}> dct:title \"Datensatz {i}\" ." for i in range(count)]
    return "\n".join(lines).encode()


def _laughs_rdf() -> bytes:
    entities = '<!ENTITY l0 "lol">' + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    return (f'<?xml version="1.0"?><!DOCTYPE rdf:RDF [{entities}]>'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dct="http://purl.org/dc/terms/">'
            '<rdf:Description rdf:about="https://example.org/d/1"><dct:title>&l9;</dct:title></rdf:Description>'
            "</rdf:RDF>").encode()


def _packages(ids: Iterator[str] | list[str]) -> list[dict[str, Any]]:
    return [{"id": i, "name": f"paket-{i}", "title": f"Paket {i}", "metadata_modified": "2026-01-01T00:00:00.000000"}
            for i in ids]


def _search_answer(packages: list[dict[str, Any]], count: int) -> bytes:
    return json.dumps({"success": True, "result": {"count": count, "results": packages}}).encode()


@pytest.fixture(scope="module")
def secret(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ausserhalb") / "geheim.ttl"
    path.write_text(f'<https://example.org/geheim> <http://purl.org/dc/terms/title> "{MARKER}" .\n')
    return path


@pytest.fixture(scope="module")
def hostile(secret: Path) -> Iterator[Hostile]:
    server = Hostile()
    route = server.route
    bomb = gzip_bomb(32 << 20)
    counter = iter(range(10**9))

    route("/good.ttl")(lambda r: r.send_bytes(GOOD_TTL.encode(), kind="text/turtle"))
    route("/drip.ttl")(lambda r: r.drip(GOOD_TTL.encode(), every=0.3, kind="text/turtle"))
    route("/slow-headers.ttl")(lambda r: r.drip(b"", every=0.3, headers_slowly=True))
    route("/huge.ttl")(lambda r: (r.send_response(200), r.send_header("Content-Length", str(3 << 30)),
                                  r.send_header("Content-Type", "text/turtle"), r.end_headers()))
    route("/bomb.ttl")(lambda r: r.send_bytes(bomb, kind="text/turtle", headers={"Content-Encoding": "gzip"}))
    route("/loop")(lambda r: r.redirect("/loop"))
    route("/to-file")(lambda r: r.redirect(secret.as_uri()))
    route("/truncated.ttl")(lambda r: r.truncated(GOOD_TTL.encode(), kind="text/turtle"))
    route("/laughs.rdf")(lambda r: r.send_bytes(_laughs_rdf(), kind="application/rdf+xml"))
    route("/triples.ttl")(lambda r: r.send_bytes(_many_triples(5000), kind="text/turtle"))
    route("/next-file.ttl")(lambda r: r.send_bytes((
        "@prefix hydra: <http://www.w3.org/ns/hydra/core#> .\n"
        f'<{server.url}/next-file.ttl> a hydra:PagedCollection ; hydra:nextPage "{secret.as_uri()}" .\n'
        + GOOD_TTL.replace("spielplaetze", "spielplaetze-2").replace("brunnen", "brunnen-2")).encode(), kind="text/turtle"))
    route("/context-file.jsonld")(lambda r: r.send_bytes(json.dumps(
        {"@context": secret.as_uri(), "@id": "https://example.org/x", "title": "x"}).encode(), kind="application/ld+json"))
    route("/context-relative.jsonld")(lambda r: r.send_bytes(json.dumps(
        {"@context": ["context.json", {"@import": "file:///etc/hostname"}], "@id": "https://example.org/x"}).encode(),
        kind="application/ld+json"))
    route("/context-slow.jsonld")(lambda r: r.send_bytes(json.dumps(
        {"@context": f"{server.url}/context-drip.json", "@id": "https://example.org/x", "title": "x"}).encode(),
        kind="application/ld+json"))
    route("/context-drip.json")(lambda r: r.drip(json.dumps(CONTEXT).encode(), every=0.3))
    route("/context.json")(lambda r: r.send_bytes(json.dumps(CONTEXT).encode()))
    route("/context-ok.jsonld")(lambda r: r.send_bytes(json.dumps(
        {"@context": f"{server.url}/context.json", "@id": "https://opendata.nuernberg.de/dataset/fahrrad",
         "@type": "dcat:Dataset", "title": "Fahrradständer"}).encode(), kind="application/ld+json"))
    # CKAN portals
    action = "/api/action/package_search"  # where ckanapi's read-only client asks
    route("/ckan-bomb" + action)(lambda r: r.send_bytes(bomb, headers={"Content-Encoding": "gzip"}))
    route("/ckan-huge" + action)(lambda r: (r.send_response(200), r.send_header("Content-Length", str(2 << 30)),
                                            r.end_headers()))
    route("/ckan-drip" + action)(lambda r: r.drip(_search_answer([], 0), every=0.3))
    route("/ckan-loop" + action)(lambda r: r.send_bytes(_search_answer(_packages([f"p{i}" for i in range(10)]), 5000)))
    route("/ckan-endless" + action)(lambda r: r.send_bytes(_search_answer(
        _packages([f"n{next(counter)}" for _ in range(10)]), 10**9)))
    route("/ckan-redirect" + action)(lambda r: r.redirect(secret.as_uri()))
    with serve(server):
        yield server


def _timed(call: Callable[[], Any]) -> tuple[BaseException | None, float]:
    started = time.monotonic()
    try:
        call()
    except BaseException as exc:
        return exc, time.monotonic() - started
    return None, time.monotonic() - started


def _dcat(url: str, **options: Any) -> list[Any]:
    source = DcatSource(url, city=NUERNBERG, timeout=1.0, attempts=2, backoff=0.1, max_bytes=LIMITS.max_bytes,
                        max_triples=1000, limits=LIMITS, **options)
    try:
        return [record for page in source.pages() for record in page] + [source.incomplete]
    finally:
        source.close()


def _ckan(url: str, **options: Any) -> list[Any]:
    with CkanSource(url, timeout=1.0, attempts=2, backoff=0.1, page_size=10, limits=LIMITS, **options) as source:
        return [package for page in source.package_pages() for package in page]


DCAT_CASES = {
    "drip": ("/drip.ttl", SourceUnavailable, "within 2 s"),
    "slow headers": ("/slow-headers.ttl", SourceUnavailable, "within 2 s"),
    "huge": ("/huge.ttl", SourceUnreadable, "announces"),
    "gzip bomb": ("/bomb.ttl", SourceUnreadable, "(unpacked)"),
    "redirect loop": ("/loop", SourceUnavailable, "redirects more than 3 times"),
    "redirect to a file": ("/to-file", SourceUnreadable, "only http(s) redirects"),
    "truncated": ("/truncated.ttl", SourceUnavailable, "broken or truncated"),
    "billion laughs": ("/laughs.rdf", SourceUnreadable, "declares XML entities"),
    "too many triples": ("/triples.ttl", SourceUnreadable, "more than 1,000 statements"),
    "context from a file": ("/context-file.jsonld", SourceUnreadable, "never read from files"),
    "context relative and imported": ("/context-relative.jsonld", SourceUnreadable, "context"),
    "slow context": ("/context-slow.jsonld", SourceUnavailable, "within 2 s"),
}


@pytest.mark.parametrize("case", list(DCAT_CASES))
def test_a_hostile_dcat_catalog_ends_with_a_clear_error(hostile: Hostile, case: str) -> None:
    path, kind, words = DCAT_CASES[case]
    error, seconds = _timed(lambda: _dcat(hostile.url + path))
    assert isinstance(error, kind), repr(error)
    assert words in str(error), str(error)
    assert MARKER not in str(error)
    assert seconds < BOUND


def test_a_next_page_that_is_a_local_file_is_not_read(hostile: Hostile, secret: Path) -> None:
    *records, incomplete = _dcat(hostile.url + "/next-file.ttl")
    assert len(records) == 2 and MARKER not in repr(records)
    assert incomplete is not None and "not where the catalog is" in incomplete[0]


def test_a_file_catalog_pages_only_inside_its_folder(tmp_path: Path, secret: Path) -> None:
    catalog = tmp_path / "katalog.ttl"
    catalog.write_text("@prefix hydra: <http://www.w3.org/ns/hydra/core#> .\n"
                       f'<katalog.ttl> a hydra:PagedCollection ; hydra:nextPage "{secret.as_uri()}" .\n' + GOOD_TTL)
    *records, incomplete = _dcat(str(catalog))
    assert len(records) == 2 and MARKER not in repr(records)
    assert incomplete is not None


def test_a_remote_context_over_http_is_used(hostile: Hostile) -> None:
    *records, incomplete = _dcat(hostile.url + "/context-ok.jsonld")
    assert incomplete is None
    assert [r.raw.get("title") for r in records] == ["Fahrradständer"]


def test_a_harvest_deadline_stops_a_catalog_that_pages_on_and_on(hostile: Hostile) -> None:
    error, seconds = _timed(lambda: _ckan(hostile.url + "/ckan-endless", deadline=Deadline(2.0)))
    assert isinstance(error, SourceUnavailable) and "took longer than 2 s" in str(error), repr(error)
    assert seconds < BOUND


CKAN_CASES = {
    "gzip bomb": ("/ckan-bomb", SourceUnreadable, "(unpacked)"),
    "huge": ("/ckan-huge", SourceUnreadable, "announces"),
    "drip": ("/ckan-drip", SourceUnavailable, "within 2 s"),
    "same page forever": ("/ckan-loop", SourceUnreadable, "page loop"),
    "redirect to a file": ("/ckan-redirect", SourceUnreadable, "only http(s) redirects"),
}


@pytest.mark.parametrize("case", list(CKAN_CASES))
def test_a_hostile_ckan_portal_ends_with_a_clear_error(hostile: Hostile, case: str) -> None:
    path, kind, words = CKAN_CASES[case]
    error, seconds = _timed(lambda: _ckan(hostile.url + path))
    assert isinstance(error, kind), repr(error)
    assert words in str(error), str(error)
    assert seconds < BOUND


def test_url_checks_of_hostile_addresses_end_in_bounds(hostile: Hostile) -> None:
    """The quality score checks the addresses departments give: loops, files and slow servers end in time."""
    from connectors.urlcheck import check_urls

    started = time.monotonic()
    checked = check_urls([hostile.url + p for p in ("/good.ttl", "/loop", "/to-file", "/slow-headers.ttl")], timeout=1.0)
    assert time.monotonic() - started < BOUND
    assert checked[hostile.url + "/good.ttl"].status == 200
    for path, words in (("/loop", "redirect loop"), ("/to-file", "only http(s) redirects"), ("/slow-headers.ttl", "within")):
        result = checked[hostile.url + path]
        assert result.status is None and words in (result.error or ""), result


def _endless_view(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE baeume (id INTEGER PRIMARY KEY, art TEXT)")
        db.execute("INSERT INTO baeume (art) VALUES ('Linde'), ('Ahorn')")
        db.execute("CREATE VIEW endlos AS WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT x FROM n")


def test_a_database_view_that_never_ends_costs_only_its_row_count(tmp_path: Path) -> None:
    database = tmp_path / "fachverfahren.db"
    _endless_view(database)
    started = time.monotonic()
    with DatabaseSource(f"sqlite:///{database}", timeout=1.0) as source:
        tables = {t.name: t.rows for t in source.tables()}
    assert tables == {"baeume": 2, "endlos": None}
    assert time.monotonic() - started < BOUND


def test_a_file_that_is_no_database_is_a_clear_error(tmp_path: Path) -> None:
    fake = tmp_path / "keine.db"
    fake.write_bytes(b"Dies ist keine Datenbank, sondern Text.\n" * 100)
    with pytest.raises(SourceInvalid, match="not an SQLite database"), DatabaseSource(f"sqlite:///{fake}") as source:
        source.tables()


# -- one run of all sources from the command line ---------------------------------------------------------

HOSTILE_SOURCES = {
    "dcat-drip": ("dcat", "/drip.ttl"),
    "dcat-bomb": ("dcat", "/bomb.ttl"),
    "dcat-loop": ("dcat", "/loop"),
    "dcat-to-file": ("dcat", "/to-file"),
    "dcat-laughs": ("dcat", "/laughs.rdf"),
    "dcat-triples": ("dcat", "/triples.ttl"),
    "dcat-context-file": ("dcat", "/context-file.jsonld"),
    "ckan-bomb": ("ckan", "/ckan-bomb"),
    "ckan-huge": ("ckan", "/ckan-huge"),
    "ckan-drip": ("ckan", "/ckan-drip"),
}


def test_one_run_of_all_sources_harvests_the_good_ones(hostile: Hostile, secret: Path, tmp_path: Path) -> None:
    database = tmp_path / "fachverfahren.db"
    _endless_view(database)
    fake = tmp_path / "keine.db"
    fake.write_bytes(b"keine Datenbank\n" * 100)
    sources = [{"name": "gut-dcat", "city": "nuernberg", "kind": "dcat", "url": hostile.url + "/good.ttl",
                "department": "ADP"},
               {"name": "gut-naechste-seite", "city": "nuernberg", "kind": "dcat", "url": hostile.url + "/next-file.ttl",
                "department": "ADP"},
               {"name": "gut-sql", "city": "nuernberg", "kind": "sql", "url": f"sqlite:///{database}", "department": "SOER"},
               {"name": "keine-db", "city": "nuernberg", "kind": "sql", "url": f"sqlite:///{fake}", "department": "SOER"}]
    sources += [{"name": name, "city": "nuernberg", "kind": kind, "url": hostile.url + path, "department": "ADP"}
                for name, (kind, path) in HOSTILE_SOURCES.items()]
    sources_file = tmp_path / "quellen.yaml"
    sources_file.write_text(yaml.safe_dump({"sources": sources}, allow_unicode=True))
    env = {k: v for k, v in os.environ.items() if not k.startswith("INVENTUR_")}
    url = f"sqlite:///{tmp_path / 'inventur.db'}"
    env.update(INVENTUR_DATABASE_URL=url, INVENTUR_DATA_DIR=str(tmp_path / "data"),
               INVENTUR_SOURCES_FILE=str(sources_file), INVENTUR_HTTP_TIMEOUT="1", INVENTUR_HTTP_DEADLINE="2",
               INVENTUR_HARVEST_DEADLINE="20", INVENTUR_HARVEST_MAX_MB="1", INVENTUR_HARVEST_MAX_TRIPLES="1000")
    result = run_measured([sys.executable, "-m", "flows", "harvest", "sources", "--no-validate", "--format", "json"],
                          env=env, cwd=ROOT, timeout=300)
    assert result.returncode == 4, result.stderr[-3000:]  # some sources could not be read
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.peak_mb < 1024 and result.seconds < 240, (result.peak_mb, result.seconds)
    summary = json.loads(result.stdout)
    failed = {f["name"]: f["error"] for f in summary["failed"]}
    assert set(failed) == {*HOSTILE_SOURCES, "keine-db"}, failed
    harvested = {s["name"]: s for s in summary["sources"]}
    assert harvested["gut-dcat"]["created"] == 2 and harvested["gut-sql"]["created"] == 2
    assert harvested["gut-naechste-seite"]["created"] == 2 and not harvested["gut-naechste-seite"]["complete"]
    assert MARKER not in result.stdout + result.stderr
    store = Store.open(url)
    with store.session() as session:
        texts = [str(v) for e in session.scalars(select(Entry)) for v in (e.title, e.description, e.remarks) if v]
        texts += [f.message for f in session.scalars(select(FindingRow))]
    store.close()
    assert len(texts) > 6 and not any(MARKER in t for t in texts)
