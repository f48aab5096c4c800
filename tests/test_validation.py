"""Validation of normalised entries: every rule with a failing and a passing entry, the cross-entry checks,
a run with thousands of faulty rows, and the offline Data Docs.

Great Expectations runs once per group (module-scoped fixtures): the rule matrix, the bulk run, and the
rule matrix again through the Data Docs checkpoint with a data frame as input.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any

import pytest

from catalog.fields import BY_KEY, FIELDS, Need
from catalog.findings import MESSAGES, Finding
from catalog.validation.rules import build_rules, parse_condition
from catalog.validation.similarity import Entry, cross_entry_findings, jaccard, similar_pairs, title_tokens
from catalog.validation.suite import ValidationResult, validate_records
from catalog.vocabulary import vocabularies

ROOT = Path(__file__).resolve().parents[1]
TODAY = dt.date(2026, 6, 15)
EU = "http://publications.europa.eu/resource/authority/"
DL_BY = "http://dcat-ap.de/def/licenses/dl-by-de/2.0"
CC_ZERO = "http://dcat-ap.de/def/licenses/cc-zero"
CLOSED = "http://dcat-ap.de/def/licenses/other-closed"
PUBLIC = EU + "access-right/PUBLIC"
RESTRICTED = EU + "access-right/RESTRICTED"
MUNICH = "http://dcat-ap.de/def/politicalGeocoding/municipalityKey/09162000"
FILE, SHEET = "muenchen_KVR_2026.xlsx", "Datenbestände"


def entry(n: int, **changes: Any) -> dict[str, Any]:
    """A clean entry of München's Kreisverwaltungsreferat (no finding at all), read from row ``n``."""
    record: dict[str, Any] = {
        "identifier": f"M-T{n:04d}",
        "city": "muenchen",
        "department": "KVR",
        "title": f"Prüfbestand {n:04d}",
        "description": "Ein Datenbestand, der nur für die Prüfung der Validierung angelegt ist.",
        "theme": [EU + "data-theme/GOVE"],
        "keywords": ["Prüfung", "Verwaltung"],
        "data_kind": "statistics",
        "source_system": None,
        "contact_name": "Sachgebiet Daten",
        "contact_email": "daten.kvr@muenchen.de",
        "personal_data": "no",
        "third_party_rights": "no",
        "access_rights": PUBLIC,
        "restriction_reason": None,
        "license": DL_BY,
        "attribution": "Landeshauptstadt München, Kreisverwaltungsreferat",
        "formats": [EU + "file-type/CSV", EU + "file-type/XLSX"],
        "access_url": "https://opendata.muenchen.de/dataset/pruefbestand",
        "frequency": EU + "frequency/ANNUAL",
        "temporal_start": "2020-01-01",
        "temporal_end": "2021-12-31",
        "spatial": MUNICH,
        "last_updated": "2026-01-10",
        "hvd_category": None,
        "publish_proposal": "yes",
        "remarks": None,
        "status": "received",
        "quality_score": None,
        "download_url": None,
        "api_url": None,
        "api_type": None,
        "api_documentation": None,
        "legal_basis": None,
        "reuse_conditions": None,
        "protected_listing": None,
        "_file": FILE,
        "_sheet": SHEET,
        "_row": n,
    }
    record.update(changes)
    return record


@dataclass(frozen=True)
class Case:
    """One rule: the changes that make a clean entry fail it, and changes that keep it passing."""

    name: str
    code: str
    field: str
    fail: dict[str, Any]
    ok: dict[str, Any] = dataclass_field(default_factory=dict)
    severity: str | None = None  # default: the code's severity
    value: str | None = "<from record>"  # the finding's value; default: the failing record's value, as text

    def expected_value(self, record: dict[str, Any]) -> str | None:
        if self.value != "<from record>":
            return self.value
        raw = record[self.field]
        return None if raw is None else str(raw)


REQUIRED = [f.key for f in FIELDS if f.need is Need.REQUIRED]
RECOMMENDED = [f.key for f in FIELDS if f.need is Need.RECOMMENDED]
EMPTY = {"theme": [], "keywords": [], "formats": [], "description": "   ", "contact_name": ""}

# What a restricted entry (legal basis, for the list of protected data) and an HVD entry (download and API)
# need besides, so that a case yields only the finding it is about.
LEGAL = {"legal_basis": "Art. 6 DSGVO"}
HVD_READY = {"download_url": "https://opendata.muenchen.de/pruefbestand.csv", "api_url": "https://api.muenchen.de/pruef",
             "api_type": "REST", "api_documentation": "https://api.muenchen.de/pruef/openapi.json"}

CASES: list[Case] = [
    *[Case(f"missing-required-{key}", "missing-required", key, {key: EMPTY.get(key)}, value=None) for key in REQUIRED],
    *[Case(f"missing-recommended-{key}", "missing-recommended", key, {key: EMPTY.get(key)}, value=None)
      for key in RECOMMENDED],
    Case("unknown-theme", "unknown-value", "theme", {"theme": [EU + "data-theme/GOVE", "Umwelt und Klima"]},
         {"theme": [EU + "data-theme/ENVI", EU + "data-theme/TRAN"]}, value="Umwelt und Klima"),
    Case("unknown-data-kind", "unknown-value", "data_kind", {"data_kind": "Statistik"}, {"data_kind": "geodata"},
         severity="warning"),
    Case("unknown-personal-data", "unknown-value", "personal_data", {"personal_data": "ja"}, {"personal_data": "anonymised"}),
    Case("unknown-third-party", "unknown-value", "third_party_rights", {"third_party_rights": "vielleicht"}),
    Case("unknown-access", "unknown-value", "access_rights", {"access_rights": "öffentlich"}),
    Case("unknown-license", "unknown-value", "license", {"license": "CC BY"},
         {"license": "http://dcat-ap.de/def/licenses/cc-by/4.0"}),
    Case("unknown-format", "unknown-value", "formats", {"formats": [EU + "file-type/CSV", "Excel"]},
         {"formats": [EU + "file-type/GEOJSON"]}, severity="warning", value="Excel"),
    Case("unknown-frequency", "unknown-value", "frequency", {"frequency": "jährlich"},
         {"frequency": EU + "frequency/DAILY"}, severity="warning"),
    Case("unknown-spatial", "unknown-value", "spatial", {"spatial": "gesamtes Stadtgebiet"},
         {"spatial": "http://dcat-ap.de/def/politicalGeocoding/municipalityKey/09761000"}, severity="warning"),
    Case("unknown-hvd", "unknown-value", "hvd_category", {"hvd_category": "Georaum"},
         {"hvd_category": "http://data.europa.eu/bna/c_ac64a52d", **HVD_READY}, severity="warning"),
    Case("unknown-proposal", "unknown-value", "publish_proposal", {"publish_proposal": "ja"}, {"publish_proposal": "later"}),
    Case("invalid-email", "invalid-email", "contact_email", {"contact_email": "poststelle(at)muenchen.de"},
         {"contact_email": "poststelle@muenchen.de"}),
    Case("invalid-url", "invalid-url", "access_url", {"access_url": "www.muenchen.de/daten"},
         {"access_url": "http://localhost:8080/daten.csv"}),
    Case("too-long", "too-long", "title", {"title": "x" * 201}, {"title": "y" * 200}),
    Case("description-short", "description-short", "description", {"description": "Zu kurz beschrieben, 29 Zeich"},
         {"description": "Knapp, aber lang genug: 30 Zei"}),
    Case("invalid-date-start", "invalid-date", "temporal_start", {"temporal_start": "01.03.2021"},
         {"temporal_start": "2021-03-01"}, severity="warning"),
    Case("invalid-date-updated", "invalid-date", "last_updated", {"last_updated": "2021-02-30"},
         {"last_updated": "2024-02-29"}, severity="warning"),
    Case("date-too-early", "date-too-early", "temporal_start", {"temporal_start": "1899-12-31"},
         {"temporal_start": "1900-01-01"}),
    Case("date-in-future", "date-in-future", "last_updated", {"last_updated": (TODAY + dt.timedelta(days=1)).isoformat()},
         {"last_updated": TODAY.isoformat()}),
    Case("date-order", "date-order", "temporal_end", {"temporal_start": "2022-01-01", "temporal_end": "2021-12-31"},
         {"temporal_start": "2021-06-30", "temporal_end": "2021-06-30"}),
    Case("restriction-reason-missing", "restriction-reason-missing", "restriction_reason",
         {"access_rights": RESTRICTED, "restriction_reason": None, **LEGAL},
         {"access_rights": RESTRICTED, "restriction_reason": "Datenschutz", **LEGAL}, value=None),
    Case("license-missing", "license-missing", "license", {"license": None, "attribution": None}, value=None),
    Case("attribution-missing", "attribution-missing", "attribution", {"license": DL_BY, "attribution": None},
         {"license": CC_ZERO, "attribution": None}, value=None),
    Case("personal-data-public", "personal-data-public", "access_rights",
         {"personal_data": "yes", "publish_proposal": "no"},
         {"personal_data": "yes", "publish_proposal": "no", "access_rights": RESTRICTED, "restriction_reason": "DSGVO",
          **LEGAL}),
    Case("personal-data-proposed", "personal-data-proposed", "publish_proposal",
         {"personal_data": "yes", "access_rights": RESTRICTED, "restriction_reason": "DSGVO", **LEGAL},
         {"personal_data": "yes", "access_rights": RESTRICTED, "restriction_reason": "DSGVO", "publish_proposal": "no",
          **LEGAL}),
    Case("third-party-unclear", "third-party-rights", "third_party_rights", {"third_party_rights": "unclear"}),
    Case("third-party-yes", "third-party-rights", "third_party_rights", {"third_party_rights": "yes"}),
    Case("license-not-open", "license-not-open", "license", {"license": CLOSED, "attribution": None},
         {"license": CLOSED, "attribution": None, "access_rights": RESTRICTED, "restriction_reason": "Vertrag", **LEGAL}),
]

# Entries for the set-level rules: (name, records that fail, records that pass).
SET_CASES: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {
    "duplicate-identifier": (
        [entry(901, identifier="M-DOPPELT"), entry(902, identifier="M-DOPPELT")],
        [entry(903, identifier="M-EINMALIG")],
    ),
    "duplicate-title": (
        [entry(911, title="Baumkataster Stadtgebiet"), entry(912, title="baumkataster, Stadtgebiet.")],
        [entry(913, title="Baumkataster 2019")],
    ),
    "duplicate-across-departments": (
        [entry(921, title="Straßenverzeichnis"), entry(922, title="Strassenverzeichnis", department="MOR"),
         entry(923, title="Parkhäuser Belegung aktuell Innenstadt", source_system="ParkInfo"),
         entry(924, title="Parkhäuser Belegung aktuell Innenstadt live", source_system="parkinfo", department="BAU")],
        [entry(925, title="Ladesäulen Belegung aktuell Innenstadt", source_system="LadeNetz"),
         entry(926, title="Ladesäulen Belegung aktuell Innenstadt live", source_system="Excel", department="BAU")],
    ),
    "similar-in-other-city": (
        [entry(931, title="Trinkbrunnen Standorte"),
         entry(932, title="Standorte der Trinkbrunnen in Augsburg", identifier="A-T0932", city="augsburg",
               department="GEO")],
        [entry(933, title="Hundesteuer Statistik", identifier="N-T0933", city="nuernberg", department="STA")],
    ),
}


def _matrix() -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    records: list[dict[str, Any]] = [entry(2)]
    failing: dict[str, dict[str, Any]] = {}
    passing: dict[str, dict[str, Any]] = {}
    for n, case in enumerate(CASES):
        failing[case.name] = entry(10 + 2 * n, **case.fail)
        passing[case.name] = entry(11 + 2 * n, **case.ok)
        records += [failing[case.name], passing[case.name]]
    for fail, ok in SET_CASES.values():
        records += fail + ok
    return records, failing, passing


RECORDS, FAILING, PASSING = _matrix()


def on(result: ValidationResult, record: dict[str, Any]) -> list[Finding]:
    """The findings on ``record`` (rows are unique in the matrix)."""
    return [f for f in result.findings if f.row == record["_row"] and f.file == record["_file"]]


@pytest.fixture(scope="module")
def rule_run() -> ValidationResult:
    return validate_records(RECORDS, today=TODAY)


# ---------------------------------------------------------------- the suite is generated from FIELDS


def test_rules_follow_the_fields() -> None:
    rules = build_rules(vocabularies(), today=TODAY)
    keys = {r.key for r in rules}
    assert {f"missing-required/{k}" for k in REQUIRED} <= keys
    assert {f"missing-recommended/{k}" for k in RECOMMENDED} <= keys
    assert {k.split("/")[1] for k in keys if k.startswith("unknown-value/")} == {f.key for f in FIELDS if f.vocabulary}
    assert {r.field for r in rules if r.code in ("restriction-reason-missing", "license-missing",
                                                    "attribution-missing")} == {
        f.key for f in FIELDS if f.need is Need.CONDITIONAL}
    assert all(r.code in MESSAGES for r in rules)


def test_condition_parser() -> None:
    vocab = vocabularies()
    assert parse_condition("access_rights is PUBLIC", vocab) == ("==", "access_rights", PUBLIC)
    operator, column, values = parse_condition("access_rights is not PUBLIC", vocab)
    assert (operator, column) == ("in", "access_rights") and RESTRICTED in values and PUBLIC not in values
    operator, column, values = parse_condition("license requires attribution", vocab)
    assert (operator, column) == ("in", "license") and DL_BY in values and CC_ZERO not in values
    with pytest.raises(ValueError):
        parse_condition("access_rights sometimes PUBLIC", vocab)
    with pytest.raises(ValueError):
        parse_condition("nonsense is PUBLIC", vocab)


def test_clean_entry_has_no_finding(rule_run: ValidationResult) -> None:
    assert on(rule_run, entry(2)) == []
    assert rule_run.checked == len(RECORDS)


# ---------------------------------------------------------------- every record-level rule


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_rule_fails(rule_run: ValidationResult, case: Case) -> None:
    record = FAILING[case.name]
    found = on(rule_run, record)
    assert [(f.code, f.field, f.column) for f in found] == [(case.code, case.field, BY_KEY[case.field].column)]
    f = found[0]
    assert (f.identifier, f.row, f.file, f.sheet) == (record["identifier"], record["_row"], FILE, SHEET)
    assert (f.city, f.department) == ("muenchen", "KVR")
    assert f.severity == (case.severity or MESSAGES[case.code][0])
    assert f.value == case.expected_value(record)
    assert f.message and f.message_en and "{" not in f.message


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_rule_passes(rule_run: ValidationResult, case: Case) -> None:
    assert on(rule_run, PASSING[case.name]) == []


def test_messages_carry_the_details(rule_run: ValidationResult) -> None:
    def message(name: str) -> str:
        return on(rule_run, FAILING[name])[0].message

    assert "201 Zeichen, erlaubt sind 200" in message("too-long")
    assert "29 Zeichen" in message("description-short")
    assert "(2021-12-31) liegt vor „Zeitraum von“ (2022-01-01)" in message("date-order")
    assert "Landeshauptstadt München, Kreisverwaltungsreferat" in message("attribution-missing")
    assert "„unklar“" in message("third-party-unclear")
    assert "„andere Lizenz (nicht offen)“" in message("license-not-open")
    assert message("missing-required-title").startswith("Pflichtangabe „Titel des Datenbestands“ fehlt")


# ---------------------------------------------------------------- set-level rules


def _codes(result: ValidationResult, record: dict[str, Any]) -> list[tuple[str, str | None, str | None]]:
    return [(f.code, f.field, f.column) for f in on(result, record)]


def test_duplicate_identifier(rule_run: ValidationResult) -> None:
    fail, ok = SET_CASES["duplicate-identifier"]
    for record in fail:
        found = on(rule_run, record)
        assert _codes(rule_run, record) == [("duplicate-identifier", "identifier", "A")]
        assert (found[0].identifier, found[0].value, found[0].row) == ("M-DOPPELT", "M-DOPPELT", record["_row"])
    assert on(rule_run, ok[0]) == []


def test_duplicate_title(rule_run: ValidationResult) -> None:
    fail, ok = SET_CASES["duplicate-title"]
    for record in fail:
        found = on(rule_run, record)
        assert _codes(rule_run, record) == [("duplicate-title", "title", "B")]
        assert found[0].identifier == record["identifier"] and found[0].value == record["title"]
        assert "(Zeilen 911, 912)" in found[0].message
    assert on(rule_run, ok[0]) == []


def test_duplicate_across_departments(rule_run: ValidationResult) -> None:
    fail, ok = SET_CASES["duplicate-across-departments"]
    streets_kvr, streets_mor, parking_kvr, parking_bau = fail
    for record in fail:
        assert _codes(rule_run, record) == [("duplicate-across-departments", "title", "B")]
        assert on(rule_run, record)[0].severity == "warning"
    assert "„Strassenverzeichnis“ (Mobilitätsreferat, Kennung M-T0922)" in on(rule_run, streets_kvr)[0].message
    assert "Kreisverwaltungsreferat, Kennung M-T0921" in on(rule_run, streets_mor)[0].message
    assert "Baureferat, Kennung M-T0924" in on(rule_run, parking_kvr)[0].message
    assert "Kreisverwaltungsreferat, Kennung M-T0923" in on(rule_run, parking_bau)[0].message
    # very similar titles, but different source systems: not the same dataset
    for record in ok:
        assert on(rule_run, record) == []


def test_similar_in_other_city(rule_run: ValidationResult) -> None:
    fail, ok = SET_CASES["similar-in-other-city"]
    munich, augsburg = fail
    assert _codes(rule_run, munich) == [("similar-in-other-city", "title", "B")]
    assert _codes(rule_run, augsburg) == [("similar-in-other-city", "title", "B")]
    seen_from_munich = on(rule_run, munich)[0]
    assert seen_from_munich.severity == "info" and seen_from_munich.identifier == "M-T0931"
    assert "Augsburg hat einen ähnlichen Datenbestand erfasst" in seen_from_munich.message
    assert "„Standorte der Trinkbrunnen in Augsburg“ (Geodatenamt, Kennung A-T0932)" in seen_from_munich.message
    seen_from_augsburg = on(rule_run, augsburg)[0]
    assert (seen_from_augsburg.city, seen_from_augsburg.identifier) == ("augsburg", "A-T0932")
    assert "München hat" in seen_from_augsburg.message and "Kennung M-T0931" in seen_from_augsburg.message
    assert on(rule_run, ok[0]) == []


def test_findings_are_ordered_by_record(rule_run: ValidationResult) -> None:
    positions = {id(r): n for n, r in enumerate(RECORDS)}
    by_row = {r["_row"]: positions[id(r)] for r in RECORDS}
    order = [by_row[f.row] for f in rule_run.findings if f.row is not None]
    assert order == sorted(order)


# ---------------------------------------------------------------- the cross-entry machinery


def test_title_tokens_fold_spelling_and_city_names() -> None:
    assert title_tokens("Baum-Kataster der Stadt München") == title_tokens("baumkataster  Muenchen.")
    assert title_tokens("Schulen") == title_tokens("Schule")
    assert title_tokens("Haushaltsplan 2023") != title_tokens("Haushaltsplan 2024")


def test_similar_pairs_finds_exactly_the_brute_force_pairs() -> None:
    rng = random.Random(7)
    words = [f"w{i}" for i in range(25)]
    keys = list(dict.fromkeys(frozenset(rng.sample(words, rng.randint(1, 5))) for _ in range(200)))
    for threshold in (0.5, 0.6, 0.8, 1.0):
        fast = {(i, j) for i, j, _ in similar_pairs(keys, threshold, max_block=None)}
        brute = {(i, j) for i in range(len(keys)) for j in range(i + 1, len(keys))
                 if jaccard(keys[i], keys[j]) >= threshold - 1e-9}
        assert fast == brute


def test_cross_entry_checks_stay_fast_on_near_identical_titles() -> None:
    rng = random.Random(3)
    cities = ["muenchen", "augsburg", "nuernberg"]
    entries = [
        Entry(i, cities[i % 3], "BAU", None, f"Bebauungsplan Gebiet {''.join(rng.choices('abcdefghij', k=8))}", "", i)
        for i in range(6000)
    ]
    found = cross_entry_findings(entries)
    assert Counter(f.code for _, f in found) == {"similar-in-other-city": 12000}


# ---------------------------------------------------------------- thousands of faulty rows


@pytest.fixture(scope="module")
def bulk() -> tuple[list[dict[str, Any]], ValidationResult]:
    records = [
        entry(2 + i, identifier=f"M-B{i:05d}", title=f"Bestand {i:05d}", contact_email=f"kein-postfach-{i}",
              contact_name=None, temporal_start="2023-01-01", temporal_end="2022-12-31")
        for i in range(5000)
    ]
    return records, validate_records(records, today=TODAY)


def test_every_finding_of_thousands_of_faulty_rows(bulk: tuple[list[dict[str, Any]], ValidationResult]) -> None:
    records, result = bulk
    assert result.checked == 5000
    assert len(result.findings) == 15000
    assert result.counts() == {"invalid-email": 5000, "missing-recommended": 5000, "date-order": 5000}
    per_row = Counter((f.row, f.code, f.column) for f in result.findings)
    expected = {(r["_row"], code, column) for r in records
                for code, column in (("invalid-email", "I"), ("missing-recommended", "H"), ("date-order", "T"))}
    assert set(per_row) == expected and set(per_row.values()) == {1}
    assert {f.identifier for f in result.findings} == {r["identifier"] for r in records}


# ---------------------------------------------------------------- Data Docs


@pytest.fixture(scope="module")
def docs_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ValidationResult]:
    import pandas as pd

    docs = tmp_path_factory.mktemp("docs")
    return docs, validate_records(pd.DataFrame(RECORDS), today=TODAY, docs_dir=docs, run_name="rule-matrix")


def test_docs_run_finds_the_same(docs_run: tuple[Path, ValidationResult], rule_run: ValidationResult) -> None:
    _, result = docs_run
    assert [f.as_record() for f in result.findings] == [f.as_record() for f in rule_run.findings]


def test_data_docs_are_offline(docs_run: tuple[Path, ValidationResult]) -> None:
    docs, result = docs_run
    assert result.docs_index == docs / "rule-matrix" / "index.html"
    assert result.docs_index.is_file()
    pages = list((docs / "rule-matrix").rglob("*.html"))
    assert any("validations" in p.parts for p in pages) and any("expectations" in p.parts for p in pages)
    external = re.compile(
        r"<link\b[^>]*href=[\"']?(https?:)?//|<script\b[^>]*src=[\"']?(https?:)?//|<img\b[^>]*src=[\"']?(https?:)?//"
        r"|url\(\s*[\"']?(https?:)?//|@import\s+[^;]*(https?:)?//",
        re.I,
    )
    for path in [*pages, *(docs / "rule-matrix").rglob("*.css")]:
        text = path.read_text(encoding="utf-8")
        assert not external.search(text), f"{path} refers to the internet"
        # GE's scripts are gone; the only script is our own filter of a result page, which loads nothing
        assert re.findall(r"<script\b[^>]*>", text) in ([], ['<script id="inventur-offline-filter">'])
    index = result.docs_index.read_text(encoding="utf-8")
    assert "static/styles/offline.css" in index
    assert "personal-data-public" in index and "similar-in-other-city" in index
    for href in re.findall(r'href="([^"#]+)"', index):
        assert (result.docs_index.parent / href).exists(), href


def _result_page(docs: Path) -> Path:
    [page] = (docs / "rule-matrix" / "validations").rglob("*.html")
    return page


def test_data_docs_show_each_status_without_the_icon_font(docs_run: tuple[Path, ValidationResult]) -> None:
    """Every expectation row shows ✗ or ✓ as text: without the web font GE's icons are empty."""
    docs, _result = docs_run
    text = _result_page(docs).read_text(encoding="utf-8")
    assert 'class="fas' not in text and "fa-times" not in text and "fa-check" not in text
    # the status cells: first column of each expectation table (section 1 is the overview of the run)
    cells = re.findall(r'<td id="section-(\d+)-content-block-2-cell-\d+-1"\s*(class="[^"]*")?\s*>(.*?)</td>', text, re.S)
    statuses = [("target-child" in css, content) for section, css, content in cells if int(section) >= 2]
    passed = [content for succeeded, content in statuses if succeeded]
    failed = [content for succeeded, content in statuses if not succeeded]
    assert passed and failed
    assert all('title="passed">✓</span>' in c and "text-success" in c for c in passed)
    assert all('title="failed">✗</span>' in c and "text-danger" in c for c in failed)
    assert re.search(r"Status:</span>\s*<span class=\"inventur-status text-danger\"[^>]*>✗</span>\s*Failed", text)


def test_failed_only_filter_works_offline_in_a_browser(docs_run: tuple[Path, ValidationResult], tmp_path: Path) -> None:
    """Chromium opens the page filtered (``#failed-only``, as a click on "Failed Only" does): the passed
    expectations are hidden, the failed ones stay; unfiltered, nothing is hidden."""
    from tests.conftest import chromium_or_skip
    from tests.factories import chromium

    binary = chromium_or_skip()
    page = _result_page(docs_run[0])

    def rows(url: str) -> tuple[list[str], list[str]]:
        done = chromium(binary, tmp_path, url, "--dump-dom")
        assert done.returncode == 0, done.stderr[-2000:]
        found = re.findall(r"<tr\b[^>]*>.*?</tr>", done.stdout, re.S)
        return [r for r in found if 'title="passed"' in r], [r for r in found if 'title="failed"' in r]

    passed, failed = rows(page.as_uri() + "#failed-only")
    assert passed and failed
    assert all(r.startswith('<tr style="display: none;">') for r in passed)
    assert not any("display: none" in r.split(">", 1)[0] for r in failed)
    passed, failed = rows(page.as_uri())
    assert not any("display: none" in r.split(">", 1)[0] for r in passed + failed)


def test_a_report_is_replaced_but_nothing_else(tmp_path: Path) -> None:
    first = validate_records(RECORDS[:1], today=TODAY, docs_dir=tmp_path, run_name="again")
    assert first.docs_index is not None
    stale = first.docs_index.parent / "validations" / "stale.html"
    stale.write_text("old", encoding="utf-8")
    second = validate_records(RECORDS[:1], today=TODAY, docs_dir=tmp_path, run_name="again")
    assert second.docs_index == first.docs_index and second.docs_index.is_file() and not stale.exists()
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(FileExistsError):
        validate_records(RECORDS[:1], today=TODAY, docs_dir=tmp_path, run_name="foreign")
    assert (foreign / "notes.txt").read_text(encoding="utf-8") == "mine"
    with pytest.raises(ValueError):
        validate_records(RECORDS[:1], today=TODAY, docs_dir=tmp_path, run_name="../elsewhere")


# ---------------------------------------------------------------- without Great Expectations


def test_no_records_no_run() -> None:
    result = validate_records([], today=TODAY)
    assert (result.findings, result.checked, result.docs_index) == ([], 0, None)


def test_great_expectations_is_imported_lazily() -> None:
    code = "import sys, catalog.validation.suite; assert 'great_expectations' not in sys.modules, 'imported'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
