"""Review in Excel: a workbook of the entries ready for review, and applying the decisions made in it.

:func:`export_review` writes one row per entry with its main fields (German labels and values), its
review state, open errors and the hard rules that block it, a decision column (drop-down:
``genehmigen`` / ``ablehnen`` / ``offen``) and a comment column. Hidden columns hold the identifier,
the entry version, its content hash and a hash of the row's visible values as exported.

:func:`import_review` applies the decisions of such a workbook, row by row, and never blindly: a row
is refused (with the row number, the identifier and the reason) when it holds a formula (only plain
values count), when its Kennung was changed, when the entry data in the row were edited in the sheet,
when the entry belongs to another city than the workbook, when the entry changed in the store since the
export (stale), when a rejection has no comment, or when a hard rule blocks the approval. Rows with
``offen`` or no decision are skipped. Every value is written as text, never as a formula.

With ``secret_for`` (the city's signing secret, as for the survey workbooks) the workbook is signed:
the ``Meta`` sheet carries an HMAC over its values, the city included, and each row's hash is an HMAC
too, so that only rows this tool wrote, for that city, are accepted. The workbook is read within
:class:`catalog.sheets.SheetLimits`, checked before any cell is read (``read`` lets the caller read it
in a :class:`catalog.sandbox.Sandbox`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from catalog.errors import UsageError
from catalog.fields import BY_KEY
from catalog.organisation import Organisation
from catalog.review.decisions import (
    ApprovalRefused,
    ReviewError,
    ReviewItem,
    approve,
    blocker_text,
    find_entry,
    reject,
    review_item,
    review_items,
    reviewer_name,
    shown_value,
    state_label,
)
from catalog.sheets import (
    FORMULA_PREFIXES,
    MAX_CELL_CHARS,
    SheetLimits,
    SheetTooLarge,
    SheetUnreadable,
    Workbook,
)

SHEET = "Prüfung"
META_SHEET = "Meta"
FORMAT = "inventur-review/2"
ALL_CITIES = "alle"
SIGNATURE = "Signatur"
_META_KEYS = ("Format", "Stadt", "Dienststelle", "Status", "Exportiert am", "Einträge")

APPROVE = "genehmigen"
REJECT = "ablehnen"
OPEN = "offen"
CHOICES: tuple[str, ...] = (APPROVE, REJECT, OPEN)



@dataclass(frozen=True)
class Column:
    """A column of the review sheet: what it holds (``key``), its German header, its width."""

    key: str
    label: str
    width: int = 18
    wrap: bool = False
    hidden: bool = False


def _field(key: str, width: int = 18, wrap: bool = False) -> Column:
    return Column(key, BY_KEY[key].label, width, wrap)


# The visible entry data (what the row hash covers), in sheet order around the two decision columns.
_LEAD: tuple[Column, ...] = (
    _field("identifier", 15),
    Column("department", "Dienststelle", 24, wrap=True),
    _field("title", 36, wrap=True),
    Column("status", "Status", 18),
    Column("open_errors", "Offene Fehler", 10),
    Column("blockers", "Hinderungsgründe", 34, wrap=True),
)
DECISION = Column("decision", "Entscheidung", 15)
COMMENT = Column("comment", "Kommentar", 36, wrap=True)
_DETAILS: tuple[Column, ...] = (
    _field("description", 50, wrap=True),
    _field("theme", 28, wrap=True),
    _field("keywords", 24, wrap=True),
    _field("contact_name", 22),
    _field("contact_email", 26),
    _field("personal_data", 14),
    _field("third_party_rights", 14),
    Column("rights_cleared", "Rechte Dritter geklärt", 14),
    _field("access_rights", 16),
    _field("restriction_reason", 28, wrap=True),
    _field("license", 32),
    _field("attribution", 28),
    _field("formats", 18),
    _field("access_url", 30),
    _field("frequency", 16),
    _field("temporal_start", 12),
    _field("temporal_end", 12),
    _field("spatial", 20),
    _field("hvd_category", 18),
    _field("publish_proposal", 14),
    _field("remarks", 30, wrap=True),
)
_HIDDEN: tuple[Column, ...] = (
    Column("_identifier", "Kennung (System)", 14, hidden=True),
    Column("_version", "Version (System)", 8, hidden=True),
    Column("_content_hash", "Prüfsumme Inhalt (System)", 20, hidden=True),
    Column("_row_hash", "Prüfsumme Zeile (System)", 20, hidden=True),
)
COLUMNS: tuple[Column, ...] = (*_LEAD, DECISION, COMMENT, *_DETAILS, *_HIDDEN)
DATA_COLUMNS: tuple[Column, ...] = (*_LEAD, *_DETAILS)
_BY_LABEL: dict[str, Column] = {c.label: c for c in COLUMNS}


class ReviewSheetInvalid(ReviewError, UsageError, ValueError):
    """The file is no review workbook of this tool (or not readable): nothing was applied."""


@dataclass(frozen=True)
class RowOutcome:
    """What became of one row of an imported review workbook."""

    row: int
    identifier: str | None
    decision: str | None
    outcome: str  # applied, refused, skipped
    message: str  # English, for the operator
    message_de: str | None = None


@dataclass
class ImportReport:
    """The rows of an imported review workbook and what became of each."""

    path: Path
    outcomes: list[RowOutcome] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """``applied``, ``refused`` and ``skipped`` rows."""
        counted = Counter(o.outcome for o in self.outcomes)
        return {key: counted.get(key, 0) for key in ("applied", "refused", "skipped")}

    @property
    def refused(self) -> list[RowOutcome]:
        """The refused rows, in sheet order."""
        return [o for o in self.outcomes if o.outcome == "refused"]


# --------------------------------------------------------------------------- values and hashes


def _clean(text: str) -> str:
    """Text as a cell can carry it: characters XML cannot hold dropped, cut at Excel's limit."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", text)[:MAX_CELL_CHARS]


def _norm(value: Any) -> str:
    """A cell value as text for comparison: line ends unified, outer blanks dropped, integers without ``.0``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def _department_label(city: str, code: str, organisation: Organisation | None) -> str:
    if organisation is None:
        return code
    try:
        return f"{code} – {organisation.department(city, code).name}"
    except LookupError:
        return code


def row_values(item: ReviewItem, organisation: Organisation | None = None) -> dict[str, str]:
    """The visible entry data of one row, by column key, as written to the sheet (German)."""
    entry = item.entry
    values: dict[str, str] = {
        "department": _department_label(entry.city, entry.department, organisation),
        "status": state_label(entry.status),
        "open_errors": str(item.open_errors),
        "blockers": "; ".join(blocker_text(code, "de") for code in item.blockers) or "keine",
        "rights_cleared": (
            ("ja" if item.rights_cleared else "nein") if entry.third_party_rights in ("yes", "unclear") else ""
        ),
    }
    for column in DATA_COLUMNS:
        if column.key not in values:
            values[column.key] = shown_value(column.key, entry)
    return {key: _norm(_clean(value)) for key, value in values.items()}


def _key(secret: bytes) -> bytes:
    """The review workbooks' own key, derived from a city's signing secret (never the secret itself)."""
    return hmac.new(secret, b"inventur review workbook", hashlib.sha256).digest()


def row_hash(identifier: str, version: str, content_hash: str, values: Mapping[str, str], secret: bytes | None = None) -> str:
    """The hash of a row's visible entry data as exported, bound to the entry version it shows; an HMAC
    with the entry's city's secret when one is given."""
    body = [identifier, version, content_hash, [_norm(values.get(c.key)) for c in DATA_COLUMNS]]
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if secret is None:
        return hashlib.sha256(text).hexdigest()
    return hmac.new(_key(secret), text, hashlib.sha256).hexdigest()


def meta_signature(meta: Mapping[str, str], secret: bytes) -> str:
    """The HMAC over the ``Meta`` values (format, city, department, states, time, count)."""
    text = json.dumps([meta.get(k, "") for k in _META_KEYS], ensure_ascii=False, separators=(",", ":"))
    return hmac.new(_key(secret), text.encode("utf-8"), hashlib.sha256).hexdigest()


# --------------------------------------------------------------------------- export


def _write_text(cell: Any, text: str) -> None:
    """``text`` as a string cell, never a formula; a leading formula character also gets Excel's quote
    prefix, so that editing the cell later keeps it text."""
    cell.value = text
    cell.data_type = "s"
    if text.startswith(FORMULA_PREFIXES):
        cell.quotePrefix = True


def export_review(
    session: Session,
    path: Path,
    *,
    city: str | None,
    states: Sequence[str] = ("ready",),
    department: str | None = None,
    organisation: Organisation | None = None,
    now: dt.datetime | None = None,
    secret_for: Callable[[str], bytes] | None = None,
) -> int:
    """Write the review workbook of the entries in ``states`` (of one city, or all) to ``path``.

    Entries gone from their source are left out. Returns the number of entries written. With
    ``secret_for`` the workbook is signed (see the module docstring); a signed workbook is for one city.
    """
    if secret_for is not None and city is None:
        raise ValueError("a signed review workbook is for one city: give the city")
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation
    from openpyxl.worksheet.protection import SheetProtection

    items = list(review_items(session, city=city, department=department, states=states, include_gone=False))
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = SHEET
    letters = {c.key: get_column_letter(i) for i, c in enumerate(COLUMNS, start=1)}
    header_fill = PatternFill("solid", fgColor="1F4E78")
    decide_fill = PatternFill("solid", fgColor="C65911")
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index)
        _write_text(cell, column.label)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = decide_fill if column in (DECISION, COMMENT) else header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        dimension = sheet.column_dimensions[letters[column.key]]
        dimension.width = column.width
        dimension.hidden = column.hidden
    sheet.row_dimensions[1].height = 32
    decision_header = sheet.cell(row=1, column=COLUMNS.index(DECISION) + 1)
    decision_header.comment = Comment(
        "genehmigen: zur Veröffentlichung freigeben\nablehnen: nicht veröffentlichen (Kommentar nötig)\n"
        "offen: noch nicht entschieden", "Open-Data-Team", width=300, height=90,
    )
    unlocked = Protection(locked=False)
    top = Alignment(vertical="top")
    wrapped = Alignment(vertical="top", wrap_text=True)
    for row, item in enumerate(items, start=2):
        values = row_values(item, organisation)
        version = str(item.entry.version)
        values.update({
            "_identifier": item.identifier,
            "_version": version,
            "_content_hash": item.entry.content_hash,
            "_row_hash": row_hash(item.identifier, version, item.entry.content_hash, values,
                                  secret_for(item.entry.city) if secret_for else None),
            "decision": OPEN,
            "comment": "",
        })
        for index, column in enumerate(COLUMNS, start=1):
            cell = sheet.cell(row=row, column=index)
            text = values.get(column.key, "")
            if text:
                _write_text(cell, text)
            cell.alignment = wrapped if column.wrap else top
            if column in (DECISION, COMMENT):
                cell.protection = unlocked
    last_row = max(len(items) + 1, 2)
    choice = DataValidation(
        type="list",
        formula1='"' + ",".join(CHOICES) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="stop",
        errorTitle="Unbekannte Entscheidung",
        error="Bitte genehmigen, ablehnen oder offen wählen.",
        showInputMessage=True,
        promptTitle="Entscheidung",
        prompt="genehmigen, ablehnen (mit Kommentar) oder offen",
    )
    choice.add(f"{letters['decision']}2:{letters['decision']}{last_row}")
    sheet.add_data_validation(choice)
    sheet.freeze_panes = "D2"
    last_visible = letters[DATA_COLUMNS[-1].key]
    sheet.auto_filter.ref = f"A1:{last_visible}{last_row}"
    # No password: the lock keeps the entry data from slips while deciding; filters and widths stay free.
    sheet.protection = SheetProtection(
        sheet=True, formatCells=False, formatColumns=False, formatRows=False, autoFilter=False, sort=False,
        selectLockedCells=False, selectUnlockedCells=False,
    )
    meta = workbook.create_sheet(META_SHEET)
    stamp = (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
    values = dict(zip(_META_KEYS, (FORMAT, city or ALL_CITIES, department or ALL_CITIES, ", ".join(states) or "alle",
                                   stamp, str(len(items))), strict=True))
    if secret_for is not None and city is not None:
        values[SIGNATURE] = meta_signature(values, secret_for(city))
    for row, (key, value) in enumerate(values.items(), start=1):
        _write_text(meta.cell(row=row, column=1), key)
        _write_text(meta.cell(row=row, column=2), value)
    meta.sheet_state = "hidden"
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return len(items)


# --------------------------------------------------------------------------- import


@dataclass
class ReviewWorkbook:
    """What an import reads of a review workbook: the review sheet's rows, the ``Meta`` values, and the
    sheet rows (1-based) that hold a formula, with the cells."""

    rows: list[list[Any]]
    meta: dict[str, str]
    formulas: dict[int, list[str]] = field(default_factory=dict)


_REF = re.compile(r"([A-Z]+)(\d+)")


def read_review_workbook(path: Path, limits: SheetLimits | None = None) -> ReviewWorkbook:
    """The review sheet and the ``Meta`` sheet of ``path``, each checked against ``limits`` before it is read.

    Raises :class:`ReviewSheetInvalid` for a file that is no review workbook, cannot be read, or is too large.
    """
    try:
        with Workbook(path, limits) as workbook:
            names = workbook.sheet_names
            if SHEET not in names or META_SHEET not in names:
                raise ReviewSheetInvalid(f"{path.name} is no review workbook (sheets {SHEET!r} and {META_SHEET!r} expected)")
            meta_rows = workbook.rows(META_SHEET)
            rows = workbook.rows(SHEET)
            formulas: dict[int, list[str]] = {}
            for ref in workbook.formulas(SHEET):
                match = _REF.fullmatch(ref)
                if match:
                    formulas.setdefault(int(match[2]), []).append(ref)
    except SheetTooLarge as exc:
        raise ReviewSheetInvalid(f"{path.name}: {exc}") from exc
    except SheetUnreadable as exc:
        raise ReviewSheetInvalid(f"{path.name} cannot be read as a workbook: {exc}") from exc
    meta = {_norm(r[0]): _norm(r[1]) for r in meta_rows if len(r) >= 2 and _norm(r[0])}
    return ReviewWorkbook(rows, meta, formulas)


def _header(rows: list[list[Any]], path: Path) -> dict[str, int]:
    """Column key -> index, found by the header labels (columns may have been moved)."""
    if not rows:
        raise ReviewSheetInvalid(f"{path.name}: the sheet {SHEET!r} is empty")
    found: dict[str, int] = {}
    for index, label in enumerate(rows[0]):
        column = _BY_LABEL.get(_norm(label))
        if column is not None and column.key not in found:
            found[column.key] = index
    missing = [c.label for c in COLUMNS if c.key not in found]
    if missing:
        raise ReviewSheetInvalid(f"{path.name}: columns missing in sheet {SHEET!r}: {', '.join(missing)}")
    return found


def _cells(row: list[Any], columns: Mapping[str, int]) -> dict[str, str]:
    return {key: _norm(row[index]) if index < len(row) else "" for key, index in columns.items()}


def _edited_columns(
    session: Session, identifier: str, cells: Mapping[str, str], organisation: Organisation | None
) -> list[str]:
    """The labels of the visible columns whose value differs from what the entry shows now."""
    current = row_values(review_item(session, identifier), organisation)
    return [c.label for c in DATA_COLUMNS if cells.get(c.key, "") != current.get(c.key, "")]


def _refused(row: int, ident: str | None, decision: str | None, message: str, german: str | None = None) -> RowOutcome:
    where = f"row {row}" + (f" ({ident})" if ident else "")
    return RowOutcome(row, ident, decision, "refused", f"{where}: {message}", german)


def import_review(
    session: Session,
    path: Path,
    *,
    reviewer: str,
    organisation: Organisation | None = None,
    secret_for: Callable[[str], bytes] | None = None,
    read: Callable[[Path], ReviewWorkbook] | None = None,
) -> ImportReport:
    """Apply the decisions of a review workbook made by :func:`export_review`, as ``reviewer``.

    Each row is checked on its own and refused with its reason when it cannot be applied safely (see
    the module docstring); the other rows are applied. Raises :class:`ReviewSheetInvalid` when the file
    is no review workbook, or (with ``secret_for``) when its signature does not match. Pass the same
    ``organisation`` and ``secret_for`` as to the export. ``read`` reads the workbook (default:
    :func:`read_review_workbook` in this process).
    """
    reviewer = reviewer_name(reviewer)
    book = (read or read_review_workbook)(path)
    rows, meta = book.rows, book.meta
    if meta.get("Format") != FORMAT:
        raise ReviewSheetInvalid(
            f"{path.name}: unknown review workbook format {meta.get('Format')!r} (expected {FORMAT!r}); export again"
        )
    city = meta.get("Stadt") or ALL_CITIES
    if secret_for is not None:
        _check_signature(path, meta, city, secret_for)
    columns = _header(rows, path)
    report = ImportReport(path)
    seen: dict[str, int] = {}
    check = _RowCheck(session, seen, reviewer, organisation, None if city == ALL_CITIES else city, secret_for)
    for index in range(1, len(rows)):
        number = index + 1
        cells = _cells(rows[index], columns)
        if not any(cells.values()):
            continue
        if number in book.formulas:
            refs = ", ".join(sorted(book.formulas[number]))
            report.outcomes.append(_refused(
                number, cells["_identifier"] or None, cells["decision"] or None,
                f"cells {refs} hold a formula; only plain values are accepted: type the decision and comment",
                f"Zeile {number}: Die Zellen {refs} enthalten eine Formel; bitte Entscheidung und Kommentar als Text "
                "eintragen."))
            continue
        report.outcomes.append(check.row(number, cells))
    return report


def _check_signature(path: Path, meta: Mapping[str, str], city: str, secret_for: Callable[[str], bytes]) -> None:
    given = meta.get(SIGNATURE, "")
    try:
        expected = meta_signature(meta, secret_for(city)) if city != ALL_CITIES else None
    except (KeyError, ValueError, LookupError):
        expected = None
    if expected is None or not hmac.compare_digest(given, expected):
        raise ReviewSheetInvalid(
            f"{path.name}: the signature of the review workbook does not match (city {city!r}): it was not "
            "exported by this inventur for that city, or its Meta sheet was changed; export again"
        )


@dataclass
class _RowCheck:
    """Checks one row at a time and applies its decision."""

    session: Session
    seen: dict[str, int]
    reviewer: str
    organisation: Organisation | None
    city: str | None
    secret_for: Callable[[str], bytes] | None

    def row(self, number: int, cells: Mapping[str, str]) -> RowOutcome:
        return _import_row(self, number, cells)


def _import_row(check: _RowCheck, number: int, cells: Mapping[str, str]) -> RowOutcome:
    """Check one row and apply its decision; the outcome says what happened and why."""
    session = check.session
    ident = cells["_identifier"] or None
    raw_decision = cells["decision"]
    decision = raw_decision.casefold()
    comment = cells["comment"] or None
    if decision in ("", OPEN):
        return RowOutcome(number, ident, decision or None, "skipped", f"row {number}: no decision")
    if decision not in (APPROVE, REJECT):
        return _refused(number, ident, raw_decision,
                        f"unknown decision {raw_decision!r}; use {APPROVE}, {REJECT} or {OPEN}")
    if ident is None:
        return _refused(number, cells["identifier"] or None, decision,
                        "the hidden Kennung (System) is empty: the row is not from a review export")
    if cells["identifier"] and cells["identifier"] != ident:
        return _identifier_changed(number, ident, decision, cells["identifier"])
    if ident in check.seen:
        return _refused(number, ident, decision, f"the entry appears again (first in row {check.seen[ident]})")
    check.seen[ident] = number
    try:
        entry = find_entry(session, ident)
    except ReviewError:
        return _refused(number, ident, decision, "no entry with this identifier in the inventory")
    if check.city is not None and entry.city != check.city:
        return _refused(
            number, ident, decision,
            f"the entry belongs to {entry.city}; this review workbook is for {check.city}",
            f"Zeile {number} ({ident}): Der Eintrag gehört zu {entry.city}, diese Prüfdatei zu {check.city}.",
        )
    values = {c.key: cells.get(c.key, "") for c in DATA_COLUMNS}
    secret = check.secret_for(entry.city) if check.secret_for else None
    if not hmac.compare_digest(row_hash(ident, cells["_version"], cells["_content_hash"], values, secret),
                               cells["_row_hash"]):
        return _edited(check, number, ident, decision, cells, entry)
    try:
        version = int(cells["_version"])
    except ValueError:
        return _refused(number, ident, decision, f"the hidden version {cells['_version']!r} is not a number")
    if version != entry.version or cells["_content_hash"] != entry.content_hash:
        return _refused(
            number, ident, decision,
            f"the entry changed since the export (exported version {version}, now version {entry.version}); "
            "export again and review the current version",
            f"Zeile {number} ({ident}): Der Eintrag wurde seit dem Export geändert. Bitte neu exportieren.",
        )
    return _decide(check, number, ident, decision, comment, version, entry)


def _identifier_changed(number: int, ident: str, decision: str, shown: str) -> RowOutcome:
    return _refused(
        number, ident, decision,
        f"the Kennung {shown!r} of the row does not match its hidden system Kennung {ident!r}: the row's Kennung was "
        "changed or rows were mixed up; not applied. Export again",
        f"Zeile {number}: Die Kennung „{shown}“ passt nicht zur Zeile (System-Kennung „{ident}“); bitte neu exportieren.",
    )


def _edited(check: _RowCheck, number: int, ident: str, decision: str, cells: Mapping[str, str], entry: Any) -> RowOutcome:
    """The refusal of a row whose hash does not match: which columns differ from the entry, and why."""
    version_shown = cells["_version"] == str(entry.version) and cells["_content_hash"] == entry.content_hash
    edited = _edited_columns(check.session, ident, cells, check.organisation) if version_shown else []
    if BY_KEY["identifier"].label in edited:
        return _identifier_changed(number, ident, decision, cells["identifier"])
    owner = _owner_of(check.session, cells["_content_hash"])
    if owner is not None and owner != ident:
        return _refused(
            number, ident, decision,
            f"the row's data and checksums belong to {owner}, not to its Kennung {ident}: the Kennung was changed or "
            "rows were mixed up; not applied. Export again",
            f"Zeile {number}: Die Angaben der Zeile gehören zu {owner}, nicht zur Kennung {ident}; bitte neu exportieren.",
        )
    if not version_shown and cells["_version"] != str(entry.version):
        # the hidden columns say another version than the row's data: a stale row cannot tell edited from changed
        return _refused(
            number, ident, decision,
            f"the entry changed since the export (exported version {cells['_version']}, now version {entry.version}); "
            "export again and review the current version",
            f"Zeile {number} ({ident}): Der Eintrag wurde seit dem Export geändert. Bitte neu exportieren.",
        )
    which = f" ({', '.join(edited)})" if edited else ""
    what = "the entry data in the row" if edited else "the row's hidden system columns or its data"
    return _refused(
        number, ident, decision,
        f"{what} were edited in the sheet{which}; not applied. Change entries through the survey or the source, not "
        "in the review sheet, and export again",
        f"Zeile {number} ({ident}): Die Angaben des Eintrags wurden in der Tabelle geändert{which}.",
    )


def _owner_of(session: Session, content_hash: str) -> str | None:
    """The identifier of the entry whose current content has ``content_hash``, if exactly one has."""
    from sqlalchemy import select

    from catalog.models import Entry

    if not content_hash:
        return None
    owners = session.scalars(select(Entry.identifier).where(Entry.content_hash == content_hash).limit(2)).all()
    return owners[0] if len(owners) == 1 else None


def _decide(check: _RowCheck, number: int, ident: str, decision: str, comment: str | None, version: int,
            entry: Any) -> RowOutcome:
    session, reviewer = check.session, check.reviewer
    if decision == REJECT and comment is None:
        return _refused(number, ident, decision, "'ablehnen' needs a comment in the column Kommentar",
                        f"Zeile {number} ({ident}): Eine Ablehnung braucht einen Kommentar.")
    try:
        if decision == APPROVE:
            result = approve(session, ident, reviewer, comment, version=version, content_hash=entry.content_hash)
        else:
            result = reject(session, ident, reviewer, comment, version=version, content_hash=entry.content_hash)
    except ApprovalRefused as exc:
        return _refused(number, ident, decision, str(exc).split(": ", 1)[1], f"Zeile {number}: {exc.message_de}")
    except ReviewError as exc:
        message = str(exc)
        if message.startswith(f"{ident}: "):
            message = message[len(ident) + 2:]
        return _refused(number, ident, decision, message, exc.message_de)
    if not result.recorded:
        return RowOutcome(number, ident, decision, "skipped", f"row {number} ({ident}): {result.note}")
    return RowOutcome(number, ident, decision, "applied",
                      f"row {number} ({ident}): {result.state_from} -> {result.state_to}")
