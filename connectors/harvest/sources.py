"""Harvest sources as configuration: a YAML file of named sources that the CLI and the flows run.

::

    sources:
      - name: muenchen-portal            # unique; letters, digits, - and _
        city: muenchen
        kind: ckan                       # ckan | dcat | sql
        url: https://opendata.muenchen.de
        organization: null               # ckan only: just this organisation's packages
        department: DIR                  # default department
        organisations:                   # remote organisation (CKAN name, DCAT publisher) -> department
          kreisverwaltungsreferat: KVR
        schedule: "0 3 * * *"            # cron, read by the scheduled flows
        enabled: true

A URL may name an environment variable as ``${NAME}`` (a database password, for example): the file then
holds no secret; :meth:`SourceConfig.address` fills it in from the environment the caller passes when the
source runs. Everything is checked on load (city,
kind, departments of the city, a unique name, a cron of five fields), so a wrong file fails before any
source is read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from catalog.errors import UsageError
from catalog.organisation import Organisation, UnknownCity, UnknownDepartment

KINDS = ("ckan", "dcat", "sql")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$")
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_KEYS = frozenset({"name", "city", "kind", "url", "organization", "department", "organisations", "schedule",
                   "enabled", "schemas", "max_pages", "description"})


class SourcesFileError(UsageError, ValueError):
    """The sources file cannot be read or does not describe valid sources."""


@dataclass(frozen=True)
class SourceConfig:
    """One configured harvest source."""

    name: str
    city: str
    kind: str
    url: str
    organization: str | None = None
    department: str | None = None
    organisations: Mapping[str, str] = field(default_factory=dict)
    schedule: str | None = None
    enabled: bool = True
    schemas: tuple[str, ...] = ()
    max_pages: int | None = None
    description: str | None = None

    def address(self, environ: Mapping[str, str]) -> str:
        """The URL with its ``${NAME}`` placeholders filled from ``environ``; only a source that runs needs
        its secrets, so a missing variable fails this source alone."""

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in environ:
                raise SourcesFileError(f"source {self.name!r}: the environment variable {name} is not set")
            return environ[name]

        return _VARIABLE.sub(replace, self.url)

    def describe(self) -> dict[str, Any]:
        """The source as plain data (the URL as written, with its placeholders: no secret)."""
        return {"name": self.name, "city": self.city, "kind": self.kind, "url": self.url,
                "organization": self.organization, "department": self.department,
                "organisations": dict(self.organisations), "schedule": self.schedule, "enabled": self.enabled}


def _text(row: Mapping[str, Any], key: str, where: str, *, required: bool = False) -> str | None:
    value = row.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise SourcesFileError(f"{where}: '{key}' is required")
        return None
    if not isinstance(value, (str, int)):
        raise SourcesFileError(f"{where}: '{key}' must be a text")
    return str(value).strip()


def _check_cron(schedule: str, where: str) -> None:
    from connectors.cron import parse

    try:
        parse(schedule)
    except ValueError:
        raise SourcesFileError(f"{where}: schedule {schedule!r} is no cron expression of five fields (e.g. '0 3 * * *')") from None


def parse_sources(doc: Any, organisation: Organisation, *, origin: str = "sources file") -> list[SourceConfig]:
    """The sources of a parsed YAML document, checked against the cities and departments."""
    rows = doc.get("sources") if isinstance(doc, Mapping) else None
    if not isinstance(rows, list):
        raise SourcesFileError(f"{origin}: expected a list under 'sources'")
    out: list[SourceConfig] = []
    names: set[str] = set()
    for number, row in enumerate(rows, start=1):
        where = f"{origin}, source {number}"
        if not isinstance(row, Mapping):
            raise SourcesFileError(f"{where}: expected a mapping")
        unknown = sorted(set(map(str, row)) - _KEYS)
        if unknown:
            raise SourcesFileError(f"{where}: unknown keys {', '.join(unknown)}")
        name = _text(row, "name", where, required=True) or ""
        where = f"{origin}, source {name!r}"
        if not _NAME.match(name):
            raise SourcesFileError(f"{where}: a name has letters, digits, - and _ only")
        if name in names:
            raise SourcesFileError(f"{where}: the name is used twice")
        names.add(name)
        city = _text(row, "city", where, required=True) or ""
        kind = (_text(row, "kind", where, required=True) or "").lower()
        if kind not in KINDS:
            raise SourcesFileError(f"{where}: kind must be one of {', '.join(KINDS)}")
        url = _text(row, "url", where, required=True) or ""
        department = _text(row, "department", where)
        mapping_doc = row.get("organisations") or {}
        if not isinstance(mapping_doc, Mapping):
            raise SourcesFileError(f"{where}: 'organisations' must map remote organisations to department codes")
        mapping = {str(k).strip(): str(v).strip().upper() for k, v in mapping_doc.items()}
        try:
            organisation.city(city)
            for code in {department, *mapping.values()} - {None}:
                organisation.department(city, str(code))
        except (UnknownCity, UnknownDepartment) as exc:
            raise SourcesFileError(f"{where}: {exc}") from exc
        if kind == "sql" and not department:
            raise SourcesFileError(f"{where}: a database source needs a 'department'")
        schedule = _text(row, "schedule", where)
        if schedule:
            _check_cron(schedule, where)
        schemas = row.get("schemas") or []
        if isinstance(schemas, str):
            schemas = [schemas]
        max_pages = row.get("max_pages")
        if max_pages is not None and (not isinstance(max_pages, int) or max_pages < 1):
            raise SourcesFileError(f"{where}: max_pages must be a positive whole number")
        out.append(SourceConfig(
            name=name, city=city, kind=kind, url=url, organization=_text(row, "organization", where),
            department=department.upper() if department else None, organisations=mapping, schedule=schedule,
            enabled=bool(row.get("enabled", True)), schemas=tuple(str(s) for s in schemas), max_pages=max_pages,
            description=_text(row, "description", where),
        ))
    return out


def load_sources(path: Path, organisation: Organisation) -> list[SourceConfig]:
    """The sources of the YAML file at ``path``."""
    try:
        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise SourcesFileError(f"cannot read the sources file {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise SourcesFileError(f"the sources file {path} is no valid YAML: {exc}") from exc
    return parse_sources(doc, organisation, origin=str(path))


def select_sources(sources: Sequence[SourceConfig], names: Sequence[str] | None) -> list[SourceConfig]:
    """The named sources (all enabled ones without names); an unknown name is an error."""
    if not names:
        return [s for s in sources if s.enabled]
    by_name = {s.name: s for s in sources}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise SourcesFileError(f"no source named {', '.join(unknown)}; known: {', '.join(sorted(by_name)) or 'none'}")
    return [by_name[n] for n in names]
