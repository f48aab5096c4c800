"""The portal's Apache Solr: a supervised process with CKAN's schema, analysing German text.

The analysis is asked of Solr itself (its field analysis handler), so these tests check our configuration
against the real analysis components, not a model of them.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
import requests
from conftest import SolrCore
from portal_support import GROUPS, LICENSES, unique_word

from portal.ckan_site import solr_schema
from portal.local import PortalInfo, down, status, up
from portal.processes import cmdline, free_port, is_alive
from portal.solr.artifacts import SolrJars, default_cache, find_java
from portal.solr.configset import CONF, write_home
from portal.solr.server import HEAP, Solr, ping

pytestmark = [pytest.mark.portal, pytest.mark.slow]

WORD_LIST = CONF / "lang" / "compounds_de.txt"


def words() -> list[str]:
    return [line for line in WORD_LIST.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]


def test_solr_runs_beside_the_portal_with_a_bounded_heap_and_its_index_in_the_portal_folder(
    portal: PortalInfo, solr: SolrCore
) -> None:
    current = status(portal.base_dir)["solr"]
    assert current["status"] == "running" and current["port"] and 50 < current["memory_mb"] < 1024
    line = cmdline(current["pid"])
    assert "java" in line and "Launcher.java" in line and f"-Xmx{HEAP}" in line
    assert str(portal.base_dir / "solr") in line
    system = solr.get("admin/system")  # the node's own report: really Apache Solr 9.10.1
    assert system["lucene"]["solr-spec-version"] == "9.10.1"
    assert (portal.base_dir / "solr" / "ckan" / "data" / "index").is_dir()
    ckan_ini = (portal.base_dir / "ckan" / "ckan.ini").read_text()
    assert re.search(rf"^solr_url\s*=\s*http://127\.0\.0\.1:{current['port']}/solr/ckan$", ckan_ini, re.M)


def test_the_schema_is_ckans_with_only_the_text_type_analysing_german(portal: PortalInfo, solr: SolrCore) -> None:
    import defusedxml.ElementTree as SafeET

    served = solr.get("schema")["schema"]
    assert served["name"] == "ckan-2.11"  # what CKAN checks when it starts
    state = (portal.base_dir / "portal.json").read_text()
    ckan = SafeET.parse(solr_schema(Path(json.loads(state)["venv"]))).getroot()
    fields = {f.get("name"): f.get("type") for f in ckan.iter("field")}
    assert {f["name"]: f["type"] for f in served["fields"]} == fields
    assert {f["name"]: f["type"] for f in served["dynamicFields"]} == {
        f.get("name"): f.get("type") for f in ckan.iter("dynamicField")
    }
    assert sorted((c["source"], c["dest"]) for c in served["copyFields"]) == sorted(
        (c.get("source"), c.get("dest")) for c in ckan.iter("copyField")
    )
    types = {t["name"]: t for t in served["fieldTypes"]}
    ckan_types = {t.get("name") for t in ckan.find("types") or [] if t.tag.lower() == "fieldtype"}
    assert set(types) == ckan_types
    german = [f["class"] for f in types["text"]["indexAnalyzer"]["filters"]]
    assert "solr.GermanNormalizationFilterFactory" in german and "solr.GermanLightStemFilterFactory" in german
    english = [f["class"] for f in types["text_general"]["indexAnalyzer"]["filters"]]
    assert "solr.GermanLightStemFilterFactory" not in english  # CKAN's other types as CKAN has them


def test_every_word_of_the_list_is_written_as_solr_normalises_it(solr: SolrCore) -> None:
    listed = words()
    assert len(listed) == len(set(listed)) > 300
    stages = solr.analyse("text", " ".join(listed), side="query")
    assert stages["StandardTokenizer"] == listed  # one word per line, nothing Solr would split
    normalised = stages["ASCIIFoldingFilter"]
    wrong = [(word, seen) for word, seen in zip(listed, normalised, strict=True) if word != seen]
    assert not wrong, f"write these as Solr's German normalisation leaves them: {wrong}"


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("Verkehr", "Radverkehrszählung 2024"),
        ("Verkehr", "Verkehrsunfälle"),
        ("Verkehr", "Verkehrszählstellen"),
        ("Unfall", "Verkehrsunfälle"),
        ("Zählstelle", "Verkehrszählstellen"),
        ("Baum", "Baumkataster"),
        ("Baum", "Bäume an Straßen"),
        ("Bäume", "Straßenbäume"),
        ("Schule", "Grundschulen"),
        ("Schulen", "Berufsschule"),
        ("Strassen", "Straßenverzeichnis"),
        ("Straßen", "Strassenreinigung"),
        ("Lärm", "Umgebungslärmkartierung"),
        ("Wasser", "Hochwassergefahrenkarten"),
        ("Parkplätze", "Behindertenparkplatz"),
    ],
)
def test_a_visitors_word_meets_the_compounds_and_inflections_that_contain_it(
    solr: SolrCore, query: str, title: str
) -> None:
    assert solr.terms("text", query, side="query") <= solr.terms("text", title)


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("Bürger", "Augsburger Stadtbezirke"),
        ("Grün", "Grundschulen"),
        ("Wind", "Geschwindigkeitsmessungen"),
        ("Rat", "Beratungsstellen"),
        ("Radverkehr", "Verkehrsunfälle"),  # a compound does not find what holds only one of its parts
    ],
)
def test_a_word_does_not_find_unrelated_words_that_merely_contain_it(solr: SolrCore, query: str, title: str) -> None:
    assert not solr.terms("text", query, side="query") <= solr.terms("text", title)


def test_a_solr_stops_when_its_pid_file_no_longer_names_it(tmp_path: Path, portal: PortalInfo) -> None:
    """As PostgreSQL with its postmaster.pid: a portal taken down or removed leaves no Solr behind."""
    venv = Path(json.loads((portal.base_dir / "portal.json").read_text())["venv"])
    jars = SolrJars(default_cache())
    assert jars.ready()  # the session portal resolved them
    server = Solr(tmp_path, tmp_path / "logs" / "solr.log")
    write_home(server.home, solr_schema(venv))
    port = free_port()
    pid = server.start(port, find_java(), jars)
    try:
        server.wait(port, pid)
        assert server.running() == pid and ping(port)
        server.pid_file.unlink()
        deadline = time.monotonic() + 60
        while is_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not is_alive(pid), "Solr kept running without its pid file"
        assert "no longer names this process" in (tmp_path / "logs" / "solr.log").read_text()
    finally:
        if is_alive(pid):
            server.pid_file.write_text(f"{pid}\n")
            server.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/solr/ckan/admin/ping", timeout=5)


def test_the_index_outlives_a_restart_and_is_not_rebuilt(portal: PortalInfo, solr: SolrCore) -> None:
    from tests.conftest import CkanApi

    api = CkanApi(portal)
    word = unique_word()
    organisation = api("organization_create", name=f"nuernberg-{unique_word(8)}", title="Amt für Tests")
    api("package_create", name=f"ds-{word}", title=f"Baumkataster {word}", owner_org=organisation["id"])
    before = solr.get("select", q="*:*", rows="0")["response"]["numFound"]
    state = json.loads((portal.base_dir / "portal.json").read_text())
    down(portal.base_dir)
    assert status(portal.base_dir)["solr"]["status"] == "stopped"
    messages: list[str] = []
    up(portal.base_dir, licenses=LICENSES, groups=GROUPS, port=state["ckan_port"], venv=Path(state["venv"]),
       progress=messages.append)
    assert any(m.startswith("Solr: starting") for m in messages)
    assert not any("indexing" in m for m in messages), messages  # the index was kept, not rebuilt
    assert solr.get("select", q="*:*", rows="0")["response"]["numFound"] == before
    api = CkanApi(portal)
    assert [p["name"] for p in api("package_search", q="Baum", fq=f"name:ds-{word}")["results"]] == [f"ds-{word}"]
