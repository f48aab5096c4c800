"""A department's database as a harvest source: one proposed entry per table and view.

:class:`DatabaseSource` introspects a database with SQLAlchemy's inspector (tables and views of every
schema that is not the system's own, or of the schemas asked for), counts each one's rows, and
:func:`table_record` proposes an entry per table: its name as title, its columns and row count as
description, the database as source system, and a remark that it is a proposal for the department to
confirm. The database is opened read-only (SQLite in ``mode=ro``, PostgreSQL with read-only
transactions and a statement timeout): harvesting never writes to a department's system. Every
statement has a time limit (PostgreSQL's ``statement_timeout``; for SQLite a progress handler that
interrupts it), so a view that never ends costs its row count, not the harvest.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, func, inspect, select, table
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError, SQLAlchemyError

from catalog.harvest import HarvestedRecord
from connectors.harvest.http import Deadline, SourceInvalid, SourceUnavailable

# Schemas that belong to the database system, not to a department.
SYSTEM_SCHEMAS = frozenset({"information_schema", "pg_catalog", "pg_toast", "mysql", "performance_schema", "sys"})
MAX_COLUMNS_SHOWN = 200
_DIALECTS = {"postgresql": "PostgreSQL", "sqlite": "SQLite", "mysql": "MySQL", "mariadb": "MariaDB",
             "mssql": "SQL Server", "oracle": "Oracle"}


@dataclass(frozen=True)
class Column:
    name: str
    type: str


@dataclass(frozen=True)
class TableInfo:
    """What the inspector tells about one table or view, and its row count (None: could not count)."""

    schema: str
    name: str
    kind: str  # table, view
    columns: tuple[Column, ...]
    rows: int | None
    comment: str | None = None

    @property
    def remote_id(self) -> str:
        return f"{self.schema}.{self.name}"


def _system_schema(name: str) -> bool:
    return name.lower() in SYSTEM_SCHEMAS or name.lower().startswith(("pg_temp", "pg_toast_temp"))


def _number(value: int) -> str:
    """A count as a German reader writes it (``1.234``)."""
    return f"{value:,}".replace(",", ".")


class DatabaseSource:
    """One database, opened read-only with a timeout, introspected table by table."""

    def __init__(self, url: str, *, timeout: float = 20.0, schemas: Sequence[str] = (),
                 deadline: Deadline | None = None) -> None:
        try:
            parsed = make_url(url)
        except ArgumentError as exc:
            raise SourceInvalid(f"{url!r} is no database URL (e.g. postgresql://user@host/db, sqlite:///file.db)") from exc
        self.url = parsed
        self.timeout = timeout
        self.deadline = deadline
        self._statement_started = time.monotonic()
        self.schemas = tuple(schemas)
        self.dialect = parsed.get_backend_name()
        self.source = self._display(parsed)
        self.engine = self._engine(parsed)

    @staticmethod
    def _display(url: URL) -> str:
        """The URL without its password: how entries and reports name the source."""
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            return f"sqlite:///{Path(url.database).resolve()}"
        return url.set(drivername=url.get_backend_name()).render_as_string(hide_password=True)

    @property
    def label(self) -> str:
        """The database as a department reads it: ``PostgreSQL-Datenbank „gruenflaechen“``."""
        name = Path(self.url.database).name if self.dialect == "sqlite" and self.url.database else self.url.database
        kind = _DIALECTS.get(self.dialect, self.dialect)
        where = f" auf {self.url.host}" if self.url.host else ""
        return f"{kind}-Datenbank „{name or '?'}“{where}"

    def _engine(self, url: URL) -> Engine:
        try:
            if self.dialect == "sqlite":
                path = Path(url.database or "")
                if not url.database or url.database == ":memory:" or not path.is_file():
                    raise FileNotFoundError(f"no SQLite database file at {url.database!r}")
                uri = f"{path.resolve().as_uri()}?mode=ro"
                engine = create_engine("sqlite://", creator=lambda: self._sqlite_connection(uri))
                event.listen(engine, "before_cursor_execute", self._statement_starts)
                return engine
            if self.dialect == "postgresql":
                if url.drivername == "postgresql":
                    url = url.set(drivername="postgresql+psycopg")
                options = f"-c default_transaction_read_only=on -c statement_timeout={int(self.timeout * 1000)}"
                return create_engine(url, connect_args={"connect_timeout": max(1, int(self.timeout)), "options": options})
            return create_engine(url)
        except (NoSuchModuleError, ArgumentError) as exc:
            raise SourceInvalid(f"cannot open {self.source}: {exc}") from exc

    def _sqlite_connection(self, uri: str) -> sqlite3.Connection:
        connection = sqlite3.connect(uri, uri=True, timeout=self.timeout)
        connection.set_progress_handler(self._overdue, 10_000)
        return connection

    def _statement_starts(self, *_args: object) -> None:
        self._statement_started = time.monotonic()

    def _overdue(self) -> int:
        """Non-zero (SQLite then interrupts the statement) once it ran longer than the timeout or the harvest."""
        late = time.monotonic() - self._statement_started > self.timeout
        return int(late or (self.deadline is not None and self.deadline.remaining() <= 0))

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> DatabaseSource:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def tables(self) -> list[TableInfo]:
        """Every table and view of the chosen (or all non-system) schemas, with columns and row counts."""
        try:
            return self._tables()
        except (OperationalError, DBAPIError) as exc:
            detail = str(exc.orig)[:300]
            if self.dialect == "sqlite" and "not a database" in detail:
                raise SourceInvalid(f"{self.source} is not an SQLite database ({detail})") from exc
            raise SourceUnavailable(f"the database {self.source} cannot be read: {detail}") from exc

    def _tables(self) -> list[TableInfo]:
        try:
            inspector = inspect(self.engine)
            names = inspector.get_schema_names()
            default = inspector.default_schema_name or (names[0] if names else "main")
        except (OperationalError, DBAPIError) as exc:
            if self.dialect == "sqlite":
                raise
            raise SourceUnavailable(f"the database {self.source} cannot be reached: {str(exc.orig)[:300]}") from exc
        if self.schemas:
            unknown = sorted(set(self.schemas) - set(names))
            if unknown:
                raise SourceInvalid(f"the database {self.source} has no schema {', '.join(unknown)}")
            chosen = list(self.schemas)
        else:
            chosen = [s for s in names if not _system_schema(s)] or [default]
        found: list[TableInfo] = []
        for schema in chosen:
            if self.deadline is not None:
                self.deadline.check()
            objects = [(n, "table") for n in inspector.get_table_names(schema=schema)]
            objects += [(n, "view") for n in inspector.get_view_names(schema=schema)]
            for name, kind in sorted(objects):
                if self.dialect == "sqlite" and name.startswith("sqlite_"):
                    continue
                found.append(self._describe(inspector, schema, name, kind))
        return found

    def _describe(self, inspector: Any, schema: str, name: str, kind: str) -> TableInfo:
        columns: list[Column] = []
        for column in inspector.get_columns(name, schema=schema):
            try:
                kind_text = str(column["type"])
            except Exception:  # a type the dialect cannot render
                kind_text = "?"
            columns.append(Column(str(column["name"]), kind_text))
        comment: str | None = None
        try:
            comment = (inspector.get_table_comment(name, schema=schema) or {}).get("text")
        except (NotImplementedError, SQLAlchemyError):
            comment = None
        return TableInfo(schema, name, kind, tuple(columns), self._count(schema, name), comment or None)

    def _count(self, schema: str, name: str) -> int | None:
        """The table's rows; None when counting fails or takes longer than the timeout."""
        query = select(func.count()).select_from(table(name, schema=schema))
        try:
            with self.engine.connect() as conn:
                return int(conn.execute(query).scalar_one())
        except SQLAlchemyError:
            return None

    def records(self) -> list[HarvestedRecord]:
        """One proposed entry per table and view."""
        return [table_record(info, database=self.label, source=self.source) for info in self.tables()]


def table_record(info: TableInfo, *, database: str, source: str) -> HarvestedRecord:
    """The proposed entry of one table: title, description with columns and row count, a remark."""
    noun = "Tabelle" if info.kind == "table" else "Sicht (View)"
    rows = f"{_number(info.rows)} Zeilen" if info.rows is not None else "unbekannter Zeilenzahl"
    shown = [f"{c.name} ({c.type})" for c in info.columns[:MAX_COLUMNS_SHOWN]]
    more = len(info.columns) - len(shown)
    columns = ", ".join(shown) + (f" und {more} weitere" if more > 0 else "")
    description = (
        f"{noun} „{info.schema}.{info.name}“ der {database} mit {rows}.\n"
        f"Spalten ({len(info.columns)}): {columns or 'keine'}."
    )
    if info.comment:
        description = f"{info.comment.strip()}\n\n{description}"
    raw = {
        "title": f"{noun} {info.schema}.{info.name}",
        "description": description,
        "source_system": database,
        "remarks": (
            f"Vorschlag aus der Datenbank {source}, automatisch aus ihrer Struktur erzeugt: bitte Titel, "
            "Beschreibung und die übrigen Angaben prüfen, ergänzen und bestätigen."
        ),
    }
    return HarvestedRecord(remote_id=info.remote_id, raw=raw, organization=info.schema)
