"""Fast checks of the portal's setup code that need no CKAN: errors, status, process handling."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from portal_support import GROUPS, LICENSES

from portal.ckan_site import masked
from portal.errors import MissingSystemPackagesError
from portal.local import COMPONENTS, down, status, up
from portal.processes import free_port, is_alive, port_is_free, running_pid, spawn, stop, wait_until


def test_missing_programs_name_the_debian_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(MissingSystemPackagesError) as caught:
        up(tmp_path / "portal", licenses=LICENSES, groups=GROUPS)
    assert "redis-server" in caught.value.packages
    assert "apt-get install -y" in str(caught.value)
    assert not (tmp_path / "portal").exists()  # nothing was created


def test_arguments_are_validated_before_anything_happens(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="licence"):
        up(tmp_path, licenses=[{"title": "no id"}], groups=GROUPS)
    with pytest.raises(ValueError, match="group"):
        up(tmp_path, licenses=LICENSES, groups=[{"title": "no name"}])


def test_status_and_down_of_a_portal_that_never_ran(tmp_path: Path) -> None:
    down(tmp_path / "nothing-here")
    report = status(tmp_path / "nothing-here")
    assert report["url"] is None
    assert [report[name]["status"] for name in COMPONENTS] == ["stopped"] * 4


def test_background_processes_are_detached_found_and_stopped(tmp_path: Path) -> None:
    marker = f"inventur-test-{time.time_ns()}"
    pid_file = tmp_path / "sleeper.pid"
    pid = spawn(
        [sys.executable, "-c", "import time, sys; print(sys.argv[1], flush=True); time.sleep(60)", marker],
        tmp_path / "sleeper.log",
        pid_file,
    )
    try:
        wait_until(lambda: marker in (tmp_path / "sleeper.log").read_text(), timeout=10, what="the sleeper")
        assert running_pid(pid_file, marker) == pid
        assert running_pid(pid_file, "some-other-program") is None  # a recycled pid is never taken for ours
    finally:
        stop(pid, timeout=5)
    assert not is_alive(pid)
    assert running_pid(pid_file, marker) is None


def test_free_ports_are_free() -> None:
    port = free_port()
    assert port_is_free(port)


def test_passwords_never_reach_the_logs() -> None:
    assert masked("sqlalchemy.url=postgresql://ckan:s3cr3t@127.0.0.1:5432/ckan") == (
        "sqlalchemy.url=postgresql://ckan:***@127.0.0.1:5432/ckan"
    )
    assert masked("password=s3cr3t") == "password=***"
