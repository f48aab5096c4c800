"""What GovData reads from the portal, held against what we meant to publish: the portal's DCAT (written by
ckanext-dcat with ckanext-dcatde from our packages) compared with the DCAT-AP.de export of the same entries,
dataset by dataset and distribution by distribution, and the official shapes' results mapped to the entries.

Pure: the caller reads the portal's catalog pages and builds the export (:func:`catalog.dcat.export.build_catalog`).

How two descriptions are compared: per subject, every property with its values; a literal by its text and
datatype, an IRI as itself, a blank node (a period, a location) by its own description, and the nodes a
dataset or data service owns (contact point, publisher, spatial location) by IRI and description. Datasets
are matched by ``dct:identifier`` (what GovData keys on), distributions and the data services they point to
(``dcat:accessService``) by IRI; a data service also by whether the catalog lists it (``dcat:service``).

Not compared, because the portal path cannot carry them (see the README, "What GovData harvests"):

- language tags: ckanext-dcat writes titles, descriptions, keywords and names as plain literals (language
  tags only with ckanext-scheming's ``*_translated`` fields, which GovData's extension does not read);
- statements about vocabulary terms and web pages the datasets point to (``<licence> a dct:LicenseDocument``,
  ``<format> a dct:MediaTypeOrExtent``, ``<endpoint> a rdfs:Resource``, ...), including the ``dct:type
  adms:licencetype/UnknownIPR`` that ckanext-dcat 2.3.0 adds to every licence ("TODO: add an actual field to
  manage this" in its base profile).

Known additions of the extensions (:data:`KNOWN_DIFFERENCES`), reported apart from real differences:

- ckanext-dcatde adds a blank ``dct:Location`` with ``locn:adminUnitL2`` for every political geocoding
  URI (``DCATdeProfile._graph_from_dataset_dcatapde``, "Add adminUnitL2 ... Compatibility");
- ckanext-dcat 2.3.0 writes a period with only an end date twice: the DCAT-AP 1 node (``schema:endDate``)
  stays, because its DCAT-AP 2 profile removes that node only when it has a ``schema:startDate``
  (``EuropeanDCATAP2Profile._graph_from_dataset_v2``). The same node is the one 3.0 Violation the shapes
  find in the portal's DCAT (:data:`UPSTREAM_VIOLATIONS`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from rdflib import BNode, Graph, Namespace, URIRef
from rdflib import Literal as RdfLiteral
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS
from rdflib.term import Node

from catalog.dcat.export import VCARD
from catalog.dcat.shacl import ShaclReport, ShaclResult
from catalog.findings import Finding, finding

LOCN = Namespace("http://www.w3.org/ns/locn#")
SCHEMA = Namespace("http://schema.org/")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")

Kind = Literal["lost", "added", "changed"]

# Objects a dataset owns: compared by IRI and by what is said about them.
_OWNED = frozenset({DCAT.contactPoint, DCTERMS.publisher, DCTERMS.spatial, DCTERMS.temporal})
# Catalog properties compared (the catalog's IRI and its dct:modified come from CKAN).
_CATALOG = (DCTERMS.title, DCTERMS.description, DCTERMS.language, DCTERMS.publisher, DCAT.themeTaxonomy)
_MAX_DEPTH = 4

_PREFIXES = (
    ("dcat:", str(DCAT)), ("dct:", str(DCTERMS)), ("foaf:", str(FOAF)), ("vcard:", str(VCARD)),
    ("skos:", str(SKOS)), ("locn:", str(LOCN)), ("schema:", str(SCHEMA)), ("rdf:", str(RDF)),
    ("dcatde:", "http://dcat-ap.de/def/dcatde/"), ("dcatap:", "http://data.europa.eu/r5r/"),
    ("adms:", "http://www.w3.org/ns/adms#"), ("xsd:", "http://www.w3.org/2001/XMLSchema#"),
)


def short(node: Node | str) -> str:
    """A property or IRI in its prefixed form (``dct:title``), else as it is."""
    text = str(node)
    for prefix, namespace in _PREFIXES:
        if text.startswith(namespace) and len(text) > len(namespace):
            return prefix + text[len(namespace):]
    return text


@dataclass(frozen=True)
class Difference:
    """One property of a dataset (``node`` ``dataset``), of one of its distributions (``distribution <IRI
    end>``), of its data service (``service <IRI end>``) or of the catalog that the portal's DCAT states
    otherwise than the export: ``lost`` (only in
    the export), ``added`` (only in the portal's), ``changed`` (both, other values). ``known`` names the
    documented cause when it is one of :data:`KNOWN_DIFFERENCES`."""

    identifier: str
    node: str
    property: str
    kind: Kind
    expected: tuple[str, ...] = ()
    found: tuple[str, ...] = ()
    known: str | None = None

    def describe(self) -> str:
        """One line for people: where, what, expected and found."""
        expected = "; ".join(self.expected) or "—"
        found = "; ".join(self.found) or "—"
        return f"{self.node} {self.property}: expected {expected}, portal has {found}"


@dataclass(frozen=True)
class KnownDifference:
    """A difference the portal path always makes, with its upstream cause (matched on the portal's value)."""

    code: str
    property: str
    cause: str
    matches: Callable[[Graph, Node], bool]


def _is_admin_unit_location(graph: Graph, node: Node) -> bool:
    return isinstance(node, BNode) and (node, LOCN.adminUnitL2, None) in graph and not any(
        p for p in graph.predicates(node, None) if p not in (RDF.type, LOCN.adminUnitL2))


def _is_schema_period(graph: Graph, node: Node) -> bool:
    return isinstance(node, BNode) and (node, SCHEMA.endDate, None) in graph and (
        node, SCHEMA.startDate, None) not in graph


KNOWN_DIFFERENCES: tuple[KnownDifference, ...] = (
    KnownDifference(
        "dcatde-admin-unit-location", "dct:spatial",
        "ckanext-dcatde 6.10.0 adds a blank dct:Location with locn:adminUnitL2 for every "
        "dcatde:politicalGeocodingURI (compatibility, DCATdeProfile._graph_from_dataset_dcatapde)",
        _is_admin_unit_location,
    ),
    KnownDifference(
        "dcat-end-only-period", "dct:temporal",
        "ckanext-dcat 2.3.0 keeps the DCAT-AP 1 period (schema:endDate) of a period with only an end date: its "
        "DCAT-AP 2 profile removes that node only when it has schema:startDate (_graph_from_dataset_v2)",
        _is_schema_period,
    ),
)


@dataclass(frozen=True)
class UpstreamViolation:
    """A shape violation caused inside the extensions, not by what we publish, and how to recognise it."""

    code: str
    cause: str
    matches: Callable[[Graph, ShaclResult], bool]


def _end_only_period_violation(graph: Graph, result: ShaclResult) -> bool:
    if "PeriodOfTime" not in result.source_shape and "PeriodOfTime" not in result.message:
        return False
    node = _node(graph, result.focus_node)
    return node is not None and _is_schema_period(graph, node)


UPSTREAM_VIOLATIONS: tuple[UpstreamViolation, ...] = (
    UpstreamViolation(
        "dcat-end-only-period",
        "DCAT-AP.de 3.0 wants dcat:startDate or dcat:endDate on every dct:PeriodOfTime; ckanext-dcat 2.3.0 leaves "
        "the DCAT-AP 1 period (schema:endDate only) of a period with only an end date in place "
        "(EuropeanDCATAP2Profile._graph_from_dataset_v2 removes it only when it has schema:startDate)",
        _end_only_period_violation,
    ),
)


def _node(graph: Graph, shown: str) -> Node | None:
    """The graph node of a result's focus node as :mod:`catalog.dcat.shacl` prints it (``_:id``, IRI, prefixed)."""
    if shown.startswith("_:"):
        return BNode(shown[2:])
    for prefix, namespace in _PREFIXES:
        if shown.startswith(prefix):
            return URIRef(namespace + shown[len(prefix):])
    return URIRef(shown) if ":" in shown else None


# --------------------------------------------------------------------------- descriptions


def _value(graph: Graph, node: Node, depth: int) -> str:
    """A node as a comparable, printable text: literals by text and datatype (no language tag), IRIs as
    themselves, blank nodes by their description."""
    if isinstance(node, RdfLiteral):
        return f'"{node}"' + (f"^^{short(node.datatype)}" if node.datatype else "")
    if isinstance(node, BNode):
        return "[" + "; ".join(f"{p} {v}" for p, v in sorted(_pairs(graph, node, depth + 1))) + "]"
    return f"<{node}>"


def _pairs(graph: Graph, subject: Node, depth: int, skip: Iterable[URIRef] = ()) -> dict[tuple[str, str], Node]:
    """What is said about ``subject``: (property, value text) -> the object node."""
    if depth > _MAX_DEPTH:
        return {}
    skipped = set(skip)
    out: dict[tuple[str, str], Node] = {}
    for predicate, obj in graph.predicate_objects(subject):
        if predicate in skipped:
            continue
        text = _value(graph, obj, depth)
        if predicate in _OWNED and isinstance(obj, URIRef):
            text += " [" + "; ".join(f"{p} {v}" for p, v in sorted(_pairs(graph, obj, depth + 1))) + "]"
        out[(short(predicate), text)] = obj
    return out


def _by_property(pairs: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    grouped: dict[str, set[str]] = {}
    for prop, value in pairs:
        grouped.setdefault(prop, set()).add(value)
    return grouped


def _known(graph: Graph, prop: str, obj: Node | None) -> str | None:
    """The code of the known difference a portal value is, or None."""
    if obj is None:
        return None
    return next((k.code for k in KNOWN_DIFFERENCES if k.property == prop and k.matches(graph, obj)), None)


def _compare(identifier: str, node: str, export: Graph, ours: Node, portal: Graph, theirs: Node,
             skip: Iterable[URIRef] = ()) -> list[Difference]:
    expected = _by_property(_pairs(export, ours, 0, skip))
    found_nodes = _pairs(portal, theirs, 0, skip)
    found = _by_property(found_nodes)
    out: list[Difference] = []
    for prop in sorted(set(expected) | set(found)):
        want, have = expected.get(prop, set()), found.get(prop, set())
        if want == have:
            continue
        known = {v: _known(portal, prop, found_nodes.get((prop, v))) for v in have - want}
        for value, code in sorted(known.items()):
            if code is not None:
                out.append(Difference(identifier, node, prop, "added", (), (value,), known=code))
        have = {v for v in have if known.get(v) is None}
        if want == have:
            continue
        kind: Kind = "lost" if have < want else "added" if want < have else "changed"
        out.append(Difference(identifier, node, prop, kind, tuple(sorted(want - have)), tuple(sorted(have - want))))
    return out


# --------------------------------------------------------------------------- datasets


def datasets_by_identifier(graph: Graph) -> dict[str, Node]:
    """The ``dcat:Dataset`` nodes of a graph by their ``dct:identifier`` (the first one per identifier)."""
    found: dict[str, Node] = {}
    for dataset in graph.subjects(RDF.type, DCAT.Dataset):
        for identifier in graph.objects(dataset, DCTERMS.identifier):
            found.setdefault(str(identifier).strip(), dataset)
    return found


@dataclass
class DatasetCheck:
    """The outcome for one entry: found in the portal's DCAT or not, its differences, its violations."""

    identifier: str
    found: bool
    differences: list[Difference] = field(default_factory=list)
    violations: list[tuple[str, ShaclResult]] = field(default_factory=list)  # (profile, result)
    upstream: list[tuple[str, ShaclResult, str]] = field(default_factory=list)  # (profile, result, cause code)

    @property
    def real_differences(self) -> list[Difference]:
        """The differences that are no documented behaviour of the extensions."""
        return [d for d in self.differences if d.known is None]

    @property
    def ok(self) -> bool:
        return self.found and not self.real_differences and not self.violations


def _services(graph: Graph, dataset: Node) -> dict[str, Node]:
    """The data services a dataset's distributions point to (``dcat:accessService``), by IRI."""
    return {str(s): s for d in graph.objects(dataset, DCAT.distribution) for s in graph.objects(d, DCAT.accessService)}


def _listed(graph: Graph, service: Node) -> bool:
    """Whether a catalog of the graph lists the data service (``dcat:service``)."""
    return any((c, DCAT.service, service) in graph for c in graph.subjects(RDF.type, DCAT.Catalog))


def compare_dataset(identifier: str, export: Graph, ours: Node, portal: Graph, theirs: Node) -> list[Difference]:
    """The differences of one dataset, its distributions and its data services (each matched by IRI)
    between export and portal; a service also by whether the catalog lists it (``dcat:service``), where the
    portal's catalog lists the dataset (a dataset read from ``/dataset/<name>.ttl`` has no catalog)."""
    out: list[Difference] = []
    if str(ours) != str(theirs):
        out.append(Difference(identifier, "dataset", "IRI", "changed", (f"<{ours}>",), (f"<{theirs}>",)))
    out.extend(_compare(identifier, "dataset", export, ours, portal, theirs, skip=(DCAT.distribution,)))
    for kind, mine, found in (
        ("distribution", {str(d): d for d in export.objects(ours, DCAT.distribution)},
         {str(d): d for d in portal.objects(theirs, DCAT.distribution)}),
        ("service", _services(export, ours), _services(portal, theirs)),
    ):
        link = "dcat:distribution" if kind == "distribution" else "dcat:accessService"
        for iri in sorted(set(mine) | set(found)):
            name = f"{kind} {iri.rsplit('/', 1)[-1]}"
            if iri not in found:
                out.append(Difference(identifier, name, link, "lost", (f"<{iri}>",)))
            elif iri not in mine:
                out.append(Difference(identifier, name, link, "added", (), (f"<{iri}>",)))
            else:
                out.extend(_compare(identifier, name, export, mine[iri], portal, found[iri]))
                if kind == "service" and any((c, DCAT.dataset, theirs) in portal
                                             for c in portal.subjects(RDF.type, DCAT.Catalog)):
                    listed, shown = _listed(export, mine[iri]), _listed(portal, found[iri])
                    if listed != shown:
                        out.append(Difference(identifier, name, "catalog dcat:service", "lost" if listed else "added",
                                              (f"<{iri}>",) if listed else (), () if listed else (f"<{iri}>",)))
    return out


def compare_catalog(export: Graph, ours: Node, portal: Graph, theirs: Node) -> list[Difference]:
    """The catalog node's title, description, language, publisher and theme taxonomy in both graphs."""
    keep = set(_CATALOG)
    skip = {p for p in set(export.predicates(ours)) | set(portal.predicates(theirs))
            if isinstance(p, URIRef) and p not in keep}
    return _compare("", "catalog", export, ours, portal, theirs, skip=skip)


def datasets_of(graph: Graph, node: Node) -> set[Node]:
    """The datasets a node belongs to: itself, the dataset of a distribution, of a contact point, of a value
    (a format IRI or literal used by several distributions belongs to each of their datasets)."""
    found: set[Node] = set()
    frontier = {node}
    seen: set[Node] = set()
    for _ in range(_MAX_DEPTH):
        following: set[Node] = set()
        for current in frontier - seen:
            seen.add(current)
            if (current, RDF.type, DCAT.Dataset) in graph:
                found.add(current)
                continue
            following.update(s for s in graph.subjects(None, current) if (s, RDF.type, DCAT.Catalog) not in graph)
        frontier = following
    return found


def _focus(graph: Graph, shown: str) -> list[Node]:
    """The graph nodes a result's focus node (as :mod:`catalog.dcat.shacl` prints it) can be: a blank node, an
    IRI, or a literal value (the vocabulary shapes check the value itself)."""
    nodes: list[Node] = []
    node = _node(graph, shown)
    if node is not None and (node in graph.subjects() or node in graph.objects()):
        nodes.append(node)
    if not nodes:
        nodes.extend({o for o in graph.objects() if isinstance(o, RdfLiteral) and str(o) == shown})
    return nodes


def check_datasets(
    expected: Mapping[str, Node],
    export: Graph,
    portal: Graph,
    reports: Iterable[ShaclReport] = (),
) -> dict[str, DatasetCheck]:
    """Every expected dataset (identifier -> its node in ``export``) held against the portal's graph, with
    the violations of ``reports`` (the shapes run over ``portal``) attached to the datasets they concern."""
    found = datasets_by_identifier(portal)
    checks: dict[str, DatasetCheck] = {}
    for identifier, ours in expected.items():
        theirs = found.get(identifier)
        check = DatasetCheck(identifier, theirs is not None)
        if theirs is not None:
            check.differences = compare_dataset(identifier, export, ours, portal, theirs)
        checks[identifier] = check
    by_node = {node: identifier for identifier, node in found.items() if identifier in checks}
    for report in reports:
        for result in report.of("Violation"):
            owners = {d for node in _focus(portal, result.focus_node) for d in datasets_of(portal, node)}
            cause = next((u.code for u in UPSTREAM_VIOLATIONS if u.matches(portal, result)), None)
            profile = report.profile.removeprefix("shapes-")
            for concerned in sorted(by_node[o] for o in owners if o in by_node):
                if cause is None:
                    checks[concerned].violations.append((profile, result))
                else:
                    checks[concerned].upstream.append((profile, result, cause))
    return checks


def catalog_violations(portal: Graph, reports: Iterable[ShaclReport]) -> list[ShaclResult]:
    """The violations on the catalog node (or anything that belongs to no dataset)."""
    out = []
    for report in reports:
        for result in report.of("Violation"):
            if not any(datasets_of(portal, node) for node in _focus(portal, result.focus_node)):
                out.append(result)
    return out


def part_of(graph: Graph, datasets: Iterable[Node]) -> Graph:
    """The catalog node and ``datasets`` with what is reachable from them (distributions, data services,
    contact points, periods, locations, publishers, statements about the terms they use), without the
    portal's other datasets and their services: what a verification validates, in time proportional to
    what it checks."""
    ours = set(datasets)
    others = set(graph.subjects(RDF.type, DCAT.Dataset)) - ours
    catalogs = set(graph.subjects(RDF.type, DCAT.Catalog))
    services = {s for d in ours for s in _services(graph, d).values()}
    out = Graph()
    for prefix, namespace in graph.namespaces():
        out.bind(prefix, namespace, override=False)
    frontier: set[Node] = set(ours) | catalogs
    done: set[Node] = set()
    for _ in range(_MAX_DEPTH + 1):
        following: set[Node] = set()
        for node in frontier - done:
            done.add(node)
            for s, p, o in graph.triples((node, None, None)):
                if o in others or (p == DCAT.service and s in catalogs and o not in services):
                    continue
                out.add((s, p, o))
                if isinstance(o, URIRef | BNode) and o not in ours and o not in catalogs:
                    following.add(o)
        frontier = following
    return out


def without_paging(graph: Graph) -> Graph:
    """The graph without its Hydra paging statements (they differ from page to page)."""
    out = Graph()
    for prefix, namespace in graph.namespaces():
        out.bind(prefix, namespace, override=False)
    pages = set(graph.subjects(RDF.type, HYDRA.PagedCollection)) | set(graph.subjects(RDF.type,
                                                                                  HYDRA.PartialCollectionView))
    for triple in graph:
        if triple[0] in pages or str(triple[1]).startswith(str(HYDRA)):
            continue
        out.add(triple)
    return out


# --------------------------------------------------------------------------- findings

VERIFY_STAGE = "verify"
_FIELD_OF: dict[str, str] = {
    "dct:title": "title", "dct:description": "description", "dcat:keyword": "keywords", "dcat:theme": "theme",
    "dct:license": "license", "dct:format": "formats", "dcat:mediaType": "formats", "dcat:accessURL": "access_url",
    "dcat:downloadURL": "access_url", "dcat:landingPage": "landing_page", "dct:accrualPeriodicity": "frequency",
    "dct:temporal": "temporal_start", "dct:spatial": "spatial", "dcat:contactPoint": "contact_email",
    "dct:accessRights": "access_rights", "dcatap:hvdCategory": "hvd_category",
    "dcatde:licenseAttributionByText": "attribution", "dct:modified": "last_updated",
    "dcat:accessService": "api_url", "dcat:endpointURL": "api_url", "dcat:endpointDescription": "api_documentation",
    "foaf:page": "api_documentation", "dct:conformsTo": "api_type", "catalog dcat:service": "api_url",
}
_SHOWN = 3  # values shown per difference in a message


def _shown(values: tuple[str, ...]) -> str:
    if not values:
        return "—"
    more = f" (+{len(values) - _SHOWN})" if len(values) > _SHOWN else ""
    return "; ".join(v if len(v) < 200 else v[:197] + "…" for v in values[:_SHOWN]) + more


def profile_name(profile: str) -> str:
    """How people read a profile a verification ran: ``DCAT-AP.de 3.0``, ``DCAT-AP HVD``."""
    return "DCAT-AP HVD" if profile == "hvd" else f"DCAT-AP.de {profile}"


def verification_findings(
    check: DatasetCheck, *, portal: str, city: str | None, department: str | None
) -> list[Finding]:
    """One entry's problems in the portal's DCAT as findings (stage :data:`VERIFY_STAGE`, severity warning):
    missing from the catalog, each real difference, each violation of the official shapes (those caused
    inside the extensions are left out: they are the extensions', reported per run)."""
    out: list[Finding] = []
    where = {"city": city, "department": department, "identifier": check.identifier}
    if not check.found:
        out.append(finding("portal-dcat-missing", portal=portal).at(**where))
        return out
    for difference in check.real_differences:
        out.append(finding(
            "portal-dcat-difference", value=difference.property, node=difference.node, property=difference.property,
            expected=_shown(difference.expected), found=_shown(difference.found), portal=portal,
        ).at(**where, field=_FIELD_OF.get(difference.property)))
    seen: set[tuple[str, str, str, str]] = set()
    for profile, result in check.violations:
        key = (profile, result.rule, result.focus_node, result.path or "")
        if key in seen:
            continue
        seen.add(key)
        out.append(finding(
            "portal-dcat-violation", value=result.value, profile=profile_name(profile),
            message=result.message, path=result.path or "", rule=result.rule, portal=portal,
        ).at(**where, field=_FIELD_OF.get(result.path or "")))
    return out


# --------------------------------------------------------------------------- the outcome of a verification


@dataclass
class Verification:
    """What ``inventur publish --verify`` found on one portal: per entry with a problem, its differences and
    violations; counts of the documented differences and of the violations caused inside the extensions
    (with their causes); violations on the catalog node (``catalog``) and how its title, description,
    publisher or language differ from the export's (``catalog_differences``: the portal's operator sets them
    in ``ckan.ini``, so they are shown, not counted as a failure); which shapes were run and how long it took."""

    portal: str
    datasets: int = 0
    pages: int = 0
    entries: list[DatasetCheck] = field(default_factory=list)
    known: dict[str, int] = field(default_factory=dict)
    upstream: dict[str, int] = field(default_factory=dict)
    violations: dict[str, int] = field(default_factory=dict)
    catalog: list[str] = field(default_factory=list)
    catalog_differences: list[str] = field(default_factory=list)
    profiles: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def missing(self) -> list[str]:
        return [c.identifier for c in self.entries if not c.found]

    @property
    def differences(self) -> int:
        return sum(len(c.real_differences) for c in self.entries)

    @property
    def ok(self) -> bool:
        """Nothing lost or changed, no violation of ours, a sound catalog node."""
        return not (self.missing or self.differences or sum(self.violations.values()) or self.catalog
                    or self.problems)

    def add(self, checks: Iterable[DatasetCheck]) -> None:
        """Count the checks in; keep those with a problem."""
        for check in checks:
            self.datasets += 1
            for difference in check.differences:
                if difference.known is not None:
                    self.known[difference.known] = self.known.get(difference.known, 0) + 1
            for profile, _result in check.violations:
                self.violations[profile] = self.violations.get(profile, 0) + 1
            for profile, _result, cause in check.upstream:
                key = f"{cause} ({profile})"
                self.upstream[key] = self.upstream.get(key, 0) + 1
            if not check.ok:
                self.entries.append(check)

    def as_record(self) -> dict[str, object]:
        """JSON-ready."""
        causes = {k.code: k.cause for k in KNOWN_DIFFERENCES} | {u.code: u.cause for u in UPSTREAM_VIOLATIONS}
        return {
            "portal": self.portal, "ok": self.ok, "datasets": self.datasets, "pages": self.pages,
            "profiles": self.profiles, "missing": self.missing, "differences": self.differences,
            "violations": self.violations, "known_differences": self.known, "upstream_violations": self.upstream,
            "causes": {code: text for code, text in causes.items()
                       if code in self.known or any(k.startswith(code + " ") for k in self.upstream)},
            "catalog": self.catalog, "catalog_differences": self.catalog_differences, "problems": self.problems,
            "seconds": round(self.seconds, 3),
            "entries": [{
                "identifier": c.identifier, "found": c.found,
                "differences": [d.describe() for d in c.real_differences],
                "violations": [f"{p}: {r.path or ''} {r.message}".strip() for p, r in c.violations],
            } for c in self.entries],
        }
