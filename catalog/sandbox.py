"""Run a risky function in a child process with a memory limit and a deadline.

Spreadsheet readers allocate what a file tells them to: a single cell at ``XFD1048576`` makes the xlsx
reader ask for 512 GB and abort the process, which no ``try`` can catch. Whatever reads or rewrites a
received workbook therefore runs in a :class:`Sandbox`: a child process whose address space is limited
(``RLIMIT_AS``) and which is killed when it takes longer than its deadline. An allocation failure or a
hang then ends the child, not the run: the caller gets :class:`ChildFailed` for that one file and goes
on with the next. The child is kept for the following calls (a few milliseconds each) and replaced
after a failure. Children are forked from a small fork server, never from the (threaded) caller.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, Literal, TypeVar

from catalog.errors import InventurError

T = TypeVar("T")

FailureKind = Literal["memory", "timeout", "crashed"]

DEFAULT_MEMORY_MB = 1024
DEFAULT_SECONDS = 300.0

_START_LOCK = threading.Lock()
_PRELOADED: list[str] = []


class ChildFailed(InventurError, RuntimeError):
    """The child process ran out of memory, overran its deadline or crashed (``kind``)."""

    def __init__(self, kind: FailureKind, detail: str) -> None:
        super().__init__(detail)
        self.kind: FailureKind = kind
        self.detail = detail

    def __reduce__(self) -> tuple[Any, ...]:
        return (ChildFailed, (self.kind, self.detail))


@dataclass(frozen=True)
class ChildLimits:
    """What a child may use: address space in MiB, and seconds per call."""

    memory_mb: int = DEFAULT_MEMORY_MB
    seconds: float = DEFAULT_SECONDS


def _limit_memory(memory_mb: int) -> None:
    import resource

    wanted = memory_mb * 1024 * 1024
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))


def _quiet() -> None:
    """The child writes nothing to the terminal: an aborting reader prints its allocation failure (and
    perhaps a backtrace) there; what went wrong reaches the caller as :class:`ChildFailed`."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for fd in (1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)


def _serve(conn: Connection, memory_mb: int) -> None:
    """The child's loop: call what is sent, send back ``(status, value)``; exit on EOF."""
    _quiet()
    _limit_memory(memory_mb)
    while True:
        try:
            function, args, kwargs = conn.recv()
        except (EOFError, OSError):
            return
        except MemoryError:
            os._exit(3)
        try:
            reply: tuple[str, Any] = ("ok", function(*args, **kwargs))
        except MemoryError:
            reply = ("memory", "")
        except Exception as exc:
            reply = ("raised", exc)
        try:
            conn.send(reply)
        except MemoryError:
            os._exit(3)
        except Exception as exc:  # a result or exception that cannot be pickled
            conn.send(("raised", RuntimeError(f"{type(exc).__name__}: {exc}")))
        if reply[0] == "memory":
            os._exit(0)  # a process that hit its limit may be in a bad state: the next call gets a new one


class Sandbox:
    """One child process at a time, with ``limits``; :meth:`call` runs a module-level function in it.

    ``preload`` names modules the fork server imports once, so that each new child starts warm (only
    the first sandbox of a process decides them). Not for concurrent use from several threads at once:
    calls are serialised.
    """

    def __init__(self, limits: ChildLimits | None = None, *, preload: Sequence[str] = ()) -> None:
        self.limits = limits or ChildLimits()
        self.preload = tuple(preload)
        self._process: Any = None
        self._conn: Connection | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def call(self, function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """``function(*args, **kwargs)`` in the child; its exceptions are raised here as they were.

        Raises :class:`ChildFailed` when the child runs out of memory, overruns ``limits.seconds`` or dies.
        """
        with self._lock:
            conn = self._start()
            try:
                conn.send((function, args, kwargs))
                if not conn.poll(self.limits.seconds):
                    self._stop(kill=True)
                    raise ChildFailed("timeout", f"took longer than {self.limits.seconds:g} s")
                status, value = conn.recv()
            except (EOFError, OSError) as exc:
                code = self._stop(kill=True)
                raise self._died(code) from exc
            if status == "ok":
                return value
            if status == "memory":
                self._stop(kill=False)
                raise ChildFailed("memory", f"needed more than {self.limits.memory_mb} MiB of memory")
            raise value

    def _died(self, code: int | None) -> ChildFailed:
        if code in (-signal.SIGABRT, -signal.SIGKILL, 3):
            # Rust's allocator aborts on an allocation failure; the kernel's OOM killer sends SIGKILL
            return ChildFailed("memory", f"needed more than {self.limits.memory_mb} MiB of memory (exit {code})")
        return ChildFailed("crashed", f"the reading process ended unexpectedly (exit {code})")

    def _start(self) -> Connection:
        if self._conn is not None and self._process is not None and self._process.is_alive():
            return self._conn
        self._stop(kill=True)
        context = _context(self.preload)
        parent, child = context.Pipe()
        process = context.Process(target=_serve, args=(child, self.limits.memory_mb), daemon=True,
                                  name="inventur-sandbox")
        process.start()
        child.close()
        self._process, self._conn = process, parent
        return parent

    def _stop(self, *, kill: bool) -> int | None:
        """End the child (politely, or at once) and return its exit code."""
        process, conn = self._process, self._conn
        self._process = self._conn = None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.close()
        if process is None:
            return None
        if kill and process.is_alive():
            process.kill()
        process.join(5)
        if process.is_alive():
            process.kill()
            process.join(5)
        code: int | None = process.exitcode
        with contextlib.suppress(ValueError, OSError):
            process.close()
        return code

    def close(self) -> None:
        """End the child process (it also ends on its own when this process exits)."""
        with self._lock:
            self._stop(kill=False)


def _context(preload: Sequence[str]) -> Any:
    """The fork-server context; the first caller's ``preload`` is what the server imports."""
    context = multiprocessing.get_context("forkserver")
    with _START_LOCK:
        if not _PRELOADED:
            modules = ["catalog.sandbox", *preload]
            context.set_forkserver_preload(modules)
            _PRELOADED.extend(modules)
    return context
