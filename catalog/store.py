"""The store: one SQLAlchemy engine on SQLite (default) or PostgreSQL, migrated by Alembic on open."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from catalog.errors import StoreUnavailableError


class StoreUnavailable(StoreUnavailableError, RuntimeError):
    """The database cannot be reached or used: nothing can go on."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


_OPEN_WAIT = 30.0  # seconds opening an SQLite store keeps trying while the file is locked


def _transient_lock(exc: DBAPIError) -> bool:
    return "database is locked" in str(exc.orig)


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout, PostgreSQL a pool check."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 10})


def _alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("catalog").joinpath("migrations")))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (all migrations from the first table on)."""
    from alembic import command

    command.upgrade(_alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config(create_engine("sqlite://"))).get_current_head()


class Store:
    """The inventory's database: open it once, hand its sessions to the library functions."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str, *, migrate_schema: bool = True) -> Store:
        """Connect to ``url``, check it answers, and migrate it to the newest schema."""
        try:
            engine = make_engine(url)
        except (OSError, ValueError) as exc:
            raise StoreUnavailable(f"database {url} is not usable: {exc}") from exc
        deadline = time.monotonic() + _OPEN_WAIT
        while True:
            try:
                cls._check_and_migrate(engine, migrate_schema)
                break
            except (OperationalError, DBAPIError) as exc:
                if _transient_lock(exc) and time.monotonic() < deadline:
                    # SQLite answers "database is locked" at once, without waiting, in a few cases
                    # (a new file changing to WAL while another process does the same): try again
                    engine.dispose()
                    time.sleep(0.2)
                    continue
                engine.dispose()
                raise StoreUnavailable(f"database {engine.url.render_as_string(hide_password=True)} is not usable: {exc.orig}") from exc
        return cls(engine)

    @staticmethod
    def _check_and_migrate(engine: Engine, migrate_schema: bool) -> None:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        if migrate_schema and current_revision(engine) != head_revision():
            from catalog.locks import run_lock

            with run_lock(engine, "migrate", wait=300):  # two processes opening a new store at once
                if current_revision(engine) != head_revision():
                    migrate(engine)

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on any error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def tables(self) -> list[str]:
        return sorted(inspect(self.engine).get_table_names())

    def close(self) -> None:
        self.engine.dispose()

    def status(self) -> StoreStatus:
        """Where the store is, its schema revision against the newest, and how many rows it holds."""
        from sqlalchemy import func, select

        from catalog.models import Entry, EntryVersion, FindingRow, ReceivedFile

        with self.session() as session:
            counts = {
                "entries": session.scalar(select(func.count()).select_from(Entry)) or 0,
                "entry versions": session.scalar(select(func.count()).select_from(EntryVersion)) or 0,
                "received files": session.scalar(select(func.count()).select_from(ReceivedFile)) or 0,
                "open findings": session.scalar(
                    select(func.count()).select_from(FindingRow).where(FindingRow.is_open.is_(True))) or 0,
            }
        return StoreStatus(self.engine.url.render_as_string(hide_password=True), current_revision(self.engine),
                           head_revision(), counts)


@dataclass(frozen=True)
class StoreStatus:
    """What ``inventur db status`` shows: the database (no password), its revision and the newest one, counts."""

    url: str
    revision: str | None
    newest: str | None
    counts: dict[str, int]
