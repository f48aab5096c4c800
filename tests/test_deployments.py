"""``prefect deploy --all`` of prefect.yaml against a real local Prefect server; the schedules listed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.pgserver import free_port

ROOT = Path(__file__).resolve().parents[1]
PREFECT = str(Path(sys.executable).with_name("prefect"))


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    home = tmp_path_factory.mktemp("prefect-home")
    port = free_port()
    env = {**os.environ, "PREFECT_HOME": str(home), "DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_API_URL": f"http://127.0.0.1:{port}/api", "PREFECT_UI_ENABLED": "false"}
    log = (home / "server.log").open("w")
    server = subprocess.Popen([PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)], env=env,
                              stdout=log, stderr=subprocess.STDOUT, cwd=home)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"prefect server did not start: {(home / 'server.log').read_text()[-2000:]}")
            time.sleep(0.5)
        yield env
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def prefect(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PREFECT, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_deploy_all_lists_the_schedules(prefect_server: dict[str, str]) -> None:
    created = prefect(prefect_server, "work-pool", "create", "inventur-process", "--type", "process")
    assert created.returncode == 0, created.stdout + created.stderr
    deployed = prefect(prefect_server, "--no-prompt", "deploy", "--all")
    assert deployed.returncode == 0, deployed.stdout[-3000:] + deployed.stderr[-3000:]

    declared = yaml.safe_load((ROOT / "prefect.yaml").read_text())["deployments"]
    for deployment in declared:
        flow_name = deployment["entrypoint"].rsplit(":", 1)[1].replace("_", "-")
        shown = prefect(prefect_server, "deployment", "inspect", f"{flow_name}/{deployment['name']}", "--output", "json")
        assert shown.returncode == 0, shown.stdout + shown.stderr
        data = json.loads(shown.stdout)
        crons = sorted(s["schedule"]["cron"] for s in data.get("schedules") or [])
        assert crons == sorted(s["cron"] for s in deployment.get("schedules") or []), deployment["name"]
        assert data["work_pool_name"] == "inventur-process"
        if deployment.get("schedules"):
            assert all(s["schedule"]["timezone"] == "Europe/Berlin" for s in data["schedules"])
    listed = prefect(prefect_server, "deployment", "ls")
    assert "nightly/nightly" in listed.stdout.replace(" ", "")
