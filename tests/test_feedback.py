"""Tests of the feedback workbook: a department's filled workbook back with marked, commented cells and
the summary sheet ``Rückmeldung``; Meta untouched; a broken original gets a summary-only workbook."""

from __future__ import annotations

import io
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet
from python_calamine import CalamineWorkbook, SheetVisibleEnum

from catalog.fields import FIELDS
from catalog.findings import Finding, finding
from catalog.organisation import City, Department, load_organisation
from survey.feedback import SEVERITY_FILLS, build_feedback, feedback_name
from survey.signature import SIGNED_KEYS, Meta, verify
from survey.template import build_workbook
from tests.conftest import libreoffice_or_skip

SECRET = b"augsburg-test-secret"
CREATED = datetime(2026, 3, 20, 13, 5, tzinfo=UTC)  # 14:05 in the cities (CET)
SHEET = "Datenbestände"
FILE = "augsburg_STAT_2026-1.xlsx"


@pytest.fixture(scope="module")
def city() -> City:
    return load_organisation().city("augsburg")


@pytest.fixture(scope="module")
def department() -> Department:
    return load_organisation().department("augsburg", "STAT")


@pytest.fixture(scope="module")
def original(city: City, department: Department) -> bytes:
    """A survey workbook as a data officer sends it back: typed, messy, one hostile value."""
    template = build_workbook(
        city=city,
        department=department,
        campaign="2026-1",
        secret=SECRET,
        issued=date(2026, 3, 2),
        known_entries=[{"identifier": "A-STAT-0001", "title": "Bevölkerung", "personal_data": "no"}],
    )
    wb = load_workbook(io.BytesIO(template))
    ws = wb[SHEET]
    ws["C2"] = "kurz"
    ws["I2"] = "statistik(at)augsburg.de"
    ws["R2"] = "taeglich"
    ws["B3"] = "Spielplätze"
    ws["C3"] = "Alle städtischen Spielplätze mit Lage und Ausstattung der Spielgeräte."
    ws["L3"] = "öffentlich"
    ws["N3"] = "=1+1"
    ws["N3"].data_type = "s"
    ws["S3"] = "2030"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _at(found: Finding, row: int | None, column: str | None, sheet: str | None = SHEET) -> Finding:
    return found.at(row=row, column=column, sheet=sheet, file=FILE, city="augsburg", department="STAT")


@pytest.fixture(scope="module")
def findings() -> list[Finding]:
    return [
        _at(finding("description-short", value="kurz", field="description", length=4, limit=30), 2, "C"),
        _at(finding("invalid-email", value="statistik(at)augsburg.de", field="contact_email"), 2, "I"),
        _at(
            finding(
                "value-corrected", value="taeglich", field="frequency", before="taeglich", after="täglich"
            ),
            2,
            "R",
        ),
        # two findings on one cell: the error wins the colour, both messages in one comment, error first
        _at(finding("license-not-open", value="=1+1", field="license"), 3, "N"),
        _at(finding("unknown-value", value="=1+1", field="license", label="Lizenz"), 3, "N"),
        _at(finding("date-in-future", value="2030-01-01", field="temporal_start"), 3, "S", sheet=None),
        _at(finding("missing-required", field="contact_email", label="Kontakt-E-Mail"), 3, "I"),
        # no cell: row-level and file-level findings go to the summary only
        _at(finding("duplicate-title", value="Spielplätze", rows="3, 7"), 3, None),
        _at(finding("template-outdated", value="2025.1", current="2026.1"), None, None, sheet=None),
    ]


@pytest.fixture(scope="module")
def feedback(original: bytes, findings: list[Finding], city: City, department: Department) -> bytes:
    return build_feedback(
        original,
        findings,
        city=city,
        department=department,
        campaign="2026-1",
        file_name=FILE,
        created=CREATED,
    )


def _open(data: bytes) -> Workbook:
    return load_workbook(io.BytesIO(data))


def _fill(ws: Worksheet, coordinate: str) -> str | None:
    fill = ws[coordinate].fill
    if fill is None or fill.fill_type != "solid":
        return None
    return str(fill.fgColor.rgb)[-6:]


def _meta(ws: Worksheet) -> Meta:
    return Meta(**{r[0].value: r[1].value for r in ws.iter_rows(max_col=2)})


def _table(ws: Worksheet) -> list[list[object]]:
    """The findings table of the Rückmeldung sheet, header first."""
    rows = [[c.value for c in row] for row in ws.iter_rows(max_col=5)]
    start = rows.index(["Zeile", "Spalte", "Feld", "Schweregrad", "Meldung"])
    return rows[start:]


def test_feedback_name() -> None:
    assert feedback_name(FILE) == "augsburg_STAT_2026-1_Rueckmeldung.xlsx"
    assert feedback_name("/in/box/Liste.XLSX") == "Liste_Rueckmeldung.xlsx"
    assert feedback_name("augsburg_STAT_2026-1_Rueckmeldung.xlsx") == "augsburg_STAT_2026-1_Rueckmeldung.xlsx"


def test_summary_sheet_comes_first(feedback: bytes) -> None:
    wb = _open(feedback)
    assert wb.sheetnames == ["Rückmeldung", "Hinweise", "Datenbestände", "Listen", "Meta"]
    assert wb.active is not None and wb.active.title == "Rückmeldung"
    assert [ws.sheet_state for ws in wb.worksheets] == [
        "visible",
        "visible",
        "visible",
        "hidden",
        "veryHidden",
    ]
    assert [bool(ws.sheet_view.tabSelected) for ws in wb.worksheets] == [True, False, False, False, False]


def test_exactly_the_cells_with_findings_are_marked(feedback: bytes, original: bytes) -> None:
    ws = _open(feedback)[SHEET]
    expected = {
        "C2": SEVERITY_FILLS["warning"],
        "I2": SEVERITY_FILLS["error"],
        "R2": SEVERITY_FILLS["info"],
        "N3": SEVERITY_FILLS["error"],
        "S3": SEVERITY_FILLS["warning"],
        "I3": SEVERITY_FILLS["error"],
    }
    marked = {
        cell.coordinate: _fill(ws, cell.coordinate)
        for row in ws.iter_rows()
        for cell in row
        if _fill(ws, cell.coordinate) in SEVERITY_FILLS.values()
    }
    assert marked == expected
    commented = {cell.coordinate for row in ws.iter_rows(min_row=2) for cell in row if cell.comment}
    assert commented == set(expected)
    # the department's data is kept as it was
    before = _open(original)[SHEET]
    for row in ws.iter_rows():
        for cell in row:
            assert cell.value == before[cell.coordinate].value, cell.coordinate
    assert ws["N3"].data_type == "s" and ws["N3"].value == "=1+1"
    header_help = ws["A1"].comment  # the help comments of the header are kept
    assert header_help is not None and "Wird vom System vergeben" in header_help.text
    # still a working survey: protection, unlocked entry columns and drop-downs as before
    assert ws.protection.sheet and ws.column_dimensions["A"].protection.locked
    assert ws.column_dimensions["B"].protection.locked is False
    assert (
        len(ws.data_validations.dataValidation) == len(before.data_validations.dataValidation) == len(FIELDS)
    )


def test_comments_hold_all_messages_worst_first(feedback: bytes, findings: list[Finding]) -> None:
    ws = _open(feedback)[SHEET]
    both = ws["N3"].comment
    assert both is not None
    error, warning = findings[4].message, findings[3].message
    assert both.text == f"Fehler: {error}\n\nWarnung: {warning}"
    assert ws["I2"].comment is not None and ws["I2"].comment.text == f"Fehler: {findings[1].message}"
    assert ws["R2"].comment is not None and "„taeglich“ → „täglich“" in ws["R2"].comment.text
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if cell.comment:
                assert findings[7].message not in cell.comment.text  # row-level finding: summary only
                assert findings[8].message not in cell.comment.text  # file-level finding: summary only


def test_summary_counts_and_table(feedback: bytes, findings: list[Finding]) -> None:
    ws = _open(feedback)["Rückmeldung"]
    values = [[c.value for c in row] for row in ws.iter_rows(max_col=2)]
    assert ["Fehler", 4] in values and ["Warnungen", 4] in values and ["Hinweise", 1] in values
    text = "\n".join(str(v) for row in values for v in row if v)
    for expected in (
        "Rückmeldung zu Ihrem Fragebogen",
        "Amt für Statistik",
        FILE,
        "20.03.2026, 14:05 Uhr",
        "2026-1",
        "Was bedeuten die Farben?",
    ):
        assert expected in text, expected

    table = _table(ws)
    body = table[1:]
    assert len(body) == len(findings)
    assert [r[3] for r in body] == ["Fehler"] * 4 + ["Warnung"] * 4 + ["Hinweis"]
    assert body[0] == ["–", "–", "(ganze Datei)", "Fehler", findings[8].message]  # file-level first
    assert body[1:4] == [
        [2, "I", "Kontakt-E-Mail", "Fehler", findings[1].message],
        [3, "I", "Kontakt-E-Mail", "Fehler", findings[6].message],
        [3, "N", "Lizenz", "Fehler", findings[4].message],
    ]
    assert [3, "–", "(ganze Zeile)", "Warnung", findings[7].message] in body
    assert body[-1] == [2, "R", "Aktualisierung", "Hinweis", findings[2].message]

    header_row = len([*ws.iter_rows()]) - len(body)
    assert ws.auto_filter.ref == f"A{header_row}:E{header_row + len(body)}"
    link = ws[f"A{header_row + 2}"].hyperlink
    assert link is not None and link.location == "'Datenbestände'!I2"


@pytest.mark.parametrize(("created", "shown"), [
    (datetime(2026, 12, 2, 1, 38, tzinfo=UTC), "02.12.2026, 02:38 Uhr"),  # winter: UTC+1
    (datetime(2026, 7, 1, 22, 30, tzinfo=UTC), "02.07.2026, 00:30 Uhr"),  # summer: UTC+2, the next day
    (datetime(2026, 12, 2, 1, 38), "02.12.2026, 02:38 Uhr"),  # as the store returns it: naive UTC
])
def test_checked_at_is_in_the_cities_time(original: bytes, city: City, department: Department,
                                          created: datetime, shown: str) -> None:
    data = build_feedback(original, [], city=city, department=department, campaign="2026-1", file_name=FILE,
                          created=created)
    ws = _open(data)["Rückmeldung"]
    values = [[c.value for c in row] for row in ws.iter_rows(max_col=2)]
    assert ["Geprüft am", shown] in values


def test_meta_stays_very_hidden_and_valid(feedback: bytes, original: bytes) -> None:
    wb = _open(feedback)
    meta = _meta(wb["Meta"])
    assert meta == _meta(_open(original)["Meta"])
    assert list(meta.values()) == list(SIGNED_KEYS)
    assert verify(meta, SECRET)
    calamine = CalamineWorkbook.from_filelike(io.BytesIO(feedback))
    visible = {m.name: m.visible for m in calamine.sheets_metadata}
    assert visible["Meta"] == SheetVisibleEnum.VeryHidden
    rows = calamine.get_sheet_by_name(SHEET).to_python()
    assert rows[0] == [f.label for f in FIELDS]  # the returned feedback reads like the survey


def test_feedback_is_deterministic_and_accepts_a_path(
    feedback: bytes,
    original: bytes,
    findings: list[Finding],
    city: City,
    department: Department,
    tmp_path: Path,
) -> None:
    path = tmp_path / FILE
    path.write_bytes(original)
    again = build_feedback(
        path, findings, city=city, department=department, campaign="2026-1", file_name=FILE, created=CREATED
    )
    assert again == feedback


def test_feedback_of_a_returned_feedback_replaces_the_summary(
    feedback: bytes, city: City, department: Department
) -> None:
    clean = build_feedback(
        feedback,
        [],
        city=city,
        department=department,
        campaign="2026-1",
        file_name=feedback_name(FILE),
        created=CREATED,
    )
    wb = _open(clean)
    assert wb.sheetnames.count("Rückmeldung") == 1 and wb.sheetnames[0] == "Rückmeldung"
    assert len(_table(wb["Rückmeldung"])) == 1
    assert any("keine Fehler" in str(c.value) for row in wb["Rückmeldung"].iter_rows() for c in row)
    # the marks of the first round are gone; the header help and the grey Kennung column stay
    ws = wb[SHEET]
    assert not any(_fill(ws, c.coordinate) in SEVERITY_FILLS.values() for row in ws.iter_rows() for c in row)
    assert {c.coordinate for row in ws.iter_rows() for c in row if c.comment} == {
        f.column + "1" for f in FIELDS
    }
    assert _fill(ws, "A2") == "EDEDED"


def test_marks_on_header_and_merged_cells(original: bytes, city: City, department: Department) -> None:
    wb = _open(original)
    wb[SHEET].merge_cells("G4:H4")
    out = io.BytesIO()
    wb.save(out)
    on_header = _at(finding("unknown-column", value="Titel des Datenbestands"), 1, "B")
    on_merged = _at(finding("too-long", field="contact_name", length=300, limit=200), 4, "H")
    first = build_feedback(
        out.getvalue(),
        [on_header, on_merged],
        city=city,
        department=department,
        campaign="2026-1",
        file_name=FILE,
        created=CREATED,
    )
    ws = _open(first)[SHEET]
    header = ws["B1"].comment
    assert header is not None and header.text.startswith(f"Hinweis: {on_header.message}\n\n–––\n")
    assert "Kurzer, verständlicher Name" in header.text
    assert ws["G4"].comment is not None and on_merged.message in ws["G4"].comment.text
    assert _fill(ws, "G4") == SEVERITY_FILLS["error"]

    second = _open(
        build_feedback(
            first, [], city=city, department=department, campaign="2026-1", file_name=FILE, created=CREATED
        )
    )[SHEET]
    restored = second["B1"].comment
    assert restored is not None and restored.text.startswith("Titel des Datenbestands\nPflichtangabe")
    assert second["G4"].comment is None and _fill(second, "G4") is None


def test_bad_original_gets_a_summary_only(
    findings: list[Finding], city: City, department: Department
) -> None:
    for broken in (b"", b"PK\x03\x04 truncated", b"Titel;Beschreibung\nBaeume;Liste\n"):
        data = build_feedback(
            broken,
            findings,
            city=city,
            department=department,
            campaign=None,
            file_name="kaputt.xlsx",
            created=CREATED,
        )
        wb = _open(data)
        assert wb.sheetnames == ["Rückmeldung"]
        ws = wb["Rückmeldung"]
        assert len(_table(ws)) == len(findings) + 1
        text = "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
        assert "konnte nicht geöffnet werden" in text and "kaputt.xlsx" in text
        assert ws[f"A{len([*ws.iter_rows()]) - len(findings) + 1}"].hyperlink is None


def test_renamed_entry_sheet_lists_findings_without_marks(
    original: bytes, findings: list[Finding], city: City, department: Department
) -> None:
    wb = _open(original)
    wb[SHEET].title = "Tabelle1"
    out = io.BytesIO()
    wb.save(out)
    data = build_feedback(
        out.getvalue(),
        findings,
        city=city,
        department=department,
        campaign="2026-1",
        file_name=FILE,
        created=CREATED,
    )
    result = _open(data)
    assert result.sheetnames == ["Rückmeldung", "Hinweise", "Tabelle1", "Listen", "Meta"]
    assert not any(c.comment for row in result["Tabelle1"].iter_rows(min_row=2) for c in row)
    assert len(_table(result["Rückmeldung"])) == len(findings) + 1


def test_hostile_file_name_stays_text(original: bytes, city: City, department: Department) -> None:
    data = build_feedback(
        original,
        [],
        city=city,
        department=department,
        campaign="=cmd",
        file_name="=HYPERLINK(1)",
        created=CREATED,
    )
    ws = _open(data)["Rückmeldung"]
    cells = [c for row in ws.iter_rows() for c in row if c.value in ("=HYPERLINK(1)", "=cmd")]
    assert len(cells) == 2 and all(c.data_type == "s" for c in cells)


def test_libreoffice_opens_the_feedback(feedback: bytes, tmp_path: Path) -> None:
    binary = libreoffice_or_skip()
    source = tmp_path / feedback_name(FILE)
    source.write_bytes(feedback)
    profile = tmp_path / "profile"
    result = subprocess.run(
        [
            binary,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path / "pdf"),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    pdf = tmp_path / "pdf" / f"{source.stem}.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
