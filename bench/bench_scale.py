"""Benchmark: every CLI step as its own process at two campaign sizes, for time per entry and peak memory.

    .venv/bin/python bench/bench_scale.py [--sizes 12000,100000] [--backends sqlite,postgresql]
                                          [--departments 20] [--chunk-size N] [--work DIR] [--json FILE]

A simulated campaign (``survey.simulation.simulate_campaign``: ``--departments`` per city, as many entries
each as the size asks, 5 % bad files, 10 % sent twice) is collected into a fresh store, then each step
runs as a separate ``inventur`` process, as an operator runs them: collect (with its validation and the
feedback workbooks), validate (with Data Docs), quality --offline, export (JSON Lines), review list
(JSON Lines), report, publish --dry-run. Before the last two, the entries ready for review are marked
approved in the store (as if a reviewer had approved them), so that the report and the publish plan have
publishable entries. Each step's peak memory is the largest resident set of its process (and of the
processes it waited for: collect's workbook reader), from ``wait4``.

Printed per backend and step: seconds, milliseconds per entry, the ratio of the time per entry of the
larger size to the smaller one (target at most 1.2), and peak memory (target under 600 MB). Both sizes
run in the same run, so the ratio compares like with like on a shared machine.

``publish --dry-run`` needs a CKAN portal to read: INVENTUR_CKAN_URL and INVENTUR_CKAN_TOKEN when set;
``--local-portal DIR`` brings the local development portal up in DIR (minutes on first use); without
either the step is left out and said so.

Generated campaigns are kept in ``--work`` (default ``bench/.scale``), keyed by their parameters, so a
second run does not generate them again; the stores are made fresh every run. PostgreSQL runs on a
private throw-away server (``tests/pgserver.py``) unless ``--postgres-url`` names an empty database.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SECRETS = {"muenchen": "bench-muenchen", "augsburg": "bench-augsburg", "nuernberg": "bench-nuernberg"}
STEPS = ("collect", "validate", "quality", "export", "review list", "report", "publish --dry-run")
LIMIT_MB = 600
RATIO = 1.2


def campaign(work: Path, size: int, departments: int, seed: int) -> tuple[Path, int]:
    """The folder of the simulated returns for ``size`` entries (generated once), and the entries it holds."""
    per_department = max(1, round(size / (3 * departments)))
    folder = work / f"campaign-d{departments}-e{per_department}-s{seed}"
    entries = 3 * departments * per_department
    if (folder / "done").exists():
        return folder, entries
    from catalog.organisation import load_organisation
    from survey.simulation import simulate_campaign

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    started = time.perf_counter()
    returns = simulate_campaign(load_organisation(), lambda city: SECRETS[city].encode(), departments_per_city=departments,
                                entries=per_department, seed=seed, campaign="scale")
    for index, item in enumerate(returns):
        (folder / f"{index:04d}_{item.name}").write_bytes(item.data)
    (folder / "done").write_text(str(len(returns)))
    print(f"  generated {len(returns)} files, {entries} entries, in {time.perf_counter() - started:.0f} s "
          f"(kept in {folder})", flush=True)
    return folder, entries


def run_step(name: str, args: list[str], env: dict[str, str], log: Path) -> dict[str, Any]:
    """Run ``inventur args`` as its own process: wall seconds, peak resident memory (MB) and exit code."""
    inventur = ROOT / ".venv" / "bin" / "inventur"
    started = time.perf_counter()
    with log.open("ab") as out:
        out.write(f"\n$ inventur {' '.join(args)}\n".encode())
        out.flush()
        proc = subprocess.Popen([str(inventur), *args], env=env, stdout=out, stderr=out)
        _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"seconds": round(seconds, 2), "peak_mb": round(usage.ru_maxrss / 1024, 1), "exit": proc.returncode}


def approve_ready(url: str) -> int:
    """Mark the entries ready for review approved (as a reviewer would), so that the report and the publish
    plan have publishable entries; how many."""
    from sqlalchemy import update

    from catalog.models import Entry
    from catalog.store import Store

    store = Store.open(url)
    try:
        with store.session() as session:
            done = session.execute(update(Entry).where(Entry.status == "ready").values(status="approved"))
            return int(done.rowcount or 0)  # type: ignore[attr-defined]
    finally:
        store.close()


def measure(backend: str, url: str, folder: Path, entries: int, base: Path, chunk_size: int | None,
            portal: tuple[str, str] | None) -> dict[str, Any]:
    """Every step on a fresh store at ``url``: its figures by step."""
    data = base / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("INVENTUR_")}
    env.update({"INVENTUR_DATABASE_URL": url, "INVENTUR_DATA_DIR": str(data), "INVENTUR_URL_CHECKS": "false",
                "INVENTUR_LOCK_WAIT": "5", "DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                **{f"INVENTUR_SECRET_{city.upper()}": secret for city, secret in SECRETS.items()}})
    if chunk_size:
        env["INVENTUR_CHUNK_SIZE"] = str(chunk_size)
    if portal is not None:
        env["INVENTUR_CKAN_URL"], env["INVENTUR_CKAN_TOKEN"] = portal
    log = base / "steps.log"
    out = base / "out"
    out.mkdir(parents=True, exist_ok=True)
    commands: dict[str, list[str]] = {
        "collect": ["collect", str(folder), "--format", "json"],
        "validate": ["validate", "--format", "json"],
        "quality": ["quality", "--offline", "--format", "json"],
        "export": ["export", "--format", "jsonl", "--out", str(out / "inventory.jsonl")],
        "review list": ["review", "list", "--format", "jsonl"],
        "report": ["report", "--out", str(out / "report"), "--format", "json"],
        "publish --dry-run": ["publish", "--dry-run", "--format", "json"],
    }
    figures: dict[str, Any] = {}
    for step in STEPS:
        if step == "report":
            figures["approved"] = approve_ready(url)
        if step == "publish --dry-run" and portal is None:
            figures[step] = None
            continue
        figures[step] = run_step(step, commands[step], env, log)
        figure = figures[step]
        print(f"    {backend:<10} {entries:>7} {step:<18} {figure['seconds']:8.1f} s {figure['peak_mb']:7.0f} MB"
              + ("" if figure["exit"] == 0 else f"  exit {figure['exit']} (see {log})"), flush=True)
    return figures


@contextmanager
def postgres(given: str | None, base: Path) -> Iterator[str | None]:
    """A URL of an empty PostgreSQL database: the given one, or a private server's (None without PostgreSQL)."""
    if given:
        yield given
        return
    from tests.pgserver import postgres_bin, postgres_server

    if postgres_bin() is None:
        print("PostgreSQL is not installed: only SQLite is measured")
        yield None
        return
    base.mkdir(parents=True, exist_ok=True)
    base.chmod(0o711)
    with postgres_server(base / "pg") as url:
        yield url


def reset_postgres(url: str) -> None:
    from sqlalchemy import text

    from catalog.store import Store

    store = Store.open(url, migrate_schema=False)
    try:
        with store.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        store.close()


@contextmanager
def local_portal(folder: Path | None, port: int) -> Iterator[tuple[str, str] | None]:
    """The CKAN portal for publish --dry-run: INVENTUR_CKAN_URL/TOKEN, or the local portal in ``folder``."""
    url, token = os.environ.get("INVENTUR_CKAN_URL"), os.environ.get("INVENTUR_CKAN_TOKEN")
    if url and token:
        yield url, token
        return
    if folder is None:
        yield None
        return
    from catalog.publish.mapping import ckan_licences, theme_groups
    from portal.local import down, up

    info = up(folder, licenses=ckan_licences(), groups=theme_groups(), port=port)
    try:
        yield info.url, info.token
    finally:
        down(folder)


def report(results: dict[str, dict[int, dict[str, Any]]], sizes: list[int], entries: dict[int, int]) -> list[str]:
    """The table of figures: per backend and step, each size's time, time per entry and peak, and the ratio."""
    small, large = sizes[0], sizes[-1]
    lines = [f"{'backend':<10} {'step':<18} " + " ".join(
        f"{f'{entries[s]:,} entries':>28}" for s in sizes) + f" {'ratio/entry':>11}  {'peak ok':>7}"]
    lines.append(f"{'':<10} {'':<18} " + " ".join(f"{'s':>8} {'ms/entry':>9} {'peak MB':>9}" for _ in sizes))
    for backend, by_size in results.items():
        for step in STEPS:
            cells, rates, peaks = [], {}, []
            for size in sizes:
                figure = by_size.get(size, {}).get(step)
                if not figure:
                    cells.append(f"{'-':>8} {'-':>9} {'-':>9}")
                    continue
                rates[size] = figure["seconds"] / entries[size]
                peaks.append(figure["peak_mb"])
                cells.append(f"{figure['seconds']:8.1f} {1000 * rates[size]:9.3f} {figure['peak_mb']:9.0f}")
            ratio = f"{rates[large] / rates[small]:11.2f}" if small in rates and large in rates and small != large else f"{'-':>11}"
            ok = ("yes" if max(peaks) < LIMIT_MB else "NO") if peaks else "-"
            lines.append(f"{backend:<10} {step:<18} " + " ".join(cells) + f" {ratio}  {ok:>7}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="12000,100000", help="entries of the campaigns, smallest first")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--departments", type=int, default=20, help="departments per city (at most 20)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--chunk-size", type=int, help="INVENTUR_CHUNK_SIZE of the steps (default: the setting's)")
    parser.add_argument("--work", type=Path, default=Path(__file__).with_name(".scale"),
                        help="where generated campaigns are kept between runs")
    parser.add_argument("--postgres-url", help="an empty PostgreSQL database (default: a private server)")
    parser.add_argument("--local-portal", type=Path, help="bring the local CKAN portal up in this folder for "
                        "publish --dry-run (default: INVENTUR_CKAN_URL/TOKEN, else the step is left out)")
    parser.add_argument("--portal-port", type=int, default=5071, help="CKAN's port of --local-portal")
    parser.add_argument("--json", type=Path, default=Path(__file__).with_name("results") / "scale.json")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]

    print(f"campaigns of {', '.join(f'{s:,}' for s in sizes)} entries ({args.departments} departments per city); "
          f"machine: {os.cpu_count()} cores, Python {platform.python_version()}", flush=True)
    folders, entries = {}, {}
    for size in sizes:
        folders[size], entries[size] = campaign(args.work, size, args.departments, args.seed)
    results: dict[str, dict[int, dict[str, Any]]] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="inventur-bench-scale-") as tmp, local_portal(args.local_portal, args.portal_port) as portal:
        base = Path(tmp)
        base.chmod(0o711)
        if portal is None:
            print("no CKAN portal (INVENTUR_CKAN_URL/TOKEN or --local-portal): publish --dry-run is left out")
        for backend in backends:
            results[backend] = {}
            if backend == "sqlite":
                for size in sizes:
                    where = base / f"sqlite-{size}"
                    where.mkdir()
                    results[backend][size] = measure(backend, f"sqlite:///{where / 'inventur.db'}", folders[size],
                                                     entries[size], where, args.chunk_size, portal)
            elif backend == "postgresql":
                with postgres(args.postgres_url, base / "postgres") as url:
                    if url is None:
                        continue
                    for size in sizes:
                        reset_postgres(url)
                        where = base / f"postgresql-{size}"
                        where.mkdir()
                        results[backend][size] = measure(backend, url, folders[size], entries[size], where,
                                                         args.chunk_size, portal)
            else:
                raise SystemExit(f"unknown backend {backend!r}: sqlite or postgresql")
    lines = report(results, sizes, entries)
    print()
    print("\n".join(lines))
    print(f"(target: peak under {LIMIT_MB} MB, time per entry at {sizes[-1]:,} at most {RATIO}x that at {sizes[0]:,}; "
          f"{time.perf_counter() - started:.0f} s in all)")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({
        "sizes": sizes, "entries": entries, "departments_per_city": args.departments, "chunk_size": args.chunk_size,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "results": results, "table": lines,
    }, indent=2))
    print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
