"""Publishing against the real local CKAN portal (the session's ``portal`` fixture): what only the real
portal can show. Publishing's logic runs on the in-memory twin, and the contract cases on both, in
tests/test_publish.py.

Every test publishes for departments of its own (random codes, so its own organisations) from its own
SQLite store, so the tests do not disturb each other on the shared portal.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from ckanapi import RemoteCKAN

from catalog.publish.mapping import ckan_licences, extra, package_name, theme_groups
from flows.steps.publish import PortalUnreachable, PublishedItem, publish
from portal.local import PortalInfo, status, up
from portal.processes import is_alive
from tests.publish_support import EU, TIMEOUT, World, make_world, names

pytestmark = [pytest.mark.portal, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def world(tmp_path: Path, portal: PortalInfo) -> Iterator[World]:
    made = make_world(tmp_path, portal.url, portal.token)
    yield made
    made.services.close()


@pytest.fixture(scope="module")
def ckan(portal: PortalInfo) -> Iterator[Any]:
    remote = RemoteCKAN(portal.url, apikey=portal.token, user_agent="inventur-tests/1")

    def call(action: str, **data: Any) -> Any:
        return remote.call_action(action, data, requests_kwargs={"timeout": TIMEOUT})

    yield call
    remote.close()


def test_published_datasets_are_found_by_theme_organisation_tag_and_text(world: World, ckan: Any,
                                                                          portal: PortalInfo) -> None:
    envi = world.add(2)
    tran = world.add(1, city="augsburg", theme=[EU + "data-theme/TRAN"], keywords=["Verkehr", "Radwege"],
                     license="http://dcat-ap.de/def/licenses/dl-by-de/2.0", attribution="Stadt Augsburg, Tiefbauamt")
    summary = publish(world.services)
    assert summary.totals()["created"] == 3
    link = f"{portal.url}/dataset/{package_name(envi[0])}"
    assert requests.get(link, timeout=TIMEOUT).status_code == 200  # the dataset's page

    envi_names = sorted(package_name(i) for i in envi)
    assert names(ckan("package_search", fq=f"groups:envi AND organization:{world.org_name()}")) == envi_names
    assert names(ckan("package_search", fq=f"organization:{world.org_name('augsburg')}")) == [package_name(tran[0])]
    tag = next(t for t in ckan("package_show", id=package_name(envi[0]))["tags"] if t["name"].startswith("tag-"))
    assert names(ckan("package_search", fq=f'tags:"{tag["name"]}"')) == [package_name(envi[0])]
    assert names(ckan("package_search", q=tag["name"].removeprefix("tag-"))) == [package_name(envi[0])]
    # free text in German (the portal is shared with other tests: their "Radwege" are in other organisations)
    assert names(ckan("package_search", q="Radwege", fq=f"organization:{world.org_name('augsburg')}")) == [
        package_name(tran[0])]


def test_killing_ckan_midway_then_publishing_again_leaves_every_dataset_once(
    tmp_path: Path, portal: PortalInfo, ckan: Any
) -> None:
    world = make_world(tmp_path, portal.url, portal.token, publish_concurrency=4)
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
    world = make_world(tmp_path, portal.url, portal.token)
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
