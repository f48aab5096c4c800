"""The feedback workbook: a department's own workbook back, with every problem marked where it is.

Data officers fix problems best in the file they filled in. So the feedback is that file, opened and
saved again: each cell with a finding is coloured by its worst severity (error red, warning amber,
info light blue) and carries all its German messages as a cell comment; a first sheet
``Rückmeldung`` says what was checked, counts the findings, explains the colours in plain German and
lists every finding (also those that concern the whole file or a whole row) in a filterable table.

The ``Meta`` sheet stays as it was (very hidden, values untouched), so a department can correct the
feedback workbook itself and send it back; the reader sees the same signature as before. A file that
cannot be opened at all, or whose sheets are larger than ``max_cells`` (checked before it is opened),
gets a feedback workbook with only the ``Rückmeldung`` sheet; it still lists every finding.
"""

from __future__ import annotations

import io
import math
import re
import warnings
from collections import defaultdict
from collections.abc import Mapping, Sequence
from copy import copy
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell, MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from catalog.fields import BY_COLUMN, BY_KEY
from catalog.findings import SEVERITY_ORDER, Finding
from catalog.localtime import local_text
from catalog.organisation import City, Department
from catalog.sheets import SheetTooLarge, SheetUnreadable
from catalog.sheets import Workbook as SheetsWorkbook
from survey.reader import HEADER_SEARCH_ROWS, header_columns
from survey.template import ENTRY_SHEET, META_SHEET, save_deterministic, write_text

__all__ = [
    "FEEDBACK_AUTHOR",
    "FEEDBACK_SHEET",
    "SEVERITY_FILLS",
    "SEVERITY_LABELS",
    "build_feedback",
    "feedback_name",
]

FEEDBACK_SHEET = "Rückmeldung"
FEEDBACK_SUFFIX = "_Rueckmeldung"

# Fill colours (RGB) by severity: light enough that the value stays readable.
SEVERITY_FILLS: dict[str, str] = {"error": "FFC7CE", "warning": "FFE699", "info": "DDEBF7"}
SEVERITY_LABELS: dict[str, str] = {"error": "Fehler", "warning": "Warnung", "info": "Hinweis"}
_PLURALS: dict[str, str] = {"error": "Fehler", "warning": "Warnungen", "info": "Hinweise"}
_COLOUR_NAMES: dict[str, str] = {"error": "rot", "warning": "gelb", "info": "hellblau"}
_EXPLANATIONS: dict[str, str] = {
    "error": (
        "Die Angabe fehlt oder ist ungültig. Solange ein Fehler besteht, kann der Datenbestand nicht "
        "freigegeben werden. Bitte korrigieren Sie diese Zellen."
    ),
    "warning": (
        "Bitte prüfen: Die Angabe ist möglich, aber unvollständig oder ungewöhnlich. Eine Warnung "
        "verhindert die Freigabe nicht."
    ),
    "info": (
        "Wir haben den Wert automatisch angepasst, z. B. „taeglich“ zu „täglich“. Bitte prüfen Sie, ob "
        "das so stimmt; sonst müssen Sie nichts tun."
    ),
}
# Feedback comments carry their own author, so that the next round can tell them from the help
# comments of the header and remove them (a department sends the feedback workbook back, corrected).
FEEDBACK_AUTHOR = "Rückmeldung Open-Data-Team"
_HELP_AUTHOR = "Open-Data-Team"
_KEPT = "\n\n–––\n"  # separates the feedback messages from a comment that was on the cell before
_MAX_ROW = 1_048_576
_MAX_COLUMN = 16_384

_THIN = Side(style="thin", color="BFBFBF")
_GRID = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="top")
_TABLE_COLUMNS: tuple[tuple[str, int], ...] = (
    ("Zeile", 18),
    ("Spalte", 9),
    ("Feld", 30),
    ("Schweregrad", 14),
    ("Meldung", 95),
)


_UNSAFE_IN_NAME = re.compile(r'[\x00-\x1f\x7f-\x9f/\\:*?"<>|]+')
_MAX_STEM = 150


def feedback_name(file_name: str) -> str:
    """The file name of the feedback workbook for a received file: ``<stem>_Rueckmeldung.xlsx``.

    Only the final name part of ``file_name`` is used, so a path never leaks into the name; characters
    that a share or Excel cannot carry (line breaks, quotes, ``:*?<>|``) become ``_``; the feedback of a
    feedback workbook does not grow a second suffix.
    """
    stem = Path(Path(file_name).name).stem
    stem = _UNSAFE_IN_NAME.sub("_", stem).strip(" .")[:_MAX_STEM].strip(" .") or "Fragebogen"
    if stem.startswith(("~$", ".")):
        stem = "_" + stem.lstrip(".~$")
    if stem.endswith(FEEDBACK_SUFFIX):
        stem = stem[: -len(FEEDBACK_SUFFIX)]
    return f"{stem}{FEEDBACK_SUFFIX}.xlsx"


def _cell_text(text: str) -> str:
    """Text as a cell or comment can carry it: characters XML cannot hold shown as ``\\xNN``."""
    return ILLEGAL_CHARACTERS_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


@dataclass(frozen=True)
class _Where:
    """A cell of the entry sheet that findings point at."""

    row: int
    column: str


def _cell_of(finding: Finding) -> _Where | None:
    """The entry-sheet cell of a finding, or None when it concerns the file, a row or another sheet."""
    if finding.sheet not in (None, ENTRY_SHEET) or finding.row is None or not finding.column:
        return None
    column = finding.column.strip().upper()
    try:
        index = column_index_from_string(column)
    except ValueError:
        return None
    if not (1 <= finding.row <= _MAX_ROW and 1 <= index <= _MAX_COLUMN):
        return None
    return _Where(finding.row, column)


def _rank(finding: Finding) -> tuple[int, int, int, int, str]:
    """Order of the summary table: errors first, then file-level before cells, by row and column."""
    column = _cell_of(finding)
    return (
        SEVERITY_ORDER.get(finding.severity, len(SEVERITY_ORDER)),
        0 if finding.row is None else 1,
        finding.row or 0,
        column_index_from_string(column.column) if column else 0,
        finding.code,
    )


def build_feedback(
    original: bytes | Path,
    findings: Sequence[Finding],
    *,
    city: City,
    department: Department,
    campaign: str | None,
    file_name: str,
    created: datetime,
    identifiers: Mapping[int, str] | None = None,
    max_cells: int | None = None,
) -> bytes:
    """Build the feedback workbook for one received file; returns the xlsx bytes.

    ``original`` is the received workbook (it has passed the file safety checks). Findings on a cell
    of ``Datenbestände`` (``sheet`` is that sheet or None, ``row`` and ``column`` set) colour and
    comment that cell; every finding appears in the table of the ``Rückmeldung`` sheet. ``created``
    is the time of the check: shown on the summary and used as the file's timestamp, so the same
    input gives the same bytes. ``identifiers`` (sheet row -> Kennung) fills the blank ``Kennung``
    cells of the rows that became entries, so a corrected feedback workbook sent back updates those
    entries instead of adding them a second time. ``max_cells`` bounds the sheets that are opened to
    mark cells (rows x columns of each, together); a larger workbook gets the summary sheet only.
    """
    data = original.read_bytes() if isinstance(original, Path) else original
    too_large = max_cells is not None and not _small_enough(data, max_cells)
    workbook = None if too_large else _open(data)
    readable = workbook is not None
    if workbook is None:
        workbook = Workbook()
        placeholder = workbook.active
        assert placeholder is not None
        workbook.remove(placeholder)

    entries = workbook[ENTRY_SHEET] if ENTRY_SHEET in workbook.sheetnames else None
    if entries is not None:
        _clear_marks(entries)
        _fill_identifiers(entries, identifiers or {})
        _mark_cells(entries, findings)
    if META_SHEET in workbook.sheetnames:
        workbook[META_SHEET].sheet_state = "veryHidden"

    if FEEDBACK_SHEET in workbook.sheetnames:  # the feedback of a returned feedback workbook
        workbook.remove(workbook[FEEDBACK_SHEET])
    summary = workbook.create_sheet(FEEDBACK_SHEET, 0)
    _write_summary(
        summary,
        sorted(findings, key=_rank),
        entries,
        city=city,
        department=department,
        campaign=campaign,
        file_name=file_name,
        created=created,
        readable=readable,
        too_large=too_large,
    )
    for sheet in workbook.worksheets:
        sheet.sheet_view.tabSelected = sheet is summary
    workbook.active = 0
    workbook.template = False
    return save_deterministic(workbook, created, keep_created=readable)


def _small_enough(data: bytes, max_cells: int) -> bool:
    """Whether the workbook's sheets together span at most ``max_cells`` cells (checked on the XML, before
    any parser builds them); a workbook whose structure cannot be followed is not small enough."""
    try:
        with SheetsWorkbook(data) as book:
            return sum(book.scan(name).cells for name in book.sheet_names) <= max_cells
    except (SheetTooLarge, SheetUnreadable):
        return False


def _open(data: bytes) -> Workbook | None:
    """The received workbook, or None when it cannot be opened at all.

    Any exception of the parser means "this file is broken" here (openpyxl raises zip, XML, key and
    value errors of many kinds for damaged files); the summary then says so instead of failing.
    """
    try:
        with warnings.catch_warnings():
            # openpyxl warns about extensions it drops (e.g. slicers); nothing a department must know.
            warnings.simplefilter("ignore", UserWarning)
            return load_workbook(io.BytesIO(data), keep_vba=False, keep_links=True, rich_text=False)
    except Exception:
        return None


# --------------------------------------------------------------------------- marked cells


def _target(sheet: Worksheet, where: _Where) -> Cell:
    """The cell to mark; inside a merged range, the range's top-left cell (the only writable one)."""
    cell = sheet[f"{where.column}{where.row}"]
    if isinstance(cell, MergedCell):
        for merged in sheet.merged_cells.ranges:
            if cell.coordinate in merged:
                return sheet.cell(row=merged.min_row, column=merged.min_col)
    return cell


def _clear_marks(sheet: Worksheet) -> None:
    """Remove the marks of an earlier feedback round: its comments and the fills that came with them.

    Only the cells the sheet holds are visited (not every position up to its last row and column), so a
    sheet that reaches row 1,048,576 costs what it holds.
    """
    for cell in list(sheet._cells.values()):
        if isinstance(cell, Cell):
            comment = cell.comment
            if comment is None or comment.author != FEEDBACK_AUTHOR:
                continue
            _, kept, before = comment.text.partition(_KEPT)
            cell.comment = Comment(before, _HELP_AUTHOR) if kept and before else None
            if str(cell.fill.fgColor.rgb)[-6:] in SEVERITY_FILLS.values():
                column_fill = sheet.column_dimensions[cell.column_letter].fill
                cell.fill = copy(column_fill) if column_fill is not None else PatternFill()


def _fill_identifiers(sheet: Worksheet, identifiers: Mapping[int, str]) -> None:
    """Write each new entry's Kennung into its row, in the sheet's own Kennung column, where it is blank."""
    if not identifiers:
        return
    top = [list(row) for row in sheet.iter_rows(min_row=1, max_row=HEADER_SEARCH_ROWS, values_only=True)]
    header, columns = header_columns(top)
    column = next((col for col, spec in columns.items() if spec.key == "identifier"), None)
    if column is None:
        return  # the department removed the Kennung column: nowhere to put it (the rows are still read)
    for row, identifier in identifiers.items():
        if row <= header + 1:
            continue
        cell = sheet.cell(row=row, column=column + 1)
        if isinstance(cell, MergedCell) or (cell.value is not None and str(cell.value).strip()):
            continue
        cell.value = identifier


def _mark_cells(sheet: Worksheet, findings: Sequence[Finding]) -> None:
    """Colour every cell with findings by its worst severity and comment all messages, worst first."""
    by_cell: dict[_Where, list[Finding]] = defaultdict(list)
    for finding in findings:
        where = _cell_of(finding)
        if where is not None:
            by_cell[where].append(finding)
    for where, found in by_cell.items():
        found.sort(key=lambda f: SEVERITY_ORDER.get(f.severity, len(SEVERITY_ORDER)))
        cell = _target(sheet, where)
        cell.fill = PatternFill(
            "solid", fgColor=SEVERITY_FILLS.get(found[0].severity, SEVERITY_FILLS["info"])
        )
        lines = [f"{SEVERITY_LABELS.get(f.severity, f.severity)}: {f.message}" for f in found]
        text = _cell_text("\n\n".join(lines))
        if cell.comment is not None and cell.comment.text:  # e.g. the help text of a header
            text += _KEPT + cell.comment.text
        comment = Comment(text, FEEDBACK_AUTHOR)
        comment.width = 320
        comment.height = int(min(400, 30 + 16 * _line_count(text, 45)))
        cell.comment = comment


def _line_count(text: str, chars_per_line: int) -> int:
    return sum(max(1, math.ceil(len(part) / chars_per_line)) for part in text.split("\n"))


# --------------------------------------------------------------------------- Rückmeldung


def _field_label(finding: Finding, entries: Worksheet | None) -> str:
    """What the finding concerns, in the department's words: the column label, a row, the file."""
    if finding.field and finding.field in BY_KEY:
        return BY_KEY[finding.field].label
    if finding.sheet not in (None, ENTRY_SHEET):
        return f"Blatt „{finding.sheet}“"
    where = _cell_of(finding)
    if where is not None:
        header = entries[f"{where.column}1"].value if entries is not None else None
        if isinstance(header, str) and header.strip():
            return header.strip()
        if where.column in BY_COLUMN:
            return BY_COLUMN[where.column].label
        return f"Spalte {where.column}"
    if finding.row is not None:
        return "(ganze Zeile)"
    return "(ganze Datei)"


def _write_summary(
    sheet: Worksheet,
    findings: Sequence[Finding],
    entries: Worksheet | None,
    *,
    city: City,
    department: Department,
    campaign: str | None,
    file_name: str,
    created: datetime,
    readable: bool,
    too_large: bool = False,
) -> None:
    """Title, what was checked, counts, the colour legend and the table of all findings."""
    for index, (_, width) in enumerate(_TABLE_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    merged_chars = int(sum(width for _, width in _TABLE_COLUMNS[1:]) * 1.05)
    sheet.sheet_view.showGridLines = False
    row = 1

    title = sheet.cell(row=row, column=1)
    write_text(title, "Rückmeldung zu Ihrem Fragebogen")
    title.font = Font(bold=True, size=16, color="1F4E79")
    sheet.row_dimensions[row].height = 26
    row += 2

    def line(label: str, text: str, fill: str | None = None, bold: bool = False) -> None:
        """A label in column A and a text across columns B to E (merged, wrapped)."""
        nonlocal row
        head = sheet.cell(row=row, column=1)
        write_text(head, label)
        head.font = Font(bold=True)
        head.alignment = Alignment(vertical="top", wrap_text=True)
        if fill:
            head.fill = PatternFill("solid", fgColor=fill)
            head.border = _GRID
        body = sheet.cell(row=row, column=2)
        write_text(body, text)
        body.alignment = _WRAP
        if bold:
            body.font = Font(bold=True)
        sheet.merge_cells(start_row=row, start_column=2, end_row=row, end_column=len(_TABLE_COLUMNS))
        sheet.row_dimensions[row].height = 15.0 * _line_count(text, merged_chars) + 3
        row += 1

    def heading(text: str) -> None:
        nonlocal row
        cell = sheet.cell(row=row, column=1)
        write_text(cell, text)
        cell.font = Font(bold=True, size=12, color="1F4E79")
        sheet.row_dimensions[row].height = 20
        row += 1

    line("Stadt", city.name)
    line("Dienststelle", f"{department.name} ({department.code})")
    line("Erhebung", campaign or "–")
    line("Datei", _cell_text(file_name))
    line("Geprüft am", local_text(created))  # in the cities' time, whatever zone ``created`` is in
    row += 1

    counts: dict[str, int] = dict.fromkeys(SEVERITY_LABELS, 0)
    for finding in findings:
        counts[finding.severity] = counts.get(finding.severity, 0) + 1
    heading("Ergebnis")
    for severity in SEVERITY_LABELS:
        head = sheet.cell(row=row, column=1)
        write_text(head, _PLURALS[severity])
        head.font = Font(bold=True)
        head.fill = PatternFill("solid", fgColor=SEVERITY_FILLS[severity])
        head.border = _GRID
        count = sheet.cell(row=row, column=2, value=counts[severity])
        count.alignment = Alignment(horizontal="left")
        count.font = Font(bold=True)
        row += 1
    line("", _verdict(counts, readable or too_large), bold=True)
    row += 1

    heading("Was bedeuten die Farben?")
    for severity in SEVERITY_LABELS:
        line(
            f"{SEVERITY_LABELS[severity]} ({_COLOUR_NAMES[severity]})",
            _EXPLANATIONS[severity],
            fill=SEVERITY_FILLS[severity],
        )
    if readable:
        line(
            "",
            "Die Meldung zu einer Zelle sehen Sie, wenn Sie mit der Maus auf die markierte Zelle zeigen "
            "(Kommentar). Alle Meldungen stehen außerdem in der Tabelle unten; ein Klick auf die "
            "Zeilennummer führt zur Zelle. Meldungen zur ganzen Datei oder zu einer ganzen Zeile stehen "
            "nur in dieser Tabelle.",
        )
        line(
            "",
            f"So geht es weiter: Korrigieren Sie die markierten Angaben direkt im Blatt „{ENTRY_SHEET}“ "
            "dieser Datei, speichern Sie sie als Excel-Datei (.xlsx) und senden Sie sie uns wieder zu. "
            "Die Farben und Kommentare müssen Sie nicht entfernen.",
        )
    elif too_large:
        line(
            "",
            "Ihre Datei ist zu groß, um die Meldungen direkt an den Zellen einzutragen; deshalb enthält diese "
            "Rückmeldung nur diese Übersicht mit allen Meldungen. Bitte löschen Sie leere Zeilen und Spalten "
            "außerhalb Ihrer Einträge, korrigieren Sie die Angaben im Fragebogen und senden Sie ihn erneut.",
        )
    else:
        line(
            "",
            "Ihre Datei konnte nicht geöffnet werden; deshalb enthält diese Rückmeldung nur diese "
            "Übersicht. Bitte füllen Sie den Fragebogen in der zugesandten Vorlage aus, speichern Sie ihn "
            "als Excel-Datei (.xlsx) und senden Sie ihn erneut.",
        )
    row += 1

    heading("Alle Meldungen")
    header_row = row
    for index, (label, _) in enumerate(_TABLE_COLUMNS, start=1):
        cell = sheet.cell(row=row, column=index)
        write_text(cell, label)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F4E79")
        cell.border = _GRID
    row += 1
    for finding in findings:
        _write_finding_row(sheet, row, finding, entries if readable else None)
        row += 1
    last = max(row - 1, header_row + 1)
    sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(len(_TABLE_COLUMNS))}{last}"
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def _write_finding_row(sheet: Worksheet, row: int, finding: Finding, entries: Worksheet | None) -> None:
    """One line of the findings table; the row number links to the marked cell."""
    where = _cell_of(finding) if entries is not None else None
    zeile = sheet.cell(row=row, column=1)
    if finding.row is not None:
        zeile.value = finding.row
        if where is not None:
            zeile.hyperlink = Hyperlink(
                ref=zeile.coordinate, location=f"'{ENTRY_SHEET}'!{where.column}{where.row}"
            )
            zeile.font = Font(color="0563C1", underline="single")
    else:
        write_text(zeile, "–")
    write_text(sheet.cell(row=row, column=2), (finding.column or "–").strip().upper() or "–")
    write_text(sheet.cell(row=row, column=3), _field_label(finding, entries))
    severity = sheet.cell(row=row, column=4)
    write_text(severity, SEVERITY_LABELS.get(finding.severity, finding.severity))
    severity.fill = PatternFill("solid", fgColor=SEVERITY_FILLS.get(finding.severity, SEVERITY_FILLS["info"]))
    message = sheet.cell(row=row, column=5)
    write_text(message, _cell_text(finding.message))
    for column in range(1, len(_TABLE_COLUMNS) + 1):
        cell = sheet.cell(row=row, column=column)
        cell.border = _GRID
        cell.alignment = Alignment(wrap_text=column in (3, 5), vertical="top", horizontal="left")
    chars = int(_TABLE_COLUMNS[-1][1] * 1.05)
    sheet.row_dimensions[row].height = 15.0 * max(_line_count(finding.message, chars), 1) + 3


def _verdict(counts: dict[str, int], readable: bool) -> str:
    """One sentence on what the department has to do."""
    if not readable:
        return "Die Datei konnte nicht gelesen werden."
    if counts.get("error"):
        return (
            "Bitte korrigieren Sie die rot markierten Angaben; erst dann können die betroffenen "
            "Datenbestände freigegeben werden."
        )
    if counts.get("warning"):
        return "Keine Fehler – bitte prüfen Sie noch die gelb markierten Angaben."
    return "Vielen Dank! Wir haben keine Fehler oder Warnungen gefunden."
