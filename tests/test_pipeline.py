"""Every Prefect flow run once, under one test harness for the whole run; checked by what it wrote."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from catalog.models import Delivery, Entry, FindingRow, ReceivedFile
from catalog.store import Store

CAMPAIGN = "2026-herbst"


@pytest.fixture
def pipeline_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefect_harness: None) -> Path:
    monkeypatch.setenv("INVENTUR_DATABASE_URL", f"sqlite:///{tmp_path / 'inventur.db'}")
    monkeypatch.setenv("INVENTUR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("INVENTUR_URL_CHECKS", "false")
    return tmp_path


def _artifact_keys() -> set[str]:
    from prefect.client.orchestration import get_client

    async def read() -> set[str]:
        async with get_client() as client:
            return {a.key for a in await client.read_artifacts() if a.key}

    return asyncio.run(read())


def _count(tmp: Path, model: Any, *where: Any) -> int:
    store = Store.open(f"sqlite:///{tmp / 'inventur.db'}")
    with store.session() as session:
        count = session.scalar(select(func.count()).select_from(model).where(*where)) or 0
    store.close()
    return count


def test_flows_distribute_collect_validate_nightly(pipeline_env: Path) -> None:
    from flows.pipeline import collect_responses, distribute_survey, nightly, validate_inventory
    from survey.simulation import fill_workbook, realistic_rows

    built = distribute_survey(campaign=CAMPAIGN, city="augsburg")
    share = pipeline_env / "data" / "share" / "augsburg"
    assert built["augsburg"] == len(list(share.iterdir())) >= 12
    assert _count(pipeline_env, Delivery) == built["augsburg"]
    assert {"campaign-progress-augsburg"} <= _artifact_keys()

    import random

    from catalog.organisation import load_organisation

    org = load_organisation()
    rng = random.Random(1)
    answered = org.departments_of("augsburg")[:3]
    for dept in answered:
        outbox = share / dept.code / "outbox" / f"augsburg_{dept.code}_{CAMPAIGN}.xlsx"
        data = fill_workbook(outbox.read_bytes(), realistic_rows(org.city("augsburg"), dept, 5, rng))
        (share / dept.code / "inbox" / outbox.name).write_bytes(data)

    result = collect_responses(campaign=CAMPAIGN)
    assert result["collected"]["read"] == 3 and result["collected"]["created"] == 15
    assert result["feedback"] == 3
    augsburg = next(r for r in result["response_rates"] if r["city"] == "augsburg")
    assert augsburg["returned"] == 3 and augsburg["sent"] == built["augsburg"]
    assert all((share / d.code / "outbox" / f"augsburg_{d.code}_{CAMPAIGN}_Rueckmeldung.xlsx").exists() for d in answered)
    assert _count(pipeline_env, Entry) == 15
    assert _count(pipeline_env, FindingRow, FindingRow.stage == "validate") > 0
    assert {"findings-summary", "campaign-report"} <= _artifact_keys()
    assert any(p.endswith("bericht-gesamt.html") for p in result["reports"])

    checked = validate_inventory(city="augsburg", quality=True, online=False)
    assert checked["validation"]["checked"] == 15
    assert checked["quality"]["augsburg"]["entries"] == 15
    assert _count(pipeline_env, Entry, Entry.quality_score.is_not(None)) == 15
    assert "quality-summary" in _artifact_keys()

    # a rerun finds nothing new and duplicates nothing
    again = nightly(online=False)
    assert again["collect"]["collected"]["duplicate"] == 3 and again["collect"]["collected"]["created"] == 0
    assert _count(pipeline_env, Entry) == 15 and _count(pipeline_env, ReceivedFile) == 3


def test_harvest_flow_runs_due_sources(pipeline_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml

    from flows.pipeline import harvest_sources

    data = Path(__file__).parent / "data" / "harvest"
    dept = __import__("catalog.organisation", fromlist=["x"]).load_organisation().departments_of("nuernberg")[0].code
    sources = pipeline_env / "sources.yaml"
    sources.write_text(yaml.safe_dump({"sources": [
        {"name": "katalog", "city": "nuernberg", "kind": "dcat", "url": str(data / "ttl" / "page-1.ttl"),
         "department": dept, "schedule": "0 3 * * *"},
        {"name": "kaputt", "city": "nuernberg", "kind": "dcat", "url": str(pipeline_env / "missing.ttl"),
         "department": dept},
    ]}))
    monkeypatch.setenv("INVENTUR_SOURCES_FILE", str(sources))
    first = harvest_sources()
    assert first["sources"]["katalog"]["created"] > 0 and "kaputt" in first["failed"]
    created = _count(pipeline_env, Entry)
    assert created == first["sources"]["katalog"]["created"]
    assert first["validation"]["checked"] == created
    again = harvest_sources()  # katalog's schedule has not fired since: only the unscheduled source is due
    assert "katalog" not in again["sources"] and "kaputt" in again["failed"]
    forced = harvest_sources(due_only=False, names=["katalog"])
    assert forced["sources"]["katalog"]["created"] == 0 and forced["sources"]["katalog"]["updated"] == 0
    assert _count(pipeline_env, Entry) == created
    assert "harvest-summary" in _artifact_keys() and "harvest-report" in _artifact_keys()


@pytest.mark.portal
def test_publish_flow_then_unchanged(pipeline_env: Path, monkeypatch: pytest.MonkeyPatch, portal: Any) -> None:
    from catalog.inventory import Source, save_entry
    from catalog.organisation import load_organisation
    from flows.pipeline import publish_catalog
    from tests.factories import sample

    monkeypatch.setenv("INVENTUR_CKAN_URL", portal.url)
    monkeypatch.setenv("INVENTUR_CKAN_TOKEN", portal.token)
    org = load_organisation()
    store = Store.open(f"sqlite:///{pipeline_env / 'inventur.db'}")
    dept = org.departments_of("nuernberg")[-1].code
    with store.session() as s:
        for i in range(3):
            entry = save_entry(s, sample(title=f"Flussdatensatz {i}", access_url=f"https://example.org/fluss/{i}.csv",
                                         spatial=org.city("nuernberg").geocoding_uri),
                               city="nuernberg", department=dept, organisation=org, source=Source("survey")).entry
            entry.status = "approved"
    store.close()
    first = publish_catalog(city="nuernberg")
    assert first["totals"]["created"] == 3 and first["totals"]["failed"] == 0
    assert first["portals"][0]["verification"]["datasets"] == 3  # the flow reads the portal's DCAT afterwards
    again = publish_catalog(city="nuernberg")
    assert again["totals"]["unchanged"] == 3 and again["writes"] == 0
    assert "publish-summary-nuernberg" in _artifact_keys()
    assert _count(pipeline_env, Entry, Entry.status == "published") == 3
