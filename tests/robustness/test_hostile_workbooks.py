"""Hostile and broken workbooks, each beside good ones in one real ``inventur collect`` run, on SQLite and
PostgreSQL: every bad file gets one clear finding, the good files of the same run are stored and get
their feedback, nothing outside the given folder is read, the run's peak memory stays under 1 GB and it
ends within its bound. The reading bounds are set small (``builders.BOUNDS``) so that each kind is cheap.
"""

from __future__ import annotations

import io
import json
import os
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import select

from catalog.models import Entry, FindingRow, ReceivedFile
from catalog.store import Store
from tests.conftest import _reset_postgres
from tests.robustness import builders as b
from tests.robustness.measure import Measured, run_measured

ROOT = Path(__file__).resolve().parents[2]
PEAK_MB = 1024
RUN_SECONDS = 300
MARKER = "Geheimer Datenbestand 4711"  # the title inside the file outside the folder: never to be read

# kind: (builder, status of the file, the finding it gets)
KINDS: dict[str, tuple[Callable[[bytes], bytes], str, str]] = {
    "dtd_in_workbook": (b.dtd_in_workbook, "rejected", "file-unreadable"),
    "dtd_in_relationships": (b.dtd_in_relationships, "rejected", "file-unreadable"),
    "dtd_in_sheet_with_formula": (b.dtd_in_sheet_with_formula, "rejected", "file-unreadable"),
    "meta_part_missing": (b.meta_part_missing, "rejected", "file-unreadable"),
    "junk_after_root": (b.junk_after_root, "rejected", "file-unreadable"),
    "far_cell": (b.far_cell, "rejected", "file-too-large"),
    "far_row": (b.far_row, "rejected", "file-too-large"),
    "empty_strings_down": (b.empty_strings_down, "rejected", "file-too-large"),
    "columns_across": (b.columns_across, "rejected", "file-too-large"),
    "too_many_cells": (b.too_many_cells, "rejected", "file-too-large"),
    "strict_with_formula": (b.strict_with_formula, "read", "formula-in-cell"),
    "part_twice": (b.part_twice, "rejected", "file-unreadable"),
    "part_in_other_case": (b.part_in_other_case, "rejected", "file-unreadable"),
    "hidden_data_sheet": (b.hidden_data_sheet, "read", "sheet-hidden"),
    "header_on_row_11": (b.header_on_row_11, "rejected", "header-missing"),
    "escaped_values": (b.escaped_values, "read", "control-characters-removed"),
}
# good files whose names would break a file system, a share or the terminal's markup
ODD_NAMES = ['Rückgabe\nzweite Zeile.xlsx', 'Amt "Grün" \'23.xlsx', "[bold red]Amt[link=file:x] \\ Rückgabe.xlsx"]
LONG_TITLE = "Lange Bezeichnung " * 25  # 450 characters: over the 200 allowed and over the column of 400
LONG_CONTACT = "Ansprechstelle " * 400  # 6,000 characters: over the store's column of 400


@dataclass
class Run:
    """One collect run of all kinds and its outcome."""

    url: str
    data: Path
    folder: Path
    result: Measured
    report: dict[str, Any]
    department_of: dict[str, tuple[str, str]] = field(default_factory=dict)  # file name -> city, department

    def files(self) -> dict[str, dict[str, Any]]:
        return {f["name"]: f for f in self.report["files"]}

    def findings(self, name: str) -> list[FindingRow]:
        store = Store.open(self.url)
        with store.session() as session:
            rows = list(session.scalars(select(FindingRow).where(FindingRow.file == name)))
        store.close()
        return rows

    def entries(self, name: str) -> list[Entry]:
        """The entries of the department that sent ``name``."""
        city, department = self.department_of[name]
        store = Store.open(self.url)
        with store.session() as session:
            rows = list(session.scalars(select(Entry).where(Entry.city == city, Entry.department == department)))
        store.close()
        return rows

    def feedback(self, name: str) -> Path | None:
        from survey.feedback import feedback_name

        city, department = self.department_of[name]
        found = self.data / "share" / city / department / "outbox" / feedback_name(name)
        return found if found.exists() else None


def _department(index: int) -> tuple[str, str]:
    dept = b.DEPARTMENTS[index]
    return dept.city, dept.code


def _build(folder: Path, outside: Path, links: Path) -> dict[str, tuple[str, str]]:
    """The run's files: good ones, one per hostile kind, links and a pipe; returns file name -> department."""
    folder.mkdir(parents=True)
    department_of: dict[str, tuple[str, str]] = {}

    def put(name: str, data: bytes, index: int) -> None:
        (folder / name).write_bytes(data)
        department_of[name] = _department(index)

    put("augsburg_gut.xlsx", b.filled(0), 0)
    for index, (kind, (make, _status, _code)) in enumerate(KINDS.items(), start=1):
        put(f"{kind}.xlsx", make(b.filled(index)), index)
    for index, name in enumerate(ODD_NAMES, start=len(KINDS) + 1):
        put(name, b.filled(index, rows=2), index)
    index = len(KINDS) + len(ODD_NAMES) + 1
    put("long_values.xlsx", b.filled(index, values=[{
        **b.realistic_rows_for(index, 1)[0], "title": LONG_TITLE, "contact_name": LONG_CONTACT}]), index)
    put("big_but_readable.xlsx", b.filled(index + 1, rows=900), index + 1)
    # inside the folder: a link to a file in the folder (read), a link out of it and a pipe (both refused)
    (folder / "sub").mkdir()
    inside = b.filled(index + 2, rows=1)
    (folder / "sub" / "kopie.bin").write_bytes(inside)
    (folder / "sub" / "verknuepft.xlsx").symlink_to(folder / "sub" / "kopie.bin")
    department_of["verknuepft.xlsx"] = _department(index + 2)
    outside.mkdir(parents=True)
    secret = b.filled(index + 3, values=[{**b.realistic_rows_for(index + 3, 1)[0], "title": MARKER}])
    (outside / "geheim.xlsx").write_bytes(secret)
    (folder / "nach_aussen.xlsx").symlink_to(outside / "geheim.xlsx")
    os.mkfifo(folder / "rohr.xlsx")
    links.mkdir(parents=True)
    (links / "direkt.xlsx").symlink_to(outside / "geheim.xlsx")
    return department_of


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    base = tmp_path_factory.mktemp(f"hostile-{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{base / 'inventur.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
        _reset_postgres(url)
    folder, outside, links = base / "eingang", base / "ausserhalb", base / "links"
    department_of = _build(folder, outside, links)
    env = {k: v for k, v in os.environ.items() if not k.startswith("INVENTUR_")}
    env.update(b.BOUNDS, **b.SECRETS, INVENTUR_DATABASE_URL=url, INVENTUR_DATA_DIR=str(base / "data"),
               INVENTUR_SHARE=str(base / "data" / "share"))
    result = run_measured([sys.executable, "-m", "flows", "collect", str(folder), str(links / "direkt.xlsx"),
                           "--format", "json"], env=env, cwd=ROOT, timeout=RUN_SECONDS)
    assert result.returncode == 0, result.stderr[-3000:]
    yield Run(url, base / "data", folder, result, json.loads(result.stdout), department_of)


def test_the_run_ends_in_bounds_without_a_traceback(run: Run) -> None:
    assert "Traceback" not in run.result.stderr, run.result.stderr[-3000:]
    assert run.result.peak_mb < PEAK_MB, run.result.peak_mb
    assert run.result.seconds < RUN_SECONDS
    totals = run.report["totals"]
    # + good, long, big, a link inside the folder, a link out of it, a pipe, a link given directly
    assert totals["files"] == len(KINDS) + len(ODD_NAMES) + 7, totals
    assert totals["refused"] == 3 and totals["duplicate"] == 0, totals


def test_the_good_files_are_stored_with_their_feedback(run: Run) -> None:
    files = run.files()
    for name in ["augsburg_gut.xlsx", *ODD_NAMES, "long_values.xlsx", "big_but_readable.xlsx"]:
        assert files[name]["status"] == "read", (name, files[name])
        assert run.entries(name), name
        feedback = run.feedback(name)
        assert feedback is not None, f"no feedback for {name!r}"
        assert openpyxl.load_workbook(feedback).sheetnames[0] == "Rückmeldung"
    assert len(run.entries("augsburg_gut.xlsx")) == 3


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_kind_gets_its_finding_and_the_run_goes_on(run: Run, kind: str) -> None:
    _make, status, code = KINDS[kind]
    name = f"{kind}.xlsx"
    assert run.files()[name]["status"] == status, run.files()[name]
    codes = [f.code for f in run.findings(name)]
    assert code in codes, codes
    if status == "rejected":
        assert codes.count(code) == 1 and not run.entries(name), codes
    else:
        assert run.entries(name)
    assert run.files()["augsburg_gut.xlsx"]["status"] == "read"


def test_a_header_on_row_11_is_one_finding_not_one_per_column(run: Run) -> None:
    [finding] = [f for f in run.findings("header_on_row_11.xlsx") if f.severity == "error"]
    assert finding.code == "header-missing" and "Zeile 11" in finding.message


def test_workbooks_too_large_to_read_say_what_to_do(run: Run) -> None:
    [far] = run.findings("far_cell.xlsx")
    assert "1.048.576" in far.message and "Zeilen löschen" in far.message
    [across] = run.findings("columns_across.xlsx")
    assert "Spalte BI" in across.message and "Spalten löschen" in across.message
    for name in ("far_cell.xlsx", "columns_across.xlsx", "empty_strings_down.xlsx"):  # the department learns it
        feedback = run.feedback(name)
        assert feedback is not None, name
        assert openpyxl.load_workbook(feedback).sheetnames == ["Rückmeldung"]


def test_nothing_outside_the_given_folder_is_read(run: Run) -> None:
    files = run.files()
    assert files["nach_aussen.xlsx"]["status"] == "refused" and files["direkt.xlsx"]["status"] == "refused"
    assert files["rohr.xlsx"]["status"] == "refused"
    assert files["verknuepft.xlsx"]["status"] == "read"  # a link inside the folder is followed
    [out] = run.findings("nach_aussen.xlsx")
    assert out.code == "file-refused" and "außerhalb" in out.message
    store = Store.open(run.url)
    with store.session() as session:
        titles = [t for t in session.scalars(select(Entry.title)) if t]
        kept = [Path(p) for p in session.scalars(select(ReceivedFile.stored_path))]
    store.close()
    assert not any(MARKER in t for t in titles)
    secret = (run.folder.parent / "ausserhalb" / "geheim.xlsx").read_bytes()
    assert all(p.read_bytes() != secret for p in kept)


def test_received_files_are_private(run: Run) -> None:
    received = run.data / "received"
    assert oct(received.stat().st_mode & 0o777) == oct(0o700)
    kept = [p for p in received.rglob("*") if p.is_file()]
    assert kept and all(p.stat().st_mode & 0o077 == 0 for p in kept)
    assert all(p.stat().st_mode & 0o077 == 0 for p in received.iterdir())


def test_odd_file_names_get_safe_feedback_names(run: Run) -> None:
    names = sorted(p.name for p in (run.data / "share").glob("*/*/outbox/*_Rueckmeldung.xlsx"))
    for expected in ("Rückgabe_zweite Zeile_Rueckmeldung.xlsx", "Amt _Grün_ '23_Rueckmeldung.xlsx",
                     "[bold red]Amt[link=file_x] _ Rückgabe_Rueckmeldung.xlsx"):
        assert expected in names, names


def test_control_characters_and_long_values_are_stored_alike(run: Run) -> None:
    """The same values on SQLite and PostgreSQL: control characters removed (with a finding), a value longer
    than its column cut to it (with an error), never a DataError."""
    titles = sorted(e.title or "" for e in run.entries("escaped_values.xlsx"))
    assert "Baumkataster mit [31mFarbe[0m und Glocke" in titles, titles
    [removed] = [f for f in run.findings("escaped_values.xlsx") if f.code == "control-characters-removed"]
    assert removed.value is not None and "\\x00" in removed.value and "\\x1b" in removed.value
    [long] = run.entries("long_values.xlsx")
    assert long.title == " ".join(LONG_TITLE.split())[:400]
    assert long.contact_name == " ".join(LONG_CONTACT.split())[:400]
    codes = sorted(f.code for f in run.findings("long_values.xlsx") if f.severity == "error")
    assert codes.count("value-truncated") == 2 and "too-long" in codes, codes


def test_a_sheet_too_large_to_mark_gets_the_summary(run: Run) -> None:
    assert len(run.entries("big_but_readable.xlsx")) == 900
    feedback = run.feedback("big_but_readable.xlsx")
    assert feedback is not None
    workbook = openpyxl.load_workbook(feedback)
    assert workbook.sheetnames == ["Rückmeldung"]
    texts = " ".join(str(c.value) for row in workbook["Rückmeldung"].iter_rows() for c in row if c.value)
    assert "zu groß, um die Meldungen direkt an den Zellen einzutragen" in texts


# -- the sandbox holds when the bounds are opened wide ----------------------------------------------------


def test_with_the_bounds_wide_open_the_memory_limit_still_holds(tmp_path: Path) -> None:
    """Bounds as large as a sheet can be: the far cell passes the byte scan, the reader asks for 512 GB in
    its child process, the child dies, and the run goes on with the good file."""
    from flows.services import Services
    from flows.settings import Settings
    from flows.steps.inventory import collect

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "far.xlsx").write_bytes(b.far_cell(b.filled(1)))
    (folder / "good.xlsx").write_bytes(b.filled(0))
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'i.db'}", data_dir=tmp_path / "d",  # type: ignore[arg-type]
                        secret_augsburg=b.SECRET, read_max_rows=1_048_576, read_max_columns=16_384,
                        read_max_cells=10**12, read_memory_mb=300, read_timeout=60)
    services = Services(settings)
    started = time.monotonic()
    summary = collect(services, [folder], validate=False, feedback=True)
    services.close()
    assert time.monotonic() - started < 120
    by_name = {o.name: o for o in summary.outcomes}
    assert by_name["good.xlsx"].status == "read" and by_name["good.xlsx"].created == 3
    [problem] = by_name["far.xlsx"].findings
    assert problem.code == "file-too-large" and "300 MB" in problem.message
    assert len(summary.feedback) == 2


def test_clearing_marks_visits_only_the_cells_a_sheet_holds() -> None:
    """A sheet that reaches row 1,048,576: the earlier round's marks are cleared in no time."""
    from openpyxl.comments import Comment

    from survey.feedback import FEEDBACK_AUTHOR, _clear_marks

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet["A1048576"] = "weit unten"
    sheet["XFD1"] = "weit rechts"
    sheet["B2"].comment = Comment("Fehler: alt", FEEDBACK_AUTHOR)
    started = time.monotonic()
    _clear_marks(sheet)
    assert time.monotonic() - started < 1.0
    assert sheet["B2"].comment is None
    assert len(sheet._cells) <= 4


def test_the_byte_scan_agrees_with_the_reader_on_a_real_workbook() -> None:
    """The extent the scan finds is the reader's: last row and column of the good template."""
    from catalog.sheets import SheetLimits, Workbook

    data = b.filled(0, rows=5)
    with Workbook(data, SheetLimits()) as book:
        scan = book.scan("Datenbestände")
        rows = book.rows("Datenbestände")
    assert scan.rows == len(rows) and scan.columns >= max(len(r) for r in rows)
    assert scan.declared is not None
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert b'<c r="A1"' in z.read(b.ENTRY_PART)
