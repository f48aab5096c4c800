"""The command line as a user runs it: real subprocesses, real stores, exit codes and formats."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from catalog.fields import EXPORT_KEYS
from catalog.inventory import Source, save_entry
from catalog.organisation import load_organisation
from catalog.store import Store
from tests.factories import inventur_process as run
from tests.factories import sample


def test_departments_jsonl(cli_env: dict[str, str]) -> None:
    done = run(cli_env, "departments", "--format", "jsonl")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    for city in ("muenchen", "augsburg", "nuernberg"):
        mine = [r for r in rows if r["city"] == city]
        assert len(mine) >= 12
        assert all(set(r) == {"city", "code", "name", "kind", "email"} for r in mine)
    only = run(cli_env, "departments", "--city", "nuernberg", "--format", "jsonl")
    assert {json.loads(line)["city"] for line in only.stdout.splitlines()} == {"nuernberg"}


def test_export_on_empty_store_prints_nothing(cli_env: dict[str, str]) -> None:
    done = run(cli_env, "export", "--format", "jsonl")
    assert (done.returncode, done.stdout) == (0, "")


def test_export_jsonl_csv_xlsx(cli_env: dict[str, str], tmp_path: Path) -> None:
    store = Store.open(cli_env["INVENTUR_DATABASE_URL"])
    with store.session() as s:
        save_entry(s, sample(title="=HYPERLINK(\"http://x\")"), city="augsburg", department="STAT",
                   organisation=load_organisation(), source=Source("survey"))
    store.close()
    done = run(cli_env, "export", "--format", "jsonl")
    [record] = [json.loads(line) for line in done.stdout.splitlines()]
    assert list(record) == list(EXPORT_KEYS)
    assert record["identifier"] == "A-STAT-00001" and record["city"] == "augsburg"
    assert run(cli_env, "export", "--city", "muenchen").stdout == ""
    csv_out = run(cli_env, "export", "--format", "csv").stdout.splitlines()
    assert csv_out[0].split(",")[:3] == ["identifier", "city", "department"]
    assert "'=HYPERLINK" in csv_out[1]
    xlsx = tmp_path / "out.xlsx"
    assert run(cli_env, "export", "--format", "xlsx", "--out", str(xlsx)).returncode == 0
    from openpyxl import load_workbook

    sheet = load_workbook(xlsx).active
    assert sheet is not None
    assert sheet["D2"].value == "=HYPERLINK(\"http://x\")" and sheet["D2"].data_type == "s"
    assert run(cli_env, "export", "--format", "xlsx").returncode == 2


def test_findings_formats(cli_env: dict[str, str]) -> None:
    assert run(cli_env, "findings", "--format", "jsonl").stdout == ""
    assert run(cli_env, "findings", "--severity", "error").returncode == 0


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("departments", "--city", "wien"), 2),
        (("export", "--format", "pdf"), 2),
        (("findings", "--severity", "fatal"), 2),
        (("no-such-command",), 2),
        (("vocab", "nothing"), 2),
        (("vocab", "frequency", "alle paar Tage"), 1),
    ],
)
def test_exit_codes_on_bad_arguments(cli_env: dict[str, str], args: tuple[str, ...], code: int) -> None:
    done = run(cli_env, *args)
    assert done.returncode == code, done.stderr
    assert done.stderr.strip(), "a clear message on stderr"


@pytest.mark.parametrize("url", ["postgresql://nobody@127.0.0.1:1/none", "sqlite:////proc/no/such/dir/x.db"])
def test_unreachable_database_exit_3(cli_env: dict[str, str], url: str) -> None:
    env = {**cli_env, "INVENTUR_DATABASE_URL": url}
    for args in (("export",), ("findings",), ("db", "status")):
        done = run(env, *args)
        assert done.returncode == 3, (args, done.stderr)
        assert "Error: database" in done.stderr and "Traceback" not in done.stderr


def test_every_command_has_help(cli_env: dict[str, str], cli_runner: Callable[..., Any]) -> None:
    from flows.cli.main import cli

    def walk(group: object, path: tuple[str, ...]) -> list[tuple[str, ...]]:
        out = [path]
        for name, sub in getattr(group, "commands", {}).items():
            out += walk(sub, (*path, name))
        return out

    # the installed entry point once as its own process, then every command in this process
    done = run(cli_env, "--help")
    assert done.returncode == 0 and "Usage:" in done.stdout
    paths = walk(cli, ())
    assert len(paths) > 40
    for path in paths:
        shown = cli_runner(*path, "--help")
        assert shown.exit_code == 0 and "Usage:" in shown.output, (path, shown.output)
        command = cli
        for name in path:
            command = command.commands[name]  # type: ignore[attr-defined]
        assert (command.help or "").strip(), f"command {path} has no help text"


def test_tables_in_a_pipe_keep_their_width(cli_env: dict[str, str]) -> None:
    """Into a pipe or a log, a table keeps its columns whole instead of folding them to fit 80 characters."""
    env = {k: v for k, v in cli_env.items() if k != "COLUMNS"}
    done = run(env, "departments", "--city", "muenchen")
    assert done.returncode == 0, done.stderr
    long_name = "Dienstleister für Informations- und Telekommunikationstechnik der Stadt München (it@M)"
    [line] = [line for line in done.stdout.splitlines() if "ITM" in line]
    assert long_name in line and "Eigenbetrieb" in line
    header = next(line for line in done.stdout.splitlines() if "e-mail" in line)
    assert all(word in header for word in ("city", "code", "name", "kind"))
    assert len(done.stdout.splitlines()) == 21 + 5  # title, three lines of header, bottom line: one line per row
    # with a terminal width given (COLUMNS), that width is kept
    narrow = run({**env, "COLUMNS": "60"}, "departments", "--city", "muenchen")
    assert max(len(line) for line in narrow.stdout.splitlines()) <= 60
