"""Read the sheets of an xlsx workbook within bounds that are checked before the reader starts.

python-calamine reads a sheet into one dense block from its first to its last cell: a single cell at
``XFD1048576`` asks for 17 billion cells (512 GB), and one far-away empty string or 16,384 columns do
much the same. :class:`Workbook` therefore looks at a sheet's XML first, with byte searches that cost
a fraction of the read: the last row and column that hold a cell (the real extent; the declared
``<dimension>`` is recorded but not trusted), and the cells the block would keep. A sheet over
:class:`SheetLimits` raises :class:`SheetTooLarge` with a message a person can act on, before any
parser allocates anything. The same pass finds the cells that hold a formula (their cached values are
what the reader returns), in transitional and strict Office Open XML alike.

The workbook's own parts are found through ``workbook.xml`` and its relationships, namespace-agnostic,
with defusedxml (no DTDs, no entities). Run :class:`Workbook` inside :class:`catalog.sandbox.Sandbox`
when the file comes from outside: the bounds give the clear message, the sandbox the guarantee.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from catalog.errors import UsageError

if TYPE_CHECKING:
    from openpyxl.cell.cell import Cell

DEFAULT_MAX_ROWS = 200_000
DEFAULT_MAX_COLUMNS = 256
DEFAULT_MAX_CELLS = 6_000_000
_SINGLE_LETTER_COLUMNS = 26  # the width assumed when no cell lies beyond column Z
_MAX_XML_PART = 64 * 1024 * 1024  # workbook.xml and its relationships are tiny in real files

_ROOT = re.compile(rb"<([A-Za-z_][\w.-]*:)?worksheet\b")
_ATTR_R = re.compile(rb"""\br\s*=\s*["']([A-Za-z]{0,3})(\d{1,9})["']""")
_ROW_NUMBER = re.compile(rb"""\br\s*=\s*["'](\d{1,9})["']""")
_DIMENSION = re.compile(rb"""<(?:[A-Za-z_][\w.-]*:)?dimension\s+ref\s*=\s*["']([^"']*)["']""")


@dataclass(frozen=True)
class SheetLimits:
    """The most a sheet may hold to be read: its last row, its last column, and rows x columns."""

    max_rows: int = DEFAULT_MAX_ROWS
    max_columns: int = DEFAULT_MAX_COLUMNS
    max_cells: int = DEFAULT_MAX_CELLS


class SheetUnreadable(UsageError, ValueError):
    """The workbook's structure cannot be followed (damaged XML, a missing part)."""


class SheetTooLarge(UsageError, ValueError):
    """A sheet reaches beyond :class:`SheetLimits`; ``message_de`` tells the department what to do."""

    def __init__(self, sheet: str, what: str, found: int, limit: int, where: str) -> None:
        self.sheet, self.what, self.found, self.limit, self.where = sheet, what, found, limit, where
        english = {
            "rows": f"sheet {sheet!r} has cells down to row {found:,} ({where}); at most {limit:,} rows are read",
            "columns": f"sheet {sheet!r} has cells out to column {where} ({found:,}); at most {limit:,} columns are read",
            "cells": f"sheet {sheet!r} spans {found:,} cells ({where}); at most {limit:,} are read",
        }[what]
        super().__init__(english)
        self.message_de = {
            "rows": f"Das Blatt „{sheet}“ enthält Zellen bis Zeile {_de(found)} ({where}); gelesen werden höchstens "
                    f"{_de(limit)} Zeilen. Bitte löschen Sie die leeren oder überzähligen Zeilen unter Ihren Einträgen "
                    "(Zeilen markieren › „Zeilen löschen“) und senden Sie die Datei erneut.",
            "columns": f"Das Blatt „{sheet}“ enthält Zellen bis Spalte {where}; gelesen werden höchstens {_de(limit)} "
                       "Spalten. Bitte löschen Sie die Spalten rechts neben dem Fragebogen (Spalten markieren › "
                       "„Spalten löschen“) und senden Sie die Datei erneut.",
            "cells": f"Das Blatt „{sheet}“ ist mit {_de(found)} Zellen ({where}) zu groß; gelesen werden höchstens "
                     f"{_de(limit)}. Bitte löschen Sie leere Zeilen und Spalten außerhalb Ihrer Einträge und senden Sie "
                     "die Datei erneut.",
        }[what]

    def __reduce__(self) -> tuple[Any, ...]:
        return (SheetTooLarge, (self.sheet, self.what, self.found, self.limit, self.where))


def _de(number: int) -> str:
    return f"{number:,}".replace(",", ".")


@dataclass(frozen=True)
class SheetInfo:
    """A sheet as ``workbook.xml`` names it: its name, its part in the zip, ``visible``/``hidden``/``veryHidden``."""

    name: str
    part: str | None
    state: str = "visible"

    @property
    def hidden(self) -> bool:
        return self.state in ("hidden", "veryHidden")


@dataclass
class SheetScan:
    """What the byte scan of a sheet found: last row and column with a cell, the block's size, formulas."""

    rows: int = 0
    columns: int = 0
    declared: str | None = None
    formulas: dict[str, str | None] = field(default_factory=dict)

    @property
    def cells(self) -> int:
        return self.rows * self.columns


def column_index(letters: str) -> int:
    """``A`` -> 1, ``Z`` -> 26, ``AA`` -> 27, ``XFD`` -> 16384."""
    index = 0
    for char in letters:
        index = index * 26 + ord(char) - 64
    return index


def column_letters(index: int) -> str:
    """1 -> ``A``, 27 -> ``AA``."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attribute(node: Any, name: str) -> str | None:
    """An attribute by its local name, whatever its namespace (transitional or strict relationships)."""
    for key, value in node.attrib.items():
        if _local(key) == name:
            return str(value)
    return None


class Workbook:
    """An xlsx file whose sheets are read only after their extent is checked against ``limits``."""

    def __init__(self, source: Path | bytes, limits: SheetLimits | None = None) -> None:
        self.source = source
        self.limits = limits or SheetLimits()
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise SheetUnreadable(f"not a readable zip: {exc}") from exc
        self._parts = {name.lower(): name for name in self._zip.namelist()}
        self.sheets = self._sheet_infos()
        self._calamine: Any = None
        self._scans: dict[str, SheetScan] = {}

    def close(self) -> None:
        self._zip.close()
        if self._calamine is not None:
            self._calamine.close()

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def sheet_names(self) -> list[str]:
        return [s.name for s in self.sheets]

    def sheet(self, name: str) -> SheetInfo | None:
        return next((s for s in self.sheets if s.name == name), None)

    # ------------------------------------------------------------------ structure

    def _xml(self, part: str) -> Any:
        from defusedxml import ElementTree
        from defusedxml.common import DefusedXmlException

        name = self._parts.get(part.lower())
        if name is None:
            return None
        info = self._zip.getinfo(name)
        if info.file_size > _MAX_XML_PART:
            raise SheetUnreadable(f"{name} is implausibly large ({info.file_size} bytes)")
        try:
            return ElementTree.fromstring(self._zip.read(name))
        except (ElementTree.ParseError, DefusedXmlException, ValueError, zipfile.BadZipFile, OSError) as exc:
            raise SheetUnreadable(f"{name}: {type(exc).__name__}: {exc}") from exc

    def _sheet_infos(self) -> list[SheetInfo]:
        workbook = self._xml("xl/workbook.xml")
        if workbook is None:
            raise SheetUnreadable("the workbook part xl/workbook.xml is missing")
        rels = self._xml("xl/_rels/workbook.xml.rels")
        targets: dict[str, str] = {}
        if rels is not None:
            for rel in rels.iter():
                if _local(rel.tag) == "Relationship" and rel.get("TargetMode", "") != "External":
                    targets[rel.get("Id", "")] = rel.get("Target", "")
        infos: list[SheetInfo] = []
        for node in workbook.iter():
            if _local(node.tag) != "sheet" or node.get("name") is None:
                continue
            target = targets.get(_attribute(node, "id") or "")
            infos.append(SheetInfo(str(node.get("name")), self._part_of(target), node.get("state") or "visible"))
        return infos

    def _part_of(self, target: str | None) -> str | None:
        if not target:
            return None
        path = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
        return self._parts.get(posixpath.normpath(path).lower())

    # ------------------------------------------------------------------ bounds

    def scan(self, name: str) -> SheetScan:
        """The extent and formula cells of sheet ``name``; raises :class:`SheetTooLarge` beyond the limits."""
        if name not in self._scans:
            info = self.sheet(name)
            if info is None or info.part is None:
                self._scans[name] = SheetScan()
            else:
                try:
                    data = self._zip.read(info.part)
                except (zipfile.BadZipFile, OSError, ValueError) as exc:
                    raise SheetUnreadable(f"{info.part}: {exc}") from exc
                self._scans[name] = scan_sheet(data, name, self.limits)
        return self._scans[name]

    def rows(self, name: str) -> list[list[Any]]:
        """The values of sheet ``name`` as lists (cached values for formulas; empty cells as None),
        after :meth:`scan` has checked its extent."""
        from python_calamine import CalamineError, CalamineWorkbook

        self.scan(name)
        try:
            if self._calamine is None:
                self._calamine = (CalamineWorkbook.from_filelike(io.BytesIO(self.source)) if isinstance(self.source, bytes)
                                  else CalamineWorkbook.from_path(str(self.source)))
            rows: list[list[Any]] = self._calamine.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except (CalamineError, OSError, ValueError) as exc:
            raise SheetUnreadable(f"sheet {name!r} cannot be read ({type(exc).__name__}: {exc})") from exc
        except (MemoryError, KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # pyo3 turns a panic of the Rust reader into a BaseException
            raise SheetUnreadable(f"{type(exc).__name__}: {exc}") from exc
        return rows

    def formulas(self, name: str) -> dict[str, str | None]:
        """Cells of sheet ``name`` that hold a formula: reference (``C3``) -> cached value (or None)."""
        return self.scan(name).formulas


def scan_sheet(data: bytes, sheet: str, limits: SheetLimits) -> SheetScan:
    """The extent and formula cells of one sheet's XML; :class:`SheetTooLarge` beyond ``limits``.

    Byte searches first (Excel, LibreOffice and openpyxl write ``<row r=`` and ``<c r=`` with ``r``
    first); a sheet written otherwise takes a slower pass over every row and cell.
    """
    root = _ROOT.search(data, 0, 65536)
    prefix = (root.group(1) or b"") if root else b""
    scan = SheetScan()
    dimension = _DIMENSION.search(data, 0, 1 << 20)
    scan.declared = dimension.group(1).decode("ascii", "replace") if dimension else None
    row_tag, cell_tag = b"<" + prefix + b"row", b"<" + prefix + b"c"
    rows = re.findall(re.escape(row_tag) + rb'(?: r="(\d{1,9})")?[\s>/]', data)
    numbered = [int(n) for n in rows if n]
    odd_cells = re.search(re.escape(cell_tag) + rb'(?:>|/>|\s(?!r="))', data) is not None
    if len(rows) != len(numbered) or odd_cells:
        _scan_slowly(data, prefix, sheet, limits, scan)
    else:
        _scan_rows(data, prefix, numbered, sheet, limits, scan)
        _scan_columns(data, prefix, sheet, limits, scan)
    if scan.cells > limits.max_cells:
        raise SheetTooLarge(sheet, "cells", scan.cells, limits.max_cells,
                            f"A1:{column_letters(scan.columns)}{scan.rows}")
    if re.search(b"<" + re.escape(prefix) + rb"f[\s>/]", data):
        scan.formulas = _formula_cells(data)
    return scan


_VALUE_CELL = rb"c\b[^>]*(?<!/)>"  # a cell element with content (an empty ``<c r="A1" s="1"/>`` holds nothing)


def _scan_rows(data: bytes, prefix: bytes, numbered: list[int], sheet: str, limits: SheetLimits,
               scan: SheetScan) -> None:
    """The last row that holds a cell with content; rows past the limit count only when they do."""
    value_cell = re.compile(b"<" + re.escape(prefix) + _VALUE_CELL)
    row_end = b"</" + prefix + b"row>"
    last = max(numbered, default=0)
    if last > limits.max_rows:
        last = 0
        for match in re.finditer(b"<" + re.escape(prefix) + rb'row r="(\d{1,9})"([^>]*)>', data):
            number = int(match.group(1))
            if number <= limits.max_rows:
                last = max(last, number)
                continue
            if match.group(2).endswith(b"/"):
                continue
            end = data.find(row_end, match.end())
            if value_cell.search(data, match.end(), end if end >= 0 else len(data)):
                raise SheetTooLarge(sheet, "rows", number, limits.max_rows, f"Zeile {_de(number)}")
    # a cell's own reference decides where a reader puts it, whatever row element holds it
    digits = len(str(limits.max_rows))
    pattern = b"<" + re.escape(prefix) + rb'c r="[A-Za-z]{1,3}(\d{%d,9})"[^>]*(?<!/)>' % digits
    for match in re.finditer(pattern, data):
        number = int(match.group(1))
        if number > limits.max_rows:
            raise SheetTooLarge(sheet, "rows", number, limits.max_rows, f"Zeile {_de(number)}")
        last = max(last, number)
    scan.rows = last


def _scan_columns(data: bytes, prefix: bytes, sheet: str, limits: SheetLimits, scan: SheetScan) -> None:
    """The last column that holds a cell with content (at least Z: single letters are not told apart)."""
    widest = _SINGLE_LETTER_COLUMNS if scan.rows else 0
    pattern = b"<" + re.escape(prefix) + rb'c r="([A-Za-z]{2,3})\d{1,9}"[^>]*(?<!/)>'  # readers take a9 for A9
    for match in re.finditer(pattern, data):
        letters = match.group(1).decode("ascii").upper()
        index = column_index(letters)
        if index > widest:
            if index > limits.max_columns:
                raise SheetTooLarge(sheet, "columns", index, limits.max_columns, letters)
            widest = index
    scan.columns = widest


def _scan_slowly(data: bytes, prefix: bytes, sheet: str, limits: SheetLimits, scan: SheetScan) -> None:
    """Every row and cell, numbered as a reader numbers them when ``r`` is missing or not first."""
    token = re.compile(b"<" + re.escape(prefix) + rb"(row|c)\b([^>]*)>")
    row = column = 0
    last_row = widest = 0
    for match in token.finditer(data):
        attrs = match.group(2)
        empty = attrs.endswith(b"/")
        if match.group(1) == b"row":
            number = _ROW_NUMBER.search(attrs)
            row = int(number.group(1)) if number else row + 1
            column = 0
            continue
        ref = _ATTR_R.search(attrs)
        if ref and ref.group(1):
            column = column_index(ref.group(1).decode("ascii").upper())
            row = int(ref.group(2)) if ref.group(2) else row
        else:
            column += 1
        if empty:
            continue
        if row > limits.max_rows:
            raise SheetTooLarge(sheet, "rows", row, limits.max_rows, f"Zeile {_de(row)}")
        if column > limits.max_columns:
            raise SheetTooLarge(sheet, "columns", column, limits.max_columns, column_letters(column))
        last_row, widest = max(last_row, row), max(widest, column)
    scan.rows, scan.columns = last_row, widest


def _formula_cells(data: bytes) -> dict[str, str | None]:
    """Reference -> cached value of every cell with an ``<f>`` child, in any namespace."""
    from defusedxml import ElementTree

    found: dict[str, str | None] = {}
    try:
        for _event, node in ElementTree.iterparse(io.BytesIO(data), events=("end",)):
            if _local(node.tag) != "c":
                continue
            children = {_local(child.tag): child for child in node}
            if "f" in children:
                cached = children.get("v")
                found[node.get("r", "")] = cached.text if cached is not None else None
            node.clear()
    except Exception as exc:  # defusedxml and expat raise several kinds for damaged or hostile XML
        raise SheetUnreadable(f"sheet XML: {type(exc).__name__}: {exc}") from exc
    return found


# --------------------------------------------------------------------------- writing text into a cell

# Characters that make a spreadsheet (or a CSV import) treat a typed value as a formula (OWASP).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MAX_CELL_CHARS = 32_767  # Excel's limit for the text of one cell


def write_text(cell: Cell, text: str) -> None:
    """Store ``text`` in ``cell`` as a plain string, never as a formula.

    openpyxl turns any string starting with ``=`` into a formula; values that come from a database or
    from a department (``=HYPERLINK(...)``, ``-5 %``, ``@home``) must stay text. Characters that XML
    cannot carry are dropped and the text is cut at Excel's cell limit. A leading formula character
    also gets Excel's "quote prefix", so that editing the cell later does not turn it into a formula.
    """
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    clean = ILLEGAL_CHARACTERS_RE.sub("", text)[:MAX_CELL_CHARS]
    cell.value = clean
    cell.data_type = "s"
    if clean.startswith(FORMULA_PREFIXES):
        cell.quotePrefix = True
