"""Solr date values and date math (``NOW``, ``NOW/DAY``, ``NOW-1YEAR``, ``2024-01-01T00:00:00Z+6MONTHS``).

Solr accepts only UTC ISO-8601 instants ending in ``Z`` and stores them with millisecond
precision; CKAN relies on that (it appends ``Z`` to ``metadata_modified``), so the stand-in rejects
other forms just as Solr does, which surfaces mistakes before they reach a production portal.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime, timedelta

_INSTANT = re.compile(
    r"(?P<y>[+-]?\d{4,})-(?P<m>\d{2})-(?P<d>\d{2})T(?P<H>\d{2}):(?P<M>\d{2}):(?P<S>\d{2})(?:\.(?P<f>\d{1,9}))?Z"
)
_MATH = re.compile(r"(?:/(?P<round>[A-Z]+)|(?P<sign>[+-])(?P<amount>\d+)(?P<unit>[A-Z]+))")
_UNITS = {
    "YEAR": "year",
    "YEARS": "year",
    "MONTH": "month",
    "MONTHS": "month",
    "DAY": "day",
    "DAYS": "day",
    "DATE": "day",
    "HOUR": "hour",
    "HOURS": "hour",
    "MINUTE": "minute",
    "MINUTES": "minute",
    "SECOND": "second",
    "SECONDS": "second",
    "MILLI": "milli",
    "MILLIS": "milli",
    "MILLISECOND": "milli",
    "MILLISECONDS": "milli",
}


class DateError(ValueError):
    """A value is not a Solr date or date-math expression."""


def _add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year = moment.year + month_index // 12
    month = month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _add(moment: datetime, amount: int, unit: str) -> datetime:
    if unit == "year":
        return _add_months(moment, 12 * amount)
    if unit == "month":
        return _add_months(moment, amount)
    deltas = {
        "day": timedelta(days=amount),
        "hour": timedelta(hours=amount),
        "minute": timedelta(minutes=amount),
        "second": timedelta(seconds=amount),
        "milli": timedelta(milliseconds=amount),
    }
    return moment + deltas[unit]


def _round(moment: datetime, unit: str) -> datetime:
    if unit == "year":
        return moment.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    if unit == "month":
        return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if unit == "day":
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    if unit == "minute":
        return moment.replace(second=0, microsecond=0)
    if unit == "second":
        return moment.replace(microsecond=0)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def parse_date(value: str, now: datetime | None = None) -> datetime:
    """Parse an instant or a date-math expression into an aware UTC datetime (millisecond precision)."""
    text = value.strip()
    if text.startswith("NOW"):
        moment = _truncate(now or datetime.now(UTC))
        rest = text[3:]
    else:
        match = _INSTANT.match(text)
        if not match:
            raise DateError(f"Invalid Date String:'{value}'")
        try:
            fraction = (match["f"] or "0")[:3].ljust(3, "0")
            moment = datetime(
                int(match["y"]),
                int(match["m"]),
                int(match["d"]),
                int(match["H"]),
                int(match["M"]),
                int(match["S"]),
                int(fraction) * 1000,
                tzinfo=UTC,
            )
        except ValueError as exc:
            raise DateError(f"Invalid Date String:'{value}'") from exc
        rest = text[match.end() :]
    position = 0
    while position < len(rest):
        step = _MATH.match(rest, position)
        if not step:
            raise DateError(f"Invalid Date Math String:'{value}'")
        unit_name = step["round"] or step["unit"]
        unit = _UNITS.get(unit_name)
        if unit is None:
            raise DateError(f"Invalid Date Math String:'{value}': unknown unit {unit_name}")
        try:
            if step["round"]:
                moment = _round(moment, unit)
            else:
                amount = int(step["amount"]) * (-1 if step["sign"] == "-" else 1)
                moment = _add(moment, amount, unit)
        except (OverflowError, ValueError) as exc:
            raise DateError(f"Invalid Date Math String:'{value}': {exc}") from exc
        position = step.end()
    return moment


def _truncate(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def format_date(moment: datetime) -> str:
    """Format as Solr returns dates: ``2024-05-01T10:11:12Z`` or ``2024-05-01T10:11:12.345Z``."""
    moment = moment.astimezone(UTC)
    base = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if len(base) < 19:  # years below 1000 are not zero-padded by strftime on every platform
        base = f"{moment.year:04d}{base[base.index('-') :]}"
    millis = moment.microsecond // 1000
    return f"{base}.{millis:03d}Z" if millis else f"{base}Z"


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_millis(moment: datetime) -> int:
    """Milliseconds since the epoch, the comparable form stored in the index."""
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000
