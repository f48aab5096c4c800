"""Fast checks of the portal's setup code that need no CKAN: errors, status, process handling, Solr's files."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from portal_support import GROUPS, LICENSES

from portal.ckan_site import masked
from portal.errors import MissingSystemPackagesError, PortalError
from portal.local import COMPONENTS, down, status, up
from portal.processes import free_port, is_alive, port_is_free, running_pid, spawn, stop, wait_until
from portal.solr.artifacts import SolrJars
from portal.solr.configset import german_schema, write_home


def test_missing_programs_name_the_debian_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(MissingSystemPackagesError) as caught:
        up(tmp_path / "portal", licenses=LICENSES, groups=GROUPS)
    assert {"redis-server", "openjdk-17-jre-headless", "eatmydata"} <= set(caught.value.packages)
    assert "apt-get install -y" in str(caught.value)
    assert not (tmp_path / "portal").exists()  # nothing was created


def test_arguments_are_validated_before_anything_happens(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="licence"):
        up(tmp_path, licenses=[{"title": "no id"}], groups=GROUPS)
    with pytest.raises(ValueError, match="group"):
        up(tmp_path, licenses=LICENSES, groups=[{"title": "no name"}])


def test_status_and_down_of_a_portal_that_never_ran(tmp_path: Path) -> None:
    down(tmp_path / "nothing-here")
    report = status(tmp_path / "nothing-here")
    assert report["url"] is None
    assert [report[name]["status"] for name in COMPONENTS] == ["stopped"] * 4


def test_background_processes_are_detached_found_and_stopped(tmp_path: Path) -> None:
    marker = f"inventur-test-{time.time_ns()}"
    pid_file = tmp_path / "sleeper.pid"
    pid = spawn(
        [sys.executable, "-c", "import time, sys; print(sys.argv[1], flush=True); time.sleep(60)", marker],
        tmp_path / "sleeper.log",
        pid_file,
    )
    try:
        wait_until(lambda: marker in (tmp_path / "sleeper.log").read_text(), timeout=10, what="the sleeper")
        assert running_pid(pid_file, marker) == pid
        assert running_pid(pid_file, "some-other-program") is None  # a recycled pid is never taken for ours
    finally:
        stop(pid, timeout=5)
    assert not is_alive(pid)
    assert running_pid(pid_file, marker) is None


def test_free_ports_are_free() -> None:
    port = free_port()
    assert port_is_free(port)


def test_passwords_never_reach_the_logs() -> None:
    assert masked("sqlalchemy.url=postgresql://ckan:s3cr3t@127.0.0.1:5432/ckan") == (
        "sqlalchemy.url=postgresql://ckan:***@127.0.0.1:5432/ckan"
    )
    assert masked("password=s3cr3t") == "password=***"


def test_resolving_solr_without_maven_names_the_debian_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    jars = SolrJars(tmp_path / "solr-cache")
    assert not jars.ready()
    with pytest.raises(MissingSystemPackagesError) as caught:
        jars.ensure(tmp_path / "solr-install.log", lambda message: None)
    assert caught.value.packages == ["maven"]


SMALL_SCHEMA = """<?xml version="1.0" encoding="UTF-8" ?>
<schema name="ckan-2.11" version="1.6">
<types>
  <fieldType name="string" class="solr.StrField"/>
  <fieldType name="text" class="solr.TextField"><analyzer><tokenizer class="solr.WhitespaceTokenizerFactory"/>
    <filter class="solr.SnowballPorterFilterFactory" language="English"/></analyzer></fieldType>
  <fieldType name="text_general" class="solr.TextField"><analyzer>
    <tokenizer class="solr.WhitespaceTokenizerFactory"/></analyzer></fieldType>
</types>
<fields><field name="title" type="text"/><field name="name" type="string"/></fields>
<uniqueKey>name</uniqueKey>
<copyField source="title" dest="text"/>
</schema>
"""


def test_the_core_gets_ckans_schema_with_a_german_text_type_and_nothing_else_changed(tmp_path: Path) -> None:
    import defusedxml.ElementTree as SafeET

    source = tmp_path / "schema.xml"
    source.write_text(SMALL_SCHEMA)
    schema = SafeET.fromstring(german_schema(source).encode())
    assert schema.get("name") == "ckan-2.11"
    types = {t.get("name"): t for t in schema.find("types")}
    assert list(types) == ["string", "text", "text_general"]
    german = [f.get("class") for f in types["text"].iter("filter")]
    assert "solr.GermanNormalizationFilterFactory" in german and "solr.SnowballPorterFilterFactory" not in german
    assert [f.get("class") for f in types["text_general"].iter("tokenizer")] == ["solr.WhitespaceTokenizerFactory"]
    assert [(f.get("name"), f.get("type")) for f in schema.iter("field")] == [("title", "text"), ("name", "string")]
    assert schema.find("copyField").attrib == {"source": "title", "dest": "text"}
    home = tmp_path / "solr"
    digest = write_home(home, source)
    assert (home / "ckan" / "conf" / "lang" / "compounds_de.txt").is_file()
    assert (home / "ckan" / "core.properties").read_text() == "name=ckan\n"
    assert write_home(home, source) == digest  # unchanged configuration, same digest: no restart
    source.write_text(SMALL_SCHEMA.replace("ckan-2.11", "ckan-2.12"))
    assert write_home(home, source) != digest
    source.write_text(SMALL_SCHEMA.replace('name="text"', 'name="words"'))
    with pytest.raises(PortalError, match="no field type 'text'"):
        german_schema(source)


def test_down_also_stops_the_solr_stand_in_an_earlier_inventur_left_running(tmp_path: Path) -> None:
    from portal.solr.server import Solr

    solr = Solr(tmp_path, tmp_path / "logs" / "solr.log")
    argv = [sys.executable, "-c", "import time; time.sleep(60)", "-m", "portal.solr", "--data", str(solr.home)]
    pid = spawn(argv, tmp_path / "logs" / "old.log", solr.pid_file)
    try:
        wait_until(lambda: "portal.solr" in Path(f"/proc/{pid}/cmdline").read_text(), timeout=10, what="the sleeper")
        assert solr.running() is None  # not taken for Apache Solr
        down(tmp_path)
        assert not is_alive(pid) and not solr.pid_file.exists()
    finally:
        if is_alive(pid):
            stop(pid, timeout=5)
