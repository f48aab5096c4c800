"""The campaign report in a few lines of Markdown: the key figures of each page and where the files are.

For places that show Markdown (the Prefect UI's artifacts, a merge request, a chat message): the
teams see at a glance whether a page is worth opening.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from catalog.report import ReportFigures
from reports.html import decimal, local_time, number, percent


def _cell(text: str) -> str:
    """Text that cannot break a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_summary(
    figures: Sequence[ReportFigures],
    *,
    pages: Mapping[str | None, Path] | None = None,
    workbooks: Mapping[str | None, Path] | None = None,
) -> str:
    """A Markdown table of the key figures of each report (one row per city or for the three together)
    and the paths of the written page and workbook of each."""
    if not figures:
        return "# Bericht zur Bestandsaufnahme\n\nKeine Berichte geschrieben."
    first = figures[0]
    lines = [
        "# Bericht zur Bestandsaufnahme",
        "",
        f"Stand {local_time(first.generated_at)}" + (f", Kampagne {first.campaign}" if first.campaign else "") + ".",
        "",
        "| Bericht | Rücklauf | Einträge | veröffentlichungsfähig | mittlere Qualität | offene Fehler |",
        "|---|---|---|---|---|---|",
    ]
    for f in figures:
        quality = decimal(f.quality.mean) if f.quality.mean is not None else "–"
        lines.append(
            f"| {_cell(f.scope_name)} | {f.returned} von {f.sent} ({percent(f.response_rate)}) | {number(f.entries)} | "
            f"{number(f.publication.publishable)} ({percent(f.publication.share)}) | {quality} | {number(f.open_errors)} |"
        )
    files = [(f.scope_name, (pages or {}).get(f.city), (workbooks or {}).get(f.city)) for f in figures]
    if any(page or book for _name, page, book in files):
        lines += ["", "| Bericht | Seite (HTML) | Arbeitsmappe (xlsx) |", "|---|---|---|"]
        for name, page, book in files:
            lines.append(f"| {_cell(name)} | `{page or ''}` | `{book or ''}` |")
    return "\n".join(lines)
