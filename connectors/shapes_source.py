"""The official DCAT-AP.de validation material, fetched from where GovData publishes it.

GovData checks deliveries with the ITB validator configured in its repository
GovDataOfficial/DCAT-AP.de-SHACL-Validation (``validator/resources/config.properties``). The material
is not ours to ship, so ``inventur shapes fetch`` takes it from there, the way that validator does:

- the repository as one archive (tar.gz); GitHub's archives name their commit in the archive header
  (``git archive`` writes it), which is recorded as the version;
- per profile, the shape files the configuration lists and the remote shape files it names
  (``validator.shaclFile.<type>.remote.N.url``: SEMIC's DCAT-AP shapes the German rules build on):
  ``shapes-2.0`` is "DCAT-AP.de 2.0 + Konventionen" (``v20_de_spec_implr``), ``shapes-3.0`` is
  "DCAT-AP.de 3.0" (``v30_de_spec``);
- what those shapes import (``owl:imports``): the FOAF, vCard and ORG ontologies from the repository's
  own ``mirror/`` folder into ``ontologies/``, every other import (the EU authority tables, the
  dcat-ap.de licences and contributor IDs, ...) downloaded into ``vocab/``, reduced to what the shapes
  test on a value: its concepts with their scheme, notation and German/English label.

Everything is written into a new folder beside the target and swapped in only when every file was
fetched, so a failed fetch leaves the material of the last one in place. ``SOURCE.json`` in the folder
records the source, the commit, the time, and every file with where it came from and its checksum.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import shutil
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import requests

from catalog.errors import RemoteUnavailableError

PROFILES: dict[str, str] = {"shapes-2.0": "v20_de_spec_implr", "shapes-3.0": "v30_de_spec"}
"""Our folder of each profile and the validator's type of it in ``config.properties``."""

MANIFEST = "SOURCE.json"
MAX_BYTES = 200 * 1024 * 1024
"""Largest download accepted: far above the repository archive (under 1 MB) and the code lists."""

USER_AGENT = "inventur-shapes-fetch/1.0 (+open-data inventory of München, Augsburg, Nürnberg)"
_RDF_ACCEPT = "text/turtle, application/rdf+xml;q=0.9, application/ld+json;q=0.8, application/n-triples;q=0.7"
_RESOURCES = "validator/resources/"
_MIRROR = "validator/resources/mirror/"
_FORMATS = {"text/turtle": "turtle", "application/x-turtle": "turtle", "application/rdf+xml": "xml",
            "application/xml": "xml", "text/xml": "xml", "application/ld+json": "json-ld",
            "application/n-triples": "nt", "text/plain": "nt"}

Progress = Callable[[str], None]


class ShapesFetchError(RemoteUnavailableError):
    """The material could not be fetched completely; the folder keeps what it held before."""


@dataclass
class FetchedMaterial:
    """What ``fetch_material`` wrote: the folder, the source and commit, and the files per part."""

    folder: Path
    source: str
    commit: str | None
    fetched_at: str
    files: list[dict[str, Any]] = field(default_factory=list)

    def count(self, part: str) -> int:
        return sum(1 for f in self.files if f["path"].split("/", 1)[0] == part)


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The ``SOURCE.json`` of a fetched folder, or None (not fetched, or put there by hand)."""
    path = Path(folder) / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def parse_properties(text: str) -> dict[str, str]:
    """A Java ``.properties`` file (``key = value``, ``#``/``!`` comments, ``\\`` continuations)."""
    out: dict[str, str] = {}
    pending = ""
    for raw in text.splitlines():
        line = raw.strip() if not pending else raw.lstrip()
        if not pending and (not line or line[0] in "#!"):
            continue
        if line.endswith("\\") and not line.endswith("\\\\"):
            pending += line[:-1]
            continue
        line, pending = pending + line, ""
        match = re.match(r"([^=:\s]+)\s*[=:\s]\s*(.*)$", line)
        if match:
            out[match[1]] = match[2].strip()
    return out


def profile_files(config: dict[str, str], validator_type: str) -> tuple[list[str], list[str]]:
    """The repository files (relative to ``validator/resources/``) and remote URLs of one validator type."""
    listed = config.get(f"validator.shaclFile.{validator_type}", "")
    local = [p.strip() for p in listed.split(",") if p.strip()]
    remote: list[str] = []
    index = 0
    while f"validator.shaclFile.{validator_type}.remote.{index}.url" in config:
        remote.append(config[f"validator.shaclFile.{validator_type}.remote.{index}.url"])
        index += 1
    return local, remote


class _Archive:
    """The repository archive in memory: its files by path below the top folder, and its commit."""

    def __init__(self, data: bytes) -> None:
        self.files: dict[str, bytes] = {}
        try:
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
                comment = tar.pax_headers.get("comment", "")
                self.commit = comment if re.fullmatch(r"[0-9a-f]{40}", comment or "") else None
                for member in tar:
                    if not member.isfile():
                        continue
                    parts = PurePosixPath(member.name).parts
                    inner = "/".join(parts[1:])
                    if inner.startswith(_RESOURCES) and ".." not in parts:
                        handle = tar.extractfile(member)
                        if handle is not None:
                            self.files[inner] = handle.read()
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise ShapesFetchError(f"the source is not a readable tar.gz archive: {exc}") from exc
        if _RESOURCES + "config.properties" not in self.files:
            raise ShapesFetchError(
                "the archive holds no validator/resources/config.properties: it is not an archive of "
                "GovData's validator repository (GovDataOfficial/DCAT-AP.de-SHACL-Validation)"
            )


def _download(session: requests.Session, url: str, timeout: float, accept: str = "*/*") -> tuple[bytes, str]:
    """The body of ``url`` (bounded by :data:`MAX_BYTES`) and its content type; ShapesFetchError otherwise."""
    try:
        with session.get(url, timeout=timeout, stream=True, headers={"Accept": accept}) as response:
            if response.status_code != 200:
                raise ShapesFetchError(f"{url}: HTTP {response.status_code}")
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_content(1024 * 1024):
                size += len(chunk)
                if size > MAX_BYTES:
                    raise ShapesFetchError(f"{url}: larger than {MAX_BYTES // (1024 * 1024)} MB")
                chunks.append(chunk)
            kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            return b"".join(chunks), kind
    except requests.RequestException as exc:
        raise ShapesFetchError(f"{url}: {type(exc).__name__}: {exc}") from exc


def _rdf_format(url: str, content_type: str) -> str | None:
    from rdflib.util import guess_format

    return _FORMATS.get(content_type) or guess_format(urlsplit(url).path)


def _imports(data: bytes) -> list[str]:
    """The ``owl:imports`` of a Turtle shapes file."""
    from rdflib import Graph
    from rdflib.namespace import OWL

    graph = Graph()
    graph.parse(data=data, format="turtle")
    return sorted({str(o) for o in graph.objects(None, OWL.imports)})


def reduce_code_list(data: bytes, fmt: str | None) -> tuple[bytes, int]:
    """The concepts and concept schemes of an RDF document with their type, scheme, notation and German,
    English or plain label, and the types of its named individuals, as Turtle; and how many concepts it holds. What the shapes test of a value
    is whether it is a concept in the right scheme; the rest of a table (labels in 24 languages, change
    notes) would only slow every validation down."""
    from rdflib import Graph, Literal
    from rdflib.namespace import OWL, RDF, SKOS

    source = Graph()
    formats = [fmt] if fmt else ["xml", "turtle", "json-ld"]
    error: Exception | None = None
    for candidate in formats:
        try:
            source.parse(data=data, format=candidate)
            break
        except Exception as exc:  # rdflib raises many kinds for text of another syntax
            error = exc
    else:
        raise ShapesFetchError(f"not readable as RDF ({', '.join(formats)}): {error}")
    kept = Graph()
    kept.bind("skos", SKOS)
    subjects = set(source.subjects(RDF.type, SKOS.Concept)) | set(source.subjects(RDF.type, SKOS.ConceptScheme))
    subjects |= set(source.subjects(SKOS.inScheme, None))
    for subject in subjects:
        for predicate in (RDF.type, SKOS.inScheme, SKOS.topConceptOf, SKOS.notation):
            for value in source.objects(subject, predicate):
                kept.add((subject, predicate, value))
        for label in source.objects(subject, SKOS.prefLabel):
            if isinstance(label, Literal) and label.language in (None, "de", "en"):
                kept.add((subject, SKOS.prefLabel, label))
    for individual in source.subjects(RDF.type, OWL.NamedIndividual):  # e.g. SPDX's checksum algorithms
        for kind in source.objects(individual, RDF.type):
            kept.add((individual, RDF.type, kind))
    concepts = len(set(kept.subjects(SKOS.inScheme, None)))
    return kept.serialize(format="turtle").encode("utf-8"), concepts


def _slug(url: str) -> str:
    parts = urlsplit(url)
    text = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{parts.netloc}{parts.path}").strip("_.")
    return re.sub(r"\.(rdf|ttl|owl|xml|jsonld|nt)$", "", text, flags=re.I)[:120] or "code-list"


def fetch_material(
    source: str,
    folder: Path,
    *,
    timeout: float = 60.0,
    progress: Progress = lambda _m: None,
    session: requests.Session | None = None,
) -> FetchedMaterial:
    """Fetch the validation material from ``source`` (an archive URL of GovData's validator repository,
    or a local path to one) into ``folder``; see the module's description. Raises ShapesFetchError with
    what could not be fetched; ``folder`` is then left as it was."""
    own = session is None
    http = session or requests.Session()
    http.headers.setdefault("User-Agent", USER_AGENT)
    try:
        return _fetch(source, Path(folder), timeout, progress, http)
    finally:
        if own:
            http.close()


def _fetch(source: str, folder: Path, timeout: float, progress: Progress, http: requests.Session) -> FetchedMaterial:
    if urlsplit(source).scheme in ("http", "https"):
        progress(f"downloading {source}")
        archive_bytes, _kind = _download(http, source, timeout)
    else:
        try:
            archive_bytes = Path(source).expanduser().read_bytes()
        except OSError as exc:
            raise ShapesFetchError(f"{source}: {exc}") from exc
    archive = _Archive(archive_bytes)
    config = parse_properties(archive.files[_RESOURCES + "config.properties"].decode("utf-8", "replace"))
    fetched = FetchedMaterial(folder=folder, source=source, commit=archive.commit,
                              fetched_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    outputs: dict[str, bytes] = {}

    def put(path: str, data: bytes, origin: str, **extra: Any) -> None:
        outputs[path] = data
        fetched.files.append({"path": path, "origin": origin, "sha256": hashlib.sha256(data).hexdigest(),
                              "bytes": len(data), **extra})

    imports: set[str] = set()
    for ours, validator_type in PROFILES.items():
        local, remote = profile_files(config, validator_type)
        if not local:
            raise ShapesFetchError(f"config.properties lists no shape files for {validator_type} ({ours})")
        for relative in local:
            member = _RESOURCES + relative
            if member not in archive.files:
                raise ShapesFetchError(f"config.properties names {relative}, which the archive lacks")
            data = archive.files[member]
            put(f"{ours}/{PurePosixPath(relative).name}", data, f"{source}#{member}")
            imports.update(_imports(data))
        for url in remote:
            progress(f"downloading {url}")
            data, _kind = _download(http, url, timeout, "text/turtle, */*;q=0.5")
            put(f"{ours}/{PurePosixPath(urlsplit(url).path).name}", data, url)
            imports.update(_imports(data))
    for url in sorted(imports):
        path = urlsplit(url).path
        if _MIRROR in path:
            name = path.rsplit("/", 1)[-1]
            member = _MIRROR + name
            if member not in archive.files:
                raise ShapesFetchError(f"the shapes import {url}, which the archive's mirror folder lacks")
            put(f"ontologies/{name}", archive.files[member], f"{source}#{member}")
            continue
        progress(f"downloading {url}")
        data, kind = _download(http, url, timeout, _RDF_ACCEPT)
        try:
            reduced, concepts = reduce_code_list(data, _rdf_format(url, kind))
        except ShapesFetchError as exc:
            raise ShapesFetchError(f"{url}: {exc}") from exc
        put(f"vocab/{_slug(url)}.ttl", reduced, url, concepts=concepts)
    _write(folder, outputs, fetched)
    return fetched


def _write(folder: Path, outputs: dict[str, bytes], fetched: FetchedMaterial) -> None:
    """Write into a new folder beside ``folder`` and swap it in (the old one is removed afterwards)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-new-", dir=folder.parent))
    try:
        for part in ("shapes-2.0", "shapes-3.0", "vocab", "ontologies"):
            (staging / part).mkdir()
        for path, data in outputs.items():
            (staging / path).write_bytes(data)
        manifest = {"source": fetched.source, "commit": fetched.commit, "fetched_at": fetched.fetched_at,
                    "profiles": PROFILES, "files": sorted(fetched.files, key=lambda f: f["path"])}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        staging.chmod(0o755)
        old = None
        if folder.exists():
            old = folder.with_name(f".{folder.name}-old-{staging.name.rsplit('-', 1)[-1]}")
            folder.rename(old)
        staging.rename(folder)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _local(stamp: Any) -> str:
    from catalog.localtime import local_text

    try:
        return local_text(dt.datetime.fromisoformat(str(stamp)))
    except ValueError:
        return str(stamp)


def describe(folder: Path) -> list[str]:
    """Lines that say what a material folder holds: source, commit, time, files per part."""
    manifest = read_manifest(folder)
    parts = {p: sorted(x.name for x in (folder / p).iterdir() if x.is_file()) if (folder / p).is_dir() else []
             for p in ("shapes-2.0", "shapes-3.0", "vocab", "ontologies")}
    lines = [f"folder: {folder}"]
    if manifest is None:
        lines.append("source: not recorded (not fetched by `inventur shapes fetch`)")
    else:
        lines.append(f"source: {manifest.get('source')}")
        lines.append(f"commit: {manifest.get('commit') or 'not named by the archive'}")
        lines.append(f"fetched: {_local(manifest.get('fetched_at'))}")
    lines += [f"{part}: {len(names)} files" for part, names in parts.items()]
    return lines


__all__ = [
    "MANIFEST", "PROFILES", "FetchedMaterial", "ShapesFetchError", "describe", "fetch_material",
    "parse_properties", "profile_files", "read_manifest", "reduce_code_list",
]
