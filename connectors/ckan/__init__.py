"""CKAN: one ckanapi-based client (:mod:`connectors.ckan.client`) used by publishing
(:mod:`connectors.ckan.portal`, the :class:`~catalog.publish.portal.CkanPortal` of the publish step) and by
harvesting (:mod:`connectors.ckan.source`), and an in-memory twin of CKAN (:mod:`connectors.ckan.twin`)
that the same client code runs on, for tests of the publish logic in seconds.
"""

from catalog.publish.portal import CkanPortal, CkanUnavailable, WriteResult, is_write
from connectors.ckan.client import CkanClient, CkanNoAnswer, CkanServerError, user_agent
from connectors.ckan.portal import RemoteCkanPortal, flatten_errors, twin_portal
from connectors.ckan.twin import CkanTwin

__all__ = [
    "CkanClient", "CkanNoAnswer", "CkanPortal", "CkanServerError", "CkanTwin", "CkanUnavailable", "RemoteCkanPortal",
    "WriteResult", "flatten_errors", "is_write", "twin_portal", "user_agent",
]
