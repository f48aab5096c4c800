"""Reading harvested values the way a person who knows DCAT and CKAN reads them.

A connector turns what a source says into the raw record of the survey's fields; the spelling of a value
is then normalisation's business (:mod:`catalog.normalise`, with a ``value-corrected`` finding for every
value it changes). What needs the source's context is read here, the same for every connector:

- a category of GovData's older scheme (``Transport und Verkehr``, ``…/umwelt_klima``) becomes the EU data
  themes GovData maps it to (:func:`catalog.vocabulary.older_categories`);
- a distribution without a format takes it from the file extension of its download URL;
- an e-mail address written as an IRI without ``mailto:`` (``<name@host>``), which an RDF parser resolves
  against the file's location, is the address again;
- a text given per language (ckanext-fluent's ``{"de": …, "en": …}``) is its German text;
- a value of the wrong kind (a list where one title belongs) is a finding, never its Python form.

Every value changed here is a ``value-corrected`` finding with before and after, as for survey answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeGuard
from urllib.parse import unquote, urlsplit

from catalog.fields import BY_KEY, Need
from catalog.findings import Finding, Severity, finding
from catalog.vocabulary import older_categories, vocabularies

_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_LANGUAGE = re.compile(r"^[a-z]{2,3}([-_][a-z0-9]{2,8})?$", re.I)
_KEY_LENGTH = 400  # entry_keys.key


@dataclass
class Reading:
    """The findings a connector raises while it reads one record (stored with the record's entry)."""

    findings: list[Finding] = field(default_factory=list)

    def corrected(self, key: str, before: str, after: str) -> None:
        """A value read otherwise than it was written: ``value-corrected`` with before and after."""
        if before != after:
            self.findings.append(finding("value-corrected", value=before, before=before, after=after, field=key,
                                         label=BY_KEY[key].label))

    def wrong_type(self, key: str, value: Any) -> None:
        """A value of a kind the field cannot hold (several titles, a structure): ``value-wrong-type``."""
        spec = BY_KEY[key]
        kind, kind_en = ("mehrere Werte", "several values") if isinstance(value, (list, tuple)) else (
            ("eine Struktur", "a structure") if isinstance(value, Mapping) else ("einen Wahrheitswert", "a boolean"))
        severity: Severity | None = None if spec.need in (Need.REQUIRED, Need.CONDITIONAL) else "warning"
        self.findings.append(finding("value-wrong-type", severity=severity, value=shown(value), field=key,
                                     label=spec.label, kind=kind, kind_en=kind_en))

    def unmapped_category(self, value: str) -> None:
        self.findings.append(finding("category-unmapped", value=value, field="theme", label=BY_KEY["theme"].label))


def shown(value: Any) -> str:
    """A value as a person reads it: list items joined by ``; ``, a mapping as ``key: value`` pairs."""
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {shown(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple, set)):
        return "; ".join(shown(v) for v in value if v not in (None, ""))
    if isinstance(value, bool):
        return "ja" if value else "nein"
    return "" if value is None else str(value)


# -- texts -----------------------------------------------------------------------------------------------


def is_language_map(value: Any) -> TypeGuard[Mapping[str, Any]]:
    """Whether ``value`` is a text per language (``{"de": "Baumkataster", "en": "Tree register"}``)."""
    return isinstance(value, Mapping) and bool(value) and all(
        isinstance(k, str) and _LANGUAGE.match(k) for k in value)


def language_value(value: Mapping[str, Any]) -> Any:
    """The German value of a value per language; else the one without language, else English, else any."""
    by_language = {str(k).replace("_", "-").casefold(): v for k, v in value.items()}
    for wanted in ("de", "de-de", "de-at", "de-ch", "und", "en"):
        if by_language.get(wanted) not in (None, "", []):
            return by_language[wanted]
    return next((v for v in by_language.values() if v not in (None, "", [])), None)


def text_value(key: str, value: Any, reading: Reading) -> str | None:
    """One text for the field ``key``: a string or number as it is; a text per language in German; a list of
    one value that value; anything else a ``value-wrong-type`` finding and no value."""
    if value is None or value == "" or value == [] or value == {}:
        return None
    if isinstance(value, bool):
        reading.wrong_type(key, value)
        return None
    if isinstance(value, (str, int, float)):
        return str(value)
    if is_language_map(value):
        return text_value(key, language_value(value), reading)
    if isinstance(value, (list, tuple)):
        items = list(dict.fromkeys(v for v in value if v not in (None, "", [], {})))
        if len(items) == 1:
            return text_value(key, items[0], reading)
        if not items:
            return None
    reading.wrong_type(key, value)
    return None


# -- themes ----------------------------------------------------------------------------------------------


def themes(values: Iterable[str], reading: Reading) -> list[str]:
    """Theme values with GovData's older categories replaced by their EU data themes (a correction each);
    a category GovData maps to no theme is left out with a ``category-unmapped`` finding; every other
    value stays as it is for normalisation."""
    out: list[str] = []
    scheme = vocabularies()["theme"]
    for value in values:
        category = older_categories().lookup(value)
        if category is None:
            out.append(value)
        elif not category.themes:
            reading.unmapped_category(value)
        else:
            out += category.themes
            reading.corrected("theme", value, "; ".join(scheme[t].label for t in category.themes))
    return list(dict.fromkeys(out))


# -- formats ---------------------------------------------------------------------------------------------


def media_type(value: str) -> str:
    """A media type without its parameters (``application/gml+xml; version=3.2`` -> ``application/gml+xml``),
    any other value unchanged."""
    text = value.strip()
    if re.match(r"^[\w.+-]+/[\w.+-]+\s*;", text) and not text.lower().startswith(("http:", "https:")):
        return text.split(";", 1)[0].strip()
    return text


def file_type_label(value: str) -> str:
    """The label of a file type's IRI (``…/file-type/GEOJSON`` -> ``GeoJSON``)."""
    concept = vocabularies()["file_type"].get(value)
    return concept.label if concept is not None else value


def format_of_url(url: str | None) -> str | None:
    """The EU file type a download URL's file name says by its extension (``…/baeume.csv`` -> CSV), or None."""
    if not url:
        return None
    name = unquote(urlsplit(url.strip()).path).rsplit("/", 1)[-1].lower()
    if "." not in name.strip("."):
        return None
    scheme = vocabularies()["file_type"]
    parts = name.split(".")
    for extension in (".".join(parts[-2:]), parts[-1]):  # tar.gz before gz
        match = scheme.lookup(f".{extension}", near=False)
        if match.ok:
            return match.value
        concept = scheme.get(f"{scheme.uri}/{extension.upper()}")
        if concept is not None:
            return concept.value
    return None


# -- e-mail and identity ---------------------------------------------------------------------------------


def email_in_iri(value: str) -> str | None:
    """The e-mail address in an IRI: ``mailto:name@host``, or ``name@host`` written without ``mailto:`` that
    a parser resolved against the document's location (``file:///…/name@host``, ``https://…/name@host``)."""
    text = value.strip()
    if text.lower().startswith("mailto:"):
        return unquote(text[len("mailto:"):].split("?", 1)[0]).strip()
    parts = urlsplit(text)
    if parts.scheme.lower() in ("file", "http", "https") and not parts.query:
        last = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1]).strip()
        if _EMAIL.match(last):
            return last
    return None


def identity_key(value: Any) -> str | None:
    """A name by which a dataset is known beyond one source, for recognising it in another: an IRI (scheme
    and trailing slash folded), a URN, a UUID, or another identifier of at least eight characters that is
    not just a number (a short local number says nothing across sources). None for anything else."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > _KEY_LENGTH or any(c.isspace() for c in text):
        return None
    if re.match(r"(?i)^https?://", text):
        parts = urlsplit(text)
        return parts._replace(scheme="http", netloc=parts.netloc.lower()).geturl().rstrip("/")
    if _UUID.match(text):
        return text.lower()
    if text.lower().startswith("urn:") or (len(text) >= 8 and not text.isdigit()):
        return text
    return None


def identity_keys(*values: Any) -> tuple[str, ...]:
    """The distinct :func:`identity_key` of ``values``, in order."""
    return tuple(dict.fromkeys(k for k in (identity_key(v) for v in values) if k))
