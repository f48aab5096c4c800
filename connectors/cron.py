"""When is a source's cron schedule due? Five fields (minute hour day-of-month month day-of-week) in
Europe/Berlin time, read by cronsim (the cron library Prefect's own schedules use): ``*``, lists, ranges,
steps, names (``MON``, ``JAN``) and Debian cron's rules (the day fields: either one when both are set;
the change to and from summer time)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from cronsim import CronSim, CronSimError

BERLIN = ZoneInfo("Europe/Berlin")
_REFERENCE = dt.datetime(2000, 1, 1, tzinfo=BERLIN)


def parse(expression: str) -> CronSim:
    """The schedule of ``expression``; raises ValueError unless it is a valid cron expression of five fields."""
    if len(expression.split()) != 5:
        raise ValueError(f"{expression!r} is no cron expression of five fields")
    try:
        return CronSim(expression, _REFERENCE)
    except CronSimError as exc:
        raise ValueError(f"{expression!r} is no valid cron expression: {exc}") from None


def next_after(expression: str, moment: dt.datetime) -> dt.datetime:
    """The first time the schedule fires after ``moment`` (Berlin time, in the minute it fires)."""
    parse(expression)
    return next(CronSim(expression, moment.astimezone(BERLIN)))


def matches(expression: str, when: dt.datetime) -> bool:
    """Whether the schedule fires in the minute of ``when`` (Berlin time)."""
    minute = when.astimezone(dt.UTC).replace(second=0, microsecond=0)  # UTC: no wall-clock gaps to step over
    return next_after(expression, minute - dt.timedelta(minutes=1)) == minute


def due(expression: str, since: dt.datetime | None, now: dt.datetime, *, horizon: dt.timedelta = dt.timedelta(days=8)) -> bool:
    """Whether the schedule fired after ``since`` and up to ``now`` (never run yet: due)."""
    if since is None:
        return True
    start = max(since, now - horizon).astimezone(dt.UTC).replace(second=0, microsecond=0)
    return next_after(expression, start) <= now
