"""The plugin ``inventur``: what visitors of the portal read, in German and without codes.

- Resource formats are EU file-type IRIs (so that ckanext-dcat writes ``dct:format`` as an IRI, as
  DCAT-AP.de demands); wherever CKAN shows a format (the resource list of a dataset, the format badges of
  search results, the format facet, the resource page) visitors read its label instead (``WMS``, not ``.../WMS_SRVC``).
  The labels come from the JSON file of ``ckanext.inventur.format_labels``; a value without a label is
  shown as its last path segment.
- Search results and the lists of groups and organisations name the organisation (department and city)
  under each title, so that datasets of the same title from different departments can be told apart.

Only templates and template helpers change: the action API and the DCAT endpoints return the stored values.
"""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

import ckan.plugins as plugins
from ckan.plugins import toolkit

log = logging.getLogger(__name__)

FORMAT_LABELS = "ckanext.inventur.format_labels"
_SERVICE_SUFFIX = "_SRVC"


@lru_cache(maxsize=4)
def _labels(path: str) -> dict[str, str]:
    if not path:
        return {}
    try:
        loaded = json.loads(Path(path.removeprefix("file://")).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("ckanext-inventur: format labels %s cannot be read: %s", path, exc)
        return {}
    return {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}


def format_label(value: Any) -> Any:
    """The label visitors read for a resource format: from the labels file, else an IRI's last segment
    without the service suffix, else the value itself."""
    if not isinstance(value, str) or not value:
        return value
    label = _labels(str(toolkit.config.get(FORMAT_LABELS) or "")).get(value)
    if label:
        return label
    if value.startswith(("http://", "https://")):
        code = value.rstrip("/").rsplit("/", 1)[-1]
        return code.removesuffix(_SERVICE_SUFFIX) or value
    return value


@toolkit.chained_helper
def dict_list_reduce(next_helper: Any, list_: Any, key: str, unique: bool = True) -> Any:
    values = next_helper(list_, key, unique)
    if key != "format":
        return values
    labels = [format_label(v) for v in values]
    return list(dict.fromkeys(labels)) if unique else labels


@toolkit.chained_helper
def get_facet_items_dict(next_helper: Any, facet: str, *args: Any, **kwargs: Any) -> Any:
    items = next_helper(facet, *args, **kwargs)
    if facet == "res_format":
        for item in items:
            item["display_name"] = format_label(item.get("name"))
    return items


class InventurPlugin(plugins.SingletonPlugin):
    plugins.implements(plugins.IConfigurer)
    plugins.implements(plugins.ITemplateHelpers)
    plugins.implements(plugins.IConfigDeclaration)

    def update_config(self, config: Any) -> None:
        toolkit.add_template_directory(config, "templates")

    def get_helpers(self) -> dict[str, Any]:
        return {
            "inventur_format_label": format_label,
            "dict_list_reduce": dict_list_reduce,
            "get_facet_items_dict": get_facet_items_dict,
        }

    def declare_config_options(self, declaration: Any, key: Any) -> None:
        declaration.annotate("ckanext-inventur")
        section = key.ckanext.inventur
        for name in ("catalog_publisher_name", "catalog_publisher_uri", "catalog_publisher_type",
                     "catalog_language", "catalog_theme_taxonomy", "hvd_category_scheme", "format_labels"):
            declaration.declare(getattr(section, name), "")
