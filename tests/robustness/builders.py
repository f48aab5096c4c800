"""Hostile and broken survey workbooks, built here from the real signed template, the same bytes every time.

Each builder takes a good filled workbook (xlsx bytes) and returns a changed copy: parts rewritten,
added, duplicated or removed inside the zip. Sizes are chosen against the small reading bounds the
tests set (``BOUNDS``), so that every kind is cheap to build and to refuse.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import warnings
import zipfile
from collections.abc import Callable

from catalog.organisation import load_organisation
from survey.simulation import fill_workbook, realistic_rows
from survey.template import build_workbook

ORG = load_organisation()
SECRET = "robust-geheim"
CAMPAIGN = "r17"
ENTRY_PART = "xl/worksheets/sheet2.xml"  # the template's Datenbestände sheet
SECRETS = {f"INVENTUR_SECRET_{c.upper()}": "robust-geheim" for c in ("augsburg", "nuernberg", "muenchen")}
META_PART = "xl/worksheets/sheet4.xml"
WHEN = (2026, 11, 1, 0, 0, 0)

# The reading bounds of the tests (INVENTUR_READ_*): small, so that every kind is cheap.
BOUNDS = {"INVENTUR_READ_MAX_ROWS": "2000", "INVENTUR_READ_MAX_COLUMNS": "60", "INVENTUR_READ_MAX_CELLS": "50000",
          "INVENTUR_READ_MEMORY_MB": "400", "INVENTUR_READ_TIMEOUT": "60", "INVENTUR_FEEDBACK_MAX_CELLS": "20000",
          "INVENTUR_MAX_FILE_MB": "5", "INVENTUR_MAX_UNPACKED_MB": "60"}

def _laughs() -> bytes:
    """A DTD whose entity ``lol9`` expands to 10^9 characters (the "billion laughs")."""
    entities = [b'<!ENTITY lol0 "lol">']
    entities += [b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1)) * 10) for i in range(1, 10)]
    return b'<?xml version="1.0"?>\n<!DOCTYPE lolz [' + b"".join(entities) + b"]>\n"


BILLION_LAUGHS = _laughs()


CITIES = ("augsburg", "nuernberg", "muenchen")
DEPARTMENTS = [d for city in CITIES for d in ORG.departments_of(city)]  # one per file of a run


def filled(department: int = 0, rows: int = 3, *, seed: int = 1, values: list[dict[str, object]] | None = None) -> bytes:
    """A good, signed survey workbook of the ``department``-th department (Augsburg's, then Nürnberg's,
    then München's), filled in."""
    dept = DEPARTMENTS[department]
    city = ORG.city(dept.city)
    template = build_workbook(city=city, department=dept, campaign=CAMPAIGN, secret=SECRET.encode(),
                              issued=dt.date(2026, 11, 1))
    answers = values if values is not None else realistic_rows(city, dept, rows, random.Random(seed))
    return fill_workbook(template, answers, saved=dt.datetime(2026, 11, 2, 9, 0))


def realistic_rows_for(department: int, count: int, *, seed: int = 1) -> list[dict[str, object]]:
    """Rows a data officer of the ``department``-th department would enter (deterministic)."""
    dept = DEPARTMENTS[department]
    return realistic_rows(ORG.city(dept.city), dept, count, random.Random(seed))


def rewrite(data: bytes, *, change: dict[str, Callable[[bytes], bytes]] | None = None,
            add: list[tuple[str, bytes]] | None = None, drop: tuple[str, ...] = ()) -> bytes:
    """A copy of the zip ``data``: members changed by a function, added (also a second time), or dropped."""
    change = change or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename in drop:
                continue
            body = source.read(info.filename)
            if info.filename in change:
                body = change[info.filename](body)
            target.writestr(zipfile.ZipInfo(info.filename, WHEN), body, zipfile.ZIP_DEFLATED)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # a part added twice is what some kinds are about
            for name, body in add or []:
                target.writestr(zipfile.ZipInfo(name, WHEN), body, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _with_rows(xml: bytes, rows: bytes) -> bytes:
    return xml.replace(b"</sheetData>", rows + b"</sheetData>")


def _inline(ref: str, text: str) -> bytes:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def _dtd(xml: bytes) -> bytes:
    """The part with a billion-laughs DTD before its root and an entity used in it."""
    body = re.sub(rb"^<\?xml[^>]*\?>\s*", b"", xml)
    return BILLION_LAUGHS + body


# -- the kinds ----------------------------------------------------------------------------------------


def dtd_in_workbook(good: bytes) -> bytes:
    return rewrite(good, change={"xl/workbook.xml": _dtd})


def dtd_in_relationships(good: bytes) -> bytes:
    return rewrite(good, change={"xl/_rels/workbook.xml.rels": _dtd})


def dtd_in_sheet_with_formula(good: bytes) -> bytes:
    def sheet(xml: bytes) -> bytes:
        return _dtd(_with_rows(xml, b'<row r="5"><c r="B5"><f>1+1</f><v>2</v></c><c r="C5" t="inlineStr">'
                                    b"<is><t>&lol9;</t></is></c></row>"))

    return rewrite(good, change={ENTRY_PART: sheet})


def meta_part_missing(good: bytes) -> bytes:
    return rewrite(good, drop=(META_PART,))


def junk_after_root(good: bytes) -> bytes:
    return rewrite(good, change={"xl/workbook.xml": lambda xml: xml + b"<junk>nach dem Ende</junk>"})


def far_cell(good: bytes) -> bytes:
    """One cell at XFD1048576: the reader would ask for 17 billion cells (512 GB)."""
    return rewrite(good, change={ENTRY_PART: lambda xml: _with_rows(
        xml, b'<row r="1048576">' + _inline("XFD1048576", "x") + b"</row>")})


def far_row(good: bytes) -> bytes:
    """One cell at A1048576."""
    return rewrite(good, change={ENTRY_PART: lambda xml: _with_rows(
        xml, b'<row r="1048576">' + _inline("A1048576", "") + b"</row>")})


def empty_strings_down(good: bytes, rows: int = 3000) -> bytes:
    """Row after row of empty strings, past the row bound (the issue's 1,048,576 rows, scaled to the bound)."""
    body = b"".join(b'<row r="%d">' % r + _inline(f"A{r}", "") + b"</row>" for r in range(5, 5 + rows))
    return rewrite(good, change={ENTRY_PART: lambda xml: _with_rows(xml, body)})


def columns_across(good: bytes, columns: int = 16384, rows: int = 3) -> bytes:
    """All 16,384 columns filled in a few rows."""
    from openpyxl.utils import get_column_letter

    letters = [get_column_letter(c) for c in range(1, columns + 1)]
    body = b"".join(b'<row r="%d">' % r + b"".join(b'<c r="%s%d"><v>1</v></c>' % (col.encode(), r) for col in letters)
                    + b"</row>" for r in range(5, 5 + rows))
    return rewrite(good, change={ENTRY_PART: lambda xml: _with_rows(xml, body)})


def too_many_cells(good: bytes) -> bytes:
    """Within the row and the column bound, but rows x columns over the cell bound (1,500 x 50)."""
    body = b"".join(b'<row r="%d">' % r + _inline(f"AX{r}", "x") + b"</row>" for r in range(5, 1505))
    return rewrite(good, change={ENTRY_PART: lambda xml: _with_rows(xml, body)})


STRICT = {
    b"http://schemas.openxmlformats.org/spreadsheetml/2006/main": b"http://purl.oclc.org/ooxml/spreadsheetml/main",
    b"http://schemas.openxmlformats.org/officeDocument/2006/relationships":
        b"http://purl.oclc.org/ooxml/officeDocument/relationships",
}


def strict_with_formula(good: bytes) -> bytes:
    """The workbook in strict Office Open XML, with a formula in a title cell."""

    def strict(xml: bytes) -> bytes:
        for old, new in STRICT.items():
            xml = xml.replace(old, new)
        return xml

    def sheet(xml: bytes) -> bytes:
        xml = re.sub(rb'<c r="B2"[^>]*?(/>|>.*?</c>)', b'<c r="B2" t="str"><f>"Verkehrs"&amp;"z\xc3\xa4hlung"</f>'
                     b"<v>Verkehrsz\xc3\xa4hlung</v></c>", xml, count=1, flags=re.S)
        return strict(xml)

    with zipfile.ZipFile(io.BytesIO(good)) as z:
        names = [n for n in z.namelist() if n.endswith((".xml", ".rels"))]
    return rewrite(good, change={name: (sheet if name == ENTRY_PART else strict) for name in names})


def part_twice(good: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(good)) as z:
        sheet = z.read(ENTRY_PART)
    return rewrite(good, add=[(ENTRY_PART, far_cell_xml(sheet))])


def part_in_other_case(good: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(good)) as z:
        sheet = z.read(ENTRY_PART)
    return rewrite(good, add=[(ENTRY_PART.replace("sheet2", "Sheet2"), far_cell_xml(sheet))])


def far_cell_xml(xml: bytes) -> bytes:
    return _with_rows(xml, b'<row r="1048576">' + _inline("XFD1048576", "x") + b"</row>")


def hidden_data_sheet(good: bytes) -> bytes:
    return rewrite(good, change={"xl/workbook.xml": lambda xml: xml.replace(
        'name="Datenbestände" sheetId="2" state="visible"'.encode(), 'name="Datenbestände" sheetId="2" state="hidden"'.encode())})


def header_on_row_11(good: bytes) -> bytes:
    """Ten rows inserted above the header (every row and cell reference moved down by ten)."""

    def shift(xml: bytes) -> bytes:
        xml = re.sub(rb'<row r="(\d+)"', lambda m: b'<row r="%d"' % (int(m[1]) + 10), xml)
        xml = re.sub(rb'<c r="([A-Z]+)(\d+)"', lambda m: b'<c r="%s%d"' % (m[1], int(m[2]) + 10), xml)
        return xml.replace(b"<sheetData>", b"<sheetData>" + b"".join(
            b'<row r="%d">' % r + _inline(f"A{r}", f"Vorspann {r}") + b"</row>" for r in range(1, 11)))

    return rewrite(good, change={ENTRY_PART: shift})


def escaped_values(good: bytes) -> bytes:
    """Control characters as Excel writes them in strings (``_x001B_``), decoded by the reader: NUL, ESC."""
    text = "Baumkataster_x0000_ mit _x001B_[31mFarbe_x001B_[0m und _x0007_Glocke"
    return rewrite(good, change={ENTRY_PART: lambda xml: re.sub(
        rb'<c r="B2"[^>]*?(/>|>.*?</c>)', _inline("B2", text), xml, count=1, flags=re.S)})
