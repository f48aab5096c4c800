"""How the inventory appears in CKAN: licences, theme groups, organisations (STANDARDS.md, CKAN.md).

GovData's CKAN uses the dcat-ap.de licence URIs as licence ids, and one group per EU data theme named
``agri`` ... ``tran``; ours does the same, so that ckanext-dcatde maps our packages to DCAT-AP.de.

A publishable entry becomes one package (:func:`package_of`): the same entries as the DCAT-AP.de export
(:mod:`catalog.dcat.export`) with the same values, written in the CKAN fields that ckanext-dcatde reads back as
that DCAT. The package carries the hash of its content (:func:`package_hash`) so that publishing can
tell an unchanged package without a write.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import uuid
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from catalog.errors import InventurError
from catalog.keywords import clean_keyword, clean_keywords
from catalog.organisation import City, Department, Organisation, UnknownCity, UnknownDepartment
from catalog.records import record_list, record_text
from catalog.vocabulary import vocabularies


def ckan_licences() -> list[dict[str, Any]]:
    """The 34 dcat-ap.de licences as CKAN's licence list (``licenses_group_url``): id = licence URI."""
    out = []
    for concept in vocabularies()["license"]:
        out.append({
            "id": concept.value,
            "title": concept.label,
            "url": concept.url or concept.value,
            "od_conformance": "approved" if concept.open else "not reviewed",
            "osd_conformance": "not reviewed",
            "status": "active",
            "domain_data": True,
            "domain_content": False,
            "domain_software": False,
        })
    return out


def group_name(theme_uri: str) -> str:
    """The CKAN group of an EU data theme: its code in lower case (``.../data-theme/ENVI`` -> ``envi``)."""
    return theme_uri.rstrip("/").rsplit("/", 1)[-1].lower()


def theme_groups() -> list[dict[str, str]]:
    """One CKAN group per EU data theme the survey offers, with German title and description (what
    visitors read); ckanext-dcatde turns the group name into the theme IRI."""
    return [
        {"name": group_name(c.value), "title": c.label,
         "description": f"Offene Daten der Städte München, Augsburg und Nürnberg zum Thema „{c.label}“ "
                        f"(Datenthema der EU, wie es GovData und das europäische Datenportal führen)."}
        for c in vocabularies()["theme"].offered()
    ]


# The catalog of the portal (all three cities): the same title, description and publisher in the portal's
# DCAT (ckan.ini, written by the local portal) and in `inventur dcat export`.
CATALOG_TITLE = "Offene Daten: München, Augsburg und Nürnberg"
CATALOG_DESCRIPTION = "Datenbestände von München, Augsburg und Nürnberg, aus dem Dateninventar der Städte."
CATALOG_PUBLISHER = "Kooperation München, Augsburg, Nürnberg"


def portal_settings() -> dict[str, str]:
    """CKAN settings of a portal that publishes the inventory: German interface, and the catalog node of its
    DCAT endpoint (title, description, publisher, language, theme taxonomy) equal to the DCAT-AP.de export.
    The ``ckanext.inventur.*`` keys are read by ckanext-inventur's ``inventur_catalog`` profile (the HVD
    category scheme: what it names as the scheme of an HVD dataset's categories, as the export does)."""
    from catalog.dcat import export as dcat

    return {
        "ckan.site_title": CATALOG_TITLE,
        "ckan.site_description": CATALOG_DESCRIPTION,
        "ckan.locale_default": "de",
        "ckan.locales_offered": "de en",
        "ckanext.inventur.catalog_publisher_name": CATALOG_PUBLISHER,
        "ckanext.inventur.catalog_publisher_type": str(dcat.LOCAL_AUTHORITY),
        "ckanext.inventur.catalog_language": str(dcat.LANGUAGE_DEU),
        "ckanext.inventur.catalog_theme_taxonomy": str(dcat.DATA_THEME_SCHEME),
        "ckanext.inventur.hvd_category_scheme": vocabularies()["hvd_category"].uri or "",
    }


def format_labels() -> dict[str, str]:
    """What visitors read for a resource format (an EU file-type IRI): ``WMS``, not ``.../WMS_SRVC``."""
    return {c.value: c.survey or c.en or c.code for c in vocabularies()["file_type"].concepts}


def organisation_name(department: Department) -> str:
    """The CKAN organisation of a department: ``<city>-<code>`` in lower case."""
    return department.key


def organisation_title(department: Department, city: City) -> str:
    """What visitors read for a department: the city, then the department's official name (München's and
    Augsburg's "Umweltamt" are two different organisations, and lists sort by city); a name that says its
    city already ("Stadtbücherei Augsburg") stays as it is."""
    if city.short_name.casefold() in department.name.casefold():
        return department.name
    return f"{city.short_name}: {department.name}"


def organisation_of(organisation: Organisation, department: Department) -> dict[str, Any]:
    """The CKAN organisation dict of a department, titled with its city and official name."""
    city = organisation.city(department.city)
    return {
        "name": organisation_name(department),
        "title": organisation_title(department, city),
        "description": f"{department.name}, {city.name}",
        "extras": [{"key": "city", "value": city.key}, {"key": "publisher_uri", "value": city.contributor_id}],
    }


# --------------------------------------------------------------------------- packages

# The extra that holds the hash of what we published (change detection without reading every package).
HASH_EXTRA = "inventur_content_hash"
# The extra that holds the entry's identifier (dct:identifier; with our organisations it marks a package as ours).
IDENTIFIER_EXTRA = "identifier"

# CKAN's limits (ckan/model/package.py, ckan/logic/validators.py)
PACKAGE_NAME_MAX = 100
_RESERVED_NAMES = frozenset({"new", "edit", "search"})
_PLAIN_IDENTIFIER = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,99}$")
_NAME_UNSAFE = re.compile(r"[^a-z0-9_-]+")
# uuid5 namespace of package ids: a package's id follows from its identifier, so that a retried create
# (or a search index entry left behind by a crash) can only ever meet the same package, never a second one.
_ID_NAMESPACE = uuid.UUID("6f1c2f8e-3a0b-5d51-9a55-1c9e0f8a7b21")
# Skip reason of an entry whose department has no organisation (not in the departments list).
SKIP_UNKNOWN_DEPARTMENT = "unknown-department"


class PackageSkipped(InventurError, ValueError):
    """An entry that cannot become a valid CKAN package; ``code`` is one of the skip codes of
    :mod:`catalog.dcat.export` (the DCAT export leaves out the same entries) or :data:`SKIP_UNKNOWN_DEPARTMENT`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def package_name(identifier: str) -> str:
    """The package's ``name`` (its URL slug): stable, derived from the identifier alone, never reused.

    The inventory's own identifiers (``A-STAT-00017``) become their lower-case form (``a-stat-00017``).
    Any other identifier (harvested ones may hold lower case, dots, slashes) becomes its sanitised form
    plus 10 hex digits of its SHA-256, so that two identifiers never share a name.
    """
    text = identifier.strip()
    plain = text.lower()
    if _PLAIN_IDENTIFIER.match(text) and plain not in _RESERVED_NAMES:
        return plain
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]
    slug = _NAME_UNSAFE.sub("-", plain).strip("-_")[: PACKAGE_NAME_MAX - 11].rstrip("-_")
    return f"{slug}-{digest}" if slug else f"ds-{digest}"


def package_id(identifier: str) -> str:
    """The package's ``id``: a UUID derived from the identifier (CKAN accepts a given id from a sysadmin)."""
    return str(uuid.uuid5(_ID_NAMESPACE, identifier.strip()))


def tag_name(keyword: str) -> str | None:
    """A keyword as a CKAN tag (:func:`catalog.keywords.clean_keyword`: the one cleaning of every path)."""
    return clean_keyword(keyword)


def package_tags(keywords: Iterable[Any]) -> list[dict[str, str]]:
    """The keywords as CKAN tags, cleaned as every path publishes them, without repeats, in their order."""
    return [{"name": name} for name in clean_keywords(keywords)]


def _iso(value: Any) -> str | None:
    """A date or point in time as ISO 8601 text; a point in time in UTC, to the second."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return moment.astimezone(dt.UTC).isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    if "T" in text or " " in text:
        try:
            return _iso(dt.datetime.fromisoformat(text))
        except ValueError:
            return text
    return text


def _licence(value: str) -> tuple[str, bool | None]:
    """The licence's canonical dcat-ap.de URI (CKAN's ``license_id``) and whether it demands attribution."""
    scheme = vocabularies()["license"]
    concept = scheme.get(value)
    if concept is None:
        match = scheme.lookup(value)
        concept = match.concept if match.ok else None
    if concept is None:
        return value, None
    return concept.value, concept.attribution


def _contact(record: Mapping[str, Any], city: City, department: Department) -> tuple[str, str | None]:
    """Contact name and e-mail: the entry's, else the department's, else the city's (as the DCAT export)."""
    name = record_text(record, "contact_name") or department.name or city.name
    email = record_text(record, "contact_email") or department.email or city.opendata_email
    return name, email


def _extras(pairs: Iterable[tuple[str, Any]]) -> list[dict[str, str]]:
    return [{"key": key, "value": str(value)} for key, value in pairs if value not in (None, "")]


def package_of(record: Mapping[str, Any], organisation: Organisation, *, base_uri: str | None = None) -> dict[str, Any]:
    """The CKAN package of one publishable entry, with the hash of its content in the extra :data:`HASH_EXTRA`.

    Written so that what ckanext-dcat and ckanext-dcatde (profile ``dcatap_de``) make of it is the entry's
    dataset in the DCAT-AP.de export (:mod:`catalog.dcat.export`) with ``base_uri`` (the portal's address): the
    export's dataset, distribution, contact and publisher IRIs (extras ``uri``, ``contact_uri``,
    ``publisher_uri``; resource ``uri``), EU file-type IRIs as resource ``format`` and IANA media-type IRIs
    as ``mimetype`` (both become IRIs only when they start with ``http``), the spatial reference as the
    municipality IRI (``spatial_uri`` is written only together with ``spatial_text``), no ``maintainer``
    (it would become the deprecated ``dcatde:maintainer``; ``maintainer_email`` stays for CKAN's check of the
    address), stable resource ids and every resource key, so that CKAN guesses no format or media type.
    The resources are the export's distributions (:func:`catalog.dcat.export.entry_access`): with the bulk download
    as ``download_url``, the HVD legislation as ``applicable_legislation``, and on the resources of the
    entry's API its data service as ckanext-dcat reads it (``access_services``, see :func:`_access_service`);
    addresses encoded as the export writes them (:func:`catalog.dcat.export.iri_text`).
    Without ``base_uri`` the package has none of our IRIs (CKAN's uuids name dataset and distributions).

    ``record`` is an export record (``inventory.entry_record``) plus ``issued`` and ``modified``. Which
    entries are published is the review's decision; this maps what it is given, and raises
    :class:`PackageSkipped` for what cannot become a valid dataset: the entries the DCAT-AP.de export
    leaves out too (no identifier, title, description, licence or URL; personal data; unknown city) and
    entries of a department that has no organisation.
    """
    from catalog.dcat import (
        export as dcat,  # rdflib behind it: imported when packages are made, not for the licence list
    )

    identifier = record_text(record, "identifier")
    if identifier is None:
        raise PackageSkipped(dcat.SKIP_NO_IDENTIFIER, f"entry {record_text(record, 'title')!r} has no identifier")
    reason = dcat.skip_reason(record)
    if reason is not None:
        raise PackageSkipped(reason[0], f"{identifier} {reason[1]}")
    city_key = record_text(record, "city") or ""
    try:
        city = organisation.city(city_key)
    except UnknownCity:
        raise PackageSkipped(dcat.SKIP_UNKNOWN_CITY, f"{identifier}: unknown city {city_key!r}") from None
    try:
        department = organisation.department(city.key, record_text(record, "department") or "")
    except UnknownDepartment:
        raise PackageSkipped(
            SKIP_UNKNOWN_DEPARTMENT,
            f"{identifier}: department {record.get('department')!r} of {city.key} has no organisation",
        ) from None

    dataset = str(dcat.dataset_uri(base_uri, identifier)) if base_uri else None
    title = record_text(record, "title") or ""
    licence, attribution_required = _licence(record_text(record, "license") or "")
    attribution = record_text(record, "attribution")
    if attribution_required is False:
        attribution = None
    spatial = record_text(record, "spatial")
    geocoding = spatial or city.geocoding_uri
    level = dcat.geocoding_level(geocoding, city)
    contact_name, contact_email = _contact(record, city, department)
    hvd = record_text(record, "hvd_category")
    legislation = vocabularies()["hvd_category"].extra.get("applicable_legislation") if hvd else None
    groups = _group_names()
    publisher = str(dcat.publisher_uri(base_uri, city.key)) if base_uri else None

    extras = _extras([
        ("uri", dataset),
        (IDENTIFIER_EXTRA, identifier),
        ("issued", _iso(record.get("issued"))),
        ("modified", _iso(record.get("modified") or record.get("last_updated"))),
        ("frequency", record_text(record, "frequency")),
        ("temporal_start", _iso(record.get("temporal_start"))),
        ("temporal_end", _iso(record.get("temporal_end"))),
        ("contributorID", json.dumps([city.contributor_id])),
        ("politicalGeocodingURI", json.dumps([geocoding])),
        ("politicalGeocodingLevelURI", str(level) if level is not None else None),
        ("spatial_uri", spatial),
        ("spatial_text", dcat.spatial_label(spatial, city) if spatial else None),
        ("contact_uri", f"{dataset}#contact" if dataset else None),
        ("contact_name", contact_name),
        ("contact_email", contact_email),
        ("contact_url", city.homepage if not contact_email else None),
        ("publisher_name", city.name),
        ("publisher_uri", publisher),
        ("publisher_type", city.publisher_type),
        ("publisher_url", city.homepage),
        ("access_rights", record_text(record, "access_rights")),
        ("hvd_category", hvd),
        ("applicable_legislation", legislation),
    ])
    package: dict[str, Any] = {
        "id": package_id(identifier),
        "name": package_name(identifier),
        "type": "dataset",
        "title": title,
        "notes": record_text(record, "description") or "",
        "owner_org": organisation_name(department),
        "private": False,
        "license_id": licence,
        "url": dcat.iri_text(record_text(record, "landing_page") or ""),
        "maintainer_email": contact_email or "",
        "tags": package_tags(record_list(record, "keywords")),
        "groups": [{"name": name} for name in dict.fromkeys(group_name(t) for t in record_list(record, "theme"))
                   if name in groups],
        "extras": extras,
        "resources": _resources(record, identifier, dataset, licence, attribution, legislation, _access_service(
            record, city, dataset, licence, (contact_name, contact_email), hvd, legislation, publisher)),
    }
    package["extras"].append({"key": HASH_EXTRA, "value": package_hash(package)})
    return package


@cache
def _group_names() -> frozenset[str]:
    return frozenset(g["name"] for g in theme_groups())


def resource_id(identifier: str, code: str) -> str:
    """A resource's ``id``: a UUID derived from the entry's identifier and the format code, stable across
    updates (a resource written with its id is never given a format CKAN guessed from its URL)."""
    return str(uuid.uuid5(_ID_NAMESPACE, f"{identifier.strip()}/distribution/{code or 'data'}"))


def _resources(
    record: Mapping[str, Any], identifier: str, dataset: str | None, licence: str, attribution: str | None,
    legislation: str | None, service: dict[str, Any] | None,
) -> list[dict[str, Any]]:
    """The entry's distributions as the export plans them (:func:`catalog.dcat.export.entry_access`), each with
    the licence and every key the profiles read, empty where there is nothing to say (CKAN then guesses
    nothing); the resources of the entry's API carry its data service (``access_services``)."""
    from catalog.dcat import export as dcat

    changed = _iso(record.get("last_updated") or record.get("modified"))
    issued = _iso(record.get("issued"))
    resources = []
    for planned in dcat.entry_access(record).distributions:
        resource: dict[str, Any] = {
            "id": resource_id(identifier, planned.code),
            "name": planned.title,
            "description": "",
            # addresses encoded as the export writes them (ckanext-dcat then leaves them as they are)
            "url": dcat.iri_text(planned.download_url or planned.access_url),  # what a visitor's button opens
            "access_url": dcat.iri_text(planned.access_url),
            "format": planned.format or "",
            "mimetype": planned.media_type or "",
            "license": licence,
        }
        if dataset:
            resource["uri"] = str(dcat.distribution_uri(dataset, planned.code))
        if planned.download_url:
            resource["download_url"] = dcat.iri_text(planned.download_url)
        if attribution:
            resource["licenseAttributionByText"] = attribution
        if issued:
            resource["issued"] = issued
        if changed:
            resource["modified"] = changed
        if legislation:
            resource["applicable_legislation"] = legislation
        if planned.service and service is not None:
            resource["access_services"] = json.dumps([service], ensure_ascii=False, sort_keys=True)
        resources.append(resource)
    return resources


def _access_service(
    record: Mapping[str, Any], city: City, dataset: str | None, licence: str, contact: tuple[str, str | None],
    hvd: str | None, legislation: str | None, publisher: str | None,
) -> dict[str, Any] | None:
    """The entry's data service as an access service of ckanext-dcat (a resource's ``access_services``):
    the keys its DCAT-AP 2 profile writes (``uri``, ``title``, ``description``, ``endpoint_url``,
    ``endpoint_description``, ``serves_dataset``, ``license``, ``access_rights``), and those ckanext-dcat
    2.3.0 does not write, which ckanext-inventur's profile ``inventur_catalog`` writes (``documentation`` as
    ``foaf:page``, ``conforms_to``, ``contact``, ``publisher``, ``hvd_category``, ``applicable_legislation``;
    named as later versions of ckanext-dcat name them where they have them). None without a service."""
    from catalog.dcat import export as dcat

    planned = dcat.entry_access(record).service
    if planned is None:
        return None
    node = str(dcat.data_service_uri(dataset)) if dataset else None
    name, email = contact
    service: dict[str, Any] = {
        "title": planned.title,
        "description": planned.description,
        "endpoint_url": [dcat.iri_text(planned.endpoint)],
        "license": licence,
        "contact": {k: v for k, v in (("uri", f"{node}#contact" if node else None), ("name", name),
                                      ("email", email), ("url", None if email else city.homepage)) if v},
        "publisher": {k: v for k, v in (("uri", publisher), ("name", city.name), ("type", city.publisher_type),
                                        ("url", city.homepage)) if v},
    }
    if node:
        service["uri"] = node
        service["serves_dataset"] = [dataset]
    access_rights = record_text(record, "access_rights")
    if access_rights:
        service["access_rights"] = access_rights
    if planned.documentation:
        page = dcat.iri_text(planned.documentation)
        service["endpoint_description"] = page
        service["documentation"] = [page]
    if planned.standard:
        service["conforms_to"] = [planned.standard]
    if hvd:
        service["hvd_category"] = [hvd]
        if legislation:
            service["applicable_legislation"] = [legislation]
    return service


def package_hash(package: Mapping[str, Any]) -> str:
    """SHA-256 of a package's content as we publish it (canonical JSON, without the hash extra itself)."""
    body = dict(package)
    body["extras"] = [e for e in package.get("extras") or [] if e.get("key") != HASH_EXTRA]
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def extra(package: Mapping[str, Any], key: str) -> str | None:
    """The value of one extra of a package (as CKAN returns it: a list of key/value pairs), or None."""
    for item in package.get("extras") or []:
        if isinstance(item, Mapping) and item.get("key") == key:
            value = item.get("value")
            return None if value is None else str(value)
    return None
