"""Chunked validation finds the same as validating everything at once, finding for finding.

A campaign of several departments in the three cities is validated in chunks of a few entries (so it
spans many chunks) and in one chunk, in the store on SQLite and PostgreSQL; and, in the library, the
chunked run is held against :func:`catalog.validation.suite.validate_records` (one Great Expectations run over
all records). Duplicate titles, the same dataset in two departments, similar datasets in other cities
and duplicate identifiers sit on records in different chunks.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from catalog.findings import Finding
from catalog.inventory import Source, add_findings, save_entry
from catalog.models import Entry, FindingRow
from catalog.normalise import normalise_record, spatial_uri
from catalog.organisation import load_organisation
from catalog.store import Store
from catalog.validation.store import validate_inventory
from catalog.validation.suite import ChunkedValidation, validate_records
from survey.simulation import realistic_rows

ORG = load_organisation()
TODAY = dt.date(2026, 11, 20)
SHARED_TITLE = "Baumkataster der Grünflächen"  # in two departments of one city and in another city


def _campaign(per_department: int = 9) -> list[tuple[str, str, dict[str, Any]]]:
    """(city, department, normalised values): two departments per city, realistic rows with unreadable
    values, and the same titles placed so that they land in different chunks."""
    rng = random.Random(3)
    out: list[tuple[str, str, dict[str, Any]]] = []
    for city in ORG.cities:
        for dept in sorted(ORG.departments_of(city.key), key=lambda d: d.code)[:2]:
            rows = realistic_rows(city, dept, per_department, rng, broken=0.2)
            rows[0]["title"] = rows[-1]["title"]  # a duplicate title within the department, far apart
            if city.key != "nuernberg":
                rows[-2]["title"] = SHARED_TITLE
            for raw in rows:
                values = normalise_record(raw).values
                values["spatial_scope"] = values.get("spatial")
                values["spatial"] = spatial_uri(values["spatial_scope"], city.geocoding_uri)
                out.append((city.key, dept.code, values))
    return out


def _fill(store: Store) -> None:
    with store.session() as session:
        for city, department, values in _campaign():
            save_entry(session, values, city=city, department=department, organisation=ORG,
                       source=Source("survey", "Fragebogen.xlsx", row=2))
    with store.session() as session:  # a cell that could not be read: its missing-* finding is left out
        entry = session.scalars(select(Entry).order_by(Entry.city.desc(), Entry.identifier.desc()).limit(1)).one()
        entry.contact_email = None
        add_findings(session, [Finding(code="invalid-email", severity="warning", message="x", message_en="x",
                                       field="contact_email", identifier=entry.identifier)],
                     stage="normalise", entry=entry)


def _stored(store: Store, run_id: int) -> Counter[tuple[Any, ...]]:
    with store.session() as session:
        rows = session.scalars(select(FindingRow).where(FindingRow.run_id == run_id)).all()
        return Counter((r.entry_id, r.entry_version, r.code, r.severity, r.city, r.department, r.identifier, r.file,
                        r.sheet, r.row, r.column, r.field, r.value, r.message, r.message_en, r.is_open) for r in rows)


def test_store_chunked_equals_one_chunk(store: Store, tmp_path: Path) -> None:
    _fill(store)
    with store.session() as session:
        whole = validate_inventory(session, today=TODAY, chunk_size=100_000)
    with store.session() as session:
        chunked = validate_inventory(session, today=TODAY, chunk_size=7, docs_dir=tmp_path / "docs")
    assert chunked.checked == whole.checked == 54
    assert chunked.by_code == whole.by_code and chunked.by_severity == whole.by_severity
    for code in ("duplicate-title", "duplicate-across-departments", "similar-in-other-city", "missing-required"):
        assert whole.by_code.get(code), code  # the campaign has each of them
    one, many = _stored(store, whole.run_id), _stored(store, chunked.run_id)
    assert many == {(*key[:-1], True): n for key, n in one.items()}  # the earlier run's findings are closed now
    assert sum(one.values()) < whole.findings  # some were left out: explained by a normalisation finding
    with store.session() as session:
        assert session.scalar(select(FindingRow.id).where(FindingRow.run_id == whole.run_id,
                                                          FindingRow.is_open.is_(True))) is None
    assert chunked.docs_index is not None and chunked.docs_index.is_file()
    index = chunked.docs_index.read_text(encoding="utf-8")
    assert "records checked" in index and ">54<" in index
    [page] = (chunked.docs_index.parent / "validations").rglob("*.html")  # one page for the 8 chunks
    assert "of 54 total rows" in page.read_text(encoding="utf-8")


def _records() -> list[dict[str, Any]]:
    records = []
    for n, (city, department, values) in enumerate(_campaign()):
        record = dict(values)
        record.update(city=city, department=department, identifier=f"X-{n % 40:05d}", _file="F.xlsx",
                      _sheet="Datenbestände", _row=n + 2)
        records.append(record)
    return records  # identifiers repeat from record 40 on: duplicates 40 records apart


def _key(found: Finding) -> tuple[Any, ...]:
    return (found.identifier, found.row, found.column, found.code, found.severity, found.value, found.message,
            found.message_en, found.city, found.department, found.file, found.sheet, found.field)


def test_library_chunked_equals_validate_records(tmp_path: Path) -> None:
    records = _records()
    reference = validate_records(records, today=TODAY)
    run = ChunkedValidation(today=TODAY)
    for start in range(0, len(records), 5):
        run.add_keys(records[start:start + 5])
    found = [f for _index, f in run.cross_findings()]
    for start in range(0, len(records), 5):
        found += [f for _index, f in run.check(records[start:start + 5])]
    assert run.checked == len(records) == 54
    assert sorted(map(_key, found)) == sorted(map(_key, reference.findings))
    codes = Counter(f.code for f in found)
    assert codes["duplicate-identifier"] == 2 * 14  # 14 identifiers twice, each pair in chunks 8 apart
    assert codes["duplicate-title"] and codes["similar-in-other-city"] and codes["duplicate-across-departments"]
    assert run.findings == len(reference.findings)
    index = run.finish(tmp_path, "chunked")
    assert index == tmp_path / "chunked" / "index.html"
    [page] = (tmp_path / "chunked" / "validations").rglob("*.html")
    text = page.read_text(encoding="utf-8")  # the 11 chunks merged: uniqueness judged over all records
    assert "28 unexpected values found. ≈51.85% of 54 total rows." in text


def test_quality_and_review_list_in_chunks_equal_one_chunk(store: Store) -> None:
    from catalog.quality.store import assess_inventory
    from catalog.review.decisions import review_items

    _fill(store)
    with store.session() as session:
        whole = assess_inventory(session, ORG, chunk_size=100_000)
    with store.session() as session:
        scores = dict(session.execute(select(Entry.id, Entry.quality_score)).all())
        session.execute(update(Entry).values(quality_score=None))
    with store.session() as session:
        chunked = assess_inventory(session, ORG, chunk_size=4)
    with store.session() as session:
        assert dict(session.execute(select(Entry.id, Entry.quality_score)).all()) == scores
        assert None not in scores.values() and len(scores) == 54
    assert {k: v.as_dict() for k, v in chunked.cities.items()} == {k: v.as_dict() for k, v in whole.cities.items()}
    assert {k: v.as_dict() for k, v in chunked.departments.items()} == \
        {k: v.as_dict() for k, v in whole.departments.items()}
    with store.session() as session:
        one = [item.as_record() for item in review_items(session, chunk_size=1000)]
        many = [item.as_record() for item in review_items(session, chunk_size=5)]
    assert many == one and len(one) == 54
