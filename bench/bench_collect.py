"""Benchmark: collecting a survey campaign (safety checks, reading, normalising, storing, validating)
against python-calamine alone reading the same files, in the same run.

    .venv/bin/python bench/bench_collect.py [--workbooks 300] [--rows 40] [--seed 7] [--json FILE]

Prints entries per second of each step and the ratios to the bare read; writes the figures as JSON.
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from catalog.organisation import load_organisation
from flows.services import Services
from flows.settings import Settings
from survey.simulation import fill_workbook, realistic_rows
from survey.template import build_workbook, workbook_name


def generate(folder: Path, settings: Settings, workbooks: int, rows: int, seed: int) -> list[Path]:
    """``workbooks`` filled survey returns spread over the departments of the three cities."""
    rng = random.Random(seed)
    organisation = load_organisation()
    departments = list(organisation.departments)
    paths = []
    for index in range(workbooks):
        dept = departments[index % len(departments)]
        city = organisation.city(dept.city)
        round_ = index // len(departments)  # more workbooks than departments: later campaigns, further holdings
        campaign = f"bench-{round_ + 1}"
        template = build_workbook(city=city, department=dept, campaign=campaign,
                                  secret=settings.signing_secret(city.key), issued=dt.date(2026, 11, 1))
        data = fill_workbook(template, realistic_rows(city, dept, rows, rng, start=round_ * rows))
        path = folder / workbook_name(city.key, dept.code, campaign)
        path.write_bytes(data)
        paths.append(path)
    return paths


def bare_read(paths: list[Path]) -> tuple[float, int]:
    """The baseline: python-calamine reading every entry sheet, nothing else."""
    from python_calamine import CalamineWorkbook

    started = time.perf_counter()
    rows = 0
    for path in paths:
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Datenbestände").to_python()
        rows += sum(1 for r in sheet[1:] if any(v not in ("", None) for v in r))
    return time.perf_counter() - started, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workbooks", type=int, default=300)
    parser.add_argument("--rows", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, default=Path(__file__).with_name("results") / "collect.json")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="inventur-bench-") as tmp:
        base = Path(tmp)
        settings = Settings(database_url=f"sqlite:///{base / 'inventur.db'}", data_dir=base / "data")  # type: ignore[call-arg]
        files = base / "returns"
        files.mkdir()
        t0 = time.perf_counter()
        paths = generate(files, settings, args.workbooks, args.rows, args.seed)
        generated = time.perf_counter() - t0
        print(f"generated {len(paths)} workbooks x {args.rows} rows in {generated:.1f} s (not part of the figures)")

        read_s, rows = bare_read(paths)
        services = Services(settings)
        services.store  # open and migrate outside the timing  # noqa: B018
        # Great Expectations and pandas are imported once per process (a Prefect worker keeps them);
        # the figures are for the work per entry, the import is reported on its own.
        t0 = time.perf_counter()
        import great_expectations  # noqa: F401
        import pandas  # noqa: F401

        import_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        report = services.collector.collect([files])
        collect_s = time.perf_counter() - t0
        from flows.steps import validate_step

        t0 = time.perf_counter()
        validation = validate_step(services, docs=False)
        validate_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = services.collector.collect([files])
        recollect_s = time.perf_counter() - t0
        services.close()

    totals = report.totals()
    assert totals["rows"] == rows, (totals, rows)
    stages = report.stage_seconds()
    stages["other"] = max(collect_s - sum(stages.values()), 0.0)
    result = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "workbooks": len(paths), "rows": rows,
        "bare_read_s": round(read_s, 3),
        "collect_s": round(collect_s, 3), "validate_s": round(validate_s, 3),
        "pipeline_s": round(collect_s + validate_s, 3), "recollect_unchanged_s": round(recollect_s, 3),
        "collect_stages_s": {k: round(v, 3) for k, v in stages.items()},
        "import_great_expectations_s": round(import_s, 2),
        "entries_per_s": {"bare_read": round(rows / read_s), "collect": round(rows / collect_s),
                          "pipeline": round(rows / (collect_s + validate_s))},
        "ratio_pipeline_to_bare_read": round((collect_s + validate_s) / read_s, 1),
        "ratio_collect_to_bare_read": round(collect_s / read_s, 1),
        "ratio_recollect_to_collect": round(recollect_s / collect_s, 3),
        "findings": validation["findings"], "created": totals["created"], "duplicates_on_recollect": again.totals()["duplicate"],
    }
    print(f"python-calamine alone     {read_s:7.2f} s  {rows / read_s:9.0f} entries/s   (baseline)")
    print(f"collect (check+read+store){collect_s:7.2f} s  {rows / collect_s:9.0f} entries/s   {collect_s / read_s:6.1f}x the baseline")
    for stage, seconds in stages.items():
        print(f"  {stage:<24}{seconds:7.2f} s                       {seconds / read_s:6.1f}x")
    print(f"validate (GE + cross)     {validate_s:7.2f} s  {rows / validate_s:9.0f} entries/s   "
          f"{validate_s / read_s:6.1f}x  (importing GE once per process: {import_s:.1f} s more)")
    print(f"pipeline (collect+valid.) {collect_s + validate_s:7.2f} s  {rows / (collect_s + validate_s):9.0f} entries/s   "
          f"{(collect_s + validate_s) / read_s:6.1f}x the baseline")
    print(f"re-collect, nothing new   {recollect_s:7.2f} s  {recollect_s / collect_s:6.1%} of the first collect")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2))
    print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
