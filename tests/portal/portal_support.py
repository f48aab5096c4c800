"""Helpers shared by the portal tests: the licences and groups the portal is brought up with, random words.

Kept in a module of its own (not in ``conftest.py``) so that test modules can import them.
"""

from __future__ import annotations

import secrets
import string
from typing import Any

from catalog.publish.mapping import ckan_licences, theme_groups

# the real lists the local portal is brought up with (the dcat-ap.de licences, one group per EU theme)
LICENSES: list[dict[str, Any]] = ckan_licences()
GROUPS: list[dict[str, str]] = theme_groups()


def unique_word(length: int = 12) -> str:
    """A random lower-case word: a search term that matches only what a test created."""
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(length))
