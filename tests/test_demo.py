"""The README's main job: `inventur demo` runs the whole campaign on embedded defaults and says where to look."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import func, select

from catalog.models import Entry, ReceivedFile
from catalog.store import Store

ROOT = Path(__file__).resolve().parents[1]


def test_demo_completes_and_prints_its_summary(tmp_path: Path, cli_env: dict[str, str]) -> None:
    env = {k: v for k, v in cli_env.items() if not k.startswith("INVENTUR_CKAN")}
    workdir = tmp_path / "demo"
    done = subprocess.run([sys.executable, "-m", "flows", "demo", "--workdir", str(workdir)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    for line in ("Summary", "63 workbooks for 63 departments of 3 cities", "feedback workbooks", "approved by",
                 "DCAT-AP.de:", "Where to look", "validation report:", "campaign report (HTML):", "inventur portal up"):
        assert line in out, line
    store = Store.open(f"sqlite:///{workdir / 'inventur.db'}")
    with store.session() as s:
        entries = s.scalar(select(func.count()).select_from(Entry)) or 0
        rejected = s.scalar(select(func.count()).select_from(ReceivedFile).where(ReceivedFile.status == "rejected"))
        approved = s.scalar(select(func.count()).select_from(Entry).where(Entry.status == "approved"))
    store.close()
    assert entries > 200 and rejected and approved
    assert f"{entries} entries" in out
    feedback = sorted((workdir / "share").glob("*/*/outbox/*_Rueckmeldung.xlsx"))
    assert feedback and load_workbook(feedback[0]).sheetnames[0] == "Rückmeldung"
    catalog = workdir / "data" / "catalog" / "catalog.ttl"
    assert catalog.exists() and "dcat:Dataset" in catalog.read_text()
    assert (workdir / "data" / "validation").is_dir()
