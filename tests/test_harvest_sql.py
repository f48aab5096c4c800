"""Harvesting departments' databases: real SQLite files and a real PostgreSQL database.

Each table and view becomes a proposed entry (origin ``proposal``, a remark saying so) with its columns
and row count as description; the database is opened read-only; a second run writes nothing; a dropped
table is marked gone.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from catalog.models import Entry, EntryVersion
from connectors.harvest.http import SourceInvalid, SourceUnavailable
from connectors.harvest.sql import DatabaseSource
from flows.services import Services
from flows.steps.harvest import harvest_sql, run_sql
from tests.factories import count

ROOT = Path(__file__).resolve().parents[1]


def green_spaces(path: Path, trees: int = 1234) -> Path:
    """A department's SQLite database: two tables and a view."""
    with sqlite3.connect(path) as conn:
        conn.executescript("""
            CREATE TABLE baeume (id INTEGER PRIMARY KEY, art TEXT NOT NULL, pflanzjahr INTEGER, stamm_cm REAL);
            CREATE TABLE spielplaetze (id INTEGER PRIMARY KEY, name VARCHAR(80), flaeche_m2 NUMERIC);
            CREATE VIEW junge_baeume AS SELECT id, art FROM baeume WHERE pflanzjahr >= 2015;
        """)
        conn.executemany("INSERT INTO baeume (art, pflanzjahr, stamm_cm) VALUES (?, ?, ?)",
                         [("Linde", 2000 + i % 25, 20.5) for i in range(trees)])
        conn.execute("INSERT INTO spielplaetze (name, flaeche_m2) VALUES ('Am Wöhrder See', 1200)")
    return path


def proposals(services: Services) -> dict[str, Entry]:
    with services.store.session() as session:
        return {e.remote_id or "": e for e in session.scalars(select(Entry))}


def test_sqlite_tables_and_views_become_proposals(services: Services, tmp_path: Path) -> None:
    db = green_spaces(tmp_path / "gruen.db")
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    report = run_sql(services, f"sqlite:///{db}", city="nuernberg", department="SOER")
    assert (report.records, report.created, report.kind) == (3, 3, "sql")
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before  # opened read-only
    found = proposals(services)
    assert set(found) == {"main.baeume", "main.spielplaetze", "main.junge_baeume"}
    trees = found["main.baeume"]
    assert trees.origin == "proposal" and trees.department == "SOER" and trees.city == "nuernberg"
    assert trees.remote_source == f"sqlite:///{db.resolve()}"
    assert trees.title == "Tabelle main.baeume"
    assert trees.description == (
        "Tabelle „main.baeume“ der SQLite-Datenbank „gruen.db“ mit 1.234 Zeilen.\n"
        "Spalten (4): id (INTEGER), art (TEXT), pflanzjahr (INTEGER), stamm_cm (REAL)."
    )
    assert trees.source_system == "SQLite-Datenbank „gruen.db“"
    assert trees.remarks and trees.remarks.startswith("Vorschlag aus der Datenbank") and "bestätigen" in trees.remarks
    view = found["main.junge_baeume"]
    assert view.title == "Sicht (View) main.junge_baeume" and "mit 490 Zeilen" in (view.description or "")
    assert "Spalten (2): id (INTEGER), art (TEXT)" in (view.description or "")


def test_a_second_run_writes_nothing_and_a_dropped_table_is_gone(services: Services, tmp_path: Path) -> None:
    db = green_spaces(tmp_path / "gruen.db", trees=10)
    run_sql(services, f"sqlite:///{db}", city="nuernberg", department="SOER")
    versions = count(services.store, EntryVersion)
    again = run_sql(services, f"sqlite:///{db}", city="nuernberg", department="SOER")
    assert (again.unchanged, again.created, again.updated) == (3, 0, 0)
    assert count(services.store, EntryVersion) == versions
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE spielplaetze")
        conn.execute("INSERT INTO baeume (art, pflanzjahr) VALUES ('Eiche', 2024)")
    changed = run_sql(services, f"sqlite:///{db}", city="nuernberg", department="SOER")
    found = proposals(services)
    assert changed.gone == [found["main.spielplaetze"].identifier] and found["main.spielplaetze"].gone_at is not None
    assert changed.updated == 2  # the row counts of the table and of its view changed
    assert "mit 11 Zeilen" in (found["main.baeume"].description or "")


def test_missing_and_bad_databases(services: Services, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        run_sql(services, f"sqlite:///{tmp_path / 'missing.db'}", city="nuernberg", department="SOER")
    assert not (tmp_path / "missing.db").exists()  # never created by looking
    with pytest.raises(SourceInvalid):
        run_sql(services, "not a url", city="nuernberg", department="SOER")
    with pytest.raises(SourceInvalid, match="no schema"):
        run_sql(services, f"sqlite:///{green_spaces(tmp_path / 'g.db', 1)}", city="nuernberg", department="SOER",
                schemas=["nope"])


# -- PostgreSQL ---------------------------------------------------------------------------------------------


@pytest.fixture
def department_database(postgres_url: str) -> Iterator[str]:
    """A second database on the test server, as a department's: schema ``gruen`` with a table, a view, a comment."""
    admin = create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS fachverfahren"))
        conn.execute(text("CREATE DATABASE fachverfahren"))
    url = postgres_url.rsplit("/", 1)[0] + "/fachverfahren"
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        conn.execute(text("CREATE SCHEMA gruen"))
        conn.execute(text("CREATE TABLE gruen.baeume (id serial PRIMARY KEY, art varchar(80) NOT NULL, "
                          "pflanzjahr integer, lage jsonb)"))
        conn.execute(text("COMMENT ON TABLE gruen.baeume IS 'Baumkataster des Servicebetriebs'"))
        conn.execute(text("INSERT INTO gruen.baeume (art, pflanzjahr) SELECT 'Linde', 1990 + g % 30 "
                          "FROM generate_series(1, 2500) AS g"))
        conn.execute(text("CREATE VIEW gruen.arten AS SELECT art, count(*) AS anzahl FROM gruen.baeume GROUP BY art"))
        conn.execute(text("CREATE TABLE public.intern (id integer)"))
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text("DROP DATABASE IF EXISTS fachverfahren WITH (FORCE)"))
        admin.dispose()


@pytest.mark.postgres
def test_postgresql_schema_as_proposals(services: Services, department_database: str) -> None:
    summary = harvest_sql(services, department_database, city="nuernberg", department="SOER", schemas=["gruen"],
                          validate=False)
    [report] = summary["sources"]
    assert (report["records"], report["created"], report["scope"]) == (2, 2, ["gruen"])
    assert report["source"] == department_database  # no password in this URL; one would be hidden
    found = proposals(services)
    trees = found["gruen.baeume"]
    assert trees.origin == "proposal"
    assert trees.description == (
        "Baumkataster des Servicebetriebs\n\n"
        "Tabelle „gruen.baeume“ der PostgreSQL-Datenbank „fachverfahren“ auf 127.0.0.1 mit 2.500 Zeilen.\n"
        "Spalten (4): id (INTEGER), art (VARCHAR(80)), pflanzjahr (INTEGER), lage (JSONB)."
    )
    assert "mit 1 Zeilen" in (found["gruen.arten"].description or "")
    assert "public.intern" not in found  # only the schema asked for
    again = run_sql(services, department_database, city="nuernberg", department="SOER", schemas=["gruen"])
    assert again.unchanged == 2 and again.gone == []
    everything = run_sql(services, department_database, city="nuernberg", department="SOER")
    assert everything.created == 1 and "public.intern" in proposals(services)


@pytest.mark.postgres
def test_postgresql_is_opened_read_only(department_database: str) -> None:
    with DatabaseSource(department_database) as source, source.engine.connect() as conn, \
            pytest.raises(Exception, match="read-only"):
        conn.execute(text("CREATE TABLE gruen.fremd (id integer)"))


def test_an_unreachable_database() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with DatabaseSource(f"postgresql://nobody:geheim@127.0.0.1:{port}/x", timeout=2) as source:
        assert "geheim" not in source.source and "***" in source.source
        with pytest.raises(SourceUnavailable, match="cannot be reached"):
            source.tables()


def inventur(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flows", *args], capture_output=True, text=True, env=env,
                          timeout=180, cwd=ROOT)


def test_cli_sql_exit_codes(cli_env: dict[str, str], tmp_path: Path) -> None:
    db = green_spaces(tmp_path / "gruen.db", trees=3)
    done = inventur(cli_env, "harvest", "sql", f"sqlite:///{db}", "--city", "nuernberg", "--department", "SOER",
                    "--no-validate", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["sources"][0]["created"] == 3
    missing = inventur(cli_env, "harvest", "sql", f"sqlite:///{tmp_path / 'nope.db'}", "--city", "nuernberg",
                       "--department", "SOER")
    assert missing.returncode == 2 and "no SQLite database file" in missing.stderr
    no_dept = inventur(cli_env, "harvest", "sql", f"sqlite:///{db}", "--city", "nuernberg")
    assert no_dept.returncode == 2 and "--department" in no_dept.stderr
    wrong_dept = inventur(cli_env, "harvest", "sql", f"sqlite:///{db}", "--city", "nuernberg", "--department", "KVR")
    assert wrong_dept.returncode == 2 and "KVR" in wrong_dept.stderr
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    down = inventur({**cli_env, "INVENTUR_HTTP_TIMEOUT": "2"}, "harvest", "sql",
                    f"postgresql://nobody@127.0.0.1:{port}/x", "--city", "nuernberg", "--department", "SOER")
    assert down.returncode == 4 and "cannot be reached" in down.stderr
