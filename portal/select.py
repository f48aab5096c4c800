"""The ``/select`` request handler of the stand-in: query, filters, sorting, paging, fields, facets.

The response has the shape CKAN's ``PackageSearchQuery`` and pysolr read: ``responseHeader``,
``response.numFound`` / ``start`` / ``docs`` (and ``maxScore`` when scores are requested) and
``facet_counts.facet_fields`` as flat ``[value, count, value, count, ...]`` lists.
"""

from __future__ import annotations

import fnmatch
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from portal.documents import DocumentBuilder
from portal.index import Index
from portal.query import QueryError, Scores, compile_filter, compile_main_query
from portal.schema import Kind, Schema

Params = dict[str, list[str]]


def first(params: Params, name: str, default: str = "") -> str:
    """The first value of a request parameter."""
    values = params.get(name)
    return values[0] if values else default


def int_param(params: Params, name: str, default: int) -> int:
    """An integer request parameter, with Solr's error for a malformed number."""
    raw = first(params, name, "")
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise QueryError(f"Invalid Number: {raw} (parameter {name})") from exc


def bool_param(params: Params, name: str, default: bool) -> bool:
    """A boolean request parameter (``true``/``on``/``yes``/``1``)."""
    raw = first(params, name, "")
    if raw == "":
        return default
    return raw.strip().lower() in ("true", "on", "yes", "1")


def parse_sort(spec: str) -> list[tuple[str, bool]]:
    """Parse ``score desc, metadata_modified desc`` into (field, descending) pairs."""
    clauses: list[tuple[str, bool]] = []
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        pieces = part.split()
        if len(pieces) != 2 or pieces[1].lower() not in ("asc", "desc"):
            raise QueryError(f"Can't determine a Sort Order (asc or desc) in sort spec '{part}'")
        clauses.append((pieces[0], pieces[1].lower() == "desc"))
    return clauses


def parse_field_list(params: Params) -> list[str]:
    """The ``fl`` entries (comma or space separated, repeatable); default ``*``."""
    entries: list[str] = []
    for value in params.get("fl", []):
        entries.extend(item for item in value.replace(",", " ").split() if item)
    return entries or ["*"]


class Searcher:
    """Runs select requests against one core."""

    def __init__(self, schema: Schema, index: Index, builder: DocumentBuilder) -> None:
        self.schema = schema
        self.index = index
        self.builder = builder

    # -- matching ---------------------------------------------------------------------------------

    def filter_docs(self, fq: str, params: Params, now: datetime) -> frozenset[int]:
        """Documents matching one filter query (cached per index generation)."""
        key = (fq, first(params, "df", "text"), first(params, "q.op", "OR"))
        return self.index.cached_filter(
            key, lambda: frozenset(compile_filter(self.schema, fq, params, now).docs(self.index))
        )

    def match(self, params: Params, now: datetime) -> Scores:
        """Documents matching ``q`` and every ``fq``, with their scores."""
        q = first(params, "q", "") or first(params, "q.alt", "")
        if not q.strip():
            return {}
        if q.lstrip().startswith("{!") or any(f.lstrip().startswith("{!") for f in params.get("fq", [])):
            raise QueryError("local parameters ({!...}) are not supported by the development stand-in")
        filters = [self.filter_docs(fq, params, now) for fq in params.get("fq", []) if fq.strip()]
        allowed: frozenset[int] | None = None
        for docs in sorted(filters, key=len):
            allowed = docs if allowed is None else allowed & docs
        if allowed is not None and not allowed:
            return {}
        scores = compile_main_query(self.schema, q, params, now).evaluate(self.index)
        if allowed is not None:
            scores = {d: s for d, s in scores.items() if d in allowed}
        return scores

    # -- sorting ----------------------------------------------------------------------------------

    def order(self, scores: Scores, sort_spec: str) -> list[int]:
        """Matching documents in sort order; missing values sort last, ties by index order."""
        clauses = parse_sort(sort_spec) or [("score", True)]
        order = sorted(scores)
        for name, descending in reversed(clauses):
            values: dict[int, Any]
            if name == "score":
                values = scores
            else:
                field_def = self.schema.field(name)
                if field_def is None:
                    raise QueryError(f"sort param field can't be found: {name}")
                if field_def.multi_valued:
                    raise QueryError(f"can not sort on multivalued field: {name}")
                if not field_def.indexed or field_def.kind is Kind.TEXT:
                    raise QueryError(f"can not sort on a tokenized or unindexed field: {name}")
                numeric = field_def.kind in (Kind.INT, Kind.FLOAT, Kind.DATE)
                values = self.index.sort_values(name, numeric)
            present = [d for d in order if d in values]
            missing = [d for d in order if d not in values]
            present.sort(key=values.__getitem__, reverse=descending)
            order = present + missing
        return order

    # -- documents --------------------------------------------------------------------------------

    def render_docs(self, doc_ids: list[int], fields: list[str], scores: Scores) -> list[dict[str, Any]]:
        """Stored fields of the page's documents, filtered by ``fl``."""
        wants_all = "*" in fields
        patterns = [f for f in fields if f not in ("*", "score")]
        sources = self.index.sources(doc_ids)
        docs: list[dict[str, Any]] = []
        for doc_id in doc_ids:
            key, source = sources[doc_id]
            stored = self.builder.stored_fields(source, key)
            if wants_all:
                doc: dict[str, Any] = dict(stored)
            else:
                doc = {
                    name: value
                    for name, value in stored.items()
                    if any(name == p or fnmatch.fnmatchcase(name, p) for p in patterns)
                }
            if "score" in fields:
                doc["score"] = scores.get(doc_id, 0.0)
            docs.append(doc)
        return docs

    # -- facets -----------------------------------------------------------------------------------

    def facet_field(self, name: str, params: Params, docs: Iterable[int]) -> list[Any]:
        """Counts of the field's terms over the matching documents, as a flat list."""
        field_def = self.schema.field(name)
        if field_def is None:
            raise QueryError(f"undefined field {name}")
        if not field_def.indexed or field_def.type.ngram:
            raise QueryError(f"can not facet on field {name}: it is not indexed as terms")

        def per_field(option: str, default: str) -> str:
            return first(params, f"f.{name}.facet.{option}", first(params, f"facet.{option}", default))

        try:
            limit = int(per_field("limit", "100"))
            mincount = int(per_field("mincount", "0"))
            offset = int(per_field("offset", "0"))
        except ValueError as exc:
            raise QueryError(f"invalid facet parameter for {name}: {exc}") from exc
        sort = per_field("sort", "count" if limit > 0 else "index")
        prefix = per_field("prefix", "")
        forward = self.index.forward(name)
        counts: dict[str, int] = {}
        missing = 0
        for doc in docs:
            terms = forward.get(doc)
            if not terms:
                missing += 1
                continue
            for term in terms:
                counts[term] = counts.get(term, 0) + 1
        if mincount <= 0:
            for terms in forward.values():
                for term in terms:
                    counts.setdefault(term, 0)
        items = [(t, c) for t, c in counts.items() if c >= mincount and t.startswith(prefix)]
        if sort == "index":
            items.sort(key=lambda item: item[0])
        else:
            items.sort(key=lambda item: (-item[1], item[0]))
        items = items[offset:] if limit < 0 else items[offset : offset + limit]
        flat: list[Any] = []
        for term, count in items:
            flat.extend((term, count))
        if per_field("missing", "false").lower() == "true":
            flat.extend((None, missing))
        return flat

    def facets(self, params: Params, scores: Scores, now: datetime) -> dict[str, Any]:
        """The ``facet_counts`` section."""
        docs = list(scores)
        fields = {
            name: self.facet_field(name, params, docs)
            for name in dict.fromkeys(params.get("facet.field", []))
        }
        queries = {
            fq: len(self.filter_docs(fq, params, now).intersection(scores))
            for fq in params.get("facet.query", [])
        }
        return {
            "facet_queries": queries,
            "facet_fields": fields,
            "facet_ranges": {},
            "facet_intervals": {},
            "facet_heatmaps": {},
        }

    # -- request ----------------------------------------------------------------------------------

    def select(self, params: Params) -> dict[str, Any]:
        """Answer a select request."""
        started = time.perf_counter()
        writer = first(params, "wt", "json")
        if writer not in ("json", ""):
            raise QueryError(
                f"response writer '{writer}' is not supported by the development stand-in (use wt=json)"
            )
        start = int_param(params, "start", 0)
        rows = int_param(params, "rows", 10)
        if start < 0 or rows < 0:
            raise QueryError("start and rows must not be negative")
        now = datetime.now(UTC)
        fields = parse_field_list(params)
        with self.index.lock:
            scores = self.match(params, now)
            order = self.order(scores, first(params, "sort", ""))
            page = order[start : start + rows]
            docs = self.render_docs(page, fields, scores)
            facet_counts = self.facets(params, scores, now) if bool_param(params, "facet", False) else None
        response: dict[str, Any] = {
            "numFound": len(scores),
            "start": start,
            "numFoundExact": True,
            "docs": docs,
        }
        if "score" in fields:
            response["maxScore"] = max(scores.values(), default=0.0)
        body: dict[str, Any] = {
            "responseHeader": {
                "status": 0,
                "QTime": int((time.perf_counter() - started) * 1000),
                "params": {k: v[0] if len(v) == 1 else v for k, v in params.items()},
            },
            "response": response,
        }
        if facet_counts is not None:
            body["facet_counts"] = facet_counts
        return body
