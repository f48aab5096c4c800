"""Benchmark: the local portal's start (a new folder, and again with its data kept) and its memory.

Run: ``.venv/bin/python bench/bench_portal.py [--solr-starts 3]``

1. ``inventur portal up`` in a new temporary folder, with CKAN's environment and Solr's jars already in
   their caches (they are resolved first if not, untimed): cold start.
2. The memory of each component right after (proportional set sizes, children included).
3. ``portal down`` then ``portal up`` again: restart with the data kept (no re-indexing).
4. Apache Solr alone, started ``--solr-starts`` times on a new Solr home with the portal's configuration
   (``java Launcher.java`` until the core answers): how much of a start is Solr's.

Prints the figures, the restart as a share of the cold start, and writes ``bench/results/portal.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--solr-starts", type=int, default=3)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "portal.json"))
    args = parser.parse_args()

    from catalog.publish.mapping import ckan_licences, theme_groups
    from portal.ckan_site import default_venv, ensure_venv, solr_schema
    from portal.local import COMPONENTS, down, status, up
    from portal.processes import free_port, resident_mb
    from portal.solr.artifacts import SolrJars, default_cache, find_java
    from portal.solr.configset import write_home
    from portal.solr.server import Solr

    def say(message: str) -> None:
        print(f"  {message}", file=sys.stderr)

    work = Path(tempfile.mkdtemp(prefix="inventur-bench-portal-"))
    work.chmod(0o711)  # PostgreSQL runs as another user when we are root
    base = work / "portal"
    jars = SolrJars(default_cache())
    try:
        ensure_venv(default_venv(), work / "ckan-install.log", say)  # caches first: not timed
        jars.ensure(work / "solr-install.log", say)
        port = free_port()
        started = time.perf_counter()
        up(base, licenses=ckan_licences(), groups=theme_groups(), port=port, progress=say)
        cold = time.perf_counter() - started
        time.sleep(5)  # let the processes settle before reading their memory
        current = status(base)
        memory = {name: current[name]["memory_mb"] for name in COMPONENTS}
        down(base)
        started = time.perf_counter()
        up(base, licenses=ckan_licences(), groups=theme_groups(), port=port, progress=say)
        restart = time.perf_counter() - started
        down(base)

        solr_seconds, solr_memory = [], []
        java = find_java()
        for attempt in range(args.solr_starts):
            server = Solr(work / f"solr-{attempt}", work / f"solr-{attempt}" / "logs" / "solr.log")
            write_home(server.home, solr_schema(default_venv()))
            solr_port = free_port()
            started = time.perf_counter()
            pid = server.start(solr_port, java, jars)
            server.wait(solr_port, pid)
            solr_seconds.append(time.perf_counter() - started)
            time.sleep(3)
            solr_memory.append(resident_mb(pid))
            server.stop()

        results = {
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                        "load_average": os.getloadavg()[0]},
            "cold_start_seconds": round(cold, 1),
            "restart_seconds": round(restart, 1),
            "solr_start_seconds": [round(s, 1) for s in solr_seconds],
            "memory_mb_after_start": memory,
            "solr_alone_memory_mb": solr_memory,
            "ratios": {"restart_share_of_cold_start": round(restart / cold, 2),
                       "solr_start_share_of_cold_start": round(statistics.median(solr_seconds) / cold, 2)},
        }
        print(f"cold start (new folder, caches ready): {cold:.1f} s")
        print(f"restart with the data kept           : {restart:.1f} s ({100 * restart / cold:.0f} % of the cold start)")
        print(f"Apache Solr alone, {args.solr_starts} starts        : "
              + ", ".join(f"{s:.1f}" for s in solr_seconds) + " s (median "
              f"{statistics.median(solr_seconds):.1f} s, {100 * statistics.median(solr_seconds) / cold:.0f} % of "
              "the cold start)")
        print("memory after start (MB)              : " + ", ".join(f"{k} {v}" for k, v in memory.items()))
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2) + "\n")
        print(f"written to {out}")
        return 0
    finally:
        down(base)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
