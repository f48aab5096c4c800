"""The inventory as a DCAT-AP.de catalog: entries (the JSONL export records of SURVEY.md) to an RDF graph.

The mapping follows STANDARDS.md ("DCAT-AP.de output that passes the official shapes") and is written
for both profiles GovData checks against: DCAT-AP.de 2.0 with the Konventionen, and DCAT-AP.de 3.0.

- One ``dcat:Dataset`` per entry, IRI ``<base>/dataset/<identifier>`` (the identifier percent-encoded, so
  two identifiers never share an IRI and an IRI never changes while the identifier does not).
- The city is the publisher (``foaf:Organization``, ``dct:type`` LocalAuthority) and the one
  ``dcatde:contributorID``; its municipality key is the political geocoding.
- One ``dcat:Distribution`` per format, IRI ``<dataset>/distribution/<FORMAT-CODE>``; licence and
  attribution text sit on every distribution, as GovData reads them from there. The bulk download and the
  API add to them (:func:`entry_access`, the one plan the CKAN package mapping writes too); the API is a
  ``dcat:DataService`` ``<dataset>/dataservice``.
- Addresses are percent-encoded as ckanext-dcat writes them in the portal's DCAT (:func:`iri_text`).

An entry without an access URL but with a landing page gets the landing page as ``dcat:accessURL`` (DCAT
allows it: the page gives access to the data). What cannot become a valid dataset is left out and reported
in :attr:`CatalogExport.skipped` with a stable reason code, never exported half-way: an entry without a
licence (both profiles demand one on every distribution), without any URL (a distribution must have an
access URL, and a dataset without distributions would carry no licence, which GovData needs), without
identifier, title or description, of an unknown city, a repeated identifier, and, whatever else is set,
an entry with personal data (STANDARDS.md: never published). Choosing which entries are published
(approval, access rights, open licence) is the review's job; this module maps what it is given.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal
from urllib.parse import quote, urlsplit

from rdflib import BNode, Graph, Namespace, URIRef
from rdflib import Literal as RdfLiteral
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, XSD

from catalog.keywords import clean_keywords
from catalog.organisation import City, Organisation, UnknownCity, UnknownDepartment
from catalog.records import record_list, record_text
from catalog.vocabulary import Concept, vocabularies

DCATDE = Namespace("http://dcat-ap.de/def/dcatde/")
DCATAP = Namespace("http://data.europa.eu/r5r/")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
ELI = Namespace("http://data.europa.eu/eli/ontology#")
ADMS = Namespace("http://www.w3.org/ns/adms#")

LANGUAGE_DEU = URIRef("http://publications.europa.eu/resource/authority/language/DEU")
DATA_THEME_SCHEME = URIRef("http://publications.europa.eu/resource/authority/data-theme")
LICENSE_BASE = "http://dcat-ap.de/def/licenses/"
GEOCODING_BASE = "http://dcat-ap.de/def/politicalGeocoding/"
GEOCODING_LEVEL_BASE = GEOCODING_BASE + "Level/"
MEDIA_TYPE_BASE = "https://www.iana.org/assignments/media-types/"
LOCAL_AUTHORITY = URIRef("http://purl.org/adms/publishertype/LocalAuthority")

RdfFormat = Literal["turtle", "xml", "json-ld"]

# The key type of a political geocoding URI (its path segment) and the level it stands for.
_GEOCODING_LEVELS: dict[str, str] = {
    "municipalityKey": "municipality",
    "municipalAssociationKey": "municipality",
    "regionalKey": "municipality",
    "districtKey": "administrativeDistrict",
    "governmentDistrictKey": "administrativeDistrict",
    "stateKey": "state",
}

# IANA media types of the common EU file-type codes (data.europa.eu's MQA scores a media type).
_MEDIA_TYPES: dict[str, str] = {
    "CSV": "text/csv",
    "TSV": "text/tab-separated-values",
    "TXT": "text/plain",
    "HTML": "text/html",
    "JSON": "application/json",
    "GEOJSON": "application/geo+json",
    "XML": "application/xml",
    "PDF": "application/pdf",
    "ZIP": "application/zip",
    "XLSX": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "XLS": "application/vnd.ms-excel",
    "ODS": "application/vnd.oasis.opendocument.spreadsheet",
    "DOCX": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "ODT": "application/vnd.oasis.opendocument.text",
    "KML": "application/vnd.google-earth.kml+xml",
    "KMZ": "application/vnd.google-earth.kmz",
    "GML": "application/gml+xml",
    "GPKG": "application/geopackage+sqlite3",
    "RDF_XML": "application/rdf+xml",
    "RDF_TURTLE": "text/turtle",
    "JSON_LD": "application/ld+json",
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "TIFF": "image/tiff",
}

# File extensions that mark a URL as a direct download of a format (besides the lower-cased code).
_EXTENSIONS: dict[str, tuple[str, ...]] = {
    "JPEG": ("jpg", "jpeg"),
    "TIFF": ("tif", "tiff"),
    "HTML": ("htm", "html"),
    "GZIP": ("gz",),
}

_SERVICE_SUFFIX = "_SRVC"

# Skip reasons (stable codes, as findings have).
SKIP_PERSONAL_DATA = "personal-data"
SKIP_NO_IDENTIFIER = "missing-identifier"
SKIP_DUPLICATE = "duplicate-identifier"
SKIP_NO_TITLE = "missing-title"
SKIP_NO_DESCRIPTION = "missing-description"
SKIP_NO_LICENSE = "missing-license"
SKIP_NO_URL = "no-access-url"
SKIP_UNKNOWN_CITY = "unknown-city"
SKIP_OTHER_CITY = "other-city"


@dataclass(frozen=True)
class Skipped:
    """An entry that is not in the catalog, and why (one of the ``SKIP_*`` codes)."""

    identifier: str | None
    reason: str
    message: str


@dataclass
class CatalogExport:
    """The catalog graph and the entries that could not be part of it."""

    graph: Graph
    catalog: URIRef
    datasets: list[URIRef] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def dataset_uri(base_uri: str, identifier: str) -> URIRef:
    """The stable IRI of an entry's dataset: ``<base>/dataset/<identifier, percent-encoded>``."""
    return URIRef(f"{_base(base_uri)}/dataset/{quote(identifier.strip(), safe='')}")


def distribution_uri(dataset: str, code: str) -> URIRef:
    """The IRI of a dataset's distribution of one format: ``<dataset>/distribution/<FORMAT-CODE>``
    (``data`` for the one distribution of an entry without a format)."""
    return URIRef(f"{dataset}/distribution/{quote(code or 'data', safe='')}")


def spatial_label(geocoding: str, city: City) -> str:
    """The name of a political geocoding area: the city's name for its own municipality key, else the key."""
    if geocoding == city.geocoding_uri:
        return city.name
    return geocoding.rstrip("/").rsplit("/", 1)[-1]


def catalog_uri(base_uri: str, city: str | None = None) -> URIRef:
    """The IRI of the catalog: ``<base>/catalog``, or ``<base>/catalog/<city>`` for one city's catalog."""
    suffix = f"/{quote(city, safe='')}" if city else ""
    return URIRef(f"{_base(base_uri)}/catalog{suffix}")


def publisher_uri(base_uri: str, city: str) -> URIRef:
    """The IRI of a city as publisher: ``<base>/publisher/<city>``."""
    return URIRef(f"{_base(base_uri)}/publisher/{quote(city, safe='')}")


def _base(base_uri: str) -> str:
    base = base_uri.strip().rstrip("/")
    if not re.match(r"(?i)^https?://[^/\s]+", base):
        raise ValueError(f"base_uri must be an http(s) URL such as the portal's address, got {base_uri!r}")
    return base


def new_graph() -> Graph:
    """An empty graph with the prefixes of DCAT-AP.de bound (readable Turtle, RDF/XML and JSON-LD)."""
    graph = Graph(bind_namespaces="core")
    for prefix, namespace in (
        ("dcat", DCAT),
        ("dct", DCTERMS),
        ("dcatde", DCATDE),
        ("dcatap", DCATAP),
        ("foaf", FOAF),
        ("vcard", VCARD),
        ("skos", SKOS),
        ("eli", ELI),
        ("adms", ADMS),
    ):
        graph.bind(prefix, namespace, override=True)
    return graph


class _EntryError(ValueError):
    """A value of an entry that breaks the export contract (not a URI where a URI must be, a bad date)."""


# What stays as it is in an address the export writes; everything else is percent-encoded: what an IRI does
# not allow, letters beyond ASCII, and the characters ckanext-dcat encodes in every address it writes
# (``CleanedURIRef``: ``!$'()*,;[]`` among them), so that an address (a WMS with ``LAYERS=a,b``, a file
# named ``Bäume.csv``) is the same IRI in the export and in the portal's DCAT.
_IRI_SAFE = ":/?#@&+=%~"


def iri_text(value: str) -> str:
    """An address as both paths write it (see ``_IRI_SAFE``); what is encoded already stays as it is."""
    return quote(value.strip(), safe=_IRI_SAFE)


def _iri(value: str, field_name: str) -> URIRef:
    """A URL or URI as an IRI, percent-encoded as :func:`iri_text` does."""
    text = value.strip()
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:\S", text):
        raise _EntryError(f"{field_name} is not an absolute URI: {value!r}")
    return URIRef(iri_text(text))


def _date_literal(value: Any, field_name: str) -> RdfLiteral:
    """A calendar date (``YYYY-MM-DD``) as ``xsd:date``."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return RdfLiteral(value.isoformat(), datatype=XSD.date)
    text = str(value).strip()
    try:
        parsed = date.fromisoformat(text)
    except ValueError:
        raise _EntryError(f"{field_name} is not an ISO date: {value!r}") from None
    return RdfLiteral(parsed.isoformat(), datatype=XSD.date)


def _date_or_datetime_literal(value: Any, field_name: str) -> RdfLiteral:
    """A point in time: ``xsd:dateTime`` when it has a time of day, ``xsd:date`` when it is a plain date."""
    if isinstance(value, datetime):
        return RdfLiteral(value.isoformat(), datatype=XSD.dateTime)
    if isinstance(value, date):
        return RdfLiteral(value.isoformat(), datatype=XSD.date)
    text = str(value).strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return _date_literal(text, field_name)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise _EntryError(f"{field_name} is not an ISO date or date-time: {value!r}") from None
    return RdfLiteral(parsed.isoformat(), datatype=XSD.dateTime)


def _mailto(email: str) -> URIRef:
    address = email.strip()
    if address.lower().startswith("mailto:"):
        address = address[len("mailto:") :].strip()
    return URIRef("mailto:" + quote(address, safe="@!$&'*+=.-_~"))


def _license(value: str) -> tuple[URIRef, Concept | None]:
    """The licence IRI in its canonical dcat-ap.de form (no trailing slash, ``http``) and its concept."""
    concept = vocabularies()["license"].get(value.strip())
    if concept is None:
        match = vocabularies()["license"].lookup(value)
        concept = match.concept if match.ok else None
    if concept is not None and concept.uri:
        return URIRef(concept.uri), concept
    text = value.strip()
    if re.match(r"(?i)^https?://(www\.)?dcat-ap\.de/def/licenses/", text):
        text = LICENSE_BASE + re.sub(r"(?i)^https?://(www\.)?dcat-ap\.de/def/licenses/", "", text).rstrip("/")
    return _iri(text, "license"), None


def geocoding_level(geocoding: str, city: City) -> URIRef | None:
    """The political geocoding level that fits a geocoding URI (the city's own when it is the city)."""
    if geocoding == city.geocoding_uri:
        return URIRef(city.geocoding_level)
    if geocoding.startswith(GEOCODING_BASE):
        key_type = geocoding[len(GEOCODING_BASE) :].split("/", 1)[0]
        level = _GEOCODING_LEVELS.get(key_type)
        if level:
            return URIRef(GEOCODING_LEVEL_BASE + level)
    return None


def media_type(code: str) -> str | None:
    """The IANA media type of an EU file-type code (None for services and unknown formats)."""
    if code.endswith(_SERVICE_SUFFIX):
        return None
    return _MEDIA_TYPES.get(code)


def is_download_url(url: str, code: str) -> bool:
    """True when ``url`` is a direct download of the format ``code`` (its file name has that extension)."""
    return not code.endswith(_SERVICE_SUFFIX) and _is_download(url, code)


def _is_download(url: str, code: str) -> bool:
    """True when the URL's file name ends in the extension of ``code`` (a direct download of that format)."""
    path = urlsplit(url).path.lower()
    if "." not in path.rsplit("/", 1)[-1]:
        return False
    extension = path.rsplit(".", 1)[-1]
    return extension in (code.lower(), *_EXTENSIONS.get(code, ()))


# --------------------------------------------------------------------------- downloads and services of an entry

# The keys of an entry that hold a URL a distribution can point to.
_URL_KEYS = ("access_url", "landing_page", "download_url", "api_url")
_OGC_CAPABILITIES = frozenset({"WMS", "WFS", "WMTS"})


def format_codes(entry: Mapping[str, Any]) -> list[str]:
    """The EU file-type codes of an entry's formats (``CSV``, ``WMS_SRVC``, ...), in the entry's order."""
    file_types = vocabularies()["file_type"]
    codes = []
    for value in record_list(entry, "formats"):
        concept = file_types.get(value)
        codes.append(concept.code if concept else value.rstrip("/").rsplit("/", 1)[-1])
    return codes


def service_kind(entry: Mapping[str, Any]) -> Concept | None:
    """The kind of interface an entry is served through: as the survey names it (``api_type``), else from
    a service format (``WMS_SRVC`` is a WMS); None when neither says."""
    kinds = vocabularies()["api_type"]
    given = record_text(entry, "api_type")
    if given:
        concept = kinds.get(given)
        if concept is not None:
            return concept
    for code in format_codes(entry):
        for concept in kinds:
            if concept.file_type and concept.file_type == code:
                return concept
    return None


def service_endpoint(entry: Mapping[str, Any]) -> str | None:
    """The URL of the entry's API: the survey's ``api_url``, else its access URL when every format it
    names is a service (a WMS or WFS given as the entry's URL); None when the entry has no API."""
    given = record_text(entry, "api_url")
    if given:
        return given
    access = record_text(entry, "access_url")
    codes = format_codes(entry)
    if access and codes and all(code.endswith(_SERVICE_SUFFIX) for code in codes):
        return access
    return None


def bulk_download_url(entry: Mapping[str, Any]) -> str | None:
    """The URL of a file with the whole dataset: the survey's ``download_url``, else the access URL when it
    is a direct download of one of the entry's (non-service) formats; None when there is none."""
    given = record_text(entry, "download_url")
    if given:
        return given
    access = record_text(entry, "access_url")
    if access and any(is_download_url(access, code) for code in format_codes(entry)):
        return access
    return None


def capabilities_url(endpoint: str, kind: Concept | None) -> str | None:
    """The GetCapabilities request of an OGC web service (its own machine-readable description)."""
    if kind is None or kind.code not in _OGC_CAPABILITIES:
        return None
    if re.search(r"(?i)[?&]request=getcapabilities", endpoint):
        return endpoint
    joiner = "&" if "?" in endpoint else "?"
    return f"{endpoint.rstrip('&')}{joiner}SERVICE={kind.code}&REQUEST=GetCapabilities"


def data_service_uri(dataset: str) -> URIRef:
    """The IRI of the data service (API) of a dataset: ``<dataset>/dataservice``.

    One service description per dataset, as the portal's DCAT can carry it (ckanext-dcat keeps an access
    service on the resource of a package): two datasets served by the same endpoint have two descriptions
    with the same ``dcat:endpointURL``, each with its own licence and contact point."""
    return URIRef(f"{dataset}/dataservice")


def _extension_code(url: str) -> str | None:
    """The EU file-type code whose extension the URL's file name has (``.zip`` -> ZIP), or None."""
    name = urlsplit(url).path.rsplit("/", 1)[-1].lower()
    if "." not in name:
        return None
    extension = name.rsplit(".", 1)[-1]
    for concept in vocabularies()["file_type"]:
        if not concept.code.endswith(_SERVICE_SUFFIX) and extension in (concept.code.lower(), *_EXTENSIONS.get(concept.code, ())):
            return concept.code
    return None


@dataclass(frozen=True)
class PlannedDistribution:
    """One distribution of an entry, as both the DCAT-AP.de export and the CKAN package write it.

    ``code`` is the last segment of its IRI (the format code; ``data`` for the one distribution of an entry
    without a format, ``download`` / ``api`` for a bulk download or an API of no known format). ``service``
    marks the distribution of the entry's API: its access URL is the endpoint, and it points to the entry's
    data service (when it has one, see :class:`PlannedService`)."""

    code: str
    title: str
    access_url: str
    format: str | None = None  # the EU file-type IRI
    media_type: str | None = None  # the IANA media-type IRI
    download_url: str | None = None
    service: bool = False


@dataclass(frozen=True)
class PlannedService:
    """The entry's API as a ``dcat:DataService``: endpoint, its description (``dcat:endpointDescription`` and
    ``foaf:page``: the survey's documentation, for an OGC web service its GetCapabilities request), the
    standard it conforms to, title and description."""

    endpoint: str
    kind: Concept | None
    documentation: str | None
    title: str
    description: str

    @property
    def standard(self) -> str | None:
        return self.kind.standard if self.kind is not None else None


@dataclass(frozen=True)
class EntryAccess:
    """How an entry's data is reached: its distributions and its data service (None: no API, or an HVD
    API without any description, which stays a plain distribution; ``catalog.hvd`` asks for one)."""

    distributions: tuple[PlannedDistribution, ...]
    service: PlannedService | None


def entry_access(entry: Mapping[str, Any]) -> EntryAccess:
    """The distributions and the data service of an entry: the one plan the DCAT-AP.de export and the CKAN
    package mapping (:mod:`catalog.publish.mapping`) both write, so that the portal's DCAT is the export's.

    - One distribution per format (one without format when none is known), its access URL the entry's
      access URL (else landing page, else bulk download).
    - A distribution's ``dcat:downloadURL``: the survey's bulk download (column Z) when its file is of the
      distribution's format, else the access URL when that is a file of the format; one per distribution
      (a CKAN resource holds one). A bulk download of no format of the entry gets a distribution of its own.
    - The API (:func:`service_endpoint`): the distributions of service formats (WMS, WFS, ...) get the
      endpoint as access URL and point to the data service; an entry without a service format gets a
      distribution of its own for it.
    """
    file_types = vocabularies()["file_type"]
    title = record_text(entry, "title") or ""
    access = record_text(entry, "access_url") or record_text(entry, "landing_page") or record_text(entry, "download_url")
    download = record_text(entry, "download_url")
    endpoint = service_endpoint(entry)
    hvd = bool(record_text(entry, "hvd_category"))
    planned: list[PlannedDistribution] = []
    if access:  # else only an API (the distribution of the API follows)
        formats: list[tuple[str, str | None, str]] = []  # (code, format IRI, label)
        for value in record_list(entry, "formats"):
            concept = file_types.get(value)
            code = concept.code if concept else value.rstrip("/").rsplit("/", 1)[-1]
            formats.append((code, value, concept.de if concept else code))
        for code, format_iri, label in formats or [("data", None, "")]:
            is_service = code.endswith(_SERVICE_SUFFIX)
            media = media_type(code) if format_iri else None
            downloaded = None
            if format_iri and not is_service:
                if download and is_download_url(download, code):
                    downloaded = download
                elif _is_download(access, code):
                    downloaded = access
            served = bool(endpoint) and is_service
            planned.append(PlannedDistribution(
                code=code, title=f"{title} ({label})" if label else title,
                access_url=endpoint if served and endpoint else access, format=format_iri,
                media_type=MEDIA_TYPE_BASE + media if media else None, download_url=downloaded, service=served))
    if download and not any(d.download_url == download for d in planned):
        extension = _extension_code(download)
        media = media_type(extension) if extension else None
        planned.append(PlannedDistribution(
            code=extension or "download",
            title=f"{title} ({file_types.by_code(extension).de if extension else 'Download'})",
            access_url=download, format=file_types.by_code(extension).value if extension else None,
            media_type=MEDIA_TYPE_BASE + media if media else None, download_url=download))
    service = None
    if endpoint:
        kind = service_kind(entry)
        name = kind.label if kind is not None else "Schnittstelle"
        if not any(d.service for d in planned):
            service_code = kind.file_type if kind is not None else None
            planned.append(PlannedDistribution(
                code=service_code or "api", title=f"{title} ({name})", access_url=endpoint,
                format=file_types.by_code(service_code).value if service_code else None, service=True))
        documentation = record_text(entry, "api_documentation") or capabilities_url(endpoint, kind)
        if documentation or not hvd:
            service = PlannedService(endpoint=endpoint, kind=kind, documentation=documentation,
                                     title=f"{title} – {name}", description=f"{name} zum Datenbestand „{title}“.")
    return EntryAccess(tuple(planned), service)


class _Builder:
    """Adds entries to one graph; holds what is shared between datasets (publishers, the HVD legislation)."""

    def __init__(self, graph: Graph, organisation: Organisation, base_uri: str) -> None:
        self.graph = graph
        self.organisation = organisation
        self.base_uri = base_uri
        self.vocab = vocabularies()
        self.publishers: dict[str, URIRef] = {}
        legislation = self.vocab["hvd_category"].extra.get("applicable_legislation")
        self.hvd_legislation = URIRef(legislation) if legislation else None
        self.services: dict[str, URIRef] = {}  # dataset IRI -> its dcat:DataService

    def publisher(self, city: City) -> URIRef:
        """The city as ``foaf:Organization`` (added once per graph)."""
        node = self.publishers.get(city.key)
        if node is None:
            g = self.graph
            node = publisher_uri(self.base_uri, city.key)
            g.add((node, RDF.type, FOAF.Agent))  # as ckanext-dcat writes a publisher: the portal's DCAT agrees
            g.add((node, FOAF.name, RdfLiteral(city.name, lang="de")))
            g.add((node, DCTERMS.type, URIRef(city.publisher_type)))
            if city.homepage:
                g.add((node, FOAF.homepage, _iri(city.homepage, "homepage")))
            self.publishers[city.key] = node
        return node

    def contact(self, entry: Mapping[str, Any], city: City, node: URIRef) -> None:
        """``vcard:Organization`` with a name and a ``mailto:`` IRI; falls back to the department, then the city."""
        department = None
        code = record_text(entry, "department")
        if code:
            try:
                department = self.organisation.department(city.key, code)
            except UnknownDepartment:
                department = None
        name = record_text(entry, "contact_name") or (department.name if department else None) or city.name
        email = record_text(entry, "contact_email") or (department.email if department else None) or city.opendata_email
        g = self.graph
        g.add((node, RDF.type, VCARD.Organization))
        g.add((node, VCARD.fn, RdfLiteral(name, lang="de")))
        if email:
            g.add((node, VCARD.hasEmail, _mailto(email)))
        else:
            # K01 / vcard:Kind need an e-mail or a URL; the city's homepage is the way to reach someone.
            g.add((node, VCARD.hasURL, _iri(city.homepage, "homepage")))

    def dataset(self, entry: Mapping[str, Any], city: City, identifier: str) -> URIRef:
        g = self.graph
        ds = dataset_uri(self.base_uri, identifier)
        title = record_text(entry, "title") or ""
        g.add((ds, RDF.type, DCAT.Dataset))
        g.add((ds, DCTERMS.identifier, RdfLiteral(identifier)))
        g.add((ds, DCTERMS.title, RdfLiteral(title, lang="de")))
        g.add((ds, DCTERMS.description, RdfLiteral(record_text(entry, "description") or "", lang="de")))
        g.add((ds, DCTERMS.publisher, self.publisher(city)))
        g.add((ds, DCATDE.contributorID, URIRef(city.contributor_id)))

        for theme in record_list(entry, "theme"):
            g.add((ds, DCAT.theme, _iri(theme, "theme")))
        for keyword in clean_keywords(record_list(entry, "keywords")):
            g.add((ds, DCAT.keyword, RdfLiteral(keyword, lang="de")))

        contact = URIRef(f"{ds}#contact")
        g.add((ds, DCAT.contactPoint, contact))
        self.contact(entry, city, contact)

        # Political geocoding: the entry's area, else the city (K8: municipal data carries its municipality);
        # dct:spatial only where the entry has a spatial reference at all.
        spatial = record_text(entry, "spatial")
        geocoding = _iri(spatial, "spatial") if spatial else URIRef(city.geocoding_uri)
        g.add((ds, DCATDE.politicalGeocodingURI, geocoding))
        level = geocoding_level(str(geocoding), city)
        if level is not None:
            g.add((ds, DCATDE.politicalGeocodingLevelURI, level))
        if spatial:
            g.add((ds, DCTERMS.spatial, geocoding))
            g.add((geocoding, RDF.type, DCTERMS.Location))
            g.add((geocoding, SKOS.prefLabel, RdfLiteral(spatial_label(str(geocoding), city))))

        frequency = record_text(entry, "frequency")
        if frequency:
            g.add((ds, DCTERMS.accrualPeriodicity, _iri(frequency, "frequency")))
        access_rights = record_text(entry, "access_rights")
        if access_rights:
            g.add((ds, DCTERMS.accessRights, _iri(access_rights, "access_rights")))

        start, end = entry.get("temporal_start"), entry.get("temporal_end")
        if start or end:
            period = BNode()  # as ckanext-dcat writes a period: the portal's DCAT agrees
            g.add((ds, DCTERMS.temporal, period))
            g.add((period, RDF.type, DCTERMS.PeriodOfTime))
            if start:
                g.add((period, DCAT.startDate, _date_literal(start, "temporal_start")))
            if end:
                g.add((period, DCAT.endDate, _date_literal(end, "temporal_end")))

        issued = entry.get("issued")
        if issued:
            g.add((ds, DCTERMS.issued, _date_or_datetime_literal(issued, "issued")))
        modified = entry.get("modified") or entry.get("last_updated")
        if modified:
            g.add((ds, DCTERMS.modified, _date_or_datetime_literal(modified, "modified")))

        landing_page = record_text(entry, "landing_page")
        if landing_page:
            g.add((ds, DCAT.landingPage, _iri(landing_page, "landing_page")))

        hvd = record_text(entry, "hvd_category")
        if hvd:
            g.add((ds, DCATAP.hvdCategory, _iri(hvd, "hvd_category")))
            if self.hvd_legislation is not None:
                g.add((ds, DCATAP.applicableLegislation, self.hvd_legislation))
                g.add((self.hvd_legislation, RDF.type, ELI.LegalResource))

        self.distributions(entry, ds, title, bool(hvd))
        self.access_extras(entry, ds, city, title, bool(hvd))
        if hvd:
            self.hvd_types(ds)
        return ds

    def distributions(self, entry: Mapping[str, Any], ds: URIRef, title: str, hvd: bool) -> None:
        """The entry's distributions (:func:`entry_access`), each with licence, attribution, dates and, for a
        High-Value Dataset, the HVD legislation."""
        g = self.graph
        license_iri, license_concept = _license(record_text(entry, "license") or "")
        attribution = record_text(entry, "attribution")
        needs_attribution = license_concept.attribution if license_concept is not None else bool(attribution)
        issued = entry.get("issued")
        changed = entry.get("last_updated") or entry.get("modified")
        for planned in entry_access(entry).distributions:
            dist = distribution_uri(ds, planned.code)
            g.add((ds, DCAT.distribution, dist))
            g.add((dist, RDF.type, DCAT.Distribution))
            g.add((dist, DCTERMS.title, RdfLiteral(planned.title, lang="de")))
            g.add((dist, DCAT.accessURL, _iri(planned.access_url, "api_url" if planned.service else "access_url")))
            if planned.format:
                g.add((dist, DCTERMS.format, _iri(planned.format, "formats")))
            if planned.media_type:
                g.add((dist, DCAT.mediaType, URIRef(planned.media_type)))
            if planned.download_url:
                g.add((dist, DCAT.downloadURL, _iri(planned.download_url, "download_url")))
            g.add((dist, DCTERMS.license, license_iri))
            if needs_attribution and attribution:
                g.add((dist, DCATDE.licenseAttributionByText, RdfLiteral(attribution, lang="de")))
            if issued:
                g.add((dist, DCTERMS.issued, _date_or_datetime_literal(issued, "issued")))
            if changed:
                g.add((dist, DCTERMS.modified, _date_or_datetime_literal(changed, "last_updated")))
            if hvd and self.hvd_legislation is not None:
                g.add((dist, DCATAP.applicableLegislation, self.hvd_legislation))

    # ----------------------------------------------------------------------- the API

    def access_extras(self, entry: Mapping[str, Any], ds: URIRef, city: City, title: str, hvd: bool) -> None:
        """The entry's API as a ``dcat:DataService`` that the distributions of the API point to
        (``dcat:accessService``)."""
        access = entry_access(entry)
        if access.service is None:
            return
        service = self.data_service(entry, ds, city, access.service, hvd)
        for planned in access.distributions:
            if planned.service:
                self.graph.add((distribution_uri(ds, planned.code), DCAT.accessService, service))

    def data_service(self, entry: Mapping[str, Any], ds: URIRef, city: City, planned: PlannedService,
                     hvd: bool) -> URIRef:
        """The ``dcat:DataService`` of ``ds`` (:func:`data_service_uri`): endpoint URL and description,
        standard, licence, contact, publisher, access rights and, for a High-Value Dataset, its category and
        legislation."""
        g = self.graph
        node = data_service_uri(str(ds))
        self.services[str(ds)] = node
        g.add((node, RDF.type, DCAT.DataService))
        g.add((node, DCTERMS.title, RdfLiteral(planned.title, lang="de")))
        g.add((node, DCTERMS.description, RdfLiteral(planned.description, lang="de")))
        g.add((node, DCAT.endpointURL, _iri(planned.endpoint, "api_url")))
        if planned.documentation:
            page = _iri(planned.documentation, "api_documentation")
            g.add((node, DCAT.endpointDescription, page))
            g.add((node, FOAF.page, page))
            g.add((page, RDF.type, FOAF.Document))
        if planned.standard:
            g.add((node, DCTERMS.conformsTo, URIRef(planned.standard)))
            g.add((URIRef(planned.standard), RDF.type, DCTERMS.Standard))
        g.add((node, DCTERMS.publisher, self.publisher(city)))
        contact = URIRef(f"{node}#contact")
        g.add((node, DCAT.contactPoint, contact))
        self.contact(entry, city, contact)
        licence = record_text(entry, "license")
        if licence:
            g.add((node, DCTERMS.license, _license(licence)[0]))
        access_rights = record_text(entry, "access_rights")
        if access_rights:
            g.add((node, DCTERMS.accessRights, _iri(access_rights, "access_rights")))
        g.add((node, DCAT.servesDataset, ds))
        category = record_text(entry, "hvd_category")
        if hvd and category:
            g.add((node, DCATAP.hvdCategory, _iri(category, "hvd_category")))
            if self.hvd_legislation is not None:
                g.add((node, DCATAP.applicableLegislation, self.hvd_legislation))
        return node

    def hvd_types(self, ds: URIRef) -> None:
        """Type the nodes an HVD dataset links to, as the DCAT-AP HVD range checks demand (they run without
        the ontologies): categories as ``skos:Concept``, licences as ``dct:LicenseDocument``, contact points
        as ``vcard:Kind`` (a ``vcard:Organization`` is one)."""
        g = self.graph
        nodes = [ds, *g.objects(ds, DCAT.distribution)]
        nodes += [s for d in list(nodes) for s in g.objects(d, DCAT.accessService)]
        scheme = self.vocab["hvd_category"].uri
        for node in nodes:
            for category in g.objects(node, DCATAP.hvdCategory):
                g.add((category, RDF.type, SKOS.Concept))
                if scheme:
                    g.add((category, SKOS.inScheme, URIRef(scheme)))
            for licence in g.objects(node, DCTERMS.license):
                g.add((licence, RDF.type, DCTERMS.LicenseDocument))
            for contact in g.objects(node, DCAT.contactPoint):
                g.add((contact, RDF.type, VCARD.Kind))

def skip_reason(entry: Mapping[str, Any]) -> tuple[str, str] | None:
    """Why an entry cannot be a valid dataset of the catalog, or None when it can."""
    if str(entry.get("personal_data") or "").strip().lower() == "yes":
        return SKIP_PERSONAL_DATA, "contains personal data, which is never published"
    if not record_text(entry, "title"):
        return SKIP_NO_TITLE, "has no title"
    if not record_text(entry, "description"):
        return SKIP_NO_DESCRIPTION, "has no description"
    if not record_text(entry, "license"):
        return SKIP_NO_LICENSE, "has no licence; every distribution needs one"
    if not any(record_text(entry, key) for key in _URL_KEYS):
        return SKIP_NO_URL, "has neither an access URL nor a landing page: nothing to link a distribution to"
    return None



def _exportable(entries: Iterable[Mapping[str, Any]], organisation: Organisation, only_city: City | None,
                skip: Callable[[Mapping[str, Any]], tuple[str, str] | None],
                export: CatalogExport) -> Iterator[tuple[Mapping[str, Any], str, City]]:
    """The entries a catalog takes, each with its identifier and city; every other one is recorded in
    ``export.skipped`` with its reason (no identifier, another or an unknown city, a second entry with
    the same identifier, or what ``skip`` says of it)."""
    seen: set[str] = set()
    for entry in entries:
        identifier = record_text(entry, "identifier")
        if identifier is None:
            export.skipped.append(Skipped(None, SKIP_NO_IDENTIFIER, f"entry {record_text(entry, 'title')!r} has no identifier"))
            continue
        city_key = record_text(entry, "city") or ""
        if only_city is not None and city_key != only_city.key:
            export.skipped.append(Skipped(identifier, SKIP_OTHER_CITY, f"belongs to {city_key!r}, not {only_city.key}"))
            continue
        try:
            entry_city = organisation.city(city_key)
        except UnknownCity:
            export.skipped.append(Skipped(identifier, SKIP_UNKNOWN_CITY, f"unknown city {city_key!r}"))
            continue
        if identifier in seen:
            export.skipped.append(Skipped(identifier, SKIP_DUPLICATE, "identifier appears more than once"))
            continue
        reason = skip(entry)
        if reason is not None:
            export.skipped.append(Skipped(identifier, reason[0], f"{identifier} {reason[1]}"))
            continue
        seen.add(identifier)
        yield entry, identifier, entry_city

def build_catalog(
    entries: Iterable[Mapping[str, Any]],
    organisation: Organisation,
    *,
    base_uri: str,
    catalog_title: str,
    catalog_description: str,
    city: str | None = None,
    publisher_name: str | None = None,
    homepage: str | None = None,
    issued: str | date | None = None,
    modified: str | date | None = None,
) -> CatalogExport:
    """Map inventory entries to a DCAT-AP.de catalog and say which entries were left out.

    ``base_uri`` is the public address the IRIs are minted under (the portal's URL); ``city`` restricts the
    catalog to one city's entries and makes that city its publisher. A catalog of several cities needs
    ``publisher_name``: the body that runs the portal (its IRI is ``<base>/publisher``). ``homepage``
    (default: ``base_uri``) is the catalog's ``foaf:homepage``. Raises ``ValueError`` for an unknown
    ``city``, a missing ``publisher_name``, or an entry value that breaks the export contract (a coded
    value that is not a URI, a date that is not ISO), naming the entry.
    """
    base = _base(base_uri)
    graph = new_graph()
    builder = _Builder(graph, organisation, base)
    only_city = organisation.city(city) if city else None
    export = CatalogExport(graph=graph, catalog=catalog_uri(base, city))
    catalog = export.catalog
    cities_used: dict[str, City] = {}

    for entry, identifier, entry_city in _exportable(entries, organisation, only_city, skip_reason, export):
        try:
            dataset = builder.dataset(entry, entry_city, identifier)
        except _EntryError as exc:
            raise ValueError(f"entry {identifier}: {exc}") from None
        graph.add((catalog, DCAT.dataset, dataset))
        export.datasets.append(dataset)
        cities_used[entry_city.key] = entry_city
    for service in builder.services.values():
        graph.add((catalog, DCAT.service, service))

    if only_city is not None:
        publisher = builder.publisher(only_city)
    elif publisher_name:
        publisher = URIRef(f"{base}/publisher")
        graph.add((publisher, RDF.type, FOAF.Agent))
        graph.add((publisher, FOAF.name, RdfLiteral(publisher_name, lang="de")))
        graph.add((publisher, DCTERMS.type, LOCAL_AUTHORITY))
    elif len(cities_used) == 1:
        publisher = builder.publisher(next(iter(cities_used.values())))
    else:
        raise ValueError("a catalog of several cities needs publisher_name (the body that runs the portal)")

    graph.add((catalog, RDF.type, DCAT.Catalog))
    graph.add((catalog, DCTERMS.title, RdfLiteral(catalog_title, lang="de")))
    graph.add((catalog, DCTERMS.description, RdfLiteral(catalog_description, lang="de")))
    graph.add((catalog, DCTERMS.publisher, publisher))
    graph.add((catalog, DCTERMS.language, LANGUAGE_DEU))
    graph.add((catalog, FOAF.homepage, _iri(homepage or base + "/", "homepage")))
    graph.add((catalog, DCAT.themeTaxonomy, DATA_THEME_SCHEME))
    try:
        if issued:
            graph.add((catalog, DCTERMS.issued, _date_or_datetime_literal(issued, "issued")))
        if modified:
            graph.add((catalog, DCTERMS.modified, _date_or_datetime_literal(modified, "modified")))
    except _EntryError as exc:
        raise ValueError(f"catalog: {exc}") from None
    return export


def build_catalog_graph(
    entries: Iterable[Mapping[str, Any]],
    organisation: Organisation,
    *,
    base_uri: str,
    catalog_title: str,
    catalog_description: str,
    city: str | None = None,
    publisher_name: str | None = None,
    homepage: str | None = None,
    issued: str | date | None = None,
    modified: str | date | None = None,
) -> Graph:
    """The DCAT-AP.de catalog graph of ``entries``; see :func:`build_catalog` (which also lists skipped entries)."""
    return build_catalog(
        entries,
        organisation,
        base_uri=base_uri,
        catalog_title=catalog_title,
        catalog_description=catalog_description,
        city=city,
        publisher_name=publisher_name,
        homepage=homepage,
        issued=issued,
        modified=modified,
    ).graph


_RDFLIB_FORMATS: dict[str, str] = {"turtle": "turtle", "xml": "pretty-xml", "json-ld": "json-ld"}


def serialize(graph: Graph, format: RdfFormat = "turtle") -> bytes:
    """The graph as UTF-8 bytes in Turtle, RDF/XML or JSON-LD (compacted with the graph's prefixes)."""
    if format not in _RDFLIB_FORMATS:
        raise ValueError(f"unknown RDF format {format!r}; use one of {', '.join(_RDFLIB_FORMATS)}")
    if format == "json-ld":
        context = {prefix: str(ns) for prefix, ns in graph.namespaces() if prefix and prefix != "xml"}
        return graph.serialize(format="json-ld", context=context, encoding="utf-8")
    return graph.serialize(format=_RDFLIB_FORMATS[format], encoding="utf-8")


# --------------------------------------------------------------------------- the list of protected data

DGA_LEGISLATION = URIRef("http://data.europa.eu/eli/reg/2022/868/oj")
"""The Data Governance Act (Regulation (EU) 2022/868): Art. 8 asks for the list of protected data."""
CLOSED_LICENSE = LICENSE_BASE + "other-closed"

SKIP_NOT_PROTECTED = "not-protected"


def protected_catalog_uri(base_uri: str, city: str | None = None) -> URIRef:
    """The IRI of the list of protected data: ``<base>/catalog/protected`` (``.../protected/<city>``)."""
    suffix = f"/{quote(city, safe='')}" if city else ""
    return URIRef(f"{_base(base_uri)}/catalog/protected{suffix}")


def reuse_statement(entry: Mapping[str, Any], contact: str) -> str:
    """The German text of the rights statement of a protected holding: legal basis, conditions, where to ask."""
    legal = record_text(entry, "legal_basis") or record_text(entry, "restriction_reason")
    conditions = record_text(entry, "reuse_conditions")
    parts = []
    if legal:
        parts.append(f"Rechtsgrundlage der Beschränkung: {legal.rstrip('.')}.")
    parts.append(f"Bedingungen der Weiterverwendung: {conditions.rstrip('.')}." if conditions
                 else "Bedingungen der Weiterverwendung: auf Anfrage.")
    parts.append(f"Anfragen zur Weiterverwendung an: {contact}.")
    return " ".join(parts)


class _ProtectedBuilder(_Builder):
    """Datasets of the list of protected data: described, never delivered.

    The contact is a functional one (the mailbox for re-use requests when one is given, else the department's
    published mailbox, else the city's open-data team, else the page for re-use requests), never the entry's
    contact person or address; each format becomes a
    distribution whose access URL is the page for re-use requests, with the conditions as its rights
    statement: no download URL, no URL of the data. The dataset names its legal basis and the DGA."""

    def __init__(self, graph: Graph, organisation: Organisation, base_uri: str, request_url: str | None,
                 request_email: str | None = None) -> None:
        super().__init__(graph, organisation, base_uri)
        self.request_url = request_url
        self.request_email = request_email

    def request_page(self, city: City) -> URIRef:
        return _iri(self.request_url or city.homepage, "request_url")

    def mailbox(self, entry: Mapping[str, Any], city: City) -> tuple[str, str | None]:
        """The name and functional e-mail address re-use requests go to (never a person's)."""
        if self.request_email:
            return city.opendata_name or city.name, self.request_email
        code = record_text(entry, "department")
        if code:
            try:
                department = self.organisation.department(city.key, code)
            except UnknownDepartment:
                department = None
            if department is not None and department.email:
                return department.name, department.email
        return city.opendata_name or city.name, city.opendata_email

    def contact(self, entry: Mapping[str, Any], city: City, node: URIRef) -> None:
        name, email = self.mailbox(entry, city)
        g = self.graph
        g.add((node, RDF.type, VCARD.Organization))
        g.add((node, VCARD.fn, RdfLiteral(name, lang="de")))
        if email:
            g.add((node, VCARD.hasEmail, _mailto(email)))
        else:
            g.add((node, VCARD.hasURL, self.request_page(city)))

    def dataset(self, entry: Mapping[str, Any], city: City, identifier: str) -> URIRef:
        ds = super().dataset(entry, city, identifier)
        g = self.graph
        legal = record_text(entry, "legal_basis") or record_text(entry, "restriction_reason")
        if legal:
            g.add((ds, DCATDE.legalBasis, RdfLiteral(legal, lang="de")))
        g.add((ds, DCATAP.applicableLegislation, DGA_LEGISLATION))
        g.add((DGA_LEGISLATION, RDF.type, ELI.LegalResource))
        return ds

    def distributions(self, entry: Mapping[str, Any], ds: URIRef, title: str, hvd: bool) -> None:
        g = self.graph
        city = self.organisation.city(record_text(entry, "city") or "")
        page = self.request_page(city)
        _name, email = self.mailbox(entry, city)
        rights = URIRef(f"{ds}#reuse-conditions")
        g.add((rights, RDF.type, DCTERMS.RightsStatement))
        g.add((rights, RDFS.label, RdfLiteral(reuse_statement(entry, email or str(page)), lang="de")))
        licence = record_text(entry, "license")
        license_iri = _license(licence)[0] if licence else URIRef(CLOSED_LICENSE)
        formats: list[tuple[str, str | None]] = list(zip(format_codes(entry), record_list(entry, "formats"), strict=True))
        for code, value in formats or [("data", None)]:
            dist = URIRef(f"{ds}/distribution/{quote(code, safe='')}")
            concept = self.vocab["file_type"].get(value) if value else None
            label = concept.de if concept else code if value else ""
            g.add((ds, DCAT.distribution, dist))
            g.add((dist, RDF.type, DCAT.Distribution))
            shown = f"{title} ({label}, auf Anfrage)" if label else f"{title} (auf Anfrage)"
            g.add((dist, DCTERMS.title, RdfLiteral(shown, lang="de")))
            g.add((dist, DCAT.accessURL, page))
            if value:
                g.add((dist, DCTERMS["format"], _iri(value, "formats")))
            g.add((dist, DCTERMS.license, license_iri))
            g.add((dist, DCTERMS.rights, rights))

    def access_extras(self, entry: Mapping[str, Any], ds: URIRef, city: City, title: str, hvd: bool) -> None:
        return None  # no download, no API: the list describes holdings, it does not deliver them


def protected_skip_reason(entry: Mapping[str, Any]) -> tuple[str, str] | None:
    """Why an entry cannot be a dataset of the list of protected data, or None when it can."""
    from catalog.protected import PROTECTED_ACCESS

    if record_text(entry, "access_rights") not in PROTECTED_ACCESS:
        return SKIP_NOT_PROTECTED, "is not restricted or non-public"
    if not record_text(entry, "title"):
        return SKIP_NO_TITLE, "has no title"
    if not record_text(entry, "description"):
        return SKIP_NO_DESCRIPTION, "has no description"
    return None


def build_protected_catalog(
    entries: Iterable[Mapping[str, Any]],
    organisation: Organisation,
    *,
    base_uri: str,
    catalog_title: str,
    catalog_description: str,
    city: str | None = None,
    publisher_name: str | None = None,
    request_url: str | None = None,
    request_email: str | None = None,
    homepage: str | None = None,
    issued: str | date | None = None,
    modified: str | date | None = None,
) -> CatalogExport:
    """The list of protected data (DGA Art. 8) as a DCAT-AP.de catalog for a single information point.

    ``entries`` are what the review admitted, reduced to what the list may carry
    (``catalog.protected.protected_records``); whatever else a record holds is not read: no contact
    person or e-mail (the contact is a functional mailbox, see :class:`_ProtectedBuilder`), no URL of the
    data, no download URL. ``request_url`` is the page where re-use is requested (default: the city's
    homepage); it is every distribution's access URL. ``request_email`` is the functional mailbox all re-use
    requests go to (default: the department's published one, else the city's open-data team's). Datasets carry their access rights, the legal basis
    of the restriction (``dcatde:legalBasis``), the conditions of re-use (``dct:rights``) and the DGA as
    applicable legislation. Publisher and ``publisher_name`` as in :func:`build_catalog`.
    """
    base = _base(base_uri)
    graph = new_graph()
    builder = _ProtectedBuilder(graph, organisation, base, request_url, request_email)
    only_city = organisation.city(city) if city else None
    export = CatalogExport(graph=graph, catalog=protected_catalog_uri(base, city))
    cities_used: dict[str, City] = {}
    for entry, identifier, entry_city in _exportable(entries, organisation, only_city, protected_skip_reason, export):
        try:
            dataset = builder.dataset(entry, entry_city, identifier)
        except _EntryError as exc:
            raise ValueError(f"entry {identifier}: {exc}") from None
        graph.add((export.catalog, DCAT.dataset, dataset))
        export.datasets.append(dataset)
        cities_used[entry_city.key] = entry_city

    if only_city is not None:
        publisher = builder.publisher(only_city)
    elif publisher_name:
        publisher = URIRef(f"{base}/publisher")
        graph.add((publisher, RDF.type, FOAF.Organization))
        graph.add((publisher, RDF.type, FOAF.Agent))
        graph.add((publisher, FOAF.name, RdfLiteral(publisher_name, lang="de")))
        graph.add((publisher, DCTERMS.type, LOCAL_AUTHORITY))
    elif len(cities_used) == 1:
        publisher = builder.publisher(next(iter(cities_used.values())))
    else:
        raise ValueError("a catalog of several cities needs publisher_name (the body that runs the portal)")
    catalog = export.catalog
    graph.add((catalog, RDF.type, DCAT.Catalog))
    graph.add((catalog, DCTERMS.title, RdfLiteral(catalog_title, lang="de")))
    graph.add((catalog, DCTERMS.description, RdfLiteral(catalog_description, lang="de")))
    graph.add((catalog, DCTERMS.publisher, publisher))
    graph.add((catalog, DCTERMS.language, LANGUAGE_DEU))
    graph.add((catalog, FOAF.homepage, _iri(homepage or base + "/", "homepage")))
    graph.add((catalog, DCAT.themeTaxonomy, DATA_THEME_SCHEME))
    try:
        if issued:
            graph.add((catalog, DCTERMS.issued, _date_or_datetime_literal(issued, "issued")))
        if modified:
            graph.add((catalog, DCTERMS.modified, _date_or_datetime_literal(modified, "modified")))
    except _EntryError as exc:
        raise ValueError(f"catalog: {exc}") from None
    return export
