"""The survey workbook a department fills in: one signed xlsx per department and campaign.

The workbook has four sheets:

* ``Hinweise`` (first): what the survey is for, the deadline, whom to ask, how to fill it in, what
  counts as a Datenbestand, a worked example and the legal notes, in plain German for data officers
  who are not IT people;
* ``Datenbestände`` (active on open): the entry table. Row 1 holds the exact labels of
  :data:`catalog.fields.FIELDS`; drop-downs, input prompts and header comments explain each column;
  the ``Kennung`` column is locked by a sheet protection without password, everything else can be
  typed, pasted, filtered and formatted;
* ``Listen`` (hidden): the drop-down values, one column per vocabulary, as German labels;
* ``Meta`` (very hidden): the signed values of :mod:`survey.signature` that bind the file to its
  campaign, city and department.

Update rounds pre-fill the department's known entries (records in the export format) as German
labels, so a department confirms or corrects instead of retyping. Every pre-filled string is stored
as a string cell, never as a formula, whatever it starts with.

The output is deterministic: timestamps inside the file are derived from the issue date, so the same
input gives the same bytes and the same checksum (a rebuilt, unchanged workbook is recognisably the
same file).
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.protection import SheetProtection
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from catalog.fields import BY_KEY, FIELDS, Field, Kind, Need
from catalog.organisation import City, Department
from catalog.sheets import FORMULA_PREFIXES, write_text
from catalog.vocabulary import vocabularies
from survey.signature import SIGNED_KEYS, TEMPLATE_VERSION, Meta, sign

__all__ = [
    "DATE_FORMAT",
    "ENTRY_ROWS",
    "ENTRY_SHEET",
    "FORMULA_PREFIXES",
    "HINTS_SHEET",
    "LISTS_SHEET",
    "META_SHEET",
    "build_workbook",
    "list_values",
    "save_deterministic",
    "workbook_name",
    "write_text",
]

HINTS_SHEET = "Hinweise"
ENTRY_SHEET = "Datenbestände"
LISTS_SHEET = "Listen"
META_SHEET = "Meta"

# Rows 2..ENTRY_ROWS + 1 carry drop-downs and prompts; more when an update round pre-fills more entries.
ENTRY_ROWS = 999
SPARE_ROWS = 200  # empty rows with drop-downs below the pre-filled entries of a large department

DATE_FORMAT = "DD.MM.YYYY"

_FILE_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_MONTHS = (
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
)

# Header colours tell at a glance what must be filled (explained on the Hinweise sheet).
_HEADER_FILLS: dict[Need, str] = {
    Need.REQUIRED: "1F4E79",
    Need.CONDITIONAL: "1F4E79",
    Need.RECOMMENDED: "2E75B6",
    Need.OPTIONAL: "7F7F7F",
}
_NEED_TEXT: dict[Need, str] = {
    Need.REQUIRED: "Pflichtangabe",
    Need.CONDITIONAL: "Pflichtangabe unter einer Bedingung",
    Need.RECOMMENDED: "Empfohlene Angabe",
    Need.OPTIONAL: "Freiwillige Angabe",
}
_LOCKED_FILL = PatternFill("solid", fgColor="EDEDED")
_THIN = Side(style="thin", color="BFBFBF")
_GRID = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


# --------------------------------------------------------------------------- public helpers


def workbook_name(city_key: str, department_code: str, campaign: str) -> str:
    """The file name of a survey workbook: ``<city>_<department>_<campaign>.xlsx``.

    The parts end up in file names on a share and in URLs, so only letters, digits, ``.``, ``_`` and
    ``-`` are accepted; anything else (a slash, a blank, an umlaut) raises :class:`ValueError` rather
    than producing a name that another system would mangle.
    """
    for what, part in (("city key", city_key), ("department code", department_code), ("campaign", campaign)):
        if not _FILE_PART.match(part or ""):
            raise ValueError(f"{what} {part!r} cannot be part of a file name (letters, digits, . _ - only)")
    return f"{city_key}_{department_code}_{campaign}.xlsx"


def list_values(field: Field) -> list[str]:
    """The German drop-down values of a coded field, in the order shown (``keine`` first where allowed)."""
    if field.vocabulary is None:
        return []
    labels = [concept.label for concept in vocabularies()[field.vocabulary].offered()]
    if field.none_words and field.none_words[0] not in labels:
        labels.insert(0, field.none_words[0])
    return labels


def save_deterministic(workbook: Workbook, when: datetime, *, keep_created: bool = False) -> bytes:
    """Serialise ``workbook`` to xlsx bytes with ``when`` as document and zip timestamps.

    ``openpyxl.Workbook.save`` stamps the current time into ``docProps/core.xml`` and every zip
    member; with a fixed time the same workbook gives the same bytes, so checksums stay stable.
    ``keep_created`` keeps a loaded workbook's own creation time (only ``modified`` becomes ``when``).
    """
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    stamp = when.replace(tzinfo=None, microsecond=0)
    if not keep_created or workbook.properties.created is None:
        workbook.properties.created = stamp
    workbook.properties.modified = stamp
    written = io.BytesIO()
    # ExcelWriter rather than Workbook.save: save() would overwrite ``modified`` with the current time.
    ExcelWriter(workbook, zipfile.ZipFile(written, "w", zipfile.ZIP_DEFLATED, allowZip64=True)).save()
    return _restamp(written.getvalue(), stamp)


def _restamp(data: bytes, when: datetime) -> bytes:
    """The same zip archive with every member dated ``when`` (zip dates start in 1980)."""
    date_time = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for member in source.infolist():
            info = zipfile.ZipInfo(member.filename, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            target.writestr(info, source.read(member))
    return out.getvalue()


# --------------------------------------------------------------------------- the workbook


@dataclass(frozen=True)
class _Context:
    """What the texts of the workbook are made of."""

    city: City
    department: Department
    campaign: str
    issued: date
    deadline: date | None
    contact_name: str | None
    contact_email: str | None
    update_round: bool


def build_workbook(
    *,
    city: City,
    department: Department,
    campaign: str,
    secret: bytes,
    issued: date,
    deadline: date | None = None,
    known_entries: Sequence[Mapping[str, Any]] = (),
    contact: tuple[str | None, str | None] | None = None,
) -> bytes:
    """Build the signed survey workbook of one department and campaign; returns the xlsx bytes.

    ``known_entries`` are records in the export format (``catalog.fields.RECORD_KEYS``: coded values
    as URIs or codes, lists as lists, dates as ISO strings); they are pre-filled one per row from row
    2, with their ``Kennung``, shown as the German labels of the drop-downs. ``contact`` (name, e-mail)
    overrides the city's open-data contact from the organisation data. The result is deterministic:
    the same arguments give the same bytes.
    """
    if department.city != city.key:
        raise ValueError(f"department {department.code} belongs to {department.city}, not {city.key}")
    name, email = contact if contact is not None else (city.opendata_name, city.opendata_email)
    context = _Context(
        city=city,
        department=department,
        campaign=campaign,
        issued=issued,
        deadline=deadline,
        contact_name=name,
        contact_email=email,
        update_round=bool(known_entries),
    )
    meta = sign(
        Meta(
            campaign=campaign,
            city=city.key,
            department=department.code,
            department_name=department.name,
            survey_version=TEMPLATE_VERSION,
            issued=issued.isoformat(),
        ),
        secret,
    )

    workbook = Workbook()
    hints = workbook.active
    assert hints is not None  # a new workbook always has one sheet
    hints.title = HINTS_SHEET
    entries = workbook.create_sheet(ENTRY_SHEET)
    lists = workbook.create_sheet(LISTS_SHEET)
    meta_sheet = workbook.create_sheet(META_SHEET)

    list_ranges = _write_lists(lists)
    _write_hints(hints, context)
    _write_entries(entries, list_ranges, known_entries)
    _write_meta(meta_sheet, meta)

    lists.sheet_state = "hidden"
    meta_sheet.sheet_state = "veryHidden"
    for sheet in workbook.worksheets:
        sheet.sheet_view.tabSelected = sheet is entries
    workbook.active = workbook.worksheets.index(entries)
    # Structure protection keeps the hidden sheets hidden and the sheet names as the reader expects.
    workbook.security = WorkbookProtection(lockStructure=True)

    properties = workbook.properties
    properties.creator = city.name
    properties.lastModifiedBy = city.name
    properties.title = f"Erhebung der Datenbestände – {department.name}"
    properties.subject = f"Open-Data-Bestandsaufnahme {campaign}"
    properties.keywords = f"{city.key}; {department.code}; {campaign}"
    properties.language = "de-DE"
    return save_deterministic(workbook, datetime.combine(issued, time()))


# --------------------------------------------------------------------------- Listen


def _write_lists(sheet: Worksheet) -> dict[str, str]:
    """Write one column per coded field; returns the drop-down range of each field key."""
    ranges: dict[str, str] = {}
    coded = [f for f in FIELDS if f.vocabulary]
    for index, field in enumerate(coded, start=1):
        letter = get_column_letter(index)
        header = sheet.cell(row=1, column=index)
        write_text(header, field.label)
        header.font = Font(bold=True)
        values = list_values(field)
        for row, label in enumerate(values, start=2):
            write_text(sheet.cell(row=row, column=index), label)
        sheet.column_dimensions[letter].width = max(16, min(60, max(len(v) for v in values) + 2))
        ranges[field.key] = f"{LISTS_SHEET}!${letter}$2:${letter}${len(values) + 1}"
    sheet.protection = SheetProtection(sheet=True)
    return ranges


# --------------------------------------------------------------------------- Meta


def _write_meta(sheet: Worksheet, meta: Meta) -> None:
    """One row per signed key (key in A, value in B) and the signature last, from row 1."""
    values = {**meta.values(), "signature": meta.signature}
    for row, key in enumerate((*SIGNED_KEYS, "signature"), start=1):
        write_text(sheet.cell(row=row, column=1), key)
        write_text(sheet.cell(row=row, column=2), values[key])
    sheet.column_dimensions["A"].width = 18
    sheet.column_dimensions["B"].width = 70
    sheet.protection = SheetProtection(sheet=True)


# --------------------------------------------------------------------------- Datenbestände


def _print_setup(sheet: Worksheet, *, orientation: str) -> None:
    """Print as people print a sheet: A4, all columns on one page width (as many pages down as needed)."""
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = orientation
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6


def _entry_style(field: Field) -> tuple[Alignment, Protection, PatternFill | None]:
    """Alignment, protection and fill of the data cells of a column."""
    wrap = field.kind is Kind.LONGTEXT
    alignment = Alignment(vertical="top", wrap_text=wrap)
    if field.kind is Kind.IDENTIFIER:
        return alignment, Protection(locked=True), _LOCKED_FILL
    return alignment, Protection(locked=False), None


def _validation(field: Field, list_ranges: Mapping[str, str], last_row: int) -> DataValidation:
    """The data validation of a column: always an input prompt, a drop-down on coded columns."""
    prompt = field.help[:255]
    title = field.label[:32]
    if field.vocabulary:
        several = field.kind is Kind.CODES
        validation = DataValidation(
            type="list",
            formula1=list_ranges[field.key],
            allow_blank=True,
            showErrorMessage=not several,
            errorStyle="warning",
            errorTitle="Wert nicht in der Liste",
            error=(
                "Dieser Wert steht nicht in der Auswahlliste. Bitte möglichst einen Wert aus der Liste "
                "wählen. Sie können Ihre Eingabe trotzdem übernehmen; wir prüfen sie bei der Auswertung."
            ),
        )
    elif field.max_length:
        validation = DataValidation(
            type="textLength",
            operator="lessThanOrEqual",
            formula1=str(field.max_length),
            allow_blank=True,
            showErrorMessage=True,
            errorStyle="stop",
            errorTitle="Text zu lang",
            error=f"Bitte höchstens {field.max_length} Zeichen eintragen.",
        )
    else:
        validation = DataValidation(allow_blank=True)  # any value: the prompt is the point
    validation.showInputMessage = True
    validation.promptTitle = title
    validation.prompt = prompt
    validation.add(f"{field.column}2:{field.column}{last_row}")
    return validation


def _write_entries(
    sheet: Worksheet, list_ranges: Mapping[str, str], known_entries: Sequence[Mapping[str, Any]]
) -> None:
    """The entry table: header, column formats, validations, pre-filled rows, protection."""
    last_row = max(ENTRY_ROWS + 1, len(known_entries) + 1 + SPARE_ROWS)
    styles = {field.key: _entry_style(field) for field in FIELDS}

    for index, field in enumerate(FIELDS, start=1):
        assert get_column_letter(index) == field.column, "FIELDS must be in column order A, B, C, ..."
        header = sheet.cell(row=1, column=index)
        write_text(header, field.label)
        header.font = Font(bold=True, color="FFFFFF")
        header.fill = PatternFill("solid", fgColor=_HEADER_FILLS[field.need])
        header.alignment = Alignment(wrap_text=True, vertical="center")
        header.border = _GRID
        comment = Comment(f"{field.label}\n{_NEED_TEXT[field.need]}\n\n{field.help}", "Open-Data-Team")
        comment.width = 320
        comment.height = 140
        header.comment = comment

        # Column styles reach every row, also those a department adds below the prepared range.
        dimension = sheet.column_dimensions[field.column]
        dimension.width = field.width
        alignment, protection, fill = styles[field.key]
        dimension.alignment = alignment
        dimension.protection = protection
        if fill is not None:
            dimension.fill = fill
        sheet.add_data_validation(_validation(field, list_ranges, last_row))

    sheet.row_dimensions[1].height = 45
    for row, record in enumerate(known_entries, start=2):
        _write_record(sheet, row, record, styles)

    sheet.freeze_panes = "C2"  # header and the title stay in view while scrolling right
    sheet.auto_filter.ref = f"A1:{FIELDS[-1].column}{last_row}"
    _print_setup(sheet, orientation="landscape")
    sheet.print_title_rows = "1:1"  # the header row on every printed page
    # No password: the lock protects the Kennung from slips, not from intent. Everything a data
    # officer needs stays allowed (False = not protected in OOXML's terms).
    sheet.protection = SheetProtection(
        sheet=True,
        objects=False,
        scenarios=False,
        formatCells=False,
        formatColumns=False,
        formatRows=False,
        insertColumns=True,
        insertRows=False,
        insertHyperlinks=False,
        deleteColumns=True,
        deleteRows=False,
        selectLockedCells=False,
        selectUnlockedCells=False,
        sort=False,
        autoFilter=False,
        pivotTables=True,
    )


def _write_record(
    sheet: Worksheet,
    row: int,
    record: Mapping[str, Any],
    styles: Mapping[str, tuple[Alignment, Protection, PatternFill | None]],
) -> None:
    """Pre-fill one known entry as the department would have typed it (German labels)."""
    height = 0.0
    for field in FIELDS:
        value = _shown_value(field, record)
        if value is None or value == "":
            continue
        cell = sheet[f"{field.column}{row}"]
        if isinstance(value, date):
            cell.value = value
            cell.number_format = DATE_FORMAT
        else:
            write_text(cell, value)
        alignment, protection, fill = styles[field.key]
        if alignment.wrap_text:
            height = max(height, _row_height(str(cell.value), int(field.width * 1.1), max_lines=8))
        cell.alignment = alignment
        cell.protection = protection
        if fill is not None:
            cell.fill = fill
    if height > 15.0 * 1 + 3:  # wrapped text needs a taller row; spreadsheets do not fit it on open
        sheet.row_dimensions[row].height = height


def _shown_value(field: Field, record: Mapping[str, Any]) -> str | date | None:
    """The value of ``field`` in an export record, as the workbook shows it."""
    if field.key == "spatial":
        # The export stores a geocoding URI; the survey asks for the scope, kept as ``spatial_scope``.
        return _label("spatial_scope", record.get("spatial_scope"))
    raw = record.get(field.key)
    if raw is None:
        return None
    if field.kind in (Kind.DATE, Kind.DATE_START, Kind.DATE_END):
        return _as_date(raw)
    if field.kind is Kind.CODES and field.vocabulary:
        return "; ".join(filter(None, (_label(field.vocabulary, v) for v in _as_list(raw))))
    if field.kind is Kind.KEYWORDS:
        return "; ".join(str(v).strip() for v in _as_list(raw) if str(v).strip())
    if field.kind is Kind.CODE and field.vocabulary:
        return _label(field.vocabulary, raw)
    return str(raw)


def _label(scheme: str, value: Any) -> str | None:
    """The German label of a stored value (URI or code); an unknown value is shown as it is."""
    if value is None or value == "":
        return None
    return vocabularies().label(scheme, str(value))


def _as_list(raw: Any) -> list[Any]:
    if isinstance(raw, str):
        return [part for part in re.split(r"[;,]", raw) if part.strip()]
    if isinstance(raw, Iterable):
        return list(raw)
    return [raw]


def _as_date(raw: Any) -> str | date | None:
    """A real date for ISO dates (a date cell), the text otherwise (the reader reports it)."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = str(raw).strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return text or None


# --------------------------------------------------------------------------- Hinweise


def _german_date(day: date) -> str:
    return f"{day.day}. {_MONTHS[day.month - 1]} {day.year}"


def _example(context: _Context) -> list[tuple[str, str]]:
    """A worked example row, one (label, value) pair per column; coded values from the vocabularies."""
    voc = vocabularies()

    def label(scheme: str, code: str) -> str:
        match = voc.lookup(scheme, code)
        assert match.concept is not None, f"example value {code!r} missing from {scheme}"
        return match.concept.label

    city, department = context.city, context.department
    values = {
        "identifier": "(leer lassen – wird vom System vergeben)",
        "title": "Baumkataster",
        "description": (
            "Verzeichnis aller städtischen Bäume an Straßen und in Grünanlagen mit Standort, Baumart, "
            "Pflanzjahr und Zustand. Grundlage für Baumkontrollen und Pflegeplanung."
        ),
        "theme": label("theme", "ENVI"),
        "keywords": "Bäume; Stadtgrün; Baumkontrolle",
        "data_kind": label("data_kind", "geodata"),
        "source_system": "Baumkataster-Fachanwendung (GIS)",
        "contact_name": "Sachgebiet Baumpflege",
        "contact_email": "baumpflege@stadt.example",
        "personal_data": label("personal_data", "no"),
        "third_party_rights": label("third_party_rights", "no"),
        "access_rights": label("access_rights", "PUBLIC"),
        "restriction_reason": "(leer, weil der Zugang öffentlich ist)",
        "license": label("license", "dl-by-de/2.0"),
        "attribution": f"{city.name}, {department.name}",
        "formats": "; ".join(label("file_type", code) for code in ("CSV", "GEOJSON", "WFS_SRVC")),
        "access_url": "(leer, solange die Daten nicht im Internet stehen)",
        "frequency": label("frequency", "MONTHLY"),
        "temporal_start": "01.01.2015",
        "temporal_end": "(leer, weil die Daten laufend fortgeführt werden)",
        "spatial": label("spatial_scope", "sites"),
        "last_updated": f"02.01.{context.issued.year}",
        "hvd_category": BY_KEY["hvd_category"].none_words[0],
        "publish_proposal": label("publish_proposal", "yes"),
        "remarks": "Bäume auf Privatgrund sind nicht enthalten.",
        "download_url": "(leer, solange es keine Datei zum Herunterladen gibt; sonst z. B. "
                        "https://opendata.stadt.example/baeume.csv)",
        "api_url": "(leer, solange es keine Schnittstelle gibt; sonst z. B. https://geodienste.stadt.example/baeume/wfs)",
        "api_type": label("api_type", "WFS"),
        "api_documentation": "(leer, solange es keine Schnittstelle gibt; sonst z. B. die Adresse ihrer Beschreibung)",
        "legal_basis": "(leer, weil der Zugang öffentlich ist)",
        "reuse_conditions": "(leer, weil der Zugang öffentlich ist)",
        "protected_listing": "(leer, weil der Zugang öffentlich ist)",
    }
    return [(field.label, values[field.key]) for field in FIELDS]


@dataclass(frozen=True)
class _Section:
    """A section of the Hinweise sheet: a heading, a paragraph or numbered steps, an optional link."""

    heading: str
    body: str | list[str]
    link: str | None = None


def _sections(context: _Context) -> list[_Section]:
    """The sections of the Hinweise sheet before the example."""
    city = context.city
    if context.deadline is not None:
        deadline = (
            f"Bitte senden Sie den ausgefüllten Fragebogen bis zum {_german_date(context.deadline)} zurück. "
            "Wenn Sie mehr Zeit brauchen, sagen Sie uns bitte kurz Bescheid."
        )
    else:
        deadline = (
            "Bitte senden Sie den ausgefüllten Fragebogen möglichst bald zurück. "
            "Wenn Sie Fragen haben oder mehr Zeit brauchen, sagen Sie uns bitte kurz Bescheid."
        )
    team = context.contact_name or f"das Open-Data-Team der {city.name}"
    contact = f"Bei Fragen hilft Ihnen gern: {team}."
    if context.contact_email:
        contact += f" E-Mail: {context.contact_email}"
    steps = [
        "Wechseln Sie unten in das Tabellenblatt „Datenbestände“. Jede Zeile beschreibt einen Datenbestand; "
        "beginnen Sie in der ersten freien Zeile.",
        "Wenn Sie eine Zelle anklicken, erscheint ein kurzer Hinweis, was in diese Spalte gehört. "
        "Ausführlichere Erläuterungen stehen im Kommentar der Spaltenüberschrift (kleines rotes Dreieck).",
        "Spalten mit Auswahlliste erkennen Sie am kleinen Pfeil rechts neben der Zelle. Bei „Themenkategorie“ "
        "und „Formate“ dürfen Sie mehrere Werte eintragen, getrennt durch Semikolon, z. B. „CSV; XLSX“.",
        "Datumsangaben schreiben Sie wie gewohnt, z. B. 01.03.2021. Wenn Sie nur den Monat oder das Jahr "
        "kennen, genügt 03/2021 oder 2021.",
        "Die Spalte „Kennung“ (grau) füllt das System aus und ist gegen Änderungen geschützt. "
        "Bei neuen Datenbeständen bleibt sie leer.",
        "Sie dürfen Zeilen aus eigenen Listen hineinkopieren. Kleine Abweichungen (z. B. „taeglich“ statt "
        "„täglich“) erkennen wir automatisch; was unklar bleibt, melden wir Ihnen zurück.",
        "Eine versehentlich angefangene Zeile leeren Sie, indem Sie ihre Zellen markieren und die Entf-Taste "
        "drücken.",
        "Bitte ändern Sie weder die Spaltenüberschriften noch die Tabellenblätter, und speichern Sie die Datei "
        "im Excel-Format (.xlsx) – auch wenn Sie mit LibreOffice arbeiten.",
        "Legen Sie die ausgefüllte Datei wieder in den Ordner Ihrer Dienststelle auf der Austauschplattform "
        "(Eingang) oder senden Sie sie an das Open-Data-Team.",
        "Sie erhalten eine Rückmeldung: Ihre Datei, in der wir Zellen mit Fragen farbig markiert und "
        "kommentiert haben. Korrigieren Sie diese Zellen direkt dort und senden Sie die Datei erneut.",
    ]
    if context.update_round:
        steps.insert(
            1,
            "Die Datenbestände, die wir von Ihrer Dienststelle schon kennen, sind bereits eingetragen. "
            "Bitte prüfen Sie jede Zeile, ergänzen und korrigieren Sie sie. Gibt es einen Datenbestand "
            "nicht mehr, vermerken Sie das bitte in der Spalte „Anmerkungen“, statt die Zeile zu löschen.",
        )
    return [
        _Section(
            "Worum geht es?",
            f"Die {city.name} möchte wissen, welche Daten in ihren Dienststellen vorhanden sind, und prüfen, "
            "welche davon als offene Daten (Open Data) für alle bereitgestellt werden können. Offene Daten "
            "machen Verwaltungshandeln nachvollziehbar und ermöglichen neue Anwendungen für Bürgerinnen, "
            "Bürger, Wirtschaft und Wissenschaft. München, Augsburg und Nürnberg führen diese "
            "Bestandsaufnahme gemeinsam durch. Mit dem Ausfüllen wird nichts veröffentlicht: Jeder Eintrag "
            "wird vom Open-Data-Team geprüft und nur nach Freigabe veröffentlicht.",
        ),
        _Section("Bis wann?", deadline),
        _Section(
            "Kontakt bei Fragen",
            contact,
            f"mailto:{context.contact_email}" if context.contact_email else None,
        ),
        _Section("So füllen Sie den Fragebogen aus", steps),
        _Section(
            "Was ist ein Datenbestand?",
            "Eine Sammlung von Daten, die Ihre Dienststelle erhebt, führt oder nutzt und die man als Ganzes "
            "beschreiben kann: eine Tabelle, ein Verzeichnis, die Datenbank eines Fachverfahrens, eine "
            "Kartenebene im GIS, Messreihen, Statistiken oder Haushaltszahlen. Beispiele: Baumkataster, "
            "Liste der Spielplätze, Verkehrszählungen, Wahlergebnisse, Standorte von Wertstoffinseln. "
            "Nicht gemeint sind einzelne Schreiben, Akten zu Einzelfällen, E-Mails oder Programme selbst. "
            "Bitte tragen Sie auch Datenbestände ein, die nicht veröffentlicht werden können, etwa wegen "
            "Datenschutz: Die Bestandsaufnahme soll vollständig sein. Im Zweifel tragen Sie den Bestand "
            "lieber ein – wir klären die Einzelheiten gemeinsam.",
        ),
        _Section(
            "Was bedeuten die Farben der Überschriften?",
            "Dunkelblau: Pflichtangabe (bei „Begründung der Einschränkung“, „Lizenz“ und „Namensnennung (Text)“ "
            "nur, wenn die Bedingung im Hinweis der Spalte zutrifft). Mittelblau: empfohlene Angabe – sie "
            "macht den Datenbestand besser auffindbar. Grau: freiwillige Angabe.",
        ),
    ]


_LEGAL: list[tuple[str, str]] = [
    (
        "Personenbezogene Daten",
        "Daten, die sich auf einzelne Menschen beziehen lassen (z. B. Namen, Anschriften, Kfz-Kennzeichen, "
        "Fotos von Personen), werden nie als Open Data veröffentlicht. Tragen Sie solche Datenbestände "
        "trotzdem ein und wählen Sie bei „Personenbezogene Daten“ „ja“. „anonymisiert“ gilt nur, wenn "
        "niemand mehr – auch nicht durch Verknüpfung mit anderen Daten – auf einzelne Personen schließen "
        "kann. Bitte tragen Sie in den Fragebogen selbst keine personenbezogenen Inhalte ein, sondern "
        "nennen Sie als Ansprechstelle eine Stelle und ein Funktionspostfach statt einzelner Beschäftigter.",
    ),
    (
        "Rechte Dritter",
        "Stammen Daten ganz oder teilweise von anderen – etwa von der Vermessungsverwaltung, beauftragten "
        "Firmen, Bundes- oder Landesbehörden oder Verbänden –, können diese Rechte daran haben. Wählen Sie "
        "dann „ja“ oder, wenn Sie es nicht sicher wissen, „unklar“. Veröffentlicht wird nur, was rechtlich "
        "geklärt ist; das Open-Data-Team klärt die Rechte vor einer Veröffentlichung mit Ihnen.",
    ),
    (
        "Lizenzen",
        "Offene Daten werden unter einer Lizenz bereitgestellt, die die Weiternutzung erlaubt, in der Regel "
        "unter der „Datenlizenz Deutschland – Zero – 2.0“ (ohne Bedingungen) oder der „Datenlizenz "
        "Deutschland – Namensnennung – 2.0“ (Nutzende müssen die Quelle nennen; den Text dafür tragen Sie "
        "unter „Namensnennung (Text)“ ein). Ihre Angabe ist ein Vorschlag Ihrer Dienststelle; die "
        "Entscheidung fällt bei der Freigabe. Wählen Sie „andere Lizenz (nicht offen)“, wenn für die Daten "
        "schon eine andere, einschränkende Nutzungsbedingung gilt.",
    ),
    (
        "Sicherheit und eingeschränkter Zugang",
        "Datenbestände, deren Veröffentlichung die Sicherheit von Menschen, Gebäuden oder Versorgungsnetzen "
        "gefährden könnte, oder die aus anderen Gründen nicht öffentlich sein dürfen, tragen Sie bitte mit "
        "dem Zugang „eingeschränkt“ oder „nicht öffentlich“ und einer kurzen Begründung ein.",
    ),
    (
        "Verzeichnis geschützter Daten",
        "Nicht öffentliche Datenbestände, die andere auf Antrag nutzen dürfen (etwa geschützt durch Datenschutz, "
        "Statistikgeheimnis, Geschäftsgeheimnisse oder Rechte Dritter), macht die Stadt nach dem Data Governance Act "
        "(EU) 2022/868 in einem Verzeichnis auffindbar: mit Titel, Beschreibung, Rechtsgrundlage der Beschränkung und "
        "den Bedingungen der Weiterverwendung, nie mit den Daten selbst und nie mit dem Namen einzelner Beschäftigter. "
        "Anfragen gehen an ein Funktionspostfach. Wählen Sie bei „Im Verzeichnis geschützter Daten“ „nein“, "
        "wenn schon Titel oder Beschreibung etwas Schützenswertes verraten; dann bleibt der Bestand draußen.",
    ),
    (
        "Hochwertige Datensätze (High-Value Datasets)",
        "Für Daten der sechs EU-Kategorien (Georaum, Erdbeobachtung und Umwelt, Meteorologie, Statistik, Unternehmen "
        "und Eigentümerschaft, Mobilität) verlangt die Durchführungsverordnung (EU) 2023/138: offen unter CC BY 4.0 "
        "oder freier (z. B. Datenlizenz Deutschland), maschinenlesbar, als Ganzes herunterladbar und über eine "
        "Schnittstelle (API) abrufbar. Tragen Sie dafür die Download-Adresse und die Schnittstelle ein; was noch "
        "fehlt, melden wir Ihnen zurück.",
    ),
]


def _row_height(text: str, chars_per_line: int, max_lines: int = 40) -> float:
    """An explicit row height for wrapped text: Excel and LibreOffice do not fit generated rows on open."""
    lines = sum(max(1, math.ceil(len(part) / chars_per_line)) for part in text.split("\n"))
    return 15.0 * min(lines, max_lines) + 3


def _write_hints(sheet: Worksheet, context: _Context) -> None:
    """The instruction sheet: headings in column A, text in column B, the example as a two-column table."""
    sheet.column_dimensions["A"].width = 32
    sheet.column_dimensions["B"].width = 95
    chars_per_line = 100
    wrap = Alignment(wrap_text=True, vertical="top")
    numbered = Alignment(horizontal="right", vertical="top", indent=1)

    city, department = context.city, context.department
    title = sheet.cell(row=1, column=1)
    write_text(title, f"Erhebung der Datenbestände – {city.name}")
    title.font = Font(bold=True, size=16, color="1F4E79")
    sheet.row_dimensions[1].height = 26
    subtitle = sheet.cell(row=2, column=1)
    write_text(
        subtitle,
        f"Fragebogen für: {department.name} · Erhebung {context.campaign} · "
        f"ausgegeben am {context.issued.strftime('%d.%m.%Y')}",
    )
    subtitle.font = Font(bold=True, size=12)
    row = 4

    def heading(text: str) -> None:
        nonlocal row
        cell = sheet.cell(row=row, column=1)
        write_text(cell, text)
        cell.font = Font(bold=True, size=12, color="1F4E79")
        sheet.row_dimensions[row].height = 20
        row += 1

    def paragraph(text: str, label: str | None = None) -> None:
        nonlocal row
        if label:
            head = sheet.cell(row=row, column=1)
            write_text(head, label)
            head.font = Font(bold=True)
            head.alignment = numbered if label[:-1].isdigit() else wrap
        cell = sheet.cell(row=row, column=2)
        write_text(cell, text)
        cell.alignment = wrap
        sheet.row_dimensions[row].height = _row_height(text, chars_per_line)
        row += 1

    for section in _sections(context):
        heading(section.heading)
        if isinstance(section.body, list):
            for number, step in enumerate(section.body, start=1):
                paragraph(step, f"{number}.")
        else:
            paragraph(section.body)
        if section.link:
            cell = sheet.cell(row=row - 1, column=2)
            cell.hyperlink = section.link
        row += 1

    heading("Ein Beispiel")
    paragraph(
        "So könnte eine ausgefüllte Zeile im Blatt „Datenbestände“ aussehen (hier untereinander dargestellt; "
        "im Blatt steht alles in einer Zeile nebeneinander):"
    )
    for label, value in _example(context):
        paragraph(value, label)
        sheet.cell(row=row - 1, column=1).border = _GRID
        sheet.cell(row=row - 1, column=2).border = _GRID
    row += 1

    heading("Wichtige rechtliche Hinweise")
    for label, text in _LEGAL:
        paragraph(text, label)
    row += 1
    paragraph("Vielen Dank für Ihre Mitarbeit!")

    sheet.sheet_view.showGridLines = False
    _print_setup(sheet, orientation="portrait")
    sheet.protection = SheetProtection(sheet=True, selectLockedCells=False, selectUnlockedCells=False)
