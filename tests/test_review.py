"""Review on SQLite and PostgreSQL: the states an entry passes, the hard rules no approval overrides,
comments where they are required, rights clearance per version, and the terminal commands."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from catalog.findings import finding
from catalog.inventory import add_findings
from catalog.models import Entry, ReviewDecision, utcnow
from catalog.publish.rules import BLOCKERS
from catalog.review.decisions import (
    ApprovalRefused,
    InvalidInput,
    StaleEntry,
    TransitionRefused,
    UnknownEntry,
    approve,
    clear_rights,
    entry_details,
    mark_published,
    publication_facts,
    reject,
    reopen,
    review_items,
    rights_cleared,
    withdraw,
)
from catalog.store import Store
from tests.factories import change, create, decisions, inventur_process, set_state, state

EU = "http://publications.europa.eu/resource/authority/"
LICENCES = "http://dcat-ap.de/def/licenses/"
ROOT = Path(__file__).resolve().parents[1]
run = partial(inventur_process, columns=200)  # ``inventur ARGS`` as a process, tables for a wide terminal


def test_an_entry_walks_through_every_state(store: Store) -> None:
    from catalog.validation.store import validate_inventory

    ident = create(store, status=None, contact_email=None)
    assert state(store, ident) == "new"
    with store.session() as s:
        validate_inventory(s, city="augsburg")
    assert state(store, ident) == "needs_changes"
    with store.session() as s, pytest.raises(ApprovalRefused) as refused:
        approve(s, ident, "Erika Muster")
    assert refused.value.blockers == ("open-errors",)

    change(store, ident)  # the department adds the missing e-mail address: version 2
    with store.session() as s:
        validate_inventory(s, city="augsburg")
    assert state(store, ident) == "ready"
    with store.session() as s:
        done = approve(s, ident, "Erika Muster", "passt")
    assert (done.state_from, done.state_to, done.version, done.recorded) == ("ready", "approved", 2, True)
    with store.session() as s:
        assert mark_published(s, ident, "publish run 1").state_to == "published"
    with store.session() as s:
        assert reject(s, ident, "Max Prüfer", "Daten veraltet").state_to == "withdrawn"
    assert state(store, ident) == "withdrawn"
    with store.session() as s:
        assert reopen(s, ident, "Max Prüfer", "neu bewerten").state_to == "new"
    with store.session() as s:
        validate_inventory(s, city="augsburg")
    assert state(store, ident) == "ready"
    with store.session() as s:
        assert reject(s, ident, "Max Prüfer", "erst nach Abstimmung").state_to == "rejected"
    with store.session() as s:
        assert approve(s, ident, "Erika Muster", "abgestimmt").state_to == "approved"

    assert decisions(store, ident) == [
        ("approve", "ready", "approved", 2, "Erika Muster", "passt"),
        ("publish", "approved", "published", 2, "publish run 1", None),
        ("reject", "published", "withdrawn", 2, "Max Prüfer", "Daten veraltet"),
        ("reopen", "withdrawn", "new", 2, "Max Prüfer", "neu bewerten"),
        ("reject", "ready", "rejected", 2, "Max Prüfer", "erst nach Abstimmung"),
        ("approve", "rejected", "approved", 2, "Erika Muster", "abgestimmt"),
    ]
    with store.session() as s:
        decided_at = s.scalars(select(ReviewDecision.decided_at)).all()
    assert all(when is not None for when in decided_at)


HARD_RULES = [
    ("personal-data", {"personal_data": "yes"}),
    ("not-public", {"access_rights": EU + "access-right/RESTRICTED", "restriction_reason": "Sicherheit"}),
    ("licence-not-open", {"license": LICENCES + "other-closed"}),
    ("attribution-missing", {"license": LICENCES + "dl-by-de/2.0", "attribution": None}),
    ("third-party-rights", {"third_party_rights": "unclear"}),
    ("open-errors", {}),
]


@pytest.mark.parametrize(("code", "over"), HARD_RULES, ids=[code for code, _ in HARD_RULES])
def test_each_hard_rule_blocks_approval(store: Store, code: str, over: dict[str, Any]) -> None:
    ident = create(store, **over)
    if code == "open-errors":
        with store.session() as s:
            entry = s.scalars(select(Entry).where(Entry.identifier == ident)).one()
            add_findings(s, [finding("invalid-email", value="gruen(at)augsburg")], stage="validate", entry=entry)
    with store.session() as s, pytest.raises(ApprovalRefused) as refused:
        approve(s, ident, "Erika Muster", "bitte veröffentlichen")
    german, english = BLOCKERS[code]
    assert refused.value.blockers == (code,)
    assert f"{english} ({code})" in str(refused.value) and ident in str(refused.value)
    assert german in refused.value.message_de
    assert state(store, ident) == "ready" and decisions(store, ident) == []


def test_reject_needs_a_comment(store: Store) -> None:
    ident = create(store)
    for empty in (None, "", "   "):
        with store.session() as s, pytest.raises(InvalidInput, match="comment is required"):
            reject(s, ident, "Erika Muster", empty)
    with store.session() as s, pytest.raises(InvalidInput, match="reviewer name"):
        reject(s, ident, "  ", "kein Bedarf")
    assert state(store, ident) == "ready" and decisions(store, ident) == []
    with store.session() as s:
        reject(s, ident, "Erika Muster", " kein Bedarf ")
    assert decisions(store, ident) == [("reject", "ready", "rejected", 1, "Erika Muster", "kein Bedarf")]


def test_a_change_after_approval_needs_approval_again(store: Store) -> None:
    ident = create(store)
    with store.session() as s:
        approve(s, ident, "Erika Muster")
    change(store, ident, title="Baumkataster 2025")
    assert state(store, ident) == "new"
    with store.session() as s, pytest.raises(TransitionRefused, match="has not been validated"):
        approve(s, ident, "Erika Muster")
    set_state(store, ident, "ready")  # what the next validation does
    with store.session() as s:
        assert approve(s, ident, "Erika Muster").version == 2
    with store.session() as s:
        mark_published(s, ident, "publish run 2")
    change(store, ident, title="Baumkataster 2026")
    assert state(store, ident) == "new"
    assert [(d[0], d[3]) for d in decisions(store, ident)] == [("approve", 1), ("approve", 2), ("publish", 2)]


def test_rights_clearance_holds_for_one_version(store: Store) -> None:
    ident = create(store, third_party_rights="yes")
    with store.session() as s, pytest.raises(InvalidInput, match="comment is required"):
        clear_rights(s, ident, "Erika Muster", "")
    with store.session() as s:
        done = clear_rights(s, ident, "Erika Muster", "Vertrag mit dem Vermessungsamt erlaubt Open Data")
        assert (done.state_from, done.state_to, done.version) == ("ready", "ready", 1)
        again = clear_rights(s, ident, "Erika Muster", "noch einmal")
        assert not again.recorded
        assert approve(s, ident, "Erika Muster").state_to == "approved"

    change(store, ident, third_party_rights="yes", title="Baumkataster mit Kronendaten")
    set_state(store, ident, "ready")
    with store.session() as s:
        entry = s.scalars(select(Entry).where(Entry.identifier == ident)).one()
        assert not rights_cleared(s, entry)
        with pytest.raises(ApprovalRefused) as refused:
            approve(s, ident, "Erika Muster")
        assert refused.value.blockers == ("third-party-rights",)
        clear_rights(s, ident, "Erika Muster", "Kronendaten: eigene Befliegung")
        assert approve(s, ident, "Erika Muster").version == 2
    assert [(d[0], d[3]) for d in decisions(store, ident)] == [
        ("clear-rights", 1), ("approve", 1), ("clear-rights", 2), ("approve", 2)]

    plain = create(store, title="Haltestellen", third_party_rights="no")
    with store.session() as s, pytest.raises(TransitionRefused, match="only 'yes' or 'unclear'"):
        clear_rights(s, plain, "Erika Muster", "nicht nötig")


def test_decisions_on_a_stale_version_are_refused(store: Store) -> None:
    ident = create(store)
    change(store, ident, title="Baumkataster neu")
    set_state(store, ident, "ready")
    with store.session() as s, pytest.raises(StaleEntry, match="reviewed version 1, now version 2"):
        approve(s, ident, "Erika Muster", version=1)
    with store.session() as s, pytest.raises(StaleEntry):
        reject(s, ident, "Erika Muster", "alt", version=2, content_hash="0" * 64)
    assert decisions(store, ident) == []


def test_other_transitions(store: Store) -> None:
    ident = create(store)
    with store.session() as s:
        with pytest.raises(UnknownEntry):
            approve(s, "A-STAT-99999", "Erika Muster")
        with pytest.raises(TransitionRefused, match="only a published entry"):
            withdraw(s, ident, "Erika Muster", "weg")
        with pytest.raises(TransitionRefused, match="only an approved entry"):
            mark_published(s, ident, "publish run 1")
        assert not reopen(s, ident, "Erika Muster").recorded
        approve(s, ident, "Erika Muster")
        assert not approve(s, ident, "Erika Muster").recorded  # approving twice changes nothing
        mark_published(s, ident, "publish run 1")
        assert withdraw(s, ident, "Erika Muster", "Datenquelle eingestellt").state_to == "withdrawn"
        assert not reject(s, ident, "Erika Muster", "doppelt").recorded
    with store.session() as s:
        entry = s.scalars(select(Entry).where(Entry.identifier == ident)).one()
        entry.status = "approved"
        add_findings(s, [finding("invalid-email", value="x")], stage="validate", entry=entry)
    with store.session() as s, pytest.raises(ApprovalRefused, match="publication refused"):
        mark_published(s, ident, "publish run 2")

    unvalidated = create(store, status="needs_changes", title="Brunnen")  # errors gone, not validated again
    gone = create(store, title="Alte Liste")
    with store.session() as s:
        s.scalars(select(Entry).where(Entry.identifier == gone)).one().gone_at = utcnow()
    with store.session() as s:
        with pytest.raises(TransitionRefused, match="'needs_changes' and has not been validated"):
            approve(s, unvalidated, "Erika Muster")
        with pytest.raises(TransitionRefused, match="gone from its source"):
            approve(s, gone, "Erika Muster")


def test_review_items_and_details(store: Store) -> None:
    ok = create(store)
    blocked = create(store, title="Meldedaten", personal_data="yes")
    rights = create(store, status="approved", title="Luftbilder", third_party_rights="yes")
    with store.session() as s:
        entry = s.scalars(select(Entry).where(Entry.identifier == rights)).one()
        clear_rights(s, rights, "Erika Muster", "Lizenz vom Anbieter")
        add_findings(s, [finding("invalid-email", value="x")], stage="validate", entry=entry)
    with store.session() as s:
        items = {i.identifier: i for i in review_items(s, city="augsburg")}
        assert [i.identifier for i in review_items(s, states=["ready"])] == [ok, blocked]
        assert list(review_items(s, city="muenchen")) == []
        assert items[ok].blockers == [] and items[blocked].blockers == ["personal-data"]
        assert items[rights].blockers == ["open-errors"] and items[rights].rights_cleared
        record = items[rights].as_record()
        assert record["last_decision"]["decision"] == "clear-rights" and record["open_errors"] == 1
        facts = publication_facts(s)
        assert facts == {entry.id: (1, True)}
        details = entry_details(s, rights)
        assert [f.code for f in details.findings] == ["invalid-email"]
        assert [d.decision for d in details.decisions] == ["clear-rights"]
        assert [v.version for v in details.versions] == [1]


# --------------------------------------------------------------------------- the terminal


def test_review_commands_and_exit_codes(cli_env: dict[str, str], cli_runner: Callable[..., Any]) -> None:
    store = Store.open(cli_env["INVENTUR_DATABASE_URL"])
    ok = create(store)
    blocked = create(store, title="Meldedaten", personal_data="yes")
    other = create(store, title="Haltestellen [/alt]")  # no markup for the tables
    store.close()

    listed = run(cli_env, "review", "list", "--city", "augsburg", "--state", "ready", "--format", "jsonl")
    assert listed.returncode == 0, listed.stderr
    records = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(r["identifier"], r["blockers"]) for r in records] == [(ok, []), (blocked, ["personal-data"]), (other, [])]

    # some refused by a hard rule: exit 1, each refusal with its reason; the others are approved
    done = run(cli_env, "review", "approve", ok, blocked, "--by", "Erika Muster")
    assert done.returncode == 1
    assert f"{ok}: ready -> approved (version 1)" in done.stdout
    assert f"refused: {blocked}: approval refused by a hard rule: contains personal data (personal-data)" in done.stderr
    assert f"({blocked}: Freigabe nicht möglich: enthält personenbezogene Daten)" in done.stderr

    # bad usage: exit 2, nothing decided
    unknown = run(cli_env, "review", "approve", "A-STAT-99999", other, "--by", "Erika Muster")
    assert unknown.returncode == 2 and "unknown identifier: A-STAT-99999" in unknown.stderr
    assert run(cli_env, "review", "reject", other, "--by", "Erika Muster").returncode == 2  # no --comment

    rejected = run(cli_env, "review", "reject", other, "--by", "Max Prüfer", "--comment", "doppelt erfasst")
    assert rejected.returncode == 0, rejected.stderr
    assert f"{other}: ready -> rejected" in rejected.stdout

    shown = run(cli_env, "review", "show", other)
    assert shown.returncode == 0, shown.stderr
    for text in ("Titel des Datenbestands", "Haltestellen [/alt]", "abgelehnt (rejected)", "Lizenz",
                 "Datenlizenz Deutschland – Zero – 2.0", "Max Prüfer", "doppelt erfasst", "Versionen", "a.xlsx"):
        assert text in shown.stdout, text

    as_json = json.loads(cli_runner("review", "show", blocked, "--format", "json").output)
    assert as_json["blockers"] == ["personal-data"] and as_json["decisions"] == []
    assert as_json["entry"]["personal_data"] == "yes" and as_json["versions"][0]["version"] == 1
    assert "3 entries" in cli_runner("review", "list").output
    for args, code in [
        (("review", "list", "--city", "augsburg", "--department", "NOPE"), 2),
        (("review", "list", "--state", "done"), 2),
        (("review", "show", "A-STAT-99999"), 2),
        (("review", "approve", other), 2),  # no --by
        (("review", "approve", other, "--by", " "), 2),
        (("review", "reject", other, "--by", "Erika Muster", "--comment", " "), 2),
        (("review", "clear-rights", ok, "--by", "Max Prüfer", "--comment", "x"), 1),  # no third-party rights
        (("review", "withdraw", ok, "--by", "Max Prüfer", "--comment", "x"), 1),  # not published
        (("review", "reopen", ok, "--by", "Max Prüfer"), 0),
    ]:
        assert cli_runner(*args).exit_code == code, args
    store = Store.open(cli_env["INVENTUR_DATABASE_URL"])
    assert [d[0] for d in decisions(store, ok)] == ["approve", "reopen"]
    assert decisions(store, blocked) == []
    store.close()


def test_approved_without_access_url_waits_and_says_so(cli_env: dict[str, str]) -> None:
    """Approving an entry without an access URL is allowed, but the reviewer is told that the portal waits for
    one; `review list` and `review show` say so too. An entry a hard rule blocks waits for nothing."""
    from catalog.dcat.export import SKIP_NO_URL
    from catalog.localtime import local_text
    from catalog.publish.rules import WAITING

    assert SKIP_NO_URL in WAITING  # the export leaves such entries out under the same code
    store = Store.open(cli_env["INVENTUR_DATABASE_URL"])
    with_url = create(store, access_url="https://daten.example.org/haltestellen.csv")
    without = create(store, title="Ohne Adresse")
    blocked = create(store, title="Meldedaten", personal_data="yes")
    store.close()

    done = run(cli_env, "review", "approve", with_url, without, "--by", "Erika Muster")
    assert done.returncode == 0, done.stderr
    notes = [line for line in done.stdout.splitlines() if "not on the portal yet" in line]
    assert len(notes) == 1 and "waits for an access URL" in notes[0]
    assert done.stdout.index(notes[0]) > done.stdout.index(f"{without}: ready -> approved")

    listed = run(cli_env, "review", "list", "--format", "jsonl")
    waiting = {r["identifier"]: r["waiting"] for r in map(json.loads, listed.stdout.splitlines())}
    assert waiting == {with_url: [], without: ["no-access-url"], blocked: []}
    table = run(cli_env, "review", "list").stdout
    assert "waits for" in table
    assert "access URL" in next(line for line in table.splitlines() if without in line)
    assert "access URL" not in next(line for line in table.splitlines() if with_url in line)

    shown = run(cli_env, "review", "show", without)
    assert "Wartet auf" in shown.stdout and "keine Zugangs-URL" in shown.stdout
    # the decision's time as the cities read it (Europe/Berlin), not the stored UTC
    store = Store.open(cli_env["INVENTUR_DATABASE_URL"])
    with store.session() as s:
        decided = s.scalars(select(ReviewDecision.decided_at)).first()
    store.close()
    assert decided is not None
    assert local_text(decided, clock=False) in shown.stdout
    assert decided.strftime("%d.%m.%Y %H:%M") not in shown.stdout


def test_approve_reports_what_the_portal_waits_for(store: Store) -> None:
    without = create(store)
    with_url = create(store, title="Mit Adresse", access_url="https://daten.example.org/x.csv")
    with store.session() as s:
        first = approve(s, without, "Erika Muster")
        second = approve(s, with_url, "Erika Muster")
    assert (first.state_to, first.waiting) == ("approved", ("no-access-url",)) and "access URL" in first.note
    assert (second.state_to, second.waiting, second.note) == ("approved", (), "")
