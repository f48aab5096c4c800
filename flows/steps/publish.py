"""The publish step's wiring: settings → portals and their clients → :func:`catalog.publish.run.publish`.

Which portal each city publishes to: a city's own CKAN where ``INVENTUR_CKAN_URL_<CITY>`` (token
``INVENTUR_CKAN_TOKEN_<CITY>``) is set, ``INVENTUR_CKAN_URL`` for the others; cities on the same URL share
one plan and one set of reads. The rules of publishing live in :mod:`catalog.publish`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from catalog.errors import UsageError
from catalog.publish.run import PortalTarget, PortalUnreachable, Progress, Publisher
from catalog.publish.summary import RESULTS, PortalSummary, PublishedItem, PublishSummary
from flows.services import Services
from flows.settings import CITY_KEYS, Settings

if TYPE_CHECKING:
    from catalog.publish.portal import CkanPortal

__all__ = ["RESULTS", "PortalSummary", "PortalTarget", "PortalUnreachable", "PublishConfigError", "PublishSummary",
           "PublishedItem", "connect", "portal_targets", "publish"]


class PublishConfigError(UsageError, ValueError):
    """Publishing is not configured: no CKAN URL for a city that is to be published."""


def _quiet(_message: str) -> None:
    return None


def portal_targets(settings: Settings, city: str | None = None) -> list[PortalTarget]:
    """The portals to publish to and their cities: a city's own URL (and token) where configured, else the
    default ``INVENTUR_CKAN_URL``. Raises :class:`PublishConfigError` when a city has no portal."""
    cities = [city] if city else list(CITY_KEYS)
    grouped: dict[tuple[str, str | None], list[str]] = {}
    missing = []
    for key in cities:
        own = settings.city(key)
        url = own.ckan_url or settings.ckan_url
        if not url:
            missing.append(key)
            continue
        secret = own.ckan_token or settings.ckan_token
        token = secret.get_secret_value() if secret is not None else None
        grouped.setdefault((url.rstrip("/"), token), []).append(key)
    if missing:
        raise PublishConfigError(
            f"no CKAN portal configured for {', '.join(missing)}: set INVENTUR_CKAN_URL (and INVENTUR_CKAN_TOKEN), "
            "or INVENTUR_CKAN_URL_<CITY> for a city's own portal"
        )
    return [PortalTarget(url, token, tuple(keys)) for (url, token), keys in grouped.items()]


def connect(target: PortalTarget, settings: Settings) -> CkanPortal:
    """The real client of a portal, with the configured timeout and concurrency."""
    from connectors.ckan import RemoteCkanPortal

    return RemoteCkanPortal(target.url, target.token, timeout=settings.http_timeout,
                            concurrency=settings.publish_concurrency)


def publish(
    services: Services,
    *,
    city: str | None = None,
    dry_run: bool = False,
    progress: Progress = _quiet,
    on_result: Callable[[PublishedItem], None] | None = None,
    connect_portal: Callable[[PortalTarget, Settings], CkanPortal] | None = None,
    verify: bool = False,
    chunk: int | None = None,
) -> PublishSummary:
    """Publish the reviewed inventory (of one city, or all) to its CKAN portal(s) (:mod:`catalog.publish.run`).

    ``connect_portal`` builds a portal's client (default: the real one); ``chunk`` is how many entries are
    planned and applied at a time (default :data:`catalog.publish.states.CHUNK`). Raises :class:`PublishConfigError`
    when a city has no portal configured and :class:`PortalUnreachable` (with the summary of what was done)
    when a portal cannot be reached.
    """
    from catalog.publish.run import publish as publish_run
    from catalog.publish.states import CHUNK
    from catalog.publish.verify import verify_portal

    settings = services.settings
    targets = portal_targets(settings, city)
    build = connect_portal or connect
    publisher = Publisher(
        store=services.store,
        organisation=services.organisation,
        connect=lambda target: build(target, settings),
        concurrency=settings.publish_concurrency,
        lock_wait=settings.lock_wait,
        chunk=chunk or CHUNK,
        verifier=partial(verify_portal, services.store, services.organisation,
                         profiles=settings.dcat_shape_profiles(), hvd_folder=settings.hvd_shapes_dir)
        if verify else None,
    )
    return publish_run(publisher, targets, dry_run=dry_run, progress=progress, on_result=on_result, verify=verify)
