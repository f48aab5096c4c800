"""The stand-in's index: documents as JSON and an inverted index in one SQLite file per core.

Tables: ``docs`` (the stored source of each document, keyed by the schema's unique key),
``postings`` (field, term -> document, term frequency, field length, numeric value, positions),
``substrings`` (values of n-gram fields, matched by substring search instead of storing every
gram) and ``fieldstats`` (documents and total length per field, for BM25). SQLite keeps the data
durable and the process small; per-field caches (facets, sorting, filters) live in memory and are
dropped whenever the index changes, much as Solr opens a new searcher after a commit.

All access is serialised by one lock: the stand-in serves one developer's portal, and the
simplicity is worth more than concurrent reads.

The documents of a term (what filter queries such as CKAN's ``+site_id:"default"`` need) are kept
in memory once asked for and updated with every added or deleted document, so that a filter over
the whole index does not cost a scan of it after each update (CKAN commits every dataset it writes).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from portal.documents import DocumentBuilder, PreparedDoc, Value

log = logging.getLogger(__name__)

#: Bumped whenever analysis or the table layout changes; a mismatch triggers a rebuild from ``docs``.
INDEX_FORMAT = "3"
_TERM_DOCS_MAX = 4096  # (field, term) document sets kept in memory

_SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
    id INTEGER PRIMARY KEY,
    ukey TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    lengths TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS postings (
    field TEXT NOT NULL,
    term TEXT NOT NULL,
    doc INTEGER NOT NULL,
    tf INTEGER NOT NULL,
    length INTEGER NOT NULL,
    num REAL,
    pos TEXT,
    PRIMARY KEY (field, term, doc)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS postings_doc ON postings (doc);
CREATE TABLE IF NOT EXISTS substrings (doc INTEGER NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS substrings_field ON substrings (field);
CREATE INDEX IF NOT EXISTS substrings_doc ON substrings (doc);
CREATE TABLE IF NOT EXISTS fieldstats (field TEXT PRIMARY KEY, docs INTEGER NOT NULL, total INTEGER NOT NULL);
"""


@dataclass(frozen=True)
class Posting:
    """One document's occurrence of a term."""

    doc: int
    tf: int
    length: int
    positions: tuple[int, ...]


def _levenshtein_within(a: str, b: str, limit: int) -> bool:
    if abs(len(a) - len(b)) > limit:
        return False
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        if min(current) > limit:
            return False
        previous = current
    return previous[-1] <= limit


def _regexp(pattern: str, value: str) -> bool:
    try:
        return re.fullmatch(pattern, value) is not None
    except re.error:
        return False


def glob_escape(text: str) -> str:
    """Escape SQLite GLOB metacharacters so ``text`` matches literally."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


def prefix_upper_bound(prefix: str) -> str | None:
    """The smallest string greater than every string starting with ``prefix`` (None: no bound)."""
    chars = list(prefix)
    while chars:
        code = ord(chars[-1])
        if code < 0x10FFFF and not 0xD7FF <= code < 0xDFFF:
            chars[-1] = chr(code + 1)
            return "".join(chars)
        chars.pop()
    return None


class Index:
    """One core's documents and inverted index."""

    def __init__(self, path: Path, builder: DocumentBuilder) -> None:
        self.path = path
        self.builder = builder
        self.lock = threading.RLock()
        self.generation = 0
        self._cache: dict[str, Any] = {}
        self._filters: OrderedDict[tuple[Any, ...], frozenset[int]] = OrderedDict()
        self._term_docs: dict[tuple[str, str], set[int]] = {}
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA temp_store=MEMORY")
        self._db.execute("PRAGMA cache_size=-65536")
        # A document touches hundreds of index pages; checkpointing the write-ahead log every 32 MB instead
        # of every 4 MB writes a page that many documents touched once instead of many times.
        self._db.execute("PRAGMA wal_autocheckpoint=8192")
        self._db.create_function("regexp", 2, _regexp, deterministic=True)
        self._db.create_function("fuzzy", 3, _levenshtein_within, deterministic=True)
        self._db.executescript(_SCHEMA_SQL)
        self._check_format()

    # -- lifecycle ------------------------------------------------------------------------------

    def _format_key(self) -> str:
        digest = hashlib.sha256(self.builder.schema.text).hexdigest()[:16]
        return f"{INDEX_FORMAT}:{digest}"

    def _check_format(self) -> None:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
        wanted = self._format_key()
        if row and row[0] == wanted:
            return
        count = self._db.execute("SELECT COUNT(*) FROM docs").fetchone()[0]
        if count:
            log.warning("%s: schema or index format changed; re-indexing %d documents", self.path, count)
            self.reindex()
        self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('format', ?)", (wanted,))

    def reindex(self) -> None:
        """Rebuild postings and statistics from the stored sources (after a schema change)."""
        self._term_docs.clear()
        with self.transaction():
            self._db.execute("DELETE FROM postings")
            self._db.execute("DELETE FROM substrings")
            self._db.execute("DELETE FROM fieldstats")
            rows = self._db.execute("SELECT id, ukey, source FROM docs").fetchall()
            for doc_id, key, source in rows:
                prepared = self.builder.index_rows(key, json.loads(source))
                self._write_rows(doc_id, prepared)
                self._db.execute(
                    "UPDATE docs SET lengths = ? WHERE id = ?", (json.dumps(prepared.lengths), doc_id)
                )

    def close(self) -> None:
        """Checkpoint and close the database."""
        with self.lock:
            try:
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                self._db.close()

    # -- writing --------------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run writes atomically; caches are dropped afterwards (a new "searcher")."""
        with self.lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                self._term_docs.clear()  # they may hold changes that were just undone
                raise
            else:
                self._db.execute("COMMIT")
            finally:
                self.invalidate()

    def invalidate(self) -> None:
        """Drop the in-memory caches (called after every change)."""
        with self.lock:
            self.generation += 1
            self._cache.clear()
            self._filters.clear()

    def _write_rows(self, doc_id: int, prepared: PreparedDoc) -> None:
        if self._term_docs:
            for row in prepared.postings:
                known = self._term_docs.get((row.field, row.term))
                if known is not None:
                    known.add(doc_id)
        self._db.executemany(
            "INSERT INTO postings (field, term, doc, tf, length, num, pos) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(r.field, r.term, doc_id, r.tf, r.length, r.number, r.positions) for r in prepared.postings],
        )
        if prepared.substrings:
            self._db.executemany(
                "INSERT INTO substrings (doc, field, value) VALUES (?, ?, ?)",
                [(doc_id, name, value) for name, value in prepared.substrings],
            )
        self._db.executemany(
            "INSERT INTO fieldstats (field, docs, total) VALUES (?, 1, ?) "
            "ON CONFLICT (field) DO UPDATE SET docs = docs + 1, total = total + excluded.total",
            list(prepared.lengths.items()),
        )

    def add(self, prepared: PreparedDoc, overwrite: bool = True) -> None:
        """Add a document (inside ``transaction()``), replacing one with the same unique key."""
        if overwrite:
            row = self._db.execute("SELECT id FROM docs WHERE ukey = ?", (prepared.key,)).fetchone()
            if row:
                self.delete_docs([row[0]])
        cursor = self._db.execute(
            "INSERT INTO docs (ukey, source, lengths) VALUES (?, ?, ?)",
            (prepared.key, prepared.source_json(), json.dumps(prepared.lengths)),
        )
        doc_id = cursor.lastrowid
        assert doc_id is not None
        self._write_rows(doc_id, prepared)
        self.invalidate()

    def delete_docs(self, doc_ids: Iterable[int]) -> int:
        """Delete documents by internal id (inside ``transaction()``); returns how many existed."""
        deleted = 0
        for doc_id in doc_ids:
            row = self._db.execute("SELECT lengths FROM docs WHERE id = ?", (doc_id,)).fetchone()
            if not row:
                continue
            self._db.executemany(
                "UPDATE fieldstats SET docs = docs - 1, total = total - ? WHERE field = ?",
                [(length, name) for name, length in json.loads(row[0]).items()],
            )
            for known in self._term_docs.values():
                known.discard(doc_id)
            self._db.execute("DELETE FROM postings WHERE doc = ?", (doc_id,))
            self._db.execute("DELETE FROM substrings WHERE doc = ?", (doc_id,))
            self._db.execute("DELETE FROM docs WHERE id = ?", (doc_id,))
            deleted += 1
        if deleted:
            self.invalidate()
        return deleted

    def ids_for_keys(self, keys: Sequence[str]) -> list[int]:
        """Internal ids of the documents with these unique keys."""
        out: list[int] = []
        for key in keys:
            row = self._db.execute("SELECT id FROM docs WHERE ukey = ?", (key,)).fetchone()
            if row:
                out.append(row[0])
        return out

    # -- reading --------------------------------------------------------------------------------

    def _cached(self, key: str, compute: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def all_docs(self) -> frozenset[int]:
        """Ids of every document."""
        return self._cached("all", lambda: frozenset(r[0] for r in self._db.execute("SELECT id FROM docs")))

    def doc_count(self) -> int:
        """Number of documents."""
        return len(self.all_docs())

    def field_stats(self, name: str) -> tuple[int, float]:
        """(documents with the field, average field length) for BM25."""
        row = self._db.execute("SELECT docs, total FROM fieldstats WHERE field = ?", (name,)).fetchone()
        if not row or row[0] <= 0:
            return 0, 1.0
        return row[0], max(row[1] / row[0], 1e-9)

    def postings(self, name: str, term: str, with_positions: bool = False) -> list[Posting]:
        """Documents containing ``term`` in field ``name``."""
        column = "pos" if with_positions else "NULL"
        rows = self._db.execute(
            f"SELECT doc, tf, length, {column} FROM postings WHERE field = ? AND term = ?", (name, term)
        )
        return [
            Posting(doc, tf, length, tuple(int(p) for p in pos.split(",")) if pos else ())
            for doc, tf, length, pos in rows
        ]

    def term_docs(self, name: str, term: str) -> set[int]:
        """The documents containing ``term`` in field ``name`` (a new set, the caller may change it)."""
        key = (name, term)
        with self.lock:
            known = self._term_docs.get(key)
            if known is None:
                rows = self._db.execute("SELECT doc FROM postings WHERE field = ? AND term = ?", key)
                known = {row[0] for row in rows}
                if len(self._term_docs) >= _TERM_DOCS_MAX:
                    self._term_docs.clear()
                self._term_docs[key] = known
            return set(known)

    def docs_where(self, name: str, condition: str = "", params: Sequence[Any] = ()) -> set[int]:
        """Documents with a term in ``name`` satisfying an SQL ``condition`` on ``term``/``num``."""
        sql = "SELECT DISTINCT doc FROM postings WHERE field = ?"
        if condition:
            sql += f" AND ({condition})"
        return {row[0] for row in self._db.execute(sql, (name, *params))}

    def docs_with_substring(self, name: str, needle: str) -> set[int]:
        """Documents whose n-gram field ``name`` contains ``needle``."""
        rows = self._db.execute(
            "SELECT DISTINCT doc FROM substrings WHERE field = ? AND instr(value, ?) > 0", (name, needle)
        )
        return {row[0] for row in rows}

    def docs_with_substring_field(self, name: str) -> set[int]:
        """Documents with any value in the n-gram field ``name``."""
        return {
            r[0] for r in self._db.execute("SELECT DISTINCT doc FROM substrings WHERE field = ?", (name,))
        }

    def forward(self, name: str) -> dict[int, list[str]]:
        """Per document, the terms of field ``name`` (for faceting), cached until the next change."""

        def compute() -> dict[int, list[str]]:
            out: dict[int, list[str]] = {}
            for doc, term in self._db.execute("SELECT doc, term FROM postings WHERE field = ?", (name,)):
                out.setdefault(doc, []).append(term)
            return out

        return self._cached(f"forward:{name}", compute)

    def sort_values(self, name: str, numeric: bool) -> dict[int, Any]:
        """Per document, the single sortable value of field ``name``, cached until the next change."""

        def compute() -> dict[int, Any]:
            column = "num" if numeric else "term"
            rows = self._db.execute(f"SELECT doc, {column} FROM postings WHERE field = ?", (name,))
            return dict(rows.fetchall())

        return self._cached(f"sort:{name}:{numeric}", compute)

    def sources(self, doc_ids: Sequence[int]) -> dict[int, tuple[str, dict[str, list[Value]]]]:
        """Stored sources (unique key, fields) of the given documents."""
        out: dict[int, tuple[str, dict[str, list[Value]]]] = {}
        for start in range(0, len(doc_ids), 500):
            chunk = list(doc_ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            for doc_id, key, source in self._db.execute(
                f"SELECT id, ukey, source FROM docs WHERE id IN ({marks})", chunk
            ):
                out[doc_id] = (key, json.loads(source))
        return out

    def cached_filter(self, key: tuple[Any, ...], compute: Callable[[], frozenset[int]]) -> frozenset[int]:
        """A filter query's documents, cached (LRU) until the next change, like Solr's filterCache."""
        if key in self._filters:
            self._filters.move_to_end(key)
            return self._filters[key]
        value = compute()
        self._filters[key] = value
        if len(self._filters) > 512:
            self._filters.popitem(last=False)
        return value
