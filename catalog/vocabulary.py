"""Controlled vocabularies of the inventory, and the one lookup that maps any accepted spelling to a concept.

The vocabularies are data (``catalog/data/vocabularies.yaml``): the EU authority tables (themes,
frequencies, file types, access rights), the dcat-ap.de licences, HVD categories, political geocoding
levels, publisher types, and the survey's own short lists (yes/no answers, kind of data, spatial scope).

A lookup answers with a :class:`Match`: ``exact`` (the value as offered), ``corrected`` (resolved from
another accepted spelling: the caller records the correction), ``ambiguous`` (several concepts fit:
never guessed), ``unknown`` or ``empty``. An IRI in the scheme's own namespace or in one it lists as
``namespaces`` is read by its last part, as a person who knows the vocabulary reads it:
``…/file-type/WMS`` is the WMS service, ``…/frequency/IRREGULAR`` irregular,
``http://www.iana.org/assignments/media-types/text/csv`` CSV, ``http://purl.org/cld/freq/daily`` daily.

The older German category scheme (GovData's "Kategorien" of the OGD metadata, ``Transport und Verkehr``,
``Umwelt und Klima``, ...) is data beside the vocabularies too (``catalog/data/govdata-categories.yaml``):
:func:`older_categories` reads a category by its name, its label or an IRI ending in either, and gives
the EU data themes GovData maps it to.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Literal
from urllib.parse import unquote, urlsplit

import yaml

MatchStatus = Literal["exact", "corrected", "ambiguous", "unknown", "empty"]

_SPACES = re.compile(r"[\s\u00a0\u2007\u202f\u2060\ufeff]+")
_DASHES = re.compile(r"[\u2010\u2011\u2012\u2013\u2014\u2015\u2212]")
_TRANSLIT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def clean_blanks(value: str) -> str:
    """Unicode composed form, any kind of blank folded to one space, trimmed: for free text."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", value)).strip()


def clean_text(value: str) -> str:
    """Fold what people type around a coded value: Unicode forms, any kind of blank, dashes, trailing dots."""
    text = unicodedata.normalize("NFKC", value)
    text = _DASHES.sub("-", text)
    text = _SPACES.sub(" ", text).strip()
    return text.rstrip(".").strip()


def clean_key(value: str) -> str:
    """Case-insensitive key of a value after :func:`clean_text`."""
    return clean_text(value).casefold()


def loose_key(value: str) -> str:
    """A key that ignores case, umlaut spelling (``taeglich``), punctuation and blanks (``DL-DE->BY-2.0``)."""
    text = clean_key(value).translate(_TRANSLIT)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _NON_ALNUM.sub("", text)


def _uri_key(value: str) -> str | None:
    """Normalise a URI-looking value so http/https, ``www.`` and a trailing slash do not matter."""
    text = clean_text(value)
    if not re.match(r"(?i)^https?://", text):
        return None
    text = re.sub(r"(?i)^https?://(www\.)?", "http://", text).rstrip("/")
    return text.casefold()


@dataclass(frozen=True)
class Concept:
    """One value of a vocabulary."""

    scheme: str
    code: str
    de: str
    en: str
    uri: str | None = None
    survey: str | None = None
    aliases: tuple[str, ...] = ()
    offered: bool = False
    open: bool | None = None
    attribution: bool | None = None
    url: str | None = None
    non_proprietary: bool | None = None
    machine_readable: bool | None = None
    hvd: bool | None = None  # a licence at least as permissive as CC BY 4.0 (Regulation (EU) 2023/138)
    file_type: str | None = None  # an interface kind's EU file-type code (WMS -> WMS_SRVC)
    standard: str | None = None  # the specification an interface kind conforms to

    @property
    def value(self) -> str:
        """What the inventory stores for this concept: the URI, or the code for survey-only lists."""
        return self.uri or self.code

    @property
    def label(self) -> str:
        """The German label a department sees (the drop-down text where the survey offers it)."""
        return self.survey or self.de


@dataclass(frozen=True)
class Match:
    """The answer of a lookup."""

    given: str
    status: MatchStatus
    concept: Concept | None = None
    candidates: tuple[Concept, ...] = ()

    @property
    def value(self) -> str | None:
        return self.concept.value if self.concept else None

    @property
    def ok(self) -> bool:
        return self.status in ("exact", "corrected")


@dataclass
class Scheme:
    """A vocabulary: its concepts and the indexes behind :meth:`lookup`."""

    name: str
    title: str
    uri: str | None
    source: str
    concepts: tuple[Concept, ...]
    extra: dict[str, str] = field(default_factory=dict)
    namespaces: tuple[str, ...] = ()
    _exact: dict[str, Concept] = field(default_factory=dict, repr=False)
    _clean: dict[str, dict[str, int]] = field(default_factory=dict, repr=False)
    _loose: dict[str, dict[str, int]] = field(default_factory=dict, repr=False)
    _by_value: dict[str, Concept] = field(default_factory=dict, repr=False)
    _names: list[tuple[Concept, tuple[str, ...]]] = field(default_factory=list, repr=False)
    _cache: dict[str, Match] = field(default_factory=dict, repr=False)
    _prefixes: tuple[str, ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        self._prefixes = tuple(dict.fromkeys(
            key for key in (_uri_key(n) for n in (self.uri, *self.namespaces) if n) if key
        ))
        for concept in self.concepts:
            shown = (concept.de, concept.en, concept.survey, concept.code, *concept.aliases)
            self._names.append((concept, tuple(loose_key(n) for n in shown if n)))
            self._by_value[concept.value] = concept
            for canonical in (concept.uri, concept.survey):
                if canonical:
                    self._exact[canonical] = concept
            # priority 2: the concept's own names; priority 1: accepted other spellings
            names = [(n, 2) for n in (concept.uri, concept.code, concept.de, concept.en, concept.survey) if n]
            names += [(a, 1) for a in (*concept.aliases, concept.url) if a]
            for name, priority in names:
                self._add(self._clean, _uri_key(name) or clean_key(name), concept, priority)
                self._add(self._loose, loose_key(name), concept, priority)

    @staticmethod
    def _add(index: dict[str, dict[str, int]], key: str, concept: Concept, priority: int) -> None:
        if not key:
            return
        slot = index.setdefault(key, {})
        slot[concept.value] = max(priority, slot.get(concept.value, 0))

    def __iter__(self) -> Iterator[Concept]:
        return iter(self.concepts)

    def __len__(self) -> int:
        return len(self.concepts)

    def offered(self) -> list[Concept]:
        """The concepts the survey offers in its drop-down, in the order shown."""
        return [c for c in self.concepts if c.offered]

    def get(self, value: str) -> Concept | None:
        """The concept stored as ``value`` (URI or code), or None."""
        return self._by_value.get(value)

    def __getitem__(self, value: str) -> Concept:
        concept = self._by_value.get(value)
        if concept is None:
            raise KeyError(f"{value!r} is not in vocabulary {self.name}")
        return concept

    def by_code(self, code: str) -> Concept:
        for concept in self.concepts:
            if concept.code == code:
                return concept
        raise KeyError(f"code {code!r} is not in vocabulary {self.name}")

    def _pick(self, slot: dict[str, int] | None) -> tuple[Concept | None, tuple[Concept, ...]]:
        if not slot:
            return None, ()
        best = max(slot.values())
        top = [self._by_value[v] for v, p in slot.items() if p == best]
        if len(top) == 1:
            return top[0], ()
        return None, tuple(top)

    def lookup(self, text: str | None, *, near: bool = True) -> Match:
        """Resolve any accepted spelling of a value of this vocabulary; see the module docstring.

        With ``near`` an unresolved value lists the concepts whose names contain it (as candidates).
        Answers are remembered: survey returns repeat the same few spellings thousands of times.
        """
        given = "" if text is None else str(text)
        key = f"{int(near)}{given}"
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        match = self._lookup(given, near)
        if len(self._cache) < 50_000:
            self._cache[key] = match
        return match

    def _lookup(self, given: str, near: bool) -> Match:
        if not clean_text(given):
            return Match(given, "empty")
        if given in self._exact:
            return Match(given, "exact", self._exact[given])
        for index, key in (
            (self._clean, _uri_key(given) or clean_key(given)),
            (self._loose, loose_key(given)),
        ):
            concept, tied = self._pick(index.get(key))
            if concept is not None:
                return Match(given, "corrected", concept)
            if tied:
                return Match(given, "ambiguous", None, tied)
        tail = self._tail(given)
        if tail:
            found = self._lookup(tail, False)
            if found.status in ("exact", "corrected"):
                return Match(given, "corrected", found.concept)
            if found.status == "ambiguous":
                return Match(given, "ambiguous", None, found.candidates)
        return self._near(given) if near else Match(given, "unknown")

    def _tail(self, given: str) -> str | None:
        """The part of an IRI after one of the scheme's namespaces (``…/file-type/WMS`` -> ``WMS``), or None."""
        key = _uri_key(given)
        if not key:
            return None
        for prefix in self._prefixes:
            if key.startswith(prefix) and len(key) > len(prefix) and (prefix.endswith(("#", "/"))
                                                                      or key[len(prefix)] in "/#"):
                tail = unquote(key[len(prefix):].lstrip("/#")).strip()
                return tail or None
        return None

    def _near(self, given: str) -> Match:
        """No accepted spelling fits: list the concepts whose names contain the value (never pick one)."""
        key = loose_key(given)
        if len(key) < 3:
            return Match(given, "unknown")
        hits: dict[str, Concept] = {}
        for concept, names in self._names:
            if any(key in name for name in names):
                hits[concept.value] = concept
        found = tuple(hits.values())
        if len(found) > 1:
            return Match(given, "ambiguous", None, found)
        return Match(given, "unknown", None, found)


@dataclass
class Vocabularies:
    """All vocabularies by name (``theme``, ``frequency``, ``file_type``, ``license``, ...)."""

    schemes: dict[str, Scheme]

    def __getitem__(self, name: str) -> Scheme:
        try:
            return self.schemes[name]
        except KeyError:
            raise KeyError(f"no vocabulary named {name!r}; known: {', '.join(self.schemes)}") from None

    def __iter__(self) -> Iterator[Scheme]:
        return iter(self.schemes.values())

    def lookup(self, scheme: str, text: str | None) -> Match:
        """Turn any accepted spelling into the concept of ``scheme``, or say it is unknown or ambiguous."""
        return self[scheme].lookup(text)

    def label(self, scheme: str, value: str | None, lang: str = "de") -> str | None:
        """The label of a stored value (URI or code), or the value itself when it is not in the vocabulary."""
        if value is None:
            return None
        concept = self[scheme].get(value)
        if concept is None:
            return value
        return concept.label if lang == "de" else concept.en


def _concepts(name: str, rows: Iterable[dict[str, object]]) -> tuple[Concept, ...]:
    out = []
    for row in rows:
        out.append(
            Concept(
                scheme=name,
                code=str(row["code"]),
                de=str(row["de"]),
                en=str(row["en"]),
                uri=row.get("uri") or None,  # type: ignore[arg-type]
                survey=row.get("survey") or None,  # type: ignore[arg-type]
                aliases=tuple(str(a) for a in row.get("aliases") or ()),  # type: ignore[attr-defined]
                offered=bool(row.get("offered", False)),
                open=row.get("open"),  # type: ignore[arg-type]
                attribution=row.get("attribution"),  # type: ignore[arg-type]
                url=row.get("url") or None,  # type: ignore[arg-type]
                non_proprietary=row.get("non_proprietary"),  # type: ignore[arg-type]
                machine_readable=row.get("machine_readable"),  # type: ignore[arg-type]
                hvd=row.get("hvd"),  # type: ignore[arg-type]
                file_type=row.get("file_type") or None,  # type: ignore[arg-type]
                standard=row.get("standard") or None,  # type: ignore[arg-type]
            )
        )
    return tuple(out)


def parse_vocabularies(text: str) -> Vocabularies:
    """Build the vocabularies from the YAML text of a vocabularies file."""
    raw = yaml.safe_load(text)
    schemes = {}
    for name, body in raw.items():
        extra = {k: str(v) for k, v in body.items() if k not in ("title", "uri", "source", "concepts", "namespaces")}
        schemes[name] = Scheme(
            name=name,
            title=body["title"],
            uri=body.get("uri"),
            source=body.get("source", ""),
            concepts=_concepts(name, body["concepts"]),
            extra=extra,
            namespaces=tuple(str(n) for n in body.get("namespaces") or ()),
        )
    return Vocabularies(schemes)


@cache
def vocabularies() -> Vocabularies:
    """The vocabularies shipped with the package (read once)."""
    text = resources.files("catalog").joinpath("data/vocabularies.yaml").read_text(encoding="utf-8")
    return parse_vocabularies(text)


def lookup(scheme: str, text: str | None) -> Match:
    """Shortcut for ``vocabularies().lookup(scheme, text)``."""
    return vocabularies().lookup(scheme, text)


# -- the older German category scheme -------------------------------------------------------------------


@dataclass(frozen=True)
class Category:
    """One category of GovData's older scheme and the EU data themes it stands for (none: GovData maps it
    to no theme)."""

    key: str
    label: str
    themes: tuple[str, ...]
    aliases: tuple[str, ...] = ()


@dataclass
class Categories:
    """GovData's older category scheme with its mapping to EU data themes (:func:`older_categories`)."""

    title: str
    source: str
    categories: tuple[Category, ...]
    _index: dict[str, Category] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for category in self.categories:
            for name in (category.key, category.label, *category.aliases):
                self._index[loose_key(name)] = category

    def __iter__(self) -> Iterator[Category]:
        return iter(self.categories)

    def lookup(self, value: str | None) -> Category | None:
        """The category a value names: its key (``transport_verkehr``), its label (``Transport und Verkehr``)
        or an IRI whose last path segment or fragment is one of them; None for anything else."""
        if not value or not clean_text(value):
            return None
        text = clean_text(value)
        found = self._index.get(loose_key(text))
        if found is not None or not re.match(r"(?i)^https?://", text):
            return found
        parts = urlsplit(text)
        last = parts.fragment or parts.path.rstrip("/").rsplit("/", 1)[-1]
        return self._index.get(loose_key(unquote(last))) if last else None


def parse_categories(text: str, themes: Scheme) -> Categories:
    """The older category scheme from the YAML text of its data file; theme codes become theme IRIs."""
    raw = yaml.safe_load(text)
    return Categories(
        title=str(raw["title"]),
        source=str(raw["source"]),
        categories=tuple(
            Category(key=str(row["key"]), label=str(row["label"]),
                     themes=tuple(themes.by_code(str(code)).value for code in row.get("themes") or ()),
                     aliases=tuple(str(a) for a in row.get("aliases") or ()))
            for row in raw["categories"]
        ),
    )


@cache
def older_categories() -> Categories:
    """GovData's older category scheme shipped with the package, mapped to the EU data themes (read once)."""
    text = resources.files("catalog").joinpath("data/govdata-categories.yaml").read_text(encoding="utf-8")
    return parse_categories(text, vocabularies()["theme"])
