"""What publishing needs of a CKAN portal: the :class:`CkanPortal` protocol, its answers and its one error.

The protocol is small on purpose (as :mod:`connectors.share` is for shares): read our organisations and
packages, write packages and organisations, read the portal's DCAT. ``connectors.ckan`` holds its
implementations, the real client on ckanapi and an in-memory twin; publishing only ever sees this
protocol. A refusal of CKAN (its field errors, 403, 404, a 5xx after the retries) comes back as a
:class:`WriteResult` for the caller to turn into findings; only a portal that cannot be reached or read
raises (:class:`CkanUnavailable`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from catalog.errors import RemoteUnavailableError

if TYPE_CHECKING:
    from rdflib import Graph

# Actions that only read; every other action counts as a write.
_READ_SUFFIXES = ("_show", "_list", "_search", "_autocomplete")


def is_write(action: str) -> bool:
    """Whether a CKAN action changes the portal (everything but ``*_show``, ``*_list``, ``*_search``)."""
    return not action.endswith(_READ_SUFFIXES)


class CkanUnavailable(RemoteUnavailableError):
    """The portal cannot be reached or read (no answer after the retries, server errors, access refused):
    the publish run cannot go on. ``url`` is the portal's address."""

    def __init__(self, url: str, message: str) -> None:
        super().__init__(f"CKAN at {url}: {message}")
        self.url = url


@dataclass(frozen=True)
class WriteResult:
    """What a write did. ``ok`` with CKAN's answer in ``package`` (or ``data``); otherwise ``status`` (HTTP),
    ``field_errors`` (CKAN's validation errors: field path -> messages), ``not_found``, ``error`` (text)."""

    ok: bool
    data: dict[str, Any] | None = None
    status: int = 200
    field_errors: dict[str, list[str]] = field(default_factory=dict)
    not_found: bool = False
    error: str | None = None

    @property
    def server_error(self) -> bool:
        """CKAN answered with a 5xx even after the retries."""
        return self.status >= 500

    @property
    def package(self) -> dict[str, Any] | None:
        """CKAN's answer to a package write (the package as stored)."""
        return self.data


class CkanPortal(Protocol):
    """What publishing needs of a CKAN portal."""

    url: str

    @property
    def writes(self) -> int:
        """Write requests sent so far (retries included)."""
        ...

    @property
    def reads(self) -> int:
        """Read requests sent so far (retries included)."""
        ...

    def organisation_names(self) -> set[str]:
        """The names of the portal's active organisations."""
        ...

    def ensure_organisations(self, wanted: Sequence[Mapping[str, Any]]) -> dict[str, str]:
        """Create the organisations of ``wanted`` that do not exist; returns an error text per name that failed."""
        ...

    def iter_packages(self, organisations: Sequence[str]) -> Iterator[dict[str, Any]]:
        """Every active package (private ones included) of these organisations, read in pages."""
        ...

    def show_package(self, name_or_id: str) -> dict[str, Any] | None:
        """One package, also a withdrawn one; None when there is none."""
        ...

    def create_package(self, package: Mapping[str, Any]) -> WriteResult:
        """``package_create``."""
        ...

    def update_package(self, package: Mapping[str, Any]) -> WriteResult:
        """``package_update`` (the whole package; ``id`` names it)."""
        ...

    def delete_package(self, name_or_id: str) -> WriteResult:
        """``package_delete``: a soft delete that CKAN can undo."""
        ...

    def catalog_pages(self) -> Iterator[Graph]:
        """Every page of the portal's DCAT catalog (``/catalog.ttl``, Hydra paging), as GovData reads it."""
        ...

    def dataset_dcat(self, name: str) -> Graph | None:
        """One dataset's DCAT (``/dataset/<name>.ttl``); None when the portal has no such dataset."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
