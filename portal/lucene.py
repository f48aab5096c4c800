"""Lucene query syntax, parsed into a small syntax tree for the Solr stand-in.

Covers what CKAN and its users send: ``field:value``, phrases with slop, ``*``/``?`` wildcards and
prefixes, fuzzy terms, ``/regex/``, inclusive and exclusive ranges with open ends, ``*:*``,
``field:*``, ``+``/``-``/``!``, ``AND``/``OR``/``NOT``/``&&``/``||``, grouping with field scope
``field:(a b)``, boosts and backslash escapes. Clauses combine as in Lucene's classic query parser,
including its treatment of the default operator (``q.op``), so that ``a OR b`` with ``q.op=AND``
means what it means on a real Solr.

The tree is independent of the schema: ``portal.query`` resolves fields and analyses terms.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from dataclasses import dataclass, field

_SPACE = " \t\n\r\f\v\u3000"
_TERM_STOP = set(_SPACE) | set('()":^[]{}~/!')


class QuerySyntaxError(ValueError):
    """The query string is not valid Lucene syntax."""


class Occur(enum.Enum):
    """How a clause takes part in a boolean query."""

    MUST = "+"
    SHOULD = ""
    MUST_NOT = "-"


@dataclass(kw_only=True)
class Node:
    """Base of all syntax-tree nodes; ``boost`` multiplies the node's score."""

    boost: float = 1.0


@dataclass
class TermNode(Node):
    """A single term, analysed per field later (``field`` None means the default field)."""

    field: str | None
    text: str


@dataclass
class PhraseNode(Node):
    """A quoted phrase with optional slop (``"a b"~2``)."""

    field: str | None
    text: str
    slop: int = 0


@dataclass
class WildcardNode(Node):
    """A term with unescaped ``*`` or ``?``; ``parts`` holds (character, is_wildcard) pairs."""

    field: str | None
    parts: tuple[tuple[str, bool], ...]

    @property
    def literal_prefix(self) -> str:
        """The characters before the first wildcard."""
        prefix: list[str] = []
        for char, wild in self.parts:
            if wild:
                break
            prefix.append(char)
        return "".join(prefix)

    @property
    def is_prefix(self) -> bool:
        """True for ``abc*``: a single trailing ``*`` and no other wildcard."""
        wild = [i for i, (_, is_wild) in enumerate(self.parts) if is_wild]
        return wild == [len(self.parts) - 1] and self.parts[-1][0] == "*"

    def map_literals(self, func: Callable[[str], str]) -> WildcardNode:
        """Return a copy whose literal characters went through ``func``, applied per literal run."""
        parts: list[tuple[str, bool]] = []
        run: list[str] = []
        for char, wild in self.parts:
            if wild:
                if run:
                    parts.extend((c, False) for c in func("".join(run)))
                    run = []
                parts.append((char, True))
            else:
                run.append(char)
        if run:
            parts.extend((c, False) for c in func("".join(run)))
        return WildcardNode(self.field, tuple(parts), boost=self.boost)


@dataclass
class FuzzyNode(Node):
    """A term matched within ``max_edits`` Levenshtein edits (``term~1``)."""

    field: str | None
    text: str
    max_edits: int = 2


@dataclass
class RegexNode(Node):
    """A regular-expression term (``/ab.*/``)."""

    field: str | None
    pattern: str


@dataclass
class RangeNode(Node):
    """``[a TO b]``, ``{a TO b}`` or mixed; None for an open end (``*``)."""

    field: str | None
    lower: str | None
    upper: str | None
    include_lower: bool = True
    include_upper: bool = True


@dataclass
class MatchAllNode(Node):
    """``*:*``: every document."""


@dataclass
class ExistsNode(Node):
    """``field:*`` or ``field:[* TO *]``: documents with any value in the field."""

    field: str | None


@dataclass
class BoolNode(Node):
    """Clauses combined with MUST / SHOULD / MUST_NOT, as a Lucene BooleanQuery."""

    clauses: list[tuple[Occur, Node]] = field(default_factory=list)
    min_should_match: int = 0


@dataclass(frozen=True)
class _Tok:
    kind: str
    value: object = None
    position: int = 0


class _Lexer:
    """Splits a query string into tokens; escapes are kept per character for wildcard handling."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def error(self, message: str) -> QuerySyntaxError:
        return QuerySyntaxError(f"Cannot parse '{self.text}': {message} at position {self.pos}")

    def tokens(self) -> list[_Tok]:
        out: list[_Tok] = []
        while True:
            tok = self._next()
            out.append(tok)
            if tok.kind == "EOF":
                return out

    def _next(self) -> _Tok:
        text = self.text
        while self.pos < len(text) and text[self.pos] in _SPACE:
            self.pos += 1
        start = self.pos
        if self.pos >= len(text):
            return _Tok("EOF", None, start)
        char = text[self.pos]
        two = text[self.pos : self.pos + 2]
        simple = {"(": "LPAREN", ")": "RPAREN", ":": "COLON", "+": "PLUS", "-": "MINUS", "!": "NOT"}
        if two in ("&&", "||"):
            self.pos += 2
            return _Tok("AND" if two == "&&" else "OR", None, start)
        if char in simple:
            self.pos += 1
            return _Tok(simple[char], None, start)
        if char == "^":
            self.pos += 1
            number = self._number()
            if number is None:
                raise self.error("'^' must be followed by a number")
            return _Tok("BOOST", number, start)
        if char == "~":
            self.pos += 1
            return _Tok("FUZZY", self._number(), start)
        if char == '"':
            return _Tok("PHRASE", self._quoted(), start)
        if char in "[{":
            return _Tok("RANGE", self._range(), start)
        if char == "/":
            return _Tok("REGEX", self._regex(), start)
        if char in "]}":
            raise self.error(f"unexpected '{char}'")
        return self._term(start)

    def _number(self) -> float | None:
        start = self.pos
        while self.pos < len(self.text) and (self.text[self.pos].isdigit() or self.text[self.pos] == "."):
            self.pos += 1
        if start == self.pos:
            return None
        try:
            return float(self.text[start : self.pos])
        except ValueError as exc:
            raise self.error("invalid number") from exc

    def _quoted(self) -> str:
        self.pos += 1
        out: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\\" and self.pos + 1 < len(self.text):
                out.append(self.text[self.pos + 1])
                self.pos += 2
                continue
            if char == '"':
                self.pos += 1
                return "".join(out)
            out.append(char)
            self.pos += 1
        raise self.error("unterminated phrase")

    def _regex(self) -> str:
        self.pos += 1
        out: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\\" and self.text[self.pos + 1 : self.pos + 2] == "/":
                out.append("/")
                self.pos += 2
                continue
            if char == "/":
                self.pos += 1
                return "".join(out)
            out.append(char)
            self.pos += 1
        raise self.error("unterminated regular expression")

    def _range_endpoint(self) -> tuple[str | None, bool]:
        while self.pos < len(self.text) and self.text[self.pos] in _SPACE:
            self.pos += 1
        if self.pos >= len(self.text):
            raise self.error("unterminated range")
        if self.text[self.pos] == '"':
            return self._quoted(), True
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in _SPACE + "]}":
            self.pos += 1
        value = self.text[start : self.pos]
        if not value:
            raise self.error("empty range endpoint")
        return value, False

    def _range(self) -> tuple[str | None, str | None, bool, bool]:
        include_lower = self.text[self.pos] == "["
        self.pos += 1
        lower, quoted_lower = self._range_endpoint()
        keyword, _ = self._range_endpoint()
        if keyword != "TO":
            raise self.error("expected 'TO' in range")
        upper, quoted_upper = self._range_endpoint()
        while self.pos < len(self.text) and self.text[self.pos] in _SPACE:
            self.pos += 1
        if self.pos >= len(self.text) or self.text[self.pos] not in "]}":
            raise self.error("range must end with ']' or '}'")
        include_upper = self.text[self.pos] == "]"
        self.pos += 1
        return (
            None if lower == "*" and not quoted_lower else lower,
            None if upper == "*" and not quoted_upper else upper,
            include_lower,
            include_upper,
        )

    def _term(self, start: int) -> _Tok:
        chars: list[tuple[str, bool]] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\\":
                if self.pos + 1 >= len(self.text):
                    raise self.error("term ends with an escape character")
                chars.append((self.text[self.pos + 1], True))
                self.pos += 2
                continue
            if char in _TERM_STOP:
                break
            chars.append((char, False))
            self.pos += 1
        if not chars:
            raise self.error(f"unexpected '{self.text[self.pos]}'")
        raw = "".join(c for c, _ in chars)
        if not any(escaped for _, escaped in chars) and raw in ("AND", "OR", "NOT"):
            return _Tok(raw, None, start)
        return _Tok("TERM", tuple(chars), start)


def _fuzzy_edits(value: float | None, term: str) -> int:
    if value is None:
        return 2
    if value >= 1:
        return min(int(value), 2)
    if value <= 0:
        return 0
    return min(int((1 - value) * len(term)), 2)


class _Parser:
    def __init__(self, text: str, default_operator: str, lenient: bool) -> None:
        self.text = text
        self.default_and = default_operator.upper() == "AND"
        self.lenient = lenient
        self.tokens = _Lexer(text).tokens()
        self.index = 0
        self.explicit_operators = False

    def error(self, message: str) -> QuerySyntaxError:
        return QuerySyntaxError(f"Cannot parse '{self.text}': {message}")

    def peek(self, offset: int = 0) -> _Tok:
        return self.tokens[min(self.index + offset, len(self.tokens) - 1)]

    def advance(self) -> _Tok:
        tok = self.peek()
        self.index += 1
        return tok

    def parse(self) -> Node:
        node = self.query(None)
        if self.peek().kind != "EOF" and not self.lenient:
            raise self.error(f"unexpected '{self.peek().kind}'")
        return node

    def query(self, field_name: str | None) -> Node:
        clauses: list[tuple[Occur, Node]] = []
        first_plain = False
        while self.peek().kind not in ("EOF", "RPAREN"):
            conj = ""
            if self.peek().kind in ("AND", "OR"):
                if not clauses and not self.lenient:
                    raise self.error(f"a query cannot start with {self.peek().kind}")
                conj = self.advance().kind
                self.explicit_operators = True
            modifier = ""
            if self.peek().kind in ("PLUS", "MINUS", "NOT"):
                modifier = self.advance().kind
                self.explicit_operators = True
            if self.peek().kind in ("EOF", "RPAREN"):
                if self.lenient:
                    break
                raise self.error("operator without a following clause")
            node = self.clause(field_name)
            if not clauses:
                first_plain = not conj and not modifier
            self.add_clause(clauses, conj, modifier, node)
        if len(clauses) == 1 and first_plain:
            return clauses[0][1]
        return BoolNode(clauses=clauses)

    def add_clause(self, clauses: list[tuple[Occur, Node]], conj: str, modifier: str, node: Node) -> None:
        # Mirrors the classic query parser: AND makes the previous clause required; OR under a
        # default AND makes it optional; prohibited clauses stay prohibited.
        if clauses and conj == "AND" and clauses[-1][0] is not Occur.MUST_NOT:
            clauses[-1] = (Occur.MUST, clauses[-1][1])
        if clauses and self.default_and and conj == "OR" and clauses[-1][0] is not Occur.MUST_NOT:
            clauses[-1] = (Occur.SHOULD, clauses[-1][1])
        prohibited = modifier in ("MINUS", "NOT")
        if self.default_and:
            required = not prohibited and conj != "OR"
        else:
            required = modifier == "PLUS" or (conj == "AND" and not prohibited)
        if prohibited:
            clauses.append((Occur.MUST_NOT, node))
        elif required:
            clauses.append((Occur.MUST, node))
        else:
            clauses.append((Occur.SHOULD, node))

    def clause(self, field_name: str | None) -> Node:
        if self.peek().kind == "TERM" and self.peek(1).kind == "COLON":
            chars = self.advance().value
            assert isinstance(chars, tuple)
            field_name = "".join(c for c, _ in chars)
            self.advance()
        tok = self.advance()
        node: Node
        if tok.kind == "LPAREN":
            node = self.query(field_name)
            if self.advance().kind != "RPAREN":
                raise self.error("missing ')'")
            self._apply_boost(node)
            return node
        if tok.kind == "TERM":
            assert isinstance(tok.value, tuple)
            return self._term(field_name, tok.value)
        if tok.kind == "PHRASE":
            slop = 0
            if self.peek().kind == "FUZZY":
                value = self.advance().value
                slop = int(value) if isinstance(value, float) else 0
            node = PhraseNode(field_name, str(tok.value), slop)
        elif tok.kind == "RANGE":
            assert isinstance(tok.value, tuple)
            lower, upper, include_lower, include_upper = tok.value
            if lower is None and upper is None:
                node = ExistsNode(field_name)
            else:
                node = RangeNode(field_name, lower, upper, include_lower, include_upper)
        elif tok.kind == "REGEX":
            node = RegexNode(field_name, str(tok.value))
        else:
            raise self.error(f"unexpected {tok.kind} at position {tok.position}")
        self._apply_boost(node)
        return node

    def _apply_boost(self, node: Node) -> None:
        if self.peek().kind == "BOOST":
            value = self.advance().value
            assert isinstance(value, float)
            node.boost *= value

    def _term(self, field_name: str | None, chars: tuple[tuple[str, bool], ...]) -> Node:
        text = "".join(c for c, _ in chars)
        wild = any(c in "*?" and not escaped for c, escaped in chars)
        node: Node
        if field_name == "*" and text == "*" and wild:
            node = MatchAllNode()
        elif text == "*" and wild:
            node = ExistsNode(field_name)
        elif wild:
            node = WildcardNode(field_name, tuple((c, c in "*?" and not e) for c, e in chars))
        else:
            node = TermNode(field_name, text)
        fuzzy: float | bool | None = False
        for _ in range(2):
            if self.peek().kind == "FUZZY" and fuzzy is False:
                value = self.advance().value
                fuzzy = value if isinstance(value, float) else None
            elif self.peek().kind == "BOOST":
                self._apply_boost(node)
        if fuzzy is not False and isinstance(node, TermNode):
            edits = _fuzzy_edits(fuzzy if isinstance(fuzzy, float) else None, text)
            node = FuzzyNode(field_name, text, edits, boost=node.boost)
        return node


@dataclass(frozen=True)
class ParsedQuery:
    """A parsed query and whether the user wrote explicit operators (edismax ignores ``mm`` then)."""

    node: Node
    explicit_operators: bool


def parse(text: str, default_operator: str = "OR", *, lenient: bool = False) -> ParsedQuery:
    """Parse Lucene syntax; ``lenient`` drops dangling operators instead of failing (dismax input)."""
    parser = _Parser(text, default_operator, lenient)
    node = parser.parse()
    return ParsedQuery(node, parser.explicit_operators)


_DISMAX_ESCAPE = set("\\!():^[]{}~*?/")


def dismax_escape(text: str) -> str:
    """Prepare user input for the dismax parser: only ``+``, ``-``, ``"`` and operators keep meaning.

    Unbalanced quotes are dropped, as Solr's dismax does, so a stray ``"`` never breaks a search.
    """
    if text.count('"') % 2:
        text = text.replace('"', "")
    out: list[str] = []
    in_quotes = False
    for char in text:
        if char == '"':
            in_quotes = not in_quotes
            out.append(char)
        elif char in _DISMAX_ESCAPE or (char in "&|" and not in_quotes):
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def min_should_match(spec: str, optional_clauses: int) -> int:
    """Evaluate a Solr ``mm`` spec (``2``, ``-1``, ``75%``, ``2<-1 5<80%``) for a clause count."""
    spec = spec.strip()
    if not spec:
        return 0
    if "<" in spec:
        result = optional_clauses
        for condition in spec.split():
            threshold, _, value = condition.partition("<")
            if optional_clauses > int(threshold):
                result = _mm_value(value, optional_clauses)
        return max(0, min(result, optional_clauses))
    return max(0, min(_mm_value(spec, optional_clauses), optional_clauses))


def _mm_value(value: str, count: int) -> int:
    value = value.strip()
    if value.endswith("%"):
        calc = count * int(value[:-1]) / 100
        return count + math.ceil(calc) if calc < 0 else math.floor(calc)
    number = int(value)
    return count + number if number < 0 else number
