"""Turning an incoming Solr document into what the stand-in stores and indexes.

Validation follows Solr's rules for the schema (unknown fields, several values in a single-valued
field, malformed numbers and dates, a missing unique key are errors), so that a document CKAN could
not index on a production Solr fails here too, with a message in Solr's wording.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from portal.datemath import DateError, format_date, parse_date, to_millis
from portal.schema import FieldDef, Kind, Schema


class DocumentError(ValueError):
    """A document cannot be indexed under the schema (HTTP 400 in Solr)."""


Value = str | int | float | bool


@dataclass(frozen=True)
class PostingRow:
    """One (field, term) of one document: term frequency, field length, numeric value, positions."""

    field: str
    term: str
    tf: int
    length: int
    number: float | None
    positions: str | None


@dataclass
class PreparedDoc:
    """A validated document: its stored source and everything that goes into the index tables."""

    key: str
    source: dict[str, list[Value]]
    postings: list[PostingRow] = field(default_factory=list)
    substrings: list[tuple[str, str]] = field(default_factory=list)
    lengths: dict[str, int] = field(default_factory=dict)

    def source_json(self) -> str:
        """The source as compact JSON, the form kept in the ``docs`` table."""
        return json.dumps(self.source, ensure_ascii=False, separators=(",", ":"))


def _scalar_values(name: str, raw: Any, key: str) -> list[Any]:
    values = raw if isinstance(raw, list | tuple) else [raw]
    out: list[Any] = []
    for value in values:
        if value is None:
            continue
        if isinstance(value, dict):
            raise DocumentError(
                f"ERROR: [doc={key}] field '{name}': atomic updates and nested documents are not "
                "supported by the development stand-in"
            )
        if isinstance(value, list | tuple):
            out.extend(v for v in value if v is not None)
        else:
            out.append(value)
    return out


def convert(
    field_def: FieldDef, name: str, value: Any, key: str, now: datetime
) -> tuple[Value, str, float | None]:
    """Return (stored value, index term, numeric value) of one value, or raise DocumentError."""
    kind = field_def.kind
    try:
        if kind is Kind.BOOLEAN:
            flag = value if isinstance(value, bool) else str(value)[:1] in ("t", "T", "1")
            return flag, "true" if flag else "false", None
        if kind is Kind.INT:
            if isinstance(value, (bool, float)):
                raise ValueError(value)
            number = int(str(value).strip())
            return number, str(number), float(number)
        if kind is Kind.FLOAT:
            if isinstance(value, bool):
                raise ValueError(value)
            real = float(value)
            if math.isnan(real):
                raise ValueError(value)
            return real, repr(real), real
        if kind is Kind.DATE:
            moment = parse_date(str(value), now)
            text = format_date(moment)
            return text, text, float(to_millis(moment))
    except (ValueError, DateError) as exc:
        raise DocumentError(f"ERROR: [doc={key}] Error adding field '{name}'='{value}' msg={exc}") from exc
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return text, text, None


def _text_rows(field_def: FieldDef, name: str, values: Iterable[str]) -> tuple[list[PostingRow], int]:
    analyzer = field_def.type.index_analyzer
    assert analyzer is not None
    gap = field_def.type.position_gap
    stats: dict[str, list[int]] = {}
    length = 0
    offset = 0
    last = -1
    for index, value in enumerate(values):
        if index:
            offset = last + gap + 1
        for token in analyzer.analyze(value):
            position = token.position + offset
            stats.setdefault(token.text, []).append(position)
            last = max(last, position)
            if not token.overlap:
                length += 1
    rows = [
        PostingRow(name, term, len(positions), length, None, ",".join(map(str, positions)))
        for term, positions in stats.items()
    ]
    return rows, length


def _plain_rows(name: str, terms: list[tuple[str, float | None]]) -> list[PostingRow]:
    counts: dict[str, tuple[int, float | None]] = {}
    for term, number in terms:
        tf, _ = counts.get(term, (0, None))
        counts[term] = (tf + 1, number)
    return [PostingRow(name, term, tf, len(terms), number, None) for term, (tf, number) in counts.items()]


class DocumentBuilder:
    """Validates documents against a schema and computes their index rows."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema

    def _field(self, name: str, key: str) -> FieldDef:
        field_def = self.schema.field(name)
        if field_def is None:
            raise DocumentError(f"ERROR: [doc={key}] unknown field '{name}'")
        return field_def

    def prepare(self, doc: Mapping[str, Any], now: datetime | None = None) -> PreparedDoc:
        """Validate ``doc`` and build its stored source and index rows."""
        now = now or datetime.now(UTC)
        unique = self.schema.unique_key
        key_values = _scalar_values(unique, doc.get(unique), "")
        if not key_values or str(key_values[0]) == "":
            raise DocumentError(f"Document is missing mandatory uniqueKey field: {unique}")
        key = str(key_values[0])
        source: dict[str, list[Value]] = {}
        for name, raw in doc.items():
            field_def = self._field(name, key)
            values = _scalar_values(name, raw, key)
            if not values:
                continue
            if len(values) > 1 and not field_def.multi_valued:
                raise DocumentError(
                    f"ERROR: [doc={key}] multiple values encountered for non multiValued field {name}: {values}"
                )
            source[name] = [convert(field_def, name, v, key, now)[0] for v in values]
        for field_def in self.schema.default_fields:
            if field_def.name not in source and field_def.default is not None:
                source[field_def.name] = [convert(field_def, field_def.name, field_def.default, key, now)[0]]
        for field_def in self.schema.required_fields:
            if field_def.name not in source:
                raise DocumentError(f"ERROR: [doc={key}] missing required field: {field_def.name}")
        return self.index_rows(key, source, now)

    def copies(self, source: Mapping[str, list[Value]], key: str) -> dict[str, list[Value]]:
        """Values that copyField rules add to destination fields (before conversion)."""
        copied: dict[str, list[Value]] = {}
        for name, values in source.items():
            for dest in self.schema.copy_targets(name):
                copied.setdefault(dest, []).extend(values)
        for dest, values in copied.items():
            dest_def = self._field(dest, key)
            if len(values) + len(source.get(dest, [])) > 1 and not dest_def.multi_valued:
                raise DocumentError(
                    f"ERROR: [doc={key}] multiple values encountered for non multiValued copy field {dest}: {values}"
                )
        return copied

    def index_rows(
        self, key: str, source: dict[str, list[Value]], now: datetime | None = None
    ) -> PreparedDoc:
        """Compute postings, substring rows and field lengths for a validated source."""
        now = now or datetime.now(UTC)
        prepared = PreparedDoc(key, source)
        fields: dict[str, list[Value]] = {name: list(values) for name, values in source.items()}
        for dest, values in self.copies(source, key).items():
            fields.setdefault(dest, []).extend(values)
        for name, values in fields.items():
            field_def = self._field(name, key)
            if not field_def.indexed:
                continue
            if field_def.kind is Kind.TEXT:
                texts = [convert(field_def, name, v, key, now)[1] for v in values]
                analyzer = field_def.type.index_analyzer
                if field_def.type.ngram and analyzer is not None:
                    prepared.substrings.extend((name, analyzer.normalize(t)) for t in texts)
                    continue
                rows, length = _text_rows(field_def, name, texts)
            else:
                terms = [convert(field_def, name, v, key, now)[1:] for v in values]
                rows = _plain_rows(name, terms)
                length = len(terms)
            if rows:
                prepared.postings.extend(rows)
                prepared.lengths[name] = length
        return prepared

    def stored_fields(self, source: Mapping[str, list[Value]], key: str) -> dict[str, Value | list[Value]]:
        """The stored view of a document as Solr returns it (single values unwrapped)."""
        out: dict[str, Value | list[Value]] = {}
        fields: dict[str, list[Value]] = dict(source)
        for dest, values in self.copies(source, key).items():
            dest_def = self.schema.field(dest)
            if dest_def is not None and dest_def.stored:
                converted = [convert(dest_def, dest, v, key, datetime.now(UTC))[0] for v in values]
                fields[dest] = [*fields.get(dest, []), *converted]
        for name, values in fields.items():
            field_def = self.schema.field(name)
            if field_def is None or not field_def.stored:
                continue
            out[name] = list(values) if field_def.multi_valued else values[0]
        return out
