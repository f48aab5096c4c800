"""The Solr process of one portal: started detached, found by its pid file, stopped, asked if it answers.

``java`` runs ``Launcher.java`` (a single source file, compiled in memory as it starts) with Solr's class
path from the cache; Solr serves the portal's Solr home on 127.0.0.1 at the portal's private port, under
``/solr`` (CKAN's ``solr_url`` is ``http://127.0.0.1:<port>/solr/ckan``). The heap is bounded
(``HEAP``), the JVM exits on running out of memory rather than limping on, and the launcher stops Solr
when the pid file no longer names it, so no Solr outlives the portal it belongs to.

Like the portal's PostgreSQL (``fsync = off``), Solr trades durability for speed: it runs under
``eatmydata`` (Debian's package of that name), which turns its fsync calls into no-ops. CKAN commits
after every dataset, and a Lucene commit syncs every file of the index; on a disk shared with other jobs
that took 100 to 400 ms per commit, most of a dataset's publishing time. A development portal's index can
always be rebuilt from CKAN's database (``ckan search-index rebuild``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import requests

from portal.errors import MissingSystemPackagesError
from portal.processes import is_alive, running_pid, spawn, stop, wait_until
from portal.solr.artifacts import HERE, SolrJars
from portal.solr.configset import CORE

LAUNCHER = HERE / "Launcher.java"
LOGGING = HERE / "log4j2.xml"
HEAP = "512m"  # enough for CKAN's index of a portal of tens of thousands of datasets
START_TIMEOUT = 180.0


def find_eatmydata() -> str:
    """Path of ``eatmydata``, or an error naming the Debian package."""
    found = shutil.which("eatmydata")
    if not found:
        raise MissingSystemPackagesError(["eatmydata"], ["eatmydata"])
    return found


def ping(port: int, timeout: float = 2.0) -> bool:
    """True if the ``ckan`` core of a Solr on 127.0.0.1:``port`` answers its ping."""
    try:
        response = requests.get(f"http://127.0.0.1:{port}/solr/{CORE}/admin/ping", params={"wt": "json"},
                                timeout=timeout)
        return response.status_code == 200 and response.json().get("status") == "OK"
    except (requests.RequestException, ValueError):
        return False


class Solr:
    """The Solr server of one portal (its home is ``<base>/solr``, the index ``<base>/solr/ckan/data``)."""

    def __init__(self, base_dir: Path, log_path: Path) -> None:
        self.home = base_dir / "solr"
        self.pid_file = base_dir / "run" / "solr.pid"
        self.log_path = log_path
        self.logs = log_path.parent

    def running(self) -> int | None:
        """Pid of this portal's Solr if it runs."""
        return running_pid(self.pid_file, LAUNCHER.name, str(self.home))

    def start(self, port: int, java: str, jars: SolrJars) -> int:
        """Start Solr in the background without waiting for it; returns its pid (see :meth:`wait`)."""
        argv = [
            find_eatmydata(),
            java,
            f"@{jars.argfile}",
            "-Xms64m", f"-Xmx{HEAP}",
            "-XX:+UseSerialGC",  # one small heap: the least memory and threads besides it
            # the client compiler only: a development portal's Solr lives minutes to days, and C2's compiling
            # costs more CPU than it saves there (measured: half the start-up CPU, half the CPU per update,
            # 40 MB less memory)
            "-XX:TieredStopAtLevel=1",
            "-XX:+ExitOnOutOfMemoryError",
            "-Dfile.encoding=UTF-8",
            "-Duser.timezone=UTC",
            f"-Dlog4j2.configurationFile={LOGGING}",
            f"-Dsolr.log.dir={self.logs}",
            str(LAUNCHER),
            str(self.home),
            str(port),
            str(self.pid_file),
        ]
        return spawn(argv, self.log_path, self.pid_file, cwd=self.home)

    def wait(self, port: int, pid: int, timeout: float = START_TIMEOUT) -> None:
        """Return once the core answers; fail at once if the process ends, or after ``timeout`` seconds."""
        wait_until(lambda: ping(port), timeout=timeout, what=f"Apache Solr on port {port}",
                   log_path=self.log_path, alive=lambda: is_alive(pid), interval=0.2)

    def stop(self) -> None:
        """Stop Solr if it runs (SIGTERM lets it close the index cleanly; SIGKILL after 30 s), or the Solr
        stand-in an earlier inventur ran in its place (``python -m portal.solr``, same pid file)."""
        for pid in (self.running(), running_pid(self.pid_file, "portal.solr", str(self.home))):
            if pid is not None:
                stop(pid, timeout=30)
        self.pid_file.unlink(missing_ok=True)
