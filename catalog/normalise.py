"""Normalise raw answers (as typed into a survey cell or carried by a harvested record) into entry values.

Every automatic correction becomes an ``info`` finding that shows the value before and after; what
cannot be resolved becomes a ``warning`` or ``error`` finding on the field, and the value stays empty:
never a guess. Record-level rules (required fields, conditions between fields) belong to validation.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from catalog.fields import BY_KEY, FIELDS, NO_WORDS, YES_WORDS, Field, Kind, Need
from catalog.findings import Finding, finding
from catalog.keywords import clean_keyword
from catalog.vocabulary import Vocabularies, clean_blanks, clean_key, clean_text, vocabularies

EMAIL_PATTERN = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,}$")
URL_PATTERN = re.compile(r"^https?://[^\s/$.?#][^\s]*\.[^\s]{2,}$|^https?://(localhost|\d{1,3}(\.\d{1,3}){3})(:\d+)?(/\S*)?$", re.I)
_SPLIT = re.compile(r"\s*[;\n\r|]+\s*")
_SPLIT_COMMA = re.compile(r"\s*,\s*")
_MONTHS = {
    "januar": 1, "jan": 1, "jänner": 1, "februar": 2, "feb": 2, "märz": 3, "maerz": 3, "mär": 3, "mrz": 3,
    "april": 4, "apr": 4, "mai": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9, "oktober": 10, "okt": 10, "november": 11, "nov": 11,
    "dezember": 12, "dez": 12, "january": 1, "february": 2, "march": 3, "may": 5, "june": 6, "july": 7,
    "october": 10, "oct": 10, "december": 12, "dec": 12,
}
_EXCEL_EPOCH = dt.date(1899, 12, 30)


@dataclass
class Normalised:
    """The outcome of normalising one record: values by field key, and the findings on its fields."""

    values: dict[str, Any]
    findings: list[Finding] = field(default_factory=list)


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        text = value.strip()
        if text.isascii():  # the quick way to what clean_text would leave: blanks and trailing dots gone
            return not text.rstrip(".").strip()
        return not clean_text(text)
    return isinstance(value, float) and value != value  # NaN from a spreadsheet reader


def _as_text(value: Any) -> str:
    """A cell's value as the text a person sees (2021.0 -> "2021")."""
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _clean_long(text: str) -> str:
    lines = [clean_blanks(line) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(lines).strip()


class _Context:
    """Collects findings for one field while its value is normalised."""

    def __init__(self, spec: Field, raw: Any, vocab: Vocabularies) -> None:
        self.spec = spec
        self.raw = raw
        self.vocab = vocab
        self.findings: list[Finding] = []

    def add(self, code: str, **params: Any) -> None:
        params.setdefault("label", self.spec.label)
        params.setdefault("field", self.spec.key)
        value = params.pop("value", _as_text(self.raw))
        self.findings.append(finding(code, value=value, **params))

    def corrected(self, before: str, after: str) -> None:
        if before != after:
            self.add("value-corrected", before=before, after=after)

    @property
    def strict(self) -> bool:
        """Whether an unusable value blocks approval (required fields) or is only a warning."""
        return self.spec.need in (Need.REQUIRED, Need.CONDITIONAL)


def _severity(ctx: _Context) -> dict[str, Any]:
    return {} if ctx.strict else {"severity": "warning"}


def _label_of(ctx: _Context, value: str) -> str:
    scheme = ctx.spec.vocabulary
    return ctx.vocab.label(scheme, value) or value if scheme else value


def _hint(ctx: _Context, candidates: tuple[Any, ...]) -> dict[str, str]:
    if not candidates:
        return {}
    names = ", ".join(f"„{c.label}“" for c in candidates[:3])
    return {"hint": f" (meinten Sie {names}?)", "hint_en": f" (did you mean {', '.join(c.en for c in candidates[:3])}?)"}


def _code(ctx: _Context, text: str) -> str | None:
    """One vocabulary value; yes/no words count for the three-valued questions."""
    scheme = ctx.spec.vocabulary
    assert scheme is not None
    if clean_key(text) in ctx.spec.none_words:
        return None
    if scheme in ("personal_data", "third_party_rights", "publish_proposal", "protected_listing"):
        key = clean_key(text)
        if key in YES_WORDS or key in NO_WORDS:
            value = "yes" if key in YES_WORDS else "no"
            ctx.corrected(text, _label_of(ctx, value))
            return value
    match = ctx.vocab.lookup(scheme, text)
    if match.status == "exact":
        return match.value
    if match.status == "corrected":
        ctx.corrected(text, match.concept.label if match.concept else "")
        return match.value
    if match.status == "ambiguous":
        ctx.add(
            "ambiguous-value",
            value=text,
            options=" oder ".join(f"„{c.label}“" for c in match.candidates[:4]),
            options_en=" or ".join(c.en for c in match.candidates[:4]),
            **_severity(ctx),
        )
        return None
    ctx.add("unknown-value", value=text, **_hint(ctx, match.candidates), **_severity(ctx))
    return None


def _split_codes(ctx: _Context, text: str) -> list[str]:
    """Several vocabulary values: the whole text first (labels may hold commas), then ``;`` and ``,``."""
    scheme = ctx.spec.vocabulary
    assert scheme is not None
    whole = ctx.vocab[scheme].lookup(text, near=False)
    if whole.ok:
        value = _code(ctx, text)
        return [value] if value else []
    values: list[str] = []
    for part in _SPLIT.split(text):
        if not clean_text(part):
            continue
        pieces = [part]
        if "," in part and not ctx.vocab[scheme].lookup(part, near=False).ok:
            pieces = [p for p in _SPLIT_COMMA.split(part) if clean_text(p)]
        for piece in pieces:
            value = _code(ctx, piece)
            if value and value not in values:
                values.append(value)
    return values


def _keywords(ctx: _Context, text: str) -> list[str]:
    """Keywords as portals carry them (:mod:`catalog.keywords`); a keyword that had to change, or cannot be
    kept, is reported with its spelling before and after, so the department sees what will be published."""
    out: list[str] = []
    seen: set[str] = set()
    for part in re.split(r"\s*[;,\n\r]+\s*", text):
        word = clean_blanks(part).strip("\"'„“”").rstrip(".")
        if not word:
            continue
        cleaned = clean_keyword(word)
        if cleaned is None:
            ctx.add("keyword-dropped", value=word)
            continue
        if cleaned != word:
            ctx.add("keyword-changed", before=word, after=cleaned, value=word)
        if cleaned.casefold() not in seen:
            seen.add(cleaned.casefold())
            out.append(cleaned)
    return out


def _email(ctx: _Context, text: str) -> str | None:
    value = clean_text(text).strip("<>")
    value = re.sub(r"(?i)^mailto:\s*", "", value).strip()
    parts = [p for p in re.split(r"[;,\s]+", value) if p]
    if len(parts) > 1 and all(EMAIL_PATTERN.match(p) for p in parts):
        value = parts[0]
    if not EMAIL_PATTERN.match(value):
        ctx.add("invalid-email", value=text, **_severity(ctx))
        return None
    local, _, domain = value.partition("@")
    value = f"{local}@{domain.lower()}"
    ctx.corrected(text, value)
    return value


def _url(ctx: _Context, text: str) -> str | None:
    value = clean_text(text).strip("<>")
    if re.match(r"(?i)^www\.", value):
        value = "https://" + value
    if not URL_PATTERN.match(value):
        ctx.add("invalid-url", value=text)
        return None
    ctx.corrected(text, value)
    return value


def _two_digit_year(yy: int, today: dt.date) -> int:
    pivot = (today.year % 100) + 10
    return 2000 + yy if yy <= pivot else 1900 + yy


def parse_date(value: Any, *, end: bool = False, today: dt.date | None = None) -> dt.date | None:
    """Read a date as people write it; a month or a year means its first day (or its last with ``end``).

    Accepts real dates, Excel serial numbers, ``01.03.2021``, ``1.3.21``, ``2021-03-01``, ``03/2021``,
    ``März 2021``, ``2021``. Returns None when the value is no date.
    """
    today = today or dt.date.today()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
        if number.is_integer() and 1000 <= number <= 2999:
            return _year(int(number), end)
        if 20000 <= number <= 80000:  # Excel serial day number of a cell formatted as a number
            return _EXCEL_EPOCH + dt.timedelta(days=int(number))
        return None
    text = clean_text(str(value)).casefold()
    text = re.sub(r"^(ab|seit|bis|von|stand:?)\s+", "", text)
    try:
        if m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ t][\d:.]+z?)?", text):
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        if m := re.fullmatch(r"(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{2}|\d{4})", text):
            year = int(m[3]) if len(m[3]) == 4 else _two_digit_year(int(m[3]), today)
            return dt.date(year, int(m[2]), int(m[1]))
        if m := re.fullmatch(r"(\d{1,2})\s*[/.-]\s*(\d{4})", text):
            return _month(int(m[2]), int(m[1]), end)
        if m := re.fullmatch(r"(\d{4})\s*[/-]\s*(\d{1,2})", text):
            return _month(int(m[1]), int(m[2]), end)
        if m := re.fullmatch(r"([a-zäöü]+)\.?\s+(\d{4})", text):
            month = _MONTHS.get(m[1])
            return _month(int(m[2]), month, end) if month else None
        if m := re.fullmatch(r"(\d{4})", text):
            return _year(int(m[1]), end)
    except ValueError:
        return None
    return None


def _year(year: int, end: bool) -> dt.date:
    return dt.date(year, 12, 31) if end else dt.date(year, 1, 1)


def _month(year: int, month: int, end: bool) -> dt.date:
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, last if end else 1)


def _date(ctx: _Context, raw: Any, today: dt.date) -> str | None:
    parsed = parse_date(raw, end=ctx.spec.kind == Kind.DATE_END, today=today)
    if parsed is None:
        ctx.add("invalid-date", value=_as_text(raw), **_severity(ctx))
        return None
    value = parsed.isoformat()
    if not isinstance(raw, (dt.date, dt.datetime)):
        ctx.corrected(_as_text(raw), value)
    return value


# A lone dot, comma or dash at either end of a one-line value, set apart by a blank ("Baumkataster ."):
# typed by slip, dropped as a person would (an attached dot, "Nr.", stays).
_STRAY = re.compile(r"^[.,;:\-–—]+\s+|\s+[.,;:\-–—]+$")


def _as_seen(text: str) -> str:
    """``text`` as one sees it: Unicode composed form, every blank a plain space, only the ends trimmed."""
    return re.sub(r"\s", " ", unicodedata.normalize("NFC", text)).strip()


def _one_line(ctx: _Context, original: str) -> str:
    """A one-line value tidied as a person would: blanks folded (doubled spaces, line breaks), stray
    punctuation at its ends dropped; recorded as a correction when that changed what one sees."""
    value = clean_blanks(original.replace("\n", " "))
    while (tidied := clean_blanks(_STRAY.sub("", value))) != value:
        value = tidied
    if ctx.spec.kind == Kind.TEXT and value and value != _as_seen(original):
        ctx.corrected(original.strip(), value)
    return value


def _text(ctx: _Context, raw: Any) -> str | None:
    original = _as_text(raw)
    value = _clean_long(original) if ctx.spec.kind == Kind.LONGTEXT else _one_line(ctx, original)
    if ctx.spec.kind == Kind.IDENTIFIER:
        value = value.upper()
    if ctx.spec.max_length and len(value) > ctx.spec.max_length:
        ctx.add("too-long", length=len(value), limit=ctx.spec.max_length)
    return value or None


# How each kind of field is normalised (free text when the kind is not listed).
_HANDLERS: dict[Kind, Callable[[_Context, Any, dt.date], Any]] = {
    Kind.CODE: lambda ctx, raw, today: _code(ctx, _as_text(raw)),
    Kind.CODES: lambda ctx, raw, today: _split_codes(ctx, _as_text(raw)),
    Kind.KEYWORDS: lambda ctx, raw, today: _keywords(ctx, _as_text(raw)),
    Kind.EMAIL: lambda ctx, raw, today: _email(ctx, _as_text(raw)),
    Kind.URL: lambda ctx, raw, today: _url(ctx, _as_text(raw)),
    Kind.DATE: _date,
    Kind.DATE_START: _date,
    Kind.DATE_END: _date,
}


def _free_text(ctx: _Context, raw: Any, today: dt.date) -> str | None:
    return _text(ctx, raw)


def normalise_value(spec: Field, raw: Any, *, vocab: Vocabularies | None = None, today: dt.date | None = None) -> tuple[Any, list[Finding]]:
    """Normalise one field's raw value; returns the value (None or [] when empty) and the findings.

    Control characters are removed first (a correction, recorded with the value before, its control
    characters shown as ``\\xNN``); a text longer than its column in the store is cut to it, with an
    error finding. So SQLite and PostgreSQL store the same value, and neither refuses it.
    """
    cleaned: list[Finding] = []
    if isinstance(raw, str) and CONTROL_CHARACTERS.search(raw):
        raw, cleaned = _without_controls(spec, raw)
    if _blank(raw):
        return ([] if spec.is_list else None), cleaned
    ctx = _Context(spec, raw, vocab or vocabularies())
    value = _HANDLERS.get(spec.kind, _free_text)(ctx, raw, today or dt.date.today())
    limit = _stored_lengths().get(spec.key)
    if isinstance(value, str) and limit is not None and len(value) > limit:
        ctx.add("value-truncated", value=visible(value[:200]) + "…", length=len(value), limit=limit)
        value = value[:limit]
    return value, cleaned + ctx.findings


# Control characters no answer means to hold: C0 (but tab, line feed, carriage return), DEL, C1, lone
# surrogates and the two non-characters. Those that separate words become a blank, the others go.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_SEPARATING = re.compile("[\x0b\x0c\x1c-\x1f\x85]")


def visible(text: str) -> str:
    """``text`` with its control characters written as escapes (``\\x1b``, ``\\ud800``): what a terminal,
    an export or a finding shows instead of acting on them."""
    return CONTROL_CHARACTERS.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _without_controls(spec: Field, raw: str) -> tuple[str, list[Finding]]:
    count = len(CONTROL_CHARACTERS.findall(raw))
    text = CONTROL_CHARACTERS.sub("", _SEPARATING.sub(" ", raw))
    shown = visible(raw if len(raw) <= 300 else raw[:300] + "…")
    return text, [finding("control-characters-removed", value=shown, label=spec.label, field=spec.key, count=count)]


@functools.cache
def _stored_lengths() -> dict[str, int]:
    """The length of each field's column in the store (text fields only)."""
    from catalog.models import Entry

    lengths: dict[str, int] = {}
    for spec in FIELDS:
        column = Entry.__table__.columns.get(spec.key)
        length = getattr(column.type, "length", None) if column is not None else None
        if isinstance(length, int):
            lengths[spec.key] = length
    return lengths


def normalise_record(raw: Mapping[str, Any], *, vocab: Vocabularies | None = None, today: dt.date | None = None) -> Normalised:
    """Normalise every survey field present in ``raw`` (keys are field keys); absent fields become empty."""
    return Normaliser(vocab=vocab, today=today).record(raw)


# Kinds whose values repeat across rows (a few dozen spellings of a licence, a date, an address):
# worth remembering. Free text is nearly always new, so it is normalised each time.
_REPEATING = frozenset({Kind.CODE, Kind.CODES, Kind.EMAIL, Kind.URL, Kind.DATE, Kind.DATE_START, Kind.DATE_END})


class Normaliser:
    """Normalises many records with one vocabulary and date, remembering the outcome for repeated values.

    A campaign holds thousands of rows but only a few hundred distinct coded answers, so the second
    "Datenlizenz Deutschland Namensnennung 2.0" costs a dictionary look-up. The memory is bounded.
    """

    LIMIT = 50_000

    def __init__(self, *, vocab: Vocabularies | None = None, today: dt.date | None = None) -> None:
        self.vocab = vocab or vocabularies()
        self.today = today or dt.date.today()
        self._memo: dict[tuple[str, type, Any], tuple[Any, tuple[Finding, ...]]] = {}

    def value(self, spec: Field, raw: Any) -> tuple[Any, list[Finding]]:
        """As :func:`normalise_value`; lists returned are the caller's own."""
        if spec.kind not in _REPEATING or raw is None:
            return normalise_value(spec, raw, vocab=self.vocab, today=self.today)
        key = (spec.key, type(raw), raw)
        try:
            known = self._memo.get(key)
        except TypeError:  # an unhashable value: nothing to remember
            return normalise_value(spec, raw, vocab=self.vocab, today=self.today)
        if known is None:
            value, found = normalise_value(spec, raw, vocab=self.vocab, today=self.today)
            if len(self._memo) >= self.LIMIT:
                self._memo.clear()
            known = self._memo[key] = (value, tuple(found))
        value, found_t = known
        return (list(value) if isinstance(value, list) else value), list(found_t)

    def record(self, raw: Mapping[str, Any]) -> Normalised:
        """Normalise every survey field present in ``raw``; absent fields become empty."""
        out = Normalised(values={})
        for spec in FIELDS:
            value, found = self.value(spec, raw.get(spec.key))
            out.values[spec.key] = value
            out.findings.extend(found)
        return out


def spatial_uri(scope: str | None, geocoding_uri: str) -> str | None:
    """The entry's spatial URI: the city's municipality key unless the data has no spatial reference."""
    if scope is None or scope == "none":
        return None
    return geocoding_uri


__all__ = ["BY_KEY", "CONTROL_CHARACTERS", "Normalised", "Normaliser", "normalise_record", "normalise_value", "parse_date",
           "spatial_uri", "visible"]
