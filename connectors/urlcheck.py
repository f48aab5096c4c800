"""Does a URL answer? Bounded, parallel, timeout-guarded HEAD (GET when a server refuses HEAD).

The URLs come from departments and harvested catalogs: each check has a deadline for all of it (a
server that sends its headers a byte at a time is given up on), follows few redirects and only to
http(s), and reads no body (:class:`connectors.harvest.http.BoundedSession`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from urllib.parse import urlsplit

import requests

from catalog.quality.score import UrlCheck
from connectors.harvest.http import (
    BoundedSession,
    HttpLimits,
    SourceInvalid,
    SourceUnavailable,
    SourceUnreadable,
    Transient,
)

USER_AGENT = "inventur-quality-check/1.0 (+open-data inventory of München, Augsburg, Nürnberg)"
_HEAD_REFUSED = {403, 405, 501}


def _check(session: requests.Session, url: str, timeout: float) -> UrlCheck:
    for attempt in range(2):  # one retry on a connection error, none on an HTTP answer
        try:
            response = session.head(url, allow_redirects=True, timeout=timeout)
            if response.status_code in _HEAD_REFUSED:
                response = session.get(url, allow_redirects=True, timeout=timeout, stream=True)
                response.close()
            length = response.headers.get("Content-Length")
            return UrlCheck(url, response.status_code, int(length) if length and length.isdigit() else None)
        except (SourceUnreadable, SourceInvalid) as exc:  # a redirect to another scheme, an unusable address
            return UrlCheck(url, None, error=str(exc)[:300])
        except (requests.RequestException, SourceUnavailable, Transient) as exc:
            if attempt == 1:
                return UrlCheck(url, None, error=f"{type(exc).__name__}: {exc}"[:300])
            time.sleep(0.2)
    raise AssertionError("unreachable")


def check_urls(
    urls: Iterable[str], *, timeout: float = 10.0, concurrency: int = 8, deadline: float = 300.0
) -> dict[str, UrlCheck]:
    """Check each distinct http(s) URL once; at most ``concurrency`` at a time, each within ``timeout``
    seconds. URLs not started before ``deadline`` seconds are left out (the caller marks them not checked)."""
    distinct = [u for u in dict.fromkeys(urls) if urlsplit(u).scheme in ("http", "https")]
    results: dict[str, UrlCheck] = {}
    if not distinct:
        return results
    stop_at = time.monotonic() + deadline
    session = BoundedSession(HttpLimits(timeout=timeout, deadline=timeout * 2), read_body=False,
                             pool_connections=concurrency, pool_maxsize=concurrency)
    session.headers["User-Agent"] = USER_AGENT
    pending = iter(distinct)
    running: dict[Future[UrlCheck], str] = {}
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="urlcheck") as pool:
        while True:
            while len(running) < concurrency and time.monotonic() < stop_at:
                url = next(pending, None)
                if url is None:
                    break
                running[pool.submit(_check, session, url, timeout)] = url
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                results[running.pop(future)] = future.result()
    session.close()
    return results
