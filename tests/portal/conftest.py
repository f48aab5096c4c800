"""Fixtures of the portal tests.

The tests of the real portal use the session's ``portal`` fixture (``tests/conftest.py``): CKAN 2.11 with
PostgreSQL, Redis and Apache Solr, brought up once per session in ``INVENTUR_TEST_PORTAL_DIR`` if set
(kept for a fast restart next time), else in a temporary folder. A portal that cannot be brought up skips
those tests, or fails them when ``INVENTUR_REQUIRE_PORTAL=1``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from portal.local import PortalInfo, status


class SolrCore:
    """Solr's HTTP API for the portal's ``ckan`` core, as CKAN reaches it (read-only use in tests)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session = requests.Session()

    def get(self, path: str, **params: str) -> dict:  # type: ignore[type-arg]
        response = self.session.get(f"{self.url}/{path}", params={"wt": "json", **params}, timeout=60)
        assert response.status_code == 200, response.text[:2000]
        body: dict = response.json()  # type: ignore[type-arg]
        return body

    def analyse(self, field_type: str, value: str, side: str = "index") -> dict[str, list[str]]:
        """The terms after each stage of a field type's index (or query) analyzer, by the stage's class name."""
        key = "analysis.fieldvalue" if side == "index" else "analysis.query"
        body = self.get("analysis/field", **{"analysis.fieldtype": field_type, key: value})
        stages = body["analysis"]["field_types"][field_type][side]
        return {stages[i].rsplit(".", 1)[-1]: [t["text"] for t in stages[i + 1]] for i in range(0, len(stages), 2)}

    def terms(self, field_type: str, value: str, side: str = "index") -> set[str]:
        """The terms a value ends as (the last stage of the analyzer)."""
        return set(list(self.analyse(field_type, value, side).values())[-1])


@pytest.fixture(scope="module")
def solr(portal: PortalInfo) -> Iterator[SolrCore]:
    """The session portal's Solr core."""
    port = status(portal.base_dir)["solr"]["port"]
    core = SolrCore(f"http://127.0.0.1:{port}/solr/ckan")
    yield core
    core.session.close()
