"""The verify step (catalog/publish/verify.py) against a portal stand-in that serves DCAT graphs made here:
every page read, a dataset the pages miss fetched on its own, problems stored as findings on the entries and
replaced by the next verification. The real portal: tests/test_portal_dcat.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rdflib import Graph, URIRef
from rdflib import Literal as RdfLiteral
from sqlalchemy import select

from catalog.dcat.export import build_catalog
from catalog.inventory import Source, save_entry, start_run
from catalog.models import Entry, FindingRow
from catalog.publish.mapping import CATALOG_DESCRIPTION, CATALOG_PUBLISHER, CATALOG_TITLE, package_of
from catalog.publish.plan import PlannedAction
from catalog.publish.states import export_record
from catalog.publish.verify import expected_actions, verify_portal
from flows.services import Services
from flows.settings import Settings
from tests.factories import DCT, as_the_portal_writes
from tests.factories import dcat_record as record

BASE = "http://portal.example.org"


class StandInPortal:
    """Serves the portal's DCAT in pages of ``per_page`` datasets and single datasets by name."""

    def __init__(self, graph: Graph, hidden: Graph | None = None, per_page: int = 1) -> None:
        self.url = BASE
        self.graph = graph
        self.hidden = hidden
        self.per_page = per_page
        self.pages_read = 0
        self.single: list[str] = []

    def catalog_pages(self) -> Iterator[Graph]:
        datasets = sorted(self.graph.subjects(URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                                              URIRef("http://www.w3.org/ns/dcat#Dataset")))
        for start in range(0, len(datasets), self.per_page):
            self.pages_read += 1
            page = Graph()
            for triple in self.graph:  # good enough: every page carries the whole graph's other nodes
                if triple[0] not in datasets or triple[0] in datasets[start:start + self.per_page]:
                    page.add(triple)
            yield page

    def dataset_dcat(self, name: str) -> Graph | None:
        self.single.append(name)
        return self.hidden


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    made = Services(Settings(database_url=f"sqlite:///{tmp_path / 'inventur.db'}", data_dir=tmp_path / "data",
                             shapes_dir=tmp_path / "no-shapes"))
    yield made
    made.close()


def verify(services: Services, portal: Any, actions: list[PlannedAction], **options: Any) -> Any:
    """The verification as the publish step wires it: the store, the organisation and the shapes of the settings."""
    return verify_portal(services.store, services.organisation, portal, actions,
                         profiles=services.settings.dcat_shape_profiles(), hvd_folder=services.settings.hvd_shapes_dir,
                         **options)


def actions_for(services: Services, numbers: list[int], **over: Any) -> list[PlannedAction]:
    actions = []
    with services.store.session() as session:
        for number in numbers:
            values = {k: v for k, v in record(number, **over).items() if k not in ("identifier", "city", "department")}
            entry = save_entry(session, values, city="muenchen", department="KVR", source=Source("survey"),
                               organisation=services.organisation).entry
            entry.status = "published"
            session.flush()
            rec = export_record(entry)
            actions.append(PlannedAction("unchanged", entry.identifier, entry.identifier.lower(), "unchanged",
                                         entry_id=entry.id, entry_version=entry.version, record=rec,
                                         package=package_of(rec, services.organisation, base_uri=BASE)))
    return actions


def portal_graph(actions: list[PlannedAction], services: Services) -> Graph:
    made = build_catalog([dict(a.record or {}) for a in actions], services.organisation, base_uri=BASE,
                         catalog_title=CATALOG_TITLE, catalog_description=CATALOG_DESCRIPTION,
                         publisher_name=CATALOG_PUBLISHER)
    return as_the_portal_writes(made.graph)


def open_findings(services: Services) -> list[tuple[str, str, str | None]]:
    with services.store.session() as session:
        rows = session.execute(select(FindingRow.identifier, FindingRow.code, FindingRow.field).where(
            FindingRow.stage == "verify", FindingRow.is_open.is_(True)).order_by(FindingRow.identifier)).all()
    return [(str(i), str(c), f) for i, c, f in rows]


def test_every_page_is_read_a_missed_dataset_fetched_and_problems_become_findings(services: Services) -> None:
    actions = actions_for(services, [1, 2, 3])
    ids = [a.identifier for a in actions]
    graph = portal_graph(actions, services)
    # the third dataset is not on the pages (it moved while they were read) but answers on its own, edited by hand
    third = URIRef(f"{BASE}/dataset/{ids[2]}")
    hidden = Graph()
    for triple in graph:
        hidden.add(triple)
    for s, p, o in list(graph.triples((None, None, None))):
        if s == third or o == third:
            graph.remove((s, p, o))
    hidden.set((third, DCT.title, RdfLiteral("Parkraum (von Hand)")))
    portal: Any = StandInPortal(graph, hidden)

    with services.store.session() as session:
        run = start_run(session, "publish").id
    result = verify(services, portal, actions, run_id=run, progress=lambda _m: None)

    assert portal.pages_read == 2 and result.pages == 2 and portal.single == [ids[2].lower()]
    assert result.datasets == 3 and result.profiles == [] and not result.missing
    assert [c.identifier for c in result.entries] == [ids[2]] and result.differences == 1 and not result.ok
    assert result.known == {"dcatde-admin-unit-location": 3, "dcat-end-only-period": 3}
    assert open_findings(services) == [(ids[2], "portal-dcat-difference", "title")]
    with services.store.session() as session:
        entry = session.scalars(select(Entry).where(Entry.identifier == ids[2])).one()
        assert entry.status == "published"  # a warning: the entry stays as it is

    # repaired on the portal: the next verification closes the finding
    fixed: Any = StandInPortal(portal_graph(actions, services), per_page=10)
    again = verify(services, fixed, actions, run_id=run, progress=lambda _m: None)
    assert again.ok and again.pages == 1 and fixed.single == []
    assert open_findings(services) == []

    # an entry withdrawn from the portal keeps no finding about the portal's DCAT
    verify(services, StandInPortal(graph, hidden), actions, run_id=run, progress=lambda _m: None)
    assert open_findings(services) == [(ids[2], "portal-dcat-difference", "title")]
    verify(services, fixed, actions[:2], run_id=run, progress=lambda _m: None,
                  withdrawn=[actions[2].entry_id or 0])
    assert open_findings(services) == []


def test_a_dataset_gone_from_the_portal_is_reported_missing(services: Services) -> None:
    actions = actions_for(services, [1, 2])
    graph = portal_graph(actions[:1], services)
    result = verify(services, StandInPortal(graph), actions, run_id=None, progress=lambda _m: None)
    assert result.missing == [actions[1].identifier] and not result.ok
    assert open_findings(services) == []  # no run: nothing stored
    assert result.as_record()["missing"] == [actions[1].identifier]


def test_only_what_is_meant_to_be_on_the_portal_is_verified() -> None:
    from catalog.publish.plan import PublishPlan

    keep = PlannedAction("update", "M-KVR-00001", "m-kvr-00001", "changed", record={"x": 1}, package={"name": "x"})
    failed = PlannedAction("create", "M-KVR-00002", "m-kvr-00002", "new", record={"x": 1}, package={"name": "y"})
    gone = PlannedAction("withdraw", "M-KVR-00003", "m-kvr-00003", "not-approved")
    plan = PublishPlan(actions=[keep, failed, gone])
    assert expected_actions(plan, {("M-KVR-00002", "m-kvr-00002")}) == [keep]


class TurtlePortal(StandInPortal):
    """Serves one page of Turtle text, parsed when read (as the real client parses what CKAN sends)."""

    def __init__(self, text: str) -> None:
        super().__init__(Graph())
        self.text = text

    def catalog_pages(self) -> Iterator[Graph]:
        self.pages_read += 1
        yield Graph().parse(data=self.text, format="turtle")


def test_a_value_rdflib_cannot_read_is_a_difference_not_a_traceback(services: Services,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    actions = actions_for(services, [1])
    graph = portal_graph(actions, services)
    modified = graph.value(URIRef(f"{BASE}/dataset/{actions[0].identifier}"), DCT.modified)
    assert modified is not None
    text = graph.serialize(format="nt")
    line = f"<{BASE}/dataset/{actions[0].identifier}> <{DCT.modified}> {modified.n3()} ."
    assert text.count(line) == 1
    # edited by hand to a day that does not exist
    text = text.replace(line, line.replace(modified.n3(), '"2024-02-30"^^<http://www.w3.org/2001/XMLSchema#date>'))
    with caplog.at_level("WARNING"):
        result = verify(services, TurtlePortal(text), actions, run_id=None, progress=lambda _m: None)
    [check] = result.entries
    assert [(d.property, d.found) for d in check.real_differences] == [("dct:modified", ('"2024-02-30"^^xsd:date',))]
    assert "Traceback" not in caplog.text and "Failed to convert" not in caplog.text


def test_the_catalog_nodes_texts_are_shown_its_violations_counted(services: Services) -> None:
    actions = actions_for(services, [1])
    graph = portal_graph(actions, services)
    catalog = next(iter(graph.subjects(URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                                       URIRef("http://www.w3.org/ns/dcat#Catalog"))))
    graph.set((catalog, DCT.title, RdfLiteral("Offene Daten Augsburg")))  # a city's own portal, its own title
    result = verify(services, StandInPortal(graph), actions, run_id=None, progress=lambda _m: None)
    assert result.ok and result.catalog == []
    assert len(result.catalog_differences) == 1 and "Offene Daten Augsburg" in result.catalog_differences[0]


def test_high_value_datasets_are_checked_with_the_hvd_shapes(tmp_path: Path) -> None:
    from rdflib.namespace import DCAT, RDF

    from catalog.dcat.export import VCARD
    from tests.official_shapes import hvd_shapes_dir

    services = Services(Settings(database_url=f"sqlite:///{tmp_path / 'inventur.db'}", data_dir=tmp_path / "data",
                                 shapes_dir=tmp_path / "no-shapes", hvd_shapes_dir=hvd_shapes_dir()))
    try:
        hvd = actions_for(services, [1], hvd_category="http://data.europa.eu/bna/c_b79e35eb",
                          formats=["http://publications.europa.eu/resource/authority/file-type/JSON"],
                          api_url="https://api.muenchen.de/parken/v1", api_type="REST",
                          api_documentation="https://api.muenchen.de/parken/v1/openapi.json")
        actions = hvd + actions_for(services, [2])
        graph = portal_graph(actions, services)
        result = verify(services, StandInPortal(graph, per_page=10), actions, run_id=None,
                               progress=lambda _m: None)
        assert result.profiles == ["hvd"] and result.ok, result.as_record()

        # a portal without ckanext-inventur's profile: its service's contact point is no vcard:Kind
        service = URIRef(f"{BASE}/dataset/{hvd[0].identifier}/dataservice")
        graph.remove((graph.value(service, DCAT.contactPoint), RDF.type, VCARD.Kind))
        with services.store.session() as session:
            run = start_run(session, "publish").id
        result = verify(services, StandInPortal(graph, per_page=10), actions, run_id=run,
                               progress=lambda _m: None)
        assert result.violations == {"hvd": 1} and [c.identifier for c in result.entries] == [hvd[0].identifier]
        # the HVD shapes' violation, and the difference from the export (which types it so)
        assert open_findings(services) == [(hvd[0].identifier, "portal-dcat-difference", "contact_email"),
                                           (hvd[0].identifier, "portal-dcat-violation", "contact_email")]
        with services.store.session() as session:
            message = session.scalars(select(FindingRow.message).where(
                FindingRow.stage == "verify", FindingRow.code == "portal-dcat-violation")).one()
        assert "DCAT-AP HVD" in message and "DCAT-AP.de" not in message
    finally:
        services.close()
