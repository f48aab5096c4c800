"""Robustness: bad input at scale, injection strings, Unicode, concurrent runs, locked databases.
Each case ends with nothing lost and nothing duplicated, asserted."""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func, select

from catalog.locks import LockBusy, run_lock
from catalog.models import Entry, EntryVersion, ReceivedFile
from catalog.organisation import load_organisation
from catalog.store import Store
from flows.services import Services
from flows.settings import Settings
from survey.simulation import fill_workbook, realistic_rows
from survey.template import build_workbook, workbook_name

ROOT = Path(__file__).resolve().parents[1]
ORG = load_organisation()


def _returns(folder: Path, secret: str, count: int, rows: int, seed: int = 3) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    paths = []
    for dept in ORG.departments_of("augsburg")[:count]:
        template = build_workbook(city=ORG.city("augsburg"), department=dept, campaign="r1", secret=secret.encode(),
                                  issued=dt.date(2026, 11, 1))
        path = folder / workbook_name("augsburg", dept.code, "r1")
        path.write_bytes(fill_workbook(template, realistic_rows(ORG.city("augsburg"), dept, rows, rng)))
        paths.append(path)
    return paths


def _counts(url: str) -> tuple[int, int, int]:
    store = Store.open(url)
    with store.session() as s:
        result = (s.scalar(select(func.count()).select_from(ReceivedFile)) or 0,
                  s.scalar(select(func.count()).select_from(Entry)) or 0,
                  s.scalar(select(func.count()).select_from(EntryVersion)) or 0)
    store.close()
    return result


def test_same_collect_started_twice_at_once(tmp_path: Path, cli_env: dict[str, str]) -> None:
    env = {**cli_env, "INVENTUR_SECRET_AUGSBURG": "geheim"}
    _returns(tmp_path / "in", "geheim", 6, 8)
    command = [sys.executable, "-m", "flows", "collect", str(tmp_path / "in"), "--no-feedback", "--format", "json"]
    procs = [subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-2000:] for o in outs]
    totals = [json.loads(o[0])["totals"] for o in outs]
    assert sorted(t["created"] for t in totals) == [0, 48]  # one run read everything, the other waited
    assert sorted(t["duplicate"] for t in totals) == [0, 6]
    assert _counts(env["INVENTUR_DATABASE_URL"]) == (6, 48, 48)


def test_collect_killed_between_storing_and_validating_then_rerun(tmp_path: Path, cli_env: dict[str, str]) -> None:
    """`inventur collect` is killed (SIGKILL) once the files are stored, before validation ends: the rerun finds
    every file known, validation catches up, and nothing is lost or stored twice."""
    import os
    import signal

    env = {**cli_env, "INVENTUR_SECRET_AUGSBURG": "geheim"}
    _returns(tmp_path / "in", "geheim", 4, 10)
    proc = subprocess.Popen([sys.executable, "-m", "flows", "collect", str(tmp_path / "in"), "--no-feedback"], env=env,
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    for line in proc.stderr:  # progress goes to stderr; validation starts right after this line
        if "read 4 files" in line:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert _counts(env["INVENTUR_DATABASE_URL"]) == (4, 40, 40)
    assert _states(env["INVENTUR_DATABASE_URL"]) == {"new": 40}  # stored, never validated
    again = subprocess.run([sys.executable, "-m", "flows", "collect", str(tmp_path / "in"), "--no-feedback", "--format", "json"],
                           env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr[-2000:]
    totals = json.loads(again.stdout)["totals"]
    assert (totals["duplicate"], totals["created"]) == (4, 0)
    checked = subprocess.run([sys.executable, "-m", "flows", "validate"], env=env, cwd=ROOT, capture_output=True,
                             text=True, timeout=300)
    assert checked.returncode in (0, 1), checked.stderr[-2000:]  # 1: errors found in the data, as expected
    assert _counts(env["INVENTUR_DATABASE_URL"]) == (4, 40, 40)
    states = _states(env["INVENTUR_DATABASE_URL"])
    assert "new" not in states and sum(states.values()) == 40, states


def _states(url: str) -> dict[str, int]:
    store = Store.open(url)
    with store.session() as s:
        states = {status: number for status, number in s.execute(select(Entry.status, func.count()).group_by(Entry.status))}
    store.close()
    return states


def test_second_run_gives_up_cleanly_when_the_lock_stays_busy(tmp_path: Path, cli_env: dict[str, str]) -> None:
    url = cli_env["INVENTUR_DATABASE_URL"]
    store = Store.open(url)
    env = {**cli_env, "INVENTUR_LOCK_WAIT": "1"}
    _returns(tmp_path / "in", "x", 1, 2)
    with run_lock(store.engine, "collect"):
        done = subprocess.run([sys.executable, "-m", "flows", "collect", str(tmp_path / "in")], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
    assert done.returncode == 5 and "another collect run is still in progress" in done.stderr
    assert "Traceback" not in done.stderr
    assert _counts(url) == (0, 0, 0)
    store.close()


@pytest.mark.postgres
def test_advisory_lock_on_postgresql(postgres_url: str) -> None:
    store = Store.open(postgres_url)
    held = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with run_lock(store.engine, "publish"):
            held.set()
            release.wait(10)

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(10)
    started = time.monotonic()
    with pytest.raises(LockBusy), run_lock(store.engine, "publish", wait=0.6, poll=0.1):
        pass
    assert time.monotonic() - started >= 0.5
    with run_lock(store.engine, "collect", wait=0.5):  # another name is free
        pass
    release.set()
    thread.join()
    with run_lock(store.engine, "publish", wait=1):
        pass
    store.close()


def test_database_locked_by_another_writer_waits(tmp_path: Path) -> None:
    """A writer holding SQLite's write lock for a while delays a collect; the collect then completes."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'i.db'}", data_dir=tmp_path / "d",
                        secret_augsburg="g")  # type: ignore[arg-type]
    services = Services(settings)
    paths = _returns(tmp_path / "in", "g", 2, 3)
    import sqlite3

    services.store  # migrate first  # noqa: B018
    locked = threading.Event()

    def hold_write_lock() -> None:
        blocker = sqlite3.connect(tmp_path / "i.db", timeout=1)
        blocker.execute("BEGIN IMMEDIATE")
        locked.set()
        time.sleep(2.0)
        blocker.rollback()
        blocker.close()

    thread = threading.Thread(target=hold_write_lock)
    thread.start()
    locked.wait(10)
    started = time.monotonic()
    from flows.steps.inventory import collect

    summary = collect(services, paths, validate=False, feedback=False)
    thread.join()
    assert time.monotonic() - started >= 1.5
    assert summary.totals["created"] == 6 and summary.totals["read"] == 2
    services.close()


INJECTIONS = ["=1+1", "=HYPERLINK(\"http://evil.example\",\"x\")", "+SUM(A1:A2)", "-2+3", "@SUM(1)",
              "=cmd|' /C calc'!A0", "\t=1", "\r=1"]
UNICODE = ["Straße 𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "Zeichen\u200bmit\u200bNullbreite", "Ä\u0308rger (kombiniert)", "emoji 🚲🌳",
           "rechts-nach-links \u202eTEXT", "Tab\tim Text"]


def test_injection_and_unicode_never_executed_nor_exported_unescaped(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'i.db'}", data_dir=tmp_path / "d",
                        secret_augsburg="g")  # type: ignore[arg-type]
    services = Services(settings)
    dept = ORG.departments_of("augsburg")[0]
    template = build_workbook(city=ORG.city("augsburg"), department=dept, campaign="r1", secret=b"g",
                              issued=dt.date(2026, 11, 1))
    base = realistic_rows(ORG.city("augsburg"), dept, 1, random.Random(1))[0]
    rows = []
    for i, text in enumerate(INJECTIONS + UNICODE):
        row = dict(base, title=f"Titel {i} {text}"[:190], description=f"Beschreibung mit {text} und mehr Text dazu.",
                   remarks=text)
        rows.append(row)
    # openpyxl would store a string starting with "=" as a formula: write them as the data officer's text
    workbook = openpyxl.load_workbook(io.BytesIO(fill_workbook(template, rows)))
    sheet = workbook["Datenbestände"]
    for r in range(2, 2 + len(rows)):
        cell = sheet[f"Y{r}"]
        cell.value = rows[r - 2]["remarks"]
        cell.data_type = "s"
    path = tmp_path / "injection.xlsx"
    workbook.save(path)
    from flows.steps.inventory import collect

    summary = collect(services, [path], validate=False, feedback=False)
    assert summary.totals["created"] == len(rows)
    with services.store.session() as s:
        remarks = sorted(e.remarks or "" for e in s.scalars(select(Entry)))
    # kept as written, apart from blanks folded (tabs, runs of spaces) and the composed Unicode form
    import unicodedata

    assert sorted(" ".join(unicodedata.normalize("NFC", t).split()) for t in INJECTIONS + UNICODE) == sorted(remarks)

    from catalog.export import write_csv, write_xlsx
    from catalog.fields import EXPORT_KEYS
    from catalog.inventory import entry_record, iter_entries

    with services.store.session() as s:
        records = [entry_record(e) for e in iter_entries(s)]
    csv_path = tmp_path / "out.csv"
    with csv_path.open("w", newline="") as handle:
        write_csv(records, handle, EXPORT_KEYS)
    import csv

    with csv_path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            for value in row.values():
                assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
    xlsx_path = tmp_path / "out.xlsx"
    write_xlsx(records, xlsx_path, EXPORT_KEYS)
    import zipfile

    with zipfile.ZipFile(xlsx_path) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml and b"<f " not in sheet_xml
    services.close()


@pytest.mark.slow
def test_workbook_with_100000_rows(tmp_path: Path) -> None:
    """A department pastes its whole register: 100,000 rows are read, normalised and stored."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'i.db'}", data_dir=tmp_path / "d",
                        secret_augsburg="g")  # type: ignore[arg-type]
    services = Services(settings)
    dept = ORG.departments_of("augsburg")[1]
    template = build_workbook(city=ORG.city("augsburg"), department=dept, campaign="big", secret=b"g",
                              issued=dt.date(2026, 11, 1))
    # write the rows streaming (write-only), keeping the signed Meta sheet
    rows = 100_000
    src = openpyxl.load_workbook(io.BytesIO(template))
    meta = [(r[0].value, r[1].value) for r in src["Meta"].iter_rows()]
    header = [c.value for c in src["Datenbestände"][1]]
    out = openpyxl.Workbook(write_only=True)
    entries = out.create_sheet("Datenbestände")
    entries.append(header)
    for i in range(rows):
        entries.append([None, f"Messreihe {i}", "Stündliche Messwerte einer Station des Umweltamts.", "Umwelt", "Luft",
                        None, None, None, "umwelt@augsburg.de", "nein", "nein", "öffentlich", None, "CC0 1.0", None,
                        "CSV", None, "täglich", "2020", None, "gesamtes Stadtgebiet", None, "keine", "ja", None])
    meta_sheet = out.create_sheet("Meta")
    meta_sheet.sheet_state = "veryHidden"
    for key, value in meta:
        meta_sheet.append([key, value])
    path = tmp_path / workbook_name("augsburg", dept.code, "big")
    out.save(path)
    from flows.steps.inventory import collect

    started = time.monotonic()
    summary = collect(services, [path], validate=False, feedback=False)
    elapsed = time.monotonic() - started
    assert summary.totals["rows"] == rows and summary.totals["created"] == rows, summary.totals
    assert _counts(settings.resolved_database_url()) == (1, rows, rows)
    assert elapsed < 600
    services.close()



@pytest.mark.portal
def test_our_process_killed_midway_through_publish_then_rerun(tmp_path: Path, cli_env: dict[str, str], portal: Any) -> None:
    """A crash between storing and publishing: `inventur publish` is killed (SIGKILL) after some creates; the
    next run ends with every dataset on the portal exactly once and every entry recorded as published."""
    import os
    import signal

    import ckanapi

    from catalog.inventory import Source, save_entry
    from tests.factories import sample

    env = {**cli_env, "INVENTUR_CKAN_URL": portal.url, "INVENTUR_CKAN_TOKEN": portal.token,
           "INVENTUR_PUBLISH_CONCURRENCY": "1"}
    store = Store.open(env["INVENTUR_DATABASE_URL"])
    dept = ORG.departments_of("augsburg")[-1]
    count = 30
    with store.session() as s:
        for i in range(count):
            entry = save_entry(s, sample(title=f"Absturztest {i}", access_url=f"https://example.org/crash/{i}.csv"),
                               city="augsburg", department=dept.code, organisation=ORG, source=Source("survey")).entry
            entry.status = "approved"
    store.close()
    api = ckanapi.RemoteCKAN(portal.url, apikey=portal.token)
    org_name = dept.key

    def on_portal() -> int:
        try:
            return int(api.action.package_search(fq=f"organization:{org_name}", rows=0, include_private=True)["count"])
        except ckanapi.errors.CKANAPIError:
            return 0

    proc = subprocess.Popen([sys.executable, "-m", "flows", "publish", "--city", "augsburg"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while on_portal() < 5 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert proc.poll() is None, "the publish run ended before it could be interrupted"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert 0 < on_portal() < count
    done = subprocess.run([sys.executable, "-m", "flows", "publish", "--city", "augsburg", "--format", "json"], env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert on_portal() == count
    names = [p["name"] for p in api.action.package_search(fq=f"organization:{org_name}", rows=100)["results"]]
    assert len(names) == len(set(names)) == count
    store = Store.open(env["INVENTUR_DATABASE_URL"])
    with store.session() as s:
        published = s.scalar(select(func.count()).select_from(Entry).where(Entry.status == "published"))
    store.close()
    assert published == count
