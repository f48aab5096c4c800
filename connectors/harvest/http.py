"""What every harvest connector shares: its errors, bounded retries, deadlines and a bounded HTTP session.

``SourceUnavailable`` means the source cannot be reached or keeps failing (the CLI exits 4);
``SourceUnreadable`` means it answered with something that is not what it should be (not RDF);
``SourceInvalid`` means the address or settings given cannot be used (not a URL, an unknown schema). Every network call has a timeout and every retry a bound: transient failures (a refused
or dropped connection, a timeout, HTTP 429 and 5xx) are retried with a growing pause, others are not.

:class:`BoundedSession` is the one way harvests talk HTTP (the CKAN client included). Every request it
sends has a deadline for all of it (a server that sends one byte every few seconds never times out a
read, so a watchdog closes the connection when the deadline passes), a bound on the size of the answer
(declared or unpacked: a gzip bomb stops at the bound), and at most a few redirects, never to another
scheme than http(s) and never from https down to http. A :class:`Deadline` bounds a whole harvest.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from catalog.errors import RemoteUnavailableError, UsageError
from connectors.retry import Backoff, RetriesExhausted, retry

USER_AGENT = "inventur-harvest/0.1 (open-data inventory of München, Augsburg and Nürnberg)"
DEFAULT_ATTEMPTS = 3
DEFAULT_BACKOFF = 1.0
MAX_BYTES = 200 * 1024 * 1024
DEFAULT_TIMEOUT = 20.0
DEFAULT_REQUEST_DEADLINE = 300.0
DEFAULT_HARVEST_DEADLINE = 3600.0
DEFAULT_MAX_REDIRECTS = 5
_CHUNK = 1 << 16

T = TypeVar("T")


class SourceUnavailable(RemoteUnavailableError, RuntimeError):
    """A harvest source cannot be reached, or keeps failing: nothing can be harvested from it now."""


class SourceUnreadable(RemoteUnavailableError, ValueError):
    """A harvest source answered, but with something that cannot be read as what it should be."""


class SourceInvalid(UsageError, ValueError):
    """A source's address or settings cannot be used (not a URL, an unknown schema): fix the call."""


class Transient(RemoteUnavailableError, RuntimeError):
    """A failure worth another attempt (HTTP 429 or 5xx)."""


class Deadline:
    """The time a whole harvest may take; :meth:`check` raises :class:`SourceUnavailable` once it is over."""

    def __init__(self, seconds: float = DEFAULT_HARVEST_DEADLINE, *, what: str = "the harvest") -> None:
        self.seconds = seconds
        self.what = what
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.end - time.monotonic()

    def check(self) -> None:
        if self.remaining() <= 0:
            raise SourceUnavailable(f"{self.what} took longer than {self.seconds:g} s and was stopped")


def with_retries(
    call: Callable[[], T],
    *,
    describe: str,
    attempts: int = DEFAULT_ATTEMPTS,
    backoff: float = DEFAULT_BACKOFF,
    retry_on: tuple[type[BaseException], ...] = (requests.ConnectionError, requests.Timeout, Transient),
    deadline: Deadline | None = None,
) -> T:
    """``call()``, tried up to ``attempts`` times on a transient failure (pauses ``backoff``, 2x, 4x ...).

    After the last attempt the failure becomes :class:`SourceUnavailable`, naming ``describe``; so does a
    ``deadline`` that passes meanwhile.
    """
    attempts = max(1, attempts)
    try:
        return retry(
            call, Backoff(attempts, backoff, max_backoff=float("inf")), retry_on=retry_on,
            before_attempt=deadline.check if deadline is not None else None,
            may_wait=(lambda pause: deadline.remaining() >= pause) if deadline is not None else None,
        )
    except RetriesExhausted as exc:
        raise SourceUnavailable(
            f"{describe} did not answer after {attempts} attempts: {_short(exc.last)}") from exc.last


# -- a session with deadlines, size bounds and checked redirects ----------------------------------------


@dataclass(frozen=True)
class HttpLimits:
    """Bounds of every request: seconds per connect or read, seconds in all, bytes of the answer (also
    unpacked), redirects followed."""

    timeout: float = DEFAULT_TIMEOUT
    deadline: float = DEFAULT_REQUEST_DEADLINE
    max_bytes: int = MAX_BYTES
    max_redirects: int = DEFAULT_MAX_REDIRECTS


class _Watch:
    """Closes the connections a request uses when its deadline passes: a read that keeps receiving a
    byte now and then never times out on its own."""

    current = threading.local()

    def __init__(self, seconds: float) -> None:
        self.connections: list[HTTPConnection] = []
        self.expired = False
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(seconds, 0.0), self._expire)
        self._timer.daemon = True

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for connection in self.connections:
                _shut(connection)

    def add(self, connection: HTTPConnection) -> None:
        with self._lock:
            self.connections.append(connection)
            if self.expired:
                _shut(connection)

    @contextmanager
    def running(self) -> Iterator[_Watch]:
        _Watch.current.watch = self
        self._timer.start()
        try:
            yield self
        finally:
            self._timer.cancel()
            _Watch.current.watch = None


def _shut(connection: HTTPConnection) -> None:
    """Shut the connection's socket down: a read blocked on it returns at once (closing would not wake it)."""
    sock = getattr(connection, "sock", None)
    if sock is not None:
        with suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _watched(connection: HTTPConnection) -> None:
    watch: _Watch | None = getattr(_Watch.current, "watch", None)
    if watch is not None:
        watch.add(connection)


class _WatchedHTTPConnection(HTTPConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        _watched(self)
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        _watched(self)
        super().request(*args, **kwargs)


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class _BoundedAdapter(HTTPAdapter):
    """Sends each request under a :class:`_Watch` and reads its answer within the size bound."""

    def __init__(self, limits: HttpLimits, harvest: Deadline | None, *, read_body: bool = True, **pool: Any) -> None:
        self.limits = limits
        self.harvest = harvest
        self.read_body = read_body
        super().__init__(max_retries=0, **pool)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = _POOLS
        return manager

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None, verify: Any = True,
             cert: Any = None, proxies: Any = None) -> requests.Response:
        seconds = self.limits.deadline
        if self.harvest is not None:
            self.harvest.check()
            seconds = min(seconds, self.harvest.remaining())
        url = request.url or "?"
        watch = _Watch(seconds)
        try:
            with watch.running():
                response = super().send(request, stream=True, timeout=timeout or self.limits.timeout, verify=verify,
                                        cert=cert, proxies=proxies)
                if self.read_body:
                    response._content = self._body(response, url)
                    response._content_consumed = True  # type: ignore[attr-defined]
                else:
                    response.close()  # only the status and headers are wanted
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            if watch.expired:
                self._overdue(url, seconds, exc)
            if isinstance(exc, urllib3.exceptions.ReadTimeoutError):
                raise requests.exceptions.ReadTimeout(f"{url}: {_short(exc)}") from exc
            if isinstance(exc, urllib3.exceptions.DecodeError):
                raise SourceUnreadable(f"{url} sent an answer that cannot be unpacked: {_short(exc)}") from exc
            if isinstance(exc, urllib3.exceptions.HTTPError):
                raise Transient(f"{url} sent a broken or truncated answer: {_short(exc)}") from exc
            raise
        if watch.expired:
            self._overdue(url, seconds, None)
        return response

    def _overdue(self, url: str, seconds: float, cause: BaseException | None) -> NoReturn:
        if self.harvest is not None and self.harvest.remaining() <= 0:
            try:
                self.harvest.check()
            except SourceUnavailable as exc:
                raise exc from cause
        raise SourceUnavailable(f"{url} did not answer completely within {seconds:g} s") from cause

    def _body(self, response: requests.Response, url: str) -> bytes:
        limit = self.limits.max_bytes
        try:
            declared = int(response.headers.get("Content-Length") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            response.close()
            raise SourceUnreadable(f"{url} announces {declared:,} bytes, more than the limit of {_mib(limit)}")
        body = bytearray()
        try:
            for chunk in response.raw.stream(_CHUNK, decode_content=True):
                body.extend(chunk)
                if len(body) > limit:
                    raise SourceUnreadable(f"{url} is larger than {_mib(limit)} (unpacked)")
        finally:
            response.close()
        return bytes(body)


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):g} MiB"


class BoundedSession(requests.Session):
    """A requests session for harvesting: see the module docstring. ``harvest`` bounds all its requests
    together; errors of the transport become :class:`SourceUnavailable` or :class:`SourceUnreadable`."""

    def __init__(self, limits: HttpLimits | None = None, *, harvest: Deadline | None = None, read_body: bool = True,
                 **pool: Any) -> None:
        super().__init__()
        self.limits = limits or HttpLimits()
        self.harvest = harvest
        self.max_redirects = self.limits.max_redirects
        adapter = _BoundedAdapter(self.limits, harvest, read_body=read_body, **pool)
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def get_redirect_target(self, resp: requests.Response) -> str | None:
        target = super().get_redirect_target(resp)
        if target is None:
            return None
        absolute = urljoin(resp.url, target)
        before, after = urlsplit(resp.url).scheme.lower(), urlsplit(absolute).scheme.lower()
        if after not in ("http", "https") or (before == "https" and after == "http"):
            raise SourceUnreadable(f"{resp.url} redirects to {absolute}: only http(s) redirects are followed, "
                                   "never from https to http")
        return target

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        shown = url.decode("utf-8", "replace") if isinstance(url, bytes) else url
        try:
            return super().request(method, url, *args, **kwargs)
        except requests.TooManyRedirects as exc:
            raise SourceUnavailable(f"{shown} redirects more than {self.max_redirects} times (a redirect loop?)") from exc
        except (requests.exceptions.InvalidSchema, requests.exceptions.MissingSchema,
                requests.exceptions.InvalidURL) as exc:
            raise SourceInvalid(f"{shown} cannot be fetched: {exc}") from exc
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError) as exc:
            raise Transient(f"{shown} sent a broken or truncated answer: {_short(exc)}") from exc


def _short(error: BaseException | None) -> str:
    text = str(error) if error is not None else "unknown error"
    return text if len(text) <= 300 else text[:297] + "..."


@dataclass(frozen=True)
class Fetched:
    """The body of a fetched URL, where it ended up (after redirects) and its content type."""

    url: str
    content: bytes
    content_type: str | None


def fetch(
    url: str,
    *,
    http: requests.Session,
    timeout: float,
    accept: str,
    attempts: int = DEFAULT_ATTEMPTS,
    backoff: float = DEFAULT_BACKOFF,
    max_bytes: int = MAX_BYTES,
) -> Fetched:
    """GET ``url`` with a timeout, bounded retries and a size limit (a :class:`BoundedSession` adds a
    deadline per request and for the harvest, and checked redirects)."""
    deadline = http.harvest if isinstance(http, BoundedSession) else None

    def once() -> Fetched:
        with http.get(url, timeout=timeout, headers={"Accept": accept, "User-Agent": USER_AGENT}, stream=True) as answer:
            if answer.status_code == 429 or answer.status_code >= 500:
                raise Transient(f"HTTP {answer.status_code}")
            if answer.status_code >= 400:
                raise SourceUnavailable(f"{url} answered HTTP {answer.status_code}")
            body = bytearray()
            for chunk in answer.iter_content(chunk_size=_CHUNK):
                body.extend(chunk)
                if len(body) > max_bytes:
                    raise SourceUnreadable(f"{url} is larger than {_mib(max_bytes)}")
            kind = answer.headers.get("Content-Type")
            return Fetched(answer.url or url, bytes(body), kind.split(";")[0].strip().lower() if kind else None)

    return with_retries(once, describe=url, attempts=attempts, backoff=backoff, deadline=deadline)
