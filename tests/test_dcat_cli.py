"""`inventur dcat export` of the approved entries of a store, then `inventur dcat validate` with the
official shapes: what a city's open-data team runs before GovData harvests the catalog."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.namespace import DCAT, RDF

from catalog.inventory import Source, save_entry
from catalog.models import Entry
from catalog.organisation import load_organisation
from catalog.review.decisions import approve
from catalog.store import Store
from tests.factories import sample

ROOT = Path(__file__).resolve().parents[1]


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flows", *args], capture_output=True, text=True, env=env,
                          timeout=300, cwd=ROOT)


@pytest.fixture
def approved_store(cli_env: dict[str, str]) -> dict[str, str]:
    org = load_organisation()
    store = Store.open(cli_env["INVENTUR_DATABASE_URL"])
    with store.session() as s:
        for city, dept in (("augsburg", "STAT"), ("muenchen", "KVR"), ("nuernberg", org.departments_of("nuernberg")[0].code)):
            for i in range(3):
                entry = save_entry(s, sample(title=f"Datensatz {city} {i}", access_url=f"https://example.org/{city}/{i}.csv",
                                             spatial=org.city(city).geocoding_uri),
                                   city=city, department=dept, organisation=org, source=Source("survey")).entry
                entry.status = "ready"
        closed = save_entry(s, sample(title="Melderegister", personal_data="yes", access_url="https://example.org/m.csv"),
                            city="augsburg", department="STAT", organisation=org, source=Source("survey")).entry
        closed.status = "ready"
    with store.session() as s:
        for entry in s.query(Entry).filter(Entry.personal_data == "no").all():
            approve(s, entry.identifier, "Erika Muster", comment="geprüft")
    store.close()
    return cli_env


def test_export_validates_under_both_profiles(approved_store: dict[str, str], dcat_material: Path, tmp_path: Path) -> None:
    for fmt, suffix in (("turtle", "ttl"), ("xml", "rdf"), ("json-ld", "jsonld")):
        out = tmp_path / f"catalog.{suffix}"
        done = run(approved_store, "dcat", "export", "--out", str(out), "--format", fmt, "--base-uri", "https://daten.example")
        assert done.returncode == 0, done.stderr
        graph = Graph().parse(out, format={"turtle": "turtle", "xml": "xml", "json-ld": "json-ld"}[fmt])
        datasets = set(graph.subjects(RDF.type, DCAT.Dataset))
        assert len(datasets) == 9  # the personal-data entry is never exported
    # the material from the setting, no --shapes: 2.0 + Konventionen by default, 3.0 on request
    with_setting = {**approved_store, "INVENTUR_SHAPES_DIR": str(dcat_material)}
    for profile in ("2.0", "3.0"):
        checked = run(with_setting, "dcat", "validate", str(tmp_path / "catalog.ttl"), "--profile", profile)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert f"shapes-{profile}: 0 violations" in checked.stdout
    one_city = tmp_path / "augsburg.ttl"
    assert run(approved_store, "dcat", "export", "--out", str(one_city), "--city", "augsburg").returncode == 0
    assert len(set(Graph().parse(one_city).subjects(RDF.type, DCAT.Dataset))) == 3


def test_validate_reports_violations_with_exit_1(tmp_path: Path, cli_env: dict[str, str], dcat_material: Path) -> None:
    broken = tmp_path / "broken.ttl"
    broken.write_text(
        "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n"
        "<https://daten.example/catalog> a dcat:Catalog ; dcat:dataset <https://daten.example/d/1> .\n"
        "<https://daten.example/d/1> a dcat:Dataset .\n", encoding="utf-8")
    done = run(cli_env, "dcat", "validate", str(broken), "--shapes", str(dcat_material / "shapes-2.0"))
    assert done.returncode == 1
    assert "Violation" in done.stdout and "title" in done.stdout


def test_validate_without_shapes_says_how_to_get_them(tmp_path: Path, cli_env: dict[str, str],
                                                      dcat_material: Path) -> None:
    catalog = tmp_path / "c.ttl"
    catalog.write_text("@prefix dcat: <http://www.w3.org/ns/dcat#> .\n<https://d.example/c> a dcat:Catalog .\n")
    done = run(cli_env, "dcat", "validate", str(catalog))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "no DCAT-AP.de 2.0 shapes in" in done.stderr and "inventur shapes fetch" in done.stderr
    assert "INVENTUR_SHAPES_DIR" in done.stderr
    # a setting that names one profile's folder itself (shapes-2.0) is taken as it is
    one_profile = run({**cli_env, "INVENTUR_SHAPES_DIR": str(dcat_material / "shapes-2.0")}, "dcat", "validate", str(catalog))
    assert one_profile.returncode == 1 and "shapes-2.0: 3 violations" in one_profile.stdout, one_profile.stderr
    assert "dct:title" in one_profile.stdout
