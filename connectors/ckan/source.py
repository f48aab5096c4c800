"""A CKAN portal as a harvest source: its packages, read in pages through ``package_search``.

:class:`CkanSource` reads a portal's public packages a page at a time (up to 1000 per request, never
one request per dataset), optionally of one organisation and only those modified since a high-water
mark. Paging is by ``metadata_modified`` (keyset: each page starts where the last one ended), so a
package changed while the harvest runs moves to a later page instead of pushing another one out of
sight, as offset paging would. :meth:`CkanSource.package_ids` lists every package id cheaply (``fl``),
which tells an incremental harvest what is gone. Requests go through the one CKAN client
(:class:`connectors.ckan.client.CkanClient`) over :class:`connectors.harvest.http.BoundedSession` (a deadline per request and for the harvest, a bound on
the answer's size, gzip included, checked redirects); a portal that answers a full page of packages
already read, or more pages than its count allows, is stopped as a page loop.

:func:`package_record` maps a package to the raw record of the survey's fields, as the portal says it:
real portals are messy (München's carries frequencies as ``täglich`` next to EU URIs, licence ids as
``dl-de-by-2.0`` next to ``dl-by-de/2.0``, e-mails without a domain), and all of it goes through the
same normalisation as survey answers. Fields come from the package's top level (ckanext-scheming) or
its extras (plain CKAN, ckanext-dcat), as GovData's ckanext-dcatde reads them (STANDARDS.md).

Packages are read as they are delivered (:mod:`catalog.reading`): a ``result`` that is a list (DKAN), extra
values written as JSON strings, texts per language as ckanext-fluent writes them (the German one is
taken), resources without a format (the extension of their URL says it), organisations without a title,
groups of GovData's older categories (``transport_verkehr``); a value of the wrong kind is a finding,
never its Python form.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from ckanapi.errors import CKANAPIError, NotAuthorized, ServerIncompatibleError

from catalog.harvest import HarvestedRecord, inventur_identifier, machine_date
from catalog.organisation import City
from catalog.reading import (
    Reading,
    file_type_label,
    format_of_url,
    identity_keys,
    is_language_map,
    language_value,
    media_type,
    text_value,
    themes,
)
from catalog.vocabulary import older_categories, vocabularies
from connectors.ckan.client import CkanClient, CkanNoAnswer
from connectors.harvest.http import (
    DEFAULT_ATTEMPTS,
    DEFAULT_BACKOFF,
    BoundedSession,
    Deadline,
    HttpLimits,
    SourceInvalid,
    SourceUnavailable,
    SourceUnreadable,
    Transient,
)

MAX_ROWS = 1000  # CKAN's default ceiling of ``rows`` (ckan.search.rows_max)
SORT = "metadata_modified asc, id asc"
_SPARE_PAGES = 10  # pages beyond what the portal's count needs (packages change while they are read)


def canonical_url(url: str) -> str:
    """The portal's base URL as entries remember it: no trailing slash, no ``/api/3/action`` path."""
    text = url.strip().rstrip("/")
    for suffix in ("/api/3/action", "/api/3", "/api"):
        if text.endswith(suffix):
            text = text[: -len(suffix)]
    return text


def solr_time(value: str) -> str:
    """A CKAN timestamp (``2026-01-28T07:45:18.079134``) at Solr's precision, for range queries and ties."""
    text = value.strip().rstrip("Z")
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


class CkanSource:
    """One CKAN portal as a harvest source, read through the one CKAN client (:class:`CkanClient`) over a
    :class:`BoundedSession`: a timeout on every call, bounded retries, a deadline over the harvest."""

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        timeout: float = 20.0,
        attempts: int = DEFAULT_ATTEMPTS,
        backoff: float = DEFAULT_BACKOFF,
        page_size: int = MAX_ROWS,
        limits: HttpLimits | None = None,
        deadline: Deadline | None = None,
    ) -> None:
        if not url.lower().startswith(("http://", "https://")):
            raise SourceInvalid(f"{url!r} is no http(s) URL of a CKAN portal")
        self.url = canonical_url(url)
        self.timeout = timeout
        self.attempts = attempts
        self.backoff = backoff
        self.page_size = max(1, min(page_size, MAX_ROWS))
        self.deadline = deadline
        bounds = limits or HttpLimits(timeout=timeout)
        self._client = CkanClient(
            self.url, token, timeout=timeout, attempts=attempts, backoff=backoff, max_backoff=float("inf"),
            session=lambda: BoundedSession(bounds, harvest=deadline), get_only=True, transient=(Transient,),
            before_attempt=deadline.check if deadline is not None else None,
            may_wait=(lambda pause: deadline.remaining() >= pause) if deadline is not None else None,
        )

    @property
    def requests(self) -> int:
        """Requests sent so far (retries included)."""
        return self._client.sent

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> CkanSource:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _call(self, action: str, **data: Any) -> Any:
        try:
            return self._client.call(action, data)
        except CkanNoAnswer as exc:
            raise SourceUnavailable(
                f"the CKAN portal {self.url} did not answer after {exc.attempts} attempts: {str(exc.last)[:300]}"
            ) from exc.last
        except NotAuthorized as exc:
            raise SourceUnavailable(f"{self.url}: not authorised to call {action}") from exc
        except ServerIncompatibleError as exc:
            raise SourceUnavailable(f"{self.url} is not a CKAN action API: {exc}") from exc
        except CKANAPIError as exc:
            raise SourceUnavailable(f"{self.url}: {action} failed: {exc}") from exc

    def _search(self, filters: list[str], *, since: str | None, fl: str | None) -> Iterator[list[dict[str, Any]]]:
        """Pages of ``package_search`` results by ``metadata_modified`` (keyset), from ``since`` on."""
        lower = solr_time(since) if since else None
        offset = 0
        seen: set[str] = set()
        pages = 0
        most: int | None = None
        while True:
            query = [*filters, *([f"metadata_modified:[{lower}Z TO *]"] if lower else [])]
            data: dict[str, Any] = {
                "q": "*:*", "fq": " ".join(f"+{f}" for f in query), "rows": self.page_size, "start": offset,
                "sort": SORT,
            }
            if fl:
                data["fl"] = fl
            result = self._call("package_search", **data)
            if not isinstance(result, (dict, list)):
                raise SourceUnreadable(f"{self.url}: package_search answered no search result")
            results = search_results(result)
            pages += 1
            if most is None:
                count = result.get("count") if isinstance(result, dict) else None
                most = (int(count) // self.page_size if isinstance(count, int) and count >= 0 else 10_000) + _SPARE_PAGES
            ids = {str(p.get("id")) for p in results}
            if (results and ids <= seen and len(results) >= self.page_size) or pages > most:
                raise SourceUnreadable(
                    f"{self.url}: package_search keeps answering packages already read (page {pages}); a page "
                    "loop, stopped"
                )
            seen |= ids
            if results:
                yield results
            if len(results) < self.page_size:
                return
            last = solr_time(str(results[-1].get("metadata_modified") or ""))
            if last == lower:
                offset += len(results)  # a whole page of the same instant: step over it
            else:
                lower = last
                offset = sum(1 for p in results if solr_time(str(p.get("metadata_modified") or "")) == last)

    @staticmethod
    def _filters(organization: str | None) -> list[str]:
        return [f'organization:"{organization}"'] if organization else []

    def package_pages(self, *, organization: str | None = None, since: str | None = None) -> Iterator[list[dict[str, Any]]]:
        """The public packages (of one organisation), page by page, modified at or after ``since``."""
        yield from self._search(self._filters(organization), since=since, fl=None)

    def package_ids(self, *, organization: str | None = None) -> set[str]:
        """The ids of all public packages (of one organisation): what the portal holds now."""
        ids: set[str] = set()
        for page in self._search(self._filters(organization), since=None, fl="id,metadata_modified"):
            ids.update(str(p["id"]) for p in page if p.get("id"))
        return ids


def search_results(result: Any) -> list[dict[str, Any]]:
    """The packages of a ``package_search`` answer: CKAN's ``{"count", "results"}``, or DKAN's list (of one such
    object, or of the packages themselves)."""
    if isinstance(result, list):
        if len(result) == 1 and isinstance(result[0], dict) and isinstance(result[0].get("results"), list):
            result = result[0]
        else:
            return [p for p in result if isinstance(p, dict) and "results" not in p]
    if not isinstance(result, dict):
        return []
    return [p for p in (result.get("results") or []) if isinstance(p, dict)]


# -- mapping a package to a raw record -------------------------------------------------------------------


def _present(value: Any) -> bool:
    return value is not None and value != "" and value != [] and value != "[]" and value != {}


def _json(value: Any) -> Any:
    """An extra's value: one written as JSON (``["…"]``, ``{"de": …}``, ``"…"``) as what it encodes."""
    if isinstance(value, str) and value.strip()[:1] in ("[", "{", '"'):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _extras(package: Mapping[str, Any]) -> dict[str, Any]:
    """The package's extras by key: CKAN's list of ``{"key", "value"}``, or a mapping (DKAN)."""
    given = package.get("extras") or []
    pairs = given.items() if isinstance(given, Mapping) else (
        (e.get("key"), e.get("value")) for e in given if isinstance(e, Mapping))
    return {str(key): _json(value) for key, value in pairs if key}


def _first(package: Mapping[str, Any], extras: Mapping[str, Any], *keys: str) -> Any:
    """The first value given under ``keys``: on the package itself (ckanext-scheming), then in its extras."""
    for key in keys:
        for where in (package, extras):
            value = where.get(key)
            if _present(value):
                return value
    return None


def _as_list(value: Any) -> list[str]:
    """A list value as CKAN carries it: a list, a JSON list in a string, or one plain string (a list per
    language, as ckanext-fluent writes it, gives the German list)."""
    if value is None:
        return []
    if is_language_map(value):
        return _as_list(language_value(value))
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if _present(v) and not isinstance(v, (Mapping, list))]
    text = str(value).strip()
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, list):
            return [str(v) for v in parsed if _present(v)]
    return [text] if text else []


@cache
def _theme_uris() -> dict[str, str]:
    """EU data themes by their code in lower case (``envi`` -> the ENVI URI): GovData's group names."""
    return {c.code.lower(): c.value for c in vocabularies()["theme"]}


def _themes(package: Mapping[str, Any], extras: Mapping[str, Any], reading: Reading) -> str | None:
    """DCAT themes when the package carries them (``theme``), else its groups: a group named after a theme
    code (``envi``, GovData's convention, so no spelling to correct) is that theme, a group of GovData's
    older categories (``transport_verkehr`` "Transport und Verkehr") is read as that category (by its title
    where the title names it, so that the correction shows what the portal shows), any other group by its
    title."""
    given = _as_list(_first(package, extras, "theme", "themes"))
    if given:
        return "; ".join(themes(given, reading)) or None
    names: list[str] = []
    for group in package.get("groups") or []:
        if not isinstance(group, Mapping):
            continue
        name = str(group.get("name") or "")
        title = group.get("title") or group.get("display_name") or name
        title = str(language_value(title) if is_language_map(title) else title)
        names.append(_theme_uris().get(name.lower())
                     or (name if older_category(name) and not older_category(title) else title))
    return "; ".join(themes([n for n in dict.fromkeys(names) if n], reading)) or None


def older_category(name: str) -> bool:
    """Whether a group name is one of GovData's older categories (``transport_verkehr``)."""
    return bool(name) and older_categories().lookup(name) is not None


def _resources(package: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [r for r in package.get("resources") or [] if isinstance(r, Mapping)]


def _spatial(value: Any, city: City) -> str | None:
    """The survey's spatial scope when the package names the city's municipality key, else None (unknown)."""
    uris = [u.rstrip("/") for u in _as_list(value)]
    return "gesamtes Stadtgebiet" if city.geocoding_uri.rstrip("/") in uris else None


def _last_updated(package: Mapping[str, Any], extras: Mapping[str, Any], reading: Reading) -> Any:
    given = text_value("last_updated", _first(package, extras, "modified", "last_updated"), reading)
    if given is not None:
        return machine_date(given)
    stamps = [str(r["last_modified"]) for r in _resources(package)
              if _present(r.get("last_modified")) and isinstance(r.get("last_modified"), str)]
    return machine_date(max(stamps)) if stamps else None


def _formats(resources: list[Mapping[str, Any]], reading: Reading) -> list[str]:
    """The resources' formats: ``format``, else ``mimetype``, else the extension of the resource's URL (a
    correction: the format was not written, it was read from the file name)."""
    formats: list[str] = []
    for resource in resources:
        given = text_value("formats", resource.get("format"), reading) or text_value(
            "formats", resource.get("mimetype"), reading)
        fmt = media_type(given) if given else None
        if not fmt:
            url = resource.get("download_url") or resource.get("url")
            found = format_of_url(url) if isinstance(url, str) else None
            if found:
                reading.corrected("formats", str(url), file_type_label(found))
                fmt = found
        if fmt and fmt.casefold() not in {f.casefold() for f in formats}:
            formats.append(fmt)
    return formats


def _organisation(package: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The package's organisation as its name and its title (either may be missing: DKAN, old portals)."""
    organization = package.get("organization")
    if isinstance(organization, str):
        return organization.strip() or None, None
    if not isinstance(organization, Mapping):
        return None, None
    name = organization.get("name")
    title = organization.get("title") or organization.get("display_name")
    if is_language_map(title):
        title = language_value(title)
    name_text = str(name).strip() if isinstance(name, (str, int)) and str(name).strip() else None
    title_text = str(title).strip() if isinstance(title, (str, int)) and str(title).strip() else None
    return name_text or title_text, title_text


def _text(package: Mapping[str, Any], key: str, reading: Reading, *names: str) -> str | None:
    """A text field: its per-language form (ckanext-fluent's ``title_translated``) first, then the field."""
    for name in names:
        value = package.get(name)
        if _present(value):
            return text_value(key, value, reading)
    return None


def _tags(package: Mapping[str, Any]) -> list[str]:
    tags = [str(t.get("display_name") or t.get("name")) for t in package.get("tags") or []
            if isinstance(t, Mapping) and isinstance(t.get("display_name") or t.get("name"), str)]
    tags += [str(t) for t in package.get("tags") or [] if isinstance(t, str)]
    if not tags:  # ckanext-fluent's tags per language
        tags = _as_list(package.get("keywords") or package.get("tags_translated"))
    return [t for t in dict.fromkeys(tags) if t]


def package_record(package: Mapping[str, Any], *, portal: str, city: City) -> HarvestedRecord:
    """The raw record of one CKAN package (field key -> value as the portal says it), with provenance."""
    reading = Reading()
    extras = _extras(package)
    resources = _resources(package)
    public = not package.get("private")

    def one(key: str, *names: str) -> str | None:
        """A single value of the field ``key`` from the package or its extras (``names``)."""
        return text_value(key, _first(package, extras, *names), reading)

    access = next(
        (str(u) for r in resources for u in (r.get("access_url"), r.get("url"))
         if isinstance(u, str) and u.strip()),
        None,
    )
    licence = one("license", "license_id", "license") or next(
        (v for r in resources if (v := text_value("license", r.get("license"), reading))), None
    )
    attribution = one("attribution", "licenseAttributionByText", "attribution") or next(
        (v for r in resources if (v := text_value("attribution", r.get("licenseAttributionByText"), reading))), None
    )
    formats = _formats(resources, reading)
    raw: dict[str, Any] = {
        "title": _text(package, "title", reading, "title_translated", "title")
        or (None if _present(package.get("title")) else one("title", "name")),
        "description": _text(package, "description", reading, "notes_translated", "notes", "description"),
        "theme": _themes(package, extras, reading),
        "keywords": "; ".join(_tags(package)) or None,
        "contact_name": one("contact_name", "contact_name", "maintainer", "author"),
        "contact_email": one("contact_email", "contact_email", "maintainer_email", "author_email"),
        "access_rights": one("access_rights", "access_rights") or ("öffentlich" if public else None),
        "restriction_reason": one("restriction_reason", "restriction_reason"),
        "license": licence,
        "attribution": attribution,
        "formats": "; ".join(formats) or None,
        "access_url": access or one("access_url", "url"),
        "frequency": one("frequency", "frequency", "accrual_periodicity", "update_frequency"),
        "temporal_start": machine_date(one("temporal_start", "temporal_start", "temporal_coverage_from")),
        "temporal_end": machine_date(one("temporal_end", "temporal_end", "temporal_coverage_to")),
        "spatial": _spatial(_first(package, extras, "politicalGeocodingURI", "spatial_uri"), city),
        "last_updated": _last_updated(package, extras, reading),
        "hvd_category": one("hvd_category", "hvd_category"),
        # a package on an open portal is published: the department proposed it, by the fact
        "publish_proposal": "ja" if public else None,
    }
    org_name, org_title = _organisation(package)
    name = str(package.get("name") or package.get("id"))
    identifier = _first(package, extras, "identifier")
    identifier = identifier if isinstance(identifier, str) else None
    return HarvestedRecord(
        remote_id=str(package["id"]),
        raw={k: v for k, v in raw.items() if _present(v)},
        remote_modified=str(package.get("metadata_modified") or "") or None,
        identifier=inventur_identifier(identifier, city.prefix),
        organization=org_name,
        organization_title=org_title,
        link=f"{portal}/dataset/{name}",
        keys=identity_keys(
            str(package["id"]), f"{portal}/dataset/{package['id']}",
            *([f"{portal}/dataset/{package['name']}"] if isinstance(package.get("name"), str) else []),
            extras.get("uri"), extras.get("guid"), identifier,
        ),
        findings=tuple(reading.findings),
    )
