"""The one error tree: every exception of the project that stops a command is an InventurError kind."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from catalog.errors import (
    EXIT_BUSY,
    EXIT_FAILED,
    EXIT_REMOTE,
    EXIT_STORE,
    EXIT_USAGE,
    KINDS,
    InventurError,
    exit_code,
    kind,
)

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("catalog", "survey", "connectors", "flows", "portal")
# programming errors: a traceback is right for them, not a message and an exit code
BUGS = {"catalog.findings.UnregisteredCode"}


def _public_exception_classes() -> list[tuple[str, str]]:
    """(module, class) of every public class whose bases name an exception (by the usual suffixes)."""
    found = []
    for package in PRODUCT:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "ckanext-inventur" in path.parts or "migrations" in path.parts:
                continue
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            for node in ast.parse(path.read_text(encoding="utf-8")).body:
                if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                    bases = [ast.unparse(b) for b in node.bases]
                    if any(b.endswith(("Error", "Exception", "Unavailable", "Refused", "Busy", "Skipped",
                                       "Unknown", "Failed", "Invalid")) or b in ("ReviewError",) for b in bases):
                        found.append((module, node.name))
    return found


def test_every_public_exception_derives_from_the_tree() -> None:
    classes = _public_exception_classes()
    assert len(classes) >= 27
    outside = []
    for module, name in classes:
        cls = getattr(importlib.import_module(module), name)
        if (isinstance(cls, type) and issubclass(cls, BaseException) and not issubclass(cls, InventurError)
                and f"{module}.{name}" not in BUGS):
            outside.append(f"{module}.{name}")
    assert outside == []


@pytest.mark.parametrize(("module", "name", "code"), [
    ("catalog.organisation", "UnknownCity", EXIT_USAGE),
    ("catalog.review.decisions", "UnknownEntry", EXIT_USAGE),
    ("catalog.review.decisions", "InvalidInput", EXIT_USAGE),
    ("catalog.review.decisions", "TransitionRefused", EXIT_FAILED),
    ("catalog.report", "UnknownCampaign", EXIT_USAGE),
    ("catalog.store", "StoreUnavailable", EXIT_STORE),
    ("catalog.locks", "LockBusy", EXIT_BUSY),
    ("connectors.share", "ShareError", EXIT_REMOTE),
    ("connectors.share", "UnsafeNameError", EXIT_REMOTE),
    ("connectors.harvest.http", "SourceUnavailable", EXIT_REMOTE),
    ("connectors.harvest.http", "SourceUnreadable", EXIT_REMOTE),
    ("connectors.harvest.http", "SourceInvalid", EXIT_USAGE),
    ("connectors.harvest.sources", "SourcesFileError", EXIT_USAGE),
    ("connectors.ckan", "CkanUnavailable", EXIT_REMOTE),
    ("flows.steps.publish", "PublishConfigError", EXIT_USAGE),
    ("portal.errors", "PortalError", EXIT_REMOTE),
])
def test_each_error_carries_the_exit_code_of_the_readme(module: str, name: str, code: int) -> None:
    cls = getattr(importlib.import_module(module), name)
    assert cls.exit_code == code
    assert KINDS[cls.error_kind] == code


def test_exit_code_and_kind_of_errors_outside_the_tree() -> None:
    assert exit_code(FileNotFoundError("nope.xlsx")) == EXIT_USAGE
    assert kind(FileNotFoundError("nope.xlsx")) == "usage"
    assert exit_code(KeyError("a bug")) is None
    assert kind(KeyError("a bug")) == "remote"
    assert kind(KeyError("a bug"), default="failed") == "failed"
    # the old base classes still catch what they caught
    from catalog.organisation import UnknownCity

    with pytest.raises(LookupError):
        raise UnknownCity("x")
