"""Run a command and measure what it took: wall time, and the peak memory of it and every process it starts.

The peak is the largest ``VmHWM`` (a process's own high-water mark of resident memory) seen among the
command's descendants, read from ``/proc`` every few milliseconds, and the command's own ``ru_maxrss``
when it ends. A child that lives only a moment may be missed by the polling; the reading sandbox's
children are bounded by their address-space limit anyway.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Measured:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(parent, []).append(int(entry.name))
    return tree


def _descendants(pid: int) -> list[int]:
    tree = _children()
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(tree.get(current, []))
    return found


def _hwm_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def run_measured(command: list[str], *, env: dict[str, str], cwd: Path, timeout: float) -> Measured:
    """Run ``command``; kill it (and fail) after ``timeout`` seconds."""
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out: list[str] = []
    err: list[str] = []
    readers = [threading.Thread(target=lambda: out.append(process.stdout.read()), daemon=True),  # type: ignore[union-attr]
               threading.Thread(target=lambda: err.append(process.stderr.read()), daemon=True)]  # type: ignore[union-attr]
    for reader in readers:
        reader.start()
    peak_kb = 0
    status = None
    while status is None:
        for pid in _descendants(process.pid):
            peak_kb = max(peak_kb, _hwm_kb(pid))
        waited, code, usage = os.wait4(process.pid, os.WNOHANG)
        if waited:
            status = code
            peak_kb = max(peak_kb, usage.ru_maxrss)
            break
        if time.monotonic() - started > timeout:
            for pid in reversed(_descendants(process.pid)):
                with contextlib.suppress(OSError):
                    os.kill(pid, 9)
            os.wait4(process.pid, 0)
            raise AssertionError(f"{' '.join(command[:4])} ... did not end within {timeout} s")
        time.sleep(0.02)
    process.returncode = os.waitstatus_to_exitcode(status)
    for reader in readers:
        reader.join(30)
    return Measured(process.returncode, "".join(out), "".join(err), time.monotonic() - started, peak_kb / 1024)
