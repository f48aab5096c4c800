"""Values no store keeps alike and no terminal should act on: NUL, escape sequences, lone surrogates,
100,000-character literals and 600-character IRIs from a harvested catalog. The same result on SQLite and
PostgreSQL (control characters removed with a finding, over-long values cut to their column with an
error, never a DataError); exports and the terminal show such characters as visible escapes.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from sqlalchemy import select

from catalog.inventory import Source, save_entry
from catalog.models import Entry, EntryVersion, FindingRow
from catalog.organisation import load_organisation
from catalog.store import Store
from flows.services import Services
from flows.settings import Settings
from flows.steps.harvest import run_dcat
from tests.factories import sample

ROOT = Path(__file__).resolve().parents[2]
ORG = load_organisation()
LONG = "Messwerte " * 10_000  # 100,000 characters
LONG_IRI = "https://opendata.nuernberg.de/dataset/" + "sehr-lang-" * 60

CATALOG = f"""@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
<https://opendata.nuernberg.de/dataset/lang> a dcat:Dataset ;
    dct:title "{LONG}" ;
    dct:description "Mit NUL\\u0000, Escape \\u001B[31mrot\\u001B[0m und einem halben Zeichen \\uD800 darin." ;
    dct:modified "{LONG}" ;
    dcat:contactPoint [ vcard:fn "{LONG}" ] .
<{LONG_IRI}> a dcat:Dataset ; dct:title "Zu lange IRI" .
<https://opendata.nuernberg.de/dataset/kurz> a dcat:Dataset ; dct:title "Baumkataster" ;
    dct:description "Alle städtischen Bäume mit Art, Pflanzjahr und Standort." .
"""


def test_harvested_values_are_stored_alike_on_both_stores(store_url: str, tmp_path: Path) -> None:
    catalog = tmp_path / "katalog.ttl"
    catalog.write_text(CATALOG, encoding="utf-8")
    services = Services(Settings(database_url=store_url, data_dir=tmp_path / "data"))  # type: ignore[arg-type]
    try:
        report = run_dcat(services, str(catalog), city="nuernberg", department="ADP")
        with services.store.session() as session:
            entries = {e.remote_id: e for e in session.scalars(select(Entry))}
            long = entries["https://opendata.nuernberg.de/dataset/lang"]
            codes = sorted(session.scalars(select(FindingRow.code).where(FindingRow.entry_id == long.id)))
            raw = session.scalars(select(EntryVersion.raw).where(EntryVersion.entry_id == long.id)).one()
            values = (long.title, long.description, long.contact_name, long.remote_modified)
    finally:
        services.close()
    assert (report.records, report.created, report.skipped) == (2, 2, 1)
    assert LONG_IRI not in entries
    title, description, contact, modified = values
    assert title == LONG.strip()[:400] and contact == LONG.strip()[:400]
    assert description == "Mit NUL, Escape [31mrot[0m und einem halben Zeichen darin."
    assert modified is not None and len(modified) <= 40
    assert codes.count("value-truncated") == 2 and "control-characters-removed" in codes and "too-long" in codes, codes
    assert raw is not None and len(raw["title"]) == len(LONG)  # the harvested value itself is kept in full


def _odd_entry(url: str) -> str:
    store = Store.open(url)
    with store.session() as session:
        entry = save_entry(session, sample(title="Rot \x1b[31mGEFAHR\x1b[0m [/red] [bold]fett", remarks="Glocke\x07\x9b2J",
                                           contact_name="Amt [link=file:///etc/passwd]x[/link]"),
                           city="augsburg", department="STAT", organisation=ORG, source=Source("survey", "alt.xlsx")).entry
        entry.status = "ready"
        identifier = entry.identifier
    store.close()
    return identifier


def test_terminal_and_exports_show_control_characters_as_escapes(cli_env: dict[str, str], tmp_path: Path) -> None:
    """An entry stored before control characters were removed: every command shows it, none acts on it."""
    identifier = _odd_entry(cli_env["INVENTUR_DATABASE_URL"])

    def run(*args: str) -> subprocess.CompletedProcess[bytes]:
        done = subprocess.run([sys.executable, "-m", "flows", *args], env={**cli_env, "COLUMNS": "400"}, cwd=ROOT,
                              capture_output=True, timeout=120)
        assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
        assert b"Traceback" not in done.stderr
        return done

    shown = {args: run(*args) for args in (("review", "list", "--city", "augsburg"), ("review", "show", identifier),
                                           ("findings",), ("export", "--format", "csv"), ("export", "--format", "jsonl"))}
    for args, done in shown.items():
        for raw in (b"\x1b", b"\x07", "\x9b".encode()):
            assert raw not in done.stdout and raw not in done.stderr, (args, raw)
    listed = shown[("review", "list", "--city", "augsburg")].stdout.decode()
    assert "\\x1b[31mGEFAHR" in listed and "[/red]" in listed
    assert "\\x1b[31m" in shown[("export", "--format", "csv")].stdout.decode()
    assert "\\u001b[31m" in shown[("export", "--format", "jsonl")].stdout.decode()
    out = tmp_path / "inventar.xlsx"
    run("export", "--format", "xlsx", "--out", str(out))
    with zipfile.ZipFile(out) as archive:
        sheet = "".join(archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/"))
    assert "\\x1b[31mGEFAHR" in sheet and "\x1b" not in sheet
