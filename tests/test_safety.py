"""Tests of the received-file check, on real files made here: workbooks, impostors and bombs."""

from __future__ import annotations

import hashlib
import math
import re
import shutil
import struct
import subprocess
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook

from survey.safety import FileCheck, file_digest, inspect_file
from tests.conftest import libreoffice_or_skip

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
HEADER = ["Kennung", "Titel des Datenbestands", "Beschreibung", "Themenkategorie", "Kontakt-E-Mail"]
MACRO_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.ms-excel.sheet.macroEnabled.main+xml"/></Types>'
)


# --------------------------------------------------------------------------- file makers


def make_xlsx(path: Path, rows: int = 3) -> Path:
    """A real survey-like workbook written by openpyxl."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Datenbestände")
    sheet.append(HEADER)
    for number in range(rows):
        sheet.append(
            [
                f"MUC-KVR-{number:05d}",
                f"Parkausweise Bezirk {number}",
                f"Anzahl ausgegebener Bewohnerparkausweise je Monat, Lizenzgebiet {number * 7 % 97}",
                "Regierung und öffentlicher Sektor",
                "opendata.kvr@muenchen.de",
            ]
        )
    workbook.save(path)
    return path


def rewrite_zip(
    source: Path,
    target: Path,
    *,
    drop: tuple[str, ...] = (),
    add: dict[str, bytes | str] | None = None,
) -> Path:
    """A copy of the zip `source` without the members `drop` and with `add` added or replaced."""
    add = add or {}
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            if info.filename not in drop and info.filename not in add:
                new.writestr(info, old.read(info))
        for name, content in add.items():
            new.writestr(name, content)
    return target


def ole2_file(stream_names: list[str]) -> bytes:
    """A minimal, well-formed OLE2 compound file ([MS-CFB] version 3, 512-byte sectors).

    Sector 0 holds the FAT, sectors 1.. the directory: a root entry and one empty stream per name.
    """
    free, end_of_chain, fat_sector, no_stream = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    names = ["Root Entry", *stream_names]
    directory_sectors = math.ceil(len(names) / 4)

    header = bytearray(512)
    header[0:8] = OLE2_MAGIC
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)  # versions, byte order, sector shifts
    struct.pack_into("<III", header, 44, 1, 1, 0)  # FAT sectors, first directory sector, transaction
    struct.pack_into("<IIIII", header, 56, 4096, end_of_chain, 0, end_of_chain, 0)  # mini FAT, DIFAT
    struct.pack_into("<109I", header, 76, 0, *([free] * 108))

    fat = [fat_sector] + [
        s + 1 if s < directory_sectors else end_of_chain for s in range(1, directory_sectors + 1)
    ]
    fat_block = struct.pack("<128I", *(fat + [free] * (128 - len(fat))))

    directory = bytearray(512 * directory_sectors)
    for index, name in enumerate(names):
        entry = bytearray(128)
        raw = (name + "\0").encode("utf-16-le")
        entry[: len(raw)] = raw
        struct.pack_into("<HBB", entry, 64, len(raw), 5 if index == 0 else 2, 1)
        sibling = index + 1 if 0 < index < len(names) - 1 else no_stream
        child = 1 if index == 0 and len(names) > 1 else no_stream
        struct.pack_into("<III", entry, 68, no_stream, sibling, child)
        struct.pack_into("<IQ", entry, 116, end_of_chain, 0)
        directory[index * 128 : (index + 1) * 128] = entry
    return bytes(header) + fat_block + bytes(directory)


def set_encryption_flag(data: bytes) -> bytes:
    """Mark every member of a stored (uncompressed) zip as encrypted in both of its headers."""
    patched = bytearray(data)
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        for match in re.finditer(re.escape(signature), data):
            patched[match.start() + flag_offset] |= 0x01
    return bytes(patched)


def write_bomb(path: Path, megabytes: int, *, fill: bytes = b"a") -> Path:
    """An xlsx-shaped zip whose sharedStrings.xml holds `megabytes` MiB of one repeated character.

    Written in 1 MiB chunks through zipfile's streaming writer: memory stays flat.
    """
    chunk = fill * (1024 * 1024)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook/>')
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as member:
            for _ in range(megabytes):
                member.write(chunk)
    return path


@pytest.fixture(scope="module")
def good_xlsx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_xlsx(tmp_path_factory.mktemp("xlsx") / "muenchen_KVR_2025.xlsx")


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_bomb(tmp_path_factory.mktemp("bomb") / "muenchen_KVR_2025.xlsx", 300)


def assert_problem(check: FileCheck, code: str, *, kind: str | None = None, ok: bool = False) -> None:
    """Exactly one problem with `code`, messages in both languages."""
    assert check.codes == [code], check.problems
    assert check.ok is ok
    if kind is not None:
        assert check.kind == kind
    problem = check.problems[0]
    assert problem.message and problem.message_en and problem.message != problem.message_en


# --------------------------------------------------------------------------- good files


def test_good_workbook_passes(good_xlsx: Path) -> None:
    check = inspect_file(good_xlsx)
    assert (check.ok, check.kind, check.problems) == (True, "xlsx", [])
    assert check.size == good_xlsx.stat().st_size


def test_extension_is_not_trusted(good_xlsx: Path, tmp_path: Path) -> None:
    renamed = tmp_path / "umfrage.xls"
    renamed.write_bytes(good_xlsx.read_bytes())
    check = inspect_file(renamed)
    assert (check.ok, check.kind) == (True, "xlsx")


def test_large_realistic_workbook_is_no_bomb(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "big.xlsx", rows=20_000)
    check = inspect_file(path)
    assert (check.ok, check.problems) == (True, [])


# --------------------------------------------------------------------------- size


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "leer.xlsx"
    path.write_bytes(b"")
    assert_problem(inspect_file(path), "file-empty", kind="empty")


def test_file_over_max_bytes(good_xlsx: Path) -> None:
    check = inspect_file(good_xlsx, max_bytes=1000)
    assert_problem(check, "file-too-large")
    assert "zu groß" in check.problems[0].message


def test_compression_bomb_detected_without_decompressing(bomb: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert bomb.stat().st_size < 5 * 1024 * 1024
    with zipfile.ZipFile(bomb) as archive:
        assert archive.getinfo("xl/sharedStrings.xml").file_size == 300 * 1024 * 1024

    def no_decompression(*args: object, **kwargs: object) -> None:
        raise AssertionError("a member was decompressed")

    monkeypatch.setattr(zipfile.ZipFile, "open", no_decompression)
    monkeypatch.setattr(zipfile.ZipFile, "read", no_decompression)
    started = time.perf_counter()
    check = inspect_file(bomb)
    elapsed = time.perf_counter() - started

    assert_problem(check, "file-too-large")
    assert "Sicherheitsgründen" in check.problems[0].message
    assert elapsed < 0.25


def test_high_compression_ratio_below_total_limit(tmp_path: Path) -> None:
    path = write_bomb(tmp_path / "ratio.xlsx", 30, fill=b"\x00")
    check = inspect_file(path)
    assert_problem(check, "file-too-large")
    assert "compressed" in check.problems[0].message_en
    # With a generous ratio limit the same file is acceptable (the 30 MiB are under 200 MiB).
    assert inspect_file(path, max_ratio=1e6).ok


def test_too_many_members(good_xlsx: Path) -> None:
    assert_problem(inspect_file(good_xlsx, max_members=3), "file-too-large", kind="xlsx")


# --------------------------------------------------------------------------- impostors


@pytest.mark.parametrize(
    ("content", "encoding"),
    [
        ("Titel;Beschreibung;Themenkategorie\r\nBaumkataster;Alle Straßenbäume;Umwelt\r\n", "cp1252"),
        ("\ufeffTitel,Beschreibung,Kontakt\nBaumkataster,Alle Bäume,gartenbau@augsburg.de\n", "utf-8"),
        ("Titel\tBeschreibung\r\nBaumkataster\tAlle Bäume\r\n", "utf-16"),  # Excel "Unicode-Text"
        (
            'Titel,Beschreibung,Formate\n"Baumkataster","Bäume, Sträucher, Hecken","CSV, JSON"\nLärm,Karte,WMS\n',
            "utf-8",
        ),
    ],
)
def test_renamed_csv(tmp_path: Path, content: str, encoding: str) -> None:
    path = tmp_path / "augsburg_Amt-62_2025.xlsx"
    path.write_bytes(content.encode(encoding))
    check = inspect_file(path)
    assert_problem(check, "file-unreadable", kind="csv")
    assert "CSV" in check.problems[0].message


def test_legacy_xls_header(tmp_path: Path) -> None:
    path = tmp_path / "alt.xlsx"
    path.write_bytes(OLE2_MAGIC + bytes(504) + b"\x09\x08" * 200)
    check = inspect_file(path)
    assert_problem(check, "file-unreadable", kind="xls")
    assert "alten Excel-Format (.xls)" in check.problems[0].message and ".xlsx" in check.problems[0].message


def test_legacy_xls_compound_file(tmp_path: Path) -> None:
    path = tmp_path / "alt.xls"
    path.write_bytes(ole2_file(["Workbook", "\x05SummaryInformation", "\x05DocumentSummaryInformation"]))
    assert_problem(inspect_file(path), "file-unreadable", kind="xls")


def test_password_protected_workbook(tmp_path: Path) -> None:
    path = tmp_path / "geschuetzt.xlsx"
    path.write_bytes(ole2_file(["\x06DataSpaces", "EncryptionInfo", "EncryptedPackage"]))
    check = inspect_file(path)
    assert_problem(check, "file-encrypted", kind="encrypted")
    assert "Passwort geschützt" in check.problems[0].message


def test_encrypted_zip_members(good_xlsx: Path, tmp_path: Path) -> None:
    stored = tmp_path / "stored.xlsx"
    with zipfile.ZipFile(good_xlsx) as old, zipfile.ZipFile(stored, "w", zipfile.ZIP_STORED) as new:
        for info in old.infolist():
            new.writestr(info.filename, old.read(info))
    stored.write_bytes(set_encryption_flag(stored.read_bytes()))
    assert_problem(inspect_file(stored), "file-encrypted", kind="xlsx")


def test_ods(tmp_path: Path) -> None:
    path = tmp_path / "nuernberg_SÖR_2025.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", '<?xml version="1.0"?><manifest:manifest/>')
        archive.writestr(
            "content.xml", '<?xml version="1.0"?><office:document-content/>', zipfile.ZIP_DEFLATED
        )
    check = inspect_file(path)
    assert_problem(check, "file-unreadable", kind="ods")
    assert "LibreOffice" in check.problems[0].message and ".xlsx" in check.problems[0].message


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "pdf"),
        (b"<!DOCTYPE html>\n<html><body><table><tr><td>Titel</td></tr></table></body></html>", "html"),
        (b"<html xmlns:o='urn:schemas-microsoft-com:office:office'><table><tr><td>1</td></tr>", "html"),
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "image"),
        (b"Sehr geehrte Damen und Herren, anbei unsere Liste.", "text"),
        ("Guten Tag,\nanbei, wie besprochen, die Liste.\nViele Grüße\n".encode(), "text"),
        (bytes(range(256)) * 4, "unknown"),
    ],
)
def test_other_files(tmp_path: Path, content: bytes, kind: str) -> None:
    path = tmp_path / "rueckmeldung.xlsx"
    path.write_bytes(content)
    assert_problem(inspect_file(path), "file-unreadable", kind=kind)


def test_zipped_workbook(good_xlsx: Path, tmp_path: Path) -> None:
    path = tmp_path / "fragebogen.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.write(good_xlsx, "fragebogen.xlsx")
    check = inspect_file(path)
    assert_problem(check, "file-unreadable", kind="zip")
    assert "ungepackt" in check.problems[0].message


# --------------------------------------------------------------------------- damaged


@pytest.mark.parametrize("cut", [lambda n: n // 2, lambda n: n - 10, lambda n: 100])
def test_truncated_workbook(good_xlsx: Path, tmp_path: Path, cut: Callable[[int], int]) -> None:
    data = good_xlsx.read_bytes()
    path = tmp_path / "abgeschnitten.xlsx"
    path.write_bytes(data[: cut(len(data))])
    check = inspect_file(path)
    assert_problem(check, "file-unreadable")
    assert "beschädigt oder unvollständig" in check.problems[0].message


def test_corrupt_member_data(tmp_path: Path) -> None:
    source = make_xlsx(tmp_path / "source.xlsx", rows=500)
    data = bytearray(source.read_bytes())
    with zipfile.ZipFile(source) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    name_length, extra_length = struct.unpack_from("<HH", data, info.header_offset + 26)
    start = info.header_offset + 30 + name_length + extra_length
    for offset in range(start + info.compress_size // 2, start + info.compress_size // 2 + 16):
        data[offset] ^= 0xFF
    path = tmp_path / "kaputt.xlsx"
    path.write_bytes(bytes(data))

    check = inspect_file(path)

    assert_problem(check, "file-unreadable", kind="xlsx")
    assert "sheet1.xml" in check.problems[0].message_en


@pytest.mark.parametrize("missing", ["xl/workbook.xml", "[Content_Types].xml"])
def test_missing_required_part(good_xlsx: Path, tmp_path: Path, missing: str) -> None:
    path = rewrite_zip(good_xlsx, tmp_path / "ohne.xlsx", drop=(missing,))
    check = inspect_file(path)
    assert_problem(check, "file-unreadable", kind="xlsx")
    assert missing.lower() in check.problems[0].message_en.lower()


# --------------------------------------------------------------------------- content


def test_macro_workbook(good_xlsx: Path, tmp_path: Path) -> None:
    path = rewrite_zip(
        good_xlsx,
        tmp_path / "makro.xlsm",
        add={"xl/vbaProject.bin": OLE2_MAGIC + bytes(504), "[Content_Types].xml": MACRO_CONTENT_TYPES},
    )
    check = inspect_file(path)
    assert_problem(check, "file-macros", kind="xlsm")
    assert "Makros" in check.problems[0].message


def test_macro_content_type_without_vba_part(good_xlsx: Path, tmp_path: Path) -> None:
    path = rewrite_zip(good_xlsx, tmp_path / "makro.xlsx", add={"[Content_Types].xml": MACRO_CONTENT_TYPES})
    assert_problem(inspect_file(path), "file-macros", kind="xlsm")


def test_excel4_macro_sheet(good_xlsx: Path, tmp_path: Path) -> None:
    path = rewrite_zip(
        good_xlsx, tmp_path / "xlm.xlsx", add={"xl/macrosheets/sheet1.xml": "<xm:macrosheet/>"}
    )
    assert_problem(inspect_file(path), "file-macros", kind="xlsm")


def test_embedded_content_is_a_warning(good_xlsx: Path, tmp_path: Path) -> None:
    path = rewrite_zip(
        good_xlsx,
        tmp_path / "verknuepft.xlsx",
        add={
            "xl/externalLinks/externalLink1.xml": '<externalLink><externalBook r:id="rId1"/></externalLink>',
            "xl/embeddings/oleObject1.bin": OLE2_MAGIC + bytes(504),
        },
    )
    check = inspect_file(path)
    assert_problem(check, "file-embedded-content", kind="xlsx", ok=True)
    problem = check.problems[0]
    assert problem.severity == "warning"
    assert "Verknüpfungen zu anderen Dateien" in problem.message and "eingebettete Objekte" in problem.message


# --------------------------------------------------------------------------- LibreOffice

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def convert_with_libreoffice(source: Path, target: str, out: Path, profile: Path) -> Path:
    """Save `source` in format `target` (e.g. ``xls``, ``xlsx:Calc Office Open XML``) into `out`."""
    assert SOFFICE is not None
    command = [SOFFICE, "--headless", "--norestore", f"-env:UserInstallation={profile.as_uri()}"]
    command += ["--convert-to", target, "--outdir", str(out), str(source)]
    subprocess.run(command, check=True, timeout=180, capture_output=True)
    result = out / f"{source.stem}.{target.split(':')[0]}"
    assert result.is_file(), f"LibreOffice did not write {result}"
    return result


@pytest.mark.slow
def test_files_saved_by_libreoffice(good_xlsx: Path, tmp_path: Path) -> None:
    """What a data officer's LibreOffice really writes: .xls, .ods, and .xlsx saved from an .ods."""
    libreoffice_or_skip()
    profile = tmp_path / "profile"
    xls = convert_with_libreoffice(good_xlsx, "xls", tmp_path / "xls", profile)
    ods = convert_with_libreoffice(good_xlsx, "ods", tmp_path / "ods", profile)
    resaved = convert_with_libreoffice(ods, "xlsx:Calc Office Open XML", tmp_path / "resaved", profile)

    assert_problem(inspect_file(xls), "file-unreadable", kind="xls")
    assert_problem(inspect_file(ods), "file-unreadable", kind="ods")
    check = inspect_file(resaved)
    assert (check.ok, check.kind, check.problems) == (True, "xlsx", [])


# --------------------------------------------------------------------------- helpers


def test_file_digest_streams(tmp_path: Path) -> None:
    data = bytes(range(256)) * 10_000
    path = tmp_path / "daten.bin"
    path.write_bytes(data)
    digest = file_digest(path, chunk_size=4096)
    assert digest == (hashlib.sha256(data).hexdigest(), len(data))
    assert (digest.sha256, digest.size) == (hashlib.sha256(data).hexdigest(), len(data))


def test_problems_become_findings(tmp_path: Path) -> None:
    path = tmp_path / "muenchen_KVR_2025.xlsx"
    path.write_bytes(OLE2_MAGIC + bytes(600))
    check = inspect_file(path)

    (found,) = check.findings(file=path.name, city="muenchen", department="KVR")

    assert found.as_record() == {
        "code": "file-unreadable",
        "severity": "error",
        "city": "muenchen",
        "department": "KVR",
        "identifier": None,
        "file": "muenchen_KVR_2025.xlsx",
        "sheet": None,
        "row": None,
        "column": None,
        "field": None,
        "value": None,
        "message": check.problems[0].message,
        "message_en": check.problems[0].message_en,
    }


def test_codes_are_kebab_case_and_messages_german(good_xlsx: Path, bomb: Path, tmp_path: Path) -> None:
    samples = {
        "empty": b"",
        "xls": OLE2_MAGIC + bytes(600),
        "csv": b"a;b\n1;2\n",
        "encrypted": ole2_file(["EncryptionInfo", "EncryptedPackage"]),
        "cut": good_xlsx.read_bytes()[:500],
    }
    checks = [inspect_file(bomb), inspect_file(good_xlsx, max_bytes=10)]
    for name, content in samples.items():
        path = tmp_path / f"{name}.xlsx"
        path.write_bytes(content)
        checks.append(inspect_file(path))
    for check in checks:
        for problem in check.problems:
            assert re.fullmatch(r"file(-[a-z]+)+", problem.code)
            assert problem.severity in ("error", "warning")
            assert re.search(r"\bBitte\b", problem.message), problem.message
            assert "Bitte" not in problem.message_en
