"""Review in Excel with real xlsx files: export, decide in the sheet, import; stale and edited rows are
refused, never applied; on SQLite and PostgreSQL, and through the command line."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from catalog.store import Store
from survey.review_workbook import (
    COLUMNS,
    META_SHEET,
    SHEET,
    ReviewSheetInvalid,
    export_review,
    import_review,
)
from tests.factories import ORG, change, create, decisions, inventur_process, state

HIDDEN_ID = "Kennung (System)"


def export(store: Store, path: Path, **options: Any) -> int:
    with store.session() as s:
        return export_review(s, path, city="augsburg", organisation=ORG, **options)


def fill(path: Path, decided: Mapping[str, tuple[str, str | None]], edits: Mapping[str, Mapping[str, str]] = {},
         copy_row_of: str | None = None) -> dict[str, int]:
    """Decide in the sheet as a reviewer would (decision and comment per identifier), optionally edit
    entry cells and duplicate a row; returns the sheet row of each identifier."""
    workbook = load_workbook(path)
    sheet = workbook[SHEET]
    header = {cell.value: cell.column for cell in sheet[1]}
    rows: dict[str, int] = {}
    for row in range(2, sheet.max_row + 1):
        ident = sheet.cell(row=row, column=header[HIDDEN_ID]).value
        if not ident:
            continue
        rows[str(ident)] = row
        if ident in decided:
            decision, comment = decided[str(ident)]
            sheet.cell(row=row, column=header["Entscheidung"]).value = decision
            sheet.cell(row=row, column=header["Kommentar"]).value = comment
        for label, value in edits.get(str(ident), {}).items():
            sheet.cell(row=row, column=header[label]).value = value
    if copy_row_of is not None:
        source, target = rows[copy_row_of], sheet.max_row + 1
        for column in range(1, sheet.max_column + 1):
            sheet.cell(row=target, column=column).value = sheet.cell(row=source, column=column).value
    workbook.save(path)
    return rows


def test_excel_round_trip(store: Store, tmp_path: Path) -> None:
    good = create(store, title="Baumkataster")
    turned_down = create(store, title="Parkscheinautomaten")
    personal = create(store, title="Meldedaten", personal_data="yes")
    undecided = create(store, title="Spielplätze")
    create(store, status="new", title="Noch nicht geprüft")
    path = tmp_path / "pruefung.xlsx"
    assert export(store, path) == 4

    workbook = load_workbook(path)
    sheet = workbook[SHEET]
    assert workbook[META_SHEET].sheet_state == "hidden"
    header = [cell.value for cell in sheet[1]]
    assert header == [c.label for c in COLUMNS]
    assert header[:8] == ["Kennung", "Dienststelle", "Titel des Datenbestands", "Status", "Offene Fehler",
                          "Hinderungsgründe", "Entscheidung", "Kommentar"]
    at = {label: index + 1 for index, label in enumerate(header)}
    for label in (HIDDEN_ID, "Version (System)", "Prüfsumme Inhalt (System)", "Prüfsumme Zeile (System)"):
        assert sheet.column_dimensions[sheet.cell(row=1, column=at[label]).column_letter].hidden, label
    [choice] = sheet.data_validations.dataValidation
    assert choice.type == "list" and choice.formula1 == '"genehmigen,ablehnen,offen"'
    assert str(choice.sqref) == f"{sheet.cell(row=1, column=at['Entscheidung']).column_letter}2:" \
                                f"{sheet.cell(row=1, column=at['Entscheidung']).column_letter}5"
    by_id = {sheet.cell(row=r, column=at[HIDDEN_ID]).value: r for r in range(2, 6)}

    def cell(ident: str, label: str) -> object:
        return sheet.cell(row=by_id[ident], column=at[label]).value

    assert cell(personal, "Hinderungsgründe") == "enthält personenbezogene Daten"
    assert cell(personal, "Personenbezogene Daten") == "ja" and cell(good, "Hinderungsgründe") == "keine"
    assert cell(good, "Lizenz") == "Datenlizenz Deutschland – Zero – 2.0"
    assert cell(good, "Status") == "bereit zur Freigabe" and cell(good, "Entscheidung") == "offen"
    assert cell(good, "Dienststelle") == f"STAT – {ORG.department('augsburg', 'STAT').name}"
    assert cell(good, "Zeitraum von") == "01.01.2020" and cell(good, "Version (System)") == "1"

    rows = fill(path, {
        good: ("genehmigen", None),
        turned_down: ("Ablehnen", "Automaten werden 2026 abgebaut"),
        personal: ("genehmigen", "bitte doch"),
        undecided: ("offen", "noch mit dem Amt klären"),
    })
    with store.session() as s:
        report = import_review(s, path, reviewer="Erika Muster", organisation=ORG)
    assert report.counts == {"applied": 2, "refused": 1, "skipped": 1}
    [refused] = report.refused
    assert refused.message == (f"row {rows[personal]} ({personal}): approval refused by a hard rule: "
                               "contains personal data (personal-data)")
    assert refused.message_de is not None and "enthält personenbezogene Daten" in refused.message_de
    assert [state(store, i) for i in (good, turned_down, personal, undecided)] == ["approved", "rejected", "ready", "ready"]
    assert decisions(store, good) == [("approve", "ready", "approved", 1, "Erika Muster", None)]
    assert decisions(store, turned_down) == [
        ("reject", "ready", "rejected", 1, "Erika Muster", "Automaten werden 2026 abgebaut")]

    with store.session() as s:  # importing the same file again applies nothing twice
        again = import_review(s, path, reviewer="Erika Muster", organisation=ORG)
    assert again.counts == {"applied": 0, "refused": 1, "skipped": 3}
    assert len(decisions(store, good)) == 1


def test_stale_and_edited_rows_are_refused(store: Store, tmp_path: Path) -> None:
    stale = create(store, title="Baumkataster")
    edited = create(store, title="Parkscheinautomaten")
    no_comment = create(store, title="Spielplätze")
    odd = create(store, title="Brunnen")
    path = tmp_path / "pruefung.xlsx"
    assert export(store, path) == 4
    change(store, stale, title="Baumkataster 2025")  # a department sends a correction after the export
    rows = fill(
        path,
        {stale: ("genehmigen", None), edited: ("genehmigen", None), no_comment: ("ablehnen", None),
         odd: ("vielleicht", None)},
        edits={edited: {"Titel des Datenbestands": "Parkscheinautomaten (alle)", "Lizenz": "CC BY 4.0"}},
        copy_row_of=odd,
    )
    with store.session() as s:
        report = import_review(s, path, reviewer="Erika Muster", organisation=ORG)
    assert report.counts == {"applied": 0, "refused": 5, "skipped": 0}
    messages = [o.message for o in report.refused]
    assert messages[0] == (f"row {rows[stale]} ({stale}): the entry changed since the export (exported version 1, "
                           "now version 2); export again and review the current version")
    assert messages[1].startswith(f"row {rows[edited]} ({edited}): the entry data in the row were edited in the sheet "
                                  "(Titel des Datenbestands, Lizenz); not applied.")
    assert messages[2] == f"row {rows[no_comment]} ({no_comment}): 'ablehnen' needs a comment in the column Kommentar"
    assert messages[3] == (f"row {rows[odd]} ({odd}): unknown decision 'vielleicht'; use genehmigen, ablehnen or offen")
    assert messages[4].startswith(f"row {max(rows.values()) + 1} ({odd}): ")
    assert all(decisions(store, i) == [] for i in (stale, edited, no_comment, odd))
    assert state(store, stale) == "ready" and state(store, edited) == "ready"


def test_edited_hidden_version_counts_as_edited(store: Store, tmp_path: Path) -> None:
    ident = create(store)
    change(store, ident, title="Baumkataster 2025")
    from tests.factories import set_state

    set_state(store, ident, "ready")
    path = tmp_path / "pruefung.xlsx"
    export(store, path)
    fill(path, {ident: ("genehmigen", None)}, edits={ident: {"Version (System)": "1"}})
    with store.session() as s:
        [outcome] = import_review(s, path, reviewer="Erika Muster").outcomes
    assert outcome.outcome == "refused" and "changed since the export (exported version 1, now version 2)" in outcome.message


def test_values_are_written_as_text_never_as_formulas(store: Store, tmp_path: Path) -> None:
    ident = create(store, title='=HYPERLINK("http://example.org","klick")', remarks="@SUMME(A1)",
                   keywords=["-Bäume", "+Grün"])
    path = tmp_path / "pruefung.xlsx"
    export(store, path)
    sheet = load_workbook(path)[SHEET]
    header = {cell.value: cell.column for cell in sheet[1]}
    title = sheet.cell(row=2, column=header["Titel des Datenbestands"])
    assert title.value == '=HYPERLINK("http://example.org","klick")' and title.data_type == "s" and title.quotePrefix
    assert sheet.cell(row=2, column=header["Anmerkungen"]).data_type == "s"
    assert sheet.cell(row=2, column=header["Schlagwörter"]).value == "-Bäume; +Grün"
    fill(path, {ident: ("genehmigen", "@Amt: -5 %, +2 neue")})
    with store.session() as s:
        report = import_review(s, path, reviewer="Erika Muster", organisation=ORG)
    assert report.counts["applied"] == 1, report.outcomes
    assert decisions(store, ident)[0][5] == "@Amt: -5 %, +2 neue"


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_a_sheet_saved_by_libreoffice_is_not_taken_for_edited(sqlite_store: Store, tmp_path: Path) -> None:
    approved = create(sqlite_store, title='=HYPERLINK("http://example.org")', remarks="-5 %, siehe [Anlage]",
                      description="Erste Zeile\nZweite Zeile", keywords=["Bäume", "Grün"])
    rejected = create(sqlite_store, title="Parkplätze", license="http://dcat-ap.de/def/licenses/dl-by-de/2.0",
                      attribution="Stadt Augsburg", temporal_end="2024-12-31")
    path = tmp_path / "pruefung.xlsx"
    export(sqlite_store, path)
    fill(path, {approved: ("genehmigen", None), rejected: ("ablehnen", "veraltet")})
    out = tmp_path / "saved"
    done = subprocess.run(
        ["soffice", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless", "--convert-to",
         "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(path)],
        capture_output=True, text=True, timeout=240,
    )
    assert (out / path.name).exists(), done.stderr
    with sqlite_store.session() as s:
        report = import_review(s, out / path.name, reviewer="Erika Muster", organisation=ORG)
    assert report.counts == {"applied": 2, "refused": 0, "skipped": 0}, report.outcomes


def test_other_workbooks_are_refused_whole(sqlite_store: Store, tmp_path: Path) -> None:
    other = tmp_path / "other.xlsx"
    Workbook().save(other)
    with sqlite_store.session() as s, pytest.raises(ReviewSheetInvalid, match="no review workbook"):
        import_review(s, other, reviewer="Erika Muster")
    create(sqlite_store)
    path = tmp_path / "pruefung.xlsx"
    export(sqlite_store, path)
    workbook = load_workbook(path)
    workbook[SHEET].delete_cols(7)  # the decision column
    workbook.save(path)
    with sqlite_store.session() as s, pytest.raises(ReviewSheetInvalid, match=r"columns missing .*: Entscheidung"):
        import_review(s, path, reviewer="Erika Muster")
    with sqlite_store.session() as s, pytest.raises(ValueError, match="reviewer name"):
        import_review(s, path, reviewer=" ")


def test_export_with_state_filter_and_empty_result(sqlite_store: Store, tmp_path: Path) -> None:
    ready = create(sqlite_store)
    rejected = create(sqlite_store, status="rejected", title="Alt")
    path = tmp_path / "pruefung.xlsx"
    assert export(sqlite_store, path, states=("ready", "rejected")) == 2
    sheet = load_workbook(path)[SHEET]
    assert [sheet.cell(row=r, column=1).value for r in (2, 3)] == [ready, rejected]
    assert export(sqlite_store, path, department="STAT") == 1
    assert export(sqlite_store, path, states=("approved",)) == 0
    assert load_workbook(path)[SHEET].max_row == 1


def test_review_in_excel_from_the_command_line(cli_env: dict[str, str], tmp_path: Path) -> None:
    store = Store.open(cli_env["INVENTUR_DATABASE_URL"])
    good = create(store)
    stale = create(store, title="Parkscheinautomaten")
    store.close()
    path = tmp_path / "pruefung.xlsx"
    done = inventur_process(cli_env, "review", "export", "--city", "augsburg", "--out", str(path), columns=200)
    assert done.returncode == 0, done.stderr
    assert f"2 entries written to {path}" in done.stderr
    store = Store.open(cli_env["INVENTUR_DATABASE_URL"])
    change(store, stale, title="Parkscheinautomaten 2025")
    store.close()
    rows = fill(path, {good: ("genehmigen", "passt"), stale: ("genehmigen", None)})
    imported = inventur_process(cli_env, "review", "import", str(path), "--by", "Erika Muster", columns=200)
    assert imported.returncode == 1
    assert f"applied: row {rows[good]} ({good}): ready -> approved" in imported.stdout
    assert "1 applied, 1 refused, 0 skipped" in imported.stdout
    assert f"refused: row {rows[stale]} ({stale}): the entry changed since the export" in imported.stderr

    not_xlsx = tmp_path / "pruefung.csv"
    not_xlsx.write_text("Kennung;Entscheidung\nA-STAT-00001;genehmigen\n", encoding="utf-8")
    assert inventur_process(cli_env, "review", "import", str(not_xlsx), "--by", "Erika Muster", columns=200).returncode == 2
