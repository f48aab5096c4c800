"""The README's main job: `inventur demo` runs the whole campaign on embedded defaults and says where to look."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import func, or_, select

from catalog.models import Entry, FindingRow, ReceivedFile
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
        waiting = s.scalar(select(func.count()).select_from(Entry).where(
            Entry.status == "approved", or_(Entry.access_url.is_(None), Entry.access_url == "")))
        findings = dict(s.execute(select(FindingRow.severity, func.count()).where(FindingRow.is_open.is_(True))
                                  .group_by(FindingRow.severity)).all())
        unscored = s.scalar(select(func.count()).select_from(Entry).where(Entry.quality_score.is_(None)))
    store.close()
    assert entries > 200 and rejected and approved and waiting
    assert f"{entries} entries" in out
    # every open finding in the store is counted, not only the validation stage's
    assert f"{sum(findings.values())} open findings" in out and f"info {findings['info']}" in out
    # the quality is scored, offline and without shapes here, and the summary says how to get them
    assert unscored == 0 and "quality:     mean" in out
    assert "DCAT-AP.de shapes not checked" in out and "inventur shapes fetch" in out
    # approved entries without an access URL: the summary says how many and why they are not in the catalog
    assert f"{waiting} of the approved wait for an access URL" in out
    assert f"{waiting} left out (waits for an access URL" in out

    # the hint is whole, on one line, and works in a shell that has no .venv on its PATH
    [hint] = [line.split("try:", 1)[1].strip() for line in out.splitlines() if line.strip().startswith("try:")]
    tried = subprocess.run(["bash", "-c", hint], capture_output=True, text=True, timeout=120,
                           env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert tried.returncode == 0, (hint, tried.stderr)
    assert "departments answered" in tried.stdout
    feedback = sorted((workdir / "share").glob("*/*/outbox/*_Rueckmeldung.xlsx"))
    assert feedback and load_workbook(feedback[0]).sheetnames[0] == "Rückmeldung"
    catalog = workdir / "data" / "catalog" / "catalog.ttl"
    assert catalog.exists() and "dcat:Dataset" in catalog.read_text()
    assert (workdir / "data" / "validation").is_dir()


def test_report_comes_after_publishing(tmp_path: Path, prefect_harness: None) -> None:
    """The campaign report is written last, so it counts what the run published. The portal here is a
    stand-in that marks what it is given as published (the real portal: tests/test_publish_portal.py and
    the demo of CI's plain clone)."""
    from openpyxl import load_workbook as load

    from catalog.review.decisions import catalog_records, mark_published
    from flows.demo import demo_settings, run_demo
    from flows.services import Services
    from flows.settings import Settings

    published: list[str] = []

    def publish(services: Services) -> dict[str, object]:
        with services.store.session() as session:
            identifiers = [r["identifier"] for r in catalog_records(session)]
        for identifier in identifiers:
            with services.store.session() as session:
                mark_published(session, identifier, "stand-in portal")
                published.append(identifier)
        return {"totals": {"created": len(published)}, "writes": len(published), "url": "http://portal.example"}

    departments = tmp_path / "departments.yaml"  # a few departments per city keep this run short
    departments.write_text("departments:\n" + "".join(
        f"  - {{city: {city}, code: {code}, name: {name}}}\n" for city, code, name in (
            ("muenchen", "MOR", "Mobilitätsreferat"), ("muenchen", "RKU", "Referat für Klima- und Umweltschutz"),
            ("muenchen", "KULT", "Kulturreferat"), ("augsburg", "STAT", "Amt für Statistik und Stadtforschung"),
            ("augsburg", "GEO", "Geodatenamt"), ("augsburg", "UWA", "Umweltamt"),
            ("nuernberg", "VPL", "Verkehrsplanungsamt"), ("nuernberg", "FW", "Feuerwehr Nürnberg"),
            ("nuernberg", "SCHA", "Amt für Allgemeinbildende Schulen"))), encoding="utf-8")
    workdir = tmp_path / "demo"
    settings = demo_settings(workdir, Settings(data_dir=tmp_path / "base", departments_file=departments))
    result = run_demo(settings, rows=(4, 8), publish=publish)
    assert published and result.published == {"totals": {"created": len(published)}, "writes": len(published),
                                               "url": "http://portal.example"}
    assert [name for name, _ in result.steps][-3:] == ["quality score", "publish to CKAN", "campaign report"]
    sheet = load(workdir / "data" / "reports" / "bericht-gesamt.xlsx")["Veröffentlichung"]
    rows = {row[0]: row[2] for row in sheet.iter_rows(values_only=True) if row and row[0]}
    assert rows["veröffentlicht"] == len(published)
    assert result.quality["entries"] > 0 and not result.quality["shapes_checked"]
