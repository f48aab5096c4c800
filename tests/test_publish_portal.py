"""Publishing against the real local CKAN portal (the session's ``portal`` fixture).

Every test publishes for departments of its own (random codes, so its own organisations) from its own
SQLite store, so the tests do not disturb each other on the shared portal. Write calls are counted on
the wire by a small reverse proxy in front of CKAN, independently of the client under test.
"""

from __future__ import annotations

import http.server
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from ckanapi import RemoteCKAN
from pydantic import SecretStr
from sqlalchemy import func, select

from catalog.inventory import Source, save_entry
from catalog.models import Entry, FindingRow, Publication, Run
from catalog.organisation import Organisation, load_organisation
from catalog.publish.mapping import HASH_EXTRA, ckan_licences, extra, package_name, theme_groups
from catalog.review import approve, reject
from connectors.ckan import is_write
from flows.services import Services
from flows.settings import Settings
from flows.steps_publish import PortalUnreachable, PublishedItem, publish
from portal.local import PortalInfo, status, up
from portal.processes import is_alive

pytestmark = [pytest.mark.portal, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
EU = "http://publications.europa.eu/resource/authority/"
LICENCE = "http://dcat-ap.de/def/licenses/dl-zero-de/2.0"
TIMEOUT = 60
REVIEWER = "Erika Muster"


# --------------------------------------------------------------------------- a counting proxy


class CountingProxy:
    """A reverse proxy in front of CKAN that counts the action calls passing through it."""

    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.calls: Counter[str] = Counter()
        self.lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if "/api/" in self.path:
                    with proxy.lock:
                        proxy.calls[self.path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]] += 1
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                try:
                    answer = requests.request(self.command, proxy.target + self.path, data=body, headers=headers,
                                              timeout=TIMEOUT, allow_redirects=False)
                    status_code, content = answer.status_code, answer.content
                    content_type = answer.headers.get("Content-Type", "application/json")
                except requests.RequestException:
                    status_code, content, content_type = 502, b'{"success": false}', "application/json"
                self.send_response(status_code)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = _forward

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def writes(self) -> int:
        with self.lock:
            return sum(n for action, n in self.calls.items() if is_write(action))

    def reset(self) -> None:
        with self.lock:
            self.calls.clear()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxy(portal: PortalInfo) -> Iterator[CountingProxy]:
    counting = CountingProxy(portal.url)
    yield counting
    counting.close()


# --------------------------------------------------------------------------- a world of one's own


@dataclass
class World:
    """A store, an organisation of fresh departments, and the services that publish them."""

    services: Services
    organisation: Organisation
    codes: dict[str, str]  # city -> department code
    word: str

    @property
    def store(self) -> Any:
        return self.services.store

    def org_name(self, city: str = "muenchen") -> str:
        return f"{city}-{self.codes[city].lower()}"

    def add(self, n: int = 1, *, city: str = "muenchen", approved: bool = True, **over: Any) -> list[str]:
        """``n`` entries of one department, approved unless told otherwise."""
        idents = []
        with self.store.session() as session:
            for _ in range(n):
                word = unique_word()
                values = sample(word, **over)
                saved = save_entry(session, values, city=city, department=self.codes[city],
                                   source=Source("survey", "test.xlsx"), organisation=self.organisation)
                saved.entry.status = "ready"
                session.flush()
                idents.append(saved.entry.identifier)
                if approved:
                    approve(session, saved.entry.identifier, REVIEWER)
        return idents

    def change(self, identifier: str, *, reapprove: bool = False, **over: Any) -> None:
        """A new version of the entry (back to review), approved again when told."""
        with self.store.session() as session:
            entry = session.scalars(select(Entry).where(Entry.identifier == identifier)).one()
            values = {k: getattr(entry, k) for k in ("title", "description", "theme", "keywords", "contact_email",
                                                      "personal_data", "third_party_rights", "access_rights",
                                                      "license", "formats", "access_url", "frequency",
                                                      "temporal_start", "publish_proposal", "spatial_scope",
                                                      "spatial", "attribution")}
            values.update(over)
            save_entry(session, values, identifier=identifier, city=entry.city, department=entry.department,
                       source=Source("survey", "test-2.xlsx"), organisation=self.organisation)
            assert entry.status == "new"
            entry.status = "ready"
            session.flush()
            if reapprove:
                approve(session, identifier, REVIEWER)

    def status(self, identifier: str) -> str:
        with self.store.session() as session:
            return str(session.scalars(select(Entry.status).where(Entry.identifier == identifier)).one())


def unique_word(length: int = 10) -> str:
    alphabet = "bcdfghjklmnpqrstvwxz"
    return "".join(secrets.choice(alphabet) for _ in range(length))


def sample(word: str, **over: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "title": f"Baumkataster {word.capitalize()}",
        "description": f"Alle städtischen Bäume mit Art, Pflanzjahr und Standort ({word}).",
        "theme": [EU + "data-theme/ENVI"],
        "keywords": ["Bäume", f"tag-{word}", "Grün/Flächen"],
        "contact_email": "gruen@muenchen.de",
        "personal_data": "no",
        "third_party_rights": "no",
        "access_rights": EU + "access-right/PUBLIC",
        "license": LICENCE,
        "formats": [EU + "file-type/CSV", EU + "file-type/JSON"],
        "access_url": f"https://opendata.example.org/{word}.csv",
        "frequency": EU + "frequency/ANNUAL",
        "temporal_start": "2020-01-01",
        "publish_proposal": "yes",
        "spatial_scope": "city",
    }
    values.update(over)
    return values


def departments_yaml(path: Path, codes: dict[str, str]) -> Path:
    doc = {
        "opendata_contacts": {},
        "departments": [
            {"city": city, "code": code, "name": f"Referat für Tests {code}", "kind": "Referat",
             "email": f"{code.lower()}@{city}.example.org"}
            for city, code in codes.items()
        ],
    }
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def settings_for(tmp_path: Path, url: str, token: str, departments: Path, **over: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": f"sqlite:///{tmp_path / 'inventur.db'}",
        "data_dir": tmp_path / "data",
        "departments_file": departments,
        "ckan_url": url,
        "ckan_token": SecretStr(token),
        "ckan_url_muenchen": None, "ckan_url_augsburg": None, "ckan_url_nuernberg": None,
        "ckan_token_muenchen": None, "ckan_token_augsburg": None, "ckan_token_nuernberg": None,
        "http_timeout": 30.0,
        "publish_concurrency": 4,
    }
    values.update(over)
    return Settings(**values)


def make_world(tmp_path: Path, portal: PortalInfo, *, url: str | None = None, **over: Any) -> World:
    codes = {city: "P" + secrets.token_hex(4).upper()[:7] for city in ("muenchen", "augsburg")}
    departments = departments_yaml(tmp_path / "departments.yaml", codes)
    services = Services(settings_for(tmp_path, url or portal.url, portal.token, departments, **over))
    return World(services, load_organisation(departments), codes, unique_word())


@pytest.fixture
def world(tmp_path: Path, portal: PortalInfo) -> Iterator[World]:
    made = make_world(tmp_path, portal)
    yield made
    made.services.close()


@pytest.fixture(scope="module")
def ckan(portal: PortalInfo) -> Iterator[Any]:
    remote = RemoteCKAN(portal.url, apikey=portal.token, user_agent="inventur-tests/1")

    def call(action: str, **data: Any) -> Any:
        return remote.call_action(action, data, requests_kwargs={"timeout": TIMEOUT})

    yield call
    remote.close()


def names(result: dict[str, Any]) -> list[str]:
    return sorted(p["name"] for p in result["results"])


def publications(world: World) -> list[tuple[str, str, bool]]:
    with world.store.session() as session:
        rows = session.execute(
            select(Entry.identifier, Publication.action, Publication.ok)
            .join(Entry, Entry.id == Publication.entry_id).order_by(Publication.id)
        ).all()
    return [(str(i), str(a), bool(ok)) for i, a, ok in rows]


# --------------------------------------------------------------------------- the tests


def test_first_publish_creates_datasets_that_search_finds(world: World, ckan: Any, portal: PortalInfo) -> None:
    envi = world.add(2)
    tran = world.add(1, city="augsburg", theme=[EU + "data-theme/TRAN"], keywords=["Verkehr", "Radwege"],
                     license="http://dcat-ap.de/def/licenses/dl-by-de/2.0", attribution="Stadt Augsburg, Tiefbauamt")
    world.add(1, approved=False)  # ready, not approved: not published

    summary = publish(world.services)

    assert summary.totals() == {"created": 3, "updated": 0, "restored": 0, "withdrawn": 0, "unchanged": 0,
                                "failed": 0, "skipped": 0}
    assert all(world.status(i) == "published" for i in envi + tran)
    assert sorted(i for i, _, _ in publications(world)) == sorted(envi + tran)
    portal_summary = summary.portals[0]
    assert portal_summary.organisations_created == sorted([world.org_name("muenchen"), world.org_name("augsburg")])
    links = {i.identifier: i.link for i in portal_summary.items}
    assert links[envi[0]] == f"{portal.url}/dataset/{package_name(envi[0])}"
    assert requests.get(links[envi[0]] or "", timeout=TIMEOUT).status_code == 200

    # the package as GovData's mapping reads it
    shown = ckan("package_show", id=package_name(tran[0]))
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

    # search by theme (group), organisation, tag and free text
    envi_names = sorted(package_name(i) for i in envi)
    assert names(ckan("package_search", fq=f"groups:envi AND organization:{world.org_name()}")) == envi_names
    assert names(ckan("package_search", fq=f"organization:{world.org_name('augsburg')}")) == [package_name(tran[0])]
    tag = next(t for t in ckan("package_show", id=package_name(envi[0]))["tags"] if t["name"].startswith("tag-"))
    assert names(ckan("package_search", fq=f'tags:"{tag["name"]}"')) == [package_name(envi[0])]
    assert names(ckan("package_search", q=tag["name"].removeprefix("tag-"))) == [package_name(envi[0])]
    assert names(ckan("package_search", q=f"Radwege {world.org_name('augsburg')}")) == [package_name(tran[0])]


def test_unchanged_second_run_writes_nothing_on_the_wire(tmp_path: Path, portal: PortalInfo,
                                                          proxy: CountingProxy) -> None:
    world = make_world(tmp_path, portal, url=proxy.url)
    idents = world.add(4)
    first = publish(world.services)
    assert first.totals()["created"] == 4 and proxy.writes > 0

    proxy.reset()
    started = time.perf_counter()
    second = publish(world.services)
    elapsed = time.perf_counter() - started

    assert proxy.writes == 0, proxy.calls
    assert second.writes == 0
    assert second.totals()["unchanged"] == 4 and second.failed == 0
    assert set(proxy.calls) == {"organization_list", "package_search"}, proxy.calls
    assert sorted(publications(world)) == [(i, "create", True) for i in sorted(idents)]  # no rows for unchanged
    assert elapsed < first.seconds
    world.services.close()


def test_update_after_a_change_and_the_approved_version_stays_until_reapproval(world: World, ckan: Any) -> None:
    [ident] = world.add(1)
    publish(world.services)
    before = ckan("package_show", id=package_name(ident))

    world.change(ident, title="Baumkataster, neu vermessen")  # changed: back to review, not re-approved
    kept = publish(world.services)
    assert kept.totals()["unchanged"] == 1 and kept.writes == 0
    assert ckan("package_show", id=package_name(ident))["title"] == before["title"]

    with world.store.session() as session:
        approve(session, ident, REVIEWER)
    updated = publish(world.services)
    assert updated.totals()["updated"] == 1
    after = ckan("package_show", id=package_name(ident))
    assert after["title"] == "Baumkataster, neu vermessen"
    assert after["id"] == before["id"]
    assert [r["id"] for r in after["resources"]] == [r["id"] for r in before["resources"]]  # resources kept
    assert world.status(ident) == "published"
    assert [a for i, a, _ in publications(world) if i == ident] == ["create", "update"]


def test_withdraw_after_rejection_and_reapproval_restores(world: World, ckan: Any) -> None:
    idents = world.add(2)
    publish(world.services)
    created = ckan("package_show", id=package_name(idents[0]))

    with world.store.session() as session:
        reject(session, idents[0], REVIEWER, "enthält Adressen")
    withdrawn = publish(world.services)
    assert withdrawn.totals()["withdrawn"] == 1 and withdrawn.totals()["unchanged"] == 1
    assert ckan("package_show", id=package_name(idents[0]))["state"] == "deleted"
    assert names(ckan("package_search", fq=f"organization:{world.org_name()}")) == [package_name(idents[1])]

    with world.store.session() as session:
        approve(session, idents[0], REVIEWER, "Adressen entfernt")
    restored = publish(world.services)
    assert restored.totals()["restored"] == 1
    shown = ckan("package_show", id=package_name(idents[0]))
    assert shown["state"] == "active" and shown["id"] == created["id"]  # the same package, not a new one
    assert names(ckan("package_search", fq=f"organization:{world.org_name()}")) == sorted(
        package_name(i) for i in idents)
    assert world.status(idents[0]) == "published"
    assert publish(world.services).writes == 0


def test_a_hard_rule_on_the_changed_version_withdraws_the_published_one(world: World, ckan: Any) -> None:
    [ident] = world.add(1)
    publish(world.services)
    world.change(ident, personal_data="yes")
    summary = publish(world.services)
    assert summary.totals()["withdrawn"] == 1
    assert [i.reason for i in summary.portals[0].items] == ["blocked"]
    assert ckan("package_show", id=package_name(ident))["state"] == "deleted"


def test_a_ckan_validation_error_becomes_a_finding_on_the_entry(world: World, ckan: Any) -> None:
    good = world.add(1)
    [bad] = world.add(1, contact_email="gruen(at)muenchen")  # CKAN checks maintainer_email

    summary = publish(world.services)

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

    again = publish(world.services)  # still refused: one finding, not two
    assert again.totals()["failed"] == 1
    with world.store.session() as session:
        assert session.scalar(select(func.count()).select_from(FindingRow).where(
            FindingRow.identifier == bad, FindingRow.is_open.is_(True))) == 1

    world.change(bad, reapprove=True, contact_email="gruen@muenchen.de")
    fixed = publish(world.services)
    assert fixed.totals()["created"] == 1 and fixed.failed == 0
    with world.store.session() as session:
        assert session.scalar(select(func.count()).select_from(FindingRow).where(
            FindingRow.identifier == bad, FindingRow.is_open.is_(True))) == 0
    assert world.status(bad) == "published"


def test_only_our_packages_are_touched(world: World, ckan: Any) -> None:
    [ident] = world.add(1)
    publish(world.services)
    org = world.org_name()
    foreign = ckan("package_create", name=f"manual-{world.word}", title="Von Hand", owner_org=org,
                   license_id=LICENCE)  # in our organisation, but without our identifier extra
    stray = ckan("package_create", name=f"stray-{world.word}", title="Fremd", owner_org=org, license_id=LICENCE,
                 extras=[{"key": "identifier", "value": f"X-{world.word}"}])
    with world.store.session() as session:
        reject(session, ident, REVIEWER, "nicht mehr aktuell")

    summary = publish(world.services)

    assert summary.totals()["withdrawn"] == 1
    assert summary.portals[0].skipped == {"not-in-inventory": 1}
    assert ckan("package_show", id=foreign["id"])["state"] == "active"
    assert ckan("package_show", id=stray["id"])["state"] == "active"


def test_dry_run_changes_nothing(world: World, ckan: Any) -> None:
    idents = world.add(3)
    summary = publish(world.services, dry_run=True)
    assert summary.dry_run and summary.totals()["created"] == 3 and summary.writes == 0
    assert summary.portals[0].organisations_created == [world.org_name()]
    assert ckan("package_search", fq=f"organization:{world.org_name()}")["count"] == 0
    assert all(world.status(i) == "approved" for i in idents)
    with world.store.session() as session:
        assert session.scalar(select(func.count()).select_from(Publication)) == 0
        assert session.scalar(select(func.count()).select_from(Run).where(Run.kind == "publish")) == 0


def test_each_city_can_have_its_own_portal(tmp_path: Path, portal: PortalInfo, proxy: CountingProxy,
                                           ckan: Any) -> None:
    # the proxy stands in for Augsburg's own portal (a second address of the same CKAN)
    world = make_world(tmp_path, portal, ckan_url_augsburg=proxy.url,
                       ckan_token_augsburg=SecretStr(portal.token))
    muc = world.add(1)
    aug = world.add(2, city="augsburg")
    summary = publish(world.services)
    by_portal = {p.portal: (p.cities, p.counts["created"]) for p in summary.portals}
    assert by_portal == {portal.url: (["muenchen", "nuernberg"], 1), proxy.url: (["augsburg"], 2)}
    assert proxy.calls["package_create"] == 2
    with world.store.session() as session:
        rows = session.execute(select(Entry.identifier, Publication.portal)
                               .join(Entry, Entry.id == Publication.entry_id)).all()
    assert dict(rows) == {muc[0]: portal.url, aug[0]: proxy.url, aug[1]: proxy.url}
    world.services.close()


def test_killing_ckan_midway_then_publishing_again_leaves_every_dataset_once(
    tmp_path: Path, portal: PortalInfo, ckan: Any
) -> None:
    world = make_world(tmp_path, portal, publish_concurrency=4)
    idents = world.add(40)
    created = threading.Event()
    count = 0

    def watch(item: PublishedItem) -> None:
        nonlocal count
        if item.result == "created":
            count += 1
            if count == 10:
                created.set()

    workers: list[int] = []

    def kill() -> None:
        if created.wait(120):
            server = status(portal.base_dir)["ckan"]
            workers.extend(server["workers"])
            os.kill(server["pid"], signal.SIGKILL)  # the master: its workers must go down with it

    killer = threading.Thread(target=kill)
    killer.start()
    try:
        with pytest.raises(PortalUnreachable) as stopped:
            publish(world.services, on_result=watch)
    finally:
        created.set()
        killer.join()
        deadline = time.monotonic() + 10
        while any(is_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = [w for w in workers if is_alive(w)]
        # the portal is shared by the whole session: bring CKAN back whatever happened above
        up(portal.base_dir, licenses=ckan_licences(), groups=theme_groups(), port=int(portal.url.rsplit(":", 1)[1]),
           venv=Path(json.loads((portal.base_dir / "portal.json").read_text())["venv"]))  # the session's environment
    assert workers and not left, f"workers {left} outlived their killed master"
    first = stopped.value.summary.totals()
    assert 10 <= first["created"] < 40, first
    second = publish(world.services)
    assert second.failed == 0
    totals = second.totals()
    assert totals["created"] + totals["unchanged"] == 40 and totals["created"] <= 40 - first["created"]

    found = ckan("package_search", fq=f"organization:{world.org_name()}", rows=1000)
    assert found["count"] == 40
    assert sorted(p["name"] for p in found["results"]) == sorted(package_name(i) for i in idents)
    assert Counter(extra(p, "identifier") for p in found["results"]) == Counter(idents)
    for ident in idents:
        assert ckan("package_show", id=package_name(ident))["state"] == "active"
        assert world.status(ident) == "published"
    assert publish(world.services).writes == 0
    world.services.close()


# --------------------------------------------------------------------------- the command line


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flows", *args], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_publish_command(tmp_path: Path, portal: PortalInfo, cli_env: dict[str, str]) -> None:
    world = make_world(tmp_path, portal)
    idents = world.add(2)
    env = {**cli_env, "INVENTUR_DATABASE_URL": world.services.settings.database_url,
           "INVENTUR_DEPARTMENTS_FILE": str(world.services.settings.departments_file),
           "INVENTUR_CKAN_URL": portal.url, "INVENTUR_CKAN_TOKEN": portal.token}

    dry = run_cli(env, "publish", "--dry-run", "--format", "json")
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["totals"]["created"] == 2 and world.status(idents[0]) == "approved"

    done = run_cli(env, "publish", "--city", "muenchen")
    assert done.returncode == 0, done.stderr
    assert "created" in done.stdout and portal.url in done.stdout
    again = json.loads(run_cli(env, "publish", "--format", "json").stdout)
    assert again["totals"]["unchanged"] == 2 and again["writes"] == 0

    world.add(1, contact_email="kein-postfach")
    failed = run_cli(env, "publish")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "maintainer_email" in failed.stdout

    closed = run_cli({**env, "INVENTUR_CKAN_URL": "http://127.0.0.1:9", "INVENTUR_HTTP_TIMEOUT": "2"}, "publish")
    assert closed.returncode == 4, closed.stderr
    assert "127.0.0.1:9" in closed.stderr

    unset = run_cli({k: v for k, v in env.items() if not k.startswith("INVENTUR_CKAN")}, "publish")
    assert unset.returncode == 2 and "INVENTUR_CKAN_URL" in unset.stderr
    world.services.close()
