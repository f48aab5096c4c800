"""Identity and change of harvested records (catalog.harvest), on SQLite and PostgreSQL.

Records as a connector yields them: messy raw values, provenance. What is asserted: the survey's
normalisation and finding codes on the entry (stage ``harvest``), no write for an unchanged record, a new
version for a changed one, records gone from their source marked and reported, survey answers winning
over harvested values without duplicates, departments by mapping, convention or default.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from catalog.harvest import (
    Harvest,
    HarvestedRecord,
    HarvestTarget,
    harvest_records,
    inventur_identifier,
    machine_date,
    merge_values,
    previous_high_water,
)
from catalog.inventory import Source, save_entry
from catalog.models import Entry, EntryVersion, FindingRow, Run
from catalog.organisation import load_organisation
from catalog.store import Store
from tests.factories import count

ORG = load_organisation()
EU = "http://publications.europa.eu/resource/authority/"
SOURCE = "https://opendata.example.org"
TODAY = dt.date(2026, 6, 1)


def entry_by_remote(store: Store, remote_id: str) -> Entry:
    with store.session() as session:
        return session.execute(select(Entry).where(Entry.remote_id == remote_id)).scalar_one()


def codes(store: Store, entry: Entry, *, stage: str = "harvest") -> list[str]:
    with store.session() as session:
        return sorted(session.scalars(select(FindingRow.code).where(
            FindingRow.entry_id == entry.id, FindingRow.stage == stage, FindingRow.is_open.is_(True))))


def record(remote_id: str, modified: str = "2026-01-01T10:00:00.000001", **raw: Any) -> HarvestedRecord:
    values: dict[str, Any] = {
        "title": f"Datensatz {remote_id}",
        "description": "Ein Datensatz, wie ihn ein Portal beschreibt, mit mehr als dreißig Zeichen.",
        "theme": "Umwelt",
        "frequency": "täglich",
        "license": "dl-de-by-2.0",
        "contact_email": "gis.mor@muenchen.de",
        "access_rights": "öffentlich",
    }
    values.update(raw)
    organisation = values.pop("organization", "mobilitaetsreferat")
    identifier = values.pop("identifier", None)
    return HarvestedRecord(remote_id=remote_id, raw={k: v for k, v in values.items() if v is not None},
                           remote_modified=modified, identifier=identifier, organization=organisation,
                           link=f"{SOURCE}/dataset/{remote_id}")


def target(**over: Any) -> HarvestTarget:
    values: dict[str, Any] = {"source": SOURCE, "kind": "ckan", "city": "muenchen", "department": "MOR"}
    values.update(over)
    return HarvestTarget(**values)


def run(store: Store, records: list[HarvestedRecord], **over: Any) -> Any:
    return harvest_records(store, ORG, target(**over), [records], today=TODAY)


def test_messy_records_are_normalised_with_findings_on_the_entry(store: Store) -> None:
    report = run(store, [
        record("a", frequency="kontinuierlich", license="dl-by-de/2.0", contact_email="wahlamt.kvr@muenchen",
               formats="csv; Shape", temporal_start="2021-03-01T00:00:00", spatial="gesamtes Stadtgebiet"),
        record("b", frequency="http://publications.europa.eu/resource/authority/frequency/DAILY",
               license="http://dcat-ap.de/def/licenses/dl-by-de/2.0", theme="Verkehr; envi"),
        record("c", frequency="alle paar Jahre"),
    ])
    assert (report.records, report.created, report.updated, report.unchanged) == (3, 3, 0, 0)
    a, b, c = (entry_by_remote(store, x) for x in "abc")
    assert a.identifier.startswith("M-MOR-") and a.origin == "harvest" and a.remote_source == SOURCE
    assert a.remote_modified == "2026-01-01T10:00:00.000001"
    assert a.frequency == EU + "frequency/CONT"
    assert a.license == "http://dcat-ap.de/def/licenses/dl-by-de/2.0"
    assert a.contact_email is None  # never a guess
    assert a.formats == [EU + "file-type/CSV", EU + "file-type/SHP"]
    assert a.spatial_scope == "city" and a.spatial == ORG.city("muenchen").geocoding_uri
    assert "invalid-email" in codes(store, a) and "value-corrected" in codes(store, a)
    assert b.frequency == EU + "frequency/DAILY" and b.theme == [EU + "data-theme/TRAN", EU + "data-theme/ENVI"]
    assert c.frequency is None and codes(store, c).count("unknown-value") == 1
    with store.session() as session:
        problem = session.execute(select(FindingRow).where(FindingRow.entry_id == a.id,
                                                           FindingRow.code == "invalid-email")).scalar_one()
        assert (problem.severity, problem.field, problem.value) == ("error", "contact_email", "wahlamt.kvr@muenchen")
        assert (problem.city, problem.department, problem.identifier) == ("muenchen", "MOR", a.identifier)
        assert problem.file == f"{SOURCE}/dataset/a" and problem.run_id == report.run_id
        version = session.execute(select(EntryVersion).where(EntryVersion.entry_id == a.id)).scalar_one()
        assert version.source_kind == "harvest" and version.source == f"{SOURCE}/dataset/a"
        assert version.raw["frequency"] == "kontinuierlich"
        assert version.raw["_provenance"]["id"] == "a" and version.raw["_provenance"]["organization"] == "mobilitaetsreferat"


def test_unchanged_records_write_nothing_and_changed_ones_a_version(store: Store) -> None:
    records = [record("a"), record("b", contact_email="kaputt")]
    run(store, records)
    versions, findings = count(store, EntryVersion), count(store, FindingRow)
    again = run(store, records)
    assert (again.created, again.updated, again.unchanged, again.changed) == (0, 0, 2, False)
    assert count(store, EntryVersion) == versions and count(store, FindingRow) == findings
    fixed = run(store, [record("a"), record("b", contact_email="kvr@muenchen.de")])
    assert (fixed.updated, fixed.unchanged) == (1, 1)
    b = entry_by_remote(store, "b")
    assert b.version == 2 and b.contact_email == "kvr@muenchen.de"
    assert "invalid-email" not in codes(store, b)  # the earlier harvest findings of b are closed


def test_a_record_gone_is_marked_reported_and_comes_back(store: Store) -> None:
    run(store, [record("a"), record("b")])
    report = run(store, [record("a")])
    b = entry_by_remote(store, "b")
    assert report.gone == [b.identifier] and b.gone_at is not None
    assert count(store, Entry) == 2  # marked, never deleted
    assert codes(store, b) == ["remote-gone"]
    assert run(store, [record("a")]).gone == []  # reported once
    back = run(store, [record("a"), record("b")])
    assert back.returned == 1 and entry_by_remote(store, "b").gone_at is None
    assert entry_by_remote(store, "b").version == 1  # same content: no new version


def test_an_incomplete_read_marks_nothing_gone(store: Store) -> None:
    run(store, [record("a"), record("b")])
    report = harvest_records(store, ORG, target(), [[record("a")]], incomplete=lambda: ("loop", "Schleife"))
    assert report.gone == [] and not report.complete and report.findings["harvest-incomplete"] == 1
    assert entry_by_remote(store, "b").gone_at is None
    incomplete = (FindingRow.code == "harvest-incomplete", FindingRow.is_open.is_(True))
    assert count(store, FindingRow, *incomplete) == 1
    harvest_records(store, ORG, target(), [[record("a")]], incomplete=lambda: ("loop", "Schleife"))
    assert count(store, FindingRow, *incomplete) == 1  # reported once, not once per run
    assert run(store, [record("a"), record("b")]).complete
    assert count(store, FindingRow, *incomplete) == 0  # a complete read closes it


def test_the_survey_answer_wins_and_nothing_is_duplicated(store: Store) -> None:
    with store.session() as session:
        answer = save_entry(session, {
            "title": "Wahlbezirke (aus der Umfrage)", "description": "Stimmbezirke der Wahlen, wie das Wahlamt sie führt.",
            "contact_email": "wahlamt@muenchen.de", "personal_data": "no", "frequency": None, "license": None,
            "theme": [], "keywords": ["Wahlen"], "spatial_scope": None, "spatial": None,
        }, city="muenchen", department="KVR", source=Source("survey", "muenchen_KVR_2026.xlsx"), organisation=ORG)
        identifier = answer.entry.identifier
    report = run(store, [record("w", identifier=identifier, title="Stimmbezirke", contact_email="kaputt@",
                                frequency="unregelmäßig", spatial="gesamtes Stadtgebiet")])
    assert (report.created, report.updated, report.merged) == (0, 1, 1)
    assert report.conflicts == 2  # title and e-mail differ; the survey's stay
    assert count(store, Entry) == 1
    entry = entry_by_remote(store, "w")
    assert entry.identifier == identifier and entry.department == "KVR" and entry.origin == "survey"
    assert entry.title == "Wahlbezirke (aus der Umfrage)" and entry.contact_email == "wahlamt@muenchen.de"
    assert entry.keywords == ["Wahlen"]
    assert entry.frequency == EU + "frequency/IRREG"  # the survey left it empty: filled by the harvest
    assert entry.license == "http://dcat-ap.de/def/licenses/dl-by-de/2.0" and entry.theme == [EU + "data-theme/ENVI"]
    assert entry.spatial_scope == "city" and entry.spatial == ORG.city("muenchen").geocoding_uri
    found = codes(store, entry)
    assert "invalid-email" not in found  # the portal's broken e-mail lost against the survey's
    assert "value-corrected" in found  # the licence spelling it filled in
    # unchanged on the next run; found by its remote id now
    assert run(store, [record("w", identifier=identifier, title="Stimmbezirke", contact_email="kaputt@",
                              frequency="unregelmäßig", spatial="gesamtes Stadtgebiet")]).unchanged == 1
    # gone from the portal: the department's answer stays current, only the link goes
    gone = run(store, [])
    with store.session() as session:
        kept = session.execute(select(Entry).where(Entry.identifier == identifier)).scalar_one()
    assert gone.gone == [identifier] and kept.gone_at is None and kept.remote_source is None
    assert "remote-gone" in codes(store, kept)
    with store.session() as session:
        notice = session.execute(select(FindingRow).where(FindingRow.code == "remote-gone")).scalar_one()
        assert notice.value == "w" and notice.severity == "warning" and "Umfrage" in notice.message


def test_an_identifier_links_an_entry_even_when_nothing_is_to_fill(store: Store) -> None:
    with store.session() as session:
        full = save_entry(session, {"title": "Alles da", "description": "Vollständig ausgefüllt in der Umfrage."},
                          city="muenchen", department="KVR", source=Source("survey"), organisation=ORG)
        identifier = full.entry.identifier
    report = run(store, [HarvestedRecord("x", {"title": "Anders"}, identifier=identifier, organization="kvr")])
    assert (report.unchanged, report.merged, report.conflicts) == (1, 1, 1)
    with store.session() as session:
        entry = session.execute(select(Entry).where(Entry.identifier == identifier)).scalar_one()
        assert (entry.remote_source, entry.remote_id, entry.version) == (SOURCE, "x", 1)


def test_identifiers_of_another_city_do_not_match(store: Store) -> None:
    with store.session() as session:
        other = save_entry(session, {"title": "Augsburger Daten"}, city="augsburg", department="STAT",
                           source=Source("survey"), organisation=ORG).entry.identifier
    assert inventur_identifier(other, "M") is None and inventur_identifier(other, "A") == other
    report = run(store, [record("m", identifier=other)])
    assert report.created == 1 and count(store, Entry) == 2


def test_departments_by_mapping_convention_and_default(store: Store) -> None:
    mapping = {"mobilitaetsreferat": "MOR", "Kreisverwaltungsreferat": "KVR"}
    report = run(store, [
        record("1", organization="mobilitaetsreferat"),
        record("2", organization="kreisverwaltungsreferat"),  # names match without regard to case
        record("3", organization="muenchen-rku"),  # inventur's own naming of CKAN organisations
        record("4", organization="stadtwerke"),
    ], department="RIT", departments=mapping)
    depts = {x: entry_by_remote(store, x).department for x in "1234"}
    assert depts == {"1": "MOR", "2": "KVR", "3": "RKU", "4": "RIT"}
    assert codes(store, entry_by_remote(store, "4")).count("department-unmapped") == 1
    assert "department-unmapped" not in codes(store, entry_by_remote(store, "1"))
    assert report.findings["department-unmapped"] == 1


def test_without_a_default_an_unmapped_record_is_skipped_and_fetched_again(store: Store) -> None:
    harvest = Harvest(store, ORG, target(department=None, departments={"mobilitaetsreferat": "MOR"}), today=TODAY)
    harvest.add([record("ok", modified="2026-02-01T00:00:00"), record("lost", modified="2026-01-15T00:00:00",
                                                                      organization="stadtwerke")])
    report = harvest.finish(present=harvest.seen)
    assert (report.created, report.skipped) == (1, 1) and report.findings["department-unknown"] == 1
    assert report.high_water == "2026-01-15T00:00:00"  # not past the skipped record: the next run reads it again
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(FindingRow).where(
            FindingRow.code == "department-unknown", FindingRow.entry_id.is_(None))) == 1
        assert previous_high_water(session, SOURCE, None) == "2026-01-15T00:00:00"
        assert previous_high_water(session, SOURCE, {"other"}) is None


def test_a_scoped_run_marks_only_its_own_records_gone(store: Store) -> None:
    run(store, [record("a", organization="mobilitaetsreferat"), record("b", organization="kreisverwaltungsreferat")],
        department="RIT")
    report = run(store, [], department="RIT", scope=frozenset({"kreisverwaltungsreferat"}))
    assert report.gone == [entry_by_remote(store, "b").identifier]
    assert entry_by_remote(store, "a").gone_at is None


def test_a_failed_run_keeps_no_high_water(store: Store) -> None:
    def pages() -> Iterator[list[HarvestedRecord]]:
        yield [record("a", modified="2026-03-01T00:00:00")]
        raise ConnectionError("portal went away")

    with pytest.raises(ConnectionError):
        harvest_records(store, ORG, target(), pages(), today=TODAY)
    with store.session() as session:
        run_row = session.scalars(select(Run).where(Run.kind == "harvest")).one()
        assert run_row.status == "failed" and "went away" in run_row.summary["error"]
        assert previous_high_water(session, SOURCE, None) is None
    assert entry_by_remote(store, "a").version == 1  # the page read before the failure is kept


def test_helpers() -> None:
    assert machine_date("2024-05-02T08:30:00Z") == dt.date(2024, 5, 2)
    assert machine_date("2024-05-02") == dt.date(2024, 5, 2)
    assert machine_date("03/2024") == "03/2024"  # a person's spelling: normalisation reads it
    merged, filled, conflicts = merge_values({"title": "A", "keywords": []}, {"title": "B", "keywords": ["x"]})
    assert merged["title"] == "A" and merged["keywords"] == ["x"] and filled == {"keywords"} and conflicts == ["title"]
    assert inventur_identifier(" m-kvr-00017 ", "M") == "M-KVR-00017"
    assert inventur_identifier("muc-123", "M") is None


def test_one_dataset_from_two_sources_is_one_entry(store: Store) -> None:
    """A second source's record of a dataset (same IRI or identifier) fills the entry's gaps or is reported
    as disagreeing; the entry stays with its first source (entry_keys and the carried fills, on both stores)."""
    iri = "https://opendata.muenchen.de/dataset/parken"

    def keyed(remote_id: str, **raw: Any) -> HarvestedRecord:
        made = record(remote_id, **{"title": "Parkflächen", **raw})
        return HarvestedRecord(made.remote_id, made.raw, made.remote_modified, organization=made.organization,
                               link=made.link, keys=(iri, "parken-muenchen-2024"))

    portal, catalog = target(), target(source="https://geoportal.muenchen.de/csw", kind="dcat")
    assert harvest_records(store, ORG, portal, [[keyed("pkg", keywords=None)]], today=TODAY).created == 1
    filled = harvest_records(store, ORG, catalog, [[keyed("csw-1", keywords="Parken; Carsharing")]], today=TODAY)
    assert (filled.created, filled.merged, filled.updated, filled.duplicates) == (0, 1, 1, 0)
    entry = entry_by_remote(store, "pkg")
    assert entry.keywords == ["Parken", "Carsharing"] and entry.remote_source == SOURCE
    assert harvest_records(store, ORG, portal, [[keyed("pkg", keywords=None)]], today=TODAY).unchanged == 1
    assert entry_by_remote(store, "pkg").keywords == ["Parken", "Carsharing"]
    versions = count(store, EntryVersion)
    apart = harvest_records(store, ORG, catalog, [[keyed("csw-1", keywords="Parken; Carsharing", frequency="jährlich")]],
                            today=TODAY)
    assert (apart.duplicates, apart.updated) == (1, 0) and count(store, EntryVersion) == versions
    assert codes(store, entry).count("duplicate-across-sources") == 1
    assert entry_by_remote(store, "pkg").frequency == EU + "frequency/DAILY"
    assert count(store, Entry) == 1
