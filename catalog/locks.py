"""Named run locks: a second collect (or publish, harvest) started while one runs waits, then gives up
cleanly, so that nothing is read or written twice.

PostgreSQL: a session-level advisory lock on a dedicated connection. SQLite: an exclusive ``flock`` on a
file beside the database (all writers are on this machine).
"""

from __future__ import annotations

import contextlib
import fcntl
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, text

from catalog.errors import BusyError


class LockBusy(BusyError, RuntimeError):
    """Another run holds the lock for longer than we were willing to wait."""


def _sqlite_path(engine: Engine) -> Path | None:
    database = engine.url.database
    if not database or database == ":memory:":
        return None
    return Path(database)


@contextlib.contextmanager
def run_lock(engine: Engine, name: str, *, wait: float = 600.0, poll: float = 0.5) -> Iterator[None]:
    """Hold the lock ``name`` for the duration of the block; wait up to ``wait`` seconds for it."""
    deadline = time.monotonic() + wait
    if engine.dialect.name == "postgresql":
        key = zlib.crc32(f"inventur:{name}".encode())
        with engine.connect() as conn:
            while not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
                if time.monotonic() >= deadline:
                    raise LockBusy(f"another {name} run is still in progress (waited {wait:.0f} s); try again later")
                time.sleep(poll)
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()
        return
    path = _sqlite_path(engine)
    if path is None:
        yield
        return
    lock_file = path.with_name(f"{path.name}.{name}.lock")
    with lock_file.open("a") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockBusy(f"another {name} run is still in progress (waited {wait:.0f} s); try again later") from None
                time.sleep(poll)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
