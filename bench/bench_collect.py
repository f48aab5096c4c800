"""Benchmark: collecting a survey campaign (safety checks, reading, normalising, storing, validating)
against python-calamine alone reading the same files, in the same run.

    .venv/bin/python bench/bench_collect.py [--departments 20] [--entries 200] [--bad-files 0.05]
                                            [--resubmissions 0.1] [--seed 7] [--json FILE]

Prints entries per second of each step and the ratios to the bare read; writes the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from catalog.organisation import load_organisation
from flows.services import Services
from flows.settings import Settings
from survey.simulation import simulate_campaign


def generate(folder: Path, settings: Settings, departments: int, entries: int, seed: int, bad_files: float,
             resubmissions: float) -> list[Path]:
    """A simulated campaign: ``departments`` per city answer with ``entries`` rows each; some send a bad
    file first, some send their workbook twice."""
    returns = simulate_campaign(load_organisation(), settings.signing_secret, departments_per_city=departments,
                                entries=entries, seed=seed, campaign="bench", bad_files=bad_files,
                                resubmissions=resubmissions)
    paths = []
    for index, item in enumerate(returns):
        path = folder / f"{index:04d}_{item.name}"
        path.write_bytes(item.data)
        paths.append(path)
    return paths


def bare_read(paths: list[Path]) -> tuple[float, int]:
    """The baseline: python-calamine reading every entry sheet, nothing else."""
    from python_calamine import CalamineWorkbook

    started = time.perf_counter()
    rows = 0
    for path in paths:
        try:
            sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Datenbestände").to_python()
        except Exception:  # a bad file: calamine gives up on it, so does the baseline
            continue
        rows += sum(1 for r in sheet[1:] if any(v not in ("", None) for v in r))
    return time.perf_counter() - started, rows


def write_floor(paths: list[Path], folder: Path) -> float:
    """A lower bound for storing: the rows of the readable files written with the sqlite3 module alone,
    one row per entry and one per version (values as JSON, a checksum), a transaction per file, no
    normalising, no findings, no SQLAlchemy. Seconds spent writing (the reading is not counted)."""
    import hashlib
    import sqlite3

    from python_calamine import CalamineWorkbook

    files: list[list[dict[str, object]]] = []
    for path in paths:
        try:
            sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Datenbestände").to_python()
        except Exception:  # a bad file
            continue
        head = [str(h) for h in sheet[0]]
        files.append([{h: (v.isoformat() if hasattr(v, "isoformat") else v) for h, v in zip(head, row, strict=False)}
                      for row in sheet[1:] if any(v not in ("", None) for v in row)])
    db = sqlite3.connect(str(folder / "floor.db"))
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    columns = [f"c{i}" for i in range(25)]
    db.execute(f"CREATE TABLE entries (id INTEGER PRIMARY KEY, {', '.join(columns)})")
    db.execute("CREATE TABLE versions (id INTEGER PRIMARY KEY, entry_id INTEGER, data TEXT, raw TEXT, hash TEXT)")
    started = time.perf_counter()
    for rows in files:
        with db:
            db.executemany(f"INSERT INTO entries ({', '.join(columns)}) VALUES ({', '.join('?' * 25)})",
                           [tuple(str(v) for v in list(row.values())[:25]) for row in rows])
            db.executemany("INSERT INTO versions (entry_id, data, raw, hash) VALUES (?, ?, ?, ?)", [
                (i, json.dumps(row, ensure_ascii=False), json.dumps(row, ensure_ascii=False),
                 hashlib.sha256(json.dumps(row, sort_keys=True).encode()).hexdigest())
                for i, row in enumerate(rows)])
    db.close()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--departments", type=int, default=20, help="departments per city (at most 20)")
    parser.add_argument("--entries", type=int, default=200, help="entries per department")
    parser.add_argument("--bad-files", type=float, default=0.05, help="share of departments sending a bad file first")
    parser.add_argument("--resubmissions", type=float, default=0.1, help="share of departments sending their file twice")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, default=Path(__file__).with_name("results") / "collect.json")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="inventur-bench-") as tmp:
        base = Path(tmp)
        settings = Settings(database_url=f"sqlite:///{base / 'inventur.db'}", data_dir=base / "data")
        files = base / "returns"
        files.mkdir()
        t0 = time.perf_counter()
        paths = generate(files, settings, args.departments, args.entries, args.seed, args.bad_files, args.resubmissions)
        generated = time.perf_counter() - t0
        print(f"generated {len(paths)} files ({3 * args.departments} departments x {args.entries} entries, bad files "
              f"and files sent twice) in {generated:.1f} s (not part of the figures)")

        read_s, rows = bare_read(paths)
        floor_s = write_floor(paths, base)
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
        from flows.steps.inventory import validate_step

        t0 = time.perf_counter()
        validation = validate_step(services, docs=False)
        validate_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = services.collector.collect([files])
        recollect_s = time.perf_counter() - t0
        services.close()

    totals = report.totals()
    entries = totals["rows"]  # the pipeline reads each distinct workbook once (a file sent twice is known by its checksum)
    assert totals["created"] == entries == 3 * args.departments * args.entries, totals
    stages = report.stage_seconds()
    stages["other"] = max(collect_s - sum(stages.values()), 0.0)
    bare_rate = rows / read_s  # rows per second of calamine over every file, including the ones sent twice

    def rate(seconds: float) -> float:
        return entries / seconds

    def slower(seconds: float) -> float:
        """How many times the bare read's time per entry this takes per entry."""
        return bare_rate / rate(seconds)

    pipeline_s = collect_s + validate_s
    result = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "files": len(paths), "departments": 3 * args.departments, "entries_per_department": args.entries,
        "rejected": totals["rejected"], "duplicates": totals["duplicate"], "entries": entries, "bare_read_rows": rows,
        "bare_read_s": round(read_s, 3),
        "collect_s": round(collect_s, 3), "validate_s": round(validate_s, 3),
        "pipeline_s": round(pipeline_s, 3), "recollect_unchanged_s": round(recollect_s, 3),
        "collect_stages_s": {k: round(v, 3) for k, v in stages.items()},
        "import_great_expectations_s": round(import_s, 2),
        "floor_sqlite3_writes_s": round(floor_s, 3), "ratio_floor_to_bare_read": round(slower(floor_s), 1),
        "entries_per_s": {"bare_read": round(bare_rate), "collect": round(rate(collect_s)), "pipeline": round(rate(pipeline_s))},
        "ratio_pipeline_to_bare_read": round(slower(pipeline_s), 1),
        "ratio_collect_to_bare_read": round(slower(collect_s), 1),
        "ratio_validate_to_bare_read": round(slower(validate_s), 1),
        "ratio_recollect_to_collect": round(recollect_s / collect_s, 3),
        "findings": validation["findings"], "created": totals["created"], "duplicates_on_recollect": again.totals()["duplicate"],
    }
    print(f"python-calamine alone     {read_s:7.2f} s  {bare_rate:9.0f} entries/s   (baseline, {rows} rows in {len(paths)} files)")
    print(f"collect (check+read+store){collect_s:7.2f} s  {rate(collect_s):9.0f} entries/s   {slower(collect_s):6.1f}x the baseline per entry "
          f"({totals['rejected']} bad files rejected, {totals['duplicate']} sent twice)")
    for stage, seconds in stages.items():
        print(f"  {stage:<24}{seconds:7.2f} s                       {slower(seconds):6.1f}x")
    print(f"validate (GE + cross)     {validate_s:7.2f} s  {rate(validate_s):9.0f} entries/s   "
          f"{slower(validate_s):6.1f}x  (importing GE once per process: {import_s:.1f} s more)")
    print(f"pipeline (collect+valid.) {pipeline_s:7.2f} s  {rate(pipeline_s):9.0f} entries/s   "
          f"{slower(pipeline_s):6.1f}x the baseline per entry (target 3x)")
    print(f"re-collect, nothing new   {recollect_s:7.2f} s  {recollect_s / collect_s:6.1%} of the first collect")
    print(f"floor: the same entries and their first versions written with sqlite3 alone (no normalising, no findings, "
          f"no SQLAlchemy): {floor_s:.2f} s = {slower(floor_s):.1f}x the bare read per entry")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2))
    print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
