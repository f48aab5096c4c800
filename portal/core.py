"""A core of the stand-in (CKAN uses one, ``ckan``): its index, searcher and update handling."""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from portal.documents import DocumentBuilder
from portal.index import Index
from portal.query import QueryError, compile_filter
from portal.schema import Schema
from portal.select import Params, Searcher
from portal.update import AddCommand, Command, CommitCommand, DeleteCommand

_CORE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class Core:
    """One named core: documents, index and the handlers that work on them."""

    def __init__(self, name: str, data_dir: Path, schema: Schema) -> None:
        self.name = name
        self.schema = schema
        self.builder = DocumentBuilder(schema)
        self.index = Index(data_dir / f"{name}.sqlite3", self.builder)
        self.searcher = Searcher(schema, self.index, self.builder)

    def select(self, params: Params) -> dict[str, Any]:
        """Answer ``/select``."""
        return self.searcher.select(params)

    def update(self, commands: list[Command], params: Params) -> dict[str, Any]:
        """Apply update commands atomically (all documents are validated before anything changes)."""
        started = time.perf_counter()
        now = datetime.now(UTC)
        prepared = [
            [self.builder.prepare(doc, now) for doc in command.docs]
            if isinstance(command, AddCommand)
            else []
            for command in commands
        ]
        with self.index.transaction():
            for command, docs in zip(commands, prepared, strict=True):
                if isinstance(command, AddCommand):
                    for doc in docs:
                        self.index.add(doc, command.overwrite)
                elif isinstance(command, DeleteCommand):
                    self.index.delete_docs(self.index.ids_for_keys(command.ids))
                    for query in command.queries:
                        self._delete_by_query(query, params, now)
                elif isinstance(command, CommitCommand):
                    pass  # every request is already durable and visible
        return {"responseHeader": {"status": 0, "QTime": int((time.perf_counter() - started) * 1000)}}

    def _delete_by_query(self, query: str, params: Params, now: datetime) -> None:
        if query.lstrip().startswith("{!"):
            raise QueryError("local parameters ({!...}) are not supported by the development stand-in")
        self.index.invalidate()
        matcher = compile_filter(self.schema, query, {"df": params.get("df", ["text"])}, now)
        self.index.delete_docs(sorted(matcher.docs(self.index)))
        self.index.invalidate()

    def close(self) -> None:
        """Close the index."""
        self.index.close()


class CoreRegistry:
    """Cores by name, created on first use in the data directory."""

    def __init__(self, data_dir: Path, schema: Schema) -> None:
        self.data_dir = data_dir
        self.schema = schema
        self._cores: dict[str, Core] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> Core:
        """The core called ``name`` (a new, empty one if it does not exist yet)."""
        if not _CORE_NAME.match(name):
            raise KeyError(name)
        with self._lock:
            if name not in self._cores:
                self._cores[name] = Core(name, self.data_dir, self.schema)
            return self._cores[name]

    def names(self) -> list[str]:
        """Names of the cores on disk or open."""
        on_disk = {p.name.removesuffix(".sqlite3") for p in self.data_dir.glob("*.sqlite3")}
        return sorted(on_disk | set(self._cores))

    def close(self) -> None:
        """Close every open core."""
        with self._lock:
            for core in self._cores.values():
                core.close()
            self._cores.clear()
