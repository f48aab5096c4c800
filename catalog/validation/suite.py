"""Validation of normalised inventory entries: record-level rules with Great Expectations, then cross-entry checks.

Normalisation (``catalog.normalise``) has already judged each cell on its own. Validation judges each
record as a whole (required fields, vocabularies, patterns, lengths, dates, conditions between fields,
the publication rules of STANDARDS.md) and the set of records (unique identifiers, duplicate titles,
the same dataset in two departments, similar datasets in the other cities).

The record-level rules (``catalog.validation.rules``) are generated from ``catalog.fields.FIELDS`` and
run as one Great Expectations suite on a pandas data frame of the run's records, in an ephemeral
context, with complete results: every unexpected row of every expectation becomes a finding on the
right entry and cell. A result that reports fewer rows than it counts is a bug, not a finding, and
raises. The cross-entry checks (``catalog.validation.similarity``) follow in plain Python.

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
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from catalog.fields import BY_KEY, FIELDS, Kind
from catalog.findings import SEVERITY_ORDER, Finding, finding
from catalog.organisation import UnknownCity, UnknownDepartment, load_organisation
from catalog.validation.docs import is_docs_site, make_offline, site_config
from catalog.validation.rules import (
    ISO_DATE_FORMAT,
    LIST_SEPARATOR,
    RECORD_COLUMN,
    RowCondition,
    Rule,
    build_rules,
    date_column,
)
from catalog.validation.similarity import Entry, cross_entry_findings, iter_cross_entry_findings
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

    context = _context(site_dir)
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
    return {key: rows for key, _result, _details, rows in _checked_results(outcome.results, by_key)}


def _checked_results(results: Iterable[Any], by_key: Mapping[str, Rule]) -> Iterator[tuple[str, Any, dict[str, Any], list[int]]]:
    """Each result of a GE run with its rule's key, its details and its unexpected rows, checked: raises
    ``RuntimeError`` for a result of an unknown rule, a rule GE could not evaluate, fewer rows returned than
    counted (findings would be lost), or a rule without a result."""
    seen: set[str] = set()
    for result in results:
        config_ = result.expectation_config
        key = str((config_.meta or {}).get("rule")) if config_ is not None else ""
        if key not in by_key:
            raise RuntimeError(f"GE returned a result for an unknown expectation: {config_}")
        if message := _raised(result.exception_info):
            raise RuntimeError(f"rule {key}: Great Expectations could not evaluate it: {message}")
        details = dict(result.result or {})
        rows = [int(item[RECORD_COLUMN]) for item in details.get("unexpected_index_list") or []]
        if len(rows) != int(details.get("unexpected_count") or 0):
            raise RuntimeError(f"rule {key}: {details.get('unexpected_count')} unexpected rows, {len(rows)} returned")
        seen.add(key)
        yield key, result, details, rows
    missing = set(by_key) - seen
    if missing:
        raise RuntimeError(f"no result for rules {sorted(missing)}")


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


GLOBAL_EXPECTATIONS = frozenset({"ExpectColumnValuesToBeUnique"})
"""Expectations that compare a record with all others: in a chunked run their unexpected rows come from the
keys of every record (:meth:`ChunkedValidation.add_keys`), not from the chunk alone."""

_PARTIAL = 20  # unexpected values and rows a merged result shows per expectation (as GE's partial lists)
_COMPLETE_ONLY = ("unexpected_list", "unexpected_index_list", "unexpected_index_query", "unexpected_rows")


def _context(site_dir: Path | None) -> Any:
    """An ephemeral GE context without analytics or progress bars; with ``site_dir`` its Data Docs site."""
    import great_expectations as gx
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
    return gx.get_context(mode="ephemeral", project_config=config)


@dataclass
class _Tally:
    """One expectation's results over the chunks of a run, merged into one result for Data Docs."""

    config: Any
    result: dict[str, Any]
    counts: Counter[str]
    success: bool

    def add(self, details: Mapping[str, Any], success: bool, offset: int) -> None:
        for key, value in details.items():
            if key in _COMPLETE_ONLY:
                continue
            if key.endswith("_count") and isinstance(value, int) and not isinstance(value, bool):
                self.result[key] = int(self.result.get(key) or 0) + value
            elif key == "partial_unexpected_list":
                kept = self.result.setdefault(key, [])
                kept += list(value or [])[: _PARTIAL - len(kept)]
            elif key == "partial_unexpected_index_list":
                kept = self.result.setdefault(key, [])
                for item in list(value or [])[: _PARTIAL - len(kept)]:
                    shifted = dict(item) if isinstance(item, Mapping) else item
                    if isinstance(shifted, dict) and RECORD_COLUMN in shifted:
                        shifted[RECORD_COLUMN] = str(int(shifted[RECORD_COLUMN]) + offset)
                    kept.append(shifted)
            elif key == "partial_unexpected_counts":
                for item in value or []:
                    self.counts[repr(item.get("value"))] += int(item.get("count") or 0)
                    self.result.setdefault("_values", {}).setdefault(repr(item.get("value")), item.get("value"))
            elif not key.endswith("_percent") and not key.endswith("_percent_total") \
                    and not key.endswith("_percent_nonmissing"):
                self.result.setdefault(key, value)
        self.success = self.success and success

    def merged(self) -> dict[str, Any]:
        result = {k: v for k, v in self.result.items() if k != "_values"}
        values = self.result.get("_values", {})
        if self.counts:
            result["partial_unexpected_counts"] = [
                {"value": values[key], "count": n} for key, n in self.counts.most_common(_PARTIAL)]
        elements = int(result.get("element_count") or 0)
        missing = int(result.get("missing_count") or 0)
        if "unexpected_count" in result and elements:
            unexpected = int(result["unexpected_count"])
            result["unexpected_percent_total"] = 100.0 * unexpected / elements
            result["unexpected_percent_nonmissing"] = (100.0 * unexpected / (elements - missing)
                                                       if elements > missing else 0.0)
            result["unexpected_percent"] = result["unexpected_percent_nonmissing"]
        if "missing_count" in result and elements:
            result["missing_percent"] = 100.0 * missing / elements
        return result


class ChunkedValidation:
    """A validation run over records that arrive in chunks, in bounded memory; the same findings as
    :func:`validate_records` over all of them at once.

    Two passes: :meth:`add_keys` takes every record once for what the cross-entry checks need (title
    keys and where each record is, the values of the unique columns); :meth:`cross_findings` then
    yields the cross-entry findings one by one. :meth:`check` runs the Great Expectations suite on one
    chunk and returns that chunk's record-level findings (the expectations of
    :data:`GLOBAL_EXPECTATIONS` judged against every record's key). :meth:`finish` merges the chunks'
    results into one validation result and writes its Data Docs (one run, one page), when a
    ``docs_dir`` is given.
    """

    def __init__(self, *, today: dt.date | None = None) -> None:
        self.started = time.perf_counter()
        self.today = today or dt.date.today()
        self.vocab = vocabularies()
        self.rules = build_rules(self.vocab, today=self.today)
        self._global = {rule.key: rule for rule in self.rules if rule.expectation in GLOBAL_EXPECTATIONS}
        self._seen: dict[str, Counter[str]] = {key: Counter() for key in self._global}
        self._entries: list[Entry] = []
        self._locations: list[_Location] = []
        self._texts: dict[str, str] = {}
        self._suite: Any = None
        self._tallies: dict[str, _Tally] = {}
        self._meta: dict[str, Any] = {}
        self.checked = 0
        self.counts: Counter[tuple[str, str]] = Counter()

    # ------------------------------------------------------------------ pass 1: keys

    def _shared(self, value: str | None) -> str | None:
        """One string object per distinct text (file and sheet names repeat for thousands of records)."""
        return None if value is None else self._texts.setdefault(value, value)

    def add_keys(self, records: Iterable[Mapping[str, Any]]) -> None:
        """Take what the cross-entry checks need of these records (the next ones of the run, in order)."""
        for record in records:
            index = len(self._locations)
            where = _location(record)
            location = _Location(self._shared(where.city), self._shared(where.department), where.identifier,
                                 self._shared(where.file), self._shared(where.sheet), where.row)
            self._locations.append(location)
            entry = _entry(index, record, location)
            if entry is not None:
                self._entries.append(entry)
            for key, rule in self._global.items():
                column = str(rule.kwargs["column"])
                cell = _cell(record.get(column), BY_KEY[column].is_list)
                if cell is not None:
                    self._seen[key][cell] += 1

    @property
    def keyed(self) -> int:
        """How many records :meth:`add_keys` has taken."""
        return len(self._locations)

    def location(self, index: int) -> _Location:
        """Where the record of ``index`` (its position in :meth:`add_keys`) is."""
        return self._locations[index]

    def cross_findings(self) -> Iterator[tuple[int, Finding]]:
        """The cross-entry findings, placed on their cells, with the index of their record (as in
        :meth:`add_keys`); made one by one, and the title keys are let go afterwards."""
        entries, self._entries = self._entries, []
        for index, found in iter_cross_entry_findings(entries):
            field = found.field or "title"
            finding_ = self._locations[index].place(found, field)
            self.counts[(finding_.code, finding_.severity)] += 1
            yield index, finding_

    # ------------------------------------------------------------------ pass 2: chunks

    def _expectations(self) -> list[Any]:
        import great_expectations as gx

        return [
            getattr(gx.expectations, rule.expectation)(
                **rule.kwargs,
                **({"row_condition": _row_condition(rule.condition)} if rule.condition else {}),
                meta={"rule": rule.key, "severity": rule.effective_severity},
                notes=f"inventur finding: {rule.code} on {rule.field} (column {BY_KEY[rule.field].column})",
            )
            for rule in self.rules
        ]

    def prepare(self) -> Any:
        """The suite and the batch definition every chunk is validated with (one ephemeral context); done by
        the first :meth:`check` when not called before (it imports Great Expectations, seconds)."""
        import great_expectations as gx

        asset = _context(None).data_sources.add_pandas("inventory").add_dataframe_asset("entries")
        self._batch_definition = asset.add_batch_definition_whole_dataframe("all entries")
        self._suite = gx.ExpectationSuite(name=SUITE_NAME, expectations=self._expectations())
        if len(self._suite.expectations) != len(self.rules):
            raise RuntimeError(f"the suite holds {len(self._suite.expectations)} expectations for {len(self.rules)} rules")
        return self._suite

    def check(self, records: Sequence[Mapping[str, Any]]) -> list[tuple[int, Finding]]:
        """The record-level findings of one chunk (the next records of the run), each with its record's
        position in this chunk, ordered by record, column and code."""
        rows = list(records)
        offset = self.checked
        self.checked += len(rows)
        if not rows:
            return []
        unexpected = self._evaluate(rows, offset)
        locations = [_location(row) for row in rows]
        placed: list[tuple[int, int, str, Finding]] = []
        for rule in self.rules:
            for index in unexpected[rule.key]:
                for found in _rule_findings(rule, rows[index], locations[index], self.vocab):
                    placed.append((index, _COLUMN_ORDER[rule.field], rule.code, found))
        for index, found in duty_findings(rows):
            field = found.field or "title"
            placed.append((index, _COLUMN_ORDER[field], found.code, locations[index].place(found, field)))
        placed.sort(key=lambda item: item[:3])
        for item in placed:
            self.counts[(item[3].code, item[3].severity)] += 1
        return [(item[0], item[3]) for item in placed]

    def _evaluate(self, rows: Sequence[Mapping[str, Any]], offset: int) -> dict[str, list[int]]:
        """Run the suite on one chunk: the rows each rule does not accept (positions in the chunk), by
        rule key; the results are merged into the run's tallies. Raises ``RuntimeError`` as
        :func:`run_suite` does."""
        suite = self._suite if self._suite is not None else self.prepare()
        by_key = {rule.key: rule for rule in self.rules}
        batch = self._batch_definition.get_batch(batch_parameters={"dataframe": build_frame(rows)})
        outcome = batch.validate(suite, result_format=RESULT_FORMAT)
        if not self._meta:
            self._meta = dict(outcome.meta or {})
        unexpected: dict[str, list[int]] = {}
        for key, result, details, found in _checked_results(outcome.results, by_key):
            success = bool(result.success)
            if key in self._global:
                rule = by_key[key]
                found = self._globally_unexpected(rule, rows)
                details["unexpected_count"] = len(found)
                details["partial_unexpected_list"] = [_cell(rows[i].get(rule.field), False) for i in found[:_PARTIAL]]
                details["partial_unexpected_index_list"] = [{RECORD_COLUMN: str(i)} for i in found[:_PARTIAL]]
                details.pop("partial_unexpected_counts", None)
                success = not found
            unexpected[key] = found
            tally = self._tallies.get(key)
            if tally is None:
                tally = self._tallies[key] = _Tally(result.expectation_config, {}, Counter(), True)
            tally.add(details, success, offset)
        return unexpected

    def _globally_unexpected(self, rule: Rule, rows: Sequence[Mapping[str, Any]]) -> list[int]:
        """The rows of a chunk whose value of ``rule``'s column another record of the run has too."""
        seen = self._seen[rule.key]
        column = str(rule.kwargs["column"])
        spec = BY_KEY[column]
        return [i for i, row in enumerate(rows) if (cell := _cell(row.get(column), spec.is_list)) is not None
                and seen[cell] > 1]

    # ------------------------------------------------------------------ the run's result

    @property
    def findings(self) -> int:
        """How many findings the run has made so far."""
        return sum(self.counts.values())

    def finish(self, docs_dir: Path | None = None, run_name: str | None = None) -> Path | None:
        """Write the Data Docs of the run (all chunks merged into one validation result) to
        ``docs_dir/<run_name>/`` (``run_name`` defaults to a time stamp; an earlier report of the same name
        is replaced, any other content of that folder raises ``FileExistsError``); the path of their
        ``index.html``, or None without a ``docs_dir``."""
        if docs_dir is None:
            return None
        name = run_name or _default_run_name()
        if not _RUN_NAME.match(name):
            raise ValueError(f"run name {name!r}: use letters, digits, '.', '_' and '-' (at most 100)")
        site_dir = Path(docs_dir) / name
        _clear_run_folder(site_dir)
        import great_expectations as gx
        from great_expectations.core.expectation_validation_result import (
            ExpectationSuiteValidationResult,
            ExpectationValidationResult,
        )
        from great_expectations.core.run_identifier import RunIdentifier
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
            ValidationResultIdentifier,
        )

        if not self._tallies:  # no records: the suite runs on an empty frame, as an unchunked run does
            self._evaluate([], 0)
        results = []
        for rule in self.rules:
            tally = self._tallies[rule.key]
            results.append(ExpectationValidationResult(success=tally.success, expectation_config=tally.config,
                                                       result=tally.merged(), meta={}, exception_info={}))
        passed = sum(1 for r in results if r.success)
        merged = ExpectationSuiteValidationResult(
            success=passed == len(results), results=results, suite_name=SUITE_NAME,
            statistics={"evaluated_expectations": len(results), "successful_expectations": passed,
                        "unsuccessful_expectations": len(results) - passed,
                        "success_percent": 100.0 * passed / len(results) if results else None},
            meta={**self._meta, "run_id": RunIdentifier(run_name=name).to_json_dict(), "chunks_merged": True},
        )
        context = _context(site_dir)
        context.suites.add(gx.ExpectationSuite(name=SUITE_NAME, expectations=self._expectations()))
        key = ValidationResultIdentifier(expectation_suite_identifier=ExpectationSuiteIdentifier(name=SUITE_NAME),
                                         run_id=RunIdentifier(run_name=name), batch_identifier="entries")
        context.validation_results_store.set(key, merged)
        context.build_data_docs(site_names=["inventur"])
        counts = self.counts
        rows = sorted(counts.items(), key=lambda item: (SEVERITY_ORDER[item[0][1]], -item[1], item[0][0]))
        severities: Counter[str] = Counter()
        for (_code, severity), n in counts.items():
            severities[severity] += n
        summary = {
            "figures": {
                "records checked": self.checked,
                "findings": sum(counts.values()),
                **{f"{s} findings": severities.get(s, 0) for s in ("error", "warning", "info")},
                "reference date": self.today.isoformat(),
                "seconds before the report was written": f"{time.perf_counter() - self.started:.2f}",
            },
            "findings": [(code, severity, n) for (code, severity), n in rows],
        }
        return make_offline(site_dir, run_name=name, summary=summary)


__all__ = [
    "GLOBAL_EXPECTATIONS", "RESULT_FORMAT", "SUITE_NAME", "ChunkedValidation", "ValidationResult", "build_frame",
    "run_suite", "validate_records",
]
