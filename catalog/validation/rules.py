"""The record-level rules of validation, generated from the entry model (``catalog.fields.FIELDS``).

Each :class:`Rule` is one Great Expectations expectation (class name and arguments, so that this
module does not import Great Expectations) together with the finding it produces for every row the
expectation does not accept: the stable code, the field (and so the cell) the finding is on, and its
severity. Rules come from two sources:

- the field declarations: required and recommended fields, vocabularies, e-mail and URL patterns,
  lengths, dates (readable, not before 1900, ``last_updated`` not in the future, end not before
  start), unique identifiers, and the conditional fields (their ``condition`` is parsed, see
  :func:`parse_condition`);
- the publication rules of STANDARDS.md ("Rules that decide publication"): personal data is never
  public, third-party rights need clearing, a public entry needs an open licence.

A new field in ``FIELDS`` gets its rules without a change here.

The data frame the rules run on (see ``catalog.validation.suite``) has one row per record, one column per
field key (list fields joined with :data:`LIST_SEPARATOR`), a derived ``<key>__date`` column per date
field (the value parsed as a date, missing when unreadable) and the row number in :data:`RECORD_COLUMN`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, Literal

from catalog.fields import FIELDS, Field, Kind, Need
from catalog.findings import MESSAGES, Severity
from catalog.normalise import EMAIL_PATTERN, URL_PATTERN
from catalog.vocabulary import Vocabularies

RECORD_COLUMN = "record"
"""The column holding each record's position in the input: GE reports it for every unexpected row."""

LIST_SEPARATOR = "\x1f"
"""Joins the items of a list field into one cell (the ASCII unit separator: never part of a value)."""

DATE_SUFFIX = "__date"
"""Suffix of the derived column that holds a date field parsed as a date (missing when unreadable)."""

EARLIEST_DATE = dt.date(1900, 1, 1)
"""Dates before this are taken for typing errors (``0201`` for ``2021``) and reported."""

ISO_DATE_FORMAT = "%Y-%m-%d"

SPATIAL_URI = re.compile(r"^https?://dcat-ap\.de/def/politicalGeocoding/[A-Za-z]+Key/[0-9]+$")
"""What a record stores in ``spatial``: a political geocoding URI (the survey's scope list only says
whether there is one), so that field is checked against this pattern instead of its survey vocabulary."""

STORED_PATTERNS: dict[str, re.Pattern[str]] = {"spatial": SPATIAL_URI}
"""Coded fields whose stored value is not a concept of the field's (survey) vocabulary."""

CONDITIONAL_CODES: dict[str, str] = {
    "restriction_reason": "restriction-reason-missing",
    "license": "license-missing",
    "attribution": "attribution-missing",
}
"""The finding code of a conditional field left empty although its condition holds."""

RowCondition = tuple[Literal["==", "in", "not null"], str, Any]
"""A row condition without Great Expectations types: ``("==", column, value)``, ``("in", column, values)``
or ``("not null", column, None)``; ``catalog.validation.suite`` turns it into a GE ``Condition``."""

_CONDITION = re.compile(r"^(?P<field>[a-z_]+) is (?P<negated>not )?(?P<code>[A-Z_]+)$")
_REQUIRES = re.compile(r"^(?P<field>[a-z_]+) requires (?P<flag>[a-z_]+)$")


@dataclass(frozen=True)
class Rule:
    """One expectation and the finding it yields for each unexpected row."""

    code: str
    field: str
    expectation: str
    kwargs: Mapping[str, Any]
    severity: Severity | None = None
    condition: RowCondition | None = None
    """Only rows meeting this condition are checked."""
    allowed: frozenset[str] | None = None
    """For list fields checked against a vocabulary: the accepted item values (to name the unknown ones)."""
    params: Mapping[str, Any] = dataclass_field(default_factory=dict)

    @property
    def key(self) -> str:
        """A stable name of the rule, unique within a suite (``code/field``)."""
        return f"{self.code}/{self.field}"

    @property
    def effective_severity(self) -> Severity:
        """The severity of the findings of this rule (the code's default unless set)."""
        return self.severity or MESSAGES[self.code][0]


def date_column(key: str) -> str:
    """The name of the derived column holding date field ``key`` parsed as a date."""
    return key + DATE_SUFFIX


def _strict(spec: Field) -> bool:
    """Whether an unusable value of this field blocks approval (as in ``catalog.normalise``)."""
    return spec.need in (Need.REQUIRED, Need.CONDITIONAL)


def _lenient(spec: Field) -> Severity | None:
    return None if _strict(spec) else "warning"


def parse_condition(condition: str, vocab: Vocabularies) -> RowCondition:
    """Turn a field's ``condition`` (as written in ``FIELDS``) into a row condition.

    Understood forms: ``<field> is <CODE>``, ``<field> is not <CODE>`` (CODE a concept code of the
    field's vocabulary; "is not" means "is another concept of the vocabulary": an empty or unknown
    value has its own finding and does not make the condition true) and ``<field> requires <flag>``
    (the field's value is a concept whose boolean ``flag`` is true, e.g. a licence that requires
    attribution). Anything else is a programming error in ``FIELDS`` and raises ``ValueError``.
    """
    if m := _CONDITION.match(condition):
        spec = _field(m["field"], condition)
        scheme = vocab[_vocabulary(spec, condition)]
        concept = scheme.by_code(m["code"])
        if m["negated"]:
            return ("in", spec.key, sorted(c.value for c in scheme if c.value != concept.value))
        return ("==", spec.key, concept.value)
    if m := _REQUIRES.match(condition):
        spec = _field(m["field"], condition)
        scheme = vocab[_vocabulary(spec, condition)]
        values = [c.value for c in scheme if getattr(c, m["flag"], None) is True]
        if not values:
            raise ValueError(f"condition {condition!r}: no concept of {scheme.name} has {m['flag']!r}")
        return ("in", spec.key, sorted(values))
    raise ValueError(f"condition {condition!r} is not understood")


def _field(key: str, condition: str) -> Field:
    for spec in FIELDS:
        if spec.key == key:
            return spec
    raise ValueError(f"condition {condition!r} names unknown field {key!r}")


def _vocabulary(spec: Field, condition: str) -> str:
    if spec.vocabulary is None:
        raise ValueError(f"condition {condition!r}: field {spec.key!r} has no vocabulary")
    return spec.vocabulary


def _list_pattern(values: list[str]) -> str:
    """A regex accepting the joined items of a list cell when every item is one of ``values``."""
    one = "(?:" + "|".join(re.escape(v) for v in sorted(values, key=len, reverse=True)) + ")"
    return f"^{one}(?:{re.escape(LIST_SEPARATOR)}{one})*$"


def _presence_rule(spec: Field) -> Rule | None:
    if spec.need is Need.REQUIRED:
        return Rule("missing-required", spec.key, "ExpectColumnValuesToNotBeNull", {"column": spec.key})
    if spec.need is Need.RECOMMENDED:
        return Rule("missing-recommended", spec.key, "ExpectColumnValuesToNotBeNull", {"column": spec.key})
    return None


def _conditional_rule(spec: Field, vocab: Vocabularies) -> Rule | None:
    if spec.need is not Need.CONDITIONAL or not spec.condition:
        return None
    return Rule(
        CONDITIONAL_CODES.get(spec.key, "missing-required"),
        spec.key,
        "ExpectColumnValuesToNotBeNull",
        {"column": spec.key},
        condition=parse_condition(spec.condition, vocab),
    )


def _vocabulary_rule(spec: Field, vocab: Vocabularies) -> Rule | None:
    if spec.vocabulary is None:
        return None
    if spec.key in STORED_PATTERNS:
        return Rule(
            "unknown-value", spec.key, "ExpectColumnValuesToMatchRegex",
            {"column": spec.key, "regex": STORED_PATTERNS[spec.key].pattern}, severity=_lenient(spec),
        )
    values = [c.value for c in vocab[spec.vocabulary]]
    if spec.is_list:
        return Rule(
            "unknown-value", spec.key, "ExpectColumnValuesToMatchRegex",
            {"column": spec.key, "regex": _list_pattern(values)}, severity=_lenient(spec), allowed=frozenset(values),
        )
    return Rule(
        "unknown-value", spec.key, "ExpectColumnValuesToBeInSet",
        {"column": spec.key, "value_set": sorted(values)}, severity=_lenient(spec),
    )


def _without_groups(pattern: re.Pattern[str]) -> str:
    """``pattern`` as a string GE can use: capturing groups made non-capturing (pandas warns about
    groups in ``str.contains``), the ignore-case flag inlined; the meaning does not change."""
    if re.search(r"\[[^\]]*\(", pattern.pattern):
        raise ValueError(f"a '(' in a character class of {pattern.pattern!r}: rewrite by hand")
    text = re.sub(r"(?<!\\)\((?!\?)", "(?:", pattern.pattern)
    if re.compile(text).groups:
        raise ValueError(f"cannot remove the groups of {pattern.pattern!r}")
    return ("(?i)" if pattern.flags & re.IGNORECASE else "") + text


def _pattern_rules(spec: Field) -> list[Rule]:
    """The e-mail and URL patterns of ``catalog.normalise`` (one definition of a valid value)."""
    if spec.kind is Kind.EMAIL:
        return [Rule("invalid-email", spec.key, "ExpectColumnValuesToMatchRegex",
                     {"column": spec.key, "regex": _without_groups(EMAIL_PATTERN)}, severity=_lenient(spec))]
    if spec.kind is Kind.URL:
        return [Rule("invalid-url", spec.key, "ExpectColumnValuesToMatchRegex",
                     {"column": spec.key, "regex": _without_groups(URL_PATTERN)})]
    return []


def _length_rules(spec: Field) -> list[Rule]:
    rules = []
    if spec.max_length is not None:
        rules.append(Rule("too-long", spec.key, "ExpectColumnValueLengthsToBeBetween",
                          {"column": spec.key, "max_value": spec.max_length}, params={"limit": spec.max_length}))
    if spec.min_length_warning is not None:
        rules.append(Rule("description-short", spec.key, "ExpectColumnValueLengthsToBeBetween",
                          {"column": spec.key, "min_value": spec.min_length_warning},
                          params={"limit": spec.min_length_warning}))
    return rules


def _date_rules(spec: Field, today: dt.date) -> list[Rule]:
    if spec.kind not in (Kind.DATE, Kind.DATE_START, Kind.DATE_END):
        return []
    parsed = date_column(spec.key)
    rules = [
        Rule("invalid-date", spec.key, "ExpectColumnValuesToNotBeNull", {"column": parsed},
             severity=_lenient(spec), condition=("not null", spec.key, None)),
        Rule("date-too-early", spec.key, "ExpectColumnValuesToBeBetween",
             {"column": parsed, "min_value": dt.datetime.combine(EARLIEST_DATE, dt.time())},
             params={"limit": EARLIEST_DATE.isoformat()}),
    ]
    if spec.kind is Kind.DATE:  # "not in the future" (fields.Kind.DATE)
        rules.append(Rule("date-in-future", spec.key, "ExpectColumnValuesToBeBetween",
                          {"column": parsed, "max_value": dt.datetime.combine(today, dt.time())}))
    return rules


def _order_rules() -> list[Rule]:
    """``end >= start`` for each pair of a start and an end date field (by their kinds)."""
    starts = [f for f in FIELDS if f.kind is Kind.DATE_START]
    ends = [f for f in FIELDS if f.kind is Kind.DATE_END]
    return [
        Rule("date-order", end.key, "ExpectColumnPairValuesAToBeGreaterThanB",
             {"column_A": date_column(end.key), "column_B": date_column(start.key), "or_equal": True,
              "ignore_row_if": "either_value_is_missing"}, params={"start_field": start.key})
        for start, end in zip(starts, ends, strict=True)
    ]


def _identifier_rules(spec: Field) -> list[Rule]:
    if spec.kind is not Kind.IDENTIFIER:
        return []
    return [Rule("duplicate-identifier", spec.key, "ExpectColumnValuesToBeUnique", {"column": spec.key})]


def publication_rules(vocab: Vocabularies) -> list[Rule]:
    """The rules of STANDARDS.md that decide publication, as conditional expectations."""
    public = vocab["access_rights"].by_code("PUBLIC").value
    personal: RowCondition = ("==", "personal_data", vocab["personal_data"].by_code("yes").value)
    closed = sorted(c.value for c in vocab["license"] if c.open is False)
    blocking = sorted(vocab["third_party_rights"].by_code(code).value for code in ("yes", "unclear"))
    proposed = vocab["publish_proposal"].by_code("yes").value
    return [
        Rule("personal-data-public", "access_rights", "ExpectColumnValuesToNotBeInSet",
             {"column": "access_rights", "value_set": [public]}, condition=personal),
        Rule("personal-data-proposed", "publish_proposal", "ExpectColumnValuesToNotBeInSet",
             {"column": "publish_proposal", "value_set": [proposed]}, condition=personal),
        Rule("third-party-rights", "third_party_rights", "ExpectColumnValuesToNotBeInSet",
             {"column": "third_party_rights", "value_set": blocking}),
        Rule("license-not-open", "license", "ExpectColumnValuesToNotBeInSet",
             {"column": "license", "value_set": closed}, condition=("==", "access_rights", public)),
    ]


def build_rules(vocab: Vocabularies, *, today: dt.date) -> list[Rule]:
    """All record-level rules, in field order, then date order, then the publication rules.

    ``today`` bounds dates that must not lie in the future. Raises ``ValueError`` when two rules would
    share a key (the suite would silently merge them).
    """
    rules: list[Rule] = []
    for spec in FIELDS:
        for rule in (_presence_rule(spec), _conditional_rule(spec, vocab), _vocabulary_rule(spec, vocab)):
            if rule is not None:
                rules.append(rule)
        rules += _pattern_rules(spec) + _length_rules(spec) + _date_rules(spec, today) + _identifier_rules(spec)
    rules += _order_rules() + publication_rules(vocab)
    keys = [r.key for r in rules]
    if len(set(keys)) != len(keys):
        raise ValueError(f"duplicate rule keys: {sorted(k for k in keys if keys.count(k) > 1)}")
    return rules
