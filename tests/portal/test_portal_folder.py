"""Where the portal lives and what `portal up` leaves behind: one portal per machine user, found from any
folder; `eval "$(inventur portal up)"` exports its URL and token; a second portal on a taken port starts
nothing; a failed `up` stops what it started."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from portal_support import GROUPS, LICENSES

from flows.settings import Settings
from portal.ckan_site import CKAN_VERSION, SERVER_DISTRIBUTION, SERVER_VERSION, solr_schema
from portal.errors import PortalError
from portal.extensions import extensions
from portal.layout import default_base_dir
from portal.local import COMPONENTS, PortalInfo, status, up
from portal.processes import find_processes, free_port

ROOT = Path(__file__).resolve().parents[2]


def cli(env: dict[str, str], *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**env, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "flows", *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=600)


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INVENTUR_")}
    if os.environ.get("INVENTUR_CKAN_VENV"):
        env["INVENTUR_CKAN_VENV"] = os.environ["INVENTUR_CKAN_VENV"]
    return env


@pytest.fixture
def reachable_folder() -> Iterator[Path]:
    """A new folder others may enter, as the 'postgres' user must (PostgreSQL runs as that user when the tests
    run as root)."""
    folder = Path(tempfile.mkdtemp(prefix="inventur-test-portal-folder-"))
    folder.chmod(0o711)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_the_portal_folder_does_not_depend_on_the_current_or_the_data_folder(
    reachable_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tmp_path = reachable_folder  # folders others may enter: a data folder's portal would do for root there
    monkeypatch.delenv("INVENTUR_PORTAL_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    folders = set()
    for here, data_dir in (("a", Path("inventur-data")), ("b", tmp_path / "demo" / "data")):
        (tmp_path / here).mkdir()
        monkeypatch.chdir(tmp_path / here)
        folders.add(Settings(data_dir=data_dir).portal_folder)
    assert folders == {default_base_dir()}
    if os.geteuid() == 0:  # PostgreSQL runs as 'postgres' then, which cannot enter /root
        assert default_base_dir() == Path("/var/lib/inventur/portal")
    else:
        assert default_base_dir() == tmp_path / "xdg" / "inventur" / "portal"
    assert Settings(portal_dir=tmp_path / "mine").portal_folder == tmp_path / "mine"


def test_portal_status_shows_the_same_portal_from_any_folder(reachable_folder: Path) -> None:
    tmp_path = reachable_folder
    env = clean_env()
    seen = []
    for here, data_dir in (("a", "inventur-data"), ("b", str(tmp_path / "elsewhere"))):
        (tmp_path / here).mkdir()
        done = cli({**env, "INVENTUR_DATA_DIR": data_dir}, "portal", "status", "--format", "json",
                   cwd=tmp_path / here)
        assert done.returncode == 0, done.stderr
        seen.append(json.loads(done.stdout)["base_dir"])
    assert seen[0] == seen[1] == str(default_base_dir())


@pytest.mark.portal
def test_eval_of_portal_up_exports_the_url_and_the_token(portal: PortalInfo, tmp_path: Path) -> None:
    """The README's recipe: the variables reach the programs the shell starts (e.g. `inventur publish`)."""
    env = {**clean_env(), "INVENTUR_PORTAL_DIR": str(portal.base_dir), "PYTHONPATH": str(ROOT),
           # the session portal's CKAN environment: another one would be set up and switched to
           "INVENTUR_CKAN_VENV": json.loads((portal.base_dir / "portal.json").read_text())["venv"]}
    show = "import os; print(os.environ['INVENTUR_CKAN_URL'], os.environ['INVENTUR_CKAN_TOKEN'])"
    script = f'eval "$({sys.executable} -m flows portal up)" && {sys.executable} -c "{show}"'
    done = subprocess.run(["bash", "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == [portal.url, portal.token]  # up without --port keeps the portal's port


@pytest.mark.portal
def test_a_second_portal_on_a_taken_port_fails_before_starting_anything(portal: PortalInfo, tmp_path: Path) -> None:
    port = int(portal.url.rsplit(":", 1)[1])
    other = tmp_path / "other-portal"
    with pytest.raises(PortalError) as caught:
        up(other, licenses=LICENSES, groups=GROUPS, port=port)
    assert f"taken by the local portal in {portal.base_dir}" in str(caught.value)
    assert not other.exists()
    # the same through the command line, as a user with another portal folder runs it
    done = cli({**clean_env(), "INVENTUR_PORTAL_DIR": str(other)}, "portal", "up", "--port", str(port))
    assert done.returncode == 4
    assert str(portal.base_dir) in done.stderr and "Traceback" not in done.stderr
    assert not other.exists() and not find_processes(str(other))
    assert status(portal.base_dir)["ckan"]["status"] == "running"


@pytest.fixture
def broken_ckan(portal: PortalInfo, tmp_path: Path) -> Path:
    """A CKAN environment that looks installed but whose `ckan` command fails (as a broken install would)."""
    real = Path(json.loads((portal.base_dir / "portal.json").read_text())["venv"])
    venv = tmp_path / "broken-ckan"
    site = venv / "lib" / "python3.11" / "site-packages"
    (site / "ckan" / "config" / "solr").mkdir(parents=True)
    shutil.copyfile(solr_schema(real), site / "ckan" / "config" / "solr" / "schema.xml")
    (site / f"{SERVER_DISTRIBUTION}-{SERVER_VERSION}.dist-info").mkdir()
    (venv / "bin").mkdir()
    for name in ("ckan", SERVER_DISTRIBUTION):
        script = venv / "bin" / name
        script.write_text("#!/bin/sh\necho 'this environment is broken' >&2\nexit 1\n")
        script.chmod(0o755)
    (venv / ".inventur-ckan").write_text(CKAN_VERSION + "\n")
    (venv / ".inventur-extensions").write_text(json.dumps([e.key for e in extensions(None)]))  # and its extensions
    return venv


@pytest.mark.portal
@pytest.mark.slow
def test_a_failed_up_leaves_nothing_running(broken_ckan: Path, reachable_folder: Path) -> None:
    base = reachable_folder / "portal"
    messages: list[str] = []
    with pytest.raises(PortalError, match="this environment is broken"):
        up(base, licenses=LICENSES, groups=GROUPS, port=free_port(), venv=broken_ckan, progress=messages.append)
    assert any("PostgreSQL: starting" in m for m in messages) and any("Solr: starting" in m for m in messages)
    assert [status(base)[name]["status"] for name in COMPONENTS] == ["stopped"] * 4
    assert not find_processes(str(base))
