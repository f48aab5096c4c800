"""Benchmark: store size and peak memory with 100,000 entries, on SQLite and on PostgreSQL.

    .venv/bin/python bench/bench_store.py [--entries 100000] [--json FILE] [--postgres-url URL]

Each backend runs in its own child process (so that peak memory is its own). Baselines in the same
run: the size of the same records as JSON Lines, and the peak memory of a process that only imports
the library and holds the records. Without --postgres-url a private PostgreSQL server is started.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def records(count: int, seed: int = 11) -> list[tuple[str, str, dict]]:
    """(city, department, normalised values) of ``count`` realistic entries."""
    from catalog.normalise import normalise_record, spatial_uri
    from catalog.organisation import load_organisation
    from survey.simulation import realistic_rows

    org = load_organisation()
    rng = random.Random(seed)
    departments = list(org.departments)
    out = []
    per = 50
    for start in range(0, count, per):
        dept = departments[(start // per) % len(departments)]
        city = org.city(dept.city)
        for raw in realistic_rows(city, dept, min(per, count - start), rng, broken=0.0):
            values = normalise_record(raw).values
            values["spatial_scope"] = values.get("spatial")
            values["spatial"] = spatial_uri(values["spatial_scope"], city.geocoding_uri)
            out.append((city.key, dept.code, values))
    return out


def child(backend: str, url: str, count: int) -> dict:
    """Store ``count`` entries (one version each) in ``url``; report size, time and peak memory."""
    from sqlalchemy import text

    from catalog.inventory import Source, allocate_identifiers, save_entry
    from catalog.organisation import load_organisation
    from catalog.store import Store

    data = records(count)
    org = load_organisation()
    store = Store.open(url)
    started = time.perf_counter()
    batch = 2000
    for start in range(0, len(data), batch):
        chunk = data[start:start + batch]
        with store.session() as session:
            groups: dict[tuple[str, str], list[dict]] = {}
            for city, dept, values in chunk:
                groups.setdefault((city, dept), []).append(values)
            for (city, dept), items in groups.items():
                ids = allocate_identifiers(session, org, city, dept, len(items))
                for identifier, values in zip(ids, items, strict=True):
                    save_entry(session, values, identifier=identifier, existing=None, city=city, department=dept,
                               organisation=org, source=Source("bench"))
    seconds = time.perf_counter() - started
    with store.engine.connect() as conn:
        if backend == "sqlite":
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            size = Path(url.split("///", 1)[1]).stat().st_size
        else:
            size = int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar() or 0)
    store.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"entries": count, "seconds": round(seconds, 2), "entries_per_s": round(count / seconds),
            "store_bytes": size, "peak_rss_bytes": peak}


def baseline(count: int, folder: Path) -> dict:
    data = records(count)
    path = folder / "entries.jsonl"
    with path.open("w") as handle:
        for city, dept, values in data:
            handle.write(json.dumps({"city": city, "department": dept, **values}, ensure_ascii=False) + "\n")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"jsonl_bytes": path.stat().st_size, "peak_rss_bytes": peak}


def run_child(mode: str, url: str, count: int, folder: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", mode, "--url", url, "--entries", str(count),
                          "--folder", str(folder)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--json", type=Path, default=Path(__file__).with_name("results") / "store.json")
    parser.add_argument("--postgres-url")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "baseline":
        print(json.dumps(baseline(args.entries, args.folder)))
        return
    if args.child:
        print(json.dumps(child(args.child, args.url, args.entries)))
        return

    with tempfile.TemporaryDirectory(prefix="inventur-bench-store-") as tmp:
        folder = Path(tmp)
        base = run_child("baseline", "", args.entries, folder)
        results = {"sqlite": run_child("sqlite", f"sqlite:///{folder / 'store.db'}", args.entries, folder)}
        if args.postgres_url:
            results["postgresql"] = run_child("postgresql", args.postgres_url, args.entries, folder)
        else:
            from tests.pgserver import postgres_bin, postgres_server

            if postgres_bin() is not None:
                pg_base = Path(tempfile.mkdtemp(prefix="inventur-bench-pg-"))
                pg_base.chmod(0o711)
                with postgres_server(pg_base / "pg") as url:
                    results["postgresql"] = run_child("postgresql", url, args.entries, folder)
    print(f"{args.entries} entries, one version each (machine: {os.cpu_count()} cores, Python {platform.python_version()})")
    print(f"baseline: the same records as JSON Lines {base['jsonl_bytes'] / 1e6:8.1f} MB; "
          f"a process holding them peaks at {base['peak_rss_bytes'] / 1e6:6.0f} MB")
    summary = {"entries": args.entries, "baseline": base, "backends": {},
               "machine": {"cpus": os.cpu_count(), "python": platform.python_version()}}
    for name, r in results.items():
        size_ratio = r["store_bytes"] / base["jsonl_bytes"]
        mem_ratio = r["peak_rss_bytes"] / base["peak_rss_bytes"]
        print(f"{name:10s} store {r['store_bytes'] / 1e6:8.1f} MB ({size_ratio:4.1f}x the JSON Lines), "
              f"peak memory {r['peak_rss_bytes'] / 1e6:6.0f} MB ({mem_ratio:4.2f}x the baseline), "
              f"{r['entries_per_s']} entries/s stored")
        summary["backends"][name] = {**r, "size_ratio_to_jsonl": round(size_ratio, 2),
                                     "memory_ratio_to_baseline": round(mem_ratio, 2)}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(summary, indent=2))
    print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
