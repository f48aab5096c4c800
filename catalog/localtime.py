"""Times as the people of the three cities read them: in Europe/Berlin, the German way.

The store keeps every time stamp in UTC; whatever a person reads (feedback workbooks, reports, tables in
the terminal) shows it in the cities' time zone. Naive time stamps (SQLite returns them) are UTC.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from zoneinfo import ZoneInfo


@cache
def berlin() -> dt.tzinfo:
    """The cities' time zone."""
    return ZoneInfo("Europe/Berlin")


def to_local(value: dt.datetime) -> dt.datetime:
    """``value`` in Europe/Berlin; a naive value is taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(berlin())


def local_text(value: dt.datetime, *, clock: bool = True) -> str:
    """``26.11.2026, 16:47 Uhr`` in the cities' time (``clock=False``: ``26.11.2026 16:47``, for tables)."""
    local = to_local(value)
    return local.strftime("%d.%m.%Y, %H:%M Uhr") if clock else local.strftime("%d.%m.%Y %H:%M")


def local_now() -> dt.datetime:
    """Now, in the cities' time zone."""
    return dt.datetime.now(berlin())
