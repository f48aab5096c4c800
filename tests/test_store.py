"""The store on SQLite and PostgreSQL: migrations from empty, versioned saves, identifiers, findings."""

from __future__ import annotations

from sqlalchemy import inspect, select

from catalog.fields import RECORD_KEYS
from catalog.findings import finding
from catalog.inventory import (
    Source,
    add_findings,
    close_findings,
    content_hash,
    entry_record,
    iter_entries,
    open_findings,
    save_entry,
    start_run,
    versions_of,
)
from catalog.models import Entry, EntryVersion
from catalog.store import Store, current_revision, head_revision
from tests.factories import EU, ORG, sample


def test_migrations_from_empty(store: Store) -> None:
    names = set(inspect(store.engine).get_table_names())
    assert {"entries", "entry_versions", "received_files", "findings", "review_decisions", "publications",
            "deliveries", "runs", "identifier_counters", "campaigns", "alembic_version"} <= names
    assert current_revision(store.engine) == head_revision()
    columns = {c["name"] for c in inspect(store.engine).get_columns("entries")}
    assert set(RECORD_KEYS) <= columns


def test_reopen_is_idempotent(store_url: str) -> None:
    Store.open(store_url).close()
    again = Store.open(store_url)
    assert current_revision(again.engine) == head_revision()
    again.close()


def test_versions_kept_and_unchanged_save_writes_nothing(store: Store) -> None:
    with store.session() as s:
        first = save_entry(s, sample(), city="augsburg", department="STAT", organisation=ORG,
                           source=Source("survey", "a.xlsx", row=2), raw={"title": " Baumkataster "})
        ident = first.entry.identifier
        assert first.created and first.changed
    assert ident == "A-STAT-00001"
    with store.session() as s:
        again = save_entry(s, sample(), identifier=ident, city="augsburg", department="STAT", organisation=ORG,
                           source=Source("survey", "a.xlsx", row=2))
        assert not again.created and not again.changed
    with store.session() as s:
        changed = save_entry(s, sample(title="Baumkataster 2024"), identifier=ident, city="augsburg",
                             department="STAT", organisation=ORG, source=Source("survey", "b.xlsx", row=3))
        assert changed.changed and changed.entry.version == 2
    with store.session() as s:
        versions = versions_of(s, ident)
        assert [(v.version, v.data["title"], v.source, v.row) for v in versions] == [
            (1, "Baumkataster", "a.xlsx", 2), (2, "Baumkataster 2024", "b.xlsx", 3)]
        assert versions[0].raw == {"title": " Baumkataster "}
        assert s.scalar(select(Entry.title).where(Entry.identifier == ident)) == "Baumkataster 2024"


def test_identifiers_per_department_never_reused(store: Store) -> None:
    with store.session() as s:
        ids = [save_entry(s, sample(title=f"T{i}"), city="muenchen", department="KVR", organisation=ORG,
                          source=Source("survey")).entry.identifier for i in range(3)]
        other = save_entry(s, sample(), city="nuernberg", department=ORG.departments_of("nuernberg")[0].code,
                           organisation=ORG, source=Source("survey")).entry.identifier
    assert ids == ["M-KVR-00001", "M-KVR-00002", "M-KVR-00003"]
    assert other.startswith("N-") and other.endswith("-00001")
    with store.session() as s:
        entry = s.scalars(select(Entry).where(Entry.identifier == ids[-1])).one()
        s.delete(entry.versions[0])
        s.delete(entry)
    with store.session() as s:
        nxt = save_entry(s, sample(title="T9"), city="muenchen", department="KVR", organisation=ORG,
                         source=Source("survey")).entry.identifier
    assert nxt == "M-KVR-00004"


def test_export_record_has_exactly_the_contract_keys(store: Store) -> None:
    with store.session() as s:
        save_entry(s, sample(), city="augsburg", department="STAT", organisation=ORG, source=Source("survey"))
    with store.session() as s:
        [entry] = list(iter_entries(s))
        record = entry_record(entry)
    assert tuple(record) == RECORD_KEYS
    assert record["theme"] == [EU + "data-theme/ENVI"] and record["status"] == "new"
    assert record["data_kind"] is None and record["attribution"] is None


def test_findings_open_and_superseded(store: Store) -> None:
    with store.session() as s:
        entry = save_entry(s, sample(), city="augsburg", department="STAT", organisation=ORG,
                           source=Source("survey")).entry
        run = start_run(s, "collect")
        f = finding("invalid-email", value="x(at)y", field="contact_email", label="Kontakt-E-Mail").at(
            city="augsburg", department="STAT", row=2, column="I", file="a.xlsx", sheet="Datenbestände")
        assert add_findings(s, [f], stage="normalise", run_id=run.id, entry=entry) == 1
    with store.session() as s:
        [row] = open_findings(s, city="augsburg")
        assert (row.code, row.column, row.row, row.identifier) == ("invalid-email", "I", 2, entry.identifier)
        close_findings(s, entry_ids=[entry.id], stages=["normalise"])
    with store.session() as s:
        assert open_findings(s) == []
        assert len(open_findings(s, include_closed=True)) == 1


def test_content_hash_ignores_review_state() -> None:
    assert content_hash(sample()) == content_hash({**sample(), "status": "approved", "quality_score": 300})
    assert content_hash(sample()) != content_hash(sample(title="x"))


def test_entry_versions_relationship(store: Store) -> None:
    with store.session() as s:
        entry = save_entry(s, sample(), city="augsburg", department="STAT", organisation=ORG, source=Source("survey")).entry
        save_entry(s, sample(title="neu"), identifier=entry.identifier, city="augsburg", department="STAT",
                   organisation=ORG, source=Source("review", "reviewer"))
    with store.session() as s:
        assert s.scalar(select(EntryVersion.source_kind).where(EntryVersion.version == 2)) == "review"
