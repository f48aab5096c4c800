"""Benchmark: publishing 1,000 approved entries to CKAN, against ``ckanapi load datasets`` on the same packages.

Run: ``.venv/bin/python bench/bench_publish.py [--entries 1000] [--portal-dir DIR]``

The portal: ``INVENTUR_CKAN_URL`` and ``INVENTUR_CKAN_TOKEN`` when set, else the local development portal
(brought up in ``--portal-dir``, default a new temporary folder, taken down and removed afterwards).

1. ``--entries`` entries of 21 new departments (7 per city, random codes, so every run starts empty) are
   saved and approved in a temporary SQLite store (not timed).
2. The packages they map to are written as JSON Lines for ``ckanapi load datasets -p 1`` (one process,
   as the peer is used by default), renamed into a second set of organisations (created beforehand), and
   without the ``id`` (ckanapi looks a dataset up by id, then by name; a new one by name only). Timed.
3. ``publish`` of the inventory (timed, organisations created inside the run): first run. ``--order``
   says whether ckanapi (default) or publish runs first; the second meets a portal (and search index)
   with ``--entries`` more datasets.
4. ``publish`` again with nothing changed: second run; the write calls on the wire must be zero.

Prints the figures and ratios (first publish in datasets/s against ckanapi's; second run as a share of
the first) and writes them to ``bench/results/publish.json``. On the local portal it also measures where
the CPU went while each loader ran: CPU seconds of CKAN (gunicorn's master and workers), Apache Solr,
PostgreSQL (with its backends) and Redis, of the loader itself, and how busy the whole machine
was (other programs included), so that a ratio can be explained: ``ckanapi load -p 1`` is one request at
a time and keeps about one core busy, publish sends several at once and can use all of them. At the end
it reports the memory of each of the portal's components holding the 2 x ``--entries`` datasets.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402
from pydantic import SecretStr  # noqa: E402

EU = "http://publications.europa.eu/resource/authority/"
LICENCES = "http://dcat-ap.de/def/licenses/"
THEMES = ["ENVI", "TRAN", "SOCI", "ECON", "REGI", "GOVE", "EDUC"]
FORMATS = [["CSV"], ["CSV", "JSON"], ["GEOJSON", "WMS_SRVC"], ["XLSX"], ["CSV", "XLSX", "PDF"]]
CITIES = ("muenchen", "augsburg", "nuernberg")


def _values(i: int, city: str) -> dict[str, Any]:
    formats = FORMATS[i % len(FORMATS)]
    by = i % 3 == 0
    return {
        "title": f"Datenbestand {i}: Messwerte und Verzeichnis",
        "description": f"Beschreibung des Datenbestands {i}, mit Angaben zu Umfang, Herkunft und Aktualisierung.",
        "theme": [EU + f"data-theme/{THEMES[i % len(THEMES)]}"],
        "keywords": [f"Schlagwort {i % 50}", "Offene Daten", f"Thema/{THEMES[i % 7].lower()}"],
        "contact_email": f"daten{i % 20}@{city}.example.org",
        "personal_data": "no",
        "third_party_rights": "no",
        "access_rights": EU + "access-right/PUBLIC",
        "license": LICENCES + ("dl-by-de/2.0" if by else "dl-zero-de/2.0"),
        "attribution": f"Stadt, Dienststelle {i % 20}" if by else None,
        "formats": [EU + f"file-type/{f}" for f in formats],
        "access_url": f"https://daten.example.org/{city}/{i}.{formats[0].lower()}",
        "frequency": EU + "frequency/ANNUAL",
        "temporal_start": "2020-01-01",
        "publish_proposal": "yes",
        "spatial_scope": "city",
        "hvd_category": "http://data.europa.eu/bna/c_e1da4e07" if i % 10 == 0 else None,
    }


class CpuMeter:
    """CPU time of the local portal's processes (each with its children: CKAN's workers, PostgreSQL's backends)
    and how busy the machine was, between two snapshots. Without a local portal only the machine is measured."""

    def __init__(self, portal_dir: Path | None) -> None:
        self.pids: dict[str, int] = {}
        self.workers: int | None = None
        if portal_dir is not None:
            from portal.local import COMPONENTS, status

            state = status(portal_dir)
            self.pids = {name: state[name]["pid"] for name in COMPONENTS if state[name]["pid"]}
            self.workers = len(state["ckan"]["workers"])
        self.tick = os.sysconf("SC_CLK_TCK")

    def _cpu(self, pid: int) -> float:
        """User and system CPU seconds of a process and of its children that ended (cutime, cstime)."""
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()
        except OSError:
            return 0.0
        return sum(int(v) for v in fields[11:15]) / self.tick

    def _own_cpu(self, pid: int) -> float:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / self.tick

    def process_tree_cpu(self, process: subprocess.Popen[str], timeout: float) -> float:
        """Wait for ``process``; return the CPU seconds of it and its descendants (sampled every second, so a
        process is counted even when nobody waits for it; the last moments before each exit are missed)."""
        from portal.processes import children

        seen: dict[int, float] = {}
        deadline = time.monotonic() + timeout
        while process.poll() is None:
            if time.monotonic() > deadline:
                process.kill()
                process.wait()
                break
            family, pending = [], [process.pid]
            while pending:
                pid = pending.pop()
                family.append(pid)
                pending.extend(children(pid))
            for pid in family:
                seen[pid] = max(seen.get(pid, 0.0), self._own_cpu(pid))
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=1.0)
        return sum(seen.values())

    def snapshot(self) -> dict[str, float]:
        from portal.processes import children

        out = {name: self._cpu(pid) + sum(self._cpu(child) for child in children(pid))
               for name, pid in self.pids.items()}
        with open("/proc/stat") as handle:
            jiffies = [int(v) for v in handle.readline().split()[1:]]
        out["machine_busy"] = (sum(jiffies) - jiffies[3] - jiffies[4]) / self.tick
        out["machine_total"] = sum(jiffies) / self.tick
        return out

    def phase(self, before: dict[str, float], after: dict[str, float], seconds: float, client_cpu: float,
              datasets: int) -> dict[str, Any]:
        """What one loader cost: per component, the loader, all of ours per dataset, cores used, machine."""
        portal = {name: round(after[name] - before[name], 2) for name in self.pids}
        ours = sum(portal.values()) + client_cpu
        total = after["machine_total"] - before["machine_total"]
        busy_share = (after["machine_busy"] - before["machine_busy"]) / total if total > 0 else 0.0
        cpus = os.cpu_count() or 1
        return {
            "portal_cpu_seconds": portal,
            "client_cpu_seconds": round(client_cpu, 2),
            "cpu_ms_per_dataset": round(1000 * ours / datasets, 1) if self.pids else None,
            "cores_used": round(ours / seconds, 2) if self.pids else None,
            "machine_busy_cores": round(busy_share * cpus, 2),
        }


def _memory(portal_dir: Path | None) -> dict[str, float] | None:
    """Memory of each component of the local portal (proportional set sizes, children included), in MB."""
    if portal_dir is None:
        return None
    from portal.local import COMPONENTS, status

    state = status(portal_dir)
    return {name: state[name]["memory_mb"] for name in COMPONENTS if state[name]["memory_mb"] is not None}


def _portal(args: argparse.Namespace) -> tuple[str, str, Path | None, bool]:
    """URL and token of the portal; the local folder when we brought it up; whether to remove it afterwards."""
    url, token = os.environ.get("INVENTUR_CKAN_URL"), os.environ.get("INVENTUR_CKAN_TOKEN")
    if url and token:
        return url, token, None, False
    from catalog.publish.mapping import ckan_licences, theme_groups
    from portal.local import up
    from portal.processes import free_port

    base = Path(args.portal_dir) if args.portal_dir else Path(tempfile.mkdtemp(prefix="inventur-bench-portal-"))
    base.mkdir(parents=True, exist_ok=True)
    base.chmod(0o711)  # PostgreSQL runs as another user when we are root
    state = base / "portal.json"
    port = json.loads(state.read_text()).get("ckan_port") if state.exists() else None
    started = time.perf_counter()
    info = up(base, licenses=ckan_licences(), groups=theme_groups(), port=port or free_port(),
              progress=lambda m: print(f"  portal: {m}", file=sys.stderr))
    print(f"portal {info.url} up in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return info.url, info.token, base, not args.portal_dir


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--portal-dir", help="keep the local portal in this folder (faster next time)")
    parser.add_argument("--concurrency", type=int, default=4,
                        help="parallel write calls of publish (default 4, as INVENTUR_PUBLISH_CONCURRENCY)")
    parser.add_argument("--order", choices=["ckanapi-first", "publish-first"], default="ckanapi-first",
                        help="which loader runs first (the second one meets a portal with 1,000 more datasets)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "publish.json"))
    args = parser.parse_args()

    from ckanapi import RemoteCKAN

    from catalog.inventory import Source, save_entry
    from catalog.organisation import load_organisation
    from catalog.publish.plan import plan_publication
    from catalog.publish.states import read_entry_states
    from catalog.review.decisions import approve
    from flows.services import Services
    from flows.settings import Settings
    from flows.steps.publish import publish

    url, token, portal_dir, remove_portal = _portal(args)
    work = Path(tempfile.mkdtemp(prefix="inventur-bench-publish-"))
    try:
        # -- the inventory (not timed) ---------------------------------------------------------------
        prefix = "B" + secrets.token_hex(2).upper()
        codes = {city: [f"{prefix}{c}{n}" for n in range(7)] for c, city in zip("MAN", CITIES, strict=True)}
        departments = work / "departments.yaml"
        departments.write_text(yaml.safe_dump({"opendata_contacts": {}, "departments": [
            {"city": city, "code": code, "name": f"Dienststelle {code}", "kind": "Amt", "email": None}
            for city, city_codes in codes.items() for code in city_codes]}, allow_unicode=True))
        settings = Settings(
            database_url=f"sqlite:///{work / 'inventur.db'}", data_dir=work / "data", departments_file=departments,
            ckan_url=url, ckan_token=SecretStr(token), ckan_url_muenchen=None, ckan_url_augsburg=None,
            ckan_url_nuernberg=None, http_timeout=60.0, publish_concurrency=args.concurrency,
        )
        services = Services(settings)
        organisation = load_organisation(departments)
        started = time.perf_counter()
        with services.store.session() as session:
            identifiers = []
            for i in range(args.entries):
                city = CITIES[i % 3]
                code = codes[city][(i // 3) % 7]
                saved = save_entry(session, _values(i, city), city=city, department=code,
                                   source=Source("survey", "bench.xlsx"), organisation=organisation)
                saved.entry.status = "ready"
                identifiers.append(saved.entry.identifier)
            session.flush()
            for identifier in identifiers:
                approve(session, identifier, "Bench Reviewer")
        print(f"{args.entries} entries saved and approved in {time.perf_counter() - started:.1f} s", file=sys.stderr)

        # -- the same packages for ckanapi, in organisations of their own ------------------------------
        with services.store.session() as session:
            states = read_entry_states(session, cities=CITIES, portal=url)
        plan = plan_publication(states, [], organisation, organisations=set())
        packages = [dict(a.package) for a in plan.actions if a.package is not None]
        assert len(packages) == args.entries, len(packages)
        remote = RemoteCKAN(url, apikey=token, user_agent="inventur-bench/1")
        for org in sorted({p["owner_org"] for p in packages}):
            remote.call_action("organization_create", {"name": f"{org}-ck", "title": f"{org} (ckanapi)"},
                               requests_kwargs={"timeout": 60})
        jsonl = work / "ckanapi.jsonl"
        with jsonl.open("w", encoding="utf-8") as handle:
            for package in packages:
                copy = {k: v for k, v in package.items() if k != "id"}
                copy["name"] = f"ck-{package['name']}"
                copy["owner_org"] = f"{package['owner_org']}-ck"
                handle.write(json.dumps(copy, ensure_ascii=False) + "\n")
        meter = CpuMeter(portal_dir)
        cpu: dict[str, Any] = {}

        def run_ckanapi() -> float | None:
            """``ckanapi load datasets -p 1`` of the JSON Lines; its seconds, None when it did not load them all."""
            ckanapi = shutil.which("ckanapi", path=str(Path(sys.executable).parent)) or "ckanapi"
            env = {**os.environ, "PATH": f"{Path(ckanapi).parent}{os.pathsep}{os.environ.get('PATH', '')}"}  # worker
            before = meter.snapshot()
            started = time.perf_counter()
            with tempfile.TemporaryFile("w+") as errors:
                process = subprocess.Popen(
                    [ckanapi, "load", "datasets", "-I", str(jsonl), "-p", "1", "-q", "-r", url, "-a", token],
                    stdout=subprocess.DEVNULL, stderr=errors, text=True, env=env,
                )
                client = meter.process_tree_cpu(process, timeout=3600)  # ckanapi runs a worker process
                errors.seek(0)
                stderr = errors.read()
            seconds = time.perf_counter() - started
            cpu["ckanapi_load"] = meter.phase(before, meter.snapshot(), seconds, client, args.entries)
            count = remote.call_action("package_search", {
                "fq": "organization:(" + " OR ".join(f'"{o}-ck"' for o in {p["owner_org"] for p in packages}) + ")",
                "rows": 0}, requests_kwargs={"timeout": 60})["count"]
            if process.returncode != 0 or count != args.entries:
                print(f"ckanapi load: exit {process.returncode}, {count} datasets\n{stderr[-2000:]}",
                      file=sys.stderr)
                return None
            print(f"ckanapi load datasets -p 1: {args.entries} in {seconds:.1f} s", file=sys.stderr)
            return seconds

        def run_publish() -> tuple[Any, float]:
            before = meter.snapshot()
            client, started = time.process_time(), time.perf_counter()
            summary = publish(services)
            client, seconds = time.process_time() - client, time.perf_counter() - started
            cpu["first_publish"] = meter.phase(before, meter.snapshot(), seconds, client, args.entries)
            print(f"publish: {summary.totals()} in {summary.seconds:.1f} s", file=sys.stderr)
            return summary, client

        # -- both loaders on the same packages, in the chosen order; then publish with nothing changed -----
        if args.order == "ckanapi-first":
            ckanapi_seconds = run_ckanapi()
            first, first_cpu = run_publish()
        else:
            first, first_cpu = run_publish()
            ckanapi_seconds = run_ckanapi()
        remote.close()
        if ckanapi_seconds is None:
            return 1
        second = publish(services)
        services.close()
        if first.totals()["created"] != args.entries or first.failed or second.failed:
            print(f"publish: first {first.totals()}, second {second.totals()}", file=sys.stderr)
            return 1

        ours_rate = args.entries / first.seconds
        ckanapi_rate = args.entries / ckanapi_seconds
        results = {
            "entries": args.entries,
            "concurrency": args.concurrency,
            "order": args.order,
            "portal": "external" if portal_dir is None
            else "local development portal (CKAN 2.11.6, Apache Solr 9.10.1)",
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                        "load_average": os.getloadavg()[0]},
            "ckan_workers": meter.workers,
            "ckanapi_load": {"seconds": round(ckanapi_seconds, 2), "datasets_per_second": round(ckanapi_rate, 1)},
            "first_publish": {"seconds": round(first.seconds, 2), "datasets_per_second": round(ours_rate, 1),
                              "client_cpu_seconds": round(first_cpu, 2),
                              "writes": first.writes, "organisations_created":
                                  sum(len(p.organisations_created) for p in first.portals)},
            "second_publish": {"seconds": round(second.seconds, 3), "writes": second.writes,
                               "unchanged": second.totals()["unchanged"]},
            "ratios": {
                "first_publish_vs_ckanapi_load": round(ours_rate / ckanapi_rate, 2),
                "second_run_share_of_first": round(second.seconds / first.seconds, 4),
            },
            "targets": {"first_publish_vs_ckanapi_load": ">= 2.0", "second_run_share_of_first": "< 0.05",
                        "second_publish_writes": 0},
            "cpu": cpu,
            "memory_mb": _memory(portal_dir),
        }
        print(f"ckanapi load -p 1 : {ckanapi_rate:7.1f} datasets/s ({ckanapi_seconds:.1f} s)")
        print(f"publish, first    : {ours_rate:7.1f} datasets/s ({first.seconds:.1f} s, {first.writes} writes, "
              f"{args.concurrency} threads, {first_cpu:.1f} s CPU here)  -> {ours_rate / ckanapi_rate:.2f}x ckanapi load")
        print(f"publish, unchanged: {second.seconds:.2f} s, {second.writes} writes "
              f"-> {100 * second.seconds / first.seconds:.1f} % of the first run")
        names = {"ckan": "CKAN", "solr": "Solr", "postgres": "PostgreSQL", "redis": "Redis"}
        for label, key in (("ckanapi load -p 1", "ckanapi_load"), ("publish, first", "first_publish")):
            phase = cpu[key]
            if phase["cpu_ms_per_dataset"] is None:
                print(f"{label:18}: machine {phase['machine_busy_cores']:.2f} of {os.cpu_count()} cores busy")
                continue
            spent = phase["portal_cpu_seconds"]
            parts = ", ".join(f"{names[k]} {1000 * spent[k] / args.entries:.1f}"
                              for k in names if spent.get(k, 0) >= 0.05)
            print(f"{label:18}: {phase['cpu_ms_per_dataset']:.1f} ms CPU per dataset ({parts}, loader "
                  f"{1000 * phase['client_cpu_seconds'] / args.entries:.1f}): {phase['cores_used']:.2f} cores; "
                  f"machine {phase['machine_busy_cores']:.2f} of {os.cpu_count()} cores busy")
        if results["memory_mb"]:
            print(f"memory with {2 * args.entries} datasets (MB): "
                  + ", ".join(f"{names[k]} {v}" for k, v in results["memory_mb"].items()))
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2) + "\n")
        print(f"written to {out}")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if portal_dir is not None and remove_portal:
            from portal.local import down

            down(portal_dir)
            shutil.rmtree(portal_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
