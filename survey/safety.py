"""Check a received file before any spreadsheet parser touches it.

Departments send what their desktop produced: sometimes an old ``.xls``, a CSV renamed to
``.xlsx``, a LibreOffice ``.ods``, a PDF, a password-protected or macro-enabled workbook, a
half-copied file. Spreadsheet parsers react to these with obscure exceptions, and to a
crafted zip with unbounded memory use. `inspect_file` looks at the bytes only (never the file
name), reads the zip's central directory for the declared sizes *before* anything is
decompressed, and reports what it found as problems with a stable code and a polite German
message that tells the data officer what to do.

A file passes (`FileCheck.ok`) when it is an xlsx workbook that a parser can open safely;
warnings (e.g. embedded objects) do not block it.
"""

from __future__ import annotations

import hashlib
import re
import struct
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple

from catalog.findings import Finding, finding, registered, worded

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_MEMBERS",
    "DEFAULT_MAX_RATIO",
    "DEFAULT_MAX_UNCOMPRESSED",
    "FileCheck",
    "FileDigest",
    "FileProblem",
    "file_digest",
    "inspect_file",
]

MiB = 1024 * 1024
DEFAULT_MAX_BYTES = 20 * MiB
DEFAULT_MAX_UNCOMPRESSED = 200 * MiB
DEFAULT_MAX_RATIO = 100.0
DEFAULT_MAX_MEMBERS = 10_000

Severity = Literal["error", "warning"]

_HEAD_BYTES = 8192
_QUOTED = re.compile(r'"[^"]*"')  # a quoted CSV field may contain the separator
_CHUNK = MiB
# Compression ratios of small members say nothing: a 50 KB styles.xml may well compress 100:1.
# A member must be this large before its ratio counts; a bomb needs size to do harm anyway.
_RATIO_MIN_BYTES = MiB
_MAX_SMALL_PART = 4 * MiB  # [Content_Types].xml and mimetype are tiny in real files

_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_ODF_MIMETYPE_PREFIX = b"application/vnd.oasis.opendocument."

# What zipfile raises for damaged, truncated, encrypted or exotic (e.g. Deflate64) archives.
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,
    RuntimeError,
)
_REQUIRED_PARTS = ("[content_types].xml", "xl/workbook.xml")
_MACRO_PARTS = ("xl/vbaproject.bin", "xl/vbaprojectsignature.bin")
_MACRO_FOLDERS = ("xl/macrosheets/", "xl/dialogsheets/")
_EMBEDDED_FOLDERS = {
    "xl/externallinks/": ("Verknüpfungen zu anderen Dateien", "links to other files"),
    "xl/embeddings/": ("eingebettete Objekte", "embedded objects"),
    "xl/activex/": ("ActiveX-Steuerelemente", "ActiveX controls"),
    "xl/connections.xml": ("Datenverbindungen", "data connections"),
}

# Recognisable non-workbook files: magic prefix, kind, German and English description.
_FOREIGN_MAGICS: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "pdf"),
    (b"{\\rtf", "rtf"),
    (b"\x89PNG\r\n\x1a\n", "image"),
    (b"\xff\xd8\xff", "image"),
    (b"GIF87a", "image"),
    (b"GIF89a", "image"),
    (b"\x1f\x8b", "archive"),
    (b"7z\xbc\xaf\x27\x1c", "archive"),
    (b"Rar!\x1a\x07", "archive"),
)
_KIND_LABELS: dict[str, tuple[str, str]] = {
    "pdf": ("ein PDF-Dokument", "a PDF document"),
    "html": ("eine Webseite (HTML)", "a web page (HTML)"),
    "xml": ("eine XML-Datei", "an XML file"),
    "rtf": ("ein Textdokument (RTF)", "a text document (RTF)"),
    "image": ("ein Bild", "an image"),
    "archive": ("ein gepacktes Archiv", "a compressed archive"),
    "docx": ("ein Word-Dokument", "a Word document"),
    "pptx": ("eine PowerPoint-Präsentation", "a PowerPoint presentation"),
    "doc": ("ein Word-Dokument im alten Format (.doc)", "a legacy Word document (.doc)"),
    "odf": ("ein OpenDocument-Text oder eine -Präsentation", "an OpenDocument text or presentation"),
    "text": ("eine Textdatei", "a text file"),
    "unknown": ("eine Datei unbekannten Formats", "a file of unknown format"),
}

_ASK_XLSX_DE = "Bitte senden Sie den ausgefüllten Fragebogen als Excel-Arbeitsmappe (.xlsx)."
_ASK_XLSX_EN = "The department should send the filled survey as an Excel workbook (.xlsx)."
_ASK_RESAVE_DE = (
    "Bitte öffnen Sie Ihre Datei in Excel oder LibreOffice, speichern Sie sie erneut als "
    "Excel-Arbeitsmappe (.xlsx) und legen Sie sie noch einmal ab."
)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class FileProblem:
    """One thing wrong with a received file: a stable code, a severity and messages.

    `message` is German, for the department's data officer; `message_en` for operators.
    """

    code: str
    severity: Severity
    message: str
    message_en: str

    def __post_init__(self) -> None:
        registered(self.code)  # every code is declared in catalog.findings

    def as_finding(self, **where: Any) -> Finding:
        """This problem as the one file-level finding of SURVEY.md, with `where` (file, city, ...) set."""
        return Finding(self.code, self.severity, self.message, self.message_en).at(**where)


@dataclass(frozen=True)
class FileCheck:
    """What `inspect_file` found: the real kind of file and its problems.

    `kind` is detected from the bytes: ``xlsx``, ``xlsm``, ``xlsb``, ``xls``, ``encrypted``,
    ``ods``, ``odf``, ``docx``, ``pptx``, ``doc``, ``zip``, ``csv``, ``text``, ``pdf``,
    ``html``, ``xml``, ``rtf``, ``image``, ``archive``, ``empty`` or ``unknown``.
    """

    path: Path
    kind: str
    size: int
    problems: list[FileProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True if no problem is an error: the file may be given to a spreadsheet parser."""
        return not any(p.severity == "error" for p in self.problems)

    @property
    def codes(self) -> list[str]:
        """The problem codes, in the order found."""
        return [p.code for p in self.problems]

    def findings(self, **where: Any) -> list[Finding]:
        """The problems as findings, each with `where` (e.g. file, city, department) filled in."""
        return [problem.as_finding(**where) for problem in self.problems]


class FileDigest(NamedTuple):
    """Checksum and size of a file, as recorded for every received file."""

    sha256: str
    size: int


@dataclass(frozen=True)
class _Limits:
    max_uncompressed: int
    max_ratio: float
    max_members: int


class _Ole2Error(ValueError):
    """An OLE2 compound file whose structure cannot be followed."""


# --------------------------------------------------------------------------- public API


def file_digest(path: Path, *, chunk_size: int = _CHUNK) -> FileDigest:
    """SHA-256 (hex) and size of `path`, read in chunks so memory stays flat for any size."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
            size += len(chunk)
    return FileDigest(digest.hexdigest(), size)


def inspect_file(
    path: Path,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_uncompressed: int = DEFAULT_MAX_UNCOMPRESSED,
    max_ratio: float = DEFAULT_MAX_RATIO,
    max_members: int = DEFAULT_MAX_MEMBERS,
) -> FileCheck:
    """Check that `path` is a workbook a spreadsheet parser can open safely.

    Looks at the bytes, never at the file name. The zip's declared sizes are checked before
    anything is decompressed; only then are the members read once, streaming, to verify their
    checksums (bounded by `max_uncompressed`). Raises OSError only if `path` cannot be read.
    """
    size = path.stat().st_size
    if size == 0:
        return FileCheck(path, "empty", 0, [_empty()])
    head = _read_head(path)
    if size > max_bytes:
        return FileCheck(path, _sniff_kind(head), size, [_too_large_file(size, max_bytes)])
    if head.startswith(_ZIP_MAGICS):
        kind, problems = _inspect_zip(path, size, _Limits(max_uncompressed, max_ratio, max_members))
    elif head.startswith(_OLE2_MAGIC):
        kind, problems = _inspect_ole2(path)
    else:
        kind = _sniff_kind(head)
        problems = [_not_a_workbook(kind)]
    return FileCheck(path, kind, size, problems)


# --------------------------------------------------------------------------- sniffing


def _read_head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(_HEAD_BYTES)


def _sniff_kind(head: bytes) -> str:
    """The kind of file from its first bytes (for files that are not zip or OLE2 workbooks)."""
    if head.startswith(_ZIP_MAGICS):
        return "zip"
    if head.startswith(_OLE2_MAGIC):
        return "xls"
    for magic, kind in _FOREIGN_MAGICS:
        if head.startswith(magic):
            return kind
    text = _decode_text(head)
    if text is None:
        return "unknown"
    return _text_kind(text)


def _decode_text(head: bytes) -> str | None:
    """`head` as text if it plausibly is text (UTF-8/16 or Windows-1252), else None."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    elif b"\x00" in head:
        return None
    else:
        candidates = ["utf-8-sig", "cp1252"]
    for encoding in candidates:
        try:
            text = _decode_prefix(head, encoding)
        except UnicodeDecodeError:
            continue
        printable = sum(1 for c in text if c.isprintable() or c in "\r\n\t")
        if text and printable / len(text) >= 0.95:
            return text
    return None


def _decode_prefix(head: bytes, encoding: str) -> str:
    """Decode `head`; if it was cut from a longer file, a character split at the end is dropped."""
    cuts = range(4) if len(head) == _HEAD_BYTES else range(1)
    error: UnicodeDecodeError | None = None
    for cut in cuts:
        try:
            return head[: len(head) - cut].decode(encoding)
        except UnicodeDecodeError as exc:
            error = exc
    assert error is not None
    raise error


def _text_kind(text: str) -> str:
    """``html``, ``xml``, ``csv`` or ``text`` for a decoded text head."""
    start = text.lstrip().lower()
    if start.startswith(("<!doctype html", "<html")) or "<html" in start[:1024] or "<table" in start[:1024]:
        return "html"
    if start.startswith("<?xml") or start.startswith("<"):
        return "xml"
    return "csv" if _looks_like_csv(text) else "text"


def _looks_like_csv(text: str) -> bool:
    """Whether `text` reads as delimited rows: one separator (; , tab |) with the same count in most lines.

    Prose has commas too, but not the same number in every line; a single line only counts
    with at least two semicolons or tabs.
    """
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) > 1 and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # the head may have cut the last line
    lines = lines[:50]
    if len(lines) == 1:
        return lines[0].count(";") >= 2 or lines[0].count("\t") >= 2
    for separator in ";,\t|":
        counts = Counter(_QUOTED.sub("", line).count(separator) for line in lines)
        count, lines_with_count = counts.most_common(1)[0]
        if count >= 1 and 0 not in counts and lines_with_count >= 0.8 * len(lines):
            return True
    return False


# --------------------------------------------------------------------------- zip


def _inspect_zip(path: Path, size: int, limits: _Limits) -> tuple[str, list[FileProblem]]:
    """Kind and problems of a zip container (xlsx, xlsm, ods, docx, a plain zip ...)."""
    kind = "zip"
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            names = {info.filename.lower(): info for info in infos}  # OPC part names ignore case
            kind = _zip_kind_from_names(names)
            twice = _duplicated_part(infos)
            if twice is not None:
                return kind, [_damaged(twice)]
            # Before anything is decompressed: count and declared sizes from the central directory.
            too_large = _check_declared_sizes(infos, size, limits)
            if too_large is not None:
                return kind, [too_large]
            if any(info.flag_bits & 0x1 for info in infos):
                return kind, [_encrypted()]
            kind = _zip_kind(archive, names)
            return kind, _workbook_problems(archive, infos, names, kind)
    except _ZIP_ERRORS as exc:
        return kind, [_damaged(f"{type(exc).__name__}: {exc}")]


def _workbook_problems(
    archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], names: dict[str, zipfile.ZipInfo], kind: str
) -> list[FileProblem]:
    """Problems of a zip whose declared sizes are safe: wrong kind, missing parts, macros, bad CRCs."""
    if kind not in ("xlsx", "xlsm"):
        return [_not_a_workbook(kind)]
    missing = [part for part in _REQUIRED_PARTS if part not in names]
    if missing:
        return [_damaged(f"missing {', '.join(missing)}")]
    embedded = _embedded_content(names)
    warnings = [_embedded(embedded)] if embedded else []
    if kind == "xlsm":
        return [_macros(), *warnings]  # rejected anyway: no need to decompress it
    problem = _member_problem(archive, infos)
    if problem is not None:
        return [problem]
    return warnings


def _duplicated_part(infos: list[zipfile.ZipInfo]) -> str | None:
    """A part that appears twice, also in another case: readers disagree on which one counts, so one
    reader's check would not cover what another reads."""
    seen: dict[str, str] = {}
    for info in infos:
        key = info.filename.lower()
        if key in seen:
            return f"the part {info.filename!r} appears twice (also as {seen[key]!r})"
        seen[key] = info.filename
    return None


def _check_declared_sizes(infos: list[zipfile.ZipInfo], size: int, limits: _Limits) -> FileProblem | None:
    """A `file-too-large` problem if the central directory promises a decompression bomb."""
    if len(infos) > limits.max_members:
        return _too_many_members(len(infos), limits.max_members)
    total = sum(info.file_size for info in infos)
    if total > limits.max_uncompressed:
        return _bomb(total, limits.max_uncompressed, f"declares {total} bytes uncompressed")
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size >= _RATIO_MIN_BYTES and ratio > limits.max_ratio:
            return _bomb(total, limits.max_uncompressed, f"{info.filename} compressed {ratio:.0f}:1")
    overall = total / size
    if total >= _RATIO_MIN_BYTES and overall > limits.max_ratio:
        return _bomb(total, limits.max_uncompressed, f"overall compression {overall:.0f}:1")
    return None


def _zip_kind_from_names(names: dict[str, zipfile.ZipInfo]) -> str:
    """The kind of a zip from its member names alone (nothing decompressed)."""
    if "mimetype" in names:
        return "odf"
    if "xl/workbook.bin" in names:
        return "xlsb"
    if "word/document.xml" in names:
        return "docx"
    if "ppt/presentation.xml" in names:
        return "pptx"
    if any(name.startswith(_MACRO_PARTS + _MACRO_FOLDERS) for name in names):
        return "xlsm"
    if "[content_types].xml" in names or any(name.startswith("xl/") for name in names):
        return "xlsx"
    return "zip"


def _zip_kind(archive: zipfile.ZipFile, names: dict[str, zipfile.ZipInfo]) -> str:
    """The kind of a zip whose sizes are safe: reads only the tiny mimetype and content-type parts."""
    kind = _zip_kind_from_names(names)
    if kind == "odf":
        mimetype = _read_small(archive, names["mimetype"]).strip()
        if mimetype.startswith(_ODS_MIMETYPE):
            return "ods"
        return "odf" if mimetype.startswith(_ODF_MIMETYPE_PREFIX) else "zip"
    if kind == "xlsx" and "[content_types].xml" in names:
        content_types = _read_small(archive, names["[content_types].xml"]).lower()
        if b"macroenabled" in content_types:
            return "xlsm"
    return kind


def _read_small(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """A small member's content; over `_MAX_SMALL_PART` it is malformed, so it reads as damaged."""
    if info.file_size > _MAX_SMALL_PART:
        raise zipfile.BadZipFile(f"{info.filename} is implausibly large ({info.file_size} bytes)")
    return archive.read(info)


def _member_problem(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> FileProblem | None:
    """Read every member once, streaming: zipfile checks its CRC, and XML members are searched for a DTD.

    Safe after `_check_declared_sizes`: zipfile never returns more than a member's declared size.
    """
    for info in infos:
        if info.is_dir():
            continue
        try:
            with archive.open(info) as member:
                chunk = member.read(_CHUNK)
                xml = bool(_XML_START.match(chunk))  # images and other binary parts are not searched
                tail = b""
                while chunk:
                    if xml and _DTD.search(tail + chunk):
                        return _xml_declarations(info.filename)
                    tail = chunk[-16:]
                    chunk = member.read(_CHUNK)
        except _ZIP_ERRORS as exc:
            return _damaged(f"{info.filename}: {type(exc).__name__}: {exc}")
    return None


# A document type or entity declaration: ``<!DOCTYPE``/``<!ENTITY`` in UTF-8, and in UTF-16 with a zero
# byte between the characters. Office Open XML never has one; XML parsers expand what they declare.
_DTD = re.compile(rb"(?i)<\x00?!\x00?[de]")
_XML_START = re.compile(rb"^(?:\xef\xbb\xbf|\xff\xfe|\xfe\xff)?\x00?\s*<")


def _embedded_content(names: dict[str, zipfile.ZipInfo]) -> list[tuple[str, str]]:
    """German and English labels of the external links and embedded objects in a workbook."""
    return [
        labels for folder, labels in _EMBEDDED_FOLDERS.items() if any(n.startswith(folder) for n in names)
    ]


# --------------------------------------------------------------------------- OLE2


def _inspect_ole2(path: Path) -> tuple[str, list[FileProblem]]:
    """Kind and problems of an OLE2 compound file: encrypted OOXML, legacy xls or doc."""
    try:
        streams = _ole2_entry_names(path.read_bytes())
    except _Ole2Error:
        streams = set()  # a damaged compound file: most likely an old .xls, say so
    if {"EncryptionInfo", "EncryptedPackage"} & streams:
        return "encrypted", [_encrypted()]
    if "WordDocument" in streams:
        return "doc", [_not_a_workbook("doc")]
    return "xls", [_not_a_workbook("xls")]


def _ole2_entry_names(data: bytes) -> set[str]:
    """Names of the storages and streams in an OLE2 compound file ([MS-CFB]), from its directory."""
    if len(data) < 512 or not data.startswith(_OLE2_MAGIC):
        raise _Ole2Error("too short for a compound file header")
    sector_shift = struct.unpack_from("<H", data, 30)[0]
    if sector_shift not in (9, 12):
        raise _Ole2Error(f"unexpected sector shift {sector_shift}")
    sector_size = 1 << sector_shift
    fat = _ole2_fat(data, sector_size)
    first_directory_sector = struct.unpack_from("<I", data, 48)[0]
    names: set[str] = set()
    for sector in _ole2_chain(fat, first_directory_sector):
        block = _ole2_sector(data, sector, sector_size)
        for offset in range(0, sector_size, 128):
            name = _ole2_directory_name(block[offset : offset + 128])
            if name:
                names.add(name)
    return names


def _ole2_fat(data: bytes, sector_size: int) -> list[int]:
    """The file allocation table: the first 109 FAT sectors listed in the header, then the DIFAT chain."""
    fat_sector_count = struct.unpack_from("<I", data, 44)[0]
    fat_sectors = [s for s in struct.unpack_from("<109I", data, 76) if s < 0xFFFFFFFA]
    difat_sector = struct.unpack_from("<I", data, 68)[0]
    per_sector = sector_size // 4
    seen: set[int] = set()
    while difat_sector < 0xFFFFFFFA and len(fat_sectors) < fat_sector_count:
        if difat_sector in seen:
            raise _Ole2Error("DIFAT chain loops")
        seen.add(difat_sector)
        entries = struct.unpack_from(f"<{per_sector}I", _ole2_sector(data, difat_sector, sector_size))
        fat_sectors.extend(s for s in entries[:-1] if s < 0xFFFFFFFA)
        difat_sector = entries[-1]
    fat: list[int] = []
    for sector in fat_sectors[:fat_sector_count]:
        fat.extend(struct.unpack_from(f"<{per_sector}I", _ole2_sector(data, sector, sector_size)))
    return fat


def _ole2_chain(fat: list[int], start: int) -> list[int]:
    """The sectors of a chain in the FAT, refusing loops and out-of-range links."""
    chain: list[int] = []
    sector = start
    while sector < 0xFFFFFFFA:
        if sector >= len(fat) or len(chain) > len(fat):
            raise _Ole2Error("broken sector chain")
        chain.append(sector)
        sector = fat[sector]
    return chain


def _ole2_sector(data: bytes, sector: int, sector_size: int) -> bytes:
    start = (sector + 1) * sector_size
    if start + sector_size > len(data):
        raise _Ole2Error(f"sector {sector} lies beyond the end of the file")
    return data[start : start + sector_size]


def _ole2_directory_name(entry: bytes) -> str | None:
    """The name of a directory entry that is a storage, stream or root; None for unused entries."""
    if len(entry) < 128 or entry[66] not in (1, 2, 5):
        return None
    length = struct.unpack_from("<H", entry, 64)[0]
    if not 2 <= length <= 64:
        return None
    return entry[: length - 2].decode("utf-16-le", errors="replace")


# --------------------------------------------------------------------------- problems


def _problem(code: str, message: str, message_en: str) -> FileProblem:
    """A problem of a registered code, worded here: the inspection says what exactly is wrong."""
    return _as_problem(worded(code, message, message_en))


def _declared(code: str, **params: Any) -> FileProblem:
    """A problem with the registry's own wording of ``code``."""
    return _as_problem(finding(code, **params))


def _as_problem(found: Finding) -> FileProblem:
    severity: Severity = "warning" if found.severity == "warning" else "error"
    return FileProblem(code=found.code, severity=severity, message=found.message, message_en=found.message_en)


def _size_de(size: int) -> str:
    if size >= MiB:
        return f"{size / MiB:.1f} MB".replace(".", ",")
    return f"{max(size // 1024, 1)} KB"


def _size_en(size: int) -> str:
    return f"{size / MiB:.1f} MiB" if size >= MiB else f"{max(size // 1024, 1)} KiB"


def _empty() -> FileProblem:
    return _declared("file-empty")


def _too_large_file(size: int, limit: int) -> FileProblem:
    return _problem(
        "file-too-large",
        f"Die Datei ist mit {_size_de(size)} zu groß; wir können Dateien bis {_size_de(limit)} verarbeiten. "
        "Bitte entfernen Sie eingefügte Bilder und zusätzliche Tabellenblätter und senden Sie nur "
        "den ausgefüllten Fragebogen.",
        f"The file is {_size_en(size)}, over the limit of {_size_en(limit)}.",
    )


def _bomb(total: int, limit: int, detail: str) -> FileProblem:
    return _problem(
        "file-too-large",
        f"Die Datei würde beim Öffnen auf etwa {_size_de(total)} anwachsen (möglich sind {_size_de(limit)}) "
        "oder ist ungewöhnlich stark verdichtet. Aus Sicherheitsgründen öffnen wir sie nicht. "
        "Bitte übertragen Sie Ihre Einträge in den Original-Fragebogen, den wir Ihnen geschickt haben, "
        "und senden Sie diesen erneut.",
        f"Possible compression bomb, not opened: {detail} (limit {_size_en(limit)} uncompressed).",
    )


def _too_many_members(count: int, limit: int) -> FileProblem:
    return _problem(
        "file-too-large",
        f"Die Datei besteht aus ungewöhnlich vielen Einzelteilen ({count}; möglich sind {limit}). "
        "Aus Sicherheitsgründen öffnen wir sie nicht. Bitte übertragen Sie Ihre Einträge in den "
        "Original-Fragebogen, den wir Ihnen geschickt haben, und senden Sie diesen erneut.",
        f"The zip container has {count} members, over the limit of {limit}.",
    )


def _damaged(detail: str) -> FileProblem:
    return _problem(
        "file-unreadable",
        "Die Datei ist beschädigt oder unvollständig und lässt sich nicht öffnen – vermutlich wurde sie "
        "beim Speichern, Kopieren oder Hochladen nicht vollständig übertragen. " + _ASK_RESAVE_DE,
        f"The workbook is damaged or incomplete ({detail}).",
    )


def _xml_declarations(member: str) -> FileProblem:
    return _problem(
        "file-unreadable",
        "Die Datei enthält Bestandteile, die eine Excel-Arbeitsmappe nie enthält (XML-Dokumenttyp- oder "
        "Entitätsdeklarationen), und wird aus Sicherheitsgründen nicht geöffnet. Bitte übertragen Sie Ihre "
        "Einträge in den Original-Fragebogen, den wir Ihnen geschickt haben, und senden Sie diesen erneut.",
        f"{member} declares a DTD or XML entities (<!DOCTYPE/<!ENTITY); not opened.",
    )


def _macros() -> FileProblem:
    return _declared("file-macros")


def _encrypted() -> FileProblem:
    return _declared("file-encrypted")


def _embedded(labels: list[tuple[str, str]]) -> FileProblem:
    return _declared("file-embedded-content", contents=", ".join(de for de, _ in labels),
                     contents_en=", ".join(en for _, en in labels))


def _not_a_workbook(kind: str) -> FileProblem:
    """`file-unreadable` for a file that is something else than an xlsx workbook."""
    special = _SPECIAL_KIND_MESSAGES.get(kind)
    if special is not None:
        german, english = special
    else:
        label_de, label_en = _KIND_LABELS.get(kind, _KIND_LABELS["unknown"])
        german = f"Die Datei ist keine Excel-Arbeitsmappe, sondern {label_de}. {_ASK_XLSX_DE}"
        english = f"Not an xlsx workbook but {label_en}. {_ASK_XLSX_EN}"
    return _problem("file-unreadable", german, english)


_SPECIAL_KIND_MESSAGES: dict[str, tuple[str, str]] = {
    "xls": (
        "Die Datei ist im alten Excel-Format (.xls) gespeichert, das wir nicht verarbeiten. Bitte öffnen "
        "Sie sie in Excel, speichern Sie sie über „Datei › Speichern unter“ als „Excel-Arbeitsmappe "
        "(*.xlsx)“ und senden Sie sie erneut.",
        "Legacy Excel format (.xls, OLE2 compound file); it must be saved as .xlsx.",
    ),
    "xlsb": (
        "Die Datei ist im Excel-Binärformat (.xlsb) gespeichert, das wir nicht verarbeiten. Bitte "
        "speichern Sie sie über „Datei › Speichern unter“ als „Excel-Arbeitsmappe (*.xlsx)“ und "
        "senden Sie sie erneut.",
        "Excel binary workbook (.xlsb); it must be saved as .xlsx.",
    ),
    "ods": (
        "Die Datei ist im LibreOffice-Format (.ods) gespeichert. Bitte speichern Sie sie in LibreOffice "
        "über „Datei › Speichern unter…“ mit dem Dateityp „Excel 2007-365 (.xlsx)“ und senden Sie sie "
        "erneut.",
        "OpenDocument spreadsheet (.ods); it must be saved as .xlsx.",
    ),
    "zip": (
        "Die Datei ist ein ZIP-Archiv und keine Excel-Arbeitsmappe. Falls Sie den Fragebogen gepackt "
        "haben, senden Sie bitte die Excel-Datei (.xlsx) selbst, ungepackt.",
        "A zip archive that is not an xlsx workbook (perhaps a zipped workbook).",
    ),
    "csv": (
        "Die Datei ist keine Excel-Arbeitsmappe, sondern eine Textdatei mit Trennzeichen (CSV), auch "
        "wenn ihr Name anderes vermuten lässt. Bitte tragen Sie Ihre Angaben in den Fragebogen ein, den "
        "wir Ihnen geschickt haben, und speichern Sie ihn als Excel-Arbeitsmappe (.xlsx).",
        "A CSV/text file, not an xlsx workbook (possibly renamed).",
    ),
}
