"""The campaign generator that benchmarks and the demo rely on: deterministic, shares honoured, and its
returns collected as a real campaign would be (bad files rejected, re-sent files recognised)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from flows.services import Services
from flows.settings import Settings
from flows.steps.inventory import collect
from survey.simulation import simulate_campaign


def _secret(city: str) -> bytes:
    return f"geheim-{city}".encode()


def test_same_seed_same_files_other_seed_other_files(services_org: Services) -> None:
    org = services_org.organisation
    one = simulate_campaign(org, _secret, departments_per_city=2, entries=4, seed=3)
    two = simulate_campaign(org, _secret, departments_per_city=2, entries=4, seed=3)
    other = simulate_campaign(org, _secret, departments_per_city=2, entries=4, seed=4)
    assert [(r.name, r.data) for r in one] == [(r.name, r.data) for r in two]
    assert [r.data for r in one if r.kind == "good"] != [r.data for r in other if r.kind == "good"]


def test_shares_and_limits(services_org: Services) -> None:
    org = services_org.organisation
    everything = simulate_campaign(org, _secret, departments_per_city=3, entries=2, seed=1, bad_files=1.0, resubmissions=1.0)
    assert Counter(r.kind for r in everything) == {"good": 9, "bad": 9, "resent": 9}
    nothing = simulate_campaign(org, _secret, departments_per_city=3, entries=2, seed=1, bad_files=0.0, resubmissions=0.0)
    assert Counter(r.kind for r in nothing) == {"good": 9}
    with pytest.raises(ValueError, match="departments"):
        simulate_campaign(org, _secret, departments_per_city=99, entries=1, seed=1)
    with pytest.raises(ValueError, match="share"):
        simulate_campaign(org, _secret, departments_per_city=1, entries=1, seed=1, messy=2.0)


def test_collected_like_a_real_campaign(services_org: Services, tmp_path: Path) -> None:
    returns = simulate_campaign(services_org.organisation, _secret, departments_per_city=2, entries=5, seed=7,
                                bad_files=0.5, resubmissions=0.5)
    kinds = Counter(r.kind for r in returns)
    assert kinds["bad"] and kinds["resent"]  # the seed gives both
    folder = tmp_path / "returns"
    folder.mkdir()
    for index, item in enumerate(returns):  # in the order they arrive; names are unique per department
        (folder / f"{index:03d}_{item.name}").write_bytes(item.data)
    summary = collect(services_org, [folder], feedback=False)
    assert summary.totals["read"] == kinds["good"]
    assert summary.totals["rejected"] == kinds["bad"]
    assert summary.totals["duplicate"] == kinds["resent"]
    assert summary.totals["created"] == kinds["good"] * 5


@pytest.fixture
def services_org(tmp_path: Path) -> Services:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'inventur.db'}", data_dir=tmp_path / "data",  # type: ignore[call-arg]
                        secret_augsburg="geheim-augsburg", secret_muenchen="geheim-muenchen",
                        secret_nuernberg="geheim-nuernberg")
    return Services(settings)


def test_each_department_holds_what_it_does() -> None:
    """A fire brigade lists its operations and hydrants, not council decisions or the register of residents;
    and so the departments of one city do not all list the same datasets."""
    import random

    from catalog.organisation import load_organisation
    from catalog.validation.similarity import Entry, cross_entry_findings
    from survey.simulation import realistic_rows

    org = load_organisation()
    rng = random.Random(7)
    rows = {(d.city, d.code): realistic_rows(org.city(d.city), d, 8, rng, messy=0, broken=0) for d in org.departments}
    fire = {r["title"] for r in rows[("nuernberg", "FW")]}
    assert "Einsatzstatistik der Feuerwehr" in fire and "Hydrantenplan" in fire
    assert not fire & {"Stadtratsbeschlüsse", "Melderegister", "Gewerbeanmeldungen", "Personalstatistik"}
    assert "Bibliotheksbestand" in {r["title"] for r in rows[("augsburg", "STB")]}  # the city library
    assert "Bebauungspläne" in {r["title"] for r in rows[("muenchen", "PLAN")]}  # planning, not public order
    assert "Stadtratsbeschlüsse" in {r["title"] for r in rows[("muenchen", "DIR")]}

    entries: list[Entry] = []
    for (city, code), listed in rows.items():
        for row in listed:
            entries.append(Entry(len(entries), city, code, None, row["title"], row["source_system"], len(entries)))
    found = Counter(f.code for _index, f in cross_entry_findings(entries))
    # before: every department also listed the same general holdings (322 warnings in the demo's campaign)
    assert found["duplicate-across-departments"] <= len(entries) // 50, found
    assert found["duplicate-title"] == 0, found
    assert found["similar-in-other-city"] > 0  # the same kind of department in another city: as in real cities
