"""Read a filled survey workbook, however people filled it: rows by header label, fast.

The file has passed :mod:`survey.safety` before it gets here. Each sheet's extent is checked against
:class:`catalog.sheets.SheetLimits` before python-calamine reads it (cached values; formulas are never
evaluated); columns are found by their header labels, so moved, extra or renamed-by-case columns do
not matter; the ``Meta`` sheet is read for the signature check. Collect runs :func:`read_workbook` in
a :class:`catalog.sandbox.Sandbox`, so that no workbook can take the run's memory with it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from catalog.errors import UsageError
from catalog.fields import FIELDS, Field
from catalog.findings import Finding, finding
from catalog.sheets import SheetLimits, SheetTooLarge, SheetUnreadable, Workbook
from catalog.vocabulary import clean_key, loose_key
from survey.signature import SIGNED_KEYS, Meta

ENTRY_SHEET = "Datenbestände"
META_SHEET = "Meta"
HEADER_SEARCH_ROWS = 10
HEADER_MIN_LABELS = 3  # fewer survey labels than this in a row: it is no header row
_HEADER_HINT_ROWS = 100  # how far to look for a misplaced header, to say where it is
_LABELS = {clean_key(f.label): f for f in FIELDS}
_LOOSE_LABELS = {loose_key(f.label): f for f in FIELDS}


class WorkbookUnreadable(UsageError, ValueError):
    """The workbook cannot be opened by the spreadsheet reader (after the safety checks passed)."""


class WorkbookTooLarge(WorkbookUnreadable):
    """A sheet reaches beyond the reading limits; ``message_de`` says what the department can do, ``meta``
    is the workbook's ``Meta`` sheet when it could be read (so the department still gets its feedback)."""

    def __init__(self, message: str, message_de: str, meta: Meta | None = None) -> None:
        super().__init__(message)
        self.message_de = message_de
        self.meta = meta

    def __reduce__(self) -> tuple[Any, ...]:
        return (WorkbookTooLarge, (str(self), self.message_de, self.meta))


@dataclass
class RawRow:
    """One filled row of the entry table: raw values by field key, and each field's column letter."""

    row: int  # 1-based row number as the department sees it
    values: dict[str, Any]
    columns: dict[str, str]


@dataclass
class ReadWorkbook:
    meta: Meta | None
    rows: list[RawRow] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # structure findings (columns, formulas)
    header_row: int = 1
    columns: dict[str, str] = field(default_factory=dict)  # field key -> column letter
    sheet_found: bool = True
    header_found: bool = True
    extent: tuple[int, int] = (0, 0)  # last row and column of the entry sheet with a cell


def column_letter(index: int) -> str:
    """0-based column index -> spreadsheet letters (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _match_label(value: Any) -> Field | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return _label_of(value)


@functools.lru_cache(maxsize=4096)
def _label_of(text: str) -> Field | None:
    """The field whose column label ``text`` is, however it was spelled (the same headers recur in every file)."""
    return _LABELS.get(clean_key(text)) or _LOOSE_LABELS.get(loose_key(text))


def _find_header(
    rows: list[list[Any]], search: int = HEADER_SEARCH_ROWS
) -> tuple[int, dict[int, Field], list[tuple[int, str]]]:
    """The row (0-based) holding most survey labels, its label columns, and its unknown columns."""
    best, best_map = 0, dict[int, Field]()
    for index, row in enumerate(rows[:search]):
        found = {col: spec for col, value in enumerate(row) if (spec := _match_label(value)) is not None}
        if len(found) > len(best_map):
            best, best_map = index, found
    unknown: list[tuple[int, str]] = []
    if best_map:
        for col, value in enumerate(rows[best]):
            if col not in best_map and isinstance(value, str) and value.strip():
                unknown.append((col, value.strip()))
    return best, best_map, unknown


def header_columns(rows: list[list[Any]]) -> tuple[int, dict[int, Field]]:
    """The header row (0-based) among the first rows of a sheet, and the field of each of its label columns."""
    header, columns, _unknown = _find_header(rows)
    return header, columns


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _read_meta(workbook: Workbook) -> Meta | None:
    if META_SHEET not in workbook.sheet_names:
        return None
    values: dict[str, str] = {}
    for row in workbook.rows(META_SHEET):
        if len(row) >= 2 and isinstance(row[0], str) and row[0].strip():
            cell = row[1]
            values[row[0].strip()] = cell if isinstance(cell, str) else ("" if cell is None else _plain(cell))
    if not all(k in values for k in SIGNED_KEYS):
        return None
    return Meta(**{k: values[k] for k in SIGNED_KEYS}, signature=values.get("signature", ""))


def _plain(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def formula_cells(path: Path, sheet: str = ENTRY_SHEET) -> dict[str, str | None]:
    """Cells of ``sheet`` that hold a formula: reference (``C3``) -> cached value text (or None)."""
    with Workbook(path) as workbook:
        return workbook.formulas(sheet)


def _split_ref(ref: str) -> tuple[str, int]:
    match = re.fullmatch(r"([A-Z]+)(\d+)", ref)
    if not match:
        return "", 0
    return match[1], int(match[2])


def read_workbook(path: Path, *, file_name: str | None = None, limits: SheetLimits | None = None) -> ReadWorkbook:
    """Read the entry rows, the Meta values and the structure findings of a survey workbook.

    Raises :class:`WorkbookTooLarge` when a sheet reaches beyond ``limits`` and :class:`WorkbookUnreadable`
    when the workbook cannot be followed; both before any sheet is read into memory.
    """
    shown = file_name or path.name
    meta = None
    try:
        with Workbook(path, limits) as workbook:
            meta = _read_meta(workbook)
            return _read(workbook, shown, meta)
    except SheetTooLarge as exc:
        raise WorkbookTooLarge(str(exc), exc.message_de, meta) from exc
    except SheetUnreadable as exc:
        raise WorkbookUnreadable(str(exc)) from exc


def read_meta(path: Path, *, limits: SheetLimits | None = None) -> Meta | None:
    """Only the ``Meta`` values (within ``limits``), or None when they cannot be read: who sent a workbook
    that could not be read as a whole."""
    try:
        with Workbook(path, limits) as workbook:
            return _read_meta(workbook)
    except (SheetTooLarge, SheetUnreadable):
        return None


def _read(workbook: Workbook, shown: str, meta: Meta | None) -> ReadWorkbook:
    names = workbook.sheet_names
    sheet_name = ENTRY_SHEET if ENTRY_SHEET in names else _similar_sheet(names)
    if sheet_name is None:
        result = ReadWorkbook(meta=meta, sheet_found=False)
        result.findings.append(finding("sheet-missing", value=ENTRY_SHEET).at(file=shown))
        return result
    rows = workbook.rows(sheet_name)
    scan = workbook.scan(sheet_name)
    header, label_columns, unknown = _find_header(rows)
    result = ReadWorkbook(meta=meta, header_row=header + 1, extent=(scan.rows, scan.columns))
    where = {"file": shown, "sheet": sheet_name}
    info = workbook.sheet(sheet_name)
    if info is not None and info.hidden:
        result.findings.append(finding("sheet-hidden", value=sheet_name).at(**where))
    if len(label_columns) < HEADER_MIN_LABELS:
        result.header_found = False
        found_at, found, _ = _find_header(rows, _HEADER_HINT_ROWS)
        place = (f" (sie steht in Zeile {found_at + 1})", f" (found on row {found_at + 1})") \
            if len(found) >= HEADER_MIN_LABELS else ("", "")
        result.findings.append(finding("header-missing", value=sheet_name, rows=HEADER_SEARCH_ROWS, where_de=place[0],
                                       where_en=place[1]).at(**where))
        return result
    result.columns = {spec.key: column_letter(col) for col, spec in label_columns.items()}
    for spec in FIELDS:
        if spec.key not in result.columns and spec.key != "identifier" and not _added_later(spec, meta):
            result.findings.append(
                finding("missing-column", label=spec.label, field=spec.key).at(**where, row=header + 1)
            )
    for col, label in unknown:
        result.findings.append(finding("unknown-column", value=label).at(**where, row=header + 1, column=column_letter(col)))
    for number, row in _data_rows(rows, header):
        values: dict[str, Any] = {}
        for col, spec in label_columns.items():
            cell = row[col] if col < len(row) else None
            values[spec.key] = None if _blank(cell) else cell
        if all(v is None for k, v in values.items() if k != "identifier"):
            continue  # an empty row, or a pre-filled Kennung whose row was cleared: nothing to read
        result.rows.append(RawRow(number, values, dict(result.columns)))
    by_column = {letter: key for key, letter in result.columns.items()}
    for ref, cached in sorted(scan.formulas.items()):
        letter, number = _split_ref(ref)
        if number <= header + 1:
            continue
        result.findings.append(
            finding("formula-in-cell", value=cached or "", field=by_column.get(letter)).at(**where, row=number, column=letter)
        )
    return result


def _added_later(spec: Field, meta: Meta | None) -> bool:
    """The column came with a newer template than the workbook's: its absence is no problem."""
    if spec.since is None or meta is None:
        return False
    return _version(meta.survey_version) < _version(spec.since)


def _version(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split("."))
    except ValueError:
        return ()


def _data_rows(rows: list[list[Any]], header: int) -> Iterator[tuple[int, list[Any]]]:
    for index in range(header + 1, len(rows)):
        yield index + 1, rows[index]


def _similar_sheet(names: list[str]) -> str | None:
    """A sheet whose name differs from ``Datenbestände`` only in spelling (e.g. ``Datenbestaende``)."""
    wanted = loose_key(ENTRY_SHEET)
    for name in names:
        if loose_key(name) == wanted:
            return name
    return None
