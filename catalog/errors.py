"""The errors that stop a command: one tree, each kind carrying its exit code.

Data problems are findings (:mod:`catalog.findings`); an exception means "cannot go on". Every such
exception of the project derives from :class:`InventurError` through one of the kinds below, and its
exit code is the kind's: the command line maps an error to a message and an exit code in one place
(``flows.cli.app``), by asking :func:`exit_code` (documented in the README, "Exit codes").
"""

from __future__ import annotations

from typing import ClassVar

EXIT_OK = 0
EXIT_FAILED = 1  # the command ran but what it did failed (e.g. error findings where none are allowed)
EXIT_USAGE = 2  # bad arguments: unknown option, city or department, unreadable input file
EXIT_STORE = 3  # the database cannot be reached or used
EXIT_REMOTE = 4  # an outside system (CKAN, sharing platform, harvest source) cannot be reached
EXIT_BUSY = 5  # another run of the same kind holds its lock (try again later)


class InventurError(Exception):
    """Something stops the command; what was done before it is kept (exit code 1 unless a kind says else)."""

    error_kind: ClassVar[str] = "failed"
    exit_code: ClassVar[int] = EXIT_FAILED


class UsageError(InventurError):
    """The caller's input is wrong: an unknown city, department, entry or campaign, a bad file or setting."""

    error_kind = "usage"
    exit_code = EXIT_USAGE


class StoreUnavailableError(InventurError):
    """The inventory's database cannot be reached or used."""

    error_kind = "store"
    exit_code = EXIT_STORE


class RemoteUnavailableError(InventurError):
    """An outside system (CKAN, the sharing platform, a harvest source, the development portal) fails."""

    error_kind = "remote"
    exit_code = EXIT_REMOTE


class BusyError(InventurError):
    """Another run of the same kind holds its lock."""

    error_kind = "busy"
    exit_code = EXIT_BUSY


KINDS: dict[str, int] = {
    cls.error_kind: cls.exit_code
    for cls in (InventurError, UsageError, StoreUnavailableError, RemoteUnavailableError, BusyError)
}
"""Each kind's name (as shown in JSON summaries, e.g. a failed harvest source) and its exit code."""


def exit_code(error: BaseException) -> int | None:
    """The exit code a command ends with for ``error``; None when it is no error of ours (a bug: traceback).

    Besides the project's tree, a file named on the command line that does not exist is a usage error.
    """
    if isinstance(error, InventurError):
        return error.exit_code
    if isinstance(error, FileNotFoundError):
        return EXIT_USAGE
    return None


def kind(error: BaseException, default: str = "remote") -> str:
    """The kind of ``error`` (``usage``, ``store``, ``remote``, ``busy``, ``failed``); ``default`` for others."""
    if isinstance(error, InventurError):
        return error.error_kind
    if isinstance(error, FileNotFoundError):
        return UsageError.error_kind
    return default
