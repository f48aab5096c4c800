"""The one CKAN client: ckanapi's action API with a timeout, one User-Agent, bounded retries and paging.

Publishing (:mod:`connectors.ckan.portal`) and harvesting (:mod:`connectors.ckan.source`) both call CKAN
through :class:`CkanClient`. Every request has a timeout (ckanapi has none by default) and carries
:func:`user_agent`; a refused or dropped connection, a timeout, a 5xx answer and an answer that is no CKAN
answer at all (a proxy's error page) are retried with :func:`connectors.retry.retry`, a bounded number of
times with a growing pause; CKAN's own refusals (validation errors, 403, 404) are raised at once, as
ckanapi raises them, since asking again changes nothing. Every request sent is counted per action, so a
caller (and a test) can tell how many reads and writes went over the wire.

Below the retries sits an :class:`ActionApi`: ckanapi's ``RemoteCKAN`` for a real portal, or the
in-memory twin (:class:`connectors.ckan.twin.CkanTwin`) that answers like CKAN, and can also answer 5xx,
time out or lose an answer, so that what the retries and publishing do about it is tested in seconds.

Thread-safe: each thread gets its own ``RemoteCKAN`` and HTTP session; the counters are shared.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol

import requests
from ckanapi import RemoteCKAN
from ckanapi.errors import CKANAPIError

from catalog.errors import RemoteUnavailableError
from catalog.publish.portal import is_write
from connectors.retry import Backoff, RetriesExhausted, retry

SEARCH_ROWS_MAX = 1000  # CKAN's ckan.search.rows_max default


def user_agent() -> str:
    """The User-Agent of our calls to CKAN: the project and its version, so a portal's operators know who asks."""
    try:
        from importlib.metadata import version

        release = version("inventur")
    except Exception:  # not installed as a distribution (e.g. run from a checkout)
        release = "dev"
    return f"inventur/{release} (open-data inventory of München, Augsburg, Nürnberg)"


class CkanServerError(RemoteUnavailableError):
    """A 5xx answer (retried; CKAN's error text in the message)."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"HTTP {status}: {body[:300]}")
        self.status = status


class CkanNoAnswer(RemoteUnavailableError):
    """No usable answer after the retries: no connection, a timeout, 5xx answers, or no CKAN answer at all.
    ``status`` is the HTTP status of the last answer when there was one (a 5xx), ``last`` the last failure."""

    def __init__(self, url: str, action: str, attempts: int, last: BaseException) -> None:
        super().__init__(f"no answer to {action} after {attempts} attempts ({last})")
        self.url = url
        self.action = action
        self.attempts = attempts
        self.last = last
        self.status = last.status if isinstance(last, CkanServerError) else None


class ActionApi(Protocol):
    """CKAN's action API as ckanapi calls it (``RemoteCKAN``, ``LocalCKAN`` and the twin share it)."""

    def call_action(self, action: str, data_dict: dict[str, Any] | None = None, context: Any = None,
                    apikey: str | None = None, files: Any = None,
                    requests_kwargs: dict[str, Any] | None = None) -> Any:
        ...

    def close(self) -> None:
        ...


class _RemoteCKAN(RemoteCKAN):
    """ckanapi's client that counts every request it sends and raises on 5xx before ckanapi reads the body."""

    def __init__(self, address: str, apikey: str | None, agent: str, count: Callable[[str], None], *,
                 session: requests.Session, get_only: bool) -> None:
        super().__init__(address, apikey=apikey, user_agent=agent, session=session, get_only=get_only)
        self._count = count

    def _checked(self, url: str, response: requests.Response) -> tuple[int, str]:
        if response.status_code >= 500:
            raise CkanServerError(response.status_code, response.text)
        return response.status_code, response.text

    def _request_fn(self, url: str, data: Any, headers: Any, files: Any, requests_kwargs: Any) -> tuple[int, str]:
        self._count(url.rstrip("/").rsplit("/", 1)[-1])
        return self._checked(url, self.session.post(url, data=data, headers=headers, files=files,
                                                    allow_redirects=False, **requests_kwargs))

    def _request_fn_get(self, url: str, data_dict: Any, headers: Any, requests_kwargs: Any) -> tuple[int, str]:
        self._count(url.rstrip("/").rsplit("/", 1)[-1])
        return self._checked(url, self.session.get(url, params=data_dict, headers=headers, **requests_kwargs))


class _NotCkan(Exception):
    """An answer that is no CKAN answer (not JSON: a proxy's error page, a restart): worth another attempt."""


class CkanClient:
    """A CKAN portal's action API, with a timeout, a User-Agent and bounded retries on every call.

    ``attempts`` in all per call, pausing ``backoff``, then twice as long each time, at most
    ``max_backoff`` seconds. ``session`` makes the HTTP session of a thread (a harvest passes its bounded
    one); ``get_only`` sends reads as GET (a harvest of a portal that only allows GET). ``transient`` are
    further failures of the session worth another attempt; ``before_attempt`` and ``may_wait`` let a
    deadline over a whole harvest stop the retries. ``api`` replaces ckanapi by another
    :class:`ActionApi` (the twin).
    """

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        timeout: float = 20.0,
        attempts: int = 4,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        agent: str | None = None,
        session: Callable[[], requests.Session] = requests.Session,
        get_only: bool = False,
        transient: tuple[type[BaseException], ...] = (),
        before_attempt: Callable[[], None] | None = None,
        may_wait: Callable[[float], bool] | None = None,
        api: ActionApi | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self._token = token
        self.timeout = timeout
        self.policy = Backoff(max(1, attempts), backoff, max_backoff)
        self.agent = agent or user_agent()
        self._session = session
        self._get_only = get_only
        self._retry_on: tuple[type[BaseException], ...] = (
            requests.ConnectionError, requests.Timeout, CkanServerError, _NotCkan, *transient)
        self._before_attempt = before_attempt
        self._may_wait = may_wait
        self._api = api
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._local = threading.local()
        self._clients: list[_RemoteCKAN] = []

    @property
    def attempts(self) -> int:
        """Attempts per call, the first included."""
        return self.policy.attempts

    @property
    def in_memory(self) -> bool:
        """Whether the portal is an in-memory one (the twin), without HTTP."""
        return self._api is not None

    def count(self, action: str) -> None:
        """Count one request of ``action`` (the twin counts what it is asked through this)."""
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

    @property
    def sent(self) -> int:
        """Requests sent so far (retries included)."""
        with self._lock:
            return sum(self.calls.values())

    def http(self) -> requests.Session:
        """This thread's HTTP session (for the few plain GETs beside the action API: the portal's DCAT)."""
        client = self._client()
        if client is None:
            raise RuntimeError("an in-memory CKAN has no HTTP session")
        assert client.session is not None
        return client.session

    def _client(self) -> _RemoteCKAN | None:
        if self._api is not None:
            return None
        client: _RemoteCKAN | None = getattr(self._local, "client", None)
        if client is None:
            client = _RemoteCKAN(self.url, self._token, self.agent, self.count, session=self._session(),
                                 get_only=self._get_only)
            self._local.client = client
            with self._lock:
                self._clients.append(client)
        return client

    def _once(self, action: str, data: Mapping[str, Any]) -> Any:
        if self._api is not None:
            self.count(action)
            return self._api.call_action(action, dict(data), requests_kwargs={"timeout": self.timeout})
        client = self._client()
        assert client is not None
        try:
            return client.call_action(action, dict(data), requests_kwargs={"timeout": self.timeout})
        except CKANAPIError as exc:
            if type(exc) is CKANAPIError:  # no JSON answer: a proxy error page, a restart, not a CKAN
                raise _NotCkan(f"no CKAN answer from {action}: {str(exc)[:200]}") from exc
            raise

    def call(self, action: str, data: Mapping[str, Any] | None = None) -> Any:
        """One action, retried on connection errors, timeouts, 5xx and non-CKAN answers; raises ckanapi's
        errors for CKAN's refusals at once and :class:`CkanNoAnswer` when the attempts are used up."""
        payload = dict(data or {})
        try:
            return retry(lambda: self._once(action, payload), self.policy, retry_on=self._retry_on,
                         before_attempt=self._before_attempt, may_wait=self._may_wait)
        except RetriesExhausted as exc:
            raise CkanNoAnswer(self.url, action, self.attempts, exc.last) from exc.last

    def search_pages(self, data: Mapping[str, Any], *, rows: int = SEARCH_ROWS_MAX) -> Iterator[dict[str, Any]]:
        """``package_search`` answers page by page (``rows`` a page, by ``start``) until ``count`` is reached
        or a page comes back empty; ``data`` holds the query (``q``, ``fq``, a ``sort`` that keeps pages
        apart)."""
        rows = max(1, min(rows, SEARCH_ROWS_MAX))
        offset = 0
        while True:
            page = self.call("package_search", {**data, "rows": rows, "start": offset})
            results = page.get("results") or [] if isinstance(page, dict) else []
            yield page
            offset += len(results)
            if not results or offset >= int(page.get("count") or 0):
                return

    def close(self) -> None:
        """Close the HTTP sessions of all threads."""
        with self._lock:
            clients, self._clients = self._clients, []
        for client in clients:
            client.close()
        self._local = threading.local()
