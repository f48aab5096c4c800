"""The one registry of finding codes: every code the product emits is declared once, with its texts."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from catalog.findings import REGISTRY, Finding, UnregisteredCode, finding, worded
from survey.safety import FileProblem

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("catalog", "survey", "connectors", "flows", "portal")
CODE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)+$")
# what makes a finding from a code given as its first argument (or ``code=``); functions that hand their
# own ``code`` parameter on to one of these are found below and join them
BASE_SINKS = {"finding", "worded", "registered", "Finding", "FileProblem", "Rule", "_problem", "_declared"}


def _sources() -> list[tuple[Path, ast.Module]]:
    found = []
    for package in PRODUCT:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "ckanext-inventur" in path.parts or "migrations" in path.parts:
                continue
            found.append((path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))))
    return found


def _name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _code_argument(call: ast.Call) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == "code":
            return keyword.value
    return call.args[0] if call.args else None


def _sinks(modules: list[tuple[Path, ast.Module]]) -> set[str]:
    """The base sinks and every function that passes its ``code`` parameter on to a sink (to a fixpoint)."""
    sinks = set(BASE_SINKS)
    functions = [node for _, tree in modules for node in ast.walk(tree)
                 if isinstance(node, ast.FunctionDef) and any(a.arg == "code" for a in node.args.args)]
    changed = True
    while changed:
        changed = False
        for function in functions:
            if function.name in sinks:
                continue
            for call in (n for n in ast.walk(function) if isinstance(n, ast.Call)):
                argument = _code_argument(call)
                if _name(call) in sinks and isinstance(argument, ast.Name) and argument.id == "code":
                    sinks.add(function.name)
                    changed = True
                    break
    return sinks


def emitted_codes() -> dict[str, list[str]]:
    """Every code literal handed to a finding constructor (or held in a ``*_CODE`` constant), with where."""
    modules = _sources()
    sinks = _sinks(modules)
    emitted: dict[str, list[str]] = {}
    for path, tree in modules:
        where = str(path.relative_to(ROOT))
        for node in ast.walk(tree):
            literal: ast.expr | None = None
            if isinstance(node, ast.Call) and _name(node) in sinks:
                literal = _code_argument(node)
            elif isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id.endswith("_CODE") for t in node.targets):
                literal = node.value
            if isinstance(literal, ast.Constant) and isinstance(literal.value, str) and CODE.match(literal.value):
                emitted.setdefault(literal.value, []).append(f"{where}:{node.lineno}")
    return emitted


def test_every_emitted_code_is_registered() -> None:
    emitted = emitted_codes()
    # the scan sees the product's finding constructors (a broken scan would pass vacuously)
    assert {"file-empty", "file-unreadable", "missing-required", "unknown-value", "ckan-rejected",
            "remote-gone", "hvd-api", "portal-dcat-missing"} <= set(emitted)
    unregistered = {code: where for code, where in emitted.items() if code not in REGISTRY}
    assert unregistered == {}


def test_unregistered_code_cannot_make_a_finding() -> None:
    with pytest.raises(UnregisteredCode, match="no-such-code"):
        finding("no-such-code")
    with pytest.raises(UnregisteredCode):
        Finding("no-such-code", "error", "x", "x")
    with pytest.raises(UnregisteredCode):
        worded("no-such-code", "x", "x")
    with pytest.raises(UnregisteredCode):
        FileProblem("no-such-code", "error", "x", "x")


def test_every_code_has_severity_label_and_both_texts() -> None:
    fields = string.Formatter()
    for code, kind in REGISTRY.items():
        assert kind.code == code and CODE.match(code)
        assert kind.severity in ("error", "warning", "info")
        assert kind.label.strip() and kind.message.strip() and kind.message_en.strip(), code
        for template in (kind.message, kind.message_en):
            list(fields.parse(template))  # a template that does not parse would fail at the first finding
        made = finding(code)
        assert made.severity == kind.severity


def test_file_problems_take_their_texts_and_severity_from_the_registry(tmp_path: Path) -> None:
    from survey.safety import inspect_file

    empty = tmp_path / "leer.xlsx"
    empty.write_bytes(b"")
    (problem,) = inspect_file(empty).problems
    assert problem.code == "file-empty"
    assert (problem.severity, problem.message, problem.message_en) == (
        REGISTRY["file-empty"].severity, REGISTRY["file-empty"].message, REGISTRY["file-empty"].message_en)


def test_report_labels_are_the_registry_labels() -> None:
    from catalog.report import FINDING_LABELS

    assert {code: kind.label for code, kind in REGISTRY.items()} == FINDING_LABELS
    assert FINDING_LABELS["ckan-rejected"] and FINDING_LABELS["file-macros"] == "Datei mit Makros"
