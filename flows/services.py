"""Wiring: the real clients built from the settings, once, for the CLI and the Prefect flows alike."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flows.settings import Settings

if TYPE_CHECKING:
    from catalog.organisation import Organisation
    from catalog.store import Store
    from connectors.share import Share
    from survey.collect import Collector


class Services:
    """The store, the organisation, the sharing platform and the collector of one installation."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def store(self) -> Store:
        from catalog.store import Store

        return Store.open(self.settings.resolved_database_url())

    @cached_property
    def organisation(self) -> Organisation:
        from catalog.organisation import load_organisation

        return load_organisation(self.settings.departments_file)

    @cached_property
    def share(self) -> Share:
        from connectors.share import open_share

        location = self.settings.share_location
        if "://" not in location:
            Path(location).mkdir(parents=True, exist_ok=True)
        return open_share(
            location,
            username=self.settings.share_username,
            password=self.settings.share_password,
            timeout=self.settings.http_timeout,
        )

    @cached_property
    def collector(self) -> Collector:
        from survey.collect import Collector

        return Collector(
            self.store,
            self.organisation,
            secret_for=self.settings.signing_secret,
            files_dir=self.folder("received"),
            limits=self.settings.read_limits(),
        )

    def folder(self, name: str) -> Path:
        """A folder under the data folder (created on first use)."""
        path = (self.settings.data_dir / name).resolve()
        path.mkdir(parents=True, exist_ok=True)
        return path

    def close(self) -> None:
        for name in ("collector", "store", "share"):
            client: Any = self.__dict__.get(name)
            if client is not None:
                client.close()
