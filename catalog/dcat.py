"""The inventory as a DCAT-AP.de catalog: entries (the JSONL export records of SURVEY.md) to an RDF graph.

The mapping follows STANDARDS.md ("DCAT-AP.de output that passes the official shapes") and is written
for both profiles GovData checks against: DCAT-AP.de 2.0 with the Konventionen, and DCAT-AP.de 3.0.

- One ``dcat:Dataset`` per entry, IRI ``<base>/dataset/<identifier>`` (the identifier percent-encoded, so
  two identifiers never share an IRI and an IRI never changes while the identifier does not).
- The city is the publisher (``foaf:Organization``, ``dct:type`` LocalAuthority) and the one
  ``dcatde:contributorID``; its municipality key is the political geocoding.
- One ``dcat:Distribution`` per format, IRI ``<dataset>/distribution/<FORMAT-CODE>``; licence and
  attribution text sit on every distribution, as GovData reads them from there.

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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal
from urllib.parse import quote, urlsplit

from rdflib import BNode, Graph, Namespace, URIRef
from rdflib import Literal as RdfLiteral
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS, XSD

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


def _iri(value: str, field_name: str) -> URIRef:
    """A URL or URI as an IRI; characters that are not allowed in an IRI are percent-encoded."""
    text = value.strip()
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:\S", text):
        raise _EntryError(f"{field_name} is not an absolute URI: {value!r}")
    return URIRef(quote(text, safe=":/?#[]@!$&'()*+,;=%~"))


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
        return ds

    def distributions(self, entry: Mapping[str, Any], ds: URIRef, title: str, hvd: bool) -> None:
        """One distribution per format; an entry with a URL but no format gets one distribution without format."""
        g = self.graph
        access_text = record_text(entry, "access_url") or record_text(entry, "landing_page")
        if access_text is None:  # the caller skips such entries
            return
        access = _iri(access_text, "access_url")
        license_iri, license_concept = _license(record_text(entry, "license") or "")
        attribution = record_text(entry, "attribution")
        needs_attribution = license_concept.attribution if license_concept is not None else bool(attribution)
        changed = entry.get("last_updated") or entry.get("modified")

        formats: list[tuple[str, URIRef | None, str]] = []  # (code, format IRI, label)
        for value in record_list(entry, "formats"):
            concept = self.vocab["file_type"].get(value)
            code = concept.code if concept else value.rstrip("/").rsplit("/", 1)[-1]
            label = concept.de if concept else code
            formats.append((code, _iri(value, "formats"), label))
        if not formats:
            formats.append(("data", None, ""))

        issued = entry.get("issued")
        for code, format_iri, label in formats:
            dist = distribution_uri(ds, code)
            g.add((ds, DCAT.distribution, dist))
            g.add((dist, RDF.type, DCAT.Distribution))
            g.add((dist, DCTERMS.title, RdfLiteral(f"{title} ({label})" if label else title, lang="de")))
            g.add((dist, DCAT.accessURL, access))
            if format_iri is not None:
                g.add((dist, DCTERMS.format, format_iri))
                if not code.endswith(_SERVICE_SUFFIX):
                    media_type = _MEDIA_TYPES.get(code)
                    if media_type:
                        g.add((dist, DCAT.mediaType, URIRef(MEDIA_TYPE_BASE + media_type)))
                    if _is_download(str(access), code):
                        g.add((dist, DCAT.downloadURL, access))
            g.add((dist, DCTERMS.license, license_iri))
            if needs_attribution and attribution:
                g.add((dist, DCATDE.licenseAttributionByText, RdfLiteral(attribution, lang="de")))
            if issued:
                g.add((dist, DCTERMS.issued, _date_or_datetime_literal(issued, "issued")))
            if changed:
                g.add((dist, DCTERMS.modified, _date_or_datetime_literal(changed, "last_updated")))
            if hvd and self.hvd_legislation is not None:
                g.add((dist, DCATAP.applicableLegislation, self.hvd_legislation))


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
    if not (record_text(entry, "access_url") or record_text(entry, "landing_page")):
        return SKIP_NO_URL, "has neither an access URL nor a landing page: nothing to link a distribution to"
    return None


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
    seen: set[str] = set()
    cities_used: dict[str, City] = {}

    for entry in entries:
        identifier = record_text(entry, "identifier")
        if identifier is None:
            message = f"entry {record_text(entry, 'title')!r} has no identifier"
            export.skipped.append(Skipped(None, SKIP_NO_IDENTIFIER, message))
            continue
        city_key = record_text(entry, "city") or ""
        if only_city is not None and city_key != only_city.key:
            export.skipped.append(Skipped(identifier, SKIP_OTHER_CITY, f"belongs to {city_key!r}, not {city}"))
            continue
        try:
            entry_city = organisation.city(city_key)
        except UnknownCity:
            export.skipped.append(Skipped(identifier, SKIP_UNKNOWN_CITY, f"unknown city {city_key!r}"))
            continue
        if identifier in seen:
            export.skipped.append(Skipped(identifier, SKIP_DUPLICATE, "identifier appears more than once"))
            continue
        reason = skip_reason(entry)
        if reason is not None:
            export.skipped.append(Skipped(identifier, reason[0], f"{identifier} {reason[1]}"))
            continue
        seen.add(identifier)
        try:
            dataset = builder.dataset(entry, entry_city, identifier)
        except _EntryError as exc:
            raise ValueError(f"entry {identifier}: {exc}") from None
        graph.add((catalog, DCAT.dataset, dataset))
        export.datasets.append(dataset)
        cities_used[entry_city.key] = entry_city

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
