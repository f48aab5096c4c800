"""Compiling Lucene syntax trees against the schema, and running them on the index with BM25 scores.

Field resolution and analysis happen here: a term on a ``text`` field is analysed with the field's
query analyzer (so ``Floods`` finds ``flooding``), a term on a ``string`` field must match exactly,
numbers and dates compare numerically (with date math), n-gram fields match substrings. Scores
follow Lucene's BM25 (k1=1.2, b=0.75); wildcard, range and existence queries score constantly, as
Lucene rewrites them. dismax and edismax spread unfielded terms over ``qf`` with a tie-breaker and
apply ``mm``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from portal.analysis import Analyzer
from portal.datemath import DateError, parse_date, to_millis
from portal.index import Index, glob_escape, prefix_upper_bound
from portal.lucene import (
    BoolNode,
    ExistsNode,
    FuzzyNode,
    MatchAllNode,
    Node,
    Occur,
    PhraseNode,
    RangeNode,
    RegexNode,
    TermNode,
    WildcardNode,
    dismax_escape,
    min_should_match,
    parse,
)
from portal.schema import FieldDef, Kind, Schema

K1 = 1.2
B = 0.75

Scores = dict[int, float]


class QueryError(ValueError):
    """A query cannot be run (unknown field, bad number or date, unsupported feature): HTTP 400."""


class Matcher:
    """A compiled query: evaluates to the matching documents with their scores."""

    boost: float = 1.0

    def evaluate(self, index: Index) -> Scores:
        """Return {document id: score} for every matching document."""
        raise NotImplementedError

    def docs(self, index: Index) -> set[int]:
        """The matching documents without their scores (filters, exclusions): the keys of ``evaluate``."""
        return set(self.evaluate(index))


@dataclass
class NoneMatcher(Matcher):
    """Matches nothing (a term that analysed to no tokens in a required position, say)."""

    def evaluate(self, index: Index) -> Scores:
        """Nothing matches."""
        return {}

    def docs(self, index: Index) -> set[int]:
        return set()


@dataclass
class AllMatcher(Matcher):
    """``*:*``."""

    boost: float = 1.0

    def evaluate(self, index: Index) -> Scores:
        return dict.fromkeys(index.all_docs(), self.boost)

    def docs(self, index: Index) -> set[int]:
        return set(index.all_docs())


@dataclass
class ConstMatcher(Matcher):
    """Documents from a lookup, all with the same score (ranges, wildcards, existence, points)."""

    lookup: Callable[[Index], Iterable[int]]
    boost: float = 1.0

    def evaluate(self, index: Index) -> Scores:
        return dict.fromkeys(self.lookup(index), self.boost)

    def docs(self, index: Index) -> set[int]:
        return set(self.lookup(index))


def _idf(doc_count: int, doc_freq: int) -> float:
    return math.log(1 + (doc_count - doc_freq + 0.5) / (doc_freq + 0.5))


@dataclass
class TermMatcher(Matcher):
    """One term in one field, BM25-scored."""

    field: str
    term: str
    omit_norms: bool
    boost: float = 1.0

    def evaluate(self, index: Index) -> Scores:
        postings = index.postings(self.field, self.term)
        if not postings:
            return {}
        doc_count, avg_length = index.field_stats(self.field)
        weight = self.boost * _idf(max(doc_count, len(postings)), len(postings))
        scores: Scores = {}
        for posting in postings:
            norm = 1.0 if self.omit_norms else 1 - B + B * posting.length / avg_length
            scores[posting.doc] = weight * posting.tf / (posting.tf + K1 * norm)
        return scores

    def docs(self, index: Index) -> set[int]:
        return index.term_docs(self.field, self.term)


def _phrase_frequency(positions: list[tuple[int, ...]], offsets: list[int], slop: int) -> float:
    others = [set(p) for p in positions[1:]]
    frequency = 0.0
    for start in positions[0]:
        anchor = start - offsets[0]
        if slop == 0:
            if all(anchor + offsets[i + 1] in others[i] for i in range(len(others))):
                frequency += 1
            continue
        distance = 0
        for i, candidates in enumerate(positions[1:], start=1):
            best = min((abs(p - offsets[i] - anchor) for p in candidates), default=slop + 1)
            distance = max(distance, best)
        if distance <= slop:
            frequency += 1 / (distance + 1)
    return frequency


@dataclass
class PhraseMatcher(Matcher):
    """Terms at consecutive (or, with slop, nearby) positions in one field."""

    field: str
    terms: list[tuple[str, int]]
    slop: int
    boost: float = 1.0

    def evaluate(self, index: Index) -> Scores:
        per_term = {term: index.postings(self.field, term, with_positions=True) for term, _ in self.terms}
        if any(not p for p in per_term.values()):
            return {}
        by_doc = {term: {p.doc: p for p in postings} for term, postings in per_term.items()}
        candidates = set.intersection(*(set(d) for d in by_doc.values()))
        doc_count, avg_length = index.field_stats(self.field)
        idf = sum(_idf(max(doc_count, len(p)), len(p)) for p in per_term.values())
        offsets = [offset for _, offset in self.terms]
        scores: Scores = {}
        for doc in candidates:
            positions = [by_doc[term][doc].positions for term, _ in self.terms]
            frequency = _phrase_frequency(positions, offsets, self.slop)
            if frequency <= 0:
                continue
            length = by_doc[self.terms[0][0]][doc].length
            norm = 1 - B + B * length / avg_length
            scores[doc] = self.boost * idf * frequency / (frequency + K1 * norm)
        return scores


@dataclass
class BoolMatcher(Matcher):
    """MUST / SHOULD / MUST_NOT clauses; scores of matching clauses add up."""

    must: list[Matcher] = field(default_factory=list)
    should: list[Matcher] = field(default_factory=list)
    must_not: list[Matcher] = field(default_factory=list)
    min_should: int = 0
    boost: float = 1.0

    def evaluate(self, index: Index) -> Scores:
        should_results = [m.evaluate(index) for m in self.should]
        scores: Scores
        if self.must:
            must_results = sorted((m.evaluate(index) for m in self.must), key=len)
            docs = set(must_results[0])
            for result in must_results[1:]:
                docs.intersection_update(result)
            scores = {d: sum(r[d] for r in must_results) for d in docs}
            required_should = self.min_should
        elif self.should:
            scores = {}
            required_should = max(1, self.min_should)
        else:
            # A purely negative query matches everything else, as Solr's "*:* -x".
            scores = dict.fromkeys(index.all_docs(), 1.0) if self.must_not else {}
            required_should = 0
        if should_results:
            counts: dict[int, int] = {}
            sums: Scores = {}
            for result in should_results:
                for doc, score in result.items():
                    if self.must and doc not in scores:
                        continue
                    counts[doc] = counts.get(doc, 0) + 1
                    sums[doc] = sums.get(doc, 0.0) + score
            if self.must:
                if required_should:
                    scores = {d: s for d, s in scores.items() if counts.get(d, 0) >= required_should}
                for doc in scores:
                    scores[doc] += sums.get(doc, 0.0)
            else:
                scores = {d: s for d, s in sums.items() if counts[d] >= required_should}
        for matcher in self.must_not:
            for doc in matcher.docs(index):
                scores.pop(doc, None)
        if self.boost != 1.0:
            scores = {d: s * self.boost for d, s in scores.items()}
        return scores

    def docs(self, index: Index) -> set[int]:
        """The documents ``evaluate`` returns, computed with set operations only."""
        should = [m.docs(index) for m in self.should]
        docs: set[int]
        if self.must:
            required = sorted((m.docs(index) for m in self.must), key=len)
            docs = required[0]
            for other in required[1:]:
                docs &= other
            if should and self.min_should:
                docs = {d for d in docs if sum(d in s for s in should) >= self.min_should}
        elif should:
            wanted = max(1, self.min_should)
            if wanted == 1:
                docs = set().union(*should)
            else:
                counts: dict[int, int] = {}
                for result in should:
                    for doc in result:
                        counts[doc] = counts.get(doc, 0) + 1
                docs = {d for d, n in counts.items() if n >= wanted}
        else:
            docs = set(index.all_docs()) if self.must_not else set()
        for matcher in self.must_not:
            docs -= matcher.docs(index)
        return docs


@dataclass
class DisMaxMatcher(Matcher):
    """The best-scoring field wins, plus ``tie`` times the others (dismax per term)."""

    children: list[Matcher]
    tie: float = 0.0
    boost: float = 1.0

    def evaluate(self, index: Index) -> Scores:
        per_doc: dict[int, list[float]] = {}
        for child in self.children:
            for doc, score in child.evaluate(index).items():
                per_doc.setdefault(doc, []).append(score)
        return {doc: self.boost * (max(s) + self.tie * (sum(s) - max(s))) for doc, s in per_doc.items()}

    def docs(self, index: Index) -> set[int]:
        return set().union(*(child.docs(index) for child in self.children))


# -- compilation ------------------------------------------------------------------------------------


@dataclass
class QueryOptions:
    """Request-level settings that influence compilation."""

    default_field: str = "text"
    default_operator: str = "OR"
    query_fields: list[tuple[str, float]] | None = None
    tie: float = 0.0
    now: datetime | None = None


def parse_query_fields(spec: str) -> list[tuple[str, float]]:
    """Parse ``qf`` (``name^4 title^4 text``) into (field, boost) pairs."""
    out: list[tuple[str, float]] = []
    for item in spec.replace(",", " ").split():
        name, _, boost = item.partition("^")
        try:
            out.append((name, float(boost) if boost else 1.0))
        except ValueError as exc:
            raise QueryError(f"invalid boost in qf: {item}") from exc
    return out


def _substring_lookup(name: str, needle: str) -> Callable[[Index], Iterable[int]]:
    return lambda ix: ix.docs_with_substring(name, needle)


class Compiler:
    """Turns syntax trees into matchers for one schema and one request."""

    def __init__(self, schema: Schema, options: QueryOptions) -> None:
        self.schema = schema
        self.options = options

    # fields -----------------------------------------------------------------------------------

    def field(self, name: str | None) -> tuple[str, FieldDef]:
        """Resolve a field name (None: the default field); unknown or unindexed fields are errors."""
        name = name or self.options.default_field
        if name in ("_query_", "_val_"):
            raise QueryError(f"magic field {name} is not supported by the development stand-in")
        field_def = self.schema.field(name)
        if field_def is None:
            raise QueryError(f"undefined field {name}")
        if not field_def.indexed:
            raise QueryError(f"can not search on field {name}: it is not indexed")
        return name, field_def

    def _query_analyzer(self, field_def: FieldDef) -> Analyzer:
        analyzer = field_def.type.query_analyzer
        assert analyzer is not None
        return analyzer

    def _number(self, field_def: FieldDef, text: str) -> float:
        try:
            if field_def.kind is Kind.DATE:
                return float(to_millis(parse_date(text, self.options.now)))
            if field_def.kind is Kind.INT:
                return float(int(text))
            return float(text)
        except (ValueError, DateError) as exc:
            kind = "Date String" if field_def.kind is Kind.DATE else "Number"
            raise QueryError(f"Invalid {kind}: '{text}'") from exc

    def _combine(self, matchers: list[Matcher], boost: float) -> Matcher:
        if len(matchers) == 1:
            matchers[0].boost *= boost
            return matchers[0]
        if self.options.default_operator.upper() == "AND":
            return BoolMatcher(must=matchers, boost=boost)
        return BoolMatcher(should=matchers, boost=boost)

    # terms ------------------------------------------------------------------------------------

    def term(
        self, name: str | None, text: str, boost: float, phrase: bool = False, slop: int = 0
    ) -> Matcher | None:
        """A term or phrase in one field; None when analysis leaves nothing to search for."""
        name, field_def = self.field(name)
        kind = field_def.kind
        if kind in (Kind.INT, Kind.FLOAT, Kind.DATE):
            number = self._number(field_def, text)
            return ConstMatcher(lambda ix: ix.docs_where(name, "num = ?", (number,)), boost)
        if kind is Kind.BOOLEAN:
            value = "true" if text[:1] in ("t", "T", "1") else "false"
            return TermMatcher(name, value, field_def.omit_norms, boost)
        if kind is not Kind.TEXT:
            return TermMatcher(name, text, field_def.omit_norms, boost)
        analyzer = self._query_analyzer(field_def)
        if field_def.type.ngram:
            if phrase:
                needle = analyzer.normalize(text)
                return ConstMatcher(lambda ix: ix.docs_with_substring(name, needle), boost)
            low, high = field_def.type.ngram
            grams: list[Matcher] = []
            for token in analyzer.analyze(text):
                if low <= len(token.text) <= high:
                    grams.append(ConstMatcher(_substring_lookup(name, token.text)))
                else:
                    grams.append(NoneMatcher())
            return self._combine(grams, boost) if grams else None
        tokens = analyzer.analyze(text)
        if not tokens:
            return None
        by_position: dict[int, list[str]] = {}
        for token in tokens:
            by_position.setdefault(token.position, []).append(token.text)
        if phrase and len(by_position) > 1:
            first = min(by_position)
            terms = [(texts[0], position - first) for position, texts in sorted(by_position.items())]
            return PhraseMatcher(name, terms, slop, boost)
        parts: list[Matcher] = []
        for _, texts in sorted(by_position.items()):
            alternatives: list[Matcher] = [
                TermMatcher(name, t, field_def.omit_norms) for t in dict.fromkeys(texts)
            ]
            parts.append(alternatives[0] if len(alternatives) == 1 else BoolMatcher(should=alternatives))
        return self._combine(parts, boost)

    def _multiterm_text(self, field_def: FieldDef, text: str) -> str:
        if field_def.kind is Kind.TEXT:
            return self._query_analyzer(field_def).normalize(text)
        return text

    def wildcard(self, node: WildcardNode, name: str | None) -> Matcher:
        """``*``/``?`` patterns over the field's terms (lower-cased and folded for text fields)."""
        name, field_def = self.field(name)
        if field_def.kind in (Kind.INT, Kind.FLOAT, Kind.DATE):
            raise QueryError(f"can not run wildcard queries on numeric or date field {name}")
        if field_def.kind is Kind.TEXT:
            node = node.map_literals(self._query_analyzer(field_def).normalize)
        prefix = node.literal_prefix
        if field_def.type.ngram:
            return ConstMatcher(lambda ix: ix.docs_with_substring(name, prefix), node.boost)
        upper = prefix_upper_bound(prefix)
        condition = "term >= ?" + (" AND term < ?" if upper is not None else "")
        params: list[str] = [prefix] + ([upper] if upper is not None else [])
        if not node.is_prefix:
            pattern = "".join(c if wild else glob_escape(c) for c, wild in node.parts)
            condition += " AND term GLOB ?"
            params.append(pattern)
        return ConstMatcher(lambda ix: ix.docs_where(name, condition, params), node.boost)

    def range(self, node: RangeNode, name: str | None) -> Matcher:
        """Ranges: numeric for numbers and dates (with date math), by term order otherwise."""
        name, field_def = self.field(name)
        conditions: list[str] = []
        params: list[object] = []
        numeric = field_def.kind in (Kind.INT, Kind.FLOAT, Kind.DATE)
        column = "num" if numeric else "term"
        for bound, inclusive, low in (
            (node.lower, node.include_lower, True),
            (node.upper, node.include_upper, False),
        ):
            if bound is None:
                continue
            value: object
            value = self._number(field_def, bound) if numeric else self._multiterm_text(field_def, bound)
            operator = (">" if low else "<") + ("=" if inclusive else "")
            conditions.append(f"{column} {operator} ?")
            params.append(value)
        condition = " AND ".join(conditions)
        if field_def.type.ngram:
            raise QueryError(f"range queries on n-gram field {name} are not supported")
        return ConstMatcher(lambda ix: ix.docs_where(name, condition, params), node.boost)

    def exists(self, name: str | None, boost: float) -> Matcher:
        """Documents with any value in the field."""
        name, field_def = self.field(name)
        if field_def.type.ngram:
            return ConstMatcher(lambda ix: ix.docs_with_substring_field(name), boost)
        return ConstMatcher(lambda ix: ix.docs_where(name), boost)

    # nodes ------------------------------------------------------------------------------------

    def _over_query_fields(
        self, build: Callable[[str, float], Matcher | None], boost: float
    ) -> Matcher | None:
        children: list[Matcher] = []
        for name, field_boost in self.options.query_fields or []:
            try:
                child = build(name, field_boost)
            except QueryError:
                continue  # e.g. a word against a numeric field: edismax skips such fields
            if child is not None:
                children.append(child)
        if not children:
            return None
        return DisMaxMatcher(children, self.options.tie, boost)

    def compile(self, node: Node) -> Matcher | None:
        """Compile one node; None means the clause vanished (analysed to nothing)."""
        spread = self.options.query_fields is not None
        if isinstance(node, MatchAllNode):
            return AllMatcher(node.boost)
        if isinstance(node, BoolNode):
            return self.boolean(node)
        if isinstance(node, TermNode | PhraseNode):
            phrase = isinstance(node, PhraseNode)
            slop = node.slop if isinstance(node, PhraseNode) else 0
            text = node.text
            if node.field is None and spread:
                return self._over_query_fields(lambda f, b: self.term(f, text, b, phrase, slop), node.boost)
            return self.term(node.field, text, node.boost, phrase, slop)
        if isinstance(node, WildcardNode):
            if node.field is None and spread:
                return self._over_query_fields(
                    lambda f, b: self.wildcard(WildcardNode(f, node.parts, boost=b), f), node.boost
                )
            return self.wildcard(node, node.field)
        if isinstance(node, RangeNode):
            return self.range(node, node.field)
        if isinstance(node, ExistsNode):
            return self.exists(node.field, node.boost)
        if isinstance(node, FuzzyNode):
            return self.fuzzy(node)
        if isinstance(node, RegexNode):
            name, _ = self.field(node.field)
            pattern = node.pattern
            return ConstMatcher(lambda ix: ix.docs_where(name, "regexp(?, term)", (pattern,)), node.boost)
        raise QueryError(f"unsupported query node {type(node).__name__}")

    def fuzzy(self, node: FuzzyNode) -> Matcher:
        """Terms within the node's edit distance."""
        name, field_def = self.field(node.field)
        text = self._multiterm_text(field_def, node.text)
        edits = node.max_edits
        return ConstMatcher(lambda ix: ix.docs_where(name, "fuzzy(term, ?, ?)", (text, edits)), node.boost)

    def boolean(self, node: BoolNode, mm_spec: str | None = None) -> Matcher | None:
        """A boolean query; ``mm_spec`` (dismax) sets how many optional clauses must match."""
        must: list[Matcher] = []
        should: list[Matcher] = []
        must_not: list[Matcher] = []
        for occur, child in node.clauses:
            matcher = self.compile(child)
            if matcher is None:
                continue
            {Occur.MUST: must, Occur.SHOULD: should, Occur.MUST_NOT: must_not}[occur].append(matcher)
        if not (must or should or must_not):
            return None if node.clauses else NoneMatcher()
        minimum = node.min_should_match
        if mm_spec is not None:
            minimum = min_should_match(mm_spec, len(should))
        return BoolMatcher(must, should, must_not, minimum, node.boost)


def _first(params: dict[str, list[str]], name: str, default: str = "") -> str:
    values = params.get(name)
    return values[0] if values else default


def compile_main_query(schema: Schema, q: str, params: dict[str, list[str]], now: datetime) -> Matcher:
    """Compile ``q`` according to ``defType`` (lucene, dismax, edismax) and its parameters."""
    def_type = _first(params, "defType", "lucene") or "lucene"
    operator = _first(params, "q.op", "OR") or "OR"
    default_field = _first(params, "df", "text") or "text"
    options = QueryOptions(default_field, operator, None, 0.0, now)
    if def_type == "lucene":
        matcher = Compiler(schema, options).compile(parse(q, operator).node)
        return matcher or NoneMatcher()
    if def_type not in ("dismax", "edismax"):
        raise QueryError(f"query parser '{def_type}' is not supported by the development stand-in")
    options.query_fields = parse_query_fields(_first(params, "qf", default_field) or default_field)
    try:
        options.tie = float(_first(params, "tie", "0") or 0)
    except ValueError as exc:
        raise QueryError("tie must be a number") from exc
    mm_spec: str | None = _first(params, "mm") or ("100%" if operator.upper() == "AND" else "0%")
    compiler = Compiler(schema, options)
    if def_type == "dismax":
        parsed = parse(dismax_escape(q), "OR", lenient=True)
    else:
        parsed = parse(q, "OR", lenient=True)
        if parsed.explicit_operators:
            options.default_operator = operator
            parsed = parse(q, operator, lenient=True)
            mm_spec = None  # explicit operators decide, as edismax does
    node = parsed.node
    if not isinstance(node, BoolNode):
        node = BoolNode(clauses=[(Occur.SHOULD, node)])
    matcher = compiler.boolean(node, mm_spec)
    return matcher or NoneMatcher()


def compile_filter(schema: Schema, fq: str, params: dict[str, list[str]], now: datetime) -> Matcher:
    """Compile a filter query (always the lucene parser, with the request's ``df`` and ``q.op``)."""
    operator = _first(params, "q.op", "OR") or "OR"
    options = QueryOptions(_first(params, "df", "text") or "text", operator, None, 0.0, now)
    matcher = Compiler(schema, options).compile(parse(fq, operator).node)
    return matcher or NoneMatcher()
