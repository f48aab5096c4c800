"""An in-memory CKAN: the action API publishing uses, answered as CKAN 2.11 answers it, in microseconds.

:class:`CkanTwin` stands where ``ckanapi.RemoteCKAN`` stands below :class:`connectors.ckan.client.CkanClient`
(an :class:`~connectors.ckan.client.ActionApi`), so the real client code runs on it: paging, counting,
retries, the mapping of refusals. It keeps organisations and packages (withdrawn ones too: CKAN's
delete is soft) and answers as CKAN does where publishing depends on it: names and ids are unique
across active and deleted packages, ``package_search`` shows active packages only, ``package_update``
replaces the whole package and keeps the resource ids it is given, invalid names and e-mail
addresses are refused with CKAN's field errors, unknown packages are ``NotFound``.

It can also misbehave, as a real portal on a bad day: :meth:`CkanTwin.fail` makes the next calls of an
action answer 5xx (``"5xx"``), time out before anything happens (``"timeout"``), or do what was asked
and lose the answer on the way back (``"lost"``: the client sees a dropped connection, the portal has
the package); :meth:`CkanTwin.go_down` refuses every connection until :meth:`CkanTwin.come_back`.

What it does not do: Solr (free-text search, facets, German stemming), ckanext-scheming and
ckanext-dcat(de) (the portal's DCAT). The contract tests run the same publishing cases against the
real portal, so that the twin cannot drift from CKAN unnoticed.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import requests
from ckanapi.errors import NotFound, SearchQueryError, ValidationError

from connectors.ckan.client import SEARCH_ROWS_MAX, CkanServerError

FaultKind = Literal["5xx", "timeout", "lost"]

# CKAN's rules (ckan/logic/validators.py): names of packages and organisations, e-mail addresses.
_NAME = re.compile(r"^[a-z0-9_-]{2,100}$")
_EMAIL = re.compile(
    r"^[\w!#$%&'*+\-/=?^`{|}~]+(\.[\w!#$%&'*+\-/=?^`{|}~]+)*@"
    r"([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]*[a-z0-9])?$",
    re.IGNORECASE,
)
_ORG_FILTER = re.compile(r'^organization:(?:\((?P<many>[^)]*)\)|"(?P<quoted>[^"]+)"|(?P<plain>[^\s"()]+))$')


@dataclass
class _Fault:
    action: str
    kind: FaultKind
    times: int


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat()


class CkanTwin:
    """An in-memory CKAN portal (one sysadmin token), thread-safe; see the module docstring."""

    def __init__(self, url: str = "http://ckan.twin", token: str = "twin-token") -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.calls: Counter[str] = Counter()  # what reached the portal, per action (as a proxy counts it)
        self._organisations: dict[str, dict[str, Any]] = {}  # by id
        self._packages: dict[str, dict[str, Any]] = {}  # by id
        self._by_name: dict[str, str] = {}  # package name -> id
        self._faults: list[_Fault] = []
        self._down = False
        self._lock = threading.RLock()
        self._actions: dict[str, Callable[[dict[str, Any]], Any]] = {
            "organization_list": self._organization_list,
            "organization_show": self._organization_show,
            "organization_create": self._organization_create,
            "organization_patch": self._organization_patch,
            "package_search": self._package_search,
            "package_show": self._package_show,
            "package_create": self._package_create,
            "package_update": self._package_update,
            "package_patch": self._package_patch,
            "package_delete": self._package_delete,
        }

    # -- misbehaving -----------------------------------------------------------------------------------

    def fail(self, action: str, kind: FaultKind, times: int = 1) -> None:
        """The next ``times`` calls of ``action`` (``"*"``: of any action) answer 5xx, time out, or lose their
        answer after doing what was asked."""
        with self._lock:
            self._faults.append(_Fault(action, kind, times))

    def go_down(self) -> None:
        """Refuse every connection (a portal that died)."""
        self._down = True

    def come_back(self) -> None:
        """Answer again."""
        self._down = False

    def _fault(self, action: str) -> FaultKind | None:
        with self._lock:
            for fault in self._faults:
                if fault.action in (action, "*") and fault.times > 0:
                    fault.times -= 1
                    return fault.kind
        return None

    @property
    def writes(self) -> int:
        """Write requests that reached the portal."""
        from catalog.publish.portal import is_write

        with self._lock:
            return sum(n for action, n in self.calls.items() if is_write(action))

    # -- the action API --------------------------------------------------------------------------------

    def call_action(self, action: str, data_dict: dict[str, Any] | None = None, context: Any = None,
                    apikey: str | None = None, files: Any = None,
                    requests_kwargs: dict[str, Any] | None = None) -> Any:
        """Answer one action as CKAN would (ckanapi's exceptions for CKAN's refusals)."""
        if self._down:
            raise requests.ConnectionError(f"{self.url}: connection refused")
        with self._lock:
            self.calls[action] += 1
        fault = self._fault(action)
        if fault == "5xx":
            raise CkanServerError(503, "Service Unavailable")
        if fault == "timeout":
            raise requests.Timeout(f"{self.url}: read timed out")
        handler = self._actions.get(action)
        if handler is None:
            raise NotFound(f"Action name not known: {action}")
        with self._lock:
            answer = handler(dict(data_dict or {}))
            answer = copy.deepcopy(answer)
        if fault == "lost":
            raise requests.ConnectionError(f"{self.url}: connection reset (the answer to {action} was lost)")
        return answer

    def close(self) -> None:
        return None

    # -- organisations ---------------------------------------------------------------------------------

    def _organisation(self, name_or_id: str) -> dict[str, Any] | None:
        found = self._organisations.get(name_or_id)
        if found is not None:
            return found
        return next((o for o in self._organisations.values() if o["name"] == name_or_id), None)

    def _organization_list(self, data: dict[str, Any]) -> list[Any]:
        limit = int(data.get("limit") or SEARCH_ROWS_MAX)
        offset = int(data.get("offset") or 0)
        active = sorted((o for o in self._organisations.values() if o["state"] == "active"), key=lambda o: o["name"])
        page = active[offset:offset + limit]
        return [dict(o) for o in page] if data.get("all_fields") else [o["name"] for o in page]

    def _organization_show(self, data: dict[str, Any]) -> dict[str, Any]:
        found = self._organisation(str(data.get("id") or ""))
        if found is None:
            raise NotFound("Organization not found")
        return found

    def _organization_create(self, data: dict[str, Any]) -> dict[str, Any]:
        name = str(data.get("name") or "")
        if not _NAME.match(name):
            raise ValidationError({"__type": "Validation Error", "name": [
                "Must be purely lowercase alphanumeric (ascii) characters and these symbols: -_"]})
        if self._organisation(name) is not None:
            raise ValidationError({"__type": "Validation Error", "name": ["Group name already exists in database"]})
        organisation: dict[str, Any] = {
            "id": str(uuid.uuid4()), "name": name, "title": str(data.get("title") or ""),
            "description": str(data.get("description") or ""), "state": "active", "type": "organization",
            "is_organization": True, "extras": list(data.get("extras") or []),
        }
        self._organisations[organisation["id"]] = organisation
        return organisation

    def _organization_patch(self, data: dict[str, Any]) -> dict[str, Any]:
        found = self._organization_show(data)
        found.update({k: v for k, v in data.items() if k in ("title", "description", "state", "extras")})
        return found

    # -- packages --------------------------------------------------------------------------------------

    def _package(self, name_or_id: str) -> dict[str, Any] | None:
        found = self._packages.get(name_or_id)
        if found is not None:
            return found
        by_name = self._by_name.get(name_or_id)
        return self._packages.get(by_name) if by_name is not None else None

    def _package_search(self, data: dict[str, Any]) -> dict[str, Any]:
        organisations: set[str] | None = None
        for part in str(data.get("fq") or "").split(" AND "):
            part = part.strip().lstrip("+")
            if not part:
                continue
            match = _ORG_FILTER.match(part)
            if match is None:
                raise SearchQueryError(f"the in-memory CKAN understands no filter {part!r}")
            if match["many"] is not None:
                names = {n.strip().strip('"') for n in match["many"].split(" OR ")}
            else:
                names = {match["quoted"] or match["plain"]}
            organisations = names if organisations is None else organisations & names
        if str(data.get("q") or "*:*") not in ("*:*", ""):
            raise SearchQueryError("the in-memory CKAN has no free-text search")
        found = [
            p for p in self._packages.values()
            if p["state"] == "active" and (data.get("include_private") or not p.get("private"))
            and (organisations is None or (p.get("organization") or {}).get("name") in organisations)
        ]
        found.sort(key=lambda p: p["name"])
        given = data.get("rows")
        rows = min(int(str(given)) if given is not None else 10, SEARCH_ROWS_MAX)
        start = int(data.get("start") or 0)
        return {"count": len(found), "results": found[start:start + rows], "sort": "name asc",
                "facets": {}, "search_facets": {}}

    def _package_show(self, data: dict[str, Any]) -> dict[str, Any]:
        found = self._package(str(data.get("id") or ""))
        if found is None:
            raise NotFound("Dataset not found")
        return found

    def _validated(self, data: dict[str, Any], *, current: dict[str, Any] | None) -> dict[str, Any]:
        """The package as CKAN would store it, or CKAN's field errors."""
        errors: dict[str, Any] = {}
        name = str(data.get("name") or (current or {}).get("name") or "")
        if not name:
            errors["name"] = ["Missing value"]
        elif not _NAME.match(name):
            errors["name"] = ["Must be purely lowercase alphanumeric (ascii) characters and these symbols: -_"]
        else:
            holder = self._package(name)
            if holder is not None and holder is not current:
                errors["name"] = ["That URL is already in use."]
        if current is None and str(data.get("id") or "") in self._packages:
            errors["id"] = ["Dataset id already exists"]
        owner = self._organisation(str(data.get("owner_org") or ""))
        if owner is None or owner["state"] != "active":
            errors["owner_org"] = ["Organization does not exist"]
        for key in ("maintainer_email", "author_email"):
            value = data.get(key)
            if value and not _EMAIL.match(str(value)):
                errors[key] = [f"Email {value} is not a valid format"]
        if errors:
            raise ValidationError({"__type": "Validation Error", **errors})
        assert owner is not None
        stored = {k: copy.deepcopy(v) for k, v in data.items()}
        stored["id"] = str(current["id"]) if current is not None else str(data.get("id") or uuid.uuid4())
        stored["name"] = name
        stored["owner_org"] = owner["id"]
        stored["organization"] = {k: owner[k] for k in ("id", "name", "title", "description", "type", "state")}
        stored["state"] = str(data.get("state") or "active")
        stored["type"] = "dataset"
        stored["private"] = bool(data.get("private", False))
        stored["metadata_created"] = (current or {}).get("metadata_created") or _now()
        stored["metadata_modified"] = _now()
        resources = []
        for position, resource in enumerate(data.get("resources") or []):
            kept = dict(resource)
            kept["id"] = str(kept.get("id") or uuid.uuid4())
            kept["package_id"] = stored["id"]
            kept["position"] = position
            resources.append(kept)
        stored["resources"] = resources
        stored["num_resources"] = len(resources)
        stored["tags"] = [dict(t, display_name=t.get("name")) for t in data.get("tags") or []]
        stored["num_tags"] = len(stored["tags"])
        stored["extras"] = [dict(e) for e in data.get("extras") or []]
        stored["groups"] = [dict(g) for g in data.get("groups") or []]
        return stored

    def _package_create(self, data: dict[str, Any]) -> dict[str, Any]:
        stored = self._validated(data, current=None)
        self._packages[stored["id"]] = stored
        self._by_name[stored["name"]] = stored["id"]
        return stored

    def _package_update(self, data: dict[str, Any]) -> dict[str, Any]:
        current = self._package(str(data.get("id") or data.get("name") or ""))
        if current is None:
            raise NotFound("Dataset not found")
        stored = self._validated(data, current=current)
        self._by_name.pop(current["name"], None)
        self._packages[stored["id"]] = stored
        self._by_name[stored["name"]] = stored["id"]
        return stored

    def _package_patch(self, data: dict[str, Any]) -> dict[str, Any]:
        current = self._package(str(data.get("id") or ""))
        if current is None:
            raise NotFound("Dataset not found")
        merged = {**copy.deepcopy(current), **data, "owner_org": current["organization"]["name"]}
        return self._package_update(merged)

    def _package_delete(self, data: dict[str, Any]) -> None:
        current = self._package(str(data.get("id") or ""))
        if current is None:
            raise NotFound("Dataset not found")
        current["state"] = "deleted"
        current["metadata_modified"] = _now()
        return None

    # -- for tests: what is there --------------------------------------------------------------------------

    def sysadmin(self, action: str, **data: Any) -> Any:
        """An action as the portal's own administrator would run it: past every fault, not counted."""
        handler = self._actions.get(action)
        if handler is None:
            raise NotFound(f"Action name not known: {action}")
        with self._lock:
            return copy.deepcopy(handler(dict(data)))

    def packages(self, organisation: str | None = None, *, state: str | None = "active") -> list[dict[str, Any]]:
        """The packages (of one organisation, in one state), by name, as copies."""
        with self._lock:
            found = [p for p in self._packages.values()
                     if (state is None or p["state"] == state)
                     and (organisation is None or p["organization"]["name"] == organisation)]
            return copy.deepcopy(sorted(found, key=lambda p: p["name"]))

    def package(self, name_or_id: str) -> dict[str, Any] | None:
        """One package (any state), as a copy."""
        with self._lock:
            found = self._package(name_or_id)
            return copy.deepcopy(found) if found is not None else None

    def put(self, package: Mapping[str, Any]) -> dict[str, Any]:
        """Create a package as someone else would by hand (not counted as our call)."""
        with self._lock:
            return copy.deepcopy(self._package_create(dict(package)))
