"""The cron schedules of the sources file."""

from __future__ import annotations

import datetime as dt

import pytest

from connectors.cron import BERLIN, due, matches, parse


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=BERLIN)


def test_matches() -> None:
    assert matches("15 3 * * *", at("2026-11-26T03:15"))
    assert not matches("15 3 * * *", at("2026-11-26T03:16"))
    assert matches("*/20 * * * *", at("2026-11-26T10:40"))
    assert matches("0 6 * * 1-5", at("2026-11-27T06:00"))  # a Friday
    assert not matches("0 6 * * 1-5", at("2026-11-28T06:00"))  # a Saturday
    assert matches("0 0 1 * 7", at("2026-11-29T00:00"))  # Sunday, though not the 1st: either day field
    assert matches("0 2 * * *", dt.datetime(2026, 11, 26, 1, 0, tzinfo=dt.UTC))  # 02:00 in Berlin


def test_due() -> None:
    now = at("2026-11-26T04:00")
    assert due("15 3 * * *", None, now)
    assert due("15 3 * * *", at("2026-11-26T03:00"), now)
    assert not due("15 3 * * *", at("2026-11-26T03:15"), now)
    assert not due("0 6 * * 1", at("2026-11-25T00:00"), now)


def test_names_and_summer_time() -> None:
    assert matches("0 6 * * MON-FRI", at("2026-11-27T06:00"))  # a Friday
    assert not matches("0 6 * * MON-FRI", at("2026-11-28T06:00"))
    # 02:30 does not exist on 29 March 2026 in Berlin: the run comes at 03:00 (as Debian cron does)
    assert matches("30 2 * * *", dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.UTC))  # 03:00 summer time
    assert due("30 2 * * *", at("2026-03-28T12:00"), dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.UTC))
    assert not due("30 2 * * *", at("2026-03-28T12:00"), dt.datetime(2026, 3, 29, 0, 59, tzinfo=dt.UTC))


@pytest.mark.parametrize("bad", ["", "* * * *", "60 * * * *", "* 24 * * *", "*/0 * * * *", "a b c d e",
                                 "0 0 3 * * *"])
def test_bad_expressions(bad: str) -> None:
    with pytest.raises(ValueError):
        parse(bad)
