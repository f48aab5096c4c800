"""A DCAT-AP / DCAT-AP.de catalog as a harvest source: Turtle, RDF/XML or JSON-LD, from a URL or a file.

:class:`DcatSource` reads a catalog page by page along its Hydra paging (``hydra:next`` or
``hydra:nextPage`` of a ``hydra:PagedCollection`` or ``hydra:PartialCollectionView``, as ckanext-dcat
and GovData page their catalogs). The walk is guarded: a page already read (a loop back to page 1)
or more than ``max_pages`` pages end it, and the read counts as incomplete, so that nothing is marked
gone on a partial view. A next page is followed only on the same kind of location as the first (a
web catalog cannot send the harvester into the local file system), and a file catalog's pages only
inside the folder of its first page.

Reading is bounded: every request goes through :class:`connectors.harvest.http.BoundedSession` (a
deadline per request and for the harvest, a size bound, checked redirects); a page holds at most
``max_triples`` statements (counted while parsing, so a larger one stops before it fills the memory);
RDF/XML that declares XML entities is refused before it is parsed (no entity expansion); a JSON-LD
``@context`` given by address is fetched only over http(s) through the same session, never from a
local file, and rdflib itself never fetches anything.

:func:`dataset_records` maps each ``dcat:Dataset`` to the raw record of the survey's fields, as the
catalog says it; normalisation reads it exactly like a survey answer. Values are read as a person who
knows DCAT reads them (:mod:`catalog.reading`): an e-mail written as ``<name@host>``, which the parser
resolves against the file's location, is the address; a distribution's format comes from ``dct:format``,
else ``dcat:mediaType``, else the extension of its download URL; a category of GovData's older scheme
is its EU data theme; a date that is no valid ``xsd:dateTime`` is a finding on its dataset.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit
from urllib.request import url2pathname
from xml.parsers import expat

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS
from rdflib.plugins.stores.memory import Memory
from rdflib.term import Node

from catalog.dcat.export import DCATAP, DCATDE, VCARD
from catalog.harvest import HarvestedRecord, Skipped, inventur_identifier, machine_date
from catalog.organisation import City
from catalog.reading import (
    Reading,
    email_in_iri,
    file_type_label,
    format_of_url,
    identity_keys,
    media_type,
    themes,
)
from connectors.harvest.http import (
    DEFAULT_ATTEMPTS,
    DEFAULT_BACKOFF,
    MAX_BYTES,
    BoundedSession,
    Deadline,
    HttpLimits,
    SourceInvalid,
    SourceUnavailable,
    SourceUnreadable,
    fetch,
)

# rdflib logs a Python traceback for every literal it cannot convert (``"2021-01-28 GMT 01:51:03"^^xsd:dateTime``);
# such a value becomes a finding on its dataset instead (see :func:`_date`).
logging.getLogger("rdflib.term").setLevel(logging.CRITICAL)

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
SCHEMA = Namespace("http://schema.org/")
SCHEMA_S = Namespace("https://schema.org/")
SKOS_PREF = URIRef("http://www.w3.org/2004/02/skos/core#prefLabel")

ACCEPT = "text/turtle, application/rdf+xml;q=0.9, application/ld+json;q=0.9, application/n-triples;q=0.5, */*;q=0.1"
DEFAULT_MAX_PAGES = 1000
DEFAULT_MAX_TRIPLES = 250_000  # about 3 KB of memory each in rdflib's store
MAX_CONTEXTS = 20  # remote JSON-LD contexts fetched per catalog
MAX_CONTEXT_BYTES = 5 * 1024 * 1024
MAX_REMOTE_ID = 400  # the store's column for a remote id: a longer IRI could not be recognised again

_BY_TYPE = {
    "text/turtle": "turtle", "application/x-turtle": "turtle", "text/n3": "n3",
    "application/rdf+xml": "xml", "application/xml": "xml", "text/xml": "xml",
    "application/ld+json": "json-ld", "application/json": "json-ld",
    "application/n-triples": "nt", "application/n-quads": "nquads", "application/trig": "trig",
}
_BY_SUFFIX = {
    ".ttl": "turtle", ".turtle": "turtle", ".n3": "n3", ".rdf": "xml", ".xml": "xml", ".owl": "xml",
    ".jsonld": "json-ld", ".json": "json-ld", ".nt": "nt", ".nq": "nquads", ".trig": "trig",
}


def _syntax(location: str, content_type: str | None, content: bytes) -> list[str]:
    """The RDF syntaxes worth trying for a page, most likely first."""
    guesses: list[str] = []
    if content_type in _BY_TYPE:
        guesses.append(_BY_TYPE[content_type])
    suffix = Path(urlsplit(location).path).suffix.lower()
    if suffix in _BY_SUFFIX:
        guesses.append(_BY_SUFFIX[suffix])
    head = content.lstrip()[:1]
    guesses += ["json-ld"] if head in (b"{", b"[") else ["xml"] if head == b"<" else ["turtle"]
    guesses += ["turtle", "xml", "json-ld"]
    return list(dict.fromkeys(guesses))


@contextlib.contextmanager
def _socket_timeout(seconds: float) -> Iterator[None]:
    """A default timeout for sockets opened meanwhile (a last guard: rdflib is given no address to fetch)."""
    before = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(before)


class _TooManyTriples(Exception):
    pass


class _CountedMemory(Memory):
    """rdflib's in-memory store that stops a parse once it holds more than ``limit`` statements."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.count = 0

    def add(self, triple: Any, context: Any, quoted: bool = False) -> None:
        self.count += 1
        if self.count > self.limit:
            raise _TooManyTriples
        super().add(triple, context, quoted)


class _Stop(Exception):
    pass


def _declares_entities(content: bytes) -> bool:
    """Whether an XML document declares entities (in its prolog, before the root element)."""
    parser = expat.ParserCreate()

    def declared(*_args: Any) -> None:
        raise _Stop("entity")

    def started(*_args: Any) -> None:
        raise _Stop("root")

    parser.EntityDeclHandler = declared
    parser.StartElementHandler = started
    try:
        parser.Parse(content, True)
    except _Stop as stop:
        return stop.args[0] == "entity"
    except expat.ExpatError:
        return False  # not XML: the parser says so itself
    return False


ContextFetcher = Callable[[str], Any]


def _inline_contexts(node: Any, base: str, fetch_context: ContextFetcher | None, depth: int = 0) -> Any:
    """The JSON-LD document ``node`` with every ``@context`` or ``@import`` given by address replaced by the
    context itself, fetched by ``fetch_context`` (only http(s)); anything else is refused."""
    if depth > 8:
        raise SourceUnreadable("JSON-LD contexts nest more than 8 levels deep")
    if isinstance(node, list):
        return [_inline_contexts(item, base, fetch_context, depth) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "@context":
            out[key] = _resolve_context(value, base, fetch_context, depth)
        elif key == "@import" and isinstance(value, str):
            imported = _fetched_context(value, base, fetch_context, depth)
            if not isinstance(imported, dict):
                raise SourceUnreadable(f"the JSON-LD context {value} imports no context object")
            out.update({k: v for k, v in imported.items() if k not in node})
        else:
            out[key] = _inline_contexts(value, base, fetch_context, depth)
    return out


def _resolve_context(value: Any, base: str, fetch_context: ContextFetcher | None, depth: int) -> Any:
    if isinstance(value, list):
        resolved: list[Any] = []
        for item in value:
            inner = _resolve_context(item, base, fetch_context, depth)
            resolved.extend(inner if isinstance(inner, list) and isinstance(item, str) else [inner])
        return resolved
    if isinstance(value, str):
        return _fetched_context(value, base, fetch_context, depth)
    return _inline_contexts(value, base, fetch_context, depth + 1)


def _fetched_context(reference: str, base: str, fetch_context: ContextFetcher | None, depth: int) -> Any:
    address = urljoin(base, reference)
    if not _is_web(address):
        raise SourceUnreadable(f"the JSON-LD context {reference!r} is not an http(s) address; contexts are never "
                               "read from files")
    if fetch_context is None:
        raise SourceUnreadable(f"the JSON-LD context {address} would have to be fetched; not allowed here")
    document = fetch_context(address)
    if not isinstance(document, dict) or "@context" not in document:
        raise SourceUnreadable(f"{address} is no JSON-LD context")
    return _resolve_context(document["@context"], address, fetch_context, depth + 1)


def parse_page(content: bytes, *, location: str, content_type: str | None = None, timeout: float = 20.0,
               max_triples: int = DEFAULT_MAX_TRIPLES, fetch_context: ContextFetcher | None = None) -> Graph:
    """One catalog page as a graph, in whichever of Turtle, RDF/XML or JSON-LD it is written.

    At most ``max_triples`` statements are read; RDF/XML with entity declarations is refused; a JSON-LD
    context given by address is fetched with ``fetch_context`` (http(s) only), or refused without one.
    """
    problems: list[str] = []
    for syntax in _syntax(location, content_type, content):
        graph = Graph(store=_CountedMemory(max_triples))
        try:
            data: Any = content
            if syntax == "xml" and _declares_entities(content):
                raise SourceUnreadable(f"{location} declares XML entities; they are not expanded, so it is not read")
            if syntax == "json-ld":
                data = _inline_contexts(json.loads(content), location, fetch_context)
            with _socket_timeout(timeout):
                graph.parse(data=data, format=syntax, publicID=location)
        except _TooManyTriples:
            raise SourceUnreadable(f"{location} holds more than {max_triples:,} statements; not read "
                                   "(INVENTUR_HARVEST_MAX_TRIPLES)") from None
        except (SourceUnreadable, SourceUnavailable):
            raise
        except Exception as exc:  # rdflib's parsers raise many kinds of errors for foreign syntax
            problems.append(f"{syntax}: {str(exc)[:120]}")
            continue
        return graph
    raise SourceUnreadable(f"{location} is no RDF catalog ({'; '.join(problems)})")


def next_page(graph: Graph) -> str | None:
    """The next page of a Hydra-paged catalog (``hydra:next`` / ``hydra:nextPage``), or None."""
    pagers = {*graph.subjects(RDF.type, HYDRA.PagedCollection), *graph.subjects(RDF.type, HYDRA.PartialCollectionView)}
    linking = {*graph.subjects(HYDRA.next, None), *graph.subjects(HYDRA.nextPage, None)}
    candidates = sorted(pagers, key=str) or sorted(linking, key=str)
    for subject in candidates:
        for predicate in (HYDRA.next, HYDRA.nextPage):
            target = _one(graph, subject, predicate)
            if target is not None and str(target).strip():
                return str(target).strip()
    return None


# -- mapping a dataset to a raw record --------------------------------------------------------------------


def _stable_key(graph: Graph, node: Node) -> str:
    """A sort key that does not change between reads: an IRI itself, a blank node by what it says
    (blank node ids are new on every parse, and an order by them would change the record each time)."""
    if not isinstance(node, BNode):
        return str(node)
    said = sorted((str(p), str(o)) for p, o in graph.predicate_objects(node) if not isinstance(o, BNode))
    return "~" + repr(said)


def _one(graph: Graph, subject: Node, predicate: URIRef) -> Node | None:
    """One object of ``predicate``, the same one on every read when there are several."""
    return min(graph.objects(subject, predicate), key=lambda o: _stable_key(graph, o), default=None)


def _objects(graph: Graph, subject: Node, predicate: URIRef) -> list[Node]:
    return sorted(graph.objects(subject, predicate), key=lambda o: _stable_key(graph, o))


def _pick_literal(values: list[Node]) -> str | None:
    """A text in German if there is one, else without language, else English, else any (the same on
    every read: candidates in a fixed order)."""
    values = sorted(values, key=str)
    literals = [v for v in values if isinstance(v, Literal)]
    for wanted in ("de", None, "en"):
        for lit in literals:
            lang = (lit.language or "").split("-")[0].lower() or None
            if lang == wanted and str(lit).strip():
                return str(lit)
    # an IRI is read as its text; a blank node's generated name is no text of the catalog
    return next((str(v) for v in values if not isinstance(v, BNode) and str(v).strip()), None)


def _text(graph: Graph, subject: Node, predicate: URIRef) -> str | None:
    return _pick_literal(list(graph.objects(subject, predicate)))


def _term(graph: Graph, node: Node) -> str | None:
    """A coded value: an IRI as is; a literal as its text; a blank node by its label or value."""
    if isinstance(node, URIRef):
        return str(node)
    if isinstance(node, Literal):
        return str(node).strip() or None
    if isinstance(node, BNode):
        return _text(graph, node, RDFS.label) or _text(graph, node, RDF.value) or _text(graph, node, SKOS_PREF)
    return None


def _terms(graph: Graph, subject: Node, predicate: URIRef) -> list[str]:
    out: list[str] = []
    for node in graph.objects(subject, predicate):
        value = _term(graph, node)
        if value and value not in out:
            out.append(value)
    return sorted(out)


def _date(graph: Graph, subject: Node, *predicates: URIRef, key: str, reading: Reading) -> Any:
    """A date as the catalog gives it. A literal that is not what its datatype says (an ``xsd:dateTime``
    written ``2021-01-28 GMT 01:51:03``) is read by the ISO date it starts with, with a correction; else it
    goes to normalisation as text (which reads German dates or reports it)."""
    for predicate in predicates:
        value = _one(graph, subject, predicate)
        if isinstance(value, Literal):
            python = value.toPython()
            if not isinstance(python, Literal) and not getattr(value, "ill_typed", False):
                return machine_date(python)
            text = str(value).strip()
            read = machine_date(text[:10]) if value.datatype is not None else machine_date(text)
            if not isinstance(read, str) and read is not None and value.datatype is not None:
                reading.corrected(key, text, read.isoformat())
                return read
            return text
    return None


def _email(graph: Graph, contact: Node) -> str | None:
    """The contact's address: ``mailto:`` is how RDF writes an e-mail address, not a spelling to correct; an
    address written as a relative IRI (``<name@host>``) is the address, not a file next to the catalog."""
    value = _one(graph, contact, VCARD.hasEmail)
    if isinstance(value, BNode):
        value = _one(graph, value, VCARD.value) or value
    if value is None or isinstance(value, BNode):
        return None
    text = str(value).strip()
    if isinstance(value, URIRef) or text.lower().startswith("mailto:"):
        return email_in_iri(text) or text
    return text


def _formats(graph: Graph, distribution: Node, reading: Reading) -> list[str]:
    """A distribution's formats: ``dct:format``, else ``dcat:mediaType``, else the extension of its download
    URL (a correction: the format was not written, it was read from the file name)."""
    given = _terms(graph, distribution, DCTERMS.format) or _terms(graph, distribution, DCAT.mediaType)
    if given:
        return [media_type(value) for value in given]
    for url in _objects(graph, distribution, DCAT.downloadURL):
        found = format_of_url(str(url))
        if found:
            reading.corrected("formats", str(url), file_type_label(found))
            return [found]
    return []


def _distributions(graph: Graph, dataset: Node) -> list[Node]:
    return sorted(graph.objects(dataset, DCAT.distribution), key=lambda d: _stable_key(graph, d))


def _spatial(graph: Graph, dataset: Node, city: City) -> str | None:
    uris = {str(u).rstrip("/") for p in (DCATDE.politicalGeocodingURI, DCTERMS.spatial) for u in graph.objects(dataset, p)}
    return "gesamtes Stadtgebiet" if city.geocoding_uri.rstrip("/") in uris else None


def _publisher(graph: Graph, dataset: Node) -> str | None:
    publisher = _one(graph, dataset, DCTERMS.publisher)
    if publisher is None:
        return None
    return _text(graph, publisher, FOAF.name) or (str(publisher) if isinstance(publisher, URIRef) else None)


def dataset_record(graph: Graph, dataset: Node, *, city: City, remote_id: str) -> HarvestedRecord:
    """The raw record of one ``dcat:Dataset`` (field key -> value as the catalog says it)."""
    reading = Reading()
    distributions = _distributions(graph, dataset)
    contact = _one(graph, dataset, DCAT.contactPoint)
    licences = [v for d in distributions for v in _terms(graph, d, DCTERMS.license)] or _terms(graph, dataset, DCTERMS.license)
    attribution = next(
        (t for d in distributions if (t := _text(graph, d, DCATDE.licenseAttributionByText))), None
    ) or _text(graph, dataset, DCATDE.licenseAttributionByText)
    formats: list[str] = []
    for dist in distributions:
        for fmt in _formats(graph, dist, reading):
            if fmt not in formats:
                formats.append(fmt)
    access = next(
        (str(u) for d in distributions for p in (DCAT.accessURL, DCAT.downloadURL) for u in _objects(graph, d, p)), None
    ) or next((str(u) for u in _objects(graph, dataset, DCAT.landingPage)), None)
    temporal = _one(graph, dataset, DCTERMS.temporal)
    keywords = [str(k) for k in graph.objects(dataset, DCAT.keyword) if isinstance(k, Literal)
                and (k.language or "de").split("-")[0].lower() in ("de", "")]
    raw: dict[str, Any] = {
        "title": _text(graph, dataset, DCTERMS.title),
        "description": _text(graph, dataset, DCTERMS.description),
        "theme": "; ".join(themes(_terms(graph, dataset, DCAT.theme), reading)) or None,
        "keywords": "; ".join(sorted(set(keywords))) or None,
        "contact_name": _text(graph, contact, VCARD.fn) if contact is not None else None,
        "contact_email": _email(graph, contact) if contact is not None else None,
        "access_rights": next(iter(_terms(graph, dataset, DCTERMS.accessRights)), None),
        "license": licences[0] if licences else None,
        "attribution": attribution,
        "formats": "; ".join(formats) or None,
        "access_url": access,
        "frequency": next(iter(_terms(graph, dataset, DCTERMS.accrualPeriodicity)), None),
        "temporal_start": _date(graph, temporal, DCAT.startDate, SCHEMA.startDate, SCHEMA_S.startDate,
                                key="temporal_start", reading=reading) if temporal is not None else None,
        "temporal_end": _date(graph, temporal, DCAT.endDate, SCHEMA.endDate, SCHEMA_S.endDate,
                              key="temporal_end", reading=reading) if temporal is not None else None,
        "spatial": _spatial(graph, dataset, city),
        "last_updated": _date(graph, dataset, DCTERMS.modified, key="last_updated", reading=reading),
        "hvd_category": next(iter(_terms(graph, dataset, DCATAP.hvdCategory)), None),
    }
    modified = _one(graph, dataset, DCTERMS.modified)
    identifier = _text(graph, dataset, DCTERMS.identifier)
    return HarvestedRecord(
        remote_id=remote_id,
        raw={k: v for k, v in raw.items() if v not in (None, "")},
        remote_modified=str(modified) if modified is not None else None,
        identifier=inventur_identifier(identifier, city.prefix),
        organization=_publisher(graph, dataset),
        link=remote_id if remote_id.startswith(("http://", "https://")) else None,
        keys=identity_keys(str(dataset) if isinstance(dataset, URIRef) else None, identifier),
        findings=tuple(reading.findings),
    )


def dataset_records(graph: Graph, *, city: City) -> tuple[list[HarvestedRecord], list[Skipped]]:
    """Every ``dcat:Dataset`` of a page; a dataset without IRI or identifier cannot be recognised again
    and is skipped (reported)."""
    records: list[HarvestedRecord] = []
    skipped: list[Skipped] = []
    for dataset in sorted(set(graph.subjects(RDF.type, DCAT.Dataset)), key=lambda d: _stable_key(graph, d)):
        remote_id = str(dataset) if isinstance(dataset, URIRef) else _text(graph, dataset, DCTERMS.identifier)
        if not remote_id:
            title = _text(graph, dataset, DCTERMS.title) or "?"
            skipped.append(Skipped(
                value=title, reason="a dataset without IRI and without dct:identifier cannot be recognised again",
                reason_de="Der Datensatz hat weder eine IRI noch eine dct:identifier und kann nicht wiedererkannt werden.",
            ))
            continue
        records.append(dataset_record(graph, dataset, city=city, remote_id=remote_id))
    return records, skipped


# -- reading a catalog ------------------------------------------------------------------------------------


def _is_web(location: str) -> bool:
    return location.lower().startswith(("http://", "https://"))


def _page_key(location: str) -> str:
    return urldefrag(location)[0].rstrip("/")


@dataclass
class DcatSource:
    """A catalog at a URL or in a file, read page by page along its Hydra paging.

    After :meth:`pages` is consumed, ``incomplete`` says why the read stopped early (English, German) or is
    None, ``skipped`` holds the datasets that could not be mapped, ``pages_read`` counts the pages.
    """

    location: str
    city: City
    timeout: float = 20.0
    attempts: int = DEFAULT_ATTEMPTS
    backoff: float = DEFAULT_BACKOFF
    max_pages: int = DEFAULT_MAX_PAGES
    max_bytes: int = MAX_BYTES
    max_triples: int = DEFAULT_MAX_TRIPLES
    limits: HttpLimits | None = None
    deadline: Deadline | None = None
    incomplete: tuple[str, str] | None = None
    skipped: list[Skipped] = field(default_factory=list)
    pages_read: int = 0
    source: str = field(init=False, default="")
    _http: BoundedSession | None = field(default=None, repr=False)
    _folder: Path | None = field(default=None, repr=False)
    _contexts: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if _is_web(self.location):
            self.source = self.location.strip()
        else:
            path = Path(url2pathname(urlsplit(self.location).path) if self.location.startswith("file:") else self.location)
            if not path.is_file():
                raise FileNotFoundError(f"no catalog file at {self.location}")
            self.source = path.resolve().as_uri()
            self._folder = path.resolve().parent

    @property
    def is_web(self) -> bool:
        return _is_web(self.source)

    def _session(self) -> BoundedSession:
        if self._http is None:
            limits = self.limits or HttpLimits(timeout=self.timeout, max_bytes=self.max_bytes)
            self._http = BoundedSession(limits, harvest=self.deadline)
        return self._http

    def _read(self, location: str) -> tuple[bytes, str | None, str]:
        if _is_web(location):
            got = fetch(location, http=self._session(), timeout=self.timeout, accept=ACCEPT, attempts=self.attempts,
                        backoff=self.backoff, max_bytes=self.max_bytes)
            return got.content, got.content_type, got.url
        path = Path(url2pathname(urlsplit(location).path))
        try:
            if path.stat().st_size > self.max_bytes:
                raise SourceInvalid(f"{path} is larger than {self.max_bytes // (1024 * 1024)} MiB")
            return path.read_bytes(), None, location
        except OSError as exc:
            if location == self.source:
                raise FileNotFoundError(f"cannot read the catalog file {path}: {exc.strerror}") from exc
            raise SourceUnavailable(f"the next catalog page {path} cannot be read: {exc.strerror}") from exc

    def _context(self, address: str) -> Any:
        """A remote JSON-LD context, fetched once per catalog over the bounded session."""
        if address not in self._contexts:
            if len(self._contexts) >= MAX_CONTEXTS:
                raise SourceUnreadable(f"the catalog refers to more than {MAX_CONTEXTS} JSON-LD contexts")
            got = fetch(address, http=self._session(), timeout=self.timeout, accept="application/ld+json, application/json",
                        attempts=self.attempts, backoff=self.backoff, max_bytes=min(self.max_bytes, MAX_CONTEXT_BYTES))
            try:
                self._contexts[address] = json.loads(got.content)
            except ValueError as exc:
                raise SourceUnreadable(f"the JSON-LD context {address} is no JSON: {str(exc)[:120]}") from exc
        return self._contexts[address]

    def pages(self) -> Iterator[list[HarvestedRecord]]:
        """The datasets of each page, first page first."""
        location: str | None = self.source
        seen: set[str] = set()
        while location is not None:
            if _page_key(location) in seen:
                self.incomplete = (f"the paging returns to {location}, a page already read",
                                   f"die Seitenfolge führt zurück zu {location}, einer schon gelesenen Seite")
                return
            if self.pages_read >= self.max_pages:
                self.incomplete = (f"more than {self.max_pages} pages", f"mehr als {self.max_pages} Seiten")
                return
            seen.add(_page_key(location))
            if self.deadline is not None:
                self.deadline.check()
            content, content_type, where = self._read(location)
            try:
                graph = parse_page(content, location=where, content_type=content_type, timeout=self.timeout,
                                   max_triples=self.max_triples, fetch_context=self._context)
            except SourceUnreadable as exc:
                if _is_web(where) or location != self.source:
                    raise
                raise SourceInvalid(str(exc)) from exc  # a local file that is no catalog: a wrong argument
            self.pages_read += 1
            records, skipped = dataset_records(graph, city=self.city)
            self.skipped += skipped
            records = self._recognisable(records)
            yield records
            following = next_page(graph)
            location = self._follow(where, following) if following else None

    def _recognisable(self, records: list[HarvestedRecord]) -> list[HarvestedRecord]:
        """The records whose remote id the store can keep; a longer IRI is skipped (reported)."""
        kept: list[HarvestedRecord] = []
        for record in records:
            if len(record.remote_id) > MAX_REMOTE_ID:
                self.skipped.append(Skipped(
                    value=record.remote_id[:120] + "…",
                    reason=f"an IRI of {len(record.remote_id):,} characters (more than {MAX_REMOTE_ID}) cannot be "
                           "recognised again",
                    reason_de=f"Die IRI des Datensatzes ist mit {len(record.remote_id):,} Zeichen zu lang (höchstens "
                              f"{MAX_REMOTE_ID}), um ihn wiederzuerkennen.".replace(",", "."),
                ))
            else:
                kept.append(record)
        return kept

    def _follow(self, current: str, target: str) -> str | None:
        """The absolute next page; a link to another kind of location, or out of a file catalog's folder,
        ends the read as incomplete."""
        absolute = urljoin(current, target)
        if _is_web(absolute) != _is_web(self.source) or not (_is_web(absolute) or absolute.startswith("file:")) \
                or not self._in_folder(absolute):
            self.incomplete = (f"the next page {absolute} is not where the catalog is",
                               f"die nächste Seite {absolute} liegt nicht dort, wo der Katalog liegt")
            return None
        return absolute

    def _in_folder(self, location: str) -> bool:
        """A web page anywhere; a file page only inside the first page's folder (links followed)."""
        if _is_web(location) or self._folder is None:
            return True
        path = Path(url2pathname(urlsplit(location).path)).resolve()
        return path.is_relative_to(self._folder) and urlsplit(location).netloc in ("", "localhost")

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None
