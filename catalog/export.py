"""Writers for inventory records: JSON Lines (the contract of SURVEY.md), CSV and xlsx.

Values that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, carriage return at
the start) are written as text: in CSV with a leading apostrophe, in xlsx as string cells. Control
characters (a terminal's escape sequences, characters XML cannot carry) never reach the output as
they are: CSV and xlsx show them as visible escapes (``\\x1b``), JSON Lines as JSON escapes (``\\u001b``).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from catalog.normalise import CONTROL_CHARACTERS, visible

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def write_jsonl(records: Iterable[Mapping[str, Any]], out: IO[str]) -> int:
    """One JSON object per line, keys in the order given, UTF-8 text as is (control characters as JSON
    escapes); returns the count."""
    count = 0
    for record in records:
        out.write(CONTROL_CHARACTERS.sub(_json_escape, json.dumps(record, ensure_ascii=False, default=str)))
        out.write("\n")
        count += 1
    return count


def _flat(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return visible("; ".join(str(v) for v in value))
    return visible(str(value))


def defuse(text: str) -> str:
    """Text that a spreadsheet shows as written and never evaluates."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_csv(records: Iterable[Mapping[str, Any]], out: IO[str], keys: Sequence[str]) -> int:
    """CSV with a header row; lists joined by ``; ``; formula-like values defused."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(keys)
    count = 0
    for record in records:
        writer.writerow([defuse(_flat(record.get(k))) for k in keys])
        count += 1
    return count


def write_xlsx(records: Iterable[Mapping[str, Any]], path: Path, keys: Sequence[str], *, sheet: str = "Export") -> int:
    """An xlsx workbook (streamed, write-only) with a frozen header and every value as a string cell."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet)
    worksheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for key in keys:
        cell = WriteOnlyCell(worksheet, value=key)
        cell.font = bold
        header.append(cell)
    worksheet.append(header)
    count = 0
    for record in records:
        row = []
        for key in keys:
            value = record.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                row.append(WriteOnlyCell(worksheet, value=value))
                continue
            cell = WriteOnlyCell(worksheet, value=_flat(value))
            cell.data_type = "s"  # never a formula, whatever the text starts with
            row.append(cell)
        worksheet.append(row)
        count += 1
    workbook.save(path)
    return count
