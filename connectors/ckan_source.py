"""A CKAN portal as a harvest source: its packages, read in pages through ``package_search``.

:class:`CkanSource` reads a portal's public packages a page at a time (up to 1000 per request, never
one request per dataset), optionally of one organisation and only those modified since a high-water
mark. Paging is by ``metadata_modified`` (keyset: each page starts where the last one ended), so a
package changed while the harvest runs moves to a later page instead of pushing another one out of
sight, as offset paging would. :meth:`CkanSource.package_ids` lists every package id cheaply (``fl``),
which tells an incremental harvest what is gone. Requests go through
:class:`connectors.harvest_http.BoundedSession` (a deadline per request and for the harvest, a bound on
the answer's size, gzip included, checked redirects); a portal that answers a full page of packages
already read, or more pages than its count allows, is stopped as a page loop.

:func:`package_record` maps a package to the raw record of the survey's fields, as the portal says it:
real portals are messy (München's carries frequencies as ``täglich`` next to EU URIs, licence ids as
``dl-de-by-2.0`` next to ``dl-by-de/2.0``, e-mails without a domain), and all of it goes through the
same normalisation as survey answers. Fields come from the package's top level (ckanext-scheming) or
its extras (plain CKAN, ckanext-dcat), as GovData's ckanext-dcatde reads them (STANDARDS.md).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

import requests
from ckanapi import RemoteCKAN
from ckanapi.errors import CKANAPIError, NotAuthorized, ServerIncompatibleError

from catalog.harvest import HarvestedRecord, inventur_identifier, machine_date
from catalog.organisation import City
from catalog.vocabulary import vocabularies
from connectors.harvest_http import (
    DEFAULT_ATTEMPTS,
    DEFAULT_BACKOFF,
    USER_AGENT,
    BoundedSession,
    Deadline,
    HttpLimits,
    SourceInvalid,
    SourceUnavailable,
    SourceUnreadable,
    Transient,
    with_retries,
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
    """One CKAN portal, read through its action API with a timeout on every call and bounded retries."""

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
        self.requests = 0
        self.deadline = deadline
        session = BoundedSession(limits or HttpLimits(timeout=timeout), harvest=deadline)
        self._remote = RemoteCKAN(self.url, apikey=token, user_agent=USER_AGENT, get_only=True, session=session)

    def close(self) -> None:
        self._remote.close()

    def __enter__(self) -> CkanSource:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _call(self, action: str, **data: Any) -> Any:
        def once() -> Any:
            self.requests += 1
            try:
                return self._remote.call_action(action, data, requests_kwargs={"timeout": self.timeout})
            except NotAuthorized as exc:
                raise SourceUnavailable(f"{self.url}: not authorised to call {action}") from exc
            except ServerIncompatibleError as exc:
                raise SourceUnavailable(f"{self.url} is not a CKAN action API: {exc}") from exc
            except CKANAPIError as exc:
                if type(exc) is CKANAPIError:  # no JSON answer: a proxy error page, a restart, not a CKAN
                    raise Transient(f"no CKAN answer from {action}: {str(exc)[:200]}") from exc
                raise SourceUnavailable(f"{self.url}: {action} failed: {exc}") from exc

        return with_retries(
            once, describe=f"the CKAN portal {self.url}", attempts=self.attempts, backoff=self.backoff,
            retry_on=(requests.ConnectionError, requests.Timeout, Transient), deadline=self.deadline,
        )

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
            if not isinstance(result, dict):
                raise SourceUnreadable(f"{self.url}: package_search answered no search result")
            results = [p for p in (result.get("results") or []) if isinstance(p, dict)]
            pages += 1
            if most is None:
                count = result.get("count")
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


# -- mapping a package to a raw record -------------------------------------------------------------------


def _present(value: Any) -> bool:
    return value is not None and value != "" and value != [] and value != "[]"


def _extras(package: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for extra in package.get("extras") or []:
        if isinstance(extra, Mapping) and extra.get("key"):
            out[str(extra["key"])] = extra.get("value")
    return out


def _first(package: Mapping[str, Any], extras: Mapping[str, Any], *keys: str) -> Any:
    """The first value given under ``keys``: on the package itself (ckanext-scheming), then in its extras."""
    for key in keys:
        for where in (package, extras):
            value = where.get(key)
            if _present(value):
                return value
    return None


def _as_list(value: Any) -> list[str]:
    """A list value as CKAN carries it: a list, a JSON list in a string, or one plain string."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if _present(v)]
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


def _themes(package: Mapping[str, Any], extras: Mapping[str, Any]) -> str | None:
    """DCAT themes when the package carries them (``theme``), else its groups: a group named after a theme
    code (``envi``, GovData's convention, so no spelling to correct) is that theme, any other group is
    read by its title."""
    given = _as_list(_first(package, extras, "theme", "themes"))
    if given:
        return "; ".join(given)
    names: list[str] = []
    for group in package.get("groups") or []:
        if not isinstance(group, Mapping):
            continue
        name = str(group.get("name") or "")
        title = str(group.get("title") or group.get("display_name") or name)
        names.append(_theme_uris().get(name.lower(), title))
    return "; ".join(n for n in dict.fromkeys(names) if n) or None


def _resources(package: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [r for r in package.get("resources") or [] if isinstance(r, Mapping)]


def _spatial(value: Any, city: City) -> str | None:
    """The survey's spatial scope when the package names the city's municipality key, else None (unknown)."""
    uris = [u.rstrip("/") for u in _as_list(value)]
    return "gesamtes Stadtgebiet" if city.geocoding_uri.rstrip("/") in uris else None


def _last_updated(package: Mapping[str, Any], extras: Mapping[str, Any]) -> Any:
    given = _first(package, extras, "modified", "last_updated")
    if given is not None:
        return machine_date(given)
    stamps = [str(r["last_modified"]) for r in _resources(package) if _present(r.get("last_modified"))]
    return machine_date(max(stamps)) if stamps else None


def package_record(package: Mapping[str, Any], *, portal: str, city: City) -> HarvestedRecord:
    """The raw record of one CKAN package (field key -> value as the portal says it), with provenance."""
    extras = _extras(package)
    resources = _resources(package)
    public = not package.get("private")
    formats: list[str] = []
    for resource in resources:
        fmt = str(resource.get("format") or "").strip()
        if fmt and fmt.casefold() not in {f.casefold() for f in formats}:
            formats.append(fmt)
    access = next(
        (str(r.get("access_url") or r.get("url")) for r in resources if _present(r.get("access_url") or r.get("url"))),
        None,
    )
    licence = _first(package, extras, "license_id", "license") or next(
        (r.get("license") for r in resources if _present(r.get("license"))), None
    )
    attribution = _first(package, extras, "licenseAttributionByText", "attribution") or next(
        (r.get("licenseAttributionByText") for r in resources if _present(r.get("licenseAttributionByText"))), None
    )
    tags = [str(t.get("display_name") or t.get("name")) for t in package.get("tags") or [] if isinstance(t, Mapping)]
    raw: dict[str, Any] = {
        "title": package.get("title") or package.get("name"),
        "description": package.get("notes"),
        "theme": _themes(package, extras),
        "keywords": "; ".join(t for t in tags if t) or None,
        "contact_name": _first(package, extras, "contact_name", "maintainer", "author"),
        "contact_email": _first(package, extras, "contact_email", "maintainer_email", "author_email"),
        "access_rights": _first(package, extras, "access_rights") or ("öffentlich" if public else None),
        "restriction_reason": _first(package, extras, "restriction_reason"),
        "license": licence,
        "attribution": attribution,
        "formats": "; ".join(formats) or None,
        "access_url": access or package.get("url"),
        "frequency": _first(package, extras, "frequency", "accrual_periodicity", "update_frequency"),
        "temporal_start": machine_date(_first(package, extras, "temporal_start", "temporal_coverage_from")),
        "temporal_end": machine_date(_first(package, extras, "temporal_end", "temporal_coverage_to")),
        "spatial": _spatial(_first(package, extras, "politicalGeocodingURI", "spatial_uri"), city),
        "last_updated": _last_updated(package, extras),
        "hvd_category": _first(package, extras, "hvd_category"),
        # a package on an open portal is published: the department proposed it, by the fact
        "publish_proposal": "ja" if public else None,
    }
    organization = package.get("organization")
    org_name = str(organization.get("name")) if isinstance(organization, Mapping) and organization.get("name") else None
    name = str(package.get("name") or package.get("id"))
    return HarvestedRecord(
        remote_id=str(package["id"]),
        raw={k: v for k, v in raw.items() if _present(v)},
        remote_modified=str(package.get("metadata_modified") or "") or None,
        identifier=inventur_identifier(_first(package, extras, "identifier"), city.prefix),
        organization=org_name,
        link=f"{portal}/dataset/{name}",
    )
