"""The campaign report as one self-contained HTML page: German text, charts drawn as inline SVG.

The page needs nothing but itself to be viewed: no script, no web font, no image or style sheet from
elsewhere, and a Content-Security-Policy that forbids loading any (links to the sibling pages stay
plain links). Charts are SVG elements generated here, so they show in any browser, print, and can be
forwarded as one file. Every bar carries its key and value as ``data-*`` attributes and every chart
has its numbers as a table beside it, for screen readers and for checks.

The figures come from :mod:`catalog.report`; this module only renders them.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from catalog.hvd import category_label, requirement_labels
from catalog.localtime import local_text, to_local
from catalog.report import (
    MISSING,
    PRESENT,
    PUBLISHABLE_CATEGORIES,
    SIMILAR,
    DepartmentResponse,
    KindPresence,
    ReportFigures,
)

MAX_KIND_ROWS = 300
"""Rows of the cross-city table shown on the page; the workbook has all of them."""

# colours (readable on white, distinguishable in grey print)
BLUE = "#1f6fb2"
GREEN = "#2e7d32"
LIGHT_GREEN = "#81c784"
PALE_GREEN = "#c8e6c9"
ORANGE = "#ef6c00"
RED = "#c62828"
YELLOW = "#f9a825"
BROWN = "#8d6e63"
GREY = "#9e9e9e"
LIGHT_GREY = "#e0e0e0"
TRACK = "#f1f3f5"

STATE_COLOURS: dict[str, str] = {
    "zurück": GREEN,
    "zurück mit Fehlern": ORANGE,
    "versandt": GREY,
    "nicht versandt": LIGHT_GREY,
}
CATEGORY_COLOURS: dict[str, str] = {
    "published": GREEN,
    "approved": LIGHT_GREEN,
    "pending": PALE_GREEN,
    "waiting": YELLOW,
    "rejected": BROWN,
    "blocked": RED,
}
BAND_COLOURS: dict[str, str] = {"bad": RED, "sufficient": YELLOW, "good": LIGHT_GREEN, "excellent": GREEN}
SEVERITY_COLOURS: dict[str, str] = {"error": RED, "warning": YELLOW, "info": BLUE}
PRESENCE_CLASSES: dict[str, str] = {PRESENT: "present", SIMILAR: "similar", MISSING: "missing"}

_FONT = "12px system-ui, 'Segoe UI', 'DejaVu Sans', Arial, sans-serif"
_CHAR_WIDTH = 7.0  # average width of a character of the chart font, for cutting long labels


# --------------------------------------------------------------------------- formatting


def _e(text: object) -> str:
    """Text escaped for HTML element content and quoted attributes."""
    return html.escape(str(text), quote=True)


def number(value: int | float) -> str:
    """A whole number the German way: ``12.345``."""
    return f"{round(value):,}".replace(",", ".")


def decimal(value: float, digits: int = 1) -> str:
    """A decimal number the German way: ``12,5``."""
    return f"{value:,.{digits}f}".replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")


def percent(share: float) -> str:
    """A share as a German percentage: ``83 %`` (with a narrow no-break space)."""
    return f"{share * 100:.0f}\u202f%"


def local_time(value: dt.datetime) -> str:
    """A time stamp in the cities' time, the German way: ``26.11.2026, 16:47 Uhr``."""
    return local_text(value)


_SUFFIX = re.compile(r"^(?P<head>.+) (?P<tail>\([^()]{1,32}\))$")


def _raw(value: float) -> str:
    """A number for a ``data-value`` attribute: whole numbers in full, shares to six digits."""
    return str(int(value)) if float(value).is_integer() else f"{value:.6g}"


def _cut(text: str, width: float) -> str:
    """``text`` cut to about ``width`` pixels; a trailing ``(code)`` is kept whole when there is room."""
    limit = max(4, int(width / _CHAR_WIDTH))
    if len(text) <= limit:
        return text
    match = _SUFFIX.match(text)
    if match and limit - len(match["tail"]) - 1 >= 10:
        head = match["head"][: limit - len(match["tail"]) - 2].rstrip()
        return f"{head}… {match['tail']}"
    return text[: limit - 1].rstrip() + "…"


# --------------------------------------------------------------------------- charts


@dataclass(frozen=True)
class Bar:
    """One bar: its key and label, its value, the value as shown, its colour and a longer tooltip."""

    key: str
    label: str
    value: float
    text: str
    colour: str = BLUE
    note: str = ""


def bar_chart(
    bars: Sequence[Bar], *, figure: str, title: str, max_value: float | None = None, width: int = 880,
    label_width: int = 320, value_width: int = 170,
) -> str:
    """Horizontal bars with their labels left and values right; ``max_value`` fixes the scale (a
    track shows the full length, e.g. 100 % for rates)."""
    if not bars:
        return '<p class="empty">Keine Daten.</p>'
    row, gap = 20, 6
    top = max_value if max_value is not None else max((b.value for b in bars), default=0) or 1
    plot = width - label_width - value_width - 16
    height = len(bars) * (row + gap) + gap
    out = [_svg_open(figure, title, width, height)]
    for index, bar in enumerate(bars):
        y = gap + index * (row + gap)
        length = max(0.0, min(1.0, bar.value / top)) * plot if top else 0.0
        tip = f"{bar.label}: {bar.text}" + (f" – {bar.note}" if bar.note else "")
        out.append(f'<g class="row"><title>{_e(tip)}</title>')
        out.append(f'<text x="{label_width - 8}" y="{y + row * 0.7:.1f}" text-anchor="end">'
                   f'{_e(_cut(bar.label, label_width - 12))}</text>')
        if max_value is not None:
            out.append(f'<rect class="track" x="{label_width}" y="{y}" width="{plot}" height="{row}" fill="{TRACK}"/>')
        out.append(f'<rect class="bar" data-key="{_e(bar.key)}" data-value="{_raw(bar.value)}" x="{label_width}" '
                   f'y="{y}" width="{length:.1f}" height="{row}" fill="{bar.colour}"/>')
        out.append(f'<text class="value" x="{label_width + plot + 8}" y="{y + row * 0.7:.1f}">{_e(bar.text)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)


def column_chart(
    bars: Sequence[Bar], *, figure: str, title: str, max_value: float | None = None, width: int = 420,
    height: int = 230, axis: str = "",
) -> str:
    """Vertical bars with their labels below and values on top; a light grid at half and full scale."""
    if not bars:
        return '<p class="empty">Keine Daten.</p>'
    left, right, top_pad, bottom = 44, 10, 22, 40
    top = max_value if max_value is not None else _nice(max((b.value for b in bars), default=0))
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    slot = plot_w / len(bars)
    bar_w = min(64.0, slot * 0.7)
    out = [_svg_open(figure, title, width, height)]
    for fraction in (0.0, 0.5, 1.0):
        y = top_pad + plot_h * (1 - fraction)
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{LIGHT_GREY}"/>')
        out.append(f'<text class="axis" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
                   f'{_e(_axis_label(top * fraction, axis))}</text>')
    for index, bar in enumerate(bars):
        x = left + index * slot + (slot - bar_w) / 2
        length = max(0.0, min(1.0, bar.value / top)) * plot_h if top else 0.0
        y = top_pad + plot_h - length
        tip = f"{bar.label}: {bar.text}" + (f" – {bar.note}" if bar.note else "")
        out.append(f'<g class="column"><title>{_e(tip)}</title>')
        out.append(f'<rect class="bar" data-key="{_e(bar.key)}" data-value="{_raw(bar.value)}" x="{x:.1f}" y="{y:.1f}" '
                   f'width="{bar_w:.1f}" height="{length:.1f}" fill="{bar.colour}"/>')
        out.append(f'<text class="value" x="{x + bar_w / 2:.1f}" y="{y - 5:.1f}" text-anchor="middle">{_e(bar.text)}</text>')
        out.append(f'<text x="{x + bar_w / 2:.1f}" y="{top_pad + plot_h + 16:.1f}" text-anchor="middle">'
                   f'{_e(_cut(bar.label, slot))}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)


def stacked_bar(parts: Sequence[Bar], *, figure: str, title: str, width: int = 880) -> str:
    """One bar split into parts (adding up to the whole), with a legend below."""
    total = sum(p.value for p in parts)
    if not total:
        return '<p class="empty">Keine Daten.</p>'
    bar_h, legend_row = 34, 22
    height = bar_h + 16 + legend_row * len(parts)
    out = [_svg_open(figure, title, width, height)]
    x = 0.0
    for part in parts:
        length = part.value / total * width
        out.append(f'<g class="segment"><title>{_e(part.label)}: {_e(part.text)}</title>'
                   f'<rect class="bar" data-key="{_e(part.key)}" data-value="{_raw(part.value)}" x="{x:.1f}" y="0" '
                   f'width="{length:.1f}" height="{bar_h}" fill="{part.colour}"/></g>')
        x += length
    for index, part in enumerate(parts):
        y = bar_h + 16 + index * legend_row
        out.append(f'<rect class="swatch" x="0" y="{y}" width="14" height="14" fill="{part.colour}"/>'
                   f'<text x="22" y="{y + 11}">{_e(part.label)}: {_e(part.text)}</text>')
    out.append("</svg>")
    return "".join(out)


def _svg_open(figure: str, title: str, width: int, height: int) -> str:
    return (f'<svg class="chart" data-figure="{_e(figure)}" role="img" aria-label="{_e(title)}" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}" style="font: {_FONT}">')


def _nice(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten not below ``value`` (1 for nothing): an axis
    whose half and full marks are round numbers."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= value)


def _axis_label(value: float, axis: str) -> str:
    if axis == "percent":
        return percent(value)
    return number(value) if float(value).is_integer() else decimal(value)


# --------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class Column:
    """A table column: its key (``data-col``), German heading, and whether it holds numbers."""

    key: str
    heading: str
    numeric: bool = False


Cell = tuple[str, float | int | None]  # (text shown, raw value or None for text cells)


def table(figure: str, columns: Sequence[Column], rows: Iterable[tuple[str, Sequence[Cell]]], *,
          caption: str = "", row_classes: Mapping[str, str] | None = None) -> str:
    """A table of a figure's numbers: ``data-figure`` on the table, ``data-key`` on each row,
    ``data-col`` on each cell and ``data-value`` (the unformatted number) on numeric cells."""
    out = [f'<table class="numbers" data-figure="{_e(figure)}">']
    if caption:
        out.append(f"<caption>{_e(caption)}</caption>")
    out.append("<thead><tr>" + "".join(
        f'<th scope="col"{" class=num" if c.numeric else ""}>{_e(c.heading)}</th>' for c in columns) + "</tr></thead><tbody>")
    for key, cells in rows:
        css = (row_classes or {}).get(key)
        out.append(f'<tr data-key="{_e(key)}"' + (f' class="{_e(css)}"' if css else "") + ">")
        for column, (text, value) in zip(columns, cells, strict=True):
            raw = f' data-value="{_raw(value)}"' if value is not None else ""
            css_cell = ' class="num"' if column.numeric else ""
            out.append(f'<td data-col="{column.key}"{raw}{css_cell}>{_e(text)}</td>')
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _numbers(inner: str) -> str:
    return f'<details class="numbers"><summary>Zahlen als Tabelle</summary>{inner}</details>'


def _n(value: int) -> Cell:
    return number(value), value


def _p(share: float) -> Cell:
    return percent(share), round(share, 4)


def _t(text: str) -> Cell:
    return text, None


# --------------------------------------------------------------------------- sections


def _rate_text(dept: DepartmentResponse) -> str:
    if not dept.campaigns_sent:
        return "nie angeschrieben"
    text = f"{dept.campaigns_answered} von {dept.campaigns_sent} ({percent(dept.response_rate or 0.0)})"
    return text if dept.state == "zurück" else f"{text} · {dept.state}"


def _responses(f: ReportFigures) -> str:
    campaign = f"Kampagne {f.campaign}" if f.campaign else "alle Kampagnen"
    out = ['<section id="ruecklauf"><h2>Rücklauf je Dienststelle</h2>']
    out.append(f'<p class="lead">Farbe: Stand in der {_e(campaign)}. Länge: Anteil der Kampagnen, in denen die '
               "Dienststelle den Fragebogen erhalten und beantwortet hat (eine abgelehnte Datei zählt als Antwort).</p>")
    out.append(_legend([(state, colour) for state, colour in STATE_COLOURS.items()]))
    if f.city is None:
        bars = [Bar(r.city, r.name, r.response_rate, f"{r.returned} von {r.sent} ({percent(r.response_rate)})", BLUE)
                for r in f.responses]
        out.append(f"<h3>Rücklaufquote je Stadt ({_e(campaign)})</h3>")
        out.append(bar_chart(bars, figure="city-response", title="Rücklaufquote je Stadt", max_value=1.0))
    for city in f.cities:
        mine = [d for d in f.departments if d.city == city]
        if f.city is None:
            out.append(f"<h3>{_e(f.city_names.get(city, city))}</h3>")
        bars = [Bar(f"{d.city}/{d.department}", f"{d.name} ({d.department})", d.response_rate or 0.0, _rate_text(d),
                    STATE_COLOURS.get(d.state, GREY), d.state) for d in mine]
        out.append(bar_chart(bars, figure="department-response", max_value=1.0, label_width=320, value_width=230,
                             title=f"Rücklauf je Dienststelle {f.city_names.get(city, city)}"))
    columns = [Column("city", "Stadt"), Column("department", "Dienststelle"), Column("name", "Name"),
               Column("state", "Stand"), Column("sent", "versandt", True), Column("returned", "zurück", True),
               Column("rejected", "abgelehnt", True), Column("entries", "Einträge", True),
               Column("open_errors", "offene Fehler", True), Column("campaigns_sent", "Kampagnen erhalten", True),
               Column("campaigns_answered", "Kampagnen beantwortet", True), Column("rate", "Rücklaufquote", True)]
    rows = [(f"{d.city}/{d.department}", [
        _t(f.city_names.get(d.city, d.city)), _t(d.department), _t(d.name), _t(d.state), _n(d.sent), _n(d.returned),
        _n(d.rejected), _n(d.entries), _n(d.open_errors), _n(d.campaigns_sent), _n(d.campaigns_answered),
        _p(d.response_rate) if d.response_rate is not None else _t("–"),
    ]) for d in f.departments]
    out.append(_numbers(table("departments", columns, rows, caption=f"Stand in der {campaign}")))
    out.append("</section>")
    return "".join(out)


def _code(value: str) -> str:
    """A vocabulary value as a short key (``ENVI`` of the theme's URI): the page refers to no address."""
    return value.rstrip("/").rsplit("/", 1)[-1] if value else "-"


def _themes(f: ReportFigures) -> str:
    bars = [Bar(_code(t.key), t.label, t.count, number(t.count), BLUE if t.key else GREY) for t in f.themes]
    out = ['<section id="themen"><h2>Einträge je Thema</h2>',
           '<p class="lead">Aktuelle Einträge nach EU-Datenthema; ein Eintrag mit zwei Themen zählt bei beiden.</p>',
           bar_chart(bars, figure="themes", title="Einträge je Thema"),
           _numbers(table("themes", [Column("theme", "Thema"), Column("entries", "Einträge", True)],
                          [(_code(t.key), [_t(t.label), _n(t.count)]) for t in f.themes])),
           "</section>"]
    return "".join(out)


def _publication(f: ReportFigures) -> str:
    p = f.publication
    parts = [Bar(c.key, c.label, c.count, f"{number(c.count)} ({percent(c.count / p.entries if p.entries else 0)})",
                 CATEGORY_COLOURS.get(c.key, GREY)) for c in p.categories]
    reasons = [Bar(r.key, r.label, r.count, number(r.count),
                   {"review-rejected": BROWN, "no-access-url": YELLOW}.get(r.key, RED)) for r in p.reasons]
    out = ['<section id="veroeffentlichung"><h2>Veröffentlichung: möglich oder nicht, und warum</h2>',
           f'<p class="lead">{number(p.publishable)} von {number(p.entries)} Einträgen ({percent(p.share)}) können '
           "veröffentlicht werden: keine feste Regel der Veröffentlichung schließt sie aus (personenbezogene Daten, "
           "kein öffentlicher Zugang, keine offene Lizenz, fehlende Namensnennung, ungeklärte Rechte Dritter, offene "
           "Fehler), die Prüfung hat sie nicht abgelehnt, und sie haben eine Zugangs-URL, auf die das Portal "
           "verweisen kann; ohne sie warten sie auf die URL. Freigegeben und veröffentlicht wird erst nach der "
           "Prüfung durch das Open-Data-Team.</p>",
           stacked_bar(parts, figure="publication", title="Veröffentlichungsfähig oder nicht"),
           "<h3>Warum nicht veröffentlichungsfähig</h3>",
           '<p class="lead">Einträge je Grund; ein Eintrag kann mehrere Gründe haben.</p>',
           bar_chart(reasons, figure="reasons", title="Gründe gegen eine Veröffentlichung"),
           _numbers(
               table("publication", [Column("category", "Kategorie"), Column("entries", "Einträge", True),
                                     Column("share", "Anteil", True), Column("publishable", "veröffentlichungsfähig")],
                     [(c.key, [_t(c.label), _n(c.count), _p(c.count / p.entries if p.entries else 0.0),
                               _t("ja" if c.key in PUBLISHABLE_CATEGORIES else "nein")]) for c in p.categories])
               + table("reasons", [Column("reason", "Grund"), Column("entries", "Einträge", True)],
                       [(r.key, [_t(r.label), _n(r.count)]) for r in p.reasons])),
           "</section>"]
    return "".join(out)


def _quality(f: ReportFigures) -> str:
    q = f.quality
    out = ['<section id="qualitaet"><h2>Qualität der Beschreibungen (MQA-Punkte)</h2>']
    if q.scored:
        out.append(f'<p class="lead">{number(q.scored)} Einträge bewertet, im Mittel {decimal(q.mean or 0.0)} von 405 '
                   "Punkten (Bewertungsschema von data.europa.eu)"
                   + (f"; {number(q.unscored)} noch nicht bewertet" if q.unscored else "") + ".</p>")
    else:
        out.append('<p class="lead">Noch keine Qualitätsbewertung gespeichert (<code>inventur quality</code>).</p>')
    out.append(_legend([(b.label, BAND_COLOURS[b.key]) for b in q.bands]))
    bins = [Bar(b.label, b.label, b.count, number(b.count), BAND_COLOURS[b.band], b.band_label) for b in q.bins]
    if q.unscored:
        bins.append(Bar("unscored", "ohne", q.unscored, number(q.unscored), GREY, "noch nicht bewertet"))
    out.append("<h3>Verteilung der Punkte</h3>")
    out.append(column_chart(bins, figure="quality-bins", title="Verteilung der Qualitätspunkte", width=880,
                            height=240))
    if q.unscored:
        out.append('<p class="note">„ohne“: noch nicht bewertet.</p>')
    out.append("<h3>Schwächste Indikatoren</h3>")
    if q.weakest:
        bars = [Bar(f"{w.city}/{w.indicator}",
                    (f"{f.city_names.get(w.city, w.city)}: " if f.city is None else "") + w.label, w.missed_share,
                    f"fehlt bei {percent(w.missed_share)} ({w.points} Punkte)", RED, w.dimension) for w in q.weakest]
        out.append(bar_chart(bars, figure="weakest", title="Schwächste Indikatoren", max_value=1.0))
        out.append('<p class="note">Anteil der Einträge, denen der Indikator fehlt (aus der letzten '
                   "Qualitätsbewertung der Stadt), mit den Punkten, die er bringt.</p>")
    else:
        out.append('<p class="empty">Keine Qualitätsbewertung gespeichert.</p>')
    band_rows = [(b.key, [_t(b.label), _n(b.count)]) for b in q.bands]
    weak_rows = [(f"{w.city}/{w.indicator}", [
        _t(f.city_names.get(w.city, w.city)), _t(w.label), _t(w.dimension), _n(w.points), _p(w.missed_share),
        _t(local_time(w.assessed_at) if w.assessed_at else ""),
    ]) for w in q.weakest]
    out.append(_numbers(
        table("quality-bins", [Column("range", "Punkte"), Column("band", "Bewertung"), Column("entries", "Einträge", True)],
              [(b.label, [_t(b.label), _t(b.band_label), _n(b.count)]) for b in q.bins])
        + table("quality-bands", [Column("band", "Bewertung"), Column("entries", "Einträge", True)], band_rows)
        + table("weakest", [Column("city", "Stadt"), Column("indicator", "Indikator"), Column("dimension", "Dimension"),
                            Column("points", "Punkte", True), Column("missed", "fehlt bei", True),
                            Column("assessed", "bewertet am")], weak_rows)))
    out.append("</section>")
    return "".join(out)


def _findings(f: ReportFigures) -> str:
    out = ['<section id="befunde"><h2>Offene Befunde nach Code</h2>',
           '<p class="lead">Fehler verhindern die Freigabe, Warnungen nicht; Hinweise halten automatische Korrekturen '
           "und Ähnlichkeiten fest. Jeder Schweregrad hat seinen eigenen Maßstab.</p>"]
    if not f.findings:
        out.append('<p class="empty">Keine offenen Befunde.</p>')
    for severity, heading in (("error", "Fehler"), ("warning", "Warnungen"), ("info", "Hinweise")):
        mine = [x for x in f.findings if x.severity == severity]
        if not mine:
            continue
        bars = [Bar(f"{x.code}/{x.severity}", x.label if x.label == x.code else f"{x.label} ({x.code})", x.count,
                    number(x.count), SEVERITY_COLOURS.get(x.severity, GREY), x.severity_label) for x in mine]
        out.append(f"<h3>{heading} ({number(sum(x.count for x in mine))})</h3>")
        out.append(bar_chart(bars, figure="findings", title=f"Offene Befunde: {heading}", label_width=380,
                             value_width=110))
    out += [_numbers(table("findings", [Column("code", "Code"), Column("label", "Bedeutung"),
                                       Column("severity", "Schweregrad"), Column("count", "Anzahl", True)],
                          [(f"{x.code}/{x.severity}", [_t(x.code), _t(x.label), _t(x.severity_label), _n(x.count)])
                           for x in f.findings])),
           "</section>"]
    return "".join(out)


MAX_HVD_ROWS = 300
"""Rows of the table of HVD entries that are not ready shown on the page; the workbook has all of them."""


def _hvd(f: ReportFigures) -> str:
    h = f.hvd
    out = ['<section id="hvd"><h2>Hochwertige Datensätze (HVD): bereit oder nicht, und warum</h2>',
           '<p class="lead">Für Daten der sechs Kategorien der Durchführungsverordnung (EU) 2023/138 gilt: offen unter '
           "CC BY 4.0 oder freier, maschinenlesbar, als Ganzes herunterladbar, über eine Schnittstelle (API) abrufbar, "
           "mit vollständigen HVD-Metadaten und einer Kontaktstelle. Aus diesen Angaben erstellt data.europa.eu die "
           "Berichte der Mitgliedstaaten. Je Kategorie: wie viele Einträge alles erfüllen und was den anderen fehlt "
           "(die Dienststellen finden dieselben Hinweise in ihrer Rückmeldung, <code>inventur hvd</code> listet sie).</p>"]
    if h is None or not h.total:
        out.append('<p class="empty">Keine Einträge mit einer High-Value-Kategorie.</p></section>')
        return "".join(out)
    share = h.ready / h.total
    out.append(f'<p class="summary" data-ready="{h.ready}" data-total="{h.total}">{number(h.ready)} von '
               f"{number(h.total)} hochwertigen Datensätzen ({percent(share)}) erfüllen alle Anforderungen.</p>")
    used = [c for c in h.categories if c.entries]
    bars = [Bar(c.category, c.label, c.ready / c.entries, f"{number(c.ready)} von {number(c.entries)} bereit",
                GREEN if c.ready == c.entries else ORANGE) for c in used]
    out.append(bar_chart(bars, figure="hvd-ready", title="Bereite HVD-Einträge je Kategorie", max_value=1.0))
    out.append("<h3>Was fehlt, je Kategorie</h3>")
    out.append(table(
        "hvd-categories",
        [Column("category", "Kategorie"), Column("entries", "Einträge", True), Column("ready", "bereit", True),
         Column("not-ready", "nicht bereit", True), Column("lacking", "es fehlt (Einträge)")],
        [(c.category, [_t(c.label), _n(c.entries), _n(c.ready), _n(c.not_ready),
                       _t("; ".join(f"{label} ({number(n)})" for _key, label, n in c.lacking) or "–")])
         for c in h.categories]))
    missing = h.not_ready
    if missing:
        out.append(f"<h3>Einträge, die noch nicht bereit sind ({number(len(missing))})</h3>")
        shown = missing[:MAX_HVD_ROWS]
        out.append(table(
            "hvd-entries",
            [Column("identifier", "Kennung"), Column("department", "Dienststelle"), Column("title", "Titel"),
             Column("category", "Kategorie"), Column("lacking", "es fehlt")],
            [(e.identifier, [_t(e.identifier), _t(f"{f.city_names.get(e.city, e.city)} {e.department}"),
                             _t(e.title), _t(category_label(e.category)), _t(requirement_labels(e.lacking))])
             for e in shown]))
        if len(missing) > len(shown):
            out.append(f'<p class="note">Die ersten {number(len(shown))}; alle stehen in der Arbeitsmappe.</p>')
    out.append("</section>")
    return "".join(out)


def _presence_cell(kind: KindPresence, city: str) -> Cell:
    p = kind.presence[city]
    if p.status == PRESENT:
        return f"vorhanden ({number(p.entries)})", p.entries
    if p.status == SIMILAR:
        return f"ähnlich ({number(p.similar)})", 0
    return "fehlt", 0


def _kinds(f: ReportFigures) -> str:
    all_cities = list(f.city_names)
    out = ['<section id="staedtevergleich"><h2>Datenbestände, die nur einzelne Städte erfasst haben</h2>',
           '<p class="lead">Arten von Datenbeständen (gleiche Datenart, gleiches Thema des Titels), die mindestens eine '
           "Stadt erfasst hat und mindestens eine andere noch nicht. „ähnlich“: die Stadt hat einen Datenbestand mit "
           "ähnlichem Titel erfasst.</p>"]
    if f.city is not None:
        name = f.city_names.get(f.city, f.city)
        only = sum(1 for k in f.kinds if k.presence[f.city].status == PRESENT)
        missing = sum(1 for k in f.kinds if k.presence[f.city].status == MISSING)
        out.append(f'<p class="summary" data-only="{only}" data-missing="{missing}">{_e(name)} hat '
                   f"{number(only)} Arten erfasst, die in einer anderen Stadt fehlen; {number(missing)} Arten, die "
                   f"andere Städte erfasst haben, fehlen in {_e(name)} noch.</p>")
    shown = list(f.kinds)
    me = f.city
    if me is not None:  # the city's own gaps first, then what it has that others lack
        order = {MISSING: 0, PRESENT: 1, SIMILAR: 2}
        shown.sort(key=lambda k: order[k.presence[me].status])
    columns = [Column("data_kind", "Datenart"), Column("theme", "Thema"), Column("title", "Datenbestand (Beispieltitel)"),
               *[Column(c, f.city_names[c], True) for c in all_cities], Column("missing", "fehlt in")]
    rows = []
    classes: dict[str, str] = {}
    for kind in shown[:MAX_KIND_ROWS]:
        key = f"{kind.data_kind or '-'}/{' '.join(kind.topic)}"
        rows.append((key, [_t(kind.data_kind_label), _t(kind.theme_label), _t(kind.title),
                           *[_presence_cell(kind, c) for c in all_cities],
                           _t(", ".join(f.city_names[c] for c in kind.missing_in))]))
        if f.city is not None:
            classes[key] = PRESENCE_CLASSES[kind.presence[f.city].status]
    if rows:
        out.append(table("kinds", columns, rows, row_classes=classes))
    else:
        out.append('<p class="empty">Alle erfassten Arten von Datenbeständen gibt es in allen drei Städten.</p>')
    if len(shown) > MAX_KIND_ROWS:
        out.append(f'<p class="note">Gezeigt sind {number(MAX_KIND_ROWS)} von {number(len(shown))} Arten; alle stehen in '
                   "der Excel-Datei.</p>")
    out.append("</section>")
    return "".join(out)


def _trend(f: ReportFigures) -> str:
    points = f.trend
    out = ['<section id="entwicklung"><h2>Entwicklung über die Kampagnen</h2>']
    if not points:
        out.append('<p class="empty">Noch keine Kampagne.</p></section>')
        return "".join(out)
    out.append('<p class="lead">Je Kampagne: Dienststellen mit Antwort, Einträge im Inventar und der Anteil '
               "veröffentlichungsfähiger Einträge am Ende der Kampagne (als die nächste begann; die letzte Kampagne "
               "zeigt den heutigen Stand).</p>")
    returned = [Bar(p.campaign, p.campaign, p.returned, f"{p.returned} von {p.sent}", BLUE) for p in points]
    entries = [Bar(p.campaign, p.campaign, p.entries, number(p.entries), BLUE) for p in points]
    share = [Bar(p.campaign, p.campaign, p.publishable_share, percent(p.publishable_share), GREEN) for p in points]
    top = max((p.sent for p in points), default=0) or None
    out.append('<div class="triple">')
    out.append("<div><h3>Dienststellen mit Antwort</h3>"
               + column_chart(returned, figure="trend-returned", title="Dienststellen mit Antwort", width=290,
                              max_value=top) + "</div>")
    out.append("<div><h3>Einträge</h3>" + column_chart(entries, figure="trend-entries", title="Einträge", width=290)
               + "</div>")
    out.append("<div><h3>Anteil veröffentlichungsfähig</h3>"
               + column_chart(share, figure="trend-publishable", title="Anteil veröffentlichungsfähig", width=290,
                              max_value=1.0, axis="percent") + "</div>")
    out.append("</div>")
    columns = [Column("campaign", "Kampagne"), Column("started", "Beginn"), Column("sent", "angeschrieben", True),
               Column("returned", "geantwortet", True), Column("rate", "Rücklaufquote", True),
               Column("entries", "Einträge", True), Column("publishable", "veröffentlichungsfähig", True),
               Column("share", "Anteil veröffentlichungsfähig", True)]
    rows = [(p.campaign, [_t(p.campaign + (" (heute)" if p.current else "")),
                          _t(to_local(p.started_at).strftime("%d.%m.%Y") if p.started_at else ""), _n(p.sent), _n(p.returned),
                          _p(p.response_rate), _n(p.entries), _n(p.publishable), _p(p.publishable_share)])
            for p in points]
    out.append(_numbers(table("trend", columns, rows)))
    out.append("</section>")
    return "".join(out)


def _legend(items: Sequence[tuple[str, str]]) -> str:
    return '<ul class="legend">' + "".join(
        f'<li><span class="swatch" style="background:{colour}"></span>{_e(label)}</li>' for label, colour in items
    ) + "</ul>"


def _kpis(f: ReportFigures) -> str:
    q = f.quality
    cards = [
        ("response", f"{f.returned} von {f.sent}", f"Dienststellen haben geantwortet ({percent(f.response_rate)})",
         f.response_rate),
        ("entries", number(f.entries), "Einträge im Inventar", f.entries),
        ("publishable", percent(f.publication.share),
         f"veröffentlichungsfähig ({number(f.publication.publishable)} Einträge)", f.publication.share),
        ("quality", decimal(q.mean) if q.mean is not None else "–", "mittlere Qualitätspunkte (von 405)",
         round(q.mean, 1) if q.mean is not None else None),
        ("open-errors", number(f.open_errors), "offene Fehler", f.open_errors),
    ]
    out = ['<section class="kpis">']
    for key, big, small, value in cards:
        raw = f' data-value="{_raw(value)}"' if value is not None else ""
        out.append(f'<div class="kpi" data-kpi="{key}"{raw}><strong>{_e(big)}</strong><span>{_e(small)}</span></div>')
    out.append("</section>")
    return "".join(out)


def _nav(f: ReportFigures, links: Mapping[str | None, str]) -> str:
    if not links:
        return ""
    items = []
    for scope, href in links.items():
        name = "Alle drei Städte" if scope is None else f.city_names.get(scope, scope)
        if scope == f.city:
            items.append(f'<li aria-current="page">{_e(name)}</li>')
        else:
            items.append(f'<li><a href="{_e(href)}">{_e(name)}</a></li>')
    return '<nav><ul>' + "".join(items) + "</ul></nav>"


_STYLE = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f6f7f9; color: #1d2329; font: 15px/1.5 system-ui, 'Segoe UI', 'DejaVu Sans', Arial,
  sans-serif; }
header { background: #16324f; color: #fff; padding: 24px 32px 16px; }
header .kicker { margin: 0; opacity: .8; font-size: 13px; letter-spacing: .04em; text-transform: uppercase; }
header h1 { margin: 4px 0 2px; font-size: 28px; }
header .meta { margin: 0; opacity: .85; }
nav ul { list-style: none; display: flex; gap: 16px; padding: 0; margin: 12px 0 0; }
nav a { color: #cfe3ff; } nav li[aria-current] { font-weight: 600; }
main { max-width: 960px; margin: 0 auto; padding: 16px 24px 48px; }
section { background: #fff; border: 1px solid #e3e6ea; border-radius: 8px; padding: 16px 20px; margin: 16px 0; }
h2 { margin: 0 0 6px; font-size: 20px; } h3 { margin: 14px 0 6px; font-size: 16px; }
.lead { margin: 0 0 10px; color: #4a5560; } .note, .empty { color: #6b7680; font-size: 13px; }
.kpis { display: grid; grid-template-columns: repeat(5, 1fr); gap: 12px; background: none; border: 0; padding: 0; }
.kpi { background: #fff; border: 1px solid #e3e6ea; border-radius: 8px; padding: 12px 14px; }
.kpi strong { display: block; font-size: 24px; color: #16324f; } .kpi span { font-size: 13px; color: #4a5560; }
svg.chart { display: block; max-width: 100%; height: auto; margin: 6px 0 4px; }
svg.chart text { fill: #1d2329; } svg.chart text.axis { fill: #6b7680; font-size: 11px; }
svg.chart text.value { fill: #4a5560; }
.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 14px; padding: 0; margin: 4px 0 8px;
  font-size: 13px; }
.legend .swatch { display: inline-block; width: 12px; height: 12px; margin-right: 6px; vertical-align: -1px;
  border-radius: 2px; }
.triple { display: grid; grid-template-columns: repeat(3, 1fr); gap: 12px; }
details.numbers { margin-top: 8px; } details.numbers summary { cursor: pointer; color: #16324f; font-size: 13px; }
table.numbers { border-collapse: collapse; width: 100%; margin: 8px 0; font-size: 13px; }
table.numbers caption { text-align: left; color: #4a5560; padding: 4px 0; }
table.numbers th, table.numbers td { border-bottom: 1px solid #e3e6ea; padding: 4px 6px; text-align: left;
  vertical-align: top; }
table.numbers th { background: #f1f3f5; } table.numbers .num { text-align: right; white-space: nowrap; }
table[data-figure=kinds] td[data-col=muenchen], table[data-figure=kinds] td[data-col=augsburg],
table[data-figure=kinds] td[data-col=nuernberg] { white-space: nowrap; }
tr.missing td { background: #fff4f2; } tr.present td { background: #f3faf3; }
footer { color: #6b7680; font-size: 12px; text-align: center; padding: 0 0 24px; }
@media print { body { background: #fff; } section { break-inside: avoid; } details.numbers { display: none; } }
"""

# nothing may be loaded from anywhere: the page is one file
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


def render_page(figures: ReportFigures, *, links: Mapping[str | None, str] | None = None) -> str:
    """The whole report page of ``figures`` as HTML text; ``links`` maps each scope (a city key, None for
    the three together) to the file name of its page, for the navigation between the pages."""
    f = figures
    campaign = f"Kampagne {f.campaign}" if f.campaign else "noch keine Kampagne"
    title = f"Dateninventar: {f.scope_name}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="de"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>",
        '<header><p class="kicker">Bestandsaufnahme der Datenbestände · Bericht</p>',
        f"<h1>{_e(f.scope_name)}</h1>",
        f'<p class="meta">{_e(campaign)} · Stand {_e(local_time(f.generated_at))}</p>',
        _nav(f, links or {}),
        "</header><main>",
        _kpis(f),
        _responses(f),
        _themes(f),
        _publication(f),
        _quality(f),
        _findings(f),
        _hvd(f),
        _kinds(f),
        _trend(f),
        "</main>",
        f"<footer>Dateninventar der Kooperation München, Augsburg, Nürnberg · erstellt "
        f"{_e(local_time(f.generated_at))} aus dem Inventar</footer>",
        "</body></html>",
    ]
    return "\n".join(parts)
