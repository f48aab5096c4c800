"""Publishing's logic on the in-memory CKAN twin (seconds), and the contract: the same cases on the real portal.

The cases marked ``contract`` run twice, on the twin and on the session's local CKAN (behind a proxy
that counts the calls on the wire), so that the twin answers as CKAN does wherever publishing depends on
it. The others use what only the twin can do on demand: answer 5xx, time out, lose an answer after doing
what was asked, go down midway.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ckanapi import RemoteCKAN
from pydantic import SecretStr
from sqlalchemy import func, select

from catalog.models import Entry, FindingRow, Publication, Run
from catalog.publish.mapping import HASH_EXTRA, extra, package_name
from catalog.review.decisions import approve, reject
from connectors.ckan import CkanTwin
from flows.steps.publish import PortalUnreachable
from tests.publish_support import (
    EU,
    LICENCE,
    REVIEWER,
    TIMEOUT,
    Backend,
    CountingProxy,
    World,
    names,
    publications,
    twin_backend,
    watch_created,
)

contract = pytest.mark.parametrize(
    "backend", ["twin", pytest.param("portal", marks=[pytest.mark.portal, pytest.mark.slow])], indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    kind = getattr(request, "param", "twin")
    if kind == "twin":
        yield twin_backend()
        return
    portal = request.getfixturevalue("portal")
    proxy = CountingProxy(portal.url)
    remote = RemoteCKAN(portal.url, apikey=portal.token, user_agent="inventur-tests/1")

    def ckan(action: str, **data: Any) -> Any:
        return remote.call_action(action, data, requests_kwargs={"timeout": TIMEOUT})

    def calls() -> Counter[str]:
        with proxy.lock:
            return Counter(proxy.calls)

    yield Backend("portal", proxy.url, portal.token, ckan, lambda: proxy.writes, calls, proxy.reset)
    remote.close()
    proxy.close()


@pytest.fixture
def world(backend: Backend, tmp_path: Path) -> Iterator[World]:
    made = backend.world(tmp_path)
    yield made
    made.services.close()


def twin_of(backend: Backend) -> CkanTwin:
    return backend.twins[backend.url]


# --------------------------------------------------------------------------- the contract


@contract
def test_first_publish_creates_the_packages_as_mapped(backend: Backend, world: World) -> None:
    envi = world.add(2)
    tran = world.add(1, city="augsburg", theme=[EU + "data-theme/TRAN"], keywords=["Verkehr", "Radwege"],
                     license="http://dcat-ap.de/def/licenses/dl-by-de/2.0", attribution="Stadt Augsburg, Tiefbauamt")
    world.add(1, approved=False)  # ready, not approved: not published

    summary = world.publish()

    assert summary.totals() == {"created": 3, "updated": 0, "restored": 0, "withdrawn": 0, "unchanged": 0,
                                "failed": 0, "skipped": 0}
    assert all(world.status(i) == "published" for i in envi + tran)
    assert sorted(i for i, _, _ in publications(world)) == sorted(envi + tran)
    portal_summary = summary.portals[0]
    assert portal_summary.organisations_created == sorted([world.org_name("muenchen"), world.org_name("augsburg")])
    links = {i.identifier: i.link for i in portal_summary.items}
    assert links[envi[0]] == f"{backend.url}/dataset/{package_name(envi[0])}"
    assert backend.dataset_page(links[envi[0]] or "")

    shown = backend.ckan("package_show", id=package_name(tran[0]))
    assert shown["license_id"] == "http://dcat-ap.de/def/licenses/dl-by-de/2.0"
    assert shown["organization"]["name"] == world.org_name("augsburg")
    assert [g["name"] for g in shown["groups"]] == ["tran"]
    assert sorted(t["name"] for t in shown["tags"]) == ["Radwege", "Verkehr"]
    assert extra(shown, "identifier") == tran[0]
    assert json.loads(extra(shown, "contributorID") or "") == ["http://dcat-ap.de/def/contributors/stadtAugsburg"]
    assert extra(shown, "publisher_name") == "Stadt Augsburg"
    assert extra(shown, HASH_EXTRA)
    assert [r["format"] for r in shown["resources"]] == [EU + "file-type/CSV", EU + "file-type/JSON"]
    assert all(r["license"] == shown["license_id"] for r in shown["resources"])
    assert all(r["licenseAttributionByText"] == "Stadt Augsburg, Tiefbauamt" for r in shown["resources"])
    assert shown["resources"][0]["download_url"].endswith(".csv") and "download_url" not in shown["resources"][1]
    assert names(backend.ckan("package_search", fq=f"organization:{world.org_name()}")) == sorted(
        package_name(i) for i in envi)


@contract
def test_an_unchanged_second_run_writes_nothing_on_the_wire(backend: Backend, world: World) -> None:
    idents = world.add(4)
    first = world.publish()
    assert first.totals()["created"] == 4 and backend.writes_seen() > 0

    backend.reset()
    second = world.publish()

    assert backend.writes_seen() == 0, backend.calls_seen()
    assert second.writes == 0
    assert second.totals()["unchanged"] == 4 and second.failed == 0
    assert set(backend.calls_seen()) == {"organization_list", "package_search"}, backend.calls_seen()
    assert sorted(publications(world)) == [(i, "create", True) for i in sorted(idents)]  # no rows for unchanged


@contract
def test_update_after_a_change_and_the_approved_version_stays_until_reapproval(backend: Backend, world: World) -> None:
    [ident] = world.add(1)
    world.publish()
    before = backend.ckan("package_show", id=package_name(ident))

    world.change(ident, title="Baumkataster, neu vermessen")  # changed: back to review, not re-approved
    kept = world.publish()
    assert kept.totals()["unchanged"] == 1 and kept.writes == 0
    assert backend.ckan("package_show", id=package_name(ident))["title"] == before["title"]

    with world.store.session() as session:
        approve(session, ident, REVIEWER)
    updated = world.publish()
    assert updated.totals()["updated"] == 1
    after = backend.ckan("package_show", id=package_name(ident))
    assert after["title"] == "Baumkataster, neu vermessen"
    assert after["id"] == before["id"]
    assert [r["id"] for r in after["resources"]] == [r["id"] for r in before["resources"]]  # resources kept
    assert world.status(ident) == "published"
    assert [a for i, a, _ in publications(world) if i == ident] == ["create", "update"]


@contract
def test_withdraw_after_rejection_and_reapproval_restores(backend: Backend, world: World) -> None:
    idents = world.add(2)
    world.publish()
    created = backend.ckan("package_show", id=package_name(idents[0]))

    with world.store.session() as session:
        reject(session, idents[0], REVIEWER, "enthält Adressen")
    withdrawn = world.publish()
    assert withdrawn.totals()["withdrawn"] == 1 and withdrawn.totals()["unchanged"] == 1
    assert backend.ckan("package_show", id=package_name(idents[0]))["state"] == "deleted"
    assert names(backend.ckan("package_search", fq=f"organization:{world.org_name()}")) == [package_name(idents[1])]

    with world.store.session() as session:
        approve(session, idents[0], REVIEWER, "Adressen entfernt")
    restored = world.publish()
    assert restored.totals()["restored"] == 1
    shown = backend.ckan("package_show", id=package_name(idents[0]))
    assert shown["state"] == "active" and shown["id"] == created["id"]  # the same package, not a new one
    assert names(backend.ckan("package_search", fq=f"organization:{world.org_name()}")) == sorted(
        package_name(i) for i in idents)
    assert world.status(idents[0]) == "published"
    assert world.publish().writes == 0


@contract
def test_a_hard_rule_on_the_changed_version_withdraws_the_published_one(backend: Backend, world: World) -> None:
    [ident] = world.add(1)
    world.publish()
    world.change(ident, personal_data="yes")
    summary = world.publish()
    assert summary.totals()["withdrawn"] == 1
    assert [i.reason for i in summary.portals[0].items] == ["blocked"]
    assert backend.ckan("package_show", id=package_name(ident))["state"] == "deleted"


@contract
def test_a_ckan_validation_error_becomes_a_finding_on_the_entry(backend: Backend, world: World) -> None:
    good = world.add(1)
    [bad] = world.add(1, contact_email="gruen(at)muenchen")  # CKAN checks maintainer_email

    summary = world.publish()

    assert summary.totals()["created"] == 1 and summary.totals()["failed"] == 1
    [failed] = [i for i in summary.portals[0].items if i.result == "failed"]
    assert failed.identifier == bad and "maintainer_email" in failed.field_errors
    with world.store.session() as session:
        found = session.scalars(select(FindingRow).where(FindingRow.identifier == bad)).all()
        assert [(f.code, f.stage, f.severity, f.field, f.is_open) for f in found] == [
            ("ckan-rejected", "publish", "warning", "contact_email", True)]
        assert "maintainer_email" in found[0].message_en and "abgelehnt" in found[0].message
    assert world.status(bad) == "approved" and world.status(good[0]) == "published"
    assert (bad, "failed", False) in publications(world)

    again = world.publish()  # still refused: one finding, not two
    assert again.totals()["failed"] == 1
    with world.store.session() as session:
        assert session.scalar(select(func.count()).select_from(FindingRow).where(
            FindingRow.identifier == bad, FindingRow.is_open.is_(True))) == 1

    world.change(bad, reapprove=True, contact_email="gruen@muenchen.de")
    fixed = world.publish()
    assert fixed.totals()["created"] == 1 and fixed.failed == 0
    with world.store.session() as session:
        assert session.scalar(select(func.count()).select_from(FindingRow).where(
            FindingRow.identifier == bad, FindingRow.is_open.is_(True))) == 0
    assert world.status(bad) == "published"


@contract
def test_only_our_packages_are_touched(backend: Backend, world: World) -> None:
    [ident] = world.add(1)
    world.publish()
    org = world.org_name()
    foreign = backend.ckan("package_create", name=f"manual-{world.word}", title="Von Hand", owner_org=org,
                           license_id=LICENCE)  # in our organisation, but without our identifier extra
    stray = backend.ckan("package_create", name=f"stray-{world.word}", title="Fremd", owner_org=org,
                         license_id=LICENCE, extras=[{"key": "identifier", "value": f"X-{world.word}"}])
    with world.store.session() as session:
        reject(session, ident, REVIEWER, "nicht mehr aktuell")

    summary = world.publish()

    assert summary.totals()["withdrawn"] == 1
    assert summary.portals[0].skipped == {"not-in-inventory": 1}
    assert backend.ckan("package_show", id=foreign["id"])["state"] == "active"
    assert backend.ckan("package_show", id=stray["id"])["state"] == "active"


@contract
def test_dry_run_changes_nothing(backend: Backend, world: World) -> None:
    idents = world.add(3)
    summary = world.publish(dry_run=True)
    assert summary.dry_run and summary.totals()["created"] == 3 and summary.writes == 0
    assert summary.portals[0].organisations_created == [world.org_name()]
    assert backend.ckan("package_search", fq=f"organization:{world.org_name()}")["count"] == 0
    assert backend.writes_seen() == 0
    assert all(world.status(i) == "approved" for i in idents)
    with world.store.session() as session:
        assert session.scalar(select(func.count()).select_from(Publication)) == 0
        assert session.scalar(select(func.count()).select_from(Run).where(Run.kind == "publish")) == 0


# --------------------------------------------------------------------------- the twin only: a bad day


def assert_each_dataset_once(backend: Backend, world: World, idents: list[str]) -> None:
    found = backend.ckan("package_search", fq=f"organization:{world.org_name()}", rows=1000)
    assert found["count"] == len(idents)
    assert sorted(p["name"] for p in found["results"]) == sorted(package_name(i) for i in idents)
    assert Counter(extra(p, "identifier") for p in found["results"]) == Counter(idents)
    assert all(world.status(i) == "published" for i in idents)
    assert world.publish().writes == 0


def test_a_lost_answer_to_a_create_is_settled_without_a_second_package(backend: Backend, world: World) -> None:
    idents = world.add(3)
    twin_of(backend).fail("package_create", "lost", times=3)  # every first create goes through, unanswered

    summary = world.publish()

    assert summary.failed == 0
    # the retry met the package of the lost answer (name taken) and confirmed it: no second package
    assert summary.totals()["created"] + summary.totals()["unchanged"] == 3
    assert twin_of(backend).calls["package_show"] >= 1
    assert_each_dataset_once(backend, world, idents)
    assert {a for _, a, ok in publications(world) if ok} <= {"create", "unchanged"}


def test_a_lost_answer_to_an_update_and_a_withdrawal_is_harmless(backend: Backend, world: World) -> None:
    idents = world.add(2)
    world.publish()
    world.change(idents[0], reapprove=True, title="Baumkataster, neu vermessen")
    with world.store.session() as session:
        reject(session, idents[1], REVIEWER, "veraltet")
    twin_of(backend).fail("package_update", "lost")
    twin_of(backend).fail("package_delete", "lost")

    summary = world.publish()

    assert summary.failed == 0 and summary.totals()["updated"] == 1 and summary.totals()["withdrawn"] == 1
    assert backend.ckan("package_show", id=package_name(idents[0]))["title"] == "Baumkataster, neu vermessen"
    assert backend.ckan("package_show", id=package_name(idents[1]))["state"] == "deleted"
    assert world.publish().writes == 0


def test_server_errors_are_retried_and_a_broken_portal_stops_the_run(backend: Backend, world: World) -> None:
    idents = world.add(12)
    twin = twin_of(backend)
    twin.fail("package_create", "5xx", times=2)  # retried: the run does not notice
    first = world.publish()
    assert first.totals()["created"] == 12 and first.failed == 0
    assert twin.calls["package_create"] == 14

    more = world.add(12)
    twin.fail("package_create", "5xx", times=10_000)  # a portal that only answers 5xx
    with pytest.raises(PortalUnreachable, match="server errors in a row") as stopped:
        world.publish()
    summary = stopped.value.summary
    assert summary.totals()["failed"] >= 8 and summary.totals()["created"] == 0
    assert all(world.status(i) == "approved" for i in more)

    twin.fail("package_create", "5xx", times=0)
    twin._faults.clear()
    again = world.publish()
    assert again.totals()["created"] == 12 and again.failed == 0
    assert_each_dataset_once(backend, world, idents + more)


def test_a_portal_that_times_out_is_unreachable_and_nothing_is_lost(backend: Backend, world: World) -> None:
    world.add(2)
    twin_of(backend).fail("package_search", "timeout", times=4)  # 1 + 3 retries
    with pytest.raises(PortalUnreachable, match="package_search") as stopped:
        world.publish()
    assert stopped.value.summary.writes == 0 and twin_of(backend).writes == 0
    assert world.publish().totals()["created"] == 2


def test_a_portal_going_down_midway_then_publishing_again_leaves_every_dataset_once(
    backend: Backend, world: World
) -> None:
    idents = world.add(40)
    twin = twin_of(backend)
    with pytest.raises(PortalUnreachable) as stopped:
        world.publish(on_result=watch_created(10, twin.go_down))
    first = stopped.value.summary.totals()
    assert 10 <= first["created"] < 40, first
    twin.come_back()
    second = world.publish()
    assert second.failed == 0
    totals = second.totals()
    assert totals["created"] + totals["unchanged"] == 40 and totals["created"] <= 40 - first["created"]
    assert_each_dataset_once(backend, world, idents)


def test_each_city_can_have_its_own_portal(backend: Backend, tmp_path: Path) -> None:
    own = "http://augsburg.twin"
    world = backend.world(tmp_path, ckan_url_augsburg=own, ckan_token_augsburg=SecretStr(backend.token))
    muc = world.add(1)
    aug = world.add(2, city="augsburg")
    summary = world.publish()
    by_portal = {p.portal: (p.cities, p.counts["created"]) for p in summary.portals}
    assert by_portal == {backend.url: (["muenchen", "nuernberg"], 1), own: (["augsburg"], 2)}
    assert backend.twins[own].calls["package_create"] == 2 and twin_of(backend).calls["package_create"] == 1
    with world.store.session() as session:
        rows = session.execute(select(Entry.identifier, Publication.portal)
                               .join(Entry, Entry.id == Publication.entry_id)).all()
    assert dict(rows) == {muc[0]: backend.url, aug[0]: own, aug[1]: own}
    world.services.close()


# --------------------------------------------------------------------------- a chunk at a time


def test_a_run_in_chunks_does_what_a_run_in_one_piece_does(backend: Backend, tmp_path: Path) -> None:
    results = []
    for name, chunk in (("whole", None), ("chunks", 3)):
        (tmp_path / name).mkdir()
        world = backend.world(tmp_path / name)
        muc = world.add(5)
        aug = world.add(3, city="augsburg")
        world.add(2, approved=False)
        world.publish(chunk=chunk)
        world.change(muc[0], reapprove=True, title="Baumkataster, neu vermessen")
        with world.store.session() as session:
            reject(session, aug[0], REVIEWER, "veraltet")
        backend.ckan("package_create", name=f"stray-{world.word}", title="Fremd", owner_org=world.org_name(),
                     license_id=LICENCE, extras=[{"key": "identifier", "value": f"X-{world.word}"}])
        dry = world.publish(dry_run=True, chunk=chunk)
        done = world.publish(chunk=chunk)
        unchanged = world.publish(chunk=chunk)
        results.append((
            dry.totals(), [(i.action, i.reason) for i in dry.portals[0].items], dry.portals[0].skipped,
            done.totals(), [(i.result, i.reason) for i in done.portals[0].items], done.portals[0].skipped,
            unchanged.totals(), unchanged.writes,
        ))
        world.services.close()
    assert results[0] == results[1]
    whole = results[0]
    assert whole[3]["updated"] == 1 and whole[3]["withdrawn"] == 1 and whole[3]["unchanged"] == 6
    assert whole[5] == {"not-in-inventory": 1} and whole[7] == 0
