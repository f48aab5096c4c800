"""Reading values out of an entry record (the export's keys) the same way everywhere."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any


def record_text(entry: Mapping[str, Any], key: str) -> str | None:
    """A record's text value, trimmed; None when absent or blank."""
    value = entry.get(key)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def record_list(entry: Mapping[str, Any], key: str) -> list[str]:
    """A record's list value as distinct trimmed texts (a single text counts as a list of one)."""
    value = entry.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    seen: dict[str, None] = {}
    for item in value:
        text = str(item).strip() if item is not None else ""
        if text:
            seen.setdefault(text, None)
    return list(seen)


def moment_text(moment: datetime | None) -> str | None:
    """A point in time as every published path writes it (``issued``, ``modified``): ISO 8601 in UTC, to the
    second (a time without zone counts as UTC, as the store keeps it)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")
