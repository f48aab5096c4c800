"""The three cities and their departments, read from editable data files shipped with the package.

``catalog/data/cities.yaml`` holds the cities with the codes of STANDARDS.md; ``departments.yaml`` the
top-level units of each city. A city may point ``INVENTUR_DEPARTMENTS_FILE`` at its own copy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import yaml

from catalog.errors import UsageError

CODE_PATTERN = re.compile(r"^[A-Z0-9]{2,10}$")


class UnknownCity(UsageError, LookupError):
    """A city key that is not one of the cooperation's cities."""


class UnknownDepartment(UsageError, LookupError):
    """A department code that the city's department list does not hold."""


@dataclass(frozen=True)
class City:
    key: str
    name: str
    short_name: str
    ags: str
    contributor_id: str
    homepage: str
    geocoding_uri: str
    geocoding_level: str
    publisher_type: str
    opendata_name: str | None = None
    opendata_email: str | None = None

    @property
    def prefix(self) -> str:
        """The letter that starts this city's entry identifiers (M, A, N)."""
        return self.short_name[0].upper()


@dataclass(frozen=True)
class Department:
    city: str
    code: str
    name: str
    kind: str
    email: str | None = None
    source: str | None = None

    @property
    def key(self) -> str:
        """``<city>-<code>`` in lower case: the CKAN organisation name and a stable file-name part."""
        return f"{self.city}-{self.code.lower()}"


@dataclass(frozen=True)
class Organisation:
    cities: tuple[City, ...]
    departments: tuple[Department, ...]

    def city(self, key: str) -> City:
        for city in self.cities:
            if city.key == key:
                return city
        raise UnknownCity(f"unknown city {key!r}; known: {', '.join(c.key for c in self.cities)}")

    def departments_of(self, city: str | None = None) -> list[Department]:
        if city is not None:
            self.city(city)
        return [d for d in self.departments if city is None or d.city == city]

    def department(self, city: str, code: str) -> Department:
        self.city(city)
        wanted = code.strip().upper()
        for dept in self.departments:
            if dept.city == city and dept.code == wanted:
                return dept
        raise UnknownDepartment(f"city {city!r} has no department with code {code!r}")


def _read_yaml(path: Path | None, default: str) -> dict:
    if path is not None:
        return yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return yaml.safe_load(resources.files("catalog").joinpath(default).read_text(encoding="utf-8"))


@cache
def city_names() -> dict[str, str]:
    """The cooperation's cities as ``cities.yaml`` lists them: key -> short name (``muenchen`` -> ``München``).

    Everything that is per city (settings, command-line choices, flow parameters) is built from this list.
    """
    return {row["key"]: row["short_name"] for row in _read_yaml(None, "data/cities.yaml")["cities"]}


def parse_organisation(cities_doc: dict, departments_doc: dict) -> Organisation:
    """Build and check the organisation from the two YAML documents."""
    contacts = departments_doc.get("opendata_contacts") or {}
    cities = []
    for row in cities_doc["cities"]:
        contact = contacts.get(row["key"]) or {}
        cities.append(
            City(
                key=row["key"],
                name=row["name"],
                short_name=row["short_name"],
                ags=str(row["ags"]),
                contributor_id=row["contributor_id"],
                homepage=row["homepage"],
                geocoding_uri=cities_doc["geocoding_base"] + str(row["ags"]),
                geocoding_level=cities_doc["geocoding_level"],
                publisher_type=cities_doc["publisher_type"],
                opendata_name=contact.get("name"),
                opendata_email=contact.get("email"),
            )
        )
    keys = {c.key for c in cities}
    departments = []
    seen: set[tuple[str, str]] = set()
    for row in departments_doc["departments"]:
        dept = Department(
            city=row["city"],
            code=str(row["code"]),
            name=row["name"],
            kind=row.get("kind", "Dienststelle"),
            email=row.get("email") or None,
            source=row.get("source") or None,
        )
        if dept.city not in keys:
            raise ValueError(f"department {dept.code}: unknown city {dept.city!r}")
        if not CODE_PATTERN.match(dept.code):
            raise ValueError(f"department code {dept.code!r} of {dept.city} must match {CODE_PATTERN.pattern}")
        if (dept.city, dept.code) in seen:
            raise ValueError(f"department code {dept.code!r} appears twice for {dept.city}")
        seen.add((dept.city, dept.code))
        departments.append(dept)
    return Organisation(tuple(cities), tuple(departments))


@cache
def load_organisation(departments_file: Path | None = None) -> Organisation:
    """The cities and departments (shipped data, or ``departments_file`` when a city keeps its own)."""
    return parse_organisation(
        _read_yaml(None, "data/cities.yaml"),
        _read_yaml(departments_file, "data/departments.yaml"),
    )
