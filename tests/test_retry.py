"""The one retry helper of every HTTP client (connectors/retry.py): bounded, growing, selective."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from connectors.retry import Backoff, RetriesExhausted, retry


class Flaky(Exception):
    pass


def failing(times: int, exc: type[Exception] = Flaky) -> tuple[list[int], Callable[[], str]]:
    calls: list[int] = []

    def call() -> str:
        calls.append(1)
        if len(calls) <= times:
            raise exc(f"failure {len(calls)}")
        return "answer"

    return calls, call


def test_a_failure_worth_retrying_is_retried_with_a_growing_bounded_pause() -> None:
    pauses: list[float] = []
    calls, call = failing(3)
    assert retry(call, Backoff(attempts=4, backoff=1.0, max_backoff=3.0), retry_on=(Flaky,),
                 sleep=pauses.append) == "answer"
    assert len(calls) == 4 and pauses == [1.0, 2.0, 3.0]


def test_the_attempts_are_bounded_and_the_last_failure_is_kept() -> None:
    told: list[int] = []
    calls, call = failing(10)
    with pytest.raises(RetriesExhausted) as exhausted:
        retry(call, Backoff(attempts=3, backoff=0.0), retry_on=(Flaky,), sleep=lambda _s: None,
              on_retry=lambda attempt, _exc, _pause: told.append(attempt))
    assert len(calls) == 3 and exhausted.value.attempts == 3 and str(exhausted.value.last) == "failure 3"
    assert told == [1, 2]


def test_other_failures_are_never_retried() -> None:
    calls, call = failing(1, ValueError)
    with pytest.raises(ValueError):
        retry(call, Backoff(attempts=5, backoff=0.0), retry_on=(Flaky,), sleep=lambda _s: None)
    assert len(calls) == 1


def test_a_deadline_stops_the_retries_before_a_pause_it_would_outlast() -> None:
    calls, call = failing(10)
    with pytest.raises(RetriesExhausted) as exhausted:
        retry(call, Backoff(attempts=5, backoff=10.0), retry_on=(Flaky,), sleep=lambda _s: None,
              may_wait=lambda pause: pause < 15)
    assert len(calls) == 2 and exhausted.value.attempts == 2
