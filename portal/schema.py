"""The Solr schema as the stand-in understands it: field types, fields, dynamic fields, copy fields.

The stand-in reads CKAN's own ``schema.xml`` rather than hard-coding CKAN's fields, so that the
same file CKAN checks at start-up (its ``name="ckan-2.11"``) also decides how each field is
indexed: ``tags`` as exact multi-valued strings, ``notes`` as stemmed text, ``extras_*`` as text,
everything listed as a ``copyField`` source also in the ``text`` catch-all, and so on.
"""

from __future__ import annotations

import enum
import fnmatch
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as SafeET

from portal.analysis import Analyzer, AnalyzerSpec, build_analyzer

log = logging.getLogger(__name__)


class SchemaError(ValueError):
    """The schema file cannot be used."""


class Kind(enum.StrEnum):
    """How values of a field type are indexed and compared."""

    STRING = "string"
    TEXT = "text"
    BOOLEAN = "boolean"
    INT = "int"
    FLOAT = "float"
    DATE = "date"
    BINARY = "binary"


_CLASS_KINDS = {
    "StrField": Kind.STRING,
    "UUIDField": Kind.STRING,
    "EnumFieldType": Kind.STRING,
    "TextField": Kind.TEXT,
    "SortableTextField": Kind.TEXT,
    "BoolField": Kind.BOOLEAN,
    "IntPointField": Kind.INT,
    "LongPointField": Kind.INT,
    "TrieIntField": Kind.INT,
    "TrieLongField": Kind.INT,
    "FloatPointField": Kind.FLOAT,
    "DoublePointField": Kind.FLOAT,
    "TrieFloatField": Kind.FLOAT,
    "TrieDoubleField": Kind.FLOAT,
    "DatePointField": Kind.DATE,
    "TrieDateField": Kind.DATE,
    "BinaryField": Kind.BINARY,
}


@dataclass(frozen=True)
class FieldType:
    """A ``<fieldType>``: how its values are analysed, with the defaults its fields inherit."""

    name: str
    kind: Kind
    index_analyzer: Analyzer | None
    query_analyzer: Analyzer | None
    position_gap: int
    defaults: dict[str, str]

    @property
    def ngram(self) -> tuple[int, int] | None:
        """Gram sizes when the index analyzer produces n-grams (matched as substrings)."""
        return self.index_analyzer.ngram if self.index_analyzer else None


@dataclass(frozen=True)
class FieldDef:
    """A ``<field>`` or ``<dynamicField>`` with its effective properties."""

    name: str
    type: FieldType
    indexed: bool
    stored: bool
    multi_valued: bool
    required: bool
    omit_norms: bool
    default: str | None
    dynamic: bool = False

    @property
    def kind(self) -> Kind:
        """The kind of the field's type."""
        return self.type.kind

    @property
    def tokenized(self) -> bool:
        """True for text fields, whose values are split into terms."""
        return self.type.kind is Kind.TEXT


def _bool_attr(attrs: dict[str, str], name: str, default: bool) -> bool:
    value = attrs.get(name)
    if value is None:
        return default
    return value.strip().lower() == "true"


def _local(tag: Any) -> str:
    return str(tag).rsplit("}", 1)[-1]


def _parse_analyzer(element: Any) -> AnalyzerSpec:
    tokenizer: tuple[str, dict[str, str]] = ("solr.StandardTokenizerFactory", {})
    filters: list[tuple[str, dict[str, str]]] = []
    for child in element:
        tag = _local(child.tag)
        attrs = dict(child.attrib)
        class_name = attrs.pop("class", attrs.pop("name", ""))
        if tag == "tokenizer":
            tokenizer = (class_name, attrs)
        elif tag == "filter":
            filters.append((class_name, attrs))
        elif tag == "charFilter":
            log.warning("char filter %s is not supported and is skipped", class_name)
    return AnalyzerSpec(tokenizer, tuple(filters))


def _parse_field_type(element: Any) -> FieldType:
    attrs = dict(element.attrib)
    name = attrs.get("name", "")
    class_name = attrs.get("class", "").rsplit(".", 1)[-1]
    kind = _CLASS_KINDS.get(class_name)
    if kind is None:
        log.warning("field type %s (%s) is treated as a string type", name, class_name)
        kind = Kind.STRING
    index_analyzer: Analyzer | None = None
    query_analyzer: Analyzer | None = None
    if kind is Kind.TEXT:
        for child in element:
            if _local(child.tag) != "analyzer":
                continue
            analyzer = build_analyzer(_parse_analyzer(child))
            phase = child.attrib.get("type", "")
            if phase in ("", "index"):
                index_analyzer = analyzer
            if phase in ("", "query"):
                query_analyzer = analyzer
        default = build_analyzer(AnalyzerSpec(("solr.StandardTokenizerFactory", {})))
        index_analyzer = index_analyzer or query_analyzer or default
        query_analyzer = query_analyzer or index_analyzer
    gap = int(attrs.get("positionIncrementGap", "0") or 0)
    return FieldType(name, kind, index_analyzer, query_analyzer, gap, attrs)


def _make_field(element: Any, types: dict[str, FieldType], dynamic: bool) -> FieldDef:
    attrs = dict(element.attrib)
    name = attrs.get("name", "")
    type_name = attrs.get("type", "")
    if type_name not in types:
        raise SchemaError(f"field {name!r} has unknown type {type_name!r}")
    field_type = types[type_name]

    def effective(key: str, default: bool) -> bool:
        return _bool_attr(attrs, key, _bool_attr(field_type.defaults, key, default))

    return FieldDef(
        name=name,
        type=field_type,
        indexed=effective("indexed", True) and field_type.kind is not Kind.BINARY,
        stored=effective("stored", True),
        multi_valued=effective("multiValued", False),
        required=effective("required", False),
        omit_norms=effective("omitNorms", field_type.kind is not Kind.TEXT),
        default=attrs.get("default"),
        dynamic=dynamic,
    )


class Schema:
    """A parsed ``schema.xml``: field lookup (exact, then dynamic patterns) and copy rules."""

    def __init__(self, text: bytes, path: Path | None = None) -> None:
        try:
            root = SafeET.fromstring(text)
        except SafeET.ParseError as exc:
            raise SchemaError(f"schema {path or ''} is not valid XML: {exc}") from exc
        if _local(root.tag) != "schema":
            raise SchemaError(f"{path or 'schema'} has no <schema> root element")
        self.text = text
        self.path = path
        self.name = root.attrib.get("name", "")
        self.version = root.attrib.get("version", "")
        types: dict[str, FieldType] = {}
        for element in root.iter():
            if _local(element.tag).lower() == "fieldtype":
                field_type = _parse_field_type(element)
                types[field_type.name] = field_type
        self.types = types
        self.fields: dict[str, FieldDef] = {}
        dynamic: list[FieldDef] = []
        copies: list[tuple[str, str]] = []
        unique_key = ""
        for element in root.iter():
            tag = _local(element.tag)
            if tag == "field":
                field_def = _make_field(element, types, dynamic=False)
                self.fields[field_def.name] = field_def
            elif tag == "dynamicField":
                dynamic.append(_make_field(element, types, dynamic=True))
            elif tag == "copyField":
                copies.append((element.attrib.get("source", ""), element.attrib.get("dest", "")))
            elif tag == "uniqueKey":
                unique_key = (element.text or "").strip()
        # Solr tries longer dynamic patterns first; equal lengths keep schema order.
        self.dynamic = sorted(dynamic, key=lambda f: -len(f.name))
        self.copy_fields = copies
        if not unique_key:
            raise SchemaError(f"{path or 'schema'} declares no <uniqueKey>")
        self.unique_key = unique_key
        self.field = lru_cache(maxsize=4096)(self._resolve)
        self.copy_targets = lru_cache(maxsize=4096)(self._copy_targets)

    @classmethod
    def load(cls, path: Path) -> Schema:
        """Read and parse a schema file."""
        try:
            text = path.read_bytes()
        except OSError as exc:
            raise SchemaError(f"cannot read schema {path}: {exc}") from exc
        return cls(text, path)

    def _resolve(self, name: str) -> FieldDef | None:
        if name in self.fields:
            return self.fields[name]
        for candidate in self.dynamic:
            if _pattern_matches(candidate.name, name):
                return candidate
        return None

    def _copy_targets(self, source: str) -> tuple[str, ...]:
        targets: list[str] = []
        for pattern, dest in self.copy_fields:
            if not _pattern_matches(pattern, source) or dest == source:
                continue
            if "*" in dest and "*" in pattern:
                dest = dest.replace("*", _glob_part(pattern, source))
            targets.append(dest)
        return tuple(targets)

    @property
    def required_fields(self) -> list[FieldDef]:
        """Fields every document must carry (after defaults are applied)."""
        return [f for f in self.fields.values() if f.required]

    @property
    def default_fields(self) -> list[FieldDef]:
        """Fields that receive a default value when a document lacks them."""
        return [f for f in self.fields.values() if f.default is not None]


def _pattern_matches(pattern: str, name: str) -> bool:
    if "*" not in pattern:
        return pattern == name
    if pattern == "*":
        return True
    return fnmatch.fnmatchcase(name, pattern)


def _glob_part(pattern: str, name: str) -> str:
    if pattern.startswith("*"):
        return name[: len(name) - len(pattern) + 1]
    return name[len(pattern) - 1 :]
