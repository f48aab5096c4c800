"""Collect filled survey workbooks into the inventory.

Per file, in its own transaction: checksum (the same file twice changes nothing), a kept copy, the
safety checks before any parser runs, the signature and template version, the rows by header label,
normalisation of every value, an identifier for each new row, a new version of each changed entry,
and the findings on their cells; the rows take the ingest path harvested records take too
(:mod:`catalog.ingest`). A bad file gets its finding and the run goes on with the next one.

Only what was given is read: a file is opened without following a symbolic link, a link inside a given
folder is followed only to a file in that folder, and devices or pipes are refused. Workbooks are read
in a :class:`catalog.sandbox.Sandbox` (a child process with a memory limit and a deadline) after their
extent is checked, so no workbook can take the run down; whatever else goes wrong with one file becomes
a finding for that file. Kept copies are readable by the service's user only.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import os
import shutil
import stat
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from catalog import ingest
from catalog.fields import BY_KEY, LATER_KEYS
from catalog.findings import Finding, finding
from catalog.inventory import Source, add_findings
from catalog.models import Campaign, Entry, FindingRow, ReceivedFile
from catalog.normalise import Normalised, Normaliser
from catalog.organisation import Organisation, UnknownCity, UnknownDepartment
from catalog.sandbox import ChildFailed, ChildLimits, Sandbox
from catalog.sheets import SheetLimits
from catalog.store import Store, StoreUnavailable
from survey.reader import (
    ENTRY_SHEET,
    RawRow,
    ReadWorkbook,
    WorkbookTooLarge,
    WorkbookUnreadable,
    read_meta,
    read_workbook,
)
from survey.safety import DEFAULT_MAX_BYTES, DEFAULT_MAX_UNCOMPRESSED, FileDigest, inspect_file
from survey.signature import READABLE_VERSIONS, TEMPLATE_VERSION, Meta, verify

READ_STAGES = ("read", "normalise")
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv")
_CHUNK = 1024 * 1024

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReadLimits:
    """The bounds of reading one received file: its size, unpacked size, sheet extent, and the reading
    process's memory and time."""

    max_file_bytes: int = DEFAULT_MAX_BYTES
    max_uncompressed: int = DEFAULT_MAX_UNCOMPRESSED
    sheet: SheetLimits = field(default_factory=SheetLimits)
    child: ChildLimits = field(default_factory=ChildLimits)


@dataclass(frozen=True)
class Refused:
    """A path that was given or found but is not read: a link out of its folder, a device, a pipe."""

    path: Path
    reason: str
    reason_de: str


@dataclass
class FileOutcome:
    """What happened to one received file."""

    path: Path
    name: str
    sha256: str
    status: str  # read, rejected, duplicate, refused (not read: a link out of its folder, a device)
    file_id: int | None = None
    city: str | None = None
    department: str | None = None
    campaign: str | None = None
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    findings: list[Finding] = field(default_factory=list)
    """The file's own findings (its refusal or rejection, its sheets and columns, rows not taken)."""
    cell_findings: int = 0
    """How many findings were stored on the cells of the file's entries (counted, not kept: a large
    campaign has hundreds of thousands)."""
    entry_ids: list[int] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # per stage: check, read, normalise, store

    @property
    def finding_count(self) -> int:
        """All findings of the file: its own and those on its entries' cells."""
        return len(self.findings) + self.cell_findings

    def timed(self, stage: str, started: float) -> None:
        """Add the time since ``started`` (``time.perf_counter()``) to ``stage``."""
        self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - started


@dataclass
class CollectReport:
    outcomes: list[FileOutcome]
    run_id: int | None
    seconds: float

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def entry_ids(self) -> list[int]:
        return [i for o in self.outcomes for i in o.entry_ids]

    def stage_seconds(self) -> dict[str, float]:
        """Seconds spent per stage over all files: safety check and checksum, reading, normalising, storing."""
        out = dict.fromkeys(("check", "read", "normalise", "store"), 0.0)
        for outcome in self.outcomes:
            for stage, seconds in outcome.seconds.items():
                out[stage] = out.get(stage, 0.0) + seconds
        return out

    def totals(self) -> dict[str, int]:
        return {
            "files": len(self.outcomes),
            "read": self.count("read"),
            "rejected": self.count("rejected"),
            "duplicate": self.count("duplicate"),
            "refused": self.count("refused"),
            "rows": sum(o.rows for o in self.outcomes),
            "created": sum(o.created for o in self.outcomes),
            "updated": sum(o.updated for o in self.outcomes),
            "unchanged": sum(o.unchanged for o in self.outcomes),
            "findings": sum(o.finding_count for o in self.outcomes),
        }


def expand_paths(paths: Sequence[Path]) -> list[Path]:
    """Files as given, and the workbooks inside given folders (recursively), without lock files."""
    return gather(paths)[0]


def gather(paths: Sequence[Path]) -> tuple[list[Path], list[Refused]]:
    """The files to read (as given, and the workbooks inside given folders) and the paths refused.

    Symbolic links are not followed out of where they were given: a link inside a folder counts only
    when it leads to a file inside that folder, a link given itself only when it leads to a file in
    its own folder. What is no regular file (a device, a pipe) is refused.
    """
    files: list[Path] = []
    refused: list[Refused] = []
    for path in paths:
        if path.is_dir():
            found, out = _folder_files(path)
            files += found
            refused += out
            continue
        problem = _outside(path, path.parent)
        if problem is None:
            files.append(path)
        else:
            refused.append(Refused(path, *problem))
    return files, refused


def _folder_files(folder: Path) -> tuple[list[Path], list[Refused]]:
    root = folder.resolve()
    files: list[Path] = []
    refused: list[Refused] = []
    for current, _dirs, names in os.walk(folder, followlinks=False):
        for name in names:
            path = Path(current) / name
            if name.startswith(("~$", ".~lock", ".")) or path.suffix.lower() not in WORKBOOK_SUFFIXES:
                continue
            problem = _outside(path, root)
            if problem is None:
                files.append(path)
            else:
                refused.append(Refused(path, *problem))
    return sorted(files), sorted(refused, key=lambda r: r.path)


def _outside(path: Path, root: Path) -> tuple[str, str] | None:
    """Why ``path`` is not read (English, German), or None when it is a regular file within ``root``."""
    try:
        mode = path.lstat().st_mode
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})", "Sie lässt sich nicht lesen."
    if stat.S_ISLNK(mode):
        target = path.resolve()
        if not target.is_relative_to(root.resolve()):
            return (f"a symbolic link to {target}, outside {root.resolve()}",
                    "Sie ist eine Verknüpfung auf eine Datei außerhalb des angegebenen Ordners.")
        try:
            mode = target.stat().st_mode
        except OSError:
            return "a symbolic link to nothing", "Sie ist eine Verknüpfung, die ins Leere zeigt."
    if not stat.S_ISREG(mode):
        return "not a regular file (a device, pipe or socket)", "Sie ist keine gewöhnliche Datei."
    return None


@contextlib.contextmanager
def _open_regular(path: Path) -> Iterator[IO[bytes]]:
    """``path`` opened for reading without following a link in its last part, and only as a regular file
    (a link checked by :func:`gather` is opened at its target)."""
    real = path.resolve() if path.is_symlink() else path
    handle = os.fdopen(os.open(real, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)), "rb")
    try:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise IsADirectoryError(f"{path} is not a regular file")
        yield handle
    finally:
        handle.close()


def _digest(handle: IO[bytes]) -> FileDigest:
    digest = hashlib.sha256()
    size = 0
    while chunk := handle.read(_CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return FileDigest(digest.hexdigest(), size)


def _store_failure(exc: BaseException) -> bool:
    """Whether ``exc`` means the store itself cannot be used (then the run stops), not this file."""
    if isinstance(exc, (StoreUnavailable, OperationalError, InterfaceError)):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


class Collector:
    """Reads workbooks into one store; ``secret_for(city)`` gives the city's signing secret."""

    def __init__(
        self,
        store: Store,
        organisation: Organisation,
        *,
        secret_for: Callable[[str], bytes],
        files_dir: Path,
        today: dt.date | None = None,
        limits: ReadLimits | None = None,
    ) -> None:
        self.store = store
        self.organisation = organisation
        self.secret_for = secret_for
        self.files_dir = files_dir
        self.today = today or dt.date.today()
        self.normaliser = Normaliser(today=self.today)
        self.limits = limits or ReadLimits()
        self._sandbox: Sandbox | None = None

    @property
    def sandbox(self) -> Sandbox:
        """The child process that reads workbooks (started on first use, kept for the next files)."""
        if self._sandbox is None:
            self._sandbox = Sandbox(self.limits.child, preload=("survey.reader",))
        return self._sandbox

    def close(self) -> None:
        """End the reading process."""
        if self._sandbox is not None:
            self._sandbox.close()
            self._sandbox = None

    def collect(self, paths: Sequence[Path], *, sender: str | None = None, source: Callable[[Path], str] | None = None) -> CollectReport:
        """Collect every file of ``paths`` (files or folders)."""
        started = time.perf_counter()
        with self.store.session() as session:
            run_id = ingest.open_run(session, "collect")
        files, refused = gather(paths)
        outcomes = [self.refuse(r, run_id=run_id) for r in refused]
        outcomes += [self.collect_file(p, sender=sender, source=source(p) if source else str(p), run_id=run_id,
                                       checked=True) for p in files]
        report = CollectReport(outcomes, run_id, time.perf_counter() - started)
        with self.store.session() as session:
            ingest.close_run(session, run_id, report.totals())
        return report

    def refuse(self, refused: Refused, *, run_id: int | None = None) -> FileOutcome:
        """Record a path that is not read (a link out of its folder, a device): a finding, nothing kept."""
        problem = finding("file-refused", value=refused.path.name, reason=refused.reason,
                          reason_de=refused.reason_de).at(file=refused.path.name)
        outcome = FileOutcome(path=refused.path, name=refused.path.name, sha256="", status="refused",
                              findings=[problem])
        with self.store.session() as session:
            add_findings(session, [problem], stage="read", run_id=run_id)
        return outcome

    def collect_file(self, path: Path, *, sender: str | None = None, source: str | None = None, run_id: int | None = None,
                     checked: bool = False) -> FileOutcome:
        """Collect one file; never raises for what is wrong with the file itself (only when the store fails).

        A path not ``checked`` by :func:`gather` is read only when it is a regular file, or a link to one in
        its own folder.
        """
        started = time.perf_counter()
        problem = None if checked else _outside(path, path.parent)
        if problem is not None:
            return self.refuse(Refused(path, *problem), run_id=run_id)
        try:
            with _open_regular(path) as handle:
                digest = _digest(handle)
                outcome = FileOutcome(path=path, name=path.name, sha256=digest.sha256, status="read")
                outcome.timed("check", started)
                return self._guarded(handle, path, digest, outcome, sender, source, run_id)
        except OSError as exc:
            return self.refuse(Refused(path, f"cannot be read ({exc.strerror or exc})", "Sie lässt sich nicht lesen."),
                               run_id=run_id)

    def _guarded(self, handle: IO[bytes], path: Path, digest: FileDigest, outcome: FileOutcome, sender: str | None,
                 source: str | None, run_id: int | None) -> FileOutcome:
        """:meth:`_collect_file`, with whatever goes wrong with this one file turned into its finding."""
        try:
            return self._collect_file(handle, path, digest, outcome, sender, source, run_id)
        except IntegrityError:
            # another collector stored the same file at the same moment: it is a duplicate now
            with self.store.session() as session:
                known = session.scalar(select(ReceivedFile).where(ReceivedFile.sha256 == digest.sha256))
            if known is None:
                raise
            outcome.status, outcome.file_id = "duplicate", known.id
            outcome.city, outcome.department, outcome.findings = known.city, known.department, []
            return outcome
        except Exception as exc:
            if _store_failure(exc):
                raise
            log.exception("collecting %r failed", outcome.name)
            return self._failed(handle, path, digest, outcome, sender, source, run_id, exc)

    def _failed(self, handle: IO[bytes], path: Path, digest: FileDigest, outcome: FileOutcome, sender: str | None,
                source: str | None, run_id: int | None, exc: Exception) -> FileOutcome:
        """Keep the file and record one finding for it when reading it failed in an unforeseen way."""
        problem = finding(
            "file-unreadable", reason=f"{type(exc).__name__}: {str(exc)[:300]}",
            reason_de="Beim Lesen ist ein Fehler aufgetreten. Bitte speichern Sie die Datei erneut als Excel-Arbeitsmappe "
                      "(.xlsx) und senden Sie sie noch einmal; bleibt der Fehler, melden Sie sich beim Open-Data-Team.",
        ).at(file=outcome.name)
        fresh = FileOutcome(path=path, name=outcome.name, sha256=digest.sha256, status="rejected",
                            findings=[problem], seconds=outcome.seconds)
        with self.store.session() as session:
            stored = self._keep(handle, path, digest.sha256)
            received = ReceivedFile(
                sha256=digest.sha256, size=digest.size, original_name=path.name, source=source or str(path),
                sender=sender, stored_path=str(stored), run_id=run_id, status="rejected",
            )
            session.add(received)
            session.flush()
            fresh.file_id = received.id
            add_findings(session, [problem], stage="read", run_id=run_id, file_id=received.id)
        return fresh

    def _collect_file(self, handle: IO[bytes], path: Path, digest: FileDigest, outcome: FileOutcome,
                      sender: str | None, source: str | None, run_id: int | None) -> FileOutcome:
        with self.store.session() as session:
            known = session.scalar(select(ReceivedFile).where(ReceivedFile.sha256 == digest.sha256))
            if known is not None:
                outcome.status, outcome.file_id = "duplicate", known.id
                outcome.city, outcome.department = known.city, known.department
                return outcome
            stored = self._keep(handle, path, digest.sha256)
            received = ReceivedFile(
                sha256=digest.sha256, size=digest.size, original_name=path.name, source=source or str(path),
                sender=sender, stored_path=str(stored), run_id=run_id, status="received",
            )
            session.add(received)
            session.flush()
            outcome.file_id = received.id
            self._read_into(session, received, stored, outcome, run_id)
        return outcome

    def _keep(self, handle: IO[bytes], path: Path, sha256: str) -> Path:
        """A copy of the received file under its checksum, readable by this service's user only:
        nothing a department sent is lost."""
        folder = self.files_dir / sha256[:2]
        target = folder / f"{sha256}{path.suffix.lower() or '.bin'}"
        if not target.exists():
            for part in (self.files_dir, folder):
                part.mkdir(mode=0o700, parents=True, exist_ok=True)
                if stat.S_IMODE(part.stat().st_mode) != 0o700:
                    part.chmod(0o700)
            tmp = target.with_suffix(target.suffix + ".part")
            handle.seek(0)
            with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as out:
                shutil.copyfileobj(handle, out, _CHUNK)
            tmp.chmod(0o600)
            tmp.replace(target)
        return target

    def _reject(self, session: Session, received: ReceivedFile, outcome: FileOutcome, problems: list[Finding], run_id: int | None) -> None:
        received.status = "rejected"
        where = {"file": outcome.name, "city": outcome.city, "department": outcome.department}
        located = [f.at(**{k: v for k, v in where.items() if getattr(f, k) is None}) for f in problems]
        outcome.status = "rejected"
        outcome.findings += located
        add_findings(session, located, stage="read", run_id=run_id, file_id=received.id)

    def read(self, stored: Path, file_name: str) -> tuple[ReadWorkbook | Finding, Meta | None]:
        """The workbook read in the sandbox within the limits, or the one finding why it cannot be, with its
        ``Meta`` values when they could be read (then the department still learns why)."""
        try:
            book = self.sandbox.call(read_workbook, stored, file_name=file_name, limits=self.limits.sheet)
            return book, book.meta
        except WorkbookTooLarge as exc:
            return finding("file-too-large", reason=str(exc), reason_de=exc.message_de), exc.meta
        except WorkbookUnreadable as exc:
            return finding("file-unreadable", reason=str(exc), reason_de="Die Arbeitsmappe ist beschädigt oder kein "
                           "Excel-Format. Bitte speichern Sie sie erneut als .xlsx."), None
        except ChildFailed as exc:
            if exc.kind == "crashed":
                problem = finding("file-unreadable", reason=f"the reader crashed: {exc.detail}",
                                  reason_de="Die Arbeitsmappe lässt sich nicht lesen. Bitte speichern Sie sie erneut "
                                  "als .xlsx.")
            else:
                limit = (f"mehr als {self.limits.child.memory_mb} MB Arbeitsspeicher" if exc.kind == "memory"
                         else f"länger als {self.limits.child.seconds:g} Sekunden")
                problem = finding("file-too-large", reason=f"reading {exc.detail}",
                                  reason_de=f"Das Lesen der Arbeitsmappe bräuchte {limit}. Bitte löschen Sie leere Zeilen, "
                                  "Spalten und Tabellenblätter außerhalb Ihrer Einträge und senden Sie die Datei erneut.")
            try:
                meta = self.sandbox.call(read_meta, stored, limits=self.limits.sheet)
            except (ChildFailed, WorkbookUnreadable):
                meta = None
            return problem, meta

    def _read_into(self, session: Session, received: ReceivedFile, stored: Path, outcome: FileOutcome, run_id: int | None) -> None:
        started = time.perf_counter()
        check = inspect_file(stored, max_bytes=self.limits.max_file_bytes, max_uncompressed=self.limits.max_uncompressed)
        outcome.timed("check", started)
        if not check.ok:
            self._reject(session, received, outcome, check.findings(file=outcome.name), run_id)
            return
        warnings = check.findings(file=outcome.name)
        started = time.perf_counter()
        book, meta = self.read(stored, outcome.name)
        if isinstance(book, Finding):
            problems = [book]
            if meta is not None:  # the department that sent it learns why (a signature that fails is said too)
                meta_problem = self._check_meta(meta, outcome)
                if meta_problem is None:
                    received.city, received.department = meta.city, meta.department
                    received.campaign, received.template_version = meta.campaign, meta.survey_version
                else:
                    problems.append(meta_problem)
            self._reject(session, received, outcome, problems, run_id)
            return
        meta_problem = self._check_meta(book.meta, outcome)
        outcome.timed("read", started)
        if meta_problem is not None:
            self._reject(session, received, outcome, [meta_problem], run_id)
            return
        assert book.meta is not None
        received.city, received.department = book.meta.city, book.meta.department
        received.campaign, received.template_version = book.meta.campaign, book.meta.survey_version
        if not book.sheet_found or not book.header_found:
            self._reject(session, received, outcome, [*warnings, *book.findings], run_id)
            return
        if session.get(Campaign, book.meta.campaign) is None:
            session.add(Campaign(id=book.meta.campaign))
        self._close_earlier_file_findings(session, received)
        file_findings = [f.at(city=outcome.city, department=outcome.department) for f in [*warnings, *book.findings]]
        started = time.perf_counter()
        geocoding = self.organisation.city(book.meta.city).geocoding_uri
        read = [(raw, ingest.normalise(self.normaliser, raw.values, geocoding)) for raw in book.rows]
        outcome.timed("normalise", started)
        started = time.perf_counter()
        # columns added to the survey after the workbook's template version: their values stay as they were
        kept = tuple(k for k in LATER_KEYS if k not in book.columns)
        self._store_rows(session, received, read, outcome, run_id, file_findings, kept)
        outcome.timed("store", started)
        received.status = "read"
        received.rows = outcome.rows

    def _check_meta(self, meta: Meta | None, outcome: FileOutcome) -> Finding | None:
        if meta is None:
            return finding("signature-invalid", reason="the Meta sheet is missing or incomplete")
        outcome.city, outcome.department, outcome.campaign = meta.city, meta.department, meta.campaign
        try:
            self.organisation.department(meta.city, meta.department)
        except (UnknownCity, UnknownDepartment) as exc:
            outcome.city = outcome.department = None
            return finding("signature-invalid", reason=str(exc))
        if not verify(meta, self.secret_for(meta.city)):
            return finding("signature-invalid", reason=f"signature does not match {meta.city}/{meta.department}")
        if meta.survey_version not in READABLE_VERSIONS:
            return finding("template-outdated", value=meta.survey_version, current=TEMPLATE_VERSION)
        return None

    def _close_earlier_file_findings(self, session: Session, received: ReceivedFile) -> None:
        """A readable file from a department supersedes the file-level findings of its earlier files."""
        earlier = session.scalars(
            select(ReceivedFile.id).where(
                ReceivedFile.city == received.city, ReceivedFile.department == received.department,
                ReceivedFile.id != received.id,
            )
        ).all()
        if earlier:
            session.execute(
                update(FindingRow)
                .where(FindingRow.file_id.in_(earlier), FindingRow.entry_id.is_(None), FindingRow.is_open.is_(True))
                .values(is_open=False)
            )

    def _store_rows(self, session: Session, received: ReceivedFile, read: list[tuple[RawRow, Normalised]], outcome: FileOutcome,
                    run_id: int | None, file_findings: list[Finding], kept: tuple[str, ...] = ()) -> None:
        """Identify each row (the Kennung it gives, or a new one), save the rows through the ingest path and
        record their findings; a row whose Kennung is wrong is not saved and reported on the file."""
        city, department = received.city or "", received.department or ""
        where = {"file": outcome.name, "sheet": ENTRY_SHEET, "city": city, "department": department}
        known = self._known_entries(session, city, department, {n.values["identifier"] for _, n in read if n.values.get("identifier")})
        seen: set[str] = set()
        pending_file: list[Finding] = list(file_findings)
        # rows in order: an entry that exists (saved as a new version when changed) or one to create
        rows: list[tuple[ingest.Incoming, list[Finding]]] = []
        fresh = ingest.identifiers(session, self.organisation, city, department,
                                   sum(1 for _, n in read if not n.values.get("identifier")))
        for raw, normalised in read:
            outcome.rows += 1
            identifier = normalised.values.get("identifier")
            problem = self._identifier_problem(session, identifier, known, seen, city, department)
            if problem is not None:
                pending_file.append(self._locate(problem, raw, where))
                pending_file += [self._locate(f, raw, where) for f in normalised.findings]
                continue
            entry = known[identifier] if identifier else None
            identifier = identifier or next(fresh)
            cell_findings = [self._locate(f, raw, where, identifier=identifier) for f in normalised.findings]
            values = dict(normalised.values)
            if entry is not None:
                seen.add(identifier)
                for key in kept:
                    values[key] = getattr(entry, key)
            source = Source("survey", outcome.name, file_id=received.id, sheet=ENTRY_SHEET, row=raw.row, run_id=run_id)
            rows.append((ingest.Incoming(values, source, city, department, entry=entry, identifier=identifier,
                                         raw=ingest.jsonable(raw.values)), cell_findings))
        saved = ingest.save(session, [item for item, _ in rows], organisation=self.organisation)
        for result in saved:
            outcome.created += int(result.created)
            outcome.updated += int(result.changed and not result.created)
            outcome.unchanged += int(not result.changed)
            outcome.entry_ids.append(result.entry.id)
        touched = [(result.entry, cell_findings) for result, (_item, cell_findings) in zip(saved, rows, strict=True)]
        ingest.record_findings(session, touched, stage="normalise", run_id=run_id, file_id=received.id,
                               superseding=[r.entry.id for r in saved if not r.created], stages=READ_STAGES)
        outcome.cell_findings += sum(len(found) for _entry, found in touched)
        ingest.record_findings(session, [(None, pending_file)], stage="read", run_id=run_id, file_id=received.id)
        outcome.findings += pending_file

    @staticmethod
    def _known_entries(session: Session, city: str, department: str, identifiers: set[str]) -> dict[str, Entry]:
        """The department's entries among ``identifiers`` (the Kennungen a returned file lists)."""
        known: dict[str, Entry] = {}
        wanted = sorted(identifiers)
        for start in range(0, len(wanted), 5000):  # bounded IN lists (SQLite limits bound parameters)
            query = select(Entry).where(
                Entry.city == city, Entry.department == department, Entry.identifier.in_(wanted[start:start + 5000])
            )
            known.update((e.identifier, e) for e in session.scalars(query))
        return known

    @staticmethod
    def _locate(found: Finding, raw: RawRow, where: dict[str, Any], **more: Any) -> Finding:
        column = raw.columns.get(found.field or "") if found.field else None
        return found.at(row=raw.row, column=column or found.column, **where, **more)

    @staticmethod
    def _identifier_problem(session: Session, identifier: str | None, known: dict[str, Entry], seen: set[str],
                            city: str, department: str) -> Finding | None:
        if not identifier:
            return None
        spec = BY_KEY["identifier"]
        if identifier in seen:
            return finding("duplicate-identifier", value=identifier, field=spec.key)
        if identifier in known:
            return None
        other = session.scalar(select(Entry).where(Entry.identifier == identifier))
        if other is not None:
            return finding("identifier-foreign", value=identifier, field=spec.key)
        return finding("identifier-unknown", value=identifier, field=spec.key)

