"""The README's two commands on a machine as a newcomer has it: `scripts/setup` never installs into the
system's Python (Debian's is externally managed, PEP 668), and `scripts/test` makes sure of what the tests
need even after `scripts/demo` set up without it.

The scripts run for real, in a copy of ``scripts/``; the system tools they call (dpkg-query, apt-get, the
system Python, uv) are small recording stand-ins on the PATH, so that nothing is installed. The real run
on Debian's own Python is CI's plain-clone step (``.ci/run``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
INSTALLED = ("postgresql", "redis-server", "libpq-dev", "gcc", "python3-dev", "python3-venv")


def stub(path: Path, body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/bash\n" + body + "\n", encoding="utf-8")
    path.chmod(0o755)


@pytest.fixture
def machine(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    """A copy of the project's scripts, stand-in system tools that log each call, and the environment."""
    project, bin_dir, log = tmp_path / "inventur", tmp_path / "bin", tmp_path / "calls.log"
    shutil.copytree(ROOT / "scripts", project / "scripts")
    installed = "|".join(INSTALLED)
    stub(bin_dir / "dpkg-query", f'case "${{@: -1}}" in {installed}) echo -n "install ok installed";; *) exit 1;; esac')
    stub(bin_dir / "apt-get", f'echo "apt-get $*" >> {log}')
    stub(bin_dir / "sudo", 'exec "$@"')
    # the system's Python: it makes virtual environments, and refuses pip as Debian's does (PEP 668)
    venv_python = (f'echo "venv-python $*" >> {log}\n'
                   'if [[ "$*" == *"pip install"*" uv"* ]]; then printf "#!/bin/bash\\necho uv \\"\\$*\\" >> ' + str(log)
                   + '\\n" > "$(dirname "$0")/uv"; chmod +x "$(dirname "$0")/uv"; fi')
    stub(bin_dir / "system-python",
         f'echo "system-python $*" >> {log}\n'
         'case "$*" in\n'
         '  *"pip install"*) echo "error: externally-managed-environment" >&2; exit 1;;\n'
         '  "-m venv "*) mkdir -p "$3/bin"; cp "$0.venv" "$3/bin/python";;\n'
         'esac')
    stub(bin_dir / "system-python.venv", venv_python)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path), "PYTHON": str(bin_dir / "system-python")}
    return project, log, env


def calls(log: Path) -> list[str]:
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []


def test_setup_never_installs_into_the_system_python(machine: tuple[Path, Path, dict[str, str]]) -> None:
    project, log, env = machine
    if shutil.which("uv", path=env["PATH"]):
        pytest.skip("uv is installed system-wide here: the path without uv cannot be taken")
    done = subprocess.run(["bash", str(project / "scripts" / "setup")], capture_output=True, text=True, env=env,
                          cwd=project, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    made = calls(log)
    assert not [c for c in made if c.startswith("system-python") and "pip" in c], made
    assert any(c.startswith("system-python -m venv .venv") for c in made), made
    assert any(c.startswith("venv-python -m pip install") and c.endswith(" uv") for c in made), made
    assert "uv pip install -q -p .venv -e .[dev]" in made, made


def test_test_script_installs_test_tools_after_demo_setup(machine: tuple[Path, Path, dict[str, str]]) -> None:
    """`scripts/demo` set up .venv with pytest but without LibreOffice and Chromium: `scripts/test` installs them."""
    project, log, env = machine
    venv_bin = project / ".venv" / "bin"
    stub(venv_bin / "python", f'echo "venv-python $*" >> {log}')
    stub(venv_bin / "pytest", "exit 0")
    stub(venv_bin / "uv", f'echo "uv $*" >> {log}')
    done = subprocess.run(["bash", str(project / "scripts" / "test"), "-x", "-q"], capture_output=True, text=True,
                          env=env, cwd=project, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    made = calls(log)
    installs = [c for c in made if c.startswith("apt-get") and " install " in c]
    assert installs and "libreoffice-calc-nogui" in installs[0] and "chromium" in installs[0], made
    assert made[-1] == "venv-python -m pytest -x -q", made
    assert os.access(venv_bin / "python", os.X_OK)
