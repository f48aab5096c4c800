"""Keywords as every path publishes them: one cleaning for the survey, the DCAT-AP.de export and CKAN.

CKAN accepts a tag only of letters, digits, blanks, ``-``, ``_`` and ``.``, 2 to 100 characters long
(``ckan/logic/validators.py``: ``tag_name_validator``, ``tag_length_validator``), and ckanext-dcat writes
the tags as ``dcat:keyword``. So that a department's keyword reads the same in the portal, in GovData and
in our own export, normalisation cleans keywords with these rules when an answer comes in (and tells the
department what changed), and the export and the CKAN mapping apply the same function to what they are
given (a no-op for clean keywords).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

TAG_MIN, TAG_MAX = 2, 100
_UNSAFE = re.compile(r"[^\w .-]+")


def clean_keyword(keyword: str) -> str | None:
    """A keyword as a portal can carry it: characters a CKAN tag may not hold become blanks, blanks are
    collapsed, at most 100 characters (cut at a word); None when fewer than 2 characters remain."""
    text = unicodedata.normalize("NFC", str(keyword))
    text = " ".join(_UNSAFE.sub(" ", text).split())
    if len(text) > TAG_MAX:
        cut = text[:TAG_MAX]
        text = cut.rsplit(" ", 1)[0] if " " in cut[TAG_MAX // 2 :] else cut
        text = text.strip(" .-")
    return text if len(text) >= TAG_MIN else None


def clean_keywords(keywords: Iterable[object]) -> list[str]:
    """The keywords cleaned (:func:`clean_keyword`), without repeats (compared case-insensitively), in order."""
    seen: set[str] = set()
    out: list[str] = []
    for keyword in keywords:
        cleaned = clean_keyword(str(keyword)) if keyword is not None else None
        if cleaned is None or cleaned.casefold() in seen:
            continue
        seen.add(cleaned.casefold())
        out.append(cleaned)
    return out
