"""Apache Solr's jars, resolved from Maven Central by Maven into a cache folder.

Solr is in no Debian or PyPI package; its artifacts are on Maven Central. ``pom.xml`` (next to this
module) names them: solr-core, solr-solrj and solr-test-framework, whose ``JettySolrRunner`` serves a
Solr home over HTTP. ``mvn dependency:build-classpath`` downloads them with their dependencies into
``<cache>/repository`` (about 90 MB, ten seconds here) and writes the class path; nothing is compiled.
The cache (``~/.cache/inventur/solr-9.10.1`` by default) is shared by every portal of the user, like
CKAN's environment, and is reused as long as every jar of the class path is there: later starts need
neither Maven nor the network.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from portal.errors import MissingSystemPackagesError, PortalError
from portal.processes import file_lock, tail

SOLR_VERSION = "9.10.1"
MIN_JAVA = 11  # Solr 9 runs on Java 11 and later
JAVA_PACKAGE = "openjdk-17-jre-headless"
MAVEN_PACKAGE = "maven"
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
HERE = Path(__file__).resolve().parent
POM = HERE / "pom.xml"
_MARKER = ".inventur-solr"
_JAVA_VERSION = re.compile(r'version "(\d+)(?:\.(\d+))?')


def default_cache() -> Path:
    """Where Solr's jars are kept unless the caller chooses another folder."""
    return Path.home() / ".cache" / "inventur" / f"solr-{SOLR_VERSION}"


def find_java() -> str:
    """Path of ``java`` (11 or later), or an error naming the Debian package."""
    found = shutil.which("java")
    if not found:
        raise MissingSystemPackagesError([JAVA_PACKAGE], ["java"])
    try:
        result = subprocess.run([found, "-version"], capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        raise PortalError(f"Solr: cannot run {found}: {exc}") from exc
    match = _JAVA_VERSION.search(result.stderr + result.stdout)
    if match:
        major = int(match.group(1))
        if major == 1 and match.group(2):  # "1.8.0_392"
            major = int(match.group(2))
        if major < MIN_JAVA:
            raise PortalError(
                f"Solr {SOLR_VERSION} needs Java {MIN_JAVA} or later, {found} is Java {major}; "
                f"install a newer one (apt-get install -y {JAVA_PACKAGE}) and put it first on the PATH"
            )
    return found


class SolrJars:
    """Solr's class path in a cache folder: resolved on first use, then only read."""

    def __init__(self, cache: Path) -> None:
        self.cache = cache
        self.repository = cache / "repository"
        self.classpath_file = cache / "classpath.txt"
        self.argfile = cache / "classpath.args"  # java @classpath.args: keeps command lines short
        self.marker = cache / _MARKER

    def jars(self) -> list[Path]:
        """The jars of the class path (empty if it was never resolved)."""
        try:
            text = self.classpath_file.read_text().strip()
        except OSError:
            return []
        return [Path(entry) for entry in text.split(":") if entry]

    def ready(self) -> bool:
        """True if the class path of this Solr version was resolved and every jar of it is there."""
        try:
            if self.marker.read_text().strip() != SOLR_VERSION:
                return False
        except OSError:
            return False
        jars = self.jars()
        return bool(jars) and all(jar.is_file() for jar in jars) and self.argfile.is_file()

    def ensure(self, log_path: Path, progress: Callable[[str], None]) -> None:
        """Resolve the class path with Maven unless it is there (one resolution at a time per cache)."""
        if self.ready():
            return
        self.cache.parent.mkdir(parents=True, exist_ok=True)
        with file_lock(self.cache.parent / f"{self.cache.name}.lock", timeout=1800,
                       what=f"the Solr jars in {self.cache}"):
            if self.ready():
                return
            mvn = shutil.which("mvn")
            if not mvn:
                raise MissingSystemPackagesError([MAVEN_PACKAGE], ["mvn"])
            progress(f"Solr: resolving Apache Solr {SOLR_VERSION} from Maven Central into {self.cache} "
                     "(first run only)")
            self.cache.mkdir(parents=True, exist_ok=True)
            self.marker.unlink(missing_ok=True)
            shutil.copyfile(POM, self.cache / "pom.xml")
            argv = [
                mvn, "--batch-mode", "--quiet", "--file", str(self.cache / "pom.xml"),
                f"-Dmaven.repo.local={self.repository}",
                f"{DEPENDENCY_PLUGIN}:build-classpath",
                f"-Dmdep.outputFile={self.classpath_file}",
            ]
            log_path.parent.mkdir(parents=True, exist_ok=True)
            with log_path.open("a") as log:
                log.write(f"$ {' '.join(argv)}\n")
                log.flush()
                try:
                    result = subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT, cwd=self.cache,
                                            timeout=1800, check=False)
                except (OSError, subprocess.SubprocessError) as exc:
                    raise PortalError(f"Solr: Maven failed: {exc}", log_path) from exc
            jars = self.jars()
            if result.returncode != 0 or not jars:
                raise PortalError(
                    f"Solr: Maven could not resolve Apache Solr {SOLR_VERSION} from Maven Central "
                    f"(exit {result.returncode}):\n{tail(log_path)}", log_path
                )
            missing = [str(jar) for jar in jars if not jar.is_file()]
            if missing:
                raise PortalError(f"Solr: Maven listed jars it did not download: {', '.join(missing[:3])}",
                                  log_path)
            quoted = ":".join(str(jar) for jar in jars).replace("\\", "\\\\").replace('"', '\\"')
            self.argfile.write_text(f'--class-path\n"{quoted}"\n')
            self.marker.write_text(SOLR_VERSION + "\n")
