"""What every harvest connector shares: its two errors, bounded retries, and a guarded HTTP fetch.

``SourceUnavailable`` means the source cannot be reached or keeps failing (the CLI exits 4);
``SourceUnreadable`` means it answered with something that is not what it should be (not RDF);
``SourceInvalid`` means the address or settings given cannot be used (not a URL, an unknown schema). Every network call has a timeout and every retry a bound: transient failures (a refused
or dropped connection, a timeout, HTTP 429 and 5xx) are retried with a growing pause, others are not.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import requests

USER_AGENT = "inventur-harvest/0.1 (open-data inventory of München, Augsburg and Nürnberg)"
DEFAULT_ATTEMPTS = 3
DEFAULT_BACKOFF = 1.0
MAX_BYTES = 200 * 1024 * 1024

T = TypeVar("T")


class SourceUnavailable(RuntimeError):
    """A harvest source cannot be reached, or keeps failing: nothing can be harvested from it now."""


class SourceUnreadable(ValueError):
    """A harvest source answered, but with something that cannot be read as what it should be."""


class SourceInvalid(ValueError):
    """A source's address or settings cannot be used (not a URL, an unknown schema): fix the call."""


class Transient(RuntimeError):
    """A failure worth another attempt (HTTP 429 or 5xx)."""


def with_retries(
    call: Callable[[], T],
    *,
    describe: str,
    attempts: int = DEFAULT_ATTEMPTS,
    backoff: float = DEFAULT_BACKOFF,
    retry_on: tuple[type[BaseException], ...] = (requests.ConnectionError, requests.Timeout, Transient),
) -> T:
    """``call()``, tried up to ``attempts`` times on a transient failure (pauses ``backoff``, 2x, 4x ...).

    After the last attempt the failure becomes :class:`SourceUnavailable`, naming ``describe``.
    """
    attempts = max(1, attempts)
    last: BaseException | None = None
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except retry_on as exc:
            last = exc
            if attempt < attempts:
                time.sleep(backoff * 2 ** (attempt - 1))
    raise SourceUnavailable(f"{describe} did not answer after {attempts} attempts: {_short(last)}") from last


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
    """GET ``url`` with a timeout, bounded retries and a size limit."""

    def once() -> Fetched:
        with http.get(url, timeout=timeout, headers={"Accept": accept, "User-Agent": USER_AGENT}, stream=True) as answer:
            if answer.status_code == 429 or answer.status_code >= 500:
                raise Transient(f"HTTP {answer.status_code}")
            if answer.status_code >= 400:
                raise SourceUnavailable(f"{url} answered HTTP {answer.status_code}")
            body = bytearray()
            for chunk in answer.iter_content(chunk_size=1 << 16):
                body.extend(chunk)
                if len(body) > max_bytes:
                    raise SourceUnreadable(f"{url} is larger than {max_bytes // (1024 * 1024)} MiB")
            kind = answer.headers.get("Content-Type")
            return Fetched(answer.url or url, bytes(body), kind.split(";")[0].strip().lower() if kind else None)

    return with_retries(once, describe=url, attempts=attempts, backoff=backoff)
