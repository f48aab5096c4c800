"""Shared test factories: sample entries and records, review state helpers, the command line as a process,
counters, and Chromium for the report pages. Test modules import these from here, never from each other.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from rdflib import BNode, Graph, Namespace, URIRef
from rdflib import Literal as RdfLiteral
from sqlalchemy import func, select

from catalog.dcat.compare import SCHEMA
from catalog.dcat.export import DCATDE
from catalog.inventory import Source, save_entry
from catalog.models import Entry, ReviewDecision
from catalog.organisation import load_organisation
from catalog.store import Store

ROOT = Path(__file__).resolve().parents[1]

ORG = load_organisation()
EU = "http://publications.europa.eu/resource/authority/"
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCT = Namespace("http://purl.org/dc/terms/")
RDF = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
LOCN = Namespace("http://www.w3.org/ns/locn#")


# --------------------------------------------------------------------------- entries


def sample(**over: Any) -> dict[str, Any]:
    """A valid survey record of Augsburg (a tree register), with ``over`` applied."""
    values: dict[str, Any] = {
        "title": "Baumkataster",
        "description": "Alle städtischen Bäume mit Art, Pflanzjahr und Standort.",
        "theme": [EU + "data-theme/ENVI"],
        "keywords": ["Bäume", "Grün"],
        "contact_email": "gruen@augsburg.de",
        "personal_data": "no",
        "third_party_rights": "no",
        "access_rights": EU + "access-right/PUBLIC",
        "license": "http://dcat-ap.de/def/licenses/dl-zero-de/2.0",
        "formats": [EU + "file-type/CSV"],
        "frequency": EU + "frequency/ANNUAL",
        "temporal_start": "2020-01-01",
        "publish_proposal": "yes",
        "spatial_scope": "city",
        "spatial": ORG.city("augsburg").geocoding_uri,
    }
    values.update(over)
    return values


def create(store: Store, status: str | None = "ready", **over: Any) -> str:
    """A valid entry of Augsburg's statistics office (with ``over`` applied), put into ``status``."""
    with store.session() as s:
        entry = save_entry(s, sample(**over), city="augsburg", department="STAT", organisation=ORG,
                           source=Source("survey", "a.xlsx", row=2)).entry
        if status is not None:
            entry.status = status
        return entry.identifier


def change(store: Store, identifier: str, **over: Any) -> None:
    """A new version of the entry, as a department's corrected workbook would bring it."""
    with store.session() as s:
        save_entry(s, sample(**over), identifier=identifier, city="augsburg", department="STAT", organisation=ORG,
                   source=Source("survey", "b.xlsx", row=2))


def state(store: Store, identifier: str) -> str:
    with store.session() as s:
        return s.scalars(select(Entry.status).where(Entry.identifier == identifier)).one()


def set_state(store: Store, identifier: str, status: str) -> None:
    with store.session() as s:
        s.scalars(select(Entry).where(Entry.identifier == identifier)).one().status = status


def decisions(store: Store, identifier: str) -> list[tuple[str, str, str, int, str, str | None]]:
    with store.session() as s:
        rows = s.scalars(
            select(ReviewDecision).join(Entry, Entry.id == ReviewDecision.entry_id)
            .where(Entry.identifier == identifier).order_by(ReviewDecision.id)
        ).all()
        return [(d.decision, d.state_from, d.state_to, d.entry_version, d.reviewer, d.comment) for d in rows]


def count(store: Store, model: Any, *where: Any) -> int:
    """How many rows of ``model`` match ``where``."""
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


# --------------------------------------------------------------------------- DCAT


def dcat_record(number: int, **over: Any) -> dict[str, Any]:
    """A valid inventory record of München numbered ``number`` (as the DCAT export reads it)."""
    values: dict[str, Any] = {
        "identifier": f"M-KVR-{number:05d}", "city": "muenchen", "department": "KVR",
        "title": f"Parkraum {number}", "description": "Parklizenzgebiete der Stadt.",
        "theme": [EU + "data-theme/TRAN"], "keywords": ["Parken", "Verkehr"],
        "contact_email": "kvr@muenchen.de", "personal_data": "no", "access_rights": EU + "access-right/PUBLIC",
        "license": "http://dcat-ap.de/def/licenses/dl-zero-de/2.0",
        "formats": [EU + "file-type/CSV", EU + "file-type/WMS_SRVC"],
        "access_url": f"https://daten.muenchen.de/parken-{number}.csv", "frequency": EU + "frequency/MONTHLY",
        "temporal_start": None, "temporal_end": "2025-12-31", "spatial": ORG.city("muenchen").geocoding_uri,
        "last_updated": "2025-01-15", "issued": "2026-01-01T08:00:00+00:00", "modified": "2026-01-02T08:00:00+00:00",
    }
    values.update(over)
    return values


def as_the_portal_writes(graph: Graph) -> Graph:
    """The export as ckanext-dcat/ckanext-dcatde write it: no language tags, plus their known additions."""
    portal = Graph()
    for s, p, o in graph:
        if isinstance(o, RdfLiteral) and o.language:
            o = RdfLiteral(str(o))
        portal.add((s, p, o))
    for dataset in list(portal.subjects(RDF.type, DCAT.Dataset)):
        location = BNode()
        portal.add((dataset, DCT.spatial, location))
        portal.add((location, RDF.type, DCT.Location))
        for geocoding in portal.objects(dataset, DCATDE.politicalGeocodingURI):
            portal.add((location, LOCN.adminUnitL2, geocoding))
        for period in list(portal.objects(dataset, DCT.temporal)):
            if (period, DCAT.startDate, None) not in portal:
                old = BNode()
                portal.add((dataset, DCT.temporal, old))
                portal.add((old, RDF.type, DCT.PeriodOfTime))
                portal.add((old, SCHEMA.endDate, portal.value(period, DCAT.endDate)))
        for distribution in portal.objects(dataset, DCAT.distribution):
            for licence in portal.objects(distribution, DCT.license):
                portal.add((licence, DCT.type, URIRef("http://purl.org/adms/licencetype/UnknownIPR")))
    return portal


# --------------------------------------------------------------------------- processes


def inventur_process(env: dict[str, str], *args: str, columns: int | None = None) -> subprocess.CompletedProcess[str]:
    """``inventur ARGS`` as a user runs it: a real process (``python -m flows``); ``columns`` sets the
    terminal width the tables are written for (unset: a pipe's full width)."""
    if columns is not None:
        env = {**env, "COLUMNS": str(columns)}
    return subprocess.run([sys.executable, "-m", "flows", *args], capture_output=True, text=True, env=env,
                          timeout=120, cwd=ROOT)


FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         # no network: a proxy that is not there and no name resolution
         "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND"]


def chromium(binary: str, work: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run Chromium once on ``url`` with a new empty profile under ``work``."""
    profile = work / f"profile-{time.monotonic_ns()}"
    done = subprocess.run([binary, *FLAGS, f"--user-data-dir={profile}", *args, url], capture_output=True, text=True,
                          timeout=180)
    shutil.rmtree(profile, ignore_errors=True)
    return done
