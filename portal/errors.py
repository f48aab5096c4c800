"""Errors of the local development portal, worded for the operator who has to act on them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from catalog.errors import RemoteUnavailableError


class PortalError(RemoteUnavailableError, RuntimeError):
    """The local portal cannot be brought up, stopped or inspected; the message says why."""

    def __init__(self, message: str, log_path: Path | None = None) -> None:
        if log_path is not None:
            message = f"{message} (see {log_path})"
        super().__init__(message)
        self.log_path = log_path


class MissingSystemPackagesError(PortalError):
    """Programs the portal needs are not installed; ``packages`` are the Debian packages to install."""

    def __init__(self, packages: Sequence[str], missing: Sequence[str]) -> None:
        self.packages = list(packages)
        self.missing = list(missing)
        super().__init__(
            f"missing programs: {', '.join(missing)}; install them with: "
            f"apt-get install -y {' '.join(self.packages)}"
        )
