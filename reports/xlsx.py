"""The campaign report as an xlsx workbook: the figures of the HTML page, one sheet per figure, for
people who want to filter and forward them.

Each sheet has a bold, frozen header row and an autofilter over its table; numbers are numbers
(shares formatted as percentages), and every text is a string cell, never a formula, whatever it
starts with (titles and names come from departments: ``=HYPERLINK(...)`` stays text).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

from catalog.hvd import REQUIREMENTS, HvdFigures, category_label
from catalog.localtime import to_local
from catalog.report import PUBLISHABLE_CATEGORIES, ReportFigures

PERCENT = "0%"
DATE_TIME = "DD.MM.YYYY HH:MM"


@dataclass(frozen=True)
class Share:
    """A value shown as a percentage."""

    value: float


@dataclass(frozen=True)
class Sheet:
    """One figure as a table: the sheet name, the German headings and the rows."""

    name: str
    headings: Sequence[str]
    rows: Sequence[Sequence[Any]]
    widths: Sequence[int] = ()


def _local(value: dt.datetime) -> dt.datetime:
    """A time stamp as Excel takes it: the cities' local time, without a time zone."""
    return to_local(value).replace(tzinfo=None)


def _sheets(f: ReportFigures) -> list[Sheet]:
    names = f.city_names
    q = f.quality
    p = f.publication
    share = p.share
    overview = [
        ("Bericht", f.scope_name),
        ("Kampagne", f.campaign or "–"),
        ("Stand", _local(f.generated_at)),
        ("Dienststellen angeschrieben", f.sent),
        ("Dienststellen mit Antwort", f.returned),
        ("Rücklaufquote", Share(f.response_rate)),
        ("Einträge", f.entries),
        ("veröffentlichungsfähig", p.publishable),
        ("Anteil veröffentlichungsfähig", Share(share)),
        ("Einträge mit Qualitätsbewertung", q.scored),
        ("mittlere Qualitätspunkte (von 405)", round(q.mean, 1) if q.mean is not None else "–"),
        ("offene Fehler", f.open_errors),
    ]
    return [
        Sheet("Übersicht", ["Kennzahl", "Wert"], overview, (40, 40)),
        Sheet("Rücklauf je Stadt", ["Stadt", "angeschrieben", "geantwortet", "Rücklaufquote"],
              [(r.name, r.sent, r.returned, Share(r.response_rate)) for r in f.responses], (20, 14, 14, 14)),
        Sheet("Rücklauf je Dienststelle",
              ["Stadt", "Dienststelle", "Name", "Stand", "versandt", "zurück", "abgelehnt", "Einträge", "offene Fehler",
               "Kampagnen erhalten", "Kampagnen beantwortet", "Rücklaufquote"],
              [(names.get(d.city, d.city), d.department, d.name, d.state, d.sent, d.returned, d.rejected, d.entries,
                d.open_errors, d.campaigns_sent, d.campaigns_answered,
                Share(d.response_rate) if d.response_rate is not None else "–") for d in f.departments],
              (14, 12, 44, 20, 10, 10, 10, 10, 12, 12, 12, 12)),
        Sheet("Einträge je Thema", ["Thema", "Einträge"], [(t.label, t.count) for t in f.themes], (50, 12)),
        Sheet("Veröffentlichung", ["Kategorie", "veröffentlichungsfähig", "Einträge", "Anteil"],
              [(c.label, "ja" if c.key in PUBLISHABLE_CATEGORIES else "nein", c.count,
                Share(c.count / p.entries if p.entries else 0.0)) for c in p.categories], (48, 14, 12, 12)),
        Sheet("Hinderungsgründe", ["Grund", "Einträge"], [(r.label, r.count) for r in p.reasons], (48, 12)),
        Sheet("Qualität Verteilung", ["Punkte von", "Punkte bis", "Bewertung", "Einträge"],
              [(b.low, b.high, b.band_label, b.count) for b in q.bins], (12, 12, 16, 12)),
        Sheet("Schwächste Indikatoren", ["Stadt", "Indikator", "Dimension", "Punkte", "fehlt bei", "bewertet am"],
              [(names.get(w.city, w.city), w.label, w.dimension, w.points, Share(w.missed_share),
                _local(w.assessed_at) if w.assessed_at else "") for w in q.weakest],
              (14, 40, 22, 10, 12, 18)),
        Sheet("Befunde", ["Code", "Bedeutung", "Schweregrad", "Anzahl"],
              [(x.code, x.label, x.severity_label, x.count) for x in f.findings], (30, 48, 14, 10)),
        Sheet("Städtevergleich",
              ["Datenart", "Thema", "Datenbestand (Beispieltitel)",
               *[f"{names[c]}: Einträge" for c in names], *[f"{names[c]}: Stand" for c in names], "fehlt in"],
              [(k.data_kind_label, k.theme_label, k.title, *[k.presence[c].entries for c in names],
                *[k.presence[c].status for c in names], ", ".join(names[c] for c in k.missing_in)) for k in f.kinds],
              (24, 30, 44, *[12 for _ in names], *[12 for _ in names], 26)),
        Sheet("Entwicklung",
              ["Kampagne", "Beginn", "heutiger Stand", "angeschrieben", "geantwortet", "Rücklaufquote", "Einträge",
               "veröffentlichungsfähig", "Anteil veröffentlichungsfähig"],
              [(t.campaign, _local(t.started_at) if t.started_at else "", "ja" if t.current else "nein",
                t.sent, t.returned, Share(t.response_rate), t.entries, t.publishable, Share(t.publishable_share))
               for t in f.trend], (18, 18, 14, 14, 14, 14, 12, 20, 20)),
    ]


def hvd_sheets(hvd: HvdFigures, city_names: Mapping[str, str],
               shapes: Mapping[str, Sequence[str]] | None = None) -> list[Sheet]:
    """The High-Value Datasets as two sheets: per category, and every HVD entry with what it lacks (and,
    with ``shapes``, the violations the DCAT-AP HVD shapes found in its export)."""
    requirements = list(REQUIREMENTS)
    checked = ["Prüfung DCAT-AP HVD"] if shapes is not None else []
    return [
        Sheet("HVD je Kategorie", ["Kategorie", "Einträge", "bereit", "nicht bereit",
                                   *[f"fehlt: {REQUIREMENTS[r][0]}" for r in requirements]],
              [(c.label, c.entries, c.ready, c.not_ready,
                *[dict((k, n) for k, _label, n in c.lacking).get(r, 0) for r in requirements]) for c in hvd.categories],
              (34, 10, 10, 12, *[18 for _ in requirements])),
        Sheet("HVD-Datensätze", ["Kennung", "Stadt", "Dienststelle", "Titel", "Kategorie", "Prüfstatus", "bereit",
                                 *[REQUIREMENTS[r][0] for r in requirements], "was fehlt", *checked],
              [(e.identifier, city_names.get(e.city, e.city), e.department, e.title, category_label(e.category),
                e.state, e.ready, *[r not in e.lacking for r in requirements],
                "\n".join(x.message for x in e.findings),
                *([("\n".join(shapes.get(e.identifier, [])) or "ohne Verstoß")] if shapes is not None else []))
               for e in hvd.entries],
              (16, 12, 12, 40, 26, 14, 8, *[14 for _ in requirements], 80, *[60 for _ in checked])),
    ]


def build_workbook(figures: ReportFigures) -> bytes:
    """The workbook of ``figures`` as xlsx bytes."""
    sheets = _sheets(figures)
    if figures.hvd is not None:
        sheets += hvd_sheets(figures.hvd, figures.city_names)
    return sheets_workbook(sheets)


def sheets_workbook(sheets: Sequence[Sheet]) -> bytes:
    """A workbook of ``sheets`` as xlsx bytes (bold frozen header, filter, widths, text never a formula)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    from catalog.sheets import write_text

    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDE3EA")
    for sheet in sheets:
        ws = workbook.create_sheet(sheet.name)
        for column, heading in enumerate(sheet.headings, start=1):
            cell = ws.cell(row=1, column=column)
            write_text(cell, heading)
            cell.font, cell.fill = bold, fill
        for r, values in enumerate(sheet.rows, start=2):
            for column, value in enumerate(values, start=1):
                cell = ws.cell(row=r, column=column)
                if isinstance(value, Share):
                    cell.value = round(value.value, 4)
                    cell.number_format = PERCENT
                elif isinstance(value, bool):
                    write_text(cell, "ja" if value else "nein")
                elif isinstance(value, (int, float)):
                    cell.value = value
                elif isinstance(value, dt.datetime):
                    cell.value = value
                    cell.number_format = DATE_TIME
                else:
                    write_text(cell, "" if value is None else str(value))
        last = get_column_letter(len(sheet.headings))
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = f"A1:{last}{max(1, len(sheet.rows)) + 1}"
        for column, width in enumerate(sheet.widths, start=1):
            ws.column_dimensions[get_column_letter(column)].width = width
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_workbook(figures: ReportFigures, path: Path) -> Path:
    """Write the workbook of ``figures`` to ``path`` (its folder is created); returns ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(build_workbook(figures))
    return path


SHEET_NAMES: tuple[str, ...] = (
    "Übersicht", "Rücklauf je Stadt", "Rücklauf je Dienststelle", "Einträge je Thema", "Veröffentlichung",
    "Hinderungsgründe", "Qualität Verteilung", "Schwächste Indikatoren", "Befunde", "Städtevergleich",
    "Entwicklung", "HVD je Kategorie", "HVD-Datensätze",
)
"""The sheets of the workbook, in order."""
