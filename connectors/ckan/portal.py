"""A CKAN portal for publishing (:class:`catalog.publish.portal.CkanPortal`) on the one CKAN client.

:class:`RemoteCkanPortal` reads the packages of our organisations in pages and writes packages and
organisations through :class:`connectors.ckan.client.CkanClient` (timeout, User-Agent, bounded retries
on connection errors and 5xx, never on 4xx). A refusal of CKAN (``ValidationError``: its field errors,
403, 404, a 5xx after the retries) is returned as a :class:`WriteResult`, for the caller to turn into
findings; only a portal that cannot be reached or read raises (:class:`CkanUnavailable`). Every request
sent is counted per action (``writes``, ``reads``). :func:`twin_portal` is the same class on the
in-memory twin (:mod:`connectors.ckan.twin`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import requests
from ckanapi.errors import CKANAPIError, NotAuthorized, NotFound, ValidationError
from rdflib import Graph, Namespace

from catalog.publish.portal import CkanUnavailable, WriteResult, is_write
from connectors.ckan.client import SEARCH_ROWS_MAX, CkanClient, CkanNoAnswer, CkanServerError, user_agent
from connectors.retry import RetriesExhausted, retry

if TYPE_CHECKING:
    from connectors.ckan.twin import CkanTwin

__all__ = ["SEARCH_ROWS_MAX", "CkanUnavailable", "RemoteCkanPortal", "WriteResult", "flatten_errors", "is_write",
           "twin_portal", "user_agent"]

MAX_CATALOG_PAGES = 10_000  # pages of /catalog.ttl read at most (100 datasets each)
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
_ORGANISATIONS_PER_QUERY = 100  # organisation names per package_search filter (Solr's boolean clause limit is 1024)


def flatten_errors(error_dict: Mapping[str, Any]) -> dict[str, list[str]]:
    """CKAN's validation errors as ``field path -> messages`` (``resources[1].url``, ``tags``, ``name``)."""
    flat: dict[str, list[str]] = {}

    def walk(path: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for key, inner in value.items():
                if key != "__type":
                    walk(f"{path}.{key}" if path else str(key), inner)
        elif isinstance(value, list) and any(isinstance(v, Mapping | list) for v in value):
            for index, inner in enumerate(value):
                walk(f"{path}[{index}]", inner)
        elif isinstance(value, list):
            flat.setdefault(path, []).extend(str(v) for v in value)
        elif value not in (None, ""):
            flat.setdefault(path, []).append(str(value))

    walk("", error_dict)
    return flat


class RemoteCkanPortal:
    """A CKAN portal (:class:`~catalog.publish.portal.CkanPortal`) through :class:`CkanClient`.

    ``timeout`` bounds every request; ``retries`` is how often a connection error or a 5xx answer is
    retried (waiting ``backoff``, then twice as long each time, at most ``max_backoff`` seconds);
    ``concurrency`` is how many organisations :meth:`ensure_organisations` creates at once. ``api``
    replaces the portal on the wire by another action API (the twin: see :func:`twin_portal`).
    """

    def __init__(
        self,
        url: str,
        token: str | None,
        *,
        timeout: float = 20.0,
        retries: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        agent: str | None = None,
        concurrency: int = 1,
        api: Any = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.client = CkanClient(self.url, token, timeout=timeout, attempts=retries + 1, backoff=backoff,
                                 max_backoff=max_backoff, agent=agent, api=api)
        self.timeout = timeout
        self.retries = retries
        self.agent = self.client.agent
        self.concurrency = max(1, concurrency)
        self._organisations: set[str] | None = None
        self._organisation_texts: dict[str, tuple[str, str]] = {}

    # -- the wire ------------------------------------------------------------------------------------

    @property
    def calls(self) -> Counter[str]:
        """Requests sent per action (retries included)."""
        return self.client.calls

    @property
    def writes(self) -> int:
        """Write requests sent so far (retries included)."""
        return self.client.writes

    @property
    def reads(self) -> int:
        """Read requests sent so far (retries included)."""
        return self.client.reads

    def _call(self, action: str, data: Mapping[str, Any]) -> Any:
        """One action with the client's retries; raises ckanapi's errors for 4xx answers,
        :class:`CkanUnavailable` when the portal does not answer, :class:`CkanNoAnswer` after the last 5xx."""
        try:
            return self.client.call(action, data)
        except CkanNoAnswer as exc:
            if exc.status is not None:
                raise
            if isinstance(exc.last.__cause__, CKANAPIError):  # answered, but not as CKAN: CKAN's refusal
                raise exc.last.__cause__ from None
            raise CkanUnavailable(self.url, str(exc)) from None

    def _read(self, action: str, data: Mapping[str, Any]) -> Any:
        """A read that must succeed: server errors and refusals make the portal unusable for this run."""
        try:
            return self._call(action, data)
        except CkanNoAnswer as exc:
            raise CkanUnavailable(self.url, f"{action} failed: {exc.last}") from None
        except NotAuthorized as exc:
            raise CkanUnavailable(self.url, f"{action} refused: the API token lacks the rights ({exc})") from None
        except CKANAPIError as exc:
            raise CkanUnavailable(self.url, f"{action} failed: {exc}") from None

    def _write(self, action: str, data: Mapping[str, Any]) -> WriteResult:
        try:
            answer = self._call(action, data)
        except ValidationError as exc:
            errors = getattr(exc, "error_dict", None) or {}
            return WriteResult(False, status=409, field_errors=flatten_errors(errors),
                               error=f"{action}: CKAN refused the data")
        except NotFound as exc:
            return WriteResult(False, status=404, not_found=True, error=f"{action}: not found ({exc})")
        except NotAuthorized as exc:
            return WriteResult(False, status=403, error=f"{action}: not authorised ({exc})")
        except CkanNoAnswer as exc:
            return WriteResult(False, status=exc.status or 500, error=f"{action}: {exc.last}")
        except CKANAPIError as exc:
            return WriteResult(False, status=400, error=f"{action}: {exc}")
        return WriteResult(True, data=answer if isinstance(answer, dict) else None)

    # -- organisations -------------------------------------------------------------------------------

    def organisation_names(self) -> set[str]:
        """The names of the portal's active organisations (``organization_list``, in pages); their titles and
        descriptions are remembered for :meth:`ensure_organisations`."""
        found: dict[str, tuple[str, str]] = {}
        offset = 0
        while True:
            page = self._read("organization_list", {"all_fields": True, "limit": SEARCH_ROWS_MAX, "offset": offset})
            for item in page or []:
                if isinstance(item, Mapping):
                    found[str(item.get("name"))] = (str(item.get("title") or ""), str(item.get("description") or ""))
                else:
                    found[str(item)] = ("", "")
            if not page or len(page) < SEARCH_ROWS_MAX:
                break
            offset += len(page)
        self._organisations = set(found)
        self._organisation_texts = found
        return set(found)

    def ensure_organisations(self, wanted: Sequence[Mapping[str, Any]]) -> dict[str, str]:
        """Create the organisations of ``wanted`` (CKAN organisation dicts) that the portal lacks, and give
        existing ones the wanted title and description (what visitors read); idempotent.

        A withdrawn (deleted) organisation of the same name is made active again. Returns an error text
        per organisation name that could not be created; the others exist afterwards.
        """
        if self._organisations is None:
            self.organisation_names()
        known = self._organisations if self._organisations is not None else set()
        missing = list({str(o["name"]): o for o in wanted if str(o["name"]) not in known}.items())
        retitled = [(str(o["name"]), o) for o in wanted
                    if str(o["name"]) in known and self._organisation_texts.get(str(o["name"])) is not None
                    and self._organisation_texts[str(o["name"])] != (str(o.get("title") or ""),
                                                                       str(o.get("description") or ""))]
        errors: dict[str, str] = {}

        def create(name: str, organisation: Mapping[str, Any]) -> WriteResult:
            if name in known:
                return self._write("organization_patch", {
                    "id": name, "title": organisation.get("title") or "",
                    "description": organisation.get("description") or ""})
            result = self._write("organization_create", organisation)
            if not result.ok and result.field_errors.get("name"):
                result = self._reactivate_organisation(name, result)
            return result

        missing += retitled

        workers = min(self.concurrency, len(missing))
        if workers > 1:
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ckan-organisations") as pool:
                results = list(pool.map(lambda item: create(*item), missing))
        else:
            results = [create(name, organisation) for name, organisation in missing]
        for (name, organisation), result in zip(missing, results, strict=True):
            if result.ok:
                known.add(name)
                self._organisation_texts[name] = (str(organisation.get("title") or ""),
                                                  str(organisation.get("description") or ""))
            else:
                details = "; ".join(f"{k}: {' '.join(v)}" for k, v in result.field_errors.items())
                errors[name] = f"{result.error}{': ' + details if details else ''}"
        return errors

    def _reactivate_organisation(self, name: str, refused: WriteResult) -> WriteResult:
        """The name is taken: by our own deleted organisation (made active again) or one that exists already."""
        try:
            shown = self._call("organization_show", {"id": name, "include_datasets": False})
        except (NotFound, NotAuthorized, CkanNoAnswer, CKANAPIError):
            return refused
        if shown.get("state") == "active":
            return WriteResult(True, data=shown)
        return self._write("organization_patch", {"id": shown["id"], "state": "active"})

    # -- packages ------------------------------------------------------------------------------------

    def iter_packages(self, organisations: Sequence[str], *, rows: int = SEARCH_ROWS_MAX) -> Iterator[dict[str, Any]]:
        """Every active package of these organisations (private ones too): ``package_search`` in pages of
        ``rows`` (at most 1000), in name order so that the pages do not overlap."""
        names = sorted(set(organisations))
        for start in range(0, len(names), _ORGANISATIONS_PER_QUERY):
            chunk = names[start:start + _ORGANISATIONS_PER_QUERY]
            query = "organization:(" + " OR ".join(f'"{n}"' for n in chunk) + ")"
            pages = self.client.search_pages(
                {"q": "*:*", "fq": query, "sort": "name asc", "include_private": True}, rows=rows)
            while True:
                try:
                    page = next(pages)
                except StopIteration:
                    break
                except CkanNoAnswer as exc:
                    raise CkanUnavailable(self.url, f"package_search failed: {exc.last}" if exc.status else str(exc)) \
                        from None
                except NotAuthorized as exc:
                    raise CkanUnavailable(
                        self.url, f"package_search refused: the API token lacks the rights ({exc})") from None
                except CKANAPIError as exc:
                    raise CkanUnavailable(self.url, f"package_search failed: {exc}") from None
                yield from page.get("results") or []

    def show_package(self, name_or_id: str) -> dict[str, Any] | None:
        """One package, also a withdrawn one (a sysadmin sees those); None when there is none. A package
        the token may not see is returned as a stub without organisation (so it is never taken for ours)."""
        try:
            result: dict[str, Any] = self._call("package_show", {"id": name_or_id})
            return result
        except NotFound:
            return None
        except NotAuthorized:
            return {"id": "", "name": name_or_id, "state": "unknown", "organization": None, "extras": []}
        except CkanNoAnswer as exc:
            raise CkanUnavailable(self.url, f"package_show failed: {exc.last}") from None
        except CKANAPIError as exc:
            raise CkanUnavailable(self.url, f"package_show failed: {exc}") from None

    def create_package(self, package: Mapping[str, Any]) -> WriteResult:
        """``package_create``."""
        return self._write("package_create", package)

    def update_package(self, package: Mapping[str, Any]) -> WriteResult:
        """``package_update`` of the whole package named by its ``id``."""
        return self._write("package_update", package)

    def delete_package(self, name_or_id: str) -> WriteResult:
        """``package_delete``: a soft delete (state ``deleted``) that CKAN can undo."""
        return self._write("package_delete", {"id": name_or_id})

    # -- the portal's DCAT (ckanext-dcat's endpoints) ----------------------------------------------------

    def _get(self, url: str) -> requests.Response | None:
        """A GET with the client's retries; None for 404; raises :class:`CkanUnavailable` otherwise."""
        if self.client.in_memory:
            raise CkanUnavailable(self.url, "an in-memory portal serves no DCAT")

        def once() -> requests.Response | None:
            self.client.count("dcat_show")  # a read
            response = self.client.http().get(url, timeout=self.timeout,
                                              headers={"User-Agent": self.agent, "Accept": "text/turtle"})
            if response.status_code == 404:
                return None
            if response.status_code >= 500:
                raise CkanServerError(response.status_code, "")
            if response.status_code != 200:
                raise CkanUnavailable(self.url, f"GET {url} answered HTTP {response.status_code}")
            return response

        try:
            return retry(once, self.client.policy,
                         retry_on=(requests.ConnectionError, requests.Timeout, CkanServerError))
        except RetriesExhausted as exc:
            last = f"HTTP {exc.last.status}" if isinstance(exc.last, CkanServerError) else str(exc.last)
            raise CkanUnavailable(
                self.url, f"no answer to GET {url} after {self.client.attempts} attempts ({last})") from None

    def _turtle(self, url: str, response: requests.Response) -> Graph:
        graph = Graph()
        try:  # ckanext-dcat names no charset: the bytes are UTF-8
            graph.parse(data=response.content.decode("utf-8", "replace"), format="turtle", publicID=url)
        except Exception as exc:  # rdflib raises many kinds of errors for a broken document
            raise CkanUnavailable(self.url, f"{url} is no readable Turtle ({str(exc)[:200]})") from None
        return graph

    def catalog_pages(self, *, max_pages: int = MAX_CATALOG_PAGES) -> Iterator[Graph]:
        """Every page of ``/catalog.ttl`` (ckanext-dcat: 100 datasets a page, newest change first), read while
        a page announces a next one (``hydra:next``); at most ``max_pages``. Page addresses are built here
        (``?page=N``), not taken from the document: ckanext-dcat 2.3.0 writes the query of its paging links
        unencoded. Raises :class:`CkanUnavailable` when a page cannot be read."""
        for number in range(1, max_pages + 1):
            url = f"{self.url}/catalog.ttl?page={number}"
            response = self._get(url)
            if response is None:
                raise CkanUnavailable(self.url, f"{url} does not exist: is ckanext-dcat installed and enabled?")
            graph = self._turtle(url, response)
            yield graph
            if not any(graph.objects(None, HYDRA.next)) and not any(graph.objects(None, HYDRA.nextPage)):
                return

    def dataset_dcat(self, name: str) -> Graph | None:
        """``/dataset/<name>.ttl``; None when the portal has no such (active) dataset."""
        url = f"{self.url}/dataset/{quote(name, safe='')}.ttl"
        response = self._get(url)
        return self._turtle(url, response) if response is not None else None

    def close(self) -> None:
        """Close the HTTP sessions of all threads."""
        self.client.close()


def twin_portal(twin: CkanTwin, *, retries: int = 3, concurrency: int = 1) -> RemoteCkanPortal:
    """The publishing client on an in-memory CKAN: the same code, retries and counting as on a real portal,
    without pauses between the retries."""
    return RemoteCkanPortal(twin.url, twin.token, retries=retries, backoff=0.0, max_backoff=0.0,
                            concurrency=concurrency, api=twin)
