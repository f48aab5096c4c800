"""Harvest sources as configuration: the YAML file, its checks, and running the sources (CLI and step)."""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog.organisation import load_organisation
from connectors.harvest.sources import SourcesFileError, load_sources, parse_sources, select_sources
from flows.services import Services
from flows.settings import Settings
from flows.steps.harvest import harvest_sources

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "harvest"
ORG = load_organisation()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_example_file_is_valid() -> None:
    sources = load_sources(ROOT / "harvest-sources.example.yaml", ORG)
    by_name = {s.name: s for s in sources}
    assert set(by_name) == {"muenchen-portal", "nuernberg-catalog", "nuernberg-gruenflaechen-db"}
    portal = by_name["muenchen-portal"]
    assert (portal.kind, portal.city, portal.department, portal.schedule) == ("ckan", "muenchen", "RIT", "15 3 * * *")
    assert portal.organisations["kreisverwaltungsreferat"] == "KVR"
    database = by_name["nuernberg-gruenflaechen-db"]
    assert database.address({"INVENTUR_GRUEN_DB_PASSWORD": "s3cret"}).startswith("postgresql://inventur_reader:s3cret@")
    assert "s3cret" not in json.dumps(database.describe())
    with pytest.raises(SourcesFileError, match="INVENTUR_GRUEN_DB_PASSWORD is not set"):
        database.address({})
    assert database.schemas == ("gruen",) and not database.enabled
    assert [s.name for s in select_sources(sources, None)] == ["muenchen-portal", "nuernberg-catalog"]
    assert [s.name for s in select_sources(sources, ["nuernberg-gruenflaechen-db"])] == ["nuernberg-gruenflaechen-db"]
    with pytest.raises(SourcesFileError, match="no source named nope"):
        select_sources(sources, ["nope"])


def one(**over: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"name": "s", "city": "augsburg", "kind": "dcat", "url": "https://x.example/c.ttl",
                           "department": "STAT"}
    row.update(over)
    return {"sources": [row]}


@pytest.mark.parametrize(("doc", "message"), [
    ({"nothing": []}, "expected a list under 'sources'"),
    (one(city="berlin"), "unknown city 'berlin'"),
    (one(department="NOPE"), "has no department with code 'NOPE'"),
    (one(organisations={"x": "NOPE"}), "has no department with code 'NOPE'"),
    (one(kind="ftp"), "kind must be one of ckan, dcat, sql"),
    (one(kind="sql", department=None), "needs a 'department'"),
    (one(schedule="every day"), "no cron expression"),
    (one(url=None), "'url' is required"),
    (one(colour="blue"), "unknown keys colour"),
    (one(name="a b"), "letters, digits"),
    ({"sources": [one()["sources"][0], one()["sources"][0]]}, "used twice"),
])
def test_invalid_files_are_refused(doc: Any, message: str) -> None:
    with pytest.raises(SourcesFileError, match=message):
        parse_sources(doc, ORG)


def test_unreadable_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SourcesFileError, match="cannot read"):
        load_sources(tmp_path / "missing.yaml", ORG)
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources: [unclosed", encoding="utf-8")
    with pytest.raises(SourcesFileError, match="no valid YAML"):
        load_sources(bad, ORG)


def sources_file(tmp_path: Path) -> Path:
    """Three sources: a DCAT file, an SQLite database, and a CKAN portal nobody answers at."""
    db = tmp_path / "stat.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE bevoelkerung (stadtteil TEXT, jahr INTEGER, einwohner INTEGER)")
    doc = {"sources": [
        {"name": "catalog", "city": "nuernberg", "kind": "dcat", "url": str(DATA / "jsonld" / "page-1.jsonld"),
         "department": "ADP", "organisations": {"Servicebetrieb Öffentlicher Raum Nürnberg": "SOER"},
         "schedule": "0 3 * * *"},
        {"name": "statistik-db", "city": "augsburg", "kind": "sql", "url": f"sqlite:///{db}", "department": "STAT"},
        {"name": "gone-portal", "city": "muenchen", "kind": "ckan", "url": f"http://127.0.0.1:{closed_port()}",
         "department": "RIT"},
        {"name": "secret-db", "city": "augsburg", "kind": "sql", "department": "STAT",
         "url": "postgresql://reader:${INVENTUR_TEST_UNSET_PASSWORD}@127.0.0.1/x"},
    ]}
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def test_harvest_sources_step_goes_on_after_a_failure(tmp_path: Path) -> None:
    services = Services(Settings(database_url=f"sqlite:///{tmp_path / 'inventur.db'}", data_dir=tmp_path / "data",
                                 sources_file=sources_file(tmp_path), http_timeout=2))
    try:
        summary = harvest_sources(services, validate=False)
        by_name = {s["name"]: s for s in summary["sources"]}
        assert by_name["catalog"]["created"] == 4 and by_name["statistik-db"]["created"] == 1
        assert [(f["name"], f["exit"]) for f in summary["failed"]] == [("gone-portal", "remote"), ("secret-db", "usage")]
        only = harvest_sources(services, names=["statistik-db"], validate=False)
        assert [s["unchanged"] for s in only["sources"]] == [1] and only["failed"] == []
    finally:
        services.close()


def inventur(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flows", *args], capture_output=True, text=True, env=env,
                          timeout=180, cwd=ROOT)


def test_cli_harvest_sources(cli_env: dict[str, str], tmp_path: Path) -> None:
    no_file = inventur(cli_env, "harvest", "sources")
    assert no_file.returncode == 2 and "INVENTUR_SOURCES_FILE" in no_file.stderr
    env = {**cli_env, "INVENTUR_SOURCES_FILE": str(sources_file(tmp_path)), "INVENTUR_HTTP_TIMEOUT": "2"}
    listed = inventur(env, "harvest", "sources", "--list", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    assert [s["name"] for s in json.loads(listed.stdout)] == ["catalog", "statistik-db", "gone-portal", "secret-db"]
    ran = inventur(env, "harvest", "sources", "--no-validate", "--format", "json")
    assert ran.returncode == 4, ran.stderr  # one source cannot be reached ...
    summary = json.loads(ran.stdout)
    assert {s["name"] for s in summary["sources"]} == {"catalog", "statistik-db"}  # ... the others ran
    assert [f["name"] for f in summary["failed"]] == ["gone-portal", "secret-db"]
    named = inventur(env, "harvest", "sources", "--name", "catalog", "--no-validate")
    assert named.returncode == 0 and "catalog" in named.stdout
    unknown = inventur(env, "harvest", "sources", "--name", "nope")
    assert unknown.returncode == 2 and "no source named nope" in unknown.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text("sources:\n  - {name: x, city: berlin, kind: ckan, url: \"http://x.example\"}\n", encoding="utf-8")
    invalid = inventur({**env, "INVENTUR_SOURCES_FILE": str(broken)}, "harvest", "sources")
    assert invalid.returncode == 2 and "berlin" in invalid.stderr
