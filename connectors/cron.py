"""When is a source's cron schedule due? Five fields (minute hour day-of-month month day-of-week) with
``*``, lists, ranges and steps, evaluated in Europe/Berlin: enough for the sources file's ``schedule``."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")
_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))


def _field(text: str, low: int, high: int) -> set[int]:
    values: set[int] = set()
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = int(step_text)
            if step < 1:
                raise ValueError(f"step {step} in {text!r}")
        if part == "*":
            first, last = low, high
        elif "-" in part:
            first, last = (int(x) for x in part.split("-", 1))
        else:
            first = last = int(part)
        if not (low <= first <= last <= high):
            raise ValueError(f"{part!r} is outside {low}-{high}")
        values.update(range(first, last + 1, step))
    return values


def parse(expression: str) -> tuple[set[int], ...]:
    """The allowed values of each field; raises ValueError on anything else."""
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"{expression!r} is no cron expression of five fields")
    parsed = tuple(_field(f, lo, hi) for f, (lo, hi) in zip(fields, _RANGES, strict=True))
    if 7 in parsed[4]:
        parsed[4].add(0)  # Sunday is 0 and 7
    return parsed


def matches(expression: str, when: dt.datetime) -> bool:
    """Whether the schedule fires in the minute of ``when`` (Berlin time)."""
    minute, hour, dom, month, dow = parse(expression)
    local = when.astimezone(BERLIN)
    weekday = (local.weekday() + 1) % 7  # cron: 0 = Sunday
    day_ok = local.day in dom and weekday in dow
    if len(dom) < 31 and len(dow) < 7:  # both restricted: either matches (classic cron)
        day_ok = local.day in dom or weekday in dow
    return local.minute in minute and local.hour in hour and local.month in month and day_ok


def due(expression: str, since: dt.datetime | None, now: dt.datetime, *, horizon: dt.timedelta = dt.timedelta(days=8)) -> bool:
    """Whether the schedule fired after ``since`` and up to ``now`` (never run yet: due)."""
    if since is None:
        return True
    start = max(since, now - horizon).replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    minute = start
    while minute <= now:
        if matches(expression, minute):
            return True
        minute += dt.timedelta(minutes=1)
    return False
