"""Validation of the stored inventory: states, and the skip of scheduled runs when nothing changed."""

from __future__ import annotations

from catalog.inventory import Source, save_entry
from catalog.models import Entry
from catalog.organisation import load_organisation
from catalog.store import Store
from catalog.validation.store import validate_inventory
from tests.factories import sample

ORG = load_organisation()


def test_states_and_unchanged_skip(sqlite_store: Store) -> None:
    with sqlite_store.session() as s:
        good = save_entry(s, sample(), city="augsburg", department="STAT", organisation=ORG, source=Source("survey")).entry
        bad = save_entry(s, sample(title="Ohne Kontakt", contact_email=None), city="augsburg", department="STAT",
                         organisation=ORG, source=Source("survey")).entry
    with sqlite_store.session() as s:
        first = validate_inventory(s)
    assert not first.skipped and first.checked == 2
    with sqlite_store.session() as s:
        assert s.get(Entry, good.id).status == "ready"  # type: ignore[union-attr]
        assert s.get(Entry, bad.id).status == "needs_changes"  # type: ignore[union-attr]
    with sqlite_store.session() as s:
        again = validate_inventory(s, force=False)
    assert again.skipped and again.run_id == first.run_id and again.findings == first.findings
    with sqlite_store.session() as s:
        save_entry(s, sample(title="Ohne Kontakt", contact_email="a@b.de"), identifier=bad.identifier,
                   city="augsburg", department="STAT", organisation=ORG, source=Source("survey"))
    with sqlite_store.session() as s:
        third = validate_inventory(s, force=False)
    assert not third.skipped and third.run_id != first.run_id
    with sqlite_store.session() as s:
        assert s.get(Entry, bad.id).status == "ready"  # type: ignore[union-attr]
    with sqlite_store.session() as s:
        assert not validate_inventory(s, force=True).skipped  # on demand: always runs
    with sqlite_store.session() as s:
        assert not validate_inventory(s, city="augsburg", force=False).skipped  # another scope
