"""Tests of the survey workbook: sheets, labels, drop-downs, protection, Meta signature, pre-filled
entries, determinism, and that LibreOffice opens it (converted headless to PDF and CSV)."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from python_calamine import CalamineWorkbook, SheetVisibleEnum

from catalog.fields import BY_KEY, FIELDS, Kind
from catalog.organisation import City, Department, load_organisation
from survey.signature import SIGNED_KEYS, TEMPLATE_VERSION, Meta, verify
from survey.template import (
    ENTRY_ROWS,
    build_workbook,
    list_values,
    workbook_name,
)
from tests.conftest import libreoffice_or_skip

SECRET = b"augsburg-test-secret"
ISSUED = date(2026, 3, 2)
DEADLINE = date(2026, 4, 30)
EU = "http://publications.europa.eu/resource/authority"

KNOWN: list[dict[str, Any]] = [
    {
        "identifier": "A-STAT-0001",
        "city": "augsburg",
        "department": "STAT",
        "title": "Bevölkerung nach Stadtbezirken",
        "description": "Einwohnerinnen und Einwohner mit Hauptwohnsitz nach Stadtbezirk, Alter und Geschlecht.",
        "theme": [f"{EU}/data-theme/SOCI", f"{EU}/data-theme/REGI"],
        "keywords": ["Bevölkerung", "Einwohner"],
        "data_kind": "statistics",
        "source_system": "Einwohnermeldewesen (Auszug)",
        "contact_name": "Amt für Statistik",
        "contact_email": "statistik@augsburg.de",
        "personal_data": "anonymised",
        "third_party_rights": "no",
        "access_rights": f"{EU}/access-right/PUBLIC",
        "restriction_reason": None,
        "license": "http://dcat-ap.de/def/licenses/dl-by-de/2.0",
        "attribution": "Stadt Augsburg, Amt für Statistik",
        "formats": [f"{EU}/file-type/CSV", f"{EU}/file-type/XLSX"],
        "access_url": "https://www.augsburg.de/statistik",
        "frequency": f"{EU}/frequency/ANNUAL",
        "temporal_start": "2010-01-01",
        "temporal_end": "2025-12-31",
        "spatial": "http://dcat-ap.de/def/politicalGeocoding/municipalityKey/09761000",
        "spatial_scope": "districts",
        "last_updated": "2026-01-15",
        "hvd_category": "http://data.europa.eu/bna/c_e1da4e07",
        "publish_proposal": "yes",
        "remarks": None,
        "status": "approved",
        "quality_score": 87,
        "download_url": "https://www.augsburg.de/statistik/bevoelkerung.csv",
        "api_url": "https://api.augsburg.de/statistik/v1",
        "api_type": "REST",
        "api_documentation": "https://api.augsburg.de/statistik/v1/openapi.json",
        "legal_basis": None,
        "reuse_conditions": None,
        "protected_listing": None,
    },
    {
        # Hostile values from a database: none of them may become a formula.
        "identifier": "A-STAT-0002",
        "title": '=HYPERLINK("http://evil.example","klick")',
        "description": "+49 821 324-0 ist die Zentrale",
        "theme": [],
        "keywords": ["-minus", "@at"],
        "contact_email": "@statistik",
        "personal_data": "no",
        "access_rights": f"{EU}/access-right/NON_PUBLIC",
        "restriction_reason": "-- Datenschutz",
        "remarks": "=1+1",
        "temporal_start": "unbekannt",
    },
]
HOSTILE = {
    "B3": KNOWN[1]["title"],
    "C3": KNOWN[1]["description"],
    "E3": "-minus; @at",
    "I3": "@statistik",
    "M3": "-- Datenschutz",
    "Y3": "=1+1",
}


@pytest.fixture(scope="module")
def city() -> City:
    return load_organisation().city("augsburg")


@pytest.fixture(scope="module")
def department() -> Department:
    return load_organisation().department("augsburg", "STAT")


@pytest.fixture(scope="module")
def blank(city: City, department: Department) -> bytes:
    return build_workbook(
        city=city,
        department=department,
        campaign="2026-1",
        secret=SECRET,
        issued=ISSUED,
        deadline=DEADLINE,
        contact=("Open-Data-Team Augsburg", "opendata@augsburg.example"),
    )


@pytest.fixture(scope="module")
def filled(city: City, department: Department) -> bytes:
    return build_workbook(
        city=city, department=department, campaign="2026-1", secret=SECRET, issued=ISSUED, known_entries=KNOWN
    )


def _open(data: bytes) -> Workbook:
    return load_workbook(io.BytesIO(data))


def _validation_of(sheet: Worksheet, coordinate: str) -> DataValidation:
    found = [dv for dv in sheet.data_validations.dataValidation if coordinate in dv.sqref]
    assert len(found) == 1, f"{coordinate}: {len(found)} validations"
    return found[0]


def _read_meta(sheet: Worksheet) -> Meta:
    rows = [(r[0].value, r[1].value) for r in sheet.iter_rows(min_row=1, max_col=2)]
    assert [key for key, _ in rows] == [*SIGNED_KEYS, "signature"]
    return Meta(**{key: value for key, value in rows})


# --------------------------------------------------------------------------- names


def test_workbook_name() -> None:
    assert workbook_name("augsburg", "STAT", "2026-1") == "augsburg_STAT_2026-1.xlsx"
    for campaign in ("2026/1", "", "2026 1", "../x", "Frühjahr"):
        with pytest.raises(ValueError):
            workbook_name("augsburg", "STAT", campaign)


def test_department_of_another_city_is_refused(city: City) -> None:
    other = load_organisation().departments_of("muenchen")[0]
    with pytest.raises(ValueError, match="belongs to muenchen"):
        build_workbook(city=city, department=other, campaign="2026-1", secret=SECRET, issued=ISSUED)


# --------------------------------------------------------------------------- structure


def test_sheets_states_and_active_sheet(blank: bytes) -> None:
    wb = _open(blank)
    assert wb.sheetnames == ["Hinweise", "Datenbestände", "Listen", "Meta"]
    assert [ws.sheet_state for ws in wb.worksheets] == ["visible", "visible", "hidden", "veryHidden"]
    assert wb.active is not None and wb.active.title == "Datenbestände"
    assert [bool(ws.sheet_view.tabSelected) for ws in wb.worksheets] == [False, True, False, False]
    assert wb.security is not None and wb.security.lockStructure  # sheets cannot be renamed or unhidden

    calamine = CalamineWorkbook.from_filelike(io.BytesIO(blank))
    states = {m.name: m.visible for m in calamine.sheets_metadata}
    assert states == {
        "Hinweise": SheetVisibleEnum.Visible,
        "Datenbestände": SheetVisibleEnum.Visible,
        "Listen": SheetVisibleEnum.Hidden,
        "Meta": SheetVisibleEnum.VeryHidden,
    }


def test_header_labels_widths_comments_filter(blank: bytes) -> None:
    ws = _open(blank)["Datenbestände"]
    assert [c.value for c in ws[1]] == [f.label for f in FIELDS]
    # A..Y as SURVEY.md fixes them, then the columns added in template 2026.2
    assert [f.column for f in FIELDS] == [chr(ord("A") + i) for i in range(25)] + [
        "Z", "AA", "AB", "AC", "AD", "AE", "AF"]
    assert [f.label for f in FIELDS][25:] == [
        "Download-Adresse (Gesamtdatei)", "Schnittstelle (API): Adresse", "Schnittstelle: Art",
        "Schnittstelle: Beschreibung", "Rechtsgrundlage der Beschränkung", "Bedingungen der Weiterverwendung",
        "Im Verzeichnis geschützter Daten"]
    assert ws.freeze_panes == "C2"
    assert ws.auto_filter.ref == f"A1:AF{ENTRY_ROWS + 1}"
    for field in FIELDS:
        assert ws.column_dimensions[field.column].width == field.width
        comment = ws[f"{field.column}1"].comment
        assert comment is not None and field.help in comment.text

    rows = CalamineWorkbook.from_filelike(io.BytesIO(blank)).get_sheet_by_name("Datenbestände").to_python()
    assert rows == [[f.label for f in FIELDS]]  # nothing but the header: no phantom rows


def test_every_column_has_a_prompt_and_coded_columns_a_dropdown(blank: bytes) -> None:
    wb = _open(blank)
    ws, lists = wb["Datenbestände"], wb["Listen"]
    for field in FIELDS:
        for row in (2, ENTRY_ROWS + 1):
            dv = _validation_of(ws, f"{field.column}{row}")
        assert dv.showInputMessage and dv.prompt == field.help and dv.promptTitle == field.label
        assert f"{field.column}{ENTRY_ROWS + 2}" not in dv.sqref
        if field.vocabulary:
            assert dv.type == "list"
            match = re.fullmatch(r"Listen!\$([A-Z])\$2:\$\1\$(\d+)", dv.formula1 or "")
            assert match, dv.formula1
            letter, last = match.group(1), int(match.group(2))
            shown = [lists[f"{letter}{r}"].value for r in range(2, last + 1)]
            assert shown == list_values(field)
            assert lists[f"{letter}1"].value == field.label
            assert lists[f"{letter}{last + 1}"].value is None
            if field.kind is Kind.CODES:  # several values separated by semicolon: free typing
                assert not dv.showErrorMessage
            else:
                assert dv.showErrorMessage and dv.errorStyle == "warning"
        elif field.max_length:
            assert dv.type == "textLength" and dv.formula1 == str(field.max_length)
        else:
            assert dv.type is None  # any value, prompt only (dates: typed as the officer likes)


def test_lists_hold_the_contract_values() -> None:
    assert list_values(BY_KEY["personal_data"]) == ["nein", "ja", "anonymisiert"]
    assert list_values(BY_KEY["publish_proposal"]) == ["ja", "nein", "später"]
    assert list_values(BY_KEY["hvd_category"])[:2] == ["keine", "Georaum"]
    assert list_values(BY_KEY["license"])[0] == "Datenlizenz Deutschland – Zero – 2.0"
    assert "unbekannt" in list_values(BY_KEY["frequency"])
    assert len(list_values(BY_KEY["theme"])) == 13


def test_protection_locks_only_the_identifier(blank: bytes, filled: bytes) -> None:
    ws = _open(blank)["Datenbestände"]
    protection = ws.protection
    assert protection.sheet and not protection.password
    for allowed in (
        "autoFilter",
        "sort",
        "formatColumns",
        "formatRows",
        "formatCells",
        "insertRows",
        "deleteRows",
    ):
        assert getattr(protection, allowed) is False, allowed
    assert protection.insertColumns and protection.deleteColumns
    assert ws.column_dimensions["A"].protection.locked
    for field in FIELDS[1:]:
        assert ws.column_dimensions[field.column].protection.locked is False, field.column

    prefilled = _open(filled)["Datenbestände"]
    assert prefilled["A2"].protection.locked and prefilled["A2"].value == "A-STAT-0001"
    for cell in prefilled[2][1:]:
        if cell.value is not None:
            assert cell.protection.locked is False, cell.coordinate


def test_meta_is_signed(blank: bytes, city: City, department: Department) -> None:
    meta = _read_meta(_open(blank)["Meta"])
    assert meta.values() == {
        "campaign": "2026-1",
        "city": "augsburg",
        "department": "STAT",
        "department_name": department.name,
        "survey_version": TEMPLATE_VERSION,
        "issued": "2026-03-02",
    }
    assert verify(meta, SECRET)
    assert not verify(meta, b"another city's secret")
    calamine_rows = CalamineWorkbook.from_filelike(io.BytesIO(blank)).get_sheet_by_name("Meta").to_python()
    assert calamine_rows[-1] == ["signature", meta.signature]
    assert all(isinstance(value, str) for _, value in calamine_rows)  # the issue date is text, not a date


def test_hints_sheet_speaks_to_the_department(blank: bytes, filled: bytes, department: Department) -> None:
    text = "\n".join(str(c.value) for row in _open(blank)["Hinweise"].iter_rows() for c in row if c.value)
    for expected in (
        department.name,
        "30. April 2026",
        "opendata@augsburg.example",
        "Open-Data-Team Augsburg",
        "Was ist ein Datenbestand?",
        "Personenbezogene Daten",
        "Rechte Dritter",
        "Lizenzen",
        "Ein Beispiel",
        "Datenlizenz Deutschland – Namensnennung – 2.0",
        "Stadt Augsburg, " + department.name,
    ):
        assert expected in text, expected
    assert "schon eingetragen" not in text.replace("bereits eingetragen", "schon eingetragen")
    filled_text = "\n".join(
        str(c.value) for row in _open(filled)["Hinweise"].iter_rows() for c in row if c.value
    )
    assert "bereits eingetragen" in filled_text
    assert "möglichst bald" in filled_text  # no deadline given


def test_example_row_uses_the_dropdown_values(blank: bytes) -> None:
    ws = _open(blank)["Hinweise"]
    rows = [(r[0].value, r[1].value) for r in ws.iter_rows(max_col=2)]
    start = rows.index(("Ein Beispiel", None))
    example = {
        label: value for label, value in rows[start : start + len(FIELDS) + 3] if label in {f.label for f in FIELDS}
    }
    assert list(example) == [f.label for f in FIELDS]
    for field in FIELDS:
        if field.vocabulary and not str(example[field.label]).startswith("(leer"):  # "(leer, weil ...)": left blank
            for part in str(example[field.label]).split("; "):
                assert part in list_values(field), (field.key, part)


# --------------------------------------------------------------------------- update rounds


def test_known_entries_are_prefilled_as_labels(filled: bytes) -> None:
    ws = _open(filled)["Datenbestände"]
    row = {f.key: ws[f"{f.column}2"].value for f in FIELDS}
    assert row == {
        "identifier": "A-STAT-0001",
        "title": "Bevölkerung nach Stadtbezirken",
        "description": KNOWN[0]["description"],
        "theme": "Bevölkerung und Gesellschaft; Regionen und Städte",
        "keywords": "Bevölkerung; Einwohner",
        "data_kind": "Statistik",
        "source_system": "Einwohnermeldewesen (Auszug)",
        "contact_name": "Amt für Statistik",
        "contact_email": "statistik@augsburg.de",
        "personal_data": "anonymisiert",
        "third_party_rights": "nein",
        "access_rights": "öffentlich",
        "restriction_reason": None,
        "license": "Datenlizenz Deutschland – Namensnennung – 2.0",
        "attribution": "Stadt Augsburg, Amt für Statistik",
        "formats": "CSV; XLSX",
        "access_url": "https://www.augsburg.de/statistik",
        "frequency": "jährlich",
        "temporal_start": datetime(2010, 1, 1),
        "temporal_end": datetime(2025, 12, 31),
        "spatial": "Stadtbezirke / Stadtteile",
        "last_updated": datetime(2026, 1, 15),
        "hvd_category": "Statistik",
        "publish_proposal": "ja",
        "remarks": None,
        "download_url": "https://www.augsburg.de/statistik/bevoelkerung.csv",
        "api_url": "https://api.augsburg.de/statistik/v1",
        "api_type": "REST-Schnittstelle (JSON oder XML)",
        "api_documentation": "https://api.augsburg.de/statistik/v1/openapi.json",
        "legal_basis": None,
        "reuse_conditions": None,
        "protected_listing": None,
    }
    assert ws["S2"].is_date and ws["S2"].number_format == "DD.MM.YYYY"
    assert ws["S3"].value == "unbekannt"  # not a date: shown as it is, the reader reports it
    assert ws["D3"].value is None  # an empty list stays empty
    for field in FIELDS:  # the dropdowns offer every pre-filled coded label
        value = row[field.key]
        if field.vocabulary and isinstance(value, str):
            assert set(value.split("; ")) <= set(list_values(field)), field.key
    assert ws[4][0].value is None  # nothing after the known entries


def test_prefilled_strings_never_become_formulas(filled: bytes) -> None:
    ws = _open(filled)["Datenbestände"]
    for coordinate, expected in HOSTILE.items():
        cell = ws[coordinate]
        assert cell.value == expected and cell.data_type == "s", coordinate
    assert ws["B3"].quotePrefix
    with zipfile.ZipFile(io.BytesIO(filled)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name), name
    rows = CalamineWorkbook.from_filelike(io.BytesIO(filled)).get_sheet_by_name("Datenbestände").to_python()
    assert rows[2][1] == HOSTILE["B3"] and rows[2][24] == "=1+1"


def test_large_department_gets_rows_for_all_entries(city: City, department: Department) -> None:
    known = [{"identifier": f"A-STAT-{i:04d}", "title": f"Bestand {i}"} for i in range(1, 1101)]
    ws = _open(
        build_workbook(
            city=city,
            department=department,
            campaign="2026-1",
            secret=SECRET,
            issued=ISSUED,
            known_entries=known,
        )
    )["Datenbestände"]
    assert ws["A1101"].value == "A-STAT-1100"
    assert "D1301" in _validation_of(ws, "D1301").sqref
    assert ws.auto_filter.ref == "A1:AF1301"


def test_build_is_deterministic(city: City, department: Department, filled: bytes) -> None:
    again = build_workbook(
        city=city, department=department, campaign="2026-1", secret=SECRET, issued=ISSUED, known_entries=KNOWN
    )
    assert again == filled
    later = build_workbook(
        city=city,
        department=department,
        campaign="2026-1",
        secret=SECRET,
        issued=date(2026, 3, 3),
        known_entries=KNOWN,
    )
    assert later != filled
    with zipfile.ZipFile(io.BytesIO(filled)) as archive:
        assert {info.date_time for info in archive.infolist()} == {(2026, 3, 2, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
    assert "2026-03-02T00:00:00Z" in core


def test_entry_sheet_prints_one_page_wide_with_its_header(blank: bytes) -> None:
    """As people print a list: A4 landscape, all columns on one page width, the header row on every page."""
    sheet = _open(blank)["Datenbestände"]
    setup = sheet.page_setup
    assert (int(setup.paperSize), setup.orientation, setup.fitToWidth, setup.fitToHeight) == (9, "landscape", 1, 0)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$1:$1" and sheet.print_title_cols is None
    hints = _open(blank).worksheets[0]
    assert (int(hints.page_setup.paperSize), hints.page_setup.orientation, hints.page_setup.fitToWidth) == (9, "portrait", 1)


# --------------------------------------------------------------------------- LibreOffice


@pytest.fixture(scope="module")
def soffice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    binary = libreoffice_or_skip()
    yield binary, tmp_path_factory.mktemp("lo-profile")


def _convert(soffice: tuple[str, Path], source: Path, target: str, out: Path) -> Path:
    binary, profile = soffice
    result = subprocess.run(
        [
            binary,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            target,
            "--outdir",
            str(out),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    produced = sorted(out.iterdir())
    assert produced, f"LibreOffice wrote nothing: {result.stdout} {result.stderr}"
    return produced[0]


def test_libreoffice_opens_the_workbook(soffice: tuple[str, Path], filled: bytes, tmp_path: Path) -> None:
    source = tmp_path / workbook_name("augsburg", "STAT", "2026-1")
    source.write_bytes(filled)
    pdf = _convert(soffice, source, "pdf", tmp_path / "pdf")
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000

    # CSV of the second sheet (Datenbestände), cells as shown: 44 = comma, 34 = quote, 76 = UTF-8,
    # 9th token = "as shown", last token = sheet number.
    options = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,2"
    exported = _convert(soffice, source, options, tmp_path / "csv")
    rows = list(csv.reader(io.StringIO(exported.read_text(encoding="utf-8"))))
    assert rows[0] == [f.label for f in FIELDS]
    assert rows[1][0] == "A-STAT-0001" and rows[1][3] == "Bevölkerung und Gesellschaft; Regionen und Städte"
    assert rows[1][18] == "01.01.2010"  # a real date cell, shown in the German format
    assert rows[2][1] == HOSTILE["B3"] and rows[2][24] == "=1+1"  # text, not evaluated


def _pages(pdf: Path) -> list[tuple[float, float]]:
    """Width and height of each page of a PDF (points)."""
    boxes = re.findall(rb"/Type\s*/Page\b(?!s)[^>]*?/MediaBox\s*\[([^\]]*)\]", pdf.read_bytes())
    return [(float(box.split()[2]), float(box.split()[3])) for box in boxes]


def test_libreoffice_prints_300_rows_on_a_few_landscape_pages(soffice: tuple[str, Path], blank: bytes, city: City,
                                                                department: Department, tmp_path: Path) -> None:
    """300 filled rows print on a few A4 landscape pages, each with every column (before: 180 pages, a few
    columns each)."""
    import random

    from survey.simulation import fill_workbook, realistic_rows

    source = tmp_path / workbook_name("augsburg", "STAT", "2026-1")
    source.write_bytes(fill_workbook(blank, realistic_rows(city, department, 300, random.Random(3))))
    pages = _pages(_convert(soffice, source, "pdf", tmp_path / "pdf"))
    a4 = (595.3, 841.9)
    landscape = [p for p in pages if p[0] > p[1]]
    assert all(abs(min(p) - a4[0]) < 1 and abs(max(p) - a4[1]) < 1 for p in pages), pages
    assert 1 <= len(landscape) <= 4 and len(pages) - len(landscape) <= 3, pages  # the entries; the hints
