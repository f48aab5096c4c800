"""The MQA quality score, and the URL checks against a real local HTTP server."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from catalog.quality.score import INDICATORS, MAX_POINTS, UrlCheck, band, score, urls_to_check
from connectors.urlcheck import check_urls

EU = "http://publications.europa.eu/resource/authority/"


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *_args: Any) -> None:
        return None

    def _answer(self, body: bool) -> None:
        path = self.path
        if path.startswith("/slow"):
            time.sleep(3)
        if path.startswith("/missing"):
            self.send_response(404)
            self.end_headers()
            return
        if path.startswith("/nohead") and self.command == "HEAD":
            self.send_response(405)
            self.end_headers()
            return
        if path.startswith("/moved"):
            self.send_response(301)
            self.send_header("Location", "/daten.csv")
            self.end_headers()
            return
        data = b"a;b\n1;2\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if body:
            self.wfile.write(data)

    def do_HEAD(self) -> None:
        self.server.hits += 1  # type: ignore[attr-defined]
        self._answer(False)

    def do_GET(self) -> None:
        self.server.hits += 1  # type: ignore[attr-defined]
        self._answer(True)


@pytest.fixture(scope="module")
def web() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.hits = 0  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def full_record(url: str) -> dict[str, Any]:
    return {
        "keywords": ["Bäume"], "theme": [EU + "data-theme/ENVI"],
        "spatial": "http://dcat-ap.de/def/politicalGeocoding/municipalityKey/09761000",
        "temporal_start": "2010-01-01", "temporal_end": "2025-12-31", "access_url": url,
        "formats": [EU + "file-type/CSV"], "license": "http://dcat-ap.de/def/licenses/dl-zero-de/2.0",
        "access_rights": EU + "access-right/PUBLIC", "contact_email": "gruen@augsburg.de",
        "issued": "2026-11-01T10:00:00+00:00", "modified": "2026-11-20T10:00:00+00:00",
    }


def test_scheme_adds_up_to_405() -> None:
    assert MAX_POINTS == 405
    dims: dict[str, int] = {}
    for dim, points in INDICATORS.values():
        dims[dim] = dims.get(dim, 0) + points
    assert dims == {"findability": 100, "accessibility": 100, "interoperability": 110, "reusability": 75,
                    "contextuality": 20}
    assert [band(b) for b in (405, 351, 350, 221, 220, 121, 120, 0)] == [
        "excellent", "excellent", "good", "good", "sufficient", "sufficient", "bad", "bad"]


def test_full_online_entry_scores_excellent(web: str) -> None:
    record = full_record(f"{web}/daten.csv")
    checks = check_urls(urls_to_check(record), timeout=5)
    result = score(record, urls=checks, passes_shapes=True)
    assert result.total >= 351 and result.band == "excellent"
    assert result.indicators["access_url_answers"] == ("yes", 50)
    assert result.indicators["download_url_answers"] == ("yes", 30)
    assert result.indicators["byte_size"] == ("yes", 5)
    assert result.not_checked == []


def test_offline_marks_not_checked() -> None:
    result = score(full_record("https://www.augsburg.de/daten.csv"), urls=None, passes_shapes=None)
    assert set(result.not_checked) == {"access_url_answers", "download_url_answers", "dcat_ap_shapes", "byte_size"}
    assert result.total == 405 - 50 - 30 - 30 - 5 - 5  # nothing earned for unchecked or rights


def test_dead_url_earns_nothing(web: str) -> None:
    record = full_record(f"{web}/missing/daten.csv")
    result = score(record, urls=check_urls([record["access_url"]], timeout=5), passes_shapes=True)
    assert result.indicators["access_url_answers"] == ("no", 0)
    assert result.indicators["download_url_answers"] == ("no", 0)


def test_bare_entry_is_bad() -> None:
    result = score({"title": "x"}, urls={}, passes_shapes=False, has_contact=False, has_publisher=True)
    assert result.band == "bad" and result.total == 10


def test_url_checks_bounded_and_parallel(web: str) -> None:
    urls = [f"{web}/daten.csv", f"{web}/nohead/x", f"{web}/moved", f"{web}/missing", "ftp://x/y", f"{web}/daten.csv",
            "http://127.0.0.1:1/refused"]
    results = check_urls(urls, timeout=2, concurrency=3)
    assert set(results) == {u for u in urls if u.startswith("http")}
    assert results[f"{web}/daten.csv"].answers and results[f"{web}/daten.csv"].content_length == 8
    assert results[f"{web}/nohead/x"].status == 200  # HEAD refused: GET instead
    assert results[f"{web}/moved"].status == 200  # redirect followed
    assert results[f"{web}/missing"].status == 404 and not results[f"{web}/missing"].answers
    assert results["http://127.0.0.1:1/refused"].status is None and results["http://127.0.0.1:1/refused"].error


def test_url_check_timeout_and_deadline(web: str) -> None:
    started = time.monotonic()
    results = check_urls([f"{web}/slow/{i}" for i in range(6)], timeout=0.5, concurrency=6)
    assert time.monotonic() - started < 4
    assert all(r.status is None for r in results.values())
    started = time.monotonic()
    partial = check_urls([f"{web}/slow/a{i}" for i in range(10)], timeout=5, concurrency=2, deadline=0.1)
    assert len(partial) == 2 and time.monotonic() - started < 8  # only what started before the deadline


def test_urlcheck_type() -> None:
    assert UrlCheck("u", 302).answers and not UrlCheck("u", 500).answers and not UrlCheck("u", None).answers


def test_inventory_scores_stored_per_city(web: str, tmp_path: Any, dcat_material: Any) -> None:
    import json
    import subprocess
    import sys
    from pathlib import Path

    from catalog.inventory import Source, entry_record, iter_entries, save_entry
    from catalog.organisation import load_organisation
    from catalog.quality.store import assess_inventory
    from catalog.store import Store

    org = load_organisation()
    store = Store.open(f"sqlite:///{tmp_path / 'q.db'}")
    full = full_record(f"{web}/daten.csv")
    values = {k: v for k, v in full.items() if k not in ("issued", "modified")}
    values.update({"title": "Baumkataster", "description": "Alle städtischen Bäume mit Art und Standort.",
                   "personal_data": "no", "third_party_rights": "no", "publish_proposal": "yes", "spatial_scope": "city"})
    with store.session() as s:
        save_entry(s, values, city="augsburg", department="STAT", organisation=org, source=Source("survey"))
        save_entry(s, {"title": "Leer", "spatial_scope": None}, city="muenchen", department="KVR", organisation=org,
                   source=Source("survey"))
    with store.session() as s:
        report = assess_inventory(s, org, check_urls=lambda urls: check_urls(urls, timeout=5),
                                  shapes_dir=dcat_material / "shapes-2.0")
    assert report.shapes_checked and report.urls_checked == 1
    with store.session() as s:
        scores = {e.identifier: entry_record(e)["quality_score"] for e in iter_entries(s)}
    assert scores["A-STAT-00001"] >= 351
    assert scores["M-KVR-00001"] <= 120
    assert report.cities["augsburg"].bands["excellent"] == 1 and report.cities["muenchen"].bands["bad"] == 1
    assert report.cities["muenchen"].weakest()[0][0] == "access_url_answers"
    store.close()

    env = {"INVENTUR_DATABASE_URL": f"sqlite:///{tmp_path / 'q.db'}", "INVENTUR_DATA_DIR": str(tmp_path / "d"),
           "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "flows", "quality", "--offline", "--no-shapes", "--format", "json"],
                          capture_output=True, text=True, env=env, timeout=120, cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, done.stderr
    cities = json.loads(done.stdout)["cities"]
    assert set(cities) == {"augsburg", "muenchen"} and cities["augsburg"]["entries"] == 1
    assert cities["augsburg"]["not_checked"]["access_url_answers"] == 1
