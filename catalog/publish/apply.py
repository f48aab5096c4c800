"""Carrying out planned actions on a portal (:class:`~catalog.publish.portal.CkanPortal`).

The rules of writing: withdraw only what is ours; create a package under the id and name that follow
from its identifier, so that a create whose answer was lost (the portal has the package, the client
never heard) meets the same package on the next attempt: the name is then taken, the package is read
(``package_show``) and *settled*: confirmed as it is when it carries the planned content, updated
otherwise, left alone when it belongs to someone else (not in our organisations, or another identifier).
A package that vanished while being updated is created again (at most :data:`CREATE_ATTEMPTS` creates
per package and run). A withdrawn package of ours is made active again by an update (``restore``).

:func:`apply_actions` runs the actions of a plan with a bounded number of threads (withdrawals first),
hands each result to ``settle`` in the calling thread, and stops when the portal is gone: unreachable,
or :data:`SERVER_ERRORS_IN_A_ROW` server errors in a row after the retries.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from catalog.organisation import Organisation
from catalog.publish.mapping import organisation_of
from catalog.publish.plan import PlannedAction, RemotePackage
from catalog.publish.portal import CkanPortal, CkanUnavailable, WriteResult
from catalog.publish.summary import PublishedItem

CREATE_ATTEMPTS = 2  # creates of one package per run (a second when the package vanished while being updated)
SERVER_ERRORS_IN_A_ROW = 8  # consecutive 5xx failures (after retries) that stop a run: the portal is broken


def with_remote_ids(package: Mapping[str, Any], remote: RemotePackage) -> dict[str, Any]:
    """The package to write over ``remote``: its id. Resources keep the ids the mapping gives them (stable,
    derived from identifier and format), so their URLs stay and CKAN never guesses a format for them."""
    result = dict(package)
    result["id"] = remote.id
    return result


def organisations_needed(actions: Iterable[PlannedAction], organisation: Organisation) -> dict[str, dict[str, Any]]:
    """The organisation dicts of the packages these actions write (or may have to write)."""
    departments = {d.key: d for d in organisation.departments}
    needed: dict[str, dict[str, Any]] = {}
    for planned in actions:
        if planned.package is None or not planned.needs_portal or planned.action == "withdraw":
            continue
        name = str(planned.package["owner_org"])
        if name not in needed and name in departments:
            needed[name] = organisation_of(organisation, departments[name])
    return needed


class Applier:
    """Carries out planned actions on one portal; called from several threads at once. ``organisations``
    are ours on this portal (a package elsewhere is never touched); ``stop`` ends the run's remaining
    actions (the portal is gone)."""

    def __init__(self, portal: CkanPortal, organisations: set[str], stop: threading.Event) -> None:
        self.portal = portal
        self.organisations = organisations
        self.stop = stop

    def link(self, name: str) -> str:
        return f"{self.portal.url}/dataset/{name}"

    def __call__(self, planned: PlannedAction) -> PublishedItem:
        item = PublishedItem(planned.identifier, planned.action, "failed", planned.package_name, planned.reason,
                             planned.detail)
        if self.stop.is_set():
            item.attempted = False
            item.error = "not attempted: the run was stopped (portal unreachable)"
            return item
        try:
            self._apply(planned, item)
        except CkanUnavailable as exc:
            item.result, item.error, item.unreachable = "failed", str(exc), True
            self.stop.set()
        return item

    def _apply(self, planned: PlannedAction, item: PublishedItem) -> None:
        if planned.action == "withdraw":
            assert planned.remote is not None
            result = self.portal.delete_package(planned.remote.id)
            if result.ok or result.not_found:
                item.result, item.remote_id = "withdrawn", planned.remote.id
            else:
                self._failed(item, result)
        elif planned.action == "update":
            assert planned.remote is not None
            self._update(planned, planned.remote, item, "updated")
        elif planned.action == "create":
            self._create(planned, item)
        elif planned.action == "restore":
            assert planned.package is not None
            shown = self.portal.show_package(planned.package["name"]) or self.portal.show_package(planned.package["id"])
            self._settle(planned, shown, item, create_if_missing=True)
        elif planned.verify:
            assert planned.remote is not None
            shown = self.portal.show_package(planned.remote.id)
            self._settle(planned, shown, item, create_if_missing=True)
        else:  # unchanged: nothing to do on the portal
            item.result = "unchanged"
            item.remote_id = planned.remote.id if planned.remote else None
            item.link = self.link(planned.package_name)
            item.attempted = False

    def _ours(self, package: Mapping[str, Any] | None, identifier: str) -> bool:
        if package is None:
            return False
        remote = RemotePackage.from_ckan(package)
        return remote.organisation in self.organisations and remote.identifier == identifier

    def _create(self, planned: PlannedAction, item: PublishedItem) -> None:
        assert planned.package is not None
        item.creates += 1
        if item.creates > CREATE_ATTEMPTS:
            item.result, item.error = "failed", "gave up: the package kept changing on the portal while it was written"
            return
        result = self.portal.create_package(planned.package)
        if result.ok:
            package = result.package or {}
            item.result, item.remote_id = "created", package.get("id") or planned.package.get("id")
            item.link = self.link(planned.package["name"])
            return
        if result.field_errors.get("name") or result.field_errors.get("id"):
            # the name or id is taken: by our own package (an earlier attempt went through) or another one
            shown = self.portal.show_package(planned.package["id"]) or self.portal.show_package(planned.package["name"])
            if shown is not None:
                self._settle(planned, shown, item, create_if_missing=False)
                return
        self._failed(item, result)

    def _settle(self, planned: PlannedAction, shown: dict[str, Any] | None, item: PublishedItem,
                *, create_if_missing: bool) -> None:
        """Bring a package found on the portal (or missing there) to the planned content."""
        assert planned.package is not None
        if shown is None or shown.get("state") == "unknown":
            if shown is None and create_if_missing:
                self._create(planned, item)
                return
            item.error = f"the name {planned.package['name']} is taken on the portal by a package that is not ours"
            item.field_errors = {"name": [f"{planned.package['name']} is used by another package"]}
            return
        if not self._ours(shown, planned.identifier):
            item.error = f"the name {planned.package['name']} is taken on the portal by a package that is not ours"
            item.field_errors = {"name": [f"{planned.package['name']} is used by a package of another organisation"]}
            return
        remote = RemotePackage.from_ckan(shown)
        if remote.state == "active" and remote.content_hash == planned.content_hash and (
            remote.organisation == planned.package["owner_org"]
        ):
            item.result, item.remote_id, item.link = "unchanged", remote.id, self.link(remote.name)
            return
        self._update(planned, remote, item, "restored" if remote.state != "active" else "updated")

    def _update(self, planned: PlannedAction, remote: RemotePackage, item: PublishedItem, done: str) -> None:
        assert planned.package is not None
        package = with_remote_ids(planned.package, remote)
        if remote.state != "active":
            package["state"] = "active"
        result = self.portal.update_package(package)
        if result.ok:
            item.result, item.remote_id, item.link = done, remote.id, self.link(package["name"])
        elif result.not_found:
            self._create(planned, item)
        else:
            self._failed(item, result)

    @staticmethod
    def _failed(item: PublishedItem, result: WriteResult) -> None:
        item.result = "failed"
        item.error = result.error
        item.field_errors = dict(result.field_errors)
        item.server_error = result.server_error


class Stopper:
    """Watches the results of a run on one portal: stops it when the portal is gone (unreachable, or too many
    server errors in a row); ``reason`` says why."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.event = threading.Event()
        self.reason: str | None = None
        self._server_errors = 0

    def see(self, item: PublishedItem) -> None:
        self._server_errors = self._server_errors + 1 if item.server_error else 0
        if self._server_errors >= SERVER_ERRORS_IN_A_ROW and not self.event.is_set():
            self.event.set()
            self.reason = f"CKAN at {self.url}: {self._server_errors} server errors in a row ({item.error})"
        if item.unreachable and self.reason is None:
            self.reason = item.error


def apply_actions(
    applier: Applier,
    actions: Sequence[PlannedAction],
    *,
    workers: int,
    failed_organisations: Mapping[str, str],
    settle: Callable[[PublishedItem], None],
) -> None:
    """Apply ``actions`` (withdrawals first, then the rest), each batch with ``workers`` threads; ``settle``
    gets each result in this thread, as it arrives. An action whose organisation could not be created fails
    without a call."""
    withdrawals = [a for a in actions if a.action == "withdraw"]
    others = [a for a in actions if a.action != "withdraw"]
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="publish") as pool:
        for batch in (withdrawals, others):
            futures: list[Future[PublishedItem]] = []
            for planned in batch:
                org = str(planned.package.get("owner_org")) if planned.package is not None else ""
                if org in failed_organisations and planned.needs_portal:
                    settle(PublishedItem(planned.identifier, planned.action, "failed", planned.package_name,
                                         planned.reason, planned.detail,
                                         error=f"organisation {org} could not be created: {failed_organisations[org]}"))
                    continue
                if not planned.needs_portal:
                    settle(applier(planned))
                    continue
                futures.append(pool.submit(applier, planned))
            pending: set[Future[PublishedItem]] = set(futures)
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    settle(future.result())
