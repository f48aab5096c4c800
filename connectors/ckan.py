"""A CKAN portal through its action API: read the packages of our organisations in pages, write packages
and organisations.

:class:`CkanPortal` is the small interface the publish step needs; :class:`RemoteCkanPortal` is the real
one, on ``ckanapi.RemoteCKAN``. Every call has a timeout (ckanapi has none by default) and a User-Agent;
connection errors and 5xx answers are retried a bounded number of times with exponential backoff, 4xx
answers never (asking again changes nothing). A refusal of CKAN (``ValidationError``: its field errors,
403, 404) is returned as a :class:`WriteResult`, for the caller to turn into findings; only a portal that
cannot be reached or read raises (:class:`CkanUnavailable`). Every request sent is counted per action,
so that a caller (and a test) can tell how many writes went over the wire.

Thread-safe: each thread gets its own ``RemoteCKAN`` and HTTP session, the counters are shared.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote

import requests
from ckanapi import RemoteCKAN
from ckanapi.errors import CKANAPIError, NotAuthorized, NotFound, ValidationError
from rdflib import Graph, Namespace

from catalog.errors import RemoteUnavailableError

# Actions that only read; every other action counts as a write.
_READ_SUFFIXES = ("_show", "_list", "_search", "_autocomplete")
SEARCH_ROWS_MAX = 1000  # CKAN's ckan.search.rows_max default
MAX_CATALOG_PAGES = 10_000  # pages of /catalog.ttl read at most (100 datasets each)
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
_ORGANISATIONS_PER_QUERY = 100  # organisation names per package_search filter (Solr's boolean clause limit is 1024)


def user_agent() -> str:
    """The User-Agent of our calls: the project and its version, so a portal's operators know who asks."""
    try:
        from importlib.metadata import version

        release = version("inventur")
    except Exception:  # not installed as a distribution (e.g. run from a checkout)
        release = "dev"
    return f"inventur/{release} (open-data inventory of München, Augsburg, Nürnberg; CKAN publisher)"


def is_write(action: str) -> bool:
    """Whether a CKAN action changes the portal (everything but ``*_show``, ``*_list``, ``*_search``)."""
    return not action.endswith(_READ_SUFFIXES)


class CkanUnavailable(RemoteUnavailableError):
    """The portal cannot be reached or read (no answer after the retries, server errors, access refused):
    the publish run cannot go on. ``url`` is the portal's address."""

    def __init__(self, url: str, message: str) -> None:
        super().__init__(f"CKAN at {url}: {message}")
        self.url = url


@dataclass(frozen=True)
class WriteResult:
    """What a write did. ``ok`` with CKAN's answer in ``package`` (or ``data``); otherwise ``status`` (HTTP),
    ``field_errors`` (CKAN's validation errors: field path -> messages), ``not_found``, ``error`` (text)."""

    ok: bool
    data: dict[str, Any] | None = None
    status: int = 200
    field_errors: dict[str, list[str]] = field(default_factory=dict)
    not_found: bool = False
    error: str | None = None

    @property
    def server_error(self) -> bool:
        """CKAN answered with a 5xx even after the retries."""
        return self.status >= 500

    @property
    def package(self) -> dict[str, Any] | None:
        """CKAN's answer to a package write (the package as stored)."""
        return self.data


class CkanPortal(Protocol):
    """What publishing needs of a CKAN portal."""

    url: str

    @property
    def writes(self) -> int:
        """Write requests sent so far (retries included)."""
        ...

    def organisation_names(self) -> set[str]:
        """The names of the portal's active organisations."""
        ...

    def ensure_organisations(self, wanted: Sequence[Mapping[str, Any]]) -> dict[str, str]:
        """Create the organisations of ``wanted`` that do not exist; returns an error text per name that failed."""
        ...

    def iter_packages(self, organisations: Sequence[str]) -> Iterator[dict[str, Any]]:
        """Every active package (private ones included) of these organisations, read in pages."""
        ...

    def show_package(self, name_or_id: str) -> dict[str, Any] | None:
        """One package, also a withdrawn one; None when there is none."""
        ...

    def create_package(self, package: Mapping[str, Any]) -> WriteResult:
        """``package_create``."""
        ...

    def update_package(self, package: Mapping[str, Any]) -> WriteResult:
        """``package_update`` (the whole package; ``id`` names it)."""
        ...

    def delete_package(self, name_or_id: str) -> WriteResult:
        """``package_delete``: a soft delete that CKAN can undo."""
        ...

    def catalog_pages(self) -> Iterator[Graph]:
        """Every page of the portal's DCAT catalog (``/catalog.ttl``, Hydra paging), as GovData reads it."""
        ...

    def dataset_dcat(self, name: str) -> Graph | None:
        """One dataset's DCAT (``/dataset/<name>.ttl``); None when the portal has no such dataset."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


class _ServerError(Exception):
    """A 5xx answer (retried; CKAN's error text in the message)."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"HTTP {status}: {body[:300]}")
        self.status = status


class _RemoteCKAN(RemoteCKAN):
    """ckanapi's client that counts every request it sends and raises on 5xx before ckanapi reads the body."""

    def __init__(self, address: str, apikey: str | None, agent: str, count: Callable[[str], None]) -> None:
        super().__init__(address, apikey=apikey, user_agent=agent, session=requests.Session())
        self._count = count

    def _request_fn(self, url: str, data: Any, headers: Any, files: Any, requests_kwargs: Any) -> tuple[int, str]:
        self._count(url.rstrip("/").rsplit("/", 1)[-1])
        response = self.session.post(url, data=data, headers=headers, files=files, allow_redirects=False,
                                     **requests_kwargs)
        if response.status_code >= 500:
            raise _ServerError(response.status_code, response.text)
        return response.status_code, response.text


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
    """A real CKAN portal (:class:`CkanPortal`) through ``ckanapi.RemoteCKAN``.

    ``timeout`` bounds every request; ``retries`` is how often a connection error or a 5xx answer is
    retried (waiting ``backoff``, then twice as long each time, at most ``max_backoff`` seconds);
    ``concurrency`` is how many organisations :meth:`ensure_organisations` creates at once.
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
    ) -> None:
        self.url = url.rstrip("/")
        self._token = token
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.agent = agent or user_agent()
        self.concurrency = max(1, concurrency)
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._local = threading.local()
        self._clients: list[_RemoteCKAN] = []
        self._organisations: set[str] | None = None
        self._organisation_texts: dict[str, tuple[str, str]] = {}

    # -- the wire ------------------------------------------------------------------------------------

    def _count(self, action: str) -> None:
        with self._lock:
            self.calls[action] += 1

    @property
    def writes(self) -> int:
        """Write requests sent so far (retries included)."""
        with self._lock:
            return sum(n for action, n in self.calls.items() if is_write(action))

    @property
    def reads(self) -> int:
        """Read requests sent so far (retries included)."""
        with self._lock:
            return sum(n for action, n in self.calls.items() if not is_write(action))

    def _client(self) -> _RemoteCKAN:
        client: _RemoteCKAN | None = getattr(self._local, "client", None)
        if client is None:
            client = _RemoteCKAN(self.url, self._token, self.agent, self._count)
            self._local.client = client
            with self._lock:
                self._clients.append(client)
        return client

    def _call(self, action: str, data: Mapping[str, Any]) -> Any:
        """One action with retries on connection errors and 5xx; raises ckanapi's errors for 4xx answers,
        :class:`CkanUnavailable` when the portal does not answer, :class:`_ServerError` after the last 5xx."""
        last: Exception | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(min(self.backoff * 2 ** (attempt - 1), self.max_backoff))
            try:
                return self._client().call_action(action, dict(data), requests_kwargs={"timeout": self.timeout})
            except (requests.ConnectionError, requests.Timeout) as exc:
                last = exc
            except _ServerError as exc:
                last = exc
        if isinstance(last, _ServerError):
            raise last
        raise CkanUnavailable(self.url, f"no answer to {action} after {self.retries + 1} attempts ({last})")

    def _read(self, action: str, data: Mapping[str, Any]) -> Any:
        """A read that must succeed: server errors and refusals make the portal unusable for this run."""
        try:
            return self._call(action, data)
        except _ServerError as exc:
            raise CkanUnavailable(self.url, f"{action} failed: {exc}") from None
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
        except _ServerError as exc:
            return WriteResult(False, status=exc.status, error=f"{action}: {exc}")
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
        except (NotFound, NotAuthorized, _ServerError, CKANAPIError):
            return refused
        if shown.get("state") == "active":
            return WriteResult(True, data=shown)
        return self._write("organization_patch", {"id": shown["id"], "state": "active"})

    # -- packages ------------------------------------------------------------------------------------

    def iter_packages(self, organisations: Sequence[str], *, rows: int = SEARCH_ROWS_MAX) -> Iterator[dict[str, Any]]:
        """Every active package of these organisations (private ones too): ``package_search`` in pages of
        ``rows`` (at most 1000), in name order so that the pages do not overlap."""
        rows = max(1, min(rows, SEARCH_ROWS_MAX))
        names = sorted(set(organisations))
        for start in range(0, len(names), _ORGANISATIONS_PER_QUERY):
            chunk = names[start:start + _ORGANISATIONS_PER_QUERY]
            query = "organization:(" + " OR ".join(f'"{n}"' for n in chunk) + ")"
            offset = 0
            while True:
                page = self._read("package_search", {
                    "q": "*:*", "fq": query, "rows": rows, "start": offset, "sort": "name asc",
                    "include_private": True,
                })
                results = page.get("results") or []
                yield from results
                offset += len(results)
                if not results or offset >= int(page.get("count") or 0):
                    break

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
        except _ServerError as exc:
            raise CkanUnavailable(self.url, f"package_show failed: {exc}") from None
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
        """A GET with the retries of :meth:`_call`; None for 404; raises :class:`CkanUnavailable` otherwise."""
        last: Exception | str | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(min(self.backoff * 2 ** (attempt - 1), self.max_backoff))
            self._count("dcat_show")  # a read
            try:
                response = self._client().session.get(url, timeout=self.timeout,
                                                      headers={"User-Agent": self.agent, "Accept": "text/turtle"})
            except (requests.ConnectionError, requests.Timeout) as exc:
                last = exc
                continue
            if response.status_code == 404:
                return None
            if response.status_code >= 500:
                last = f"HTTP {response.status_code}"
                continue
            if response.status_code != 200:
                raise CkanUnavailable(self.url, f"GET {url} answered HTTP {response.status_code}")
            return response
        raise CkanUnavailable(self.url, f"no answer to GET {url} after {self.retries + 1} attempts ({last})")

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
        with self._lock:
            clients, self._clients = self._clients, []
        for client in clients:
            client.close()
        self._local = threading.local()
