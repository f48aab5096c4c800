"""Update messages of Solr's ``/update`` handler, in JSON and XML, as typed commands.

pysolr (and so CKAN) sends documents as a JSON list and deletions and commits as XML; other clients
use Solr's JSON command object (``{"add": {"doc": ...}, "delete": {"query": ...}, "commit": {}}``,
where keys may repeat). All of these become the same commands for the core to apply.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import defusedxml.ElementTree as SafeET


class UpdateError(ValueError):
    """The update message cannot be understood (HTTP 400)."""


@dataclass
class AddCommand:
    """Add (or replace) documents."""

    docs: list[dict[str, Any]]
    overwrite: bool = True


@dataclass
class DeleteCommand:
    """Delete documents by unique key and/or by query."""

    ids: list[str] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)


@dataclass
class CommitCommand:
    """Make changes visible and durable (the stand-in is always both; accepted for compatibility)."""


Command = AddCommand | DeleteCommand | CommitCommand


class _JsonObject(list[tuple[str, Any]]):
    """A JSON object as its key/value pairs: Solr's command format may repeat a key ("add")."""


def _as_bool(value: Any, default: bool = True) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() == "true"


def _plain(value: Any) -> Any:
    """Convert decoded JSON back to plain dicts and lists (the last of repeated keys wins)."""
    if isinstance(value, _JsonObject):
        return {k: _plain(v) for k, v in value}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, _JsonObject):
        raise UpdateError(f"{what} must be a JSON object, got {type(_plain(value)).__name__}")
    return {k: _plain(v) for k, v in value}


def _delete_from_json(value: Any) -> DeleteCommand:
    command = DeleteCommand()
    items = value if isinstance(value, list) and not isinstance(value, _JsonObject) else [value]
    for item in items:
        if isinstance(item, str | int) and not isinstance(item, bool):
            command.ids.append(str(item))
            continue
        spec = _object(item, "a delete command")
        if "id" in spec:
            ids = spec["id"] if isinstance(spec["id"], list) else [spec["id"]]
            command.ids.extend(str(i) for i in ids)
        if "query" in spec:
            command.queries.append(str(spec["query"]))
        if "id" not in spec and "query" not in spec:
            raise UpdateError("a delete command needs 'id' or 'query'")
    return command


_COMMANDS = {"add", "delete", "commit", "optimize", "rollback"}


def parse_json(body: bytes) -> list[Command]:
    """Parse a JSON update message: a document list, one document, or a command object."""
    try:
        data = json.loads(body.decode("utf-8") or "null", object_pairs_hook=_JsonObject)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UpdateError(f"invalid JSON in update request: {exc}") from exc
    if data is None:
        return []
    if not isinstance(data, _JsonObject):
        if not isinstance(data, list):
            raise UpdateError("an update message must be a JSON list of documents or an object")
        docs = [_object(item, "a document") for item in data]
        return [AddCommand(docs)] if docs else []
    if not {k for k, _ in data} & _COMMANDS:
        return [AddCommand([_object(data, "a document")])]
    commands: list[Command] = []
    for key, value in data:
        if key == "add":
            spec = _object(value, "an add command")
            if not isinstance(spec.get("doc"), dict):
                raise UpdateError("an add command needs a 'doc' object")
            commands.append(AddCommand([spec["doc"]], _as_bool(spec.get("overwrite"))))
        elif key == "delete":
            commands.append(_delete_from_json(value))
        elif key in ("commit", "optimize"):
            commands.append(CommitCommand())
        elif key == "rollback":
            raise UpdateError("rollback is not supported by the development stand-in")
        else:
            raise UpdateError(f"unknown command '{key}' in update request")
    return commands


def _xml_doc(element: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for child in element:
        if child.tag == "doc":
            raise UpdateError("nested child documents are not supported by the development stand-in")
        if child.tag != "field":
            continue
        name = child.attrib.get("name")
        if not name:
            raise UpdateError("a <field> needs a name attribute")
        if child.attrib.get("update"):
            raise UpdateError("atomic updates are not supported by the development stand-in")
        if child.attrib.get("null", "false") == "true":
            continue
        value = child.text or ""
        if name in doc:
            existing = doc[name]
            doc[name] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            doc[name] = value
    return doc


def _xml_command(element: Any) -> Command:
    tag = element.tag
    if tag == "add":
        overwrite = _as_bool(element.attrib.get("overwrite"))
        return AddCommand([_xml_doc(d) for d in element if d.tag == "doc"], overwrite)
    if tag == "delete":
        command = DeleteCommand()
        for child in element:
            if child.tag == "id":
                command.ids.append((child.text or "").strip())
            elif child.tag == "query":
                command.queries.append(child.text or "")
        return command
    if tag in ("commit", "optimize"):
        return CommitCommand()
    raise UpdateError(f"unsupported update command <{tag}>")


def parse_xml(body: bytes) -> list[Command]:
    """Parse an XML update message (``<add>``, ``<delete>``, ``<commit/>``, or several in a wrapper)."""
    if not body.strip():
        return []
    try:
        root = SafeET.fromstring(body)
    except SafeET.ParseError as exc:
        raise UpdateError(f"invalid XML in update request: {exc}") from exc
    if root.tag in ("add", "delete", "commit", "optimize", "rollback"):
        return [_xml_command(root)]
    return [_xml_command(child) for child in root]


def parse_update(body: bytes, content_type: str, path_hint: str = "") -> list[Command]:
    """Parse by content type (or by the ``/update/json`` and ``/update/xml`` paths)."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if path_hint.startswith("json") or kind in ("application/json", "text/json"):
        return parse_json(body)
    if path_hint.startswith("xml") or kind in ("application/xml", "text/xml"):
        return parse_xml(body)
    stripped = body.lstrip()
    if stripped[:1] in (b"[", b"{"):
        return parse_json(body)
    if stripped[:1] == b"<":
        return parse_xml(body)
    if not stripped:
        return []
    raise UpdateError(f"unsupported content type for update: {content_type or 'none'}")
