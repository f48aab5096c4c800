"""The stand-in's building blocks without HTTP: query syntax, analysis, stemming, date math, mm."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from portal.analysis import WordDelimiterOptions, ascii_fold, split_subwords
from portal.ckan_site import default_venv, solr_schema
from portal.datemath import DateError, format_date, parse_date
from portal.errors import PortalError
from portal.lucene import (
    BoolNode,
    ExistsNode,
    FuzzyNode,
    MatchAllNode,
    Occur,
    PhraseNode,
    QuerySyntaxError,
    RangeNode,
    RegexNode,
    TermNode,
    WildcardNode,
    dismax_escape,
    min_should_match,
    parse,
)
from portal.schema import Kind, Schema
from portal.stemmer import stem


def occurs(text: str, operator: str = "OR") -> list[tuple[str, str]]:
    node = parse(text, operator).node
    assert isinstance(node, BoolNode)
    return [(occur.value, getattr(child, "text", type(child).__name__)) for occur, child in node.clauses]


@pytest.mark.parametrize(
    ("query", "operator", "expected"),
    [
        ("a b", "OR", [("", "a"), ("", "b")]),
        ("a b", "AND", [("+", "a"), ("+", "b")]),
        ("a OR b", "AND", [("", "a"), ("", "b")]),
        ("a AND b", "OR", [("+", "a"), ("+", "b")]),
        ("a AND b OR c", "AND", [("+", "a"), ("", "b"), ("", "c")]),
        ("+a -b c", "OR", [("+", "a"), ("-", "b"), ("", "c")]),
        ("a NOT b", "OR", [("", "a"), ("-", "b")]),
        ("a && !b", "OR", [("+", "a"), ("-", "b")]),
        ("a || b", "AND", [("", "a"), ("", "b")]),
    ],
)
def test_boolean_operators_follow_the_classic_parser(
    query: str, operator: str, expected: list[tuple[str, str]]
) -> None:
    assert occurs(query, operator) == expected


def test_fields_phrases_and_grouping() -> None:
    node = parse('+tags:"Öffentlicher Verkehr" title:(rad weg)^2 -state:deleted', "AND").node
    assert isinstance(node, BoolNode)
    (o1, phrase), (o2, group), (o3, term) = node.clauses
    assert (o1, o2, o3) == (Occur.MUST, Occur.MUST, Occur.MUST_NOT)
    assert phrase == PhraseNode("tags", "Öffentlicher Verkehr")
    assert isinstance(group, BoolNode) and group.boost == 2.0
    assert [c.field for _, c in group.clauses] == ["title", "title"]  # type: ignore[attr-defined]
    assert term == TermNode("state", "deleted")


def test_special_queries() -> None:
    assert parse("*:*").node == MatchAllNode()
    assert parse("extras_issued:*").node == ExistsNode("extras_issued")
    assert parse("res_format:[* TO *]").node == ExistsNode("res_format")
    assert parse("metadata_modified:[NOW-1YEAR/DAY TO *]").node == RangeNode(
        "metadata_modified", "NOW-1YEAR/DAY", None, True, True
    )
    assert parse('name:{"a" TO m]').node == RangeNode("name", "a", "m", False, True)
    assert parse("title:wass*").node == WildcardNode(
        "title", (("w", False), ("a", False), ("s", False), ("s", False), ("*", True))
    )
    assert parse("name:/ab.*/").node == RegexNode("name", "ab.*")
    assert parse("title:wasser~1").node == FuzzyNode("title", "wasser", 1)
    assert parse('notes:"rad weg"~3').node == PhraseNode("notes", "rad weg", 3)


def test_escapes_keep_characters_literal() -> None:
    assert parse(r"url:http\:\/\/example.org\/a").node == TermNode("url", "http://example.org/a")
    node = parse(r"name:a\*b").node
    assert node == TermNode("name", "a*b")
    assert parse(r"id:abc\ def").node == TermNode("id", "abc def")
    wildcard = parse(r"name:a\*b*").node
    assert isinstance(wildcard, WildcardNode) and wildcard.is_prefix and wildcard.literal_prefix == "a*b"


@pytest.mark.parametrize("query", ["title:(a b", '"open phrase', "AND a", "a:b:c", "tags:[a TO]", "x^"])
def test_syntax_errors(query: str) -> None:
    with pytest.raises(QuerySyntaxError):
        parse(query)


def test_dismax_input_is_escaped() -> None:
    assert dismax_escape("water: (quality)") == r"water\: \(quality\)"
    assert dismax_escape('say "hello') == "say hello"
    assert parse(dismax_escape("a:b c*"), lenient=True).node == BoolNode(
        clauses=[(Occur.SHOULD, TermNode(None, "a:b")), (Occur.SHOULD, TermNode(None, "c*"))]
    )


def test_minimum_should_match_specs() -> None:
    ckan = "2<-1 5<80%"
    assert [min_should_match(ckan, n) for n in range(1, 9)] == [1, 2, 2, 3, 4, 4, 5, 6]
    assert min_should_match("100%", 3) == 3
    assert min_should_match("-1", 3) == 2
    assert min_should_match("75%", 3) == 2
    assert min_should_match("-25%", 3) == 3
    assert min_should_match("0%", 4) == 0


def test_word_delimiter_splits_like_solr() -> None:
    options = WordDelimiterOptions()
    assert split_subwords("PowerShot", options) == [("Power", True), ("Shot", True)]
    assert split_subwords("SD500", options) == [("SD", True), ("500", False)]
    assert split_subwords("wi-fi", options) == [("wi", True), ("fi", True)]
    assert split_subwords("O'Neil's", options) == [("O", True), ("Neil", True)]
    assert split_subwords("---", options) == []


def _terms(schema: Schema, field: str, text: str, phase: str = "index") -> list[tuple[str, int]]:
    field_def = schema.field(field)
    assert field_def is not None
    analyzer = field_def.type.index_analyzer if phase == "index" else field_def.type.query_analyzer
    assert analyzer is not None
    return [(token.text, token.position) for token in analyzer.analyze(text)]


def test_text_analysis_follows_the_schema(schema_file: Path) -> None:
    schema = Schema.load(schema_file)
    assert _terms(schema, "title", "Wasserqualität der Isar-Auen, Floods 2024") == [
        ("wasserqualitat", 0),
        ("der", 1),
        ("isar", 2),
        ("auen", 3),
        ("isarauen", 2),
        ("flood", 4),
        ("2024", 5),
    ]
    assert _terms(schema, "title", "Isar-Auen", "query") == [("isar", 0), ("auen", 1)]
    assert _terms(schema, "author", "Stadt München-Nord") == [("stadt", 0), ("münchen", 1), ("nord", 2)]


def test_fields_resolve_through_dynamic_patterns_and_copy_rules(schema_file: Path) -> None:
    schema = Schema.load(schema_file)
    tags, extras, other, dates = (
        schema.field(n) for n in ("tags", "extras_issued", "owner_org", "issued_date")
    )
    assert tags is not None and tags.kind is Kind.STRING and tags.multi_valued
    assert extras is not None and extras.kind is Kind.TEXT and extras.name == "extras_*"
    assert other is not None and other.name == "*" and not other.stored
    assert dates is not None and dates.kind is Kind.DATE
    assert schema.copy_targets("extras_issued") == ("text",)
    assert schema.copy_targets("title") == ("text", "title_ngram")


def test_ckan_schema_is_understood() -> None:
    """CKAN's own schema.xml, when CKAN's environment is installed on this machine."""
    venv = Path(os.environ.get("INVENTUR_CKAN_VENV") or default_venv())
    try:
        schema = Schema.load(solr_schema(venv))
    except PortalError:
        pytest.skip(f"CKAN is not installed in {venv}")
    assert schema.name.startswith("ckan-") and schema.unique_key == "index_id"
    for name, kind, multi in [
        ("tags", Kind.STRING, True),
        ("groups", Kind.STRING, True),
        ("res_format", Kind.STRING, True),
        ("text", Kind.TEXT, True),
        ("extras_contributorID", Kind.TEXT, False),
        ("metadata_modified", Kind.DATE, False),
        ("owner_org", Kind.STRING, False),
    ]:
        field_def = schema.field(name)
        assert field_def is not None and (field_def.kind, field_def.multi_valued) == (kind, multi), name
    assert "text" in schema.copy_targets("notes")
    assert "text" in schema.copy_targets("extras_identifier")


def test_stemmer_on_porter2_vocabulary() -> None:
    expected = {
        "caresses": "caress",
        "ponies": "poni",
        "flooding": "flood",
        "floods": "flood",
        "generously": "generous",
        "hopping": "hop",
        "relational": "relat",
        "agreed": "agre",
        "dying": "die",
        "skies": "sky",
        "datasets": "dataset",
    }
    assert {word: stem(word) for word in expected} == expected


def test_ascii_folding() -> None:
    assert ascii_fold("Straße Öffentlich Ærø") == "Strasse Offentlich AEro"


def test_date_math() -> None:
    now = datetime(2024, 3, 31, 15, 30, 12, 345000, tzinfo=UTC)
    assert format_date(parse_date("NOW", now)) == "2024-03-31T15:30:12.345Z"
    assert format_date(parse_date("NOW/DAY", now)) == "2024-03-31T00:00:00Z"
    assert format_date(parse_date("NOW-1MONTH/DAY", now)) == "2024-02-29T00:00:00Z"
    assert format_date(parse_date("NOW+1YEAR-2HOURS", now)) == "2025-03-31T13:30:12.345Z"
    assert format_date(parse_date("2020-01-01T00:00:00Z+6MONTHS")) == "2020-07-01T00:00:00Z"
    assert format_date(parse_date("2024-05-01T10:11:12.123456Z")) == "2024-05-01T10:11:12.123Z"
    for bad in ("2024-05-01", "2024-05-01T10:11:12+02:00", "NOW+1FORTNIGHT", "yesterday"):
        with pytest.raises(DateError):
            parse_date(bad)
