"""The project stands alone: a plain clone with nothing beside it reads nothing from outside itself
unless a setting points there, and the tests that need GovData's shapes skip saying how to get them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# a path to a folder beside the checkout, or one built from the checkout's parent and the name "shared"
REACH = re.compile(r"\.\./shared|parents\[\d+\]\s*/\s*[\"']shared[\"']|\.parent\s*/\s*[\"']shared[\"']")


def test_nothing_reaches_beside_the_checkout() -> None:
    tracked = subprocess.run(["git", "-C", str(ROOT), "ls-files"], capture_output=True, text=True, check=True).stdout
    found = []
    for name in tracked.splitlines():
        path = ROOT / name
        if name == ".ci/run" or not path.is_file() or path.suffix in (".xlsx", ".gz", ".png"):
            continue  # CI passes the reference folder on purpose, as a setting
        text = path.read_text(encoding="utf-8", errors="replace")
        found += [f"{name}:{text.count(chr(10), 0, m.start()) + 1}: {m[0]}" for m in REACH.finditer(text)]
    assert found == []


def test_shape_tests_skip_with_how_to_get_the_shapes(tmp_path: Path) -> None:
    """Without the shapes (and without CI's INVENTUR_REQUIRE_SHAPES), a test that needs them skips, and its
    reason says how to get them."""
    env = {k: v for k, v in os.environ.items() if k not in ("INVENTUR_REQUIRE_SHAPES",)}
    env["INVENTUR_TEST_SHAPES_DIR"] = str(tmp_path / "no-shapes-here")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rs",
         "tests/test_dcat_cli.py::test_validate_reports_violations_with_exit_1", "tests/test_dcat.py"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:]
    assert re.search(r"\d+ skipped", done.stdout) and " failed" not in done.stdout and " error" not in done.stdout
    reasons = [line for line in done.stdout.splitlines() if line.startswith("SKIPPED")]
    assert len(reasons) >= 2 and any("test_dcat_cli.py" in line for line in reasons)
    assert all("inventur shapes fetch" in line and "INVENTUR_TEST_SHAPES_DIR" in line for line in reasons)
    required = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
         "tests/test_dcat_cli.py::test_validate_reports_violations_with_exit_1"],
        capture_output=True, text=True, env={**env, "INVENTUR_REQUIRE_SHAPES": "1"}, cwd=ROOT, timeout=300)
    assert required.returncode != 0 and "inventur shapes fetch" in required.stdout


# files of the project's makers that a user of a clone does not have
FOREIGN = re.compile(r"\b(?!README\b)[A-Z][A-Z_]+\.md\b")


def _commands(group: object, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    import click

    out = [path]
    if isinstance(group, click.Group):
        for name, command in group.commands.items():
            out += _commands(command, (*path, name))
    return out


def test_what_users_read_cites_no_file_they_lack(tmp_path: Path, cli_runner: Callable[..., Any]) -> None:
    """The README, every command's help, the vocabularies as `inventur vocab` shows them, and the campaign
    report cite no file a user of the project does not have."""
    from catalog.organisation import load_organisation
    from catalog.report import report_figures
    from catalog.store import Store
    from flows.cli.main import cli
    from reports.html import render_page

    assert FOREIGN.findall((ROOT / "README.md").read_text(encoding="utf-8")) == []
    env = {"INVENTUR_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "INVENTUR_DATA_DIR": str(tmp_path / "d")}
    for path in _commands(cli):
        shown = cli_runner(*path, "--help", env=env)
        assert shown.exit_code == 0 and FOREIGN.findall(shown.output) == [], (path, FOREIGN.findall(shown.output))
    vocab = cli_runner("vocab", env=env, columns=300)
    assert vocab.exit_code == 0 and "personal_data" in vocab.output and FOREIGN.findall(vocab.output) == []
    store = Store.open(env["INVENTUR_DATABASE_URL"])
    with store.session() as s:
        page = render_page(report_figures(s, load_organisation()))
    store.close()
    assert "Veröffentlichung" in page and FOREIGN.findall(page) == []
