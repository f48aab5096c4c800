"""English Snowball ("Porter2") stemmer, written from the published algorithm description.

Solr's ``SnowballPorterFilterFactory language="English"`` stems CKAN's ``text`` field with this
algorithm, so the development stand-in applies the same one: a query for ``flooding`` then finds
``floods`` exactly as it does on a production portal. Only consistency between indexing and
querying matters for matching; the few corner cases where Lucene's generated stemmer differs are
irrelevant for a development portal.
"""

from __future__ import annotations

from functools import lru_cache

_VOWELS = frozenset("aeiouy")
_DOUBLES = ("bb", "dd", "ff", "gg", "mm", "nn", "pp", "rr", "tt")
_LI_ENDINGS = frozenset("cdeghkmnrt")

_EXCEPTIONS = {
    "skis": "ski",
    "skies": "sky",
    "dying": "die",
    "lying": "lie",
    "tying": "tie",
    "idly": "idl",
    "gently": "gentl",
    "ugly": "ugli",
    "early": "earli",
    "only": "onli",
    "singly": "singl",
    "sky": "sky",
    "news": "news",
    "howe": "howe",
    "atlas": "atlas",
    "cosmos": "cosmos",
    "bias": "bias",
    "andes": "andes",
}
_STOP_AFTER_1A = frozenset(
    ("inning", "outing", "canning", "herring", "earring", "proceed", "exceed", "succeed")
)
_R1_PREFIXES = ("gener", "commun", "arsen")

_STEP2 = (
    ("ization", "ize"),
    ("ational", "ate"),
    ("fulness", "ful"),
    ("ousness", "ous"),
    ("iveness", "ive"),
    ("tional", "tion"),
    ("biliti", "ble"),
    ("lessli", "less"),
    ("entli", "ent"),
    ("ation", "ate"),
    ("alism", "al"),
    ("aliti", "al"),
    ("ousli", "ous"),
    ("iviti", "ive"),
    ("fulli", "ful"),
    ("enci", "ence"),
    ("anci", "ance"),
    ("abli", "able"),
    ("izer", "ize"),
    ("ator", "ate"),
    ("alli", "al"),
    ("bli", "ble"),
    ("ogi", "og"),
    ("li", ""),
)
_STEP3 = (
    ("ational", "ate"),
    ("tional", "tion"),
    ("alize", "al"),
    ("icate", "ic"),
    ("iciti", "ic"),
    ("ative", ""),
    ("ical", "ic"),
    ("ness", ""),
    ("ful", ""),
)
_STEP4 = (
    "ement",
    "ance",
    "ence",
    "able",
    "ible",
    "ment",
    "ant",
    "ent",
    "ism",
    "ate",
    "iti",
    "ous",
    "ive",
    "ize",
    "ion",
    "al",
    "er",
    "ic",
)


def _is_vowel(word: str, i: int) -> bool:
    return word[i] in _VOWELS


def _region_after_vc(word: str, start: int) -> int:
    """Index after the first non-vowel that follows a vowel, searching from ``start``."""
    for i in range(start + 1, len(word)):
        if not _is_vowel(word, i) and _is_vowel(word, i - 1):
            return i + 1
    return len(word)


def _regions(word: str) -> tuple[int, int]:
    r1 = next((len(p) for p in _R1_PREFIXES if word.startswith(p)), None)
    if r1 is None:
        r1 = _region_after_vc(word, 0)
    r2 = _region_after_vc(word, r1) if r1 < len(word) else len(word)
    return r1, r2


def _ends_short_syllable(word: str) -> bool:
    n = len(word)
    if n == 2:
        return _is_vowel(word, 0) and not _is_vowel(word, 1)
    if n >= 3:
        return (
            not _is_vowel(word, n - 3)
            and _is_vowel(word, n - 2)
            and not _is_vowel(word, n - 1)
            and word[n - 1] not in "wxY"
        )
    return False


def _is_short(word: str, r1: int) -> bool:
    return r1 >= len(word) and _ends_short_syllable(word)


def _has_vowel(part: str) -> bool:
    return any(c in _VOWELS for c in part)


def _step1a(word: str) -> str:
    if word.endswith("sses"):
        return word[:-2]
    if word.endswith(("ied", "ies")):
        return word[:-2] if len(word) > 4 else word[:-1]
    if word.endswith(("us", "ss")):
        return word
    if word.endswith("s") and _has_vowel(word[:-2]):
        return word[:-1]
    return word


def _step1b(word: str, r1: int) -> str:
    for suffix in ("eedly", "eed"):
        if word.endswith(suffix):
            if len(word) - len(suffix) >= r1:
                return word[: -len(suffix)] + "ee"
            return word
    for suffix in ("ingly", "edly", "ing", "ed"):
        if word.endswith(suffix):
            stem = word[: -len(suffix)]
            if not _has_vowel(stem):
                return word
            if stem.endswith(("at", "bl", "iz")):
                return stem + "e"
            if stem.endswith(_DOUBLES):
                return stem[:-1]
            if _is_short(stem, r1):
                return stem + "e"
            return stem
    return word


def _step1c(word: str) -> str:
    if len(word) > 2 and word[-1] in "yY" and not _is_vowel(word, len(word) - 2):
        return word[:-1] + "i"
    return word


def _replace_in_r1(word: str, rules: tuple[tuple[str, str], ...], r1: int, r2: int) -> str:
    for suffix, replacement in rules:
        if not word.endswith(suffix):
            continue
        start = len(word) - len(suffix)
        if start < r1:
            return word
        if suffix == "ogi" and not word[:start].endswith("l"):
            return word
        if suffix == "li" and (start == 0 or word[start - 1] not in _LI_ENDINGS):
            return word
        if suffix == "ative" and start < r2:
            return word
        return word[:start] + replacement
    return word


def _step4(word: str, r2: int) -> str:
    for suffix in _STEP4:
        if not word.endswith(suffix):
            continue
        start = len(word) - len(suffix)
        if start < r2:
            return word
        if suffix == "ion" and (start == 0 or word[start - 1] not in "st"):
            return word
        return word[:start]
    return word


def _step5(word: str, r1: int, r2: int) -> str:
    if word.endswith("e"):
        start = len(word) - 1
        if start >= r2 or (start >= r1 and not _ends_short_syllable(word[:-1])):
            return word[:-1]
    elif word.endswith("l"):
        start = len(word) - 1
        if start >= r2 and word[:-1].endswith("l"):
            return word[:-1]
    return word


def _mark_ys(word: str) -> str:
    chars = list(word)
    for i, c in enumerate(chars):
        if c == "y" and (i == 0 or chars[i - 1] in _VOWELS):
            chars[i] = "Y"
    return "".join(chars)


@lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """Return the Porter2 stem of a lower-cased ``word``; words of up to two letters are kept."""
    if len(word) <= 2:
        return word
    if word in _EXCEPTIONS:
        return _EXCEPTIONS[word]
    word = word.lstrip("'")
    word = _mark_ys(word)
    r1, r2 = _regions(word)
    for suffix in ("'s'", "'s", "'"):
        if word.endswith(suffix):
            word = word[: -len(suffix)]
            break
    word = _step1a(word)
    if word in _STOP_AFTER_1A:
        return word
    word = _step1b(word, r1)
    word = _step1c(word)
    word = _replace_in_r1(word, _STEP2, r1, r2)
    word = _replace_in_r1(word, _STEP3, r1, r2)
    word = _step4(word, r2)
    word = _step5(word, r1, r2)
    return word.replace("Y", "y")
