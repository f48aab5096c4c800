"""Benchmark: a nightly run with nothing changed, against the first nightly run of the same campaign.

    .venv/bin/python bench/bench_nightly.py [--workbooks 100] [--rows 20] [--json FILE]

The nightly steps run in this process, as the `nightly` flow sequences them: collect the inboxes
(with validation and feedback), validate, publish to CKAN. The portal is INVENTUR_CKAN_URL/TOKEN when
set, else the local portal is brought up in a temporary folder. Between the runs a reviewer approves
the publishable entries, so the first run's publish creates them. Target: the unchanged run under 5 %
of the first.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def nightly(services: Any) -> dict[str, float]:
    from flows.steps.inventory import collect, validate_step
    from flows.steps.publish import publish

    times = {}
    t0 = time.perf_counter()
    collect(services, from_share=True)
    times["collect"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    validate_step(services, force=False, docs=False)
    times["validate"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    summary = publish(services)
    times["publish"] = time.perf_counter() - t0
    times["writes"] = summary.writes
    times["total"] = times["collect"] + times["validate"] + times["publish"]
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workbooks", type=int, default=100)
    parser.add_argument("--rows", type=int, default=20)
    parser.add_argument("--json", type=Path, default=Path(__file__).with_name("results") / "nightly.json")
    args = parser.parse_args()

    from pydantic import SecretStr
    from sqlalchemy import select

    from catalog.models import Entry
    from catalog.publish.mapping import ckan_licences, theme_groups
    from catalog.review.decisions import ReviewError, approve
    from flows.services import Services
    from flows.settings import load_settings
    from flows.steps.inventory import build_surveys
    from survey.simulation import fill_workbook, realistic_rows

    base = Path(tempfile.mkdtemp(prefix="inventur-bench-nightly-"))
    base.chmod(0o711)
    settings = load_settings().model_copy(update={
        "database_url": f"sqlite:///{base / 'inventur.db'}", "data_dir": base / "data", "share": str(base / "share")})
    portal_dir = None
    if not (settings.ckan_url and settings.ckan_token):
        from portal.local import up

        portal_dir = base / "portal"
        info = up(portal_dir, licenses=ckan_licences(), groups=theme_groups(), port=5061)
        settings = settings.model_copy(update={"ckan_url": info.url, "ckan_token": SecretStr(info.token)})
    services = Services(settings)
    organisation = services.organisation
    rng = random.Random(5)
    departments = list(organisation.departments)[: args.workbooks]
    for dept in departments:
        build_surveys(services, city=dept.city, department=dept.code, campaign="bench", distribute=True,
                      issued=dt.date(2026, 11, 1))
        share = Path(settings.share_location) / dept.city / dept.code
        name = f"{dept.city}_{dept.code}_bench.xlsx"
        rows = realistic_rows(organisation.city(dept.city), dept, args.rows, rng, broken=0.0)
        (share / "inbox" / name).write_bytes(fill_workbook((share / "outbox" / name).read_bytes(), rows))

    # the first night: everything new; the reviewers approve in the morning; the second night publishes
    first_collect = nightly(services)
    with services.store.session() as session:
        ready = session.scalars(select(Entry.identifier).where(Entry.status == "ready")).all()
    approved = 0
    for identifier in ready:
        with services.store.session() as session:
            try:
                approve(session, identifier, "Benchmark-Prüfer")
                approved += 1
            except ReviewError:
                pass
    first = nightly(services)
    second = nightly(services)
    services.close()
    if portal_dir is not None:
        from portal.local import down

        down(portal_dir)

    entries = len(ready)
    ratio = second["total"] / first["total"]
    print(f"{len(departments)} workbooks x {args.rows} rows: {entries} entries, {approved} approved "
          f"(machine: {os.cpu_count()} cores, Python {platform.python_version()})")
    print(f"night 1 (everything new, nothing approved yet): {first_collect['total']:6.1f} s")
    print(f"night 2 (baseline: publishes the approved):      {first['total']:6.1f} s "
          f"(collect {first['collect']:.1f}, validate {first['validate']:.1f}, publish {first['publish']:.1f}; "
          f"{first['writes']:.0f} writes)")
    print(f"night 3 (nothing changed):                      {second['total']:6.2f} s "
          f"= {ratio:.1%} of night 2; {second['writes']:.0f} writes")
    result = {"entries": entries, "approved": approved, "night_new": first_collect, "night_publish": first,
              "night_unchanged": second, "ratio_unchanged_to_publish_night": round(ratio, 4),
              "target": "< 0.05", "machine": {"cpus": os.cpu_count(), "python": platform.python_version()}}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2, default=float))
    print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
