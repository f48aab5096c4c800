"""Background processes of the local portal: starting them detached, finding and stopping them.

Processes are started through ``/bin/sh ... &`` so that they are re-parented to init at once: the
calling program (a CLI command, a test session) never leaves zombies behind and may exit while the
portal keeps running. Pid files are checked against ``/proc/<pid>/cmdline`` before a process is
signalled, so a recycled pid never gets a stranger killed.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

from portal.errors import PortalError


def tail(path: Path, lines: int = 15) -> str:
    """The last lines of a log file (empty if it does not exist)."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 16_384))
            text = handle.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def read_pid(path: Path) -> int | None:
    """The pid in the first line of a pid file, if any."""
    try:
        first = path.read_text().splitlines()[0].strip()
        return int(first)
    except (OSError, ValueError, IndexError):
        return None


def is_alive(pid: int) -> bool:
    """True if ``pid`` runs and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def cmdline(pid: int) -> str:
    """The command line of a process, arguments joined by spaces."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def children(pid: int) -> list[int]:
    """The pids of the live child processes of ``pid`` (found through ``/proc/*/stat``)."""
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        if len(fields) > 1 and fields[1] == str(pid) and fields[0] != "Z":
            found.append(int(entry.name))
    return sorted(found)


def _memory_kb(pid: int) -> int:
    """Proportional set size of a process (its share of shared pages), else its resident set size."""
    for path, key in ((f"/proc/{pid}/smaps_rollup", "Pss:"), (f"/proc/{pid}/status", "VmRSS:")):
        try:
            for line in Path(path).read_text().splitlines():
                if line.startswith(key):
                    return int(line.split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return 0


def resident_mb(pid: int) -> float:
    """Memory of a process and its descendants in MB: the sum of their proportional set sizes, so that
    memory they share (PostgreSQL's buffers, the pages of CKAN's workers) is counted once."""
    total_kb, pending = 0, [pid]
    while pending:
        current = pending.pop()
        total_kb += _memory_kb(current)
        pending.extend(children(current))
    return round(total_kb / 1024, 1)


def find_processes(*markers: str) -> list[int]:
    """The pids of live processes whose command line contains every one of ``markers``."""
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            line = cmdline(int(entry.name))
            if line and all(marker in line for marker in markers) and is_alive(int(entry.name)):
                found.append(int(entry.name))
    return sorted(found)


def running_pid(pid_file: Path, *markers: str) -> int | None:
    """The pid from ``pid_file`` if that process is alive and its command line contains ``markers``."""
    pid = read_pid(pid_file)
    if pid is None or not is_alive(pid):
        return None
    line = cmdline(pid)
    if line and not all(marker in line for marker in markers):
        return None
    return pid


def spawn(
    argv: Sequence[str],
    log_path: Path,
    pid_file: Path,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> int:
    """Start ``argv`` detached, output appended to ``log_path``; writes and returns its pid."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    script = 'log=$1; shift; "$@" </dev/null >>"$log" 2>&1 & echo $!'
    try:
        result = subprocess.run(
            ["/bin/sh", "-c", script, "sh", str(log_path), *argv],
            env=dict(env) if env is not None else None,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=30,
            start_new_session=True,
            check=True,
        )
        pid = int(result.stdout.strip())
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        raise PortalError(f"cannot start {argv[0]}: {exc}", log_path) from exc
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.write_text(f"{pid}\n")
    return pid


def stop(pid: int, timeout: float = 20.0) -> None:
    """SIGTERM, then SIGKILL after ``timeout`` seconds; returns when the process is gone."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_alive(pid):
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and is_alive(pid):
        time.sleep(0.1)


def wait_until(
    check: Callable[[], bool],
    *,
    timeout: float,
    what: str,
    log_path: Path | None = None,
    alive: Callable[[], bool] | None = None,
    interval: float = 0.25,
) -> None:
    """Poll ``check`` until it is true; fail after ``timeout`` or as soon as ``alive`` turns false."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return
        if alive is not None and not alive():
            details = tail(log_path) if log_path else ""
            raise PortalError(f"{what} exited during start-up\n{details}".rstrip(), log_path)
        if time.monotonic() >= deadline:
            details = tail(log_path) if log_path else ""
            raise PortalError(
                f"{what} did not become ready within {timeout:.0f} s\n{details}".rstrip(), log_path
            )
        time.sleep(interval)


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True if nothing listens on ``host:port``; TIME_WAIT leftovers do not count (servers reuse)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(avoid: Sequence[int] = (), host: str = "127.0.0.1") -> int:
    """A currently free TCP port chosen by the kernel, not one of ``avoid``."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((host, 0))
            port = int(sock.getsockname()[1])
        if port not in avoid:
            return port
    raise PortalError("cannot find a free TCP port on 127.0.0.1")


def accepts_connections(port: int, host: str = "127.0.0.1", timeout: float = 1.0) -> bool:
    """True if a TCP connection to ``host:port`` succeeds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def file_lock(path: Path, timeout: float, what: str) -> Iterator[None]:
    """An exclusive advisory lock on ``path``, waiting at most ``timeout`` seconds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError as exc:
                if time.monotonic() >= deadline:
                    raise PortalError(f"{what} is busy (lock {path} held by another process)") from exc
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
