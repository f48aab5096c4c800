"""Cross-entry checks: duplicate titles, the same dataset in two departments, similar datasets in other cities.

These checks compare entries with each other, which Great Expectations' row-wise expectations do not
do; they run in plain Python after the suite and yield findings of the same kind.

Titles are compared by their *title key*: the set of normalised tokens of the title (case, umlaut
spelling, punctuation and hyphenation folded, German stop words and the cities' own names removed, a
light plural stemming). Two titles are *the same* when their keys are equal and *similar* when the
Jaccard similarity of their keys reaches a threshold. Equal keys are grouped (a dictionary, O(n)); similar
pairs of distinct keys are found with prefix filtering (AllPairs/PPJoin) over an inverted index of
tokens ordered rarest first: only keys sharing one of their rarest tokens are compared, never all pairs.

- ``duplicate-title``: the same key twice or more within one department;
- ``duplicate-across-departments``: within one city, another department has the same key, or a key
  at least :data:`SIMILAR_IN_CITY` similar with the same source system;
- ``similar-in-other-city``: another city has an entry whose topic (the key without numbers) is at
  least :data:`SIMILAR_IN_OTHER_CITY` similar; the message names the most similar one.
"""

from __future__ import annotations

import math
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from catalog.findings import Finding, finding
from catalog.organisation import load_organisation
from catalog.vocabulary import clean_key

SIMILAR_IN_CITY = 0.8
"""Jaccard similarity from which two titles of one city with the same source system count as one dataset."""

SIMILAR_IN_OTHER_CITY = 0.5
"""Jaccard similarity from which an entry of another city is pointed out as a similar dataset."""

NAMED = 3
"""How many other entries a message names; the rest are counted ("und 4 weitere")."""

MAX_BLOCK = 64
"""Most keys one token's posting list takes in the similarity search (see :func:`similar_pairs`)."""

_STOP_WORDS = frozenset([
    # German articles, conjunctions and prepositions (umlauts folded)
    "der", "die", "das", "des", "dem", "den", "ein", "eine", "einer", "eines", "einem", "einen",
    "und", "oder", "sowie", "von", "vom", "fuer", "im", "in", "zu", "zur", "zum", "am", "an", "auf",
    "mit", "nach", "bei", "aus", "ueber", "unter", "je", "pro", "als", "bis", "ab", "inkl",
    "inklusive", "ggf", "bzw",
    # English
    "the", "of", "and", "for", "on", "to", "by",
    # words every title of a city could carry
    "stadt", "landeshauptstadt", "lhm",
])
_TRANSLIT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_HYPHEN = re.compile(r"(?<=[a-z])-(?=[a-z])")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_SUFFIXES = ("en", "er", "es", "e", "n", "s")


@dataclass(frozen=True)
class Entry:
    """What the cross-entry checks need of one record."""

    index: int
    city: str | None
    department: str | None
    identifier: str | None
    title: str
    source: str
    row: int | None


def _fold(text: str) -> str:
    text = clean_key(text).translate(_TRANSLIT)
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch))


@cache
def _place_words() -> frozenset[str]:
    """The cities' names as tokens (``muenchen``, ``augsburg``, ``nuernberg``): said in every title of a city."""
    words: set[str] = set()
    for city in load_organisation().cities:
        for name in (city.key, city.short_name, city.name):
            words.update(_NON_ALNUM.split(_fold(name)))
    return frozenset(w for w in words if w)


def _stem(token: str) -> str:
    """Strip one common German inflection ending from longer words (``Schulen`` and ``Schule`` meet)."""
    if len(token) > 5 and not token.isdigit():
        for suffix in _SUFFIXES:
            if token.endswith(suffix):
                return token[: -len(suffix)]
    return token


def title_tokens(title: str) -> frozenset[str]:
    """The title key: the title's normalised tokens without stop words and city names."""
    text = _HYPHEN.sub("", _fold(title))
    ignored = _STOP_WORDS | _place_words()
    # interned: the same words recur in thousands of titles, and a large inventory keeps every key
    return frozenset(sys.intern(_stem(t)) for t in _NON_ALNUM.split(text) if t and t not in ignored)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """|a ∩ b| / |a ∪ b| (0 for two empty sets)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def similar_pairs(
    keys: Sequence[frozenset[str]], threshold: float, *, max_block: int | None = MAX_BLOCK
) -> Iterator[tuple[int, int, float]]:
    """Pairs ``(i, j, similarity)`` (i < j) of distinct non-empty keys with Jaccard >= ``threshold``.

    AllPairs/PPJoin: keys are visited from the smallest; each key's tokens are sorted rarest first;
    a key probes the index with its first ``|x| - ceil(t·|x|) + 1`` tokens and is indexed under its
    first ``|x| - ceil(2t/(1+t)·|x|) + 1``; only candidates of a fitting size are verified. Two keys
    with Jaccard >= t always meet this way. A token's posting list stops growing at ``max_block``
    keys: this bounds the work by ``n · max_block`` even for thousands of near-identical titles, at
    the price of missing pairs that only such a crowded token would have brought together
    (``None``: exact, no bound).
    """
    if not 0 < threshold <= 1:
        raise ValueError("threshold must be in (0, 1]")
    eps = 1e-9
    frequency = Counter(token for key in keys for token in key)
    rank = {token: (count, token) for token, count in frequency.items()}
    ordered = [sorted(key, key=rank.__getitem__) for key in keys]
    index: dict[str, list[int]] = defaultdict(list)
    for i in sorted(range(len(keys)), key=lambda k: len(keys[k])):
        tokens = ordered[i]
        size = len(tokens)
        if not size:
            continue
        probe = size - math.ceil(threshold * size - eps) + 1
        indexed = size - math.ceil(2 * threshold / (1 + threshold) * size - eps) + 1
        smallest = threshold * size - eps
        candidates: set[int] = set()
        for token in tokens[:probe]:
            candidates.update(j for j in index.get(token, ()) if len(keys[j]) >= smallest)
        for token in tokens[:indexed]:
            posting = index[token]
            if max_block is None or len(posting) < max_block:
                posting.append(i)
        for j in candidates:
            similarity = jaccard(keys[i], keys[j])
            if similarity >= threshold - eps:
                yield (min(i, j), max(i, j), similarity)


def _row_label(entry: Entry) -> str:
    if entry.row is not None:
        return str(entry.row)
    return entry.identifier or "?"


@cache
def _names_of_units() -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    organisation = load_organisation()
    cities = {c.key: c.short_name for c in organisation.cities}
    departments = {(d.city, d.code): d.name for d in organisation.departments}
    return cities, departments


def _department_name(city: str | None, code: str | None) -> str:
    """The department's name for a message (its code when the organisation does not know it)."""
    if city is None or code is None:
        return code or "?"
    return _names_of_units()[1].get((city, code.upper()), code)


def _city_name(city: str) -> str:
    return _names_of_units()[0].get(city, city)


def _describe(entry: Entry) -> tuple[str, str]:
    """How a message names another entry, German and English."""
    where = _department_name(entry.city, entry.department)
    ident = f", Kennung {entry.identifier}" if entry.identifier else ""
    ident_en = f", identifier {entry.identifier}" if entry.identifier else ""
    return f"„{entry.title}“ ({where}{ident})", f"{entry.title!r} ({where}{ident_en})"


def _names(entries: Sequence[Entry], total: int) -> dict[str, str]:
    """The ``others`` / ``others_en`` message parameters: up to NAMED entries, and how many more."""
    shown = [_describe(e) for e in entries[:NAMED]]
    more = total - len(shown)
    de = "; ".join(s[0] for s in shown) + (f" und {more} weitere" if more > 0 else "")
    en = "; ".join(s[1] for s in shown) + (f" and {more} more" if more > 0 else "")
    return {"others": de, "others_en": en}


def _title_finding(code: str, entry: Entry, **params: Any) -> tuple[int, Finding]:
    return entry.index, finding(code, value=entry.title, field="title", label="Titel des Datenbestands", **params)


class _Groups:
    """Entries grouped by distinct key, with the keys similar to each (most similar first)."""

    def __init__(self, entries: Sequence[Entry], keys: Sequence[frozenset[str]], threshold: float) -> None:
        key_ids: dict[frozenset[str], int] = {}
        self.keys: list[frozenset[str]] = []
        self.members: list[list[Entry]] = []
        for entry, key in zip(entries, keys, strict=True):
            if not key:
                continue
            kid = key_ids.setdefault(key, len(self.keys))
            if kid == len(self.keys):
                self.keys.append(key)
                self.members.append([])
            self.members[kid].append(entry)
        self.similar: list[list[tuple[int, float]]] = [[] for _ in self.keys]
        for i, j, similarity in similar_pairs(self.keys, threshold):
            self.similar[i].append((j, similarity))
            self.similar[j].append((i, similarity))
        for neighbours in self.similar:
            neighbours.sort(key=lambda pair: (-pair[1], pair[0]))


def _duplicate_titles(groups: _Groups) -> Iterator[tuple[int, Finding]]:
    for members in groups.members:
        by_department: dict[tuple[str | None, str | None], list[Entry]] = defaultdict(list)
        for entry in members:
            by_department[(entry.city, entry.department)].append(entry)
        for same in by_department.values():
            if len(same) < 2:
                continue
            labels = [_row_label(e) for e in same]
            rows = ", ".join(labels[:20]) + (" …" if len(labels) > 20 else "")
            for entry in same:
                yield _title_finding("duplicate-title", entry, rows=rows)


class _Pool:
    """Entries of one city by department: names and counts the entries of the *other* departments."""

    def __init__(self) -> None:
        self.by_department: dict[str | None, list[Entry]] = defaultdict(list)
        self.total = 0

    def add(self, entry: Entry) -> None:
        self.by_department[entry.department].append(entry)
        self.total += 1

    def others(self, department: str | None) -> tuple[list[Entry], int]:
        """Up to :data:`NAMED` entries of other departments, and how many there are in all."""
        named: list[Entry] = []
        for dept, entries in self.by_department.items():
            if dept != department and len(named) < NAMED:
                named += entries[: NAMED - len(named)]
        return named, self.total - len(self.by_department.get(department, ()))


def _across_departments(groups: _Groups) -> Iterator[tuple[int, Finding]]:
    for kid, members in enumerate(groups.members):
        # the same key (any source system), or a very similar key with the same source system
        same_key: dict[str, _Pool] = defaultdict(_Pool)
        for entry in members:
            if entry.city:
                same_key[entry.city].add(entry)
        same_source: dict[tuple[str, str], _Pool] = defaultdict(_Pool)
        for other, similarity in groups.similar[kid]:
            if similarity < SIMILAR_IN_CITY:
                break
            for entry in groups.members[other]:
                if entry.city and entry.source:
                    same_source[(entry.city, entry.source)].add(entry)
        said: dict[tuple[str, str | None, str], dict[str, str] | None] = {}
        for entry in members:
            if not entry.city:
                continue
            source = entry.source if (entry.city, entry.source) in same_source else ""
            situation = (entry.city, entry.department, source)
            if situation not in said:  # entries of one department and source system get the same message
                named, total = same_key[entry.city].others(entry.department)
                if source:
                    more, count = same_source[(entry.city, source)].others(entry.department)
                    named, total = (named + more)[:NAMED], total + count
                said[situation] = _names(named, total) if total else None
            if (params := said[situation]) is not None:
                yield _title_finding("duplicate-across-departments", entry, **params)


def _in_other_cities(groups: _Groups) -> Iterator[tuple[int, Finding]]:
    for kid, members in enumerate(groups.members):
        best: dict[str, Entry] = {}
        count: Counter[str] = Counter()
        for other, similarity in [(kid, 1.0), *groups.similar[kid]]:
            if similarity < SIMILAR_IN_OTHER_CITY:
                break
            for entry in groups.members[other]:
                if entry.city:
                    best.setdefault(entry.city, entry)
                    count[entry.city] += 1
        params = {city: {"city_name": _city_name(city), **_names([match], count[city])} for city, match in best.items()}
        for entry in members:
            if entry.city is None:
                continue
            for city in best:
                if city != entry.city:
                    yield _title_finding("similar-in-other-city", entry, **params[city])


def topic_tokens(key: frozenset[str]) -> frozenset[str]:
    """A title key without numbers: what a dataset is about, whatever year or plan number it covers."""
    return frozenset(token for token in key if not token.isdigit())


def iter_cross_entry_findings(entries: Iterable[Entry]) -> Iterator[tuple[int, Finding]]:
    """The cross-entry findings one by one, each with the index of the record it is on.

    Within a city, titles are compared by their full key (``Haushaltsplan 2023`` and ``2024`` are two
    datasets); across cities by their topic (numbers left out). What is kept in memory is what the
    comparison needs (the entries' title keys and where they are); the findings are made as they are
    taken, so a caller that stores them in batches never holds them all.
    """
    listed = list(entries)
    keys = [title_tokens(entry.title) for entry in listed]
    in_city = _Groups(listed, keys, SIMILAR_IN_CITY)
    across = _Groups(listed, [topic_tokens(key) for key in keys], SIMILAR_IN_OTHER_CITY)
    del keys
    yield from _duplicate_titles(in_city)
    yield from _across_departments(in_city)
    del in_city
    yield from _in_other_cities(across)


def cross_entry_findings(entries: Iterable[Entry]) -> list[tuple[int, Finding]]:
    """The cross-entry findings as a list (see :func:`iter_cross_entry_findings`)."""
    return list(iter_cross_entry_findings(entries))
