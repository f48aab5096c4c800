"""Bounded retries with a growing pause: the one retry loop of every HTTP client (CKAN, harvest, WebDAV).

A call is tried up to ``attempts`` times in all; after a failure of a kind worth another attempt
(``retry_on``: a refused or dropped connection, a timeout, a 5xx answer, as each client defines it)
it waits ``backoff``, then twice as long each time, at most ``max_backoff`` seconds. Any other failure
goes straight to the caller (a 4xx answer: asking again changes nothing). When the attempts are used
up, :class:`RetriesExhausted` carries the last failure; each client turns it into its own error, in its
own words. ``before_attempt`` can stop the loop (a deadline over a whole harvest raises from it) and
``may_wait`` can refuse a pause that would outlast such a deadline.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from catalog.errors import RemoteUnavailableError

T = TypeVar("T")


class RetriesExhausted(RemoteUnavailableError):
    """Every attempt failed (or no pause was left for the next one); ``last`` is the last failure."""

    def __init__(self, attempts: int, last: BaseException) -> None:
        super().__init__(f"failed after {attempts} attempt{'s' if attempts != 1 else ''}: {last}")
        self.attempts = attempts
        self.last = last


@dataclass(frozen=True)
class Backoff:
    """How often to try and how long to wait in between: ``backoff``, 2x, 4x ..., at most ``max_backoff``."""

    attempts: int = 3
    backoff: float = 0.5
    max_backoff: float = 30.0

    def pause(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        return min(self.backoff * 2 ** (attempt - 1), self.max_backoff)


def retry(
    call: Callable[[], T],
    policy: Backoff,
    *,
    retry_on: tuple[type[BaseException], ...],
    before_attempt: Callable[[], None] | None = None,
    may_wait: Callable[[float], bool] | None = None,
    on_retry: Callable[[int, BaseException, float], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """``call()``, tried up to ``policy.attempts`` times while it fails with one of ``retry_on``.

    ``on_retry(attempt, failure, pause)`` is told of each failure that is retried (for a log line).
    Raises :class:`RetriesExhausted` (from the last failure) when no attempt succeeded.
    """
    attempts = max(1, policy.attempts)
    for attempt in range(1, attempts + 1):
        if before_attempt is not None:
            before_attempt()
        try:
            return call()
        except retry_on as exc:
            if attempt >= attempts:
                raise RetriesExhausted(attempt, exc) from exc
            pause = policy.pause(attempt)
            if may_wait is not None and not may_wait(pause):
                raise RetriesExhausted(attempt, exc) from exc
            if on_retry is not None:
                on_retry(attempt, exc, pause)
            sleep(pause)
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises
