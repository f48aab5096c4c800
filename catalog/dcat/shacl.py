"""Offline SHACL validation of DCAT-AP.de output, set up the way GovData's official validator runs it.

The official validator (ITB, "DCAT-AP.de 2.0 + Konventionen" and "DCAT-AP.de 3.0") is reproduced with
pyshacl as ``dcat-ap-de/README.md`` in the shared folder describes it:

- every ``.ttl`` of ONE profile folder (``shapes-2.0`` or ``shapes-3.0``) is the shapes graph;
- the code lists (``vocab/*``) are merged into the DATA graph, because the vocabulary shapes test
  ``skos:inScheme`` on the value itself and pyshacl only takes class axioms from ``ont_graph``;
- the ontologies (``ontologies/*``: FOAF, vCard, ORG) are the ``ont_graph``, with RDFS inference, so that
  ``vcard:Organization`` counts as a ``vcard:Kind`` and ``foaf:Organization`` as a ``foaf:Agent``;
- ``allow_warnings=True`` and ``advanced=True``; results are counted by ``sh:resultSeverity``.

pyshacl is imported inside :func:`validate` only: it pulls in owlrl and takes a while to import, and most
commands of the pipeline never validate.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal, cast

from rdflib import BNode, Graph, URIRef
from rdflib import Literal as RdfLiteral
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH
from rdflib.term import Node
from rdflib.util import guess_format

Severity = Literal["Violation", "Warning", "Info"]

SEVERITIES: tuple[Severity, ...] = ("Violation", "Warning", "Info")

# Prefixes used to print focus nodes, paths and shapes compactly.
_PREFIXES: dict[str, str] = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "dcatde": "http://dcat-ap.de/def/dcatde/",
    "dcatde3": "http://dcat-ap.de/def/dcatde/3.0/shacl/",
    "dcatap": "http://data.europa.eu/r5r/",
    "dcatap2": "http://data.europa.eu/r5r#",
    "semic3": "https://semiceu.github.io/DCAT-AP/releases/3.0.0/shacl/dcat-ap-SHACL.ttl#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "adms": "http://www.w3.org/ns/adms#",
    "locn": "http://www.w3.org/ns/locn#",
    "prov": "http://www.w3.org/ns/prov#",
    "spdx": "http://spdx.org/rdf/terms#",
    "eli": "http://data.europa.eu/eli/ontology#",
    "time": "http://www.w3.org/2006/time#",
    "schema": "http://schema.org/",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "sh": "http://www.w3.org/ns/shacl#",
}

_RDF_SUFFIXES = (".ttl", ".rdf", ".owl", ".xml", ".nt", ".n3", ".jsonld")


@dataclass(frozen=True)
class ShaclResult:
    """One SHACL validation result, flattened to printable strings."""

    severity: Severity
    focus_node: str
    path: str | None
    source_shape: str
    message: str
    value: str | None = None
    constraint: str | None = None

    @property
    def rule(self) -> str:
        """What identifies the rule that fired: the named shape, or (for anonymous shapes) path and message.

        Named shapes carry the convention in their name (``dcatde:Konv12_13_contributorID_v_List``); anonymous
        ones (nested ``sh:property`` blank nodes, as in the vocabulary checks) are told apart by their message.
        """
        if not self.source_shape.startswith("_:"):
            return self.source_shape
        return f"{self.path or '?'}: {self.message}"


@dataclass(frozen=True)
class RuleSummary:
    """All results of one rule: how often it fired and on which nodes (a few examples)."""

    severity: Severity
    rule: str
    path: str | None
    message: str
    count: int
    examples: tuple[str, ...]


@dataclass
class ShaclReport:
    """The outcome of one validation run against one profile."""

    profile: str
    results: list[ShaclResult] = field(default_factory=list)
    seconds: float = 0.0
    data_triples: int = 0

    @property
    def counts(self) -> dict[Severity, int]:
        """Number of results per severity, always with all three keys."""
        found = Counter(r.severity for r in self.results)
        return {s: found.get(s, 0) for s in SEVERITIES}

    @property
    def violations(self) -> int:
        return self.counts["Violation"]

    @property
    def warnings(self) -> int:
        return self.counts["Warning"]

    @property
    def infos(self) -> int:
        return self.counts["Info"]

    @property
    def conforms(self) -> bool:
        """True when nothing is a Violation (warnings and infos do not block a delivery)."""
        return self.violations == 0

    def __iter__(self) -> Iterator[ShaclResult]:
        return iter(self.results)

    def of(self, severity: Severity) -> list[ShaclResult]:
        """The results of one severity."""
        return [r for r in self.results if r.severity == severity]

    def by_rule(self, examples: int = 3) -> list[RuleSummary]:
        """Results grouped by rule, most severe first, then most frequent first."""
        groups: dict[tuple[Severity, str], list[ShaclResult]] = {}
        for result in self.results:
            groups.setdefault((result.severity, result.rule), []).append(result)
        summaries = [
            RuleSummary(
                severity=severity,
                rule=rule,
                path=members[0].path,
                message=members[0].message,
                count=len(members),
                examples=tuple(dict.fromkeys(m.focus_node for m in members))[:examples],
            )
            for (severity, rule), members in groups.items()
        ]
        summaries.sort(key=lambda s: (SEVERITIES.index(s.severity), -s.count, s.rule))
        return summaries

    def summary(self, examples: int = 2) -> str:
        """A plain-text report for the terminal: the counts, then one block per rule."""
        counts = self.counts
        lines = [
            f"{self.profile}: {counts['Violation']} violations, {counts['Warning']} warnings, "
            f"{counts['Info']} infos ({self.data_triples} triples, {self.seconds:.1f} s)"
        ]
        for group in self.by_rule(examples):
            lines.append(f"  [{group.severity}] x{group.count} {group.rule}")
            if group.path and group.path not in group.rule:
                lines.append(f"      path: {group.path}")
            if group.message not in group.rule:
                lines.append(f"      {group.message}")
            lines.append(f"      e.g. {', '.join(group.examples)}")
        return "\n".join(lines)


def _rdf_files(folder: Path, suffixes: Iterable[str]) -> tuple[Path, ...]:
    return tuple(sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in tuple(suffixes)))


def _parse_files(files: Iterable[Path]) -> Graph:
    graph = Graph()
    for path in files:
        graph.parse(path, format=guess_format(str(path)) or "turtle")
    return graph


def _stamp(files: tuple[Path, ...]) -> tuple[tuple[str, float, int], ...]:
    """A cache key that changes when a file is replaced or edited."""
    return tuple((str(p.resolve()), p.stat().st_mtime, p.stat().st_size) for p in files)


@lru_cache(maxsize=16)
def _cached_graph(stamp: tuple[tuple[str, float, int], ...]) -> Graph:
    # Parsing the 3.0 shapes and the code lists takes about a second; a test session validates many times.
    return _parse_files(Path(name) for name, _, _ in stamp)


def _load(files: tuple[Path, ...]) -> Graph:
    """A fresh copy of the parsed files: pyshacl adds axioms to the graphs it is given, the cache stays clean."""
    return _copy(_cached_graph(_stamp(files)))


def _copy(source: Graph) -> Graph:
    graph = Graph()
    for triple in source:
        graph.add(triple)
    return graph


# Longest namespace first, so that ``dcatde3:`` wins over ``dcatde:``.
_BY_LENGTH: tuple[tuple[str, str], ...] = tuple(sorted(_PREFIXES.items(), key=lambda item: -len(item[1])))


def _show(node: Node | None) -> str | None:
    """A compact, printable form of a node: ``prefix:rest``, the full IRI, ``_:bnode`` or the literal text."""
    if node is None:
        return None
    if isinstance(node, URIRef):
        text = str(node)
        for prefix, namespace in _BY_LENGTH:
            if text.startswith(namespace) and len(text) > len(namespace):
                return f"{prefix}:{text[len(namespace):]}"
        return text
    if isinstance(node, BNode):
        return f"_:{node}"
    return str(node)


def _show_path(graph: Graph, node: Node | None) -> str | None:
    """Render a SHACL property path (predicate, alternative, sequence, inverse) from the results graph."""
    if node is None:
        return None
    if isinstance(node, URIRef):
        return _show(node)
    alternatives = graph.value(node, SH.alternativePath)
    if alternatives is not None:
        return "(" + " | ".join(_show_path(graph, n) or "?" for n in Collection(graph, alternatives)) + ")"
    inverse = graph.value(node, SH.inversePath)
    if inverse is not None:
        return "^" + (_show_path(graph, inverse) or "?")
    for predicate, mark in ((SH.zeroOrMorePath, "*"), (SH.oneOrMorePath, "+"), (SH.zeroOrOnePath, "?")):
        inner = graph.value(node, predicate)
        if inner is not None:
            return (_show_path(graph, inner) or "?") + mark
    if graph.value(node, RDF.first) is not None:
        return "/".join(_show_path(graph, n) or "?" for n in Collection(graph, node))
    return _show(node)


def _message(graph: Graph, result: Node) -> str:
    """The result's message, preferring German (the shapes speak German), else any, else the constraint."""
    messages = [m for m in graph.objects(result, SH.resultMessage) if isinstance(m, RdfLiteral)]
    for wanted in ("de", None, "en"):
        for message in messages:
            if message.language == wanted:
                return str(message)
    if messages:
        return str(messages[0])
    return _show(graph.value(result, SH.sourceConstraintComponent)) or ""


def _results(graph: Graph) -> list[ShaclResult]:
    """The top-level results of the report; nested ``sh:detail`` results explain their parent and do not count."""
    out: list[ShaclResult] = []
    for report in graph.subjects(RDF.type, SH.ValidationReport):
        out.extend(_result(graph, result) for result in graph.objects(report, SH.result))
    out.sort(key=lambda r: (SEVERITIES.index(r.severity), r.rule, r.focus_node))
    return out


def _result(graph: Graph, result: Node) -> ShaclResult:
    severity = graph.value(result, SH.resultSeverity)
    name = str(severity).rsplit("#", 1)[-1] if severity is not None else "Violation"
    return ShaclResult(
        severity=cast(Severity, name if name in SEVERITIES else "Violation"),
        focus_node=_show(graph.value(result, SH.focusNode)) or "?",
        path=_show_path(graph, graph.value(result, SH.resultPath)),
        source_shape=_show(graph.value(result, SH.sourceShape)) or "?",
        message=_message(graph, result),
        value=_show(graph.value(result, SH.value)),
        constraint=_show(graph.value(result, SH.sourceConstraintComponent)),
    )


HVD_SHAPES = "hvd-SHACL.ttl"
"""The file of the DCAT-AP HVD shapes in their release folder (beside it: the same rules split in two, and
SEMIC's examples, which are data, not shapes)."""


def is_hvd_folder(folder: Path) -> bool:
    """Whether ``folder`` holds the DCAT-AP HVD shapes (rather than a DCAT-AP.de profile)."""
    return (Path(folder) / HVD_SHAPES).is_file()


def validate_hvd(data: Graph | Path, hvd_dir: Path) -> ShaclReport:
    """Validate ``data`` against the DCAT-AP HVD 3.0.0 shapes of ``hvd_dir`` (``hvd-SHACL.ttl``).

    The HVD release brings no ontologies and no code lists: the data must type the nodes it links (licence
    documents, concepts, contact points), which the export does for HVD datasets. RDFS inference makes
    every resource an ``rdfs:Resource``, as the range checks of the shapes expect. Every HVD shape targets
    all datasets, so validate the HVD part of a catalog (``inventur dcat export --scope hvd``), not all of
    it. Raises ``FileNotFoundError`` when the shapes are missing.
    """
    from pyshacl import validate as pyshacl_validate

    shapes_file = Path(hvd_dir) / HVD_SHAPES
    if not shapes_file.is_file():
        raise FileNotFoundError(f"DCAT-AP HVD shapes not found: {shapes_file}")
    shapes = _load((shapes_file,))
    if isinstance(data, Graph):
        data_graph = _copy(data)
    else:
        data_graph = Graph()
        data_graph.parse(Path(data), format=guess_format(str(data)) or "turtle")
    triples = len(data_graph)
    started = time.perf_counter()
    _conforms, results_graph, _text = pyshacl_validate(
        data_graph, shacl_graph=shapes, inference="rdfs", allow_warnings=True, advanced=True, inplace=True,
    )
    return ShaclReport(profile=Path(hvd_dir).name, results=_results(results_graph),
                       seconds=time.perf_counter() - started, data_triples=triples)


def validate(
    data: Graph | Path,
    shapes_dir: Path,
    *,
    vocab_dir: Path | None = None,
    ontologies_dir: Path | None = None,
    extra_vocab: Iterable[Path] = (),
) -> ShaclReport:
    """Validate ``data`` against the profile in ``shapes_dir`` as GovData's validator does.

    ``data`` is a graph or an RDF file (format from its suffix). ``vocab_dir`` and ``ontologies_dir``
    default to the folders ``vocab`` and ``ontologies`` beside ``shapes_dir``. ``extra_vocab`` adds code-list
    files that the official validator imports but the shared folder lacks (e.g. the municipality keys:
    without them every ``dcatde:politicalGeocodingURI`` is a 2.0 Warning). The caller's graph is not
    changed: the code lists are merged into a copy. Raises ``FileNotFoundError`` when a folder is missing,
    since a validation without its shapes or code lists would report nonsense.
    """
    from pyshacl import validate as pyshacl_validate

    shapes_dir = Path(shapes_dir)
    vocab_dir = Path(vocab_dir) if vocab_dir is not None else shapes_dir.parent / "vocab"
    ontologies_dir = Path(ontologies_dir) if ontologies_dir is not None else shapes_dir.parent / "ontologies"
    for folder in (shapes_dir, vocab_dir, ontologies_dir):
        if not folder.is_dir():
            raise FileNotFoundError(f"SHACL material folder not found: {folder}")
    shape_files = _rdf_files(shapes_dir, (".ttl",))
    if not shape_files:
        raise FileNotFoundError(f"no .ttl shapes in {shapes_dir}")

    shapes = _load(shape_files)
    ontologies = _load(_rdf_files(ontologies_dir, _RDF_SUFFIXES))
    vocab = _cached_graph(_stamp(_rdf_files(vocab_dir, _RDF_SUFFIXES) + tuple(Path(p) for p in extra_vocab)))

    if isinstance(data, Graph):
        data_graph = _copy(data)
    else:
        data_graph = Graph()
        data_graph.parse(Path(data), format=guess_format(str(data)) or "turtle")
    triples = len(data_graph)
    for triple in vocab:
        data_graph.add(triple)

    started = time.perf_counter()
    _conforms, results_graph, _text = pyshacl_validate(
        data_graph,
        shacl_graph=shapes,
        ont_graph=ontologies,
        inference="rdfs",
        allow_warnings=True,
        advanced=True,
        inplace=True,  # data_graph is our own copy already
    )
    seconds = time.perf_counter() - started
    return ShaclReport(
        profile=shapes_dir.name,
        results=_results(results_graph),
        seconds=seconds,
        data_triples=triples,
    )
