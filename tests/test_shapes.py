"""`inventur shapes fetch`: GovData's validation material taken from an archive of its validator repository
and the files that repository's configuration and imports name, served here by a local HTTP server; then
`inventur dcat validate` uses it without `--shapes`.

The source is built the way GitHub builds it: a git repository with ``validator/resources/`` (the
validator's ``config.properties``, the profiles' shape files, the ``mirror/`` ontologies) archived with
``git archive``, which names the commit in the archive's header.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from rdflib import Graph
from rdflib.namespace import SKOS

from connectors.shapes_source import parse_properties, profile_files, reduce_code_list
from tests.conftest import SHAPES_PARTS

ROOT = Path(__file__).resolve().parents[1]
MIRROR = "https://raw.githubusercontent.com/GovDataOfficial/DCAT-AP.de-SHACL-Validation/master/validator/resources/mirror/"
PREFIXES = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix ex: <https://daten.example/> .
"""
THEMES = "http://publications.europa.eu/resource/authority/data-theme"


class Files:
    """What the local server answers: path -> (content type, bytes); everything else is a 404."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[str, bytes]] = {}
        self.requests: list[str] = []

    def add(self, path: str, data: bytes, kind: str = "application/octet-stream") -> None:
        self.routes[path] = (kind, data)


@pytest.fixture
def server() -> Iterator[tuple[str, Files]]:
    files = Files()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:
            return None

        def do_GET(self) -> None:
            files.requests.append(self.path)
            found = files.routes.get(self.path)
            if found is None:
                self.send_response(404)
                self.end_headers()
                return
            kind, data = found
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", files
    httpd.shutdown()
    httpd.server_close()


def archive(repo: Path) -> tuple[bytes, str]:
    """``repo`` committed and archived as GitHub serves it; the bytes and the commit."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                              env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
                                   "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}).stdout

    git("init", "-q")
    git("add", "-A")
    git("commit", "-q", "-m", "validator resources")
    commit = git("rev-parse", "HEAD").strip()
    data = subprocess.run(["git", "-C", str(repo), "archive", "--format=tar.gz",
                           "--prefix=DCAT-AP.de-SHACL-Validation-master/", "HEAD"], check=True, capture_output=True).stdout
    return data, commit


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def config(base: str, profiles: dict[str, tuple[list[str], list[str]]]) -> str:
    """A validator ``config.properties`` in the repository's form (type list, local files, remote URLs)."""
    lines = ["# The different types of validation to support.", f"validator.type = {', '.join(profiles)}", ""]
    for kind, (local, remote) in profiles.items():
        lines.append(f"validator.shaclFile.{kind} = {', '.join(local)}")
        for index, url in enumerate(remote):
            lines += [f"validator.shaclFile.{kind}.remote.{index}.url  = {url}",
                      f"validator.shaclFile.{kind}.remote.{index}.type = text/turtle"]
        lines.append("")
    return "\n".join(lines)


def small_source(tmp_path: Path, base: str, files: Files) -> str:
    """A small but complete source: a title rule in the repository, a theme rule in the remote shapes,
    an ontology in the mirror, and the theme list as a code list to import. Returns the commit."""
    repo = tmp_path / "repo"
    resources = repo / "validator" / "resources"
    for version in ("v2.0", "v3.0"):
        write(resources / version / "shapes" / "dcat-ap-de-imports.ttl", PREFIXES + f"""
<http://dcat-ap.de/def/dcatde/{version}/imports> a owl:Ontology ;
  owl:imports <{MIRROR}ontology.ttl> ;
  owl:imports <{base}/publications.europa.eu/resource/authority/data-theme> .
""")
        write(resources / version / "shapes" / "title.ttl", PREFIXES + """
ex:TitleShape a sh:NodeShape ; sh:targetClass dcat:Dataset ;
  sh:property [ sh:path dct:title ; sh:minCount 1 ; sh:message "dcat:Dataset: dct:title MUSS angegeben werden."@de ] .
""")
        write(resources / version / "shapes" / "not-in-profile.ttl", PREFIXES + """
ex:Never a sh:NodeShape ; sh:targetClass dcat:Dataset ; sh:property [ sh:path dct:nothing ; sh:minCount 1 ] .
""")
    write(resources / "mirror" / "ontology.ttl", PREFIXES + "dcat:Dataset a owl:Class .\n")
    remote = {v: f"{base}/semic/{v}/dcat-ap-shapes.ttl" for v in ("2.1.1", "3.0.0")}
    write(resources / "config.properties", config(base, {
        "v20_de_spec": (["v2.0/shapes/dcat-ap-de-imports.ttl"], [remote["2.1.1"]]),
        "v20_de_spec_implr": (["v2.0/shapes/dcat-ap-de-imports.ttl", "v2.0/shapes/title.ttl"], [remote["2.1.1"]]),
        "v30_de_spec": (["v3.0/shapes/dcat-ap-de-imports.ttl", "v3.0/shapes/title.ttl"], [remote["3.0.0"]]),
    }))
    theme_rule = PREFIXES + f"""
ex:ThemeShape a sh:NodeShape ; sh:targetClass dcat:Dataset ;
  sh:property [ sh:path (dcat:theme skos:inScheme) ; sh:hasValue <{THEMES}> ;
                sh:message "dcat:theme MUSS aus dem Vokabular data-theme sein."@de ] .
"""
    for url in remote.values():
        files.add(url[len(base):], theme_rule.encode(), "text/plain; charset=utf-8")
    files.add("/publications.europa.eu/resource/authority/data-theme", f"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:skos="http://www.w3.org/2004/02/skos/core#">
  <skos:ConceptScheme rdf:about="{THEMES}"><skos:prefLabel xml:lang="fr">Thèmes</skos:prefLabel></skos:ConceptScheme>
  <skos:Concept rdf:about="{THEMES}/ENVI"><skos:inScheme rdf:resource="{THEMES}"/><skos:notation>ENVI</skos:notation>
    <skos:prefLabel xml:lang="de">Umwelt</skos:prefLabel><skos:prefLabel xml:lang="fr">Environnement</skos:prefLabel>
    <skos:definition xml:lang="en">A long definition nobody validates.</skos:definition></skos:Concept>
</rdf:RDF>""".encode(), "application/rdf+xml")
    data, commit = archive(repo)
    files.add("/archive/master.tar.gz", data, "application/x-gzip")
    return commit


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flows", *args], capture_output=True, text=True, env=env,
                          timeout=300, cwd=ROOT)


def catalog(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(PREFIXES + f"ex:catalog a dcat:Catalog ; dcat:dataset ex:d1 .\nex:d1 a dcat:Dataset {body} .\n",
                    encoding="utf-8")
    return path


def test_fetch_then_validate_without_shapes_option(tmp_path: Path, cli_env: dict[str, str],
                                                   server: tuple[str, Files]) -> None:
    base, files = server
    commit = small_source(tmp_path, base, files)
    env = {**cli_env, "INVENTUR_SHAPES_SOURCE": f"{base}/archive/master.tar.gz"}
    good = catalog(tmp_path, "good.ttl", f'; dct:title "Baumkataster" ; dcat:theme <{THEMES}/ENVI>')
    bad = catalog(tmp_path, "bad.ttl", f"; dcat:theme <{THEMES}/NOPE>")

    before = run(env, "dcat", "validate", str(good))
    assert before.returncode == 2 and "inventur shapes fetch" in before.stderr, before.stderr

    done = run(env, "shapes", "fetch")
    assert done.returncode == 0, done.stderr
    folder = Path(cli_env["INVENTUR_DATA_DIR"]) / "dcat-ap-de"
    assert f"commit {commit}" in done.stdout and str(folder) in done.stdout
    assert sorted(p.name for p in (folder / "shapes-2.0").iterdir()) == [
        "dcat-ap-de-imports.ttl", "dcat-ap-shapes.ttl", "title.ttl"]  # as configured: not-in-profile.ttl is left out
    assert sorted(p.name for p in (folder / "ontologies").iterdir()) == ["ontology.ttl"]
    [vocab] = (folder / "vocab").iterdir()
    themes = Graph().parse(vocab)
    assert (None, SKOS.inScheme, None) in themes and (None, SKOS.definition, None) not in themes
    assert {str(o) for o in themes.objects(None, SKOS.prefLabel)} == {"Umwelt"}  # German kept, French dropped
    manifest = json.loads((folder / "SOURCE.json").read_text())
    assert manifest["commit"] == commit and manifest["source"] == env["INVENTUR_SHAPES_SOURCE"]
    assert {f["origin"] for f in manifest["files"] if f["path"] == "shapes-2.0/dcat-ap-shapes.ttl"} == {
        f"{base}/semic/2.1.1/dcat-ap-shapes.ttl"}

    checked = run(env, "dcat", "validate", str(good))
    assert checked.returncode == 0 and "0 violations" in checked.stdout, checked.stdout + checked.stderr
    refused = run(env, "dcat", "validate", str(bad), "--profile", "3.0")
    assert refused.returncode == 1 and "shapes-3.0: 2 violations" in refused.stdout, refused.stdout
    assert "dct:title MUSS" in refused.stdout and "data-theme" in refused.stdout

    status = run(env, "shapes", "status")
    assert status.returncode == 0 and commit in status.stdout and "shapes-3.0: 3 files" in status.stdout


def test_failed_fetch_keeps_the_material_it_had(tmp_path: Path, cli_env: dict[str, str],
                                                server: tuple[str, Files]) -> None:
    base, files = server
    small_source(tmp_path, base, files)
    env = {**cli_env, "INVENTUR_SHAPES_SOURCE": f"{base}/archive/master.tar.gz"}
    assert run(env, "shapes", "fetch").returncode == 0
    folder = Path(cli_env["INVENTUR_DATA_DIR"]) / "dcat-ap-de"
    manifest = (folder / "SOURCE.json").read_text()

    del files.routes["/publications.europa.eu/resource/authority/data-theme"]
    failed = run(env, "shapes", "fetch")
    assert failed.returncode == 4
    assert "data-theme: HTTP 404" in failed.stderr and "is unchanged" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert (folder / "SOURCE.json").read_text() == manifest
    assert [p.name for p in folder.parent.iterdir() if p.name.startswith(".dcat-ap-de")] == []  # nothing left over

    unreachable = run({**env, "INVENTUR_SHAPES_SOURCE": "http://127.0.0.1:9/archive.tar.gz", "INVENTUR_HTTP_TIMEOUT": "2"},
                      "shapes", "fetch")
    assert unreachable.returncode == 4 and "127.0.0.1:9" in unreachable.stderr and "Traceback" not in unreachable.stderr
    not_ours = tmp_path / "other.tar.gz"
    not_ours.write_bytes(b"not an archive")
    wrong = run(env, "shapes", "fetch", "--source", str(not_ours))
    assert wrong.returncode == 4 and "not a readable tar.gz archive" in wrong.stderr


def test_config_properties_as_the_validator_reads_them() -> None:
    text = ("# comment\n! other comment\nvalidator.type = a, b\n"
            "validator.shaclFile.b = v2.0/x.ttl, \\\n    v2.0/y.ttl\n"
            "validator.shaclFile.b.remote.0.url  = https://r.example/s.ttl\n"
            "validator.shaclFile.b.remote.1.url:https://r.example/t.ttl\n")
    config = parse_properties(text)
    assert config["validator.type"] == "a, b"
    assert profile_files(config, "b") == (["v2.0/x.ttl", "v2.0/y.ttl"], ["https://r.example/s.ttl", "https://r.example/t.ttl"])
    assert profile_files(config, "missing") == ([], [])


def test_code_lists_keep_concepts_scheme_and_individuals() -> None:
    turtle = b"""@prefix skos: <http://www.w3.org/2004/02/skos/core#> . @prefix owl: <http://www.w3.org/2002/07/owl#> .
    <http://x/s> a skos:ConceptScheme . <http://x/s/A> skos:inScheme <http://x/s> ; skos:prefLabel "A"@en, "A"@it .
    <http://spdx/sha1> a owl:NamedIndividual, <http://spdx/ChecksumAlgorithm> ; <http://x/other> "dropped" ."""
    reduced, concepts = reduce_code_list(turtle, "turtle")
    graph = Graph().parse(data=reduced, format="turtle")
    assert concepts == 1 and len(graph) == 5  # scheme; A in it, its English label; sha1 with its two types


# ----------------------------------------------------------------- the real material, from a replica of its source


def replica_source(tmp_path: Path, base: str, files: Files, material: Path) -> None:
    """GovData's repository as it is laid out, with the material's files in their places; the remote shapes
    and every import are served from the material under their original host and path."""
    resources = tmp_path / "replica" / "validator" / "resources"
    local: dict[str, list[str]] = {}
    remote: dict[str, list[str]] = {}
    semic = {"shapes-2.0": "dcat-ap_2.1.1_shacl_shapes.ttl", "shapes-3.0": "dcat-ap-SHACL.ttl"}
    for profile, version in (("shapes-2.0", "v2.0"), ("shapes-3.0", "v3.0")):
        local[profile], remote[profile] = [], []
        for shape in sorted((material / profile).glob("*.ttl")):
            text = shape.read_text(encoding="utf-8")
            if shape.name == semic[profile]:
                url = f"{base}/raw.githubusercontent.com/init-dcat-ap-de/DCAT-AP/{version}/{shape.name}"
                files.add(url[len(base):], text.encode(), "text/plain")
                remote[profile].append(url)
                continue
            # imports of other hosts come from the local server, under their host and path
            text = text.replace("<http://", f"<{base}/").replace("<https://", f"<{base}/") if "owl:imports" in text else text
            text = text.replace(f"{base}/raw.githubusercontent.com/GovDataOfficial/", "https://raw.githubusercontent.com/GovDataOfficial/")
            write(resources / version / "shapes" / shape.name, text)
            local[profile].append(f"{version}/shapes/{shape.name}")
    for ontology in (material / "ontologies").iterdir():
        (resources / "mirror").mkdir(parents=True, exist_ok=True)
        shutil.copy(ontology, resources / "mirror" / ontology.name)
    write(resources / "config.properties", config(base, {
        "v20_de_spec_implr": (local["shapes-2.0"], remote["shapes-2.0"]),
        "v30_de_spec": (local["shapes-3.0"], remote["shapes-3.0"])}))
    vocab = material / "vocab"
    choose: list[tuple[Callable[[str], bool], Path, str]] = [
        (lambda p: "licenses" in p, vocab / "dcat-ap-de-licenses.rdf", "application/rdf+xml"),
        (lambda p: "contributors" in p, vocab / "dcat-ap-de-contributors.rdf", "application/rdf+xml"),
        (lambda p: True, vocab / "eu-authority-codes.ttl", "text/turtle"),
    ]
    for shape in resources.rglob("*imports.ttl"):
        for url in {str(o) for o in Graph().parse(shape).objects(None, None) if str(o).startswith(base)}:
            path = url[len(base):]
            source, kind = next((f, k) for test, f, k in choose if test(path))
            files.add(path, source.read_bytes(), kind)
    data, _commit = archive(tmp_path / "replica")
    files.add("/archive/master.tar.gz", data, "application/x-gzip")


def test_fetched_material_judges_as_the_reference(tmp_path: Path, dcat_material: Path, server: tuple[str, Files]) -> None:
    """Fetched from a replica of its source, the official material finds in an export what the reference
    copy finds: the same counts per severity under both profiles."""
    from catalog.dcat.shacl import validate
    from connectors.shapes_source import fetch_material

    base, files = server
    replica_source(tmp_path, base, files, dcat_material)
    fetched = fetch_material(f"{base}/archive/master.tar.gz", tmp_path / "fetched", timeout=30)
    assert all((fetched.folder / part).is_dir() for part in SHAPES_PARTS)
    broken = catalog(tmp_path, "broken.ttl", "; dct:title \"Ohne Beschreibung\" ; dcat:theme <http://x.example/theme>")
    for profile in ("shapes-2.0", "shapes-3.0"):
        ours = validate(broken, fetched.folder / profile)
        reference = validate(broken, dcat_material / profile)
        assert ours.counts == reference.counts and ours.violations > 0, (profile, ours.counts, reference.counts)
        assert {r.rule for r in ours} == {r.rule for r in reference}
