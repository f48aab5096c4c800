"""Validation of normalised inventory entries: record-level rules with Great Expectations, then cross-entry checks.

Normalisation (``catalog.normalise``) has already judged each cell on its own. Validation judges each
record as a whole (required fields, vocabularies, patterns, lengths, dates, conditions between fields,
the publication rules of STANDARDS.md) and the set of records (unique identifiers, duplicate titles,
the same dataset in two departments, similar datasets in the other cities).

The record-level rules (``catalog.validation_rules``) are generated from ``catalog.fields.FIELDS`` and
run as one Great Expectations suite on a pandas data frame of the run's records, in an ephemeral
context, with complete results: every unexpected row of every expectation becomes a finding on the
right entry and cell. A result that reports fewer rows than it counts is a bug, not a finding, and
raises. The cross-entry checks (``catalog.validation_similarity``) follow in plain Python.

Great Expectations (about 6 s to import) and pandas are imported inside the functions that need them.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re
import shutil
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from catalog.fields import BY_KEY, FIELDS, Kind
from catalog.findings import SEVERITY_ORDER, Finding, finding
from catalog.organisation import UnknownCity, UnknownDepartment, load_organisation
from catalog.validation_docs import is_docs_site, make_offline, site_config
from catalog.validation_rules import (
    ISO_DATE_FORMAT,
    LIST_SEPARATOR,
    RECORD_COLUMN,
    RowCondition,
    Rule,
    build_rules,
    date_column,
)
from catalog.validation_similarity import Entry, cross_entry_findings
from catalog.vocabulary import Vocabularies, clean_key, vocabularies

if TYPE_CHECKING:
    import pandas as pd

SUITE_NAME = "inventur-entries"
_RUN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_COLUMN_ORDER = {spec.key: n for n, spec in enumerate(FIELDS)}
_DEFAULT_ATTRIBUTION = "Stadt Augsburg, Amt für Statistik"

# What GE returns for every expectation: all unexpected rows, identified by the record column.
RESULT_FORMAT: dict[str, Any] = {
    "result_format": "COMPLETE",
    "unexpected_index_column_names": [RECORD_COLUMN],
    "return_unexpected_index_query": False,
    "partial_unexpected_count": 20,
}


@dataclass
class ValidationResult:
    """The outcome of one validation run."""

    findings: list[Finding]
    """Every finding of the run, ordered by record, then column, then code; never truncated."""
    checked: int
    """How many records were checked."""
    docs_index: Path | None
    """The ``index.html`` of the run's Data Docs, when ``docs_dir`` was given."""
    seconds: float
    """Wall time of the run, including Data Docs."""

    def counts(self) -> Counter[str]:
        """The number of findings per code."""
        return Counter(f.code for f in self.findings)


@dataclass(frozen=True)
class _Location:
    """Where a record's findings point to (SURVEY.md, "Findings")."""

    city: str | None
    department: str | None
    identifier: str | None
    file: str | None
    sheet: str | None
    row: int | None

    def place(self, found: Finding, field: str) -> Finding:
        """``found`` on this record's cell of ``field`` (what ``Finding.at`` does, without its overhead)."""
        return Finding(
            code=found.code, severity=found.severity, message=found.message, message_en=found.message_en,
            city=self.city, department=self.department, identifier=self.identifier, file=self.file,
            sheet=self.sheet, row=self.row, column=BY_KEY[field].column, field=field, value=found.value,
            params=found.params,
        )


def _is_sequence(value: Any) -> bool:
    """A list-like cell: list, tuple, set, or a one-dimensional array (a data frame read from Parquet)."""
    return isinstance(value, (list, tuple, set, frozenset)) or getattr(value, "ndim", 0) == 1


def _blank(value: Any) -> bool:
    """None, NaN/NaT/NA, or a string of blanks (a list-like value is never blank itself)."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, dict) or _is_sequence(value):
        return False
    try:
        return bool(value != value)  # NaT, numpy NaN
    except (TypeError, ValueError):
        return True  # pandas.NA refuses comparison


def _scalar_text(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _items(value: Any) -> list[str]:
    """The items of a list field (a single value counts as a list of one)."""
    if _is_sequence(value):
        return [_scalar_text(v) for v in value if not _blank(v)]
    return [] if _blank(value) else [_scalar_text(value)]


def _cell(value: Any, is_list: bool) -> str | None:
    """A record value as one cell of the validation frame: text, list items joined, or None."""
    if isinstance(value, str):
        return value if value.strip() else None
    if is_list or _is_sequence(value):
        return LIST_SEPARATOR.join(_items(value)) or None
    return None if _blank(value) else _scalar_text(value)


def _shown(value: Any) -> str | None:
    """A record value as a finding shows it ("as in the record"; list items joined by "; ")."""
    if _is_sequence(value):
        return "; ".join(_items(value)) or None
    return None if _blank(value) else _scalar_text(value)


def _as_row(value: Any) -> int | None:
    if isinstance(value, bool) or _blank(value):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _as_text(value: Any) -> str | None:
    return None if _blank(value) else str(value)


def _location(record: Mapping[str, Any]) -> _Location:
    return _Location(
        city=_as_text(record.get("city")),
        department=_as_text(record.get("department")),
        identifier=_as_text(record.get("identifier")),
        file=_as_text(record.get("_file")),
        sheet=_as_text(record.get("_sheet")),
        row=_as_row(record.get("_row")),
    )


def build_frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The data frame the suite runs on: one row per record, one column per field, derived date columns.

    List fields are joined with ``LIST_SEPARATOR``; blank values and empty lists are missing; each date
    field also appears parsed (``<key>__date``, missing when it is not an ISO date).
    """
    import pandas as pd

    data: dict[str, Any] = {RECORD_COLUMN: range(len(rows))}
    for spec in FIELDS:
        key, is_list = spec.key, spec.is_list
        data[key] = pd.Series([_cell(row.get(key), is_list) for row in rows], dtype=object)
    frame = pd.DataFrame(data)
    for spec in FIELDS:
        if spec.kind in (Kind.DATE, Kind.DATE_START, Kind.DATE_END):
            frame[date_column(spec.key)] = pd.to_datetime(frame[spec.key], format=ISO_DATE_FORMAT, errors="coerce")
    return frame


def _raised(exception_info: Any) -> str | None:
    """The message of an exception GE caught while evaluating an expectation, if any."""
    if not isinstance(exception_info, Mapping):
        return None
    if exception_info.get("raised_exception"):
        return str(exception_info.get("exception_message"))
    for value in exception_info.values():
        if isinstance(value, Mapping) and (message := _raised(value)):
            return message
    return None


def _row_condition(condition: RowCondition) -> Any:
    """The GE ``Condition`` of a rule's row condition."""
    from great_expectations.expectations.row_conditions import Column

    operator, column, value = condition
    if operator == "==":
        return Column(column) == value
    if operator == "in":
        return Column(column).is_in(list(value))
    return Column(column).is_not_null()


def run_suite(
    frame: pd.DataFrame, rules: Sequence[Rule], *, site_dir: Path | None = None, run_name: str = "validation"
) -> dict[str, list[int]]:
    """Run ``rules`` as one GE suite on ``frame``; the record numbers each rule does not accept, by rule key.

    With ``site_dir`` the run goes through a checkpoint whose action writes the Data Docs site there.
    Raises ``RuntimeError`` when GE could not evaluate an expectation or returned fewer unexpected
    rows than it counted (findings would be lost).
    """
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        data_docs_sites={"inventur": site_config(site_dir)} if site_dir else {},
    )
    context = gx.get_context(mode="ephemeral", project_config=config)
    asset = context.data_sources.add_pandas("inventory").add_dataframe_asset("entries")
    batch_definition = asset.add_batch_definition_whole_dataframe("all entries")
    by_key = {rule.key: rule for rule in rules}
    expectations = [
        getattr(gx.expectations, rule.expectation)(
            **rule.kwargs,
            **({"row_condition": _row_condition(rule.condition)} if rule.condition else {}),
            meta={"rule": rule.key, "severity": rule.effective_severity},
            notes=f"inventur finding: {rule.code} on {rule.field} (column {BY_KEY[rule.field].column})",
        )
        for rule in rules
    ]
    suite = gx.ExpectationSuite(name=SUITE_NAME, expectations=expectations)
    if len(suite.expectations) != len(rules):
        raise RuntimeError(f"the suite holds {len(suite.expectations)} expectations for {len(rules)} rules")
    if site_dir is None:
        # validating the batch directly keeps GE from serialising the complete results into its store
        batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
        outcome = batch.validate(suite, result_format=RESULT_FORMAT)
    else:
        suite = context.suites.add(suite)
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=run_name, data=batch_definition, suite=suite)
        )
        checkpoint = context.checkpoints.add(
            gx.Checkpoint(
                name=run_name, validation_definitions=[definition], result_format=RESULT_FORMAT,
                actions=[gx.checkpoint.UpdateDataDocsAction(name="data docs", site_names=["inventur"])],
            )
        )
        run = checkpoint.run(batch_parameters={"dataframe": frame}, run_id=RunIdentifier(run_name=run_name))
        outcome = next(iter(run.run_results.values()))
    unexpected: dict[str, list[int]] = {}
    for result in outcome.results:
        config_ = result.expectation_config
        key = str((config_.meta or {}).get("rule")) if config_ is not None else ""
        if key not in by_key:
            raise RuntimeError(f"GE returned a result for an unknown expectation: {config_}")
        if message := _raised(result.exception_info):
            raise RuntimeError(f"rule {key}: Great Expectations could not evaluate it: {message}")
        details = result.result or {}
        rows = [int(item[RECORD_COLUMN]) for item in details.get("unexpected_index_list") or []]
        if len(rows) != int(details.get("unexpected_count") or 0):
            raise RuntimeError(f"rule {key}: {details.get('unexpected_count')} unexpected rows, {len(rows)} returned")
        unexpected[key] = rows
    missing = set(by_key) - set(unexpected)
    if missing:
        raise RuntimeError(f"no result for rules {sorted(missing)}")
    return unexpected


def _attribution_example(location: _Location) -> str:
    """An attribution text for the department's message, e.g. "Stadt Augsburg, Amt für Statistik"."""
    organisation = load_organisation()
    try:
        city = organisation.city(location.city or "")
    except UnknownCity:
        return _DEFAULT_ATTRIBUTION
    try:
        return f"{city.name}, {organisation.department(city.key, location.department or '').name}"
    except UnknownDepartment:
        return city.name


def _rule_findings(rule: Rule, record: Mapping[str, Any], location: _Location, vocab: Vocabularies) -> list[Finding]:
    """The findings of ``rule`` on a record it does not accept (placed on the record's cell)."""
    spec = BY_KEY[rule.field]
    value = record.get(rule.field)
    params: dict[str, Any] = {"label": spec.label, "field": spec.key}
    params.update((k, v) for k, v in rule.params.items() if k != "start_field")
    if rule.severity:
        params["severity"] = rule.severity
    code = rule.code
    if code in ("missing-required", "missing-recommended", "restriction-reason-missing", "license-missing"):
        made = [finding(code, **params)]
    elif code == "attribution-missing":
        made = [finding(code, example=_attribution_example(location), **params)]
    elif code == "unknown-value" and rule.allowed is not None:
        made = [finding(code, value=item, **params) for item in _items(value) if item not in rule.allowed]
    elif code in ("too-long", "description-short"):
        made = [finding(code, value=_shown(value), length=len(str(value)), **params)]
    elif code == "date-order":
        start = record.get(str(rule.params["start_field"]))
        made = [finding(code, value=_shown(value), start=_shown(start), end=_shown(value), **params)]
    elif code in ("third-party-rights", "license-not-open") and spec.vocabulary:
        # the message names the value as the department chose it; the finding keeps the stored value
        label = vocab.label(spec.vocabulary, _shown(value))
        made = [finding(code, value=label, **params).at(value=_shown(value))]
    else:
        made = [finding(code, value=_shown(value), **params)]
    return [location.place(f, rule.field) for f in made]


def _entry(index: int, record: Mapping[str, Any], location: _Location) -> Entry | None:
    """What the cross-entry checks use of a record (None without a title: nothing to compare)."""
    title = record.get("title")
    if not isinstance(title, str) or not title.strip():
        return None
    source = record.get("source_system")
    return Entry(
        index=index, city=location.city, department=location.department, identifier=location.identifier,
        title=title.strip(), source=clean_key(source) if isinstance(source, str) else "", row=location.row,
    )


def duty_findings(rows: Sequence[Mapping[str, Any]]) -> Iterator[tuple[int, Finding]]:
    """What the law asks of a record beyond the survey's own rules: the readiness of a High-Value Dataset
    (``catalog.hvd``) and the legal basis a restricted holding needs on the list of protected data
    (``catalog.protected``); per record index."""
    from catalog.hvd import hvd_findings
    from catalog.protected import PROTECTED_ACCESS, listing_findings

    for index, row in enumerate(rows):
        if _blank(row.get("hvd_category")) and row.get("access_rights") not in PROTECTED_ACCESS:
            continue
        plain = {key: (list(_items(value)) if _is_sequence(value) else (None if _blank(value) else value))
                 for key, value in row.items()}
        for found in (*hvd_findings(plain), *listing_findings(plain)):
            yield index, found


def _rows(records: Sequence[Mapping[str, Any]] | pd.DataFrame) -> list[Mapping[str, Any]]:
    """The records as a list of mappings (a data frame gives one mapping per row)."""
    import pandas as pd

    if isinstance(records, pd.DataFrame):
        return [dict(row) for row in records.to_dict("records")]
    return list(records)


def _clear_run_folder(site_dir: Path) -> None:
    """Make room for a run's Data Docs: an earlier report of the same run name is replaced; a folder
    that holds anything else is never touched (``FileExistsError``)."""
    if not site_dir.exists() or not any(site_dir.iterdir()):
        return
    if not is_docs_site(site_dir):
        raise FileExistsError(f"{site_dir} exists and is not a Data Docs report of a validation run")
    shutil.rmtree(site_dir)


def _default_run_name() -> str:
    return "validation-" + dt.datetime.now().strftime("%Y%m%dT%H%M%S%f")


def _summary(result: list[Finding], checked: int, seconds: float, today: dt.date) -> dict[str, Any]:
    by_code = Counter((f.code, f.severity) for f in result)
    rows = sorted(by_code.items(), key=lambda item: (SEVERITY_ORDER[item[0][1]], -item[1], item[0][0]))
    severities = Counter(f.severity for f in result)
    return {
        "figures": {
            "records checked": checked,
            "findings": len(result),
            **{f"{s} findings": severities.get(s, 0) for s in ("error", "warning", "info")},
            "reference date": today.isoformat(),
            "seconds before the report was written": f"{seconds:.2f}",
        },
        "findings": [(code, severity, n) for (code, severity), n in rows],
    }


def validate_records(
    records: Sequence[Mapping[str, Any]] | pd.DataFrame,
    *,
    today: dt.date | None = None,
    docs_dir: Path | None = None,
    run_name: str | None = None,
) -> ValidationResult:
    """Validate normalised entries; every data problem becomes a finding on its entry and cell.

    ``records`` are normalised entries (the keys of ``catalog.fields.RECORD_KEYS``; optional ``_file``,
    ``_sheet``, ``_row`` say where each was read from) as mappings or as a data frame. ``today`` is the
    reference date for "not in the future" (default: the current date). With ``docs_dir`` the run's
    Data Docs are written to ``docs_dir/<run_name>/`` (``run_name`` defaults to a time stamp; an earlier
    report under the same name is replaced, any other content of that folder raises ``FileExistsError``).
    """
    started = time.perf_counter()
    today = today or dt.date.today()
    rows = _rows(records)
    site_dir: Path | None = None
    name = run_name or _default_run_name()
    if docs_dir is not None:
        if not _RUN_NAME.match(name):
            raise ValueError(f"run name {name!r}: use letters, digits, '.', '_' and '-' (at most 100)")
        site_dir = Path(docs_dir) / name
        _clear_run_folder(site_dir)
    if not rows and site_dir is None:
        return ValidationResult([], 0, None, time.perf_counter() - started)

    vocab = vocabularies()
    rules = build_rules(vocab, today=today)
    locations = [_location(row) for row in rows]
    unexpected = run_suite(build_frame(rows), rules, site_dir=site_dir, run_name=name)

    placed: list[tuple[int, int, str, Finding]] = []
    for rule in rules:
        for index in unexpected[rule.key]:
            for found in _rule_findings(rule, rows[index], locations[index], vocab):
                placed.append((index, _COLUMN_ORDER[rule.field], rule.code, found))
    entries = [_entry(i, row, locations[i]) for i, row in enumerate(rows)]
    for index, found in cross_entry_findings(e for e in entries if e is not None):
        field = found.field or "title"
        placed.append((index, _COLUMN_ORDER[field], found.code, locations[index].place(found, field)))
    for index, found in duty_findings(rows):
        field = found.field or "title"
        placed.append((index, _COLUMN_ORDER[field], found.code, locations[index].place(found, field)))
    placed.sort(key=lambda item: item[:3])
    findings = [item[3] for item in placed]

    docs_index = None
    if site_dir is not None:
        elapsed = time.perf_counter() - started
        docs_index = make_offline(site_dir, run_name=name, summary=_summary(findings, len(rows), elapsed, today))
    return ValidationResult(findings, len(rows), docs_index, time.perf_counter() - started)


__all__ = ["RESULT_FORMAT", "SUITE_NAME", "ValidationResult", "build_frame", "run_suite", "validate_records"]
