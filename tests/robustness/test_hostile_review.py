"""Review workbooks that were tampered with: formulas in the decision column, rows of another city's
workbook pasted in, swapped Kennungen, forged row checksums, a changed city in the Meta sheet, a sheet
that reaches row 1,048,576. Each tampered row is refused with its reason, the untouched rows of the same
workbook are applied; a workbook that cannot be trusted or read is refused whole, with a clear message.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from catalog.inventory import Source, save_entry
from catalog.store import Store
from survey.review_workbook import (
    DATA_COLUMNS,
    META_SHEET,
    SHEET,
    ReviewSheetInvalid,
    _norm,
    export_review,
    import_review,
)
from tests.factories import ORG, decisions, sample, state
from tests.robustness import builders as b

ROOT = Path(__file__).resolve().parents[2]
SECRETS = {"augsburg": b"augsburg-geheim", "muenchen": b"muenchen-geheim", "nuernberg": b"nuernberg-geheim"}
HIDDEN_ID, DECISION, COMMENT = "Kennung (System)", "Entscheidung", "Kommentar"


def secret_for(city: str) -> bytes:
    return SECRETS[city]


def _entry(store: Store, city: str, department: str, title: str) -> str:
    with store.session() as s:
        entry = save_entry(s, sample(title=title, spatial=ORG.city(city).geocoding_uri), city=city,
                           department=department, organisation=ORG, source=Source("survey", "a.xlsx", row=2)).entry
        entry.status = "ready"
        return entry.identifier


@pytest.fixture
def two_cities(store: Store, tmp_path: Path) -> Iterator[tuple[Store, dict[str, list[str]], dict[str, Path]]]:
    """Three ready entries in Augsburg, two in München, and each city's signed review workbook."""
    idents = {"augsburg": [_entry(store, "augsburg", "STAT", t) for t in ("Baumkataster", "Spielplätze", "Brunnen")],
              "muenchen": [_entry(store, "muenchen", "KVR", t) for t in ("Parkausweise", "Gewerbemeldungen")]}
    paths = {}
    for city in idents:
        paths[city] = tmp_path / f"pruefung-{city}.xlsx"
        with store.session() as s:
            export_review(s, paths[city], city=city, organisation=ORG, secret_for=secret_for)
    yield store, idents, paths


def _edit(path: Path, change: Callable[[Any, dict[str, int], dict[str, int]], None]) -> None:
    """Edit the review sheet: ``change(sheet, column by label, row by hidden Kennung)``."""
    workbook = load_workbook(path)
    sheet = workbook[SHEET]
    columns = {cell.value: cell.column for cell in sheet[1]}
    rows = {str(sheet.cell(row=r, column=columns[HIDDEN_ID]).value): r for r in range(2, sheet.max_row + 1)}
    change(sheet, columns, rows)
    workbook.save(path)


def _import(store: Store, path: Path) -> dict[str, tuple[str, str]]:
    with store.session() as s:
        report = import_review(s, path, reviewer="Erika Muster", organisation=ORG, secret_for=secret_for)
    return {o.identifier or "?": (o.outcome, o.message) for o in report.outcomes}


def test_a_formula_in_the_decision_column_is_no_decision(two_cities: Any) -> None:
    store, idents, paths = two_cities
    formula, plain = idents["augsburg"][:2]

    def decide(sheet: Any, columns: dict[str, int], rows: dict[str, int]) -> None:
        sheet.cell(row=rows[formula], column=columns[DECISION]).value = '=IF(1,"genehmigen","")'
        sheet.cell(row=rows[plain], column=columns[DECISION]).value = "genehmigen"

    _edit(paths["augsburg"], decide)
    outcomes = _import(store, paths["augsburg"])
    assert outcomes[formula][0] == "refused" and "hold a formula" in outcomes[formula][1]
    assert outcomes[plain][0] == "applied"
    assert state(store, formula) == "ready" and state(store, plain) == "approved"


def test_rows_of_another_citys_workbook_are_refused(two_cities: Any) -> None:
    store, idents, paths = two_cities
    foreign = idents["muenchen"][0]
    own = idents["augsburg"][0]
    munich = load_workbook(paths["muenchen"])[SHEET]
    columns = {cell.value: cell.column for cell in munich[1]}
    source_row = next(r for r in range(2, munich.max_row + 1) if munich.cell(row=r, column=columns[HIDDEN_ID]).value == foreign)
    copied = [munich.cell(row=source_row, column=c).value for c in range(1, munich.max_column + 1)]

    def paste(sheet: Any, columns: dict[str, int], rows: dict[str, int]) -> None:
        target = sheet.max_row + 1
        for column, value in enumerate(copied, start=1):
            sheet.cell(row=target, column=column).value = value
        sheet.cell(row=target, column=columns[DECISION]).value = "genehmigen"
        sheet.cell(row=rows[own], column=columns[DECISION]).value = "genehmigen"

    _edit(paths["augsburg"], paste)
    outcomes = _import(store, paths["augsburg"])
    assert outcomes[foreign] == ("refused", outcomes[foreign][1])
    assert "belongs to muenchen; this review workbook is for augsburg" in outcomes[foreign][1]
    assert outcomes[own][0] == "applied"
    assert decisions(store, foreign) == [] and state(store, foreign) == "ready"


def test_a_swapped_kennung_is_refused_for_what_it_is(two_cities: Any) -> None:
    store, idents, paths = two_cities
    first, second, third = idents["augsburg"]

    def swap(sheet: Any, columns: dict[str, int], rows: dict[str, int]) -> None:
        # the hidden Kennungen of the first two rows swapped; the third row's Kennung changed in both columns
        a, b_ = rows[first], rows[second]
        hidden = columns[HIDDEN_ID]
        sheet.cell(row=a, column=hidden).value, sheet.cell(row=b_, column=hidden).value = second, first
        c = rows[third]
        sheet.cell(row=c, column=hidden).value = first
        sheet.cell(row=c, column=columns["Kennung"]).value = first
        for row in (a, b_, c):
            sheet.cell(row=row, column=columns[DECISION]).value = "genehmigen"

    _edit(paths["augsburg"], swap)
    with store.session() as s:
        report = import_review(s, paths["augsburg"], reviewer="Erika Muster", organisation=ORG, secret_for=secret_for)
    messages = [o.message for o in report.outcomes]
    assert report.counts == {"applied": 0, "refused": 3, "skipped": 0}, messages
    assert "does not match its hidden system Kennung" in messages[0] and "does not match its hidden" in messages[1]
    assert f"belong to {third}, not to its Kennung {first}" in messages[2]
    assert all("changed since the export" not in m for m in messages)
    assert all(state(store, i) == "ready" for i in idents["augsburg"])


def test_a_row_checksum_recomputed_without_the_secret_is_refused(two_cities: Any) -> None:
    """Someone edits a title and recomputes the row's checksum as an unsigned export would: refused."""
    store, idents, paths = two_cities
    ident = idents["augsburg"][0]

    def forge(sheet: Any, columns: dict[str, int], rows: dict[str, int]) -> None:
        row = rows[ident]
        sheet.cell(row=row, column=columns["Titel des Datenbestands"]).value = "Baumkataster (gekürzt)"
        values = [_norm(sheet.cell(row=row, column=columns[c.label]).value) for c in DATA_COLUMNS]
        version = str(sheet.cell(row=row, column=columns["Version (System)"]).value)
        content = str(sheet.cell(row=row, column=columns["Prüfsumme Inhalt (System)"]).value)
        body = json.dumps([ident, version, content, values], ensure_ascii=False, separators=(",", ":"))
        sheet.cell(row=row, column=columns["Prüfsumme Zeile (System)"]).value = hashlib.sha256(body.encode()).hexdigest()
        sheet.cell(row=row, column=columns[DECISION]).value = "genehmigen"

    _edit(paths["augsburg"], forge)
    outcome, message = _import(store, paths["augsburg"])[ident]
    assert outcome == "refused" and "were edited in the sheet (Titel des Datenbestands)" in message
    assert state(store, ident) == "ready"


def test_a_workbook_whose_city_was_changed_is_refused_whole(two_cities: Any) -> None:
    store, _idents, paths = two_cities
    workbook = load_workbook(paths["augsburg"])
    meta = workbook[META_SHEET]
    for row in meta.iter_rows():
        if row[0].value == "Stadt":
            row[1].value = "muenchen"
    workbook.save(paths["augsburg"])
    with store.session() as s, pytest.raises(ReviewSheetInvalid, match="signature of the review workbook does not match"):
        import_review(s, paths["augsburg"], reviewer="Erika Muster", organisation=ORG, secret_for=secret_for)


def test_a_review_sheet_reaching_row_1048576_is_refused_in_bounds(tmp_path: Path, cli_env: dict[str, str]) -> None:
    """From the command line, with the reading bounds of the tests: a clear message, exit 2, no traceback."""
    env = {**cli_env, **b.BOUNDS, "INVENTUR_SECRET_AUGSBURG": "geheim"}
    store = Store.open(env["INVENTUR_DATABASE_URL"])
    ident = _entry(store, "augsburg", "STAT", "Baumkataster")
    store.close()
    path = tmp_path / "pruefung.xlsx"
    run = [sys.executable, "-m", "flows", "review"]
    exported = subprocess.run([*run, "export", "--city", "augsburg", "--out", str(path)], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
    assert exported.returncode == 0, exported.stderr

    def far(sheet: Any, columns: dict[str, int], rows: dict[str, int]) -> None:
        sheet.cell(row=rows[ident], column=columns[DECISION]).value = "genehmigen"
        sheet["XFD1048576"] = "x"

    _edit(path, far)
    started = time.monotonic()
    done = subprocess.run([*run, "import", str(path), "--by", "Erika Muster"], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert time.monotonic() - started < 60
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "cells down to row 1,048,576" in done.stderr
    store = Store.open(env["INVENTUR_DATABASE_URL"])
    assert decisions(store, ident) == []
    store.close()


def test_a_signed_workbook_round_trip_from_the_command_line(tmp_path: Path, cli_env: dict[str, str]) -> None:
    """The command line signs with the city's secret; another installation's secret does not fit."""
    env = {**cli_env, "INVENTUR_SECRET_AUGSBURG": "geheim"}
    store = Store.open(env["INVENTUR_DATABASE_URL"])
    ident = _entry(store, "augsburg", "STAT", "Baumkataster")
    store.close()
    path = tmp_path / "pruefung.xlsx"
    run = [sys.executable, "-m", "flows", "review"]
    assert subprocess.run([*run, "export", "--city", "augsburg", "--out", str(path)], env=env, cwd=ROOT,
                          capture_output=True, timeout=120).returncode == 0
    _edit(path, lambda sheet, columns, rows: setattr(
        sheet.cell(row=rows[ident], column=columns[DECISION]), "value", "genehmigen"))
    other = subprocess.run([*run, "import", str(path), "--by", "Erika Muster"], cwd=ROOT, capture_output=True,
                           text=True, timeout=120, env={**env, "INVENTUR_SECRET_AUGSBURG": "anderes"})
    assert other.returncode == 2 and "signature of the review workbook does not match" in other.stderr
    done = subprocess.run([*run, "import", str(path), "--by", "Erika Muster"], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "1 applied, 0 refused, 0 skipped" in done.stdout
