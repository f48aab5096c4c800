"""The Solr home of a portal: ``solr.xml`` and one core, ``ckan``, configured for CKAN 2.11.

The core's schema is CKAN's own ``schema.xml`` (from CKAN's environment, so it always matches the CKAN
that uses it, ``name="ckan-2.11"`` included) with one change: its ``text`` field type is replaced by
the German one of ``conf/text_de.xml``. Every other field type, field and copy rule stays CKAN's. The
rest of ``conf/`` (``solrconfig.xml``, the word lists) is copied as it is. Files are rewritten only
when their content changes; :func:`write_home` returns a digest of the configuration so that the
caller knows when Solr must restart and CKAN re-index.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from pathlib import Path

import defusedxml.ElementTree as SafeET

from portal.errors import PortalError
from portal.solr.artifacts import HERE

CORE = "ckan"
CONF = HERE / "conf"
TEXT_TYPE = CONF / "text_de.xml"
# copied into the core's conf/ as they are (the schema is built, see german_schema)
COPIED = ("solrconfig.xml", "synonyms.txt", "lang/compounds_de.txt")
_NOTICE = (
    " Written by inventur (portal/solr/configset.py): CKAN's schema.xml from {source}, its 'text' field "
    "type replaced by the German one of portal/solr/conf/text_de.xml. Changes are overwritten. "
)


def german_schema(ckan_schema: Path) -> str:
    """CKAN's schema with its ``text`` field type analysing German; everything else as CKAN has it."""
    try:
        root = SafeET.parse(ckan_schema).getroot()
        german = SafeET.parse(TEXT_TYPE).getroot()
    except (OSError, ET.ParseError) as exc:
        raise PortalError(f"Solr: cannot read the schema: {exc}") from exc
    types = root.find("types")
    if root.tag != "schema" or types is None:
        raise PortalError(f"Solr: {ckan_schema} is not a Solr schema with <types>")
    for position, element in enumerate(list(types)):
        if element.tag.lower() == "fieldtype" and element.get("name") == "text":
            types.remove(element)
            types.insert(position, german)
            break
    else:
        raise PortalError(f"Solr: CKAN's schema {ckan_schema} has no field type 'text' to analyse German")
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    notice = _NOTICE.format(source=ckan_schema).replace("--", "-")
    return f'<?xml version="1.0" encoding="UTF-8" ?>\n<!--{notice}-->\n{body}\n'


def _write_if_changed(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.is_file() or path.read_bytes() != content:
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_bytes(content)
        temporary.replace(path)


def write_home(home: Path, ckan_schema: Path) -> str:
    """Write the Solr home in ``home`` (the core's index stays); returns a digest of the configuration."""
    files: dict[str, bytes] = {
        "solr.xml": (HERE / "solr.xml").read_bytes(),
        f"{CORE}/core.properties": f"name={CORE}\n".encode(),
        f"{CORE}/conf/schema.xml": german_schema(ckan_schema).encode("utf-8"),
    }
    for name in COPIED:
        files[f"{CORE}/conf/{name}"] = (CONF / name).read_bytes()
    digest = hashlib.sha256()
    for name in sorted(files):
        _write_if_changed(home / name, files[name])
        digest.update(name.encode() + b"\0" + files[name] + b"\0")
    return digest.hexdigest()
