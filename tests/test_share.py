"""Tests of the department share: a real folder, and a real WebDAV server (wsgidav on cheroot)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import requests
from pydantic import SecretStr

from connectors.share import (
    Delivery,
    FolderShare,
    RemoteFile,
    Share,
    ShareError,
    TooLargeError,
    UnsafeNameError,
    WebDavShare,
    open_share,
)
from tests.davserver import PASSWORD, USER, DavServer

CITIES = {"muenchen": ["KVR", "RGU"], "augsburg": ["Amt-62"], "nuernberg": ["SÖR"]}


# --------------------------------------------------------------------------- WebDAV server


class CountingSession(requests.Session):
    """A requests Session that counts the requests it sends (retries included)."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = 0

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        self.sent += 1
        return super().request(*args, **kwargs)


@pytest.fixture
def dav(tmp_path: Path) -> Iterator[DavServer]:
    server = DavServer(tmp_path / "dav")
    yield server
    server.stop()


def dav_share(server: DavServer, *, password: str = PASSWORD, **kwargs: Any) -> WebDavShare:
    kwargs.setdefault("backoff", 0.01)
    kwargs.setdefault("timeout", 5.0)
    return WebDavShare(server.url, username=USER, password=password, **kwargs)


@pytest.fixture(params=["folder", "webdav"])
def share_and_root(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Share, Path]]:
    """Each backend with the folder where its files land on disk, for checks behind its back."""
    if request.param == "folder":
        root = tmp_path / "share"
        root.mkdir()
        yield FolderShare(root), root
        return
    server = DavServer(tmp_path / "dav")
    share = dav_share(server)
    yield share, server.root
    share.close()
    server.stop()


def drop(root: Path, city: str, department: str, name: str, data: bytes) -> Path:
    """Put a file into an inbox the way a department does: directly on the share's disk."""
    path = root / city / department / "inbox" / name
    path.write_bytes(data)
    return path


# --------------------------------------------------------------------------- both backends


def test_put_list_read_round_trip(share_and_root: tuple[Share, Path]) -> None:
    share, root = share_and_root
    share.ensure_department("muenchen", "KVR")
    share.ensure_department("muenchen", "KVR")  # idempotent
    data = os.urandom(50_000)

    delivery = share.put_outbox("muenchen", "KVR", "muenchen_KVR_2025-herbst.xlsx", data)

    assert isinstance(delivery, Delivery)
    assert (delivery.city, delivery.department, delivery.name) == (
        "muenchen",
        "KVR",
        "muenchen_KVR_2025-herbst.xlsx",
    )
    assert delivery.size == len(data)
    assert delivery.sha256 == hashlib.sha256(data).hexdigest()
    assert delivery.when.tzinfo is not None
    assert delivery.location.endswith("/muenchen/KVR/outbox/muenchen_KVR_2025-herbst.xlsx")
    outbox = root / "muenchen" / "KVR" / "outbox"
    assert sorted(p.name for p in outbox.iterdir()) == ["muenchen_KVR_2025-herbst.xlsx"]
    assert (outbox / "muenchen_KVR_2025-herbst.xlsx").read_bytes() == data

    # Overwriting delivers the new content.
    share.put_outbox("muenchen", "KVR", "muenchen_KVR_2025-herbst.xlsx", b"second")
    assert (outbox / "muenchen_KVR_2025-herbst.xlsx").read_bytes() == b"second"

    returned = b"filled workbook " * 100
    drop(root, "muenchen", "KVR", "Fragebogen KVR (ausgefüllt).xlsx", returned)
    drop(root, "muenchen", "KVR", "~$Fragebogen KVR (ausgefüllt).xlsx", b"excel lock file")
    drop(root, "muenchen", "KVR", ".~lock.Fragebogen.xlsx#", b"libreoffice lock file")
    (root / "muenchen" / "KVR" / "inbox" / "Archiv").mkdir()

    files = share.list_inbox("muenchen", "KVR")

    assert [f.name for f in files] == ["Fragebogen KVR (ausgefüllt).xlsx"]
    found = files[0]
    assert (found.city, found.department, found.size) == ("muenchen", "KVR", len(returned))
    assert found.modified is not None and abs(time.time() - found.modified.timestamp()) < 120
    assert share.read(found) == returned


def test_list_inbox_of_unknown_department_is_empty(share_and_root: tuple[Share, Path]) -> None:
    share, _ = share_and_root
    assert share.list_inbox("augsburg", "Amt-99") == []


def test_all_inboxes_across_cities(share_and_root: tuple[Share, Path]) -> None:
    share, root = share_and_root
    for city, departments in CITIES.items():
        for department in departments:
            share.ensure_department(city, department)
    drop(root, "muenchen", "RGU", "b.xlsx", b"1")
    drop(root, "muenchen", "KVR", "a.xlsx", b"22")
    drop(root, "augsburg", "Amt-62", "umfrage.xlsx", b"333")
    drop(root, "nuernberg", "SÖR", "Datenbestände SÖR.xlsx", b"4444")
    # Files in outboxes and folders that are no city or department are not inbox files.
    share.put_outbox("muenchen", "KVR", "blank.xlsx", b"blank")
    (root / "#recycle" / "X" / "inbox").mkdir(parents=True)
    (root / "#recycle" / "X" / "inbox" / "old.xlsx").write_bytes(b"old")
    (root / "muenchen" / ".snapshot").mkdir()
    (root / "README.txt").write_text("share root")

    files = share.list_all_inboxes()

    assert [(f.city, f.department, f.name, f.size) for f in files] == [
        ("augsburg", "Amt-62", "umfrage.xlsx", 3),
        ("muenchen", "KVR", "a.xlsx", 2),
        ("muenchen", "RGU", "b.xlsx", 1),
        ("nuernberg", "SÖR", "Datenbestände SÖR.xlsx", 4),
    ]
    assert [share.read(f) for f in files] == [b"333", b"22", b"1", b"4444"]


def test_read_enforces_size_limit(share_and_root: tuple[Share, Path]) -> None:
    share, root = share_and_root
    share.ensure_department("augsburg", "Amt-62")
    drop(root, "augsburg", "Amt-62", "big.xlsx", b"x" * 100_000)
    (found,) = share.list_inbox("augsburg", "Amt-62")

    with pytest.raises(TooLargeError, match="too large"):
        share.read(found, max_bytes=10_000)
    # A listing that is out of date (the file grew since) does not get around the limit.
    with pytest.raises(TooLargeError):
        share.read(replace(found, size=10), max_bytes=10_000)
    assert share.read(found, max_bytes=100_000) == b"x" * 100_000


@pytest.mark.parametrize(
    ("city", "department"),
    [
        ("..", "KVR"),
        ("muenchen/../augsburg", "KVR"),
        ("Muenchen", "KVR"),
        ("", "KVR"),
        ("muenchen", ".."),
        ("muenchen", "KVR/../../etc"),
        ("muenchen", "..\\KVR"),
        ("muenchen", ".KVR"),
        ("muenchen", ""),
    ],
)
def test_bad_city_or_department_rejected(
    share_and_root: tuple[Share, Path], city: str, department: str
) -> None:
    share, root = share_and_root
    before = set(root.parent.rglob("*"))
    with pytest.raises(UnsafeNameError):
        share.ensure_department(city, department)
    with pytest.raises(UnsafeNameError):
        share.put_outbox(city, department, "a.xlsx", b"data")
    with pytest.raises(UnsafeNameError):
        share.list_inbox(city, department)
    assert set(root.parent.rglob("*")) == before


@pytest.mark.parametrize(
    "filename",
    [
        "../../../etc/passwd",
        "..",
        ".",
        "sub/a.xlsx",
        "..\\..\\boot.ini",
        "a\x00.xlsx",
        "C:evil.xlsx",
        ".hidden.xlsx",
        "~$lock.xlsx",
        "",
        " a.xlsx",
        "a" * 201,
    ],
)
def test_bad_filename_rejected(share_and_root: tuple[Share, Path], filename: str) -> None:
    share, root = share_and_root
    share.ensure_department("muenchen", "KVR")
    before = set(root.parent.rglob("*"))
    with pytest.raises(UnsafeNameError):
        share.put_outbox("muenchen", "KVR", filename, b"data")
    assert set(root.parent.rglob("*")) == before


def test_read_rejects_forged_remote_file(share_and_root: tuple[Share, Path]) -> None:
    share, root = share_and_root
    (root / "secret.txt").write_text("not for departments")
    share.ensure_department("muenchen", "KVR")
    forged = RemoteFile("muenchen", "KVR", "../../../secret.txt", 10, None, None, "forged")
    with pytest.raises(UnsafeNameError):
        share.read(forged)
    with pytest.raises(UnsafeNameError):
        share.read(replace(forged, name="x.xlsx", department="../.."))


def test_put_into_missing_department_says_what_to_do(share_and_root: tuple[Share, Path]) -> None:
    share, root = share_and_root
    with pytest.raises(ShareError, match="ensure_department"):
        share.put_outbox("nuernberg", "SÖR", "a.xlsx", b"data")
    assert not (root / "nuernberg").exists()


# --------------------------------------------------------------------------- folder only


def test_folder_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    share = FolderShare(tmp_path)
    share.ensure_department("muenchen", "KVR")
    outbox = tmp_path / "muenchen" / "KVR" / "outbox"
    data = os.urandom(200_000)
    real_replace = os.replace
    renames: list[tuple[Path, Path]] = []

    def checking_replace(src: Any, dst: Any) -> None:
        src, dst = Path(src), Path(dst)
        # At the moment of the rename the content is complete under a hidden name,
        # and nothing is visible under the final name yet.
        assert src.parent == outbox and src.name.startswith(".") and src.read_bytes() == data
        assert not dst.exists()
        renames.append((src, dst))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", checking_replace)
    share.put_outbox("muenchen", "KVR", "survey.xlsx", data)

    assert [dst.name for _, dst in renames] == ["survey.xlsx"]
    assert [p.name for p in outbox.iterdir()] == ["survey.xlsx"]


def test_folder_failed_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    share = FolderShare(tmp_path)
    share.ensure_department("muenchen", "KVR")

    def failing_replace(src: Any, dst: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(ShareError, match="No space left on device"):
        share.put_outbox("muenchen", "KVR", "survey.xlsx", b"data")
    assert list((tmp_path / "muenchen" / "KVR" / "outbox").iterdir()) == []


def test_folder_root_must_exist(tmp_path: Path) -> None:
    share = FolderShare(tmp_path / "not-mounted")
    with pytest.raises(ShareError, match="mounted"):
        share.ensure_department("muenchen", "KVR")
    with pytest.raises(ShareError, match="mounted"):
        share.list_all_inboxes()
    assert not (tmp_path / "not-mounted").exists()


def test_folder_ignores_symlinks_in_inbox(tmp_path: Path) -> None:
    share = FolderShare(tmp_path / "share")
    (tmp_path / "share").mkdir()
    share.ensure_department("muenchen", "KVR")
    secret = tmp_path / "secret.xlsx"
    secret.write_bytes(b"secret")
    (tmp_path / "share" / "muenchen" / "KVR" / "inbox" / "link.xlsx").symlink_to(secret)

    assert share.list_inbox("muenchen", "KVR") == []
    forged = RemoteFile("muenchen", "KVR", "link.xlsx", 6, None, None, "forged")
    with pytest.raises(ShareError, match="symbolic link"):
        share.read(forged)


# --------------------------------------------------------------------------- WebDAV only


def test_webdav_write_is_atomic(dav: DavServer) -> None:
    share = dav_share(dav)
    share.ensure_department("muenchen", "KVR")
    outbox = dav.root / "muenchen" / "KVR" / "outbox"
    final = outbox / "survey.xlsx"
    data = os.urandom(8 * 1024 * 1024)
    seen_sizes: list[int] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            with contextlib.suppress(FileNotFoundError):
                seen_sizes.append(final.stat().st_size)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        share.put_outbox("muenchen", "KVR", "survey.xlsx", data)
    finally:
        done.set()
        watcher.join()

    # Whenever the final name was visible, it held the complete workbook.
    assert set(seen_sizes) <= {len(data)}
    assert final.read_bytes() == data
    writes = [(m, p) for m, p in dav.recorder.calls if m in ("PUT", "MOVE")]
    assert [m for m, _ in writes] == ["PUT", "MOVE"]
    put_path = writes[0][1]
    assert put_path.startswith("/survey/muenchen/KVR/outbox/.survey.xlsx.") and put_path.endswith(".part")
    assert writes[1][1] == put_path  # MOVE source is the temporary upload
    assert [p.name for p in outbox.iterdir()] == ["survey.xlsx"]


def test_webdav_failed_rename_leaves_no_partial_file(dav: DavServer) -> None:
    share = dav_share(dav)
    share.ensure_department("muenchen", "KVR")
    dav.recorder.faults["MOVE"] = [403]

    with pytest.raises(ShareError) as caught:
        share.put_outbox("muenchen", "KVR", "survey.xlsx", b"complete content")

    assert caught.value.status == 403
    assert "403" in str(caught.value) and "permission" in str(caught.value)
    assert list((dav.root / "muenchen" / "KVR" / "outbox").iterdir()) == []  # temp upload removed
    assert dav.recorder.count("MOVE") == 1  # 4xx is not retried
    assert dav.recorder.count("DELETE") == 1


def test_webdav_streamed_read_stops_at_limit(dav: DavServer) -> None:
    share = dav_share(dav)
    share.ensure_department("muenchen", "RGU")
    drop(dav.root, "muenchen", "RGU", "big.xlsx", b"y" * 2_000_000)
    (found,) = share.list_inbox("muenchen", "RGU")
    assert found.etag

    dav.recorder.strip_length = True  # no Content-Length: only the streaming guard can stop it
    with pytest.raises(TooLargeError):
        share.read(replace(found, size=1), max_bytes=100_000)
    assert share.read(found, max_bytes=2_000_000) == b"y" * 2_000_000


def test_webdav_wrong_password_is_clear_and_not_retried(dav: DavServer) -> None:
    wrong = "Falsches-Passwort"
    share = dav_share(dav, password=wrong)

    with pytest.raises(ShareError) as caught:
        share.list_all_inboxes()

    message = str(caught.value)
    assert caught.value.status == 401
    assert "401" in message and "user name and password" in message and dav.url in message
    assert wrong not in message and wrong not in repr(share) and wrong not in share.describe()
    assert dav.recorder.calls == [("PROPFIND", "/survey/")]


def test_webdav_retries_server_errors_then_succeeds(dav: DavServer) -> None:
    share = dav_share(dav)
    share.ensure_department("augsburg", "Amt-62")
    dav.recorder.calls.clear()
    dav.recorder.faults["PROPFIND"] = [503, 502]

    assert share.list_inbox("augsburg", "Amt-62") == []
    assert dav.recorder.count("PROPFIND") == 3


def test_webdav_gives_up_after_bounded_retries_on_server_errors(dav: DavServer) -> None:
    share = dav_share(dav, attempts=3)
    dav.recorder.faults["PROPFIND"] = [500, 500, 500, 500]

    with pytest.raises(ShareError, match="after 3 attempts") as caught:
        share.list_all_inboxes()
    assert caught.value.status == 500
    assert dav.recorder.count("PROPFIND") == 3


def test_webdav_server_stopped(dav: DavServer) -> None:
    session = CountingSession()
    share = dav_share(dav, session=session, attempts=3, backoff=0.05)
    dav.stop()

    started = time.monotonic()
    with pytest.raises(ShareError) as caught:
        share.list_all_inboxes()

    assert time.monotonic() - started < 5
    assert session.sent == 3
    message = str(caught.value)
    assert "after 3 attempts" in message and "Connection refused" in message and dav.url in message
    assert PASSWORD not in message


def test_webdav_timeout_is_bounded(tmp_path: Path) -> None:
    # A server that accepts connections and never answers.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        session = CountingSession()
        share = WebDavShare(
            f"http://127.0.0.1:{port}/survey",
            username=USER,
            password=PASSWORD,
            timeout=0.2,
            attempts=2,
            backoff=0.01,
            session=session,
        )
        started = time.monotonic()
        with pytest.raises(ShareError, match=r"after 2 attempts.*timed out"):
            share.list_inbox("muenchen", "KVR")
        assert time.monotonic() - started < 3
        assert session.sent == 2


def test_webdav_root_missing(dav: DavServer) -> None:
    share = WebDavShare(dav.url + "-typo", username=USER, password=PASSWORD, backoff=0.01)
    with pytest.raises(ShareError, match="does not exist"):
        share.list_all_inboxes()


def test_webdav_accepts_secretstr_and_credentials_in_url(dav: DavServer) -> None:
    with WebDavShare(dav.url, username=USER, password=SecretStr(PASSWORD)) as share:
        share.ensure_department("nuernberg", "SÖR")
        assert PASSWORD not in repr(share)

    url = f"webdav://{USER}:{PASSWORD}@127.0.0.1:{dav.port}/survey"
    share2 = open_share(url, timeout=5)
    assert isinstance(share2, WebDavShare)
    assert PASSWORD not in share2.describe() and PASSWORD not in repr(share2)
    assert share2.list_inbox("nuernberg", "SÖR") == []
    share2.close()


# --------------------------------------------------------------------------- factory


@pytest.mark.parametrize(
    ("url", "base"),
    [
        ("http://dav.example.org/share", "http://dav.example.org/share/"),
        (
            "https://dav.example.org/remote.php/dav/files/umfrage/",
            "https://dav.example.org/remote.php/dav/files/umfrage/",
        ),
        ("webdav://dav.example.org:8080/share", "http://dav.example.org:8080/share/"),
        ("webdavs://dav.example.org/share", "https://dav.example.org/share/"),
        ("davs://user:pw@dav.example.org/share", "https://dav.example.org/share/"),
    ],
)
def test_open_share_picks_webdav(url: str, base: str) -> None:
    share = open_share(url, username="u", password="pw", timeout=7)
    assert isinstance(share, WebDavShare)
    assert share.base_url == base and share.timeout == 7
    assert "pw" not in share.describe() and "pw" not in repr(share)


def test_open_share_picks_folder(tmp_path: Path) -> None:
    for spec in (str(tmp_path), f"file://{tmp_path}"):
        share = open_share(spec)
        assert isinstance(share, FolderShare) and share.root == tmp_path
        assert str(tmp_path) in share.describe()


def test_open_share_rejects_unknown_scheme() -> None:
    with pytest.raises(ShareError, match="unsupported") as caught:
        open_share("ftp://user:topsecret@files.example.org/share")
    assert "topsecret" not in str(caught.value)
