"""Commands of the review: list, show, approve, reject, clear rights, reopen, withdraw, and review in Excel.

Exit codes: 0 done; 2 bad usage (unknown identifier, missing reviewer or comment, no review
workbook); 1 when some decisions were refused (a hard rule, the entry's state, a stale or edited row).
Every refusal is printed with its reason; nothing refused is written.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from flows.cli.app import CITY_CHOICE, EXIT_FAILED, App, fail, jsonl, pass_app, plain, table

STATE_CHOICE = click.Choice(["new", "needs_changes", "ready", "approved", "rejected", "published", "withdrawn"])


@click.group()
def review() -> None:
    """Review the inventory: a named reviewer approves or rejects each entry.

    Hard rules (personal data, not public, no open licence, attribution missing, third-party rights
    not cleared, open errors) block an approval; no decision overrides them.
    """


def _show(app: App, title: str, columns: list[str], rows: Iterable[Iterable[Any]]) -> None:
    """A table whose cells are shown as written: values from departments may contain ``[...]`` or control
    codes, which :func:`flows.cli.table` shows as text."""
    table(app, title, columns, rows)


def _department(app: App, city: str | None, department: str | None) -> str | None:
    """The department code as stored (checked against the city's list when a city is given)."""
    if department is None:
        return None
    if city is not None:
        return str(app.organisation.department(city, department).code)
    return department.strip().upper()


@review.command("list")
@click.option("--city", type=CITY_CHOICE, help="Only this city.")
@click.option("--department", help="Only this department (its code, see `inventur departments`).")
@click.option("--state", "states", type=STATE_CHOICE, multiple=True, help="Only entries in this state (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["table", "jsonl"]), default="table", show_default=True)
@pass_app
def review_list(app: App, city: str | None, department: str | None, states: tuple[str, ...], fmt: str) -> None:
    """List entries with their review state, open errors and the hard rules that block them."""
    from catalog.review.decisions import review_items

    code = _department(app, city, department)
    size = app.services.settings.chunk_size
    with app.store.session() as session:
        items = review_items(session, city=city, department=code, states=states, chunk_size=size)
        if fmt == "jsonl":  # streamed: one entry after the other, whatever the size of the inventory
            jsonl(item.as_record() for item in items)
            return
        records = [item.as_record() for item in items]
    _show(
        app,
        f"{len(records)} entries",
        ["identifier", "department", "state", "version", "errors", "blockers", "waits for", "last decision", "title"],
        (
            (
                r["identifier"],
                r["department"],
                r["state"] + (" (changed)" if r["changed_since_decision"] else "") + (" (gone)" if r["gone"] else ""),
                r["version"],
                r["open_errors"],
                ", ".join(r["blockers"]),
                ", ".join(WAITS_FOR.get(code, code) for code in r["waiting"]),
                _last(r["last_decision"]),
                r["title"],
            )
            for r in records
        ),
    )


WAITS_FOR = {"no-access-url": "access URL"}


def _last(decision: dict[str, Any] | None) -> str:
    if decision is None:
        return ""
    import datetime as dt

    from catalog.localtime import to_local

    when = decision["decided_at"]
    day = to_local(dt.datetime.fromisoformat(when)).strftime("%Y-%m-%d") if when else ""
    return f"{decision['decision']} by {decision['reviewer']} ({day})"


@review.command("show")
@click.argument("identifier")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@pass_app
def review_show(app: App, identifier: str, fmt: str) -> None:
    """Show one entry: its fields (German labels), open findings, blockers, decisions and versions."""
    from catalog.review.decisions import entry_details

    with app.store.session() as session:
        details = entry_details(session, identifier)  # an unknown identifier is a usage error (exit 2)
        if fmt == "json":
            click.echo(json.dumps(_details_record(details), ensure_ascii=False, indent=2, default=str))
            return
        _print_details(app, details)


def _details_record(details: Any) -> dict[str, Any]:
    from catalog.review.decisions import decision_record

    record = details.item.as_record()
    record["entry"] = details.item.record
    record["findings"] = [
        {"severity": f.severity, "code": f.code, "field": f.field, "message": f.message, "message_en": f.message_en}
        for f in details.findings
    ]
    record["decisions"] = [decision_record(d) for d in details.decisions]
    record["versions"] = [
        {"version": v.version, "created_at": v.created_at, "source_kind": v.source_kind, "source": v.source,
         "sheet": v.sheet, "row": v.row, "content_hash": v.content_hash}
        for v in details.versions
    ]
    return record


def _print_details(app: App, details: Any) -> None:
    from catalog.fields import FIELDS
    from catalog.localtime import local_text
    from catalog.publish.rules import WAITING
    from catalog.review.decisions import DECISION_LABELS, blocker_text, shown_value, state_label

    item = details.item
    entry = item.entry
    try:
        department = f"{entry.department} – {app.organisation.department(entry.city, entry.department).name}"
    except LookupError:
        department = entry.department
    rows: list[tuple[str, Any]] = [
        ("Kennung", entry.identifier),
        ("Stadt", entry.city),
        ("Dienststelle", department),
        ("Status", f"{state_label(entry.status)} ({entry.status})"),
        ("Version", entry.version),
        ("Offene Fehler", item.open_errors),
    ]
    if entry.third_party_rights in ("yes", "unclear"):
        rows.append(("Rechte Dritter geklärt", f"ja (Version {entry.version})" if item.rights_cleared else "nein"))
    rows.append(("Hinderungsgründe", "; ".join(f"{blocker_text(c)} ({c})" for c in item.blockers) or "keine"))
    if item.waiting:
        rows.append(("Wartet auf", "; ".join(WAITING[c][0] for c in item.waiting)))
    if entry.gone_at is not None:
        rows.append(("In der Quelle entfernt", local_text(entry.gone_at, clock=False)))
    rows.extend((spec.label, shown_value(spec.key, entry)) for spec in FIELDS if spec.key != "identifier")
    _show(app, f"{entry.identifier}: {entry.title or ''}", ["Feld", "Wert"], rows)
    if details.findings:
        _show(app, f"{len(details.findings)} offene Befunde", ["Schwere", "Code", "Feld", "Meldung"],
               ((f.severity, f.code, f.field, f.message) for f in details.findings))
    else:
        app.console.print("Keine offenen Befunde.")
    if details.decisions:
        _show(app, "Entscheidungen", ["Zeitpunkt", "Prüfer/in", "Entscheidung", "Status", "Version", "Kommentar"],
               ((local_text(d.decided_at, clock=False), d.reviewer, DECISION_LABELS.get(d.decision, d.decision),
                 f"{d.state_from} → {d.state_to}", d.entry_version, d.comment) for d in details.decisions))
    else:
        app.console.print("Noch keine Entscheidungen.")
    _show(app, "Versionen", ["Version", "Zeitpunkt", "Herkunft", "Quelle", "Zeile", "Prüfsumme"],
           ((v.version, local_text(v.created_at, clock=False), v.source_kind, v.source,
             v.row, v.content_hash[:12]) for v in details.versions))


def _decide(
    app: App,
    identifiers: Sequence[str],
    action: Callable[..., Any],
    reviewer: str,
    comment: str | None,
    *,
    comment_required: bool,
) -> None:
    """Apply ``action`` to each entry in one transaction; refusals are printed and make the exit code 1.

    Unknown identifiers, an empty reviewer name or a missing comment stop the command before anything
    is decided (exit code 2).
    """
    from catalog.protected import ListingRefused
    from catalog.review.decisions import (
        ApprovalRefused,
        InvalidInput,
        ReviewError,
        UnknownEntry,
        find_entry,
        reviewer_name,
    )

    try:
        reviewer_name(reviewer)
    except InvalidInput as exc:
        fail(f"--by: {exc}")
    if comment_required and not (comment or "").strip():
        fail("--comment must not be empty: say why")
    refused = 0
    with app.store.session() as session:
        unknown = []
        for identifier in identifiers:
            try:
                find_entry(session, identifier)
            except UnknownEntry:
                unknown.append(identifier)
        if unknown:
            fail(f"unknown identifier{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}")
        for identifier in identifiers:
            try:
                result = action(session, identifier, reviewer, comment)
            except (ApprovalRefused, ListingRefused) as exc:
                refused += 1
                click.echo(f"refused: {plain(exc)}", err=True)
                click.echo(f"  ({plain(exc.message_de)})", err=True)
                continue
            except ReviewError as exc:
                refused += 1
                click.echo(f"refused: {plain(exc)}", err=True)
                continue
            if result.recorded and result.decision in ("admit-protected", "exclude-protected"):
                click.echo(plain(f"{result.identifier}: {result.decision} (version {result.version})"))
            elif result.recorded:
                click.echo(plain(f"{result.identifier}: {result.state_from} -> {result.state_to} (version {result.version})"))
                if result.waiting:
                    click.echo(plain(f"  not on the portal yet: {result.note}; it is published once the department "
                                     "names one (the DCAT-AP.de catalog leaves it out until then)"))
            else:
                click.echo(plain(f"{result.identifier}: unchanged, {result.note}"))
    if refused:
        click.echo(f"{refused} of {len(identifiers)} refused", err=True)
        sys.exit(EXIT_FAILED)


_BY = click.option("--by", "reviewer", required=True, help="The reviewer's name (who decides).")


@dataclass(frozen=True)
class Decision:
    """One decision command: the library function it calls (``module:function``) and its wording."""

    name: str
    action: str
    help: str
    comment_help: str
    comment_required: bool
    many: bool = True


DECISIONS: tuple[Decision, ...] = (
    Decision("approve", "catalog.review.decisions:approve",
             "Approve entries for publication; refused (exit 1) where a hard rule blocks an entry.",
             "Why (optional).", comment_required=False),
    Decision("reject", "catalog.review.decisions:reject",
             "Reject entries; a published entry becomes withdrawn (taken off the portal by the next publish).",
             "Why the entries are rejected (required).", comment_required=True),
    Decision("clear-rights", "catalog.review.decisions:clear_rights",
             "Record that the third-party rights (yes/unclear) of the entry's current version are cleared.",
             "How the third-party rights were cleared (required).", comment_required=True, many=False),
    Decision("reopen", "catalog.review.decisions:reopen",
             "Undo an approval, rejection or withdrawal; the next validation makes the entry ready again.",
             "Why (optional).", comment_required=False),
    Decision("withdraw", "catalog.review.decisions:withdraw",
             "Withdraw published entries (the next publish takes them off the portal).",
             "Why the entries are taken off the portal (required).", comment_required=True),
    Decision("admit", "catalog.protected:admit",
             "Admit restricted or non-public entries to the list of protected data (DGA Art. 8); refused (exit 1) "
             "where a hard rule keeps an entry out (public, the department refused a listing, open errors, gone).",
             "Why (optional).", comment_required=False),
    Decision("exclude", "catalog.protected:exclude",
             "Keep entries off the list of protected data (e.g. when the description itself reveals protected facts).",
             "Why the entries stay off the list (required).", comment_required=True),
)
"""The review's decisions: each one command, all sharing :func:`decision_command` and :func:`_decide`."""


def decision_command(decision: Decision) -> click.Command:
    """The command of ``decision``: identifiers, ``--by``, ``--comment``; calls its action on each entry."""

    @click.command(decision.name, help=decision.help)
    @click.argument("identifiers" if decision.many else "identifier", nargs=-1 if decision.many else 1,
                    required=True)
    @_BY
    @click.option("--comment", required=decision.comment_required, help=decision.comment_help)
    @pass_app
    def command(app: App, reviewer: str, comment: str | None, **arguments: Any) -> None:
        module, function = decision.action.split(":")
        action = getattr(importlib.import_module(module), function)
        identifiers = arguments["identifiers"] if decision.many else [arguments["identifier"]]
        _decide(app, identifiers, action, reviewer, comment, comment_required=decision.comment_required)

    return command


for _decision in DECISIONS:
    review.add_command(decision_command(_decision))


@review.command("protected")
@click.option("--city", type=CITY_CHOICE, help="Only this city.")
@click.option("--listing", "states", type=click.Choice(["undecided", "admitted", "excluded", "blocked"]), multiple=True,
              help="Only entries in this state on the list (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["table", "jsonl"]), default="table", show_default=True)
@pass_app
def review_protected(app: App, city: str | None, states: tuple[str, ...], fmt: str) -> None:
    """List the restricted and non-public entries: admitted to the list of protected data, excluded,
    undecided, or blocked by a hard rule (and which)."""
    from catalog.protected import listings

    with app.store.session() as session:
        records = [item.as_record() for item in listings(session, city=city) if not states or item.state in states]
    if fmt == "jsonl":
        jsonl(records)
        return
    _show(app, f"{len(records)} restricted or non-public entries",
          ["identifier", "department", "access", "version", "listing", "blockers", "decided by", "title"],
          ((r["identifier"], r["department"], (r["access_rights"] or "").rsplit("/", 1)[-1], r["version"],
            r["listing"], ", ".join(r["blockers"]), r["decided_by"], r["title"]) for r in records))


@review.command("export")
@click.option("--city", type=CITY_CHOICE, required=True, help="The city whose entries are reviewed.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The xlsx file to write.")
@click.option("--department", help="Only this department (its code).")
@click.option("--state", "states", type=STATE_CHOICE, multiple=True,
              help="Entries in this state (repeatable; default: ready).")
@pass_app
def review_export(app: App, city: str, out: Path, department: str | None, states: tuple[str, ...]) -> None:
    """Write a review workbook: the entries ready for review, with a decision and a comment column."""
    from survey.review_workbook import export_review

    if out.suffix.lower() != ".xlsx":
        fail("--out must name an .xlsx file")
    code = _department(app, city, department)
    with app.store.session() as session:
        count = export_review(session, out, city=city, states=states or ("ready",), department=code,
                              organisation=app.organisation, secret_for=app.settings.signing_secret)
    click.echo(f"{count} entries written to {out}", err=True)


@review.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_BY
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@pass_app
def review_import(app: App, file: Path, reviewer: str, fmt: str) -> None:
    """Apply the decisions of a review workbook; stale or edited rows are refused (exit 1), never applied.

    Only a workbook exported by `review export` for its city is accepted (it is signed with the city's
    secret); rows with formulas, changed Kennungen, edited data or entries of another city are refused.
    """
    from catalog.sandbox import ChildFailed, Sandbox
    from survey.review_workbook import import_review, read_review_workbook
    from survey.safety import inspect_file

    limits = app.settings.read_limits()
    check = inspect_file(file, max_bytes=limits.max_file_bytes, max_uncompressed=limits.max_uncompressed)
    if not check.ok:
        fail(f"{file.name}: " + "; ".join(p.message_en for p in check.problems if p.severity == "error"))
    try:
        with Sandbox(limits.child) as sandbox, app.store.session() as session:
            report = import_review(
                session, file, reviewer=reviewer, organisation=app.organisation, secret_for=app.settings.signing_secret,
                read=lambda path: sandbox.call(read_review_workbook, path, limits.sheet),
            )
    except ChildFailed as exc:
        fail(f"{file.name} cannot be read: reading it {exc.detail}")
    counts = report.counts
    if fmt == "json":
        click.echo(json.dumps({"counts": counts, "rows": [
            {"row": o.row, "identifier": o.identifier, "decision": o.decision, "outcome": o.outcome,
             "message": o.message, "message_de": o.message_de} for o in report.outcomes]},
            ensure_ascii=False, indent=2))
    else:
        for outcome in report.outcomes:
            if outcome.outcome == "applied":
                click.echo(f"applied: {plain(outcome.message)}")
        for outcome in report.refused:
            click.echo(f"refused: {plain(outcome.message)}", err=True)
        click.echo(f"{counts['applied']} applied, {counts['refused']} refused, {counts['skipped']} skipped")
    if counts["refused"]:
        sys.exit(EXIT_FAILED)


def register(cli: click.Group) -> None:
    """Add the ``review`` command group to the ``inventur`` command line."""
    cli.add_command(review)

