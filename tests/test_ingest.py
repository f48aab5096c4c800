"""The one ingest path that survey rows and harvested records take: normalise, identifiers, versioned save,
findings, run (on SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from catalog import ingest
from catalog.findings import finding
from catalog.inventory import EntryRef, Source, versions_of
from catalog.models import Entry, FindingRow, Run
from catalog.normalise import Normaliser
from catalog.organisation import load_organisation
from catalog.store import Store

ORG = load_organisation()
AUGSBURG = ORG.city("augsburg").geocoding_uri


def read(raw: dict[str, Any]) -> dict[str, Any]:
    return ingest.normalise(Normaliser(), raw, AUGSBURG).values


def test_normalise_reads_every_field_and_gives_the_city_s_spatial_uri() -> None:
    city = ingest.normalise(Normaliser(), {"title": " Baumkataster ", "spatial": "Stadtgebiet"}, AUGSBURG)
    assert (city.values["title"], city.values["spatial_scope"], city.values["spatial"]) == ("Baumkataster", "city", AUGSBURG)
    assert [f.code for f in city.findings] == ["value-corrected"]  # the label read as its code
    nowhere = ingest.normalise(Normaliser(), {"title": "Haushalt", "spatial": "none"}, AUGSBURG)
    assert (nowhere.values["spatial_scope"], nowhere.values["spatial"]) == ("none", None)
    unknown = ingest.normalise(Normaliser(), {"title": "Haushalt", "spatial": "überall"}, AUGSBURG)
    assert unknown.values["spatial"] is None and [f.code for f in unknown.findings] == ["unknown-value"]


def test_save_creates_versions_only_on_change_and_keeps_every_one(store: Store) -> None:
    with store.session() as s:
        run = ingest.open_run(s, "collect")
        survey_id = next(ingest.identifiers(s, ORG, "augsburg", "STAT", 1))
        harvest_id = next(ingest.identifiers(s, ORG, "augsburg", "GEO", 1))
        saved = ingest.save(s, [
            ingest.Incoming(read({"title": "Baumkataster"}), Source("survey", "a.xlsx", row=3, run_id=run),
                            "augsburg", "STAT", identifier=survey_id, raw={"title": "Baumkataster"}),
            ingest.Incoming(read({"title": "Radwege"}), Source("harvest", "https://example.org/ds/1", run_id=run),
                            "augsburg", "GEO", identifier=harvest_id, origin="harvest",
                            remote=("https://example.org", "ds-1", "2026-01-01")),
        ], organisation=ORG)
        assert [(type(r.entry), r.created, r.changed) for r in saved] == [(EntryRef, True, True)] * 2
        assert [r.entry.identifier for r in saved] == [survey_id, harvest_id] == ["A-STAT-00001", "A-GEO-00001"]
        ingest.close_run(s, run, {"created": 2})
    with store.session() as s:
        survey = s.scalars(select(Entry).where(Entry.identifier == survey_id)).one()
        harvested = s.scalars(select(Entry).where(Entry.identifier == harvest_id)).one()
        assert (survey.origin, survey.remote_source, survey.version) == ("survey", None, 1)
        assert (harvested.origin, harvested.department, harvested.remote_source, harvested.remote_id,
                harvested.remote_modified, harvested.gone_at) == ("harvest", "GEO", "https://example.org", "ds-1",
                                                                  "2026-01-01", None)
        closed = s.get(Run, run)
        assert closed is not None and (closed.kind, closed.status, closed.summary) == ("collect", "ok", {"created": 2})

        again = ingest.save(s, [
            ingest.Incoming(read({"title": "Baumkataster"}), Source("survey", "b.xlsx", row=3), "augsburg", "STAT",
                            entry=survey),
            ingest.Incoming(read({"title": "Radwege 2026"}), Source("harvest", "https://example.org/ds/1"), "augsburg",
                            "GEO", entry=harvested, remote=("https://example.org", "ds-1", "2026-02-01")),
        ], organisation=ORG)
        assert [(r.entry.id, r.created, r.changed) for r in again] == [(survey.id, False, False), (harvested.id, False, True)]
    with store.session() as s:
        assert [(v.version, v.source) for v in versions_of(s, survey_id)] == [(1, "a.xlsx")]  # unchanged: nothing written
        kept = versions_of(s, harvest_id)
        assert [(v.version, v.data["title"]) for v in kept] == [(1, "Radwege"), (2, "Radwege 2026")]
        assert s.scalars(select(Entry.remote_modified).where(Entry.identifier == harvest_id)).one() == "2026-02-01"


def test_findings_of_a_new_reading_supersede_those_of_its_stages(store: Store) -> None:
    with store.session() as s:
        entry = ingest.save(s, [ingest.Incoming(read({"title": "Baumkataster"}), Source("survey"), "augsburg", "STAT",
                                                identifier="A-STAT-00042")], organisation=ORG)[0].entry
        first = finding("missing-required", field="description").at(city="augsburg", department="STAT")
        other = finding("value-corrected", field="title", value="x", corrected="y")
        assert ingest.record_findings(s, [(entry, [first])], stage="normalise", run_id=None) == 1
        ingest.record_findings(s, [(entry, [other])], stage="validate", run_id=None)
        ingest.record_findings(s, [(None, [finding("file-refused", value="a", reason="r", reason_de="r")])],
                               stage="read", run_id=None)
        second = finding("value-corrected", field="theme", value="Umwelt", corrected="ENVI")
        ingest.record_findings(s, [(entry, [second])], stage="normalise", run_id=None, superseding=[entry.id],
                               stages=("read", "normalise"))
    with store.session() as s:
        rows = {(r.stage, r.code, r.field): r.is_open for r in s.scalars(select(FindingRow))}
    assert rows == {
        ("normalise", "missing-required", "description"): False,  # superseded by the new reading
        ("normalise", "value-corrected", "theme"): True,
        ("validate", "value-corrected", "title"): True,  # another stage's finding stays
        ("read", "file-refused", None): True,  # not the entry's
    }
