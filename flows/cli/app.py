"""What every command of the ``inventur`` command line shares: the app, the console, rendering, errors.

A command parses its input, calls one library function and renders the result. The project's errors
(:mod:`catalog.errors`) become one clear message and their exit code here, in :class:`InventurGroup`;
heavy libraries are imported inside the commands that need them, so that ``--help`` and light
commands stay fast. This module imports no command module: the commands import it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from functools import cached_property
from typing import Any, NoReturn

import click

# exit codes of every command (documented in the README), declared with the error tree
from catalog.errors import EXIT_BUSY, EXIT_FAILED, EXIT_OK, EXIT_REMOTE, EXIT_STORE, EXIT_USAGE, exit_code
from flows.settings import CITY_KEYS, Settings

__all__ = [
    "CITY_CHOICE", "EXIT_BUSY", "EXIT_FAILED", "EXIT_OK", "EXIT_REMOTE", "EXIT_STORE", "EXIT_USAGE", "App",
    "InventurGroup", "fail", "jsonl", "markup", "pass_app", "plain", "table",
]

CITY_CHOICE = click.Choice(list(CITY_KEYS))


class App:
    """What the commands share: settings (read once), the console, and the wired services."""

    def __init__(self, settings: Settings) -> None:
        from flows.services import Services

        self.settings = settings
        self.services = Services(settings)

    @cached_property
    def console(self) -> Any:
        return _console(stderr=False)

    @cached_property
    def err(self) -> Any:
        return _console(stderr=True)

    @property
    def store(self) -> Any:
        return self.services.store

    @property
    def organisation(self) -> Any:
        return self.services.organisation

    def progress(self, message: str) -> None:
        self.err.print(f"[dim]·[/dim] {markup(message)}")


def plain(value: Any) -> str:
    """A value as a terminal may show it: control characters (escape sequences) written as ``\\x1b``."""
    from catalog.normalise import visible

    return visible(str(value))


def markup(value: Any) -> str:
    """A value inside rich markup: shown as written, neither as markup (``[/x]``) nor as control codes."""
    from rich.markup import escape

    return escape(plain(value))


PIPE_WIDTH = 10_000
"""Line width when the output goes to a pipe or a log: as wide as the text, never wrapped at 80 columns."""


def _console(*, stderr: bool) -> Any:
    """A rich console; into a pipe or a log (no terminal, no COLUMNS set) lines and tables keep their
    full width, so that `grep` and log readers see whole lines and tables no one-letter columns."""
    import os

    from rich.console import Console

    console = Console(stderr=stderr, highlight=False)
    if not console.is_terminal and not os.environ.get("COLUMNS"):
        console = Console(stderr=stderr, highlight=False, width=PIPE_WIDTH, soft_wrap=True)
    return console


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Stop the command with ``message`` on stderr and exit ``code``."""
    click.echo(f"Error: {plain(message)}", err=True)
    sys.exit(code)


class InventurGroup(click.Group):
    """A click group that turns the project's errors (:mod:`catalog.errors`) into a message and an exit code:
    the one place where an error becomes what the user sees."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort, SystemExit):
            raise
        except Exception as exc:
            code = exit_code(exc)
            if code is None:
                raise
            click.echo(f"Error: {plain(exc)}", err=True)
            ctx.exit(code)


pass_app = click.make_pass_decorator(App)


def table(app: App, title: str, columns: list[str], rows: Iterable[Iterable[Any]]) -> None:
    """A table of values shown as written: no markup, no control codes reach the terminal."""
    from rich.table import Table

    grid = Table(title=markup(title), title_justify="left")
    for column in columns:
        grid.add_column(column, overflow="fold")
    for row in rows:
        grid.add_row(*["" if v is None else markup(v) for v in row])
    app.console.print(grid)


def jsonl(records: Iterable[Mapping[str, Any]]) -> int:
    from catalog.export import write_jsonl

    return write_jsonl(records, sys.stdout)
