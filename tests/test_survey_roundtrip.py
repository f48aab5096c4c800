"""The survey round trip as departments live it: a built workbook, filled by a script with valid and
messy values, returned through the share, collected, exported; bad files, tampering, resubmissions."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from catalog.fields import FIELDS
from catalog.inventory import open_findings, versions_of
from flows.services import Services
from flows.settings import Settings
from flows.steps.inventory import build_surveys, collect

EU = "http://publications.europa.eu/resource/authority/"
LIC = "http://dcat-ap.de/def/licenses/"
CAMPAIGN = "2026-herbst"
COL = {f.key: f.column for f in FIELDS}


@pytest.fixture
def services(tmp_path: Path) -> Any:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'inventur.db'}", data_dir=tmp_path / "data",
                        secret_augsburg="geheim-augsburg", secret_muenchen="geheim-muenchen")  # type: ignore[arg-type]
    built = Services(settings)
    yield built
    built.close()


def outbox_workbook(services: Services, city: str, dept: str) -> Path:
    build_surveys(services, city=city, department=dept, campaign=CAMPAIGN, distribute=True)
    return Path(services.settings.share_location) / city / dept / "outbox" / f"{city}_{dept}_{CAMPAIGN}.xlsx"


def fill(src: Path, rows: list[dict[str, Any]], dest: Path, *, start: int = 2) -> Path:
    """Type values into the entry sheet as a data officer would (by column letter of each field)."""
    workbook = openpyxl.load_workbook(src)
    sheet = workbook["Datenbestände"]
    for offset, row in enumerate(rows):
        for key, value in row.items():
            sheet[f"{COL[key]}{start + offset}"] = value
    dest.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(dest)
    return dest


def inbox(services: Services, city: str, dept: str) -> Path:
    return Path(services.settings.share_location) / city / dept / "inbox"


def export(services: Services) -> list[dict[str, Any]]:
    from catalog.inventory import entry_record, iter_entries

    with services.store.session() as session:
        return [entry_record(e) for e in iter_entries(session)]


VALID = {
    "title": "Baumkataster",
    "description": "Alle städtischen Bäume mit Art, Pflanzjahr, Kronendurchmesser und Standort.",
    "theme": "Umwelt",
    "keywords": "Bäume; Stadtgrün",
    "data_kind": "Geodaten",
    "source_system": "GALK-Baumkataster",
    "contact_name": "Amt für Grünordnung",
    "contact_email": "gruen@augsburg.de",
    "personal_data": "nein",
    "third_party_rights": "nein",
    "access_rights": "öffentlich",
    "license": "Datenlizenz Deutschland – Namensnennung – 2.0",
    "attribution": "Stadt Augsburg, Amt für Grünordnung",
    "formats": "CSV; GeoJSON",
    "access_url": "https://www.augsburg.de/umwelt/baeume",
    "frequency": "jährlich",
    "temporal_start": dt.datetime(2010, 1, 1),
    "temporal_end": dt.datetime(2025, 12, 31),
    "spatial": "gesamtes Stadtgebiet",
    "last_updated": dt.datetime(2025, 6, 30),
    "hvd_category": "Georaum",
    "publish_proposal": "ja",
    "remarks": "Auch als WMS verfügbar.",
    # a High-Value Dataset that meets the regulation: bulk download and an API with its description
    "download_url": "https://www.augsburg.de/umwelt/baeume/baeume.csv",
    "api_url": "https://geodienste.augsburg.de/baeume/wms",
    "api_type": "WMS (Kartendienst)",
    "api_documentation": "https://geodienste.augsburg.de/baeume/wms?SERVICE=WMS&REQUEST=GetCapabilities",
}

# the messy spellings of SURVEY.md, one realistic row
MESSY = {
    "title": "  Parkscheinautomaten\u00a0Standorte ",
    "description": "Standorte aller Parkscheinautomaten\r\nmit Tarifzone.",
    "theme": "verkehr.",
    "keywords": "Parken, Automaten; parken",
    "contact_email": " mailto:Verkehr@Augsburg.de ",
    "personal_data": "n",
    "third_party_rights": "-",
    "access_rights": "Öffentlich",
    "license": "DL-DE->BY-2.0",
    "attribution": "Stadt Augsburg",
    "formats": "csv; xlsx, Shape, WMS-Dienst, json",
    "frequency": "taeglich",
    "temporal_start": "03/2021",
    "temporal_end": "März 2024",
    "spatial": "Einzelne Standorte / Adressen",
    "last_updated": "1.3.24",
    "hvd_category": "keine",
    "publish_proposal": "x",
}

BROKEN = {
    "title": "Hundesteuer-Register",
    "description": "kurz",
    "theme": "Raumfahrt",
    "contact_email": "steuer(at)augsburg.de",
    "personal_data": "ja",
    "third_party_rights": "unklar",
    "access_rights": "öffentlich",
    "license": "Datenlizenz Deutschland",
    "frequency": "alle paar Tage",
    "temporal_start": "2022",
    "temporal_end": "2020",
    "last_updated": "irgendwann",
    "publish_proposal": "ja",
}


def test_round_trip_values_and_findings(services: Services, tmp_path: Path) -> None:
    blank = outbox_workbook(services, "augsburg", "STAT")
    filled = fill(blank, [VALID, MESSY, BROKEN], inbox(services, "augsburg", "STAT") / "antwort.xlsx")
    summary = collect(services, from_share=True)
    assert summary.totals["read"] == 1 and summary.totals["created"] == 3
    assert filled.exists()

    valid, messy, broken = export(services)
    assert valid["identifier"] == "A-STAT-00001" and messy["identifier"] == "A-STAT-00002"
    assert valid == {
        "identifier": "A-STAT-00001", "city": "augsburg", "department": "STAT", "title": "Baumkataster",
        "description": VALID["description"], "theme": [EU + "data-theme/ENVI"], "keywords": ["Bäume", "Stadtgrün"],
        "data_kind": "geodata", "source_system": "GALK-Baumkataster", "contact_name": "Amt für Grünordnung",
        "contact_email": "gruen@augsburg.de", "personal_data": "no", "third_party_rights": "no",
        "access_rights": EU + "access-right/PUBLIC", "restriction_reason": None, "license": LIC + "dl-by-de/2.0",
        "attribution": "Stadt Augsburg, Amt für Grünordnung", "formats": [EU + "file-type/CSV", EU + "file-type/GEOJSON"],
        "access_url": "https://www.augsburg.de/umwelt/baeume", "frequency": EU + "frequency/ANNUAL",
        "temporal_start": "2010-01-01", "temporal_end": "2025-12-31",
        "spatial": "http://dcat-ap.de/def/politicalGeocoding/municipalityKey/09761000", "last_updated": "2025-06-30",
        "hvd_category": "http://data.europa.eu/bna/c_ac64a52d", "publish_proposal": "yes",
        "remarks": "Auch als WMS verfügbar.", "status": "ready", "quality_score": None,
        "download_url": VALID["download_url"], "api_url": VALID["api_url"], "api_type": "WMS",
        "api_documentation": VALID["api_documentation"], "legal_basis": None, "reuse_conditions": None,
        "protected_listing": None,
    }
    assert messy["title"] == "Parkscheinautomaten Standorte"
    assert messy["description"] == "Standorte aller Parkscheinautomaten\nmit Tarifzone."
    assert messy["theme"] == [EU + "data-theme/TRAN"]
    assert messy["keywords"] == ["Parken", "Automaten"]
    assert messy["contact_email"] == "Verkehr@augsburg.de"
    assert (messy["personal_data"], messy["third_party_rights"], messy["publish_proposal"]) == ("no", "no", "yes")
    assert messy["access_rights"] == EU + "access-right/PUBLIC"
    assert messy["license"] == LIC + "dl-by-de/2.0"
    assert [f.rsplit("/", 1)[1] for f in messy["formats"]] == ["CSV", "XLSX", "SHP", "WMS_SRVC", "JSON"]
    assert messy["frequency"] == EU + "frequency/DAILY"
    assert (messy["temporal_start"], messy["temporal_end"], messy["last_updated"]) == ("2021-03-01", "2024-03-31", "2024-03-01")
    assert messy["spatial"].endswith("/09761000") and messy["hvd_category"] is None
    assert messy["status"] == "ready"
    assert broken["license"] is None and broken["contact_email"] is None and broken["frequency"] is None
    assert broken["status"] == "needs_changes"

    with services.store.session() as session:
        found = {(f.code, f.row, f.column) for f in open_findings(session)}
        infos = [f for f in open_findings(session, severity="info") if f.row == 3]
    # every correction of the messy row is an info finding on its cell, showing before and after
    assert {(f.column) for f in infos} >= {COL[k] for k in ("theme", "contact_email", "personal_data",
                                                             "third_party_rights", "license", "formats", "frequency",
                                                             "temporal_start", "temporal_end", "last_updated",
                                                             "publish_proposal", "spatial", "access_rights")}
    assert all("→" in f.message for f in infos)
    expected_errors = {
        ("unknown-value", 4, COL["theme"]),
        ("invalid-email", 4, COL["contact_email"]),
        ("ambiguous-value", 4, COL["license"]),
        ("invalid-date", 4, COL["last_updated"]),
        ("date-order", 4, COL["temporal_end"]),
        ("personal-data-public", 4, COL["access_rights"]),
        ("description-short", 4, COL["description"]),
        ("third-party-rights", 4, COL["third_party_rights"]),
        ("unknown-value", 4, COL["frequency"]),
    }
    assert expected_errors <= found, expected_errors - found
    # no finding at all on the valid row, apart from what is merely recommended and missing
    assert not [f for f in found if f[1] == 2]


def test_collect_from_share_closes_its_run(services: Services) -> None:
    from sqlalchemy import select

    from catalog.models import Run

    blank = outbox_workbook(services, "augsburg", "STAT")
    fill(blank, [VALID, BROKEN], inbox(services, "augsburg", "STAT") / "antwort.xlsx")
    collect(services, from_share=True)
    collect(services, from_share=True)  # nothing new: the run is closed all the same
    with services.store.session() as session:
        runs = session.scalars(select(Run).where(Run.kind == "collect").order_by(Run.id)).all()
        assert [(r.status, r.finished_at is not None) for r in runs] == [("ok", True), ("ok", True)]
        assert (runs[0].summary["files"], runs[0].summary["read"], runs[0].summary["created"]) == (1, 1, 2)
        assert (runs[1].summary["files"], runs[1].summary["duplicate"]) == (1, 1)


def test_feedback_workbook_marks_the_cells(services: Services) -> None:
    blank = outbox_workbook(services, "augsburg", "STAT")
    fill(blank, [VALID, BROKEN], inbox(services, "augsburg", "STAT") / "antwort.xlsx")
    summary = collect(services, from_share=True)
    [location] = summary.feedback
    workbook = openpyxl.load_workbook(location)
    assert workbook.sheetnames[0] == "Rückmeldung"
    sheet = workbook["Datenbestände"]
    assert sheet[f"{COL['contact_email']}3"].comment is not None
    assert "E-Mail" in sheet[f"{COL['contact_email']}3"].comment.text
    assert sheet[f"{COL['title']}2"].comment is None


def test_a_keyword_that_had_to_change_is_told_in_the_feedback(services: Services) -> None:
    blank = outbox_workbook(services, "augsburg", "STAT")
    fill(blank, [{**VALID, "keywords": "Baum/Kataster; Bäume; x"}], inbox(services, "augsburg", "STAT") / "a.xlsx")
    [location] = collect(services, from_share=True).feedback
    [entry] = export(services)
    assert entry["keywords"] == ["Baum Kataster", "Bäume"]  # stored as every path publishes it
    comment = openpyxl.load_workbook(location)["Datenbestände"][f"{COL['keywords']}2"].comment
    assert comment is not None
    assert "„Baum/Kataster“ wird als „Baum Kataster“ veröffentlicht" in comment.text
    assert "„x“ wird nicht veröffentlicht" in comment.text


def test_corrected_feedback_workbook_sent_back_updates_instead_of_adding(services: Services, tmp_path: Path) -> None:
    blank = outbox_workbook(services, "augsburg", "STAT")
    fill(blank, [VALID, BROKEN], inbox(services, "augsburg", "STAT") / "antwort.xlsx")
    [location] = collect(services, from_share=True).feedback
    workbook = openpyxl.load_workbook(location)
    sheet = workbook["Datenbestände"]
    # the new rows carry the Kennung they were given, so sending the file back cannot add them twice
    assert (sheet["A2"].value, sheet["A3"].value) == ("A-STAT-00001", "A-STAT-00002")
    sheet[f"{COL['contact_email']}3"] = "steuer@augsburg.de"
    corrected = tmp_path / "back" / "antwort-korrigiert.xlsx"
    corrected.parent.mkdir()
    workbook.save(corrected)
    again = collect(services, [corrected])
    assert again.totals["read"] == 1, again.outcomes[0].findings
    assert (again.totals["created"], again.totals["updated"], again.totals["unchanged"]) == (0, 1, 1)
    assert [e["identifier"] for e in export(services)] == ["A-STAT-00001", "A-STAT-00002"]
    assert export(services)[1]["contact_email"] == "steuer@augsburg.de"


def _bad_files(folder: Path, good_template: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    files["renamed-csv"] = folder / "liste.xlsx"
    files["renamed-csv"].write_text("Titel;Beschreibung\nBaumkataster;Bäume\n", encoding="utf-8")
    files["legacy-xls"] = folder / "alt.xlsx"
    files["legacy-xls"].write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 504)
    data = good_template.read_bytes()
    files["truncated"] = folder / "abgeschnitten.xlsx"
    files["truncated"].write_bytes(data[: len(data) // 2])
    files["not-a-zip"] = folder / "kaputt.xlsx"
    files["not-a-zip"].write_bytes(b"\x00\x01garbage" * 100)
    macro = folder / "makro.xlsx"
    with zipfile.ZipFile(good_template) as src, zipfile.ZipFile(macro, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        dst.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0macro")
    files["macros"] = macro
    bomb = folder / "bombe.xlsx"
    with zipfile.ZipFile(good_template) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        with dst.open("xl/sharedStrings2.xml", "w") as handle:
            chunk = b"A" * (1 << 20)
            for _ in range(300):
                handle.write(chunk)
    files["bomb"] = bomb
    return files


EXPECTED_BAD = {
    "renamed-csv": "file-unreadable",
    "legacy-xls": "file-unreadable",
    "truncated": "file-unreadable",
    "not-a-zip": "file-unreadable",
    "macros": "file-macros",
    "bomb": "file-too-large",
}


def test_bad_files_get_one_finding_and_good_file_is_still_read(services: Services, tmp_path: Path) -> None:
    blank = outbox_workbook(services, "augsburg", "STAT")
    good = fill(blank, [VALID], tmp_path / "in" / "gut.xlsx")
    bad = _bad_files(tmp_path / "in", good)
    summary = collect(services, [tmp_path / "in"], feedback=False)
    by_name = {o.name: o for o in summary.outcomes}
    assert by_name["gut.xlsx"].status == "read" and by_name["gut.xlsx"].created == 1
    for kind, path in bad.items():
        outcome = by_name[path.name]
        assert outcome.status == "rejected", kind
        assert [f.code for f in outcome.findings if f.severity == "error"] == [EXPECTED_BAD[kind]], kind
    # every received file is kept, bad or good, with its checksum
    with services.store.session() as session:
        from sqlalchemy import select

        from catalog.models import ReceivedFile

        kept = session.scalars(select(ReceivedFile)).all()
        assert len(kept) == 1 + len(bad)
        assert all(Path(k.stored_path).exists() for k in kept)


def test_tampered_meta_is_rejected(services: Services, tmp_path: Path) -> None:
    blank = outbox_workbook(services, "augsburg", "STAT")
    workbook = openpyxl.load_workbook(blank)
    meta = workbook["Meta"]
    for row in meta.iter_rows():
        if row[0].value == "department":
            row[1].value = "GEO"
    workbook["Datenbestände"]["B2"] = "Baumkataster"
    dest = tmp_path / "in" / "getauscht.xlsx"
    dest.parent.mkdir()
    workbook.save(dest)
    summary = collect(services, [dest], feedback=False)
    [outcome] = summary.outcomes
    assert outcome.status == "rejected"
    assert [f.code for f in outcome.findings] == ["signature-invalid"]
    assert export(services) == []


def test_workbook_of_another_city_secret_is_rejected(services: Services, tmp_path: Path) -> None:
    blank = outbox_workbook(services, "augsburg", "STAT")
    forged = Settings(database_url=services.settings.database_url, data_dir=tmp_path / "other",
                      secret_augsburg="falsch")  # type: ignore[arg-type]
    other = Services(forged)
    build_surveys(other, city="augsburg", department="STAT", campaign=CAMPAIGN, out_dir=tmp_path / "forged")
    summary = collect(services, [fill(tmp_path / "forged" / blank.name, [VALID], tmp_path / "x" / "f.xlsx")], feedback=False)
    assert [f.code for f in summary.outcomes[0].findings] == ["signature-invalid"]
    other.close()


def test_outdated_template_is_rejected(services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import survey.template

    monkeypatch.setattr(survey.template, "TEMPLATE_VERSION", "2025.1", raising=False)
    import survey.signature

    monkeypatch.setattr(survey.signature, "TEMPLATE_VERSION", "2025.1")
    blank = outbox_workbook(services, "augsburg", "STAT")
    monkeypatch.undo()
    summary = collect(services, [fill(blank, [VALID], tmp_path / "alt" / "a.xlsx")], feedback=False)
    assert [f.code for f in summary.outcomes[0].findings] == ["template-outdated"]


def test_recollect_writes_nothing_and_correction_keeps_history(services: Services, tmp_path: Path) -> None:
    blank = outbox_workbook(services, "augsburg", "STAT")
    first = fill(blank, [VALID, BROKEN], tmp_path / "r1" / "antwort.xlsx")
    collect(services, [first])
    before = export(services)
    again = collect(services, [first])
    assert again.totals["duplicate"] == 1 and again.totals["created"] == again.totals["updated"] == 0
    assert export(services) == before

    # the department corrects the broken row in its feedback round (Kennung pre-filled by an update round)
    update_round = outbox_workbook(services, "augsburg", "STAT")
    workbook = openpyxl.load_workbook(update_round)
    sheet = workbook["Datenbestände"]
    assert sheet["A2"].value == "A-STAT-00001" and sheet["A3"].value == "A-STAT-00002"
    assert sheet["B3"].value == "Hundesteuer-Register"
    sheet[f"{COL['contact_email']}3"] = "steuer@augsburg.de"
    sheet[f"{COL['personal_data']}3"] = "anonymisiert"
    sheet[f"{COL['temporal_end']}3"] = "2024"
    corrected = tmp_path / "r2" / "antwort.xlsx"
    corrected.parent.mkdir()
    workbook.save(corrected)
    result = collect(services, [corrected])
    assert result.totals["updated"] == 1 and result.totals["created"] == 0 and result.totals["unchanged"] == 1
    with services.store.session() as session:
        history = versions_of(session, "A-STAT-00002")
        assert [v.version for v in history] == [1, 2]
        assert history[0].data["contact_email"] is None and history[1].data["contact_email"] == "steuer@augsburg.de"
        assert history[0].raw is not None and history[0].raw["contact_email"] == "steuer(at)augsburg.de"
        still_open = {f.code for f in open_findings(session) if f.identifier == "A-STAT-00002"}
    assert "invalid-email" not in still_open and "date-order" not in still_open
    assert len(versions_of_all(services)) == 3


def versions_of_all(services: Services) -> list[Any]:
    from sqlalchemy import select

    from catalog.models import EntryVersion

    with services.store.session() as session:
        return list(session.scalars(select(EntryVersion)))


def test_moved_and_extra_columns_are_tolerated(services: Services, tmp_path: Path) -> None:
    blank = outbox_workbook(services, "augsburg", "STAT")
    workbook = openpyxl.load_workbook(blank)
    sheet = workbook["Datenbestände"]
    sheet.protection.sheet = False
    sheet.move_range("B1:B1000", cols=30)  # the title column moved to the far right
    sheet["AG1"] = "Interne Notiz"
    sheet["AF2"] = "Baumkataster"
    for key, value in VALID.items():
        if key != "title":
            sheet[f"{COL[key]}2"] = value
    sheet["AG2"] = "nur für uns"
    dest = tmp_path / "moved.xlsx"
    workbook.save(dest)
    summary = collect(services, [dest], feedback=False)
    [outcome] = summary.outcomes
    assert outcome.status == "read" and outcome.created == 1
    assert ("unknown-column", "AG") in {(f.code, f.column) for f in outcome.findings}
    [record] = export(services)
    assert record["title"] == "Baumkataster" and record["license"] == LIC + "dl-by-de/2.0"


def test_formulas_are_never_evaluated(services: Services, tmp_path: Path) -> None:
    blank = outbox_workbook(services, "augsburg", "STAT")
    row = dict(VALID, remarks="=HYPERLINK(\"http://evil.example\",\"klick\")")
    dest = fill(blank, [row], tmp_path / "f.xlsx")
    summary = collect(services, [dest], feedback=False)
    [outcome] = summary.outcomes
    assert ("formula-in-cell", 2, COL["remarks"]) in {(f.code, f.row, f.column) for f in outcome.findings}
    [record] = export(services)
    assert record["remarks"] in (None, "")  # no cached value: the formula text itself is never taken


def test_cli_collect_and_export(tmp_path: Path, cli_env: dict[str, str]) -> None:
    env = {**cli_env, "INVENTUR_SECRET_AUGSBURG": "geheim"}
    root = Path(__file__).resolve().parents[1]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "flows", *args], capture_output=True, text=True, env=env,
                              timeout=300, cwd=root)

    built = run("survey", "build", "--city", "augsburg", "--department", "STAT", "--campaign", CAMPAIGN,
                "--out", str(tmp_path / "wb"))
    assert built.returncode == 0, built.stderr
    blank = tmp_path / "wb" / f"augsburg_STAT_{CAMPAIGN}.xlsx"
    fill(blank, [MESSY], tmp_path / "back" / "a.xlsx")
    done = run("collect", str(tmp_path / "back"), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["totals"]["created"] == 1
    [record] = [json.loads(line) for line in run("export", "--format", "jsonl").stdout.splitlines()]
    assert record["frequency"] == EU + "frequency/DAILY"
    status = run("campaign", "status", "--city", "augsburg", "--format", "json")
    [city] = json.loads(status.stdout)
    stat = next(d for d in city["departments"] if d["department"] == "STAT")
    assert stat["returned"] == 1 and stat["entries"] == 1
    assert run("survey", "build", "--city", "augsburg", "--campaign", "x").returncode == 2
    assert run("survey", "build", "--city", "augsburg", "--department", "NOPE", "--campaign", "x", "--out",
               str(tmp_path)).returncode == 2
    assert run("collect").returncode == 2



def test_distribute_and_collect_through_webdav(tmp_path: Path) -> None:
    """The whole round on a real WebDAV server: deliveries recorded, returns collected, feedback put back."""
    from sqlalchemy import select

    from catalog.models import Delivery
    from tests.davserver import PASSWORD, USER, DavServer

    server = DavServer(tmp_path / "dav")
    try:
        settings = Settings(database_url=f"sqlite:///{tmp_path / 'i.db'}", data_dir=tmp_path / "data",
                            share=server.url, share_username=USER, share_password=PASSWORD,  # type: ignore[arg-type]
                            secret_nuernberg="geheim")  # type: ignore[arg-type]
        services = Services(settings)
        dept = services.organisation.departments_of("nuernberg")[0].code
        built = build_surveys(services, city="nuernberg", department=dept, campaign=CAMPAIGN, distribute=True)
        assert built[0].location and built[0].location.startswith("http://127.0.0.1")
        on_disk = server.root / "nuernberg" / dept / "outbox" / built[0].file_name
        assert on_disk.exists()
        with services.store.session() as session:
            [delivery] = session.scalars(select(Delivery)).all()
            assert (delivery.city, delivery.department, delivery.sha256) == ("nuernberg", dept, built[0].sha256)
        fill(on_disk, [VALID, BROKEN], server.root / "nuernberg" / dept / "inbox" / "zurueck.xlsx")
        summary = collect(services, from_share=True)
        assert summary.totals["read"] == 1 and summary.totals["created"] == 2
        assert (server.root / "nuernberg" / dept / "outbox" / "zurueck_Rueckmeldung.xlsx").exists()
        again = collect(services, from_share=True)
        assert again.totals["duplicate"] == 1 and again.totals["created"] == 0
        services.close()
    finally:
        server.stop()
