"""Fixtures for the portal tests: the Solr stand-in in-process on a free port, and the real portal.

The stand-in tests use a small schema (``portal_support.TEST_SCHEMA``) with the same field types and
copy rules as CKAN's ``schema.xml``, so they run in about a second without CKAN installed. The portal
tests bring the real local portal up once per session: in ``INVENTUR_TEST_PORTAL_DIR`` if set (kept
for a fast restart next time), else in a temporary folder; CKAN's environment comes from
``INVENTUR_CKAN_VENV`` or the default ``~/.cache/inventur/ckan-2.11.6``. A portal that cannot be
brought up skips those tests, or fails them when ``INVENTUR_REQUIRE_PORTAL=1``.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from portal_support import TEST_SCHEMA, SolrCore

from portal.solr import StandInServer, make_server


@pytest.fixture(scope="session")
def schema_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test schema on disk."""
    path = tmp_path_factory.mktemp("schema") / "schema.xml"
    path.write_text(TEST_SCHEMA, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def standin(tmp_path_factory: pytest.TempPathFactory, schema_file: Path) -> Iterator[StandInServer]:
    """The Solr stand-in serving in a background thread on a free port."""
    server = make_server("127.0.0.1", 0, tmp_path_factory.mktemp("solr-data"), schema_file)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        server.app.close()
        thread.join(timeout=10)


@pytest.fixture
def solr(standin: StandInServer) -> SolrCore:
    """A fresh, empty core for one test."""
    name = "t" + secrets.token_hex(6)
    return SolrCore(f"{standin.url}/{name}")
