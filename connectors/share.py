"""The sharing platform where each department finds its survey workbook and returns it.

Layout on every share, below its root::

    <root>/<city>/<department>/outbox/   we write: blank surveys, feedback workbooks
    <root>/<city>/<department>/inbox/    departments drop their filled workbooks

`Share` is the one small interface; `FolderShare` serves a local or mounted folder and
`WebDavShare` a WebDAV server (Nextcloud, SharePoint's WebDAV endpoint, an Apache or IIS
share). `open_share` picks the implementation from a URL or path.

Writes are atomic: a workbook is first written under a hidden temporary name in the same
folder and then renamed (WebDAV: MOVE), so a department never sees a half-written file
under the final name. Reads are bounded by a size limit that is enforced while reading,
so an oversized upload is rejected without being loaded into memory first.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import uuid
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import quote, unquote, urlsplit, urlunsplit
from urllib.request import url2pathname
from xml.etree.ElementTree import Element

import requests
from defusedxml import ElementTree as SafeElementTree
from requests.auth import HTTPBasicAuth

from catalog.errors import RemoteUnavailableError
from connectors.retry import Backoff, RetriesExhausted, retry

if TYPE_CHECKING:
    from pydantic import SecretStr

__all__ = [
    "DEFAULT_MAX_READ_BYTES",
    "Delivery",
    "FolderShare",
    "RemoteFile",
    "Share",
    "ShareError",
    "TooLargeError",
    "UnsafeNameError",
    "WebDavShare",
    "open_share",
]

log = logging.getLogger(__name__)

#: Largest file `Share.read` returns unless told otherwise; matches the survey file check.
DEFAULT_MAX_READ_BYTES = 20 * 1024 * 1024

OUTBOX = "outbox"
INBOX = "inbox"

_CHUNK = 64 * 1024
_CITY_RE = re.compile(r"[a-z][a-z0-9_-]{0,39}")
_DEPARTMENT_RE = re.compile(r"[A-Za-z0-9ÄÖÜäöüß][A-Za-z0-9ÄÖÜäöüß_.-]{0,39}")
_MAX_FILENAME = 200
# Characters that break a path on some platform a share may be mounted from (SMB, Windows).
_FORBIDDEN_IN_FILENAME = frozenset('/\\:*?"<>|')
# Excel ("~$name.xlsx") and LibreOffice (".~lock.name.xlsx#") lock files, our own temporary
# files and hidden files are never submissions.
_IGNORED_PREFIXES = (".", "~$")


# --------------------------------------------------------------------------- errors


class ShareError(RemoteUnavailableError):
    """The share cannot be used for this operation; the message says why and what to check.

    `location` is the path or URL involved (never with a password), `status` the HTTP
    status if the server answered.
    """

    def __init__(self, message: str, *, location: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.location = location
        self.status = status


class UnsafeNameError(ShareError, ValueError):
    """A city, department or file name that is empty, malformed or escapes its folder."""


class TooLargeError(ShareError):
    """A file on the share is larger than the caller allows to read."""


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Delivery:
    """A workbook written to a department's outbox: where, how big, its checksum and when."""

    city: str
    department: str
    name: str
    location: str
    size: int
    sha256: str
    when: datetime


@dataclass(frozen=True)
class RemoteFile:
    """A file found in a department's inbox.

    `etag` is the server's entity tag where the share has one (WebDAV), else None.
    `location` is a path or URL for messages; `Share.read` locates the file from
    city, department and name again, so a RemoteFile cannot point outside the share.
    """

    city: str
    department: str
    name: str
    size: int
    modified: datetime | None
    etag: str | None
    location: str


class Share(Protocol):
    """Department folders on a sharing platform."""

    def describe(self) -> str:
        """Where this share is, for log lines and operator messages (never with a password)."""
        ...

    def ensure_department(self, city: str, department: str) -> None:
        """Create the department's folder with its outbox and inbox, if missing."""
        ...

    def put_outbox(self, city: str, department: str, filename: str, data: bytes) -> Delivery:
        """Write `data` atomically as `filename` into the department's outbox."""
        ...

    def list_inbox(self, city: str, department: str) -> list[RemoteFile]:
        """The files a department dropped into its inbox, sorted by name; [] if it has no inbox."""
        ...

    def list_all_inboxes(self) -> list[RemoteFile]:
        """The inbox files of every department of every city on the share."""
        ...

    def read(self, remote_file: RemoteFile, *, max_bytes: int = DEFAULT_MAX_READ_BYTES) -> bytes:
        """The content of an inbox file; `TooLargeError` if it is over `max_bytes`."""
        ...

    def close(self) -> None:
        """Release connections; the share is not used afterwards."""
        ...


# --------------------------------------------------------------------------- names


def _check_city(city: str) -> str:
    """Return `city` if it is a city key such as ``muenchen``."""
    if not isinstance(city, str) or not _CITY_RE.fullmatch(city):
        raise UnsafeNameError(f"invalid city key {city!r}: expected lower-case letters, digits, '-' or '_'")
    return city


def _check_department(department: str) -> str:
    """Return `department` if it is a department code such as ``KVR`` or ``Amt-62``."""
    if not isinstance(department, str) or not _DEPARTMENT_RE.fullmatch(department):
        raise UnsafeNameError(
            f"invalid department code {department!r}: expected letters, digits, '.', '-' or '_' "
            "(at most 40, starting with a letter or digit)"
        )
    return department


def _check_filename(name: str) -> str:
    """Return `name` if it is a single, harmless file name (no folder, no traversal)."""
    if not isinstance(name, str) or not name or name.strip() != name:
        raise UnsafeNameError(f"invalid file name {name!r}: empty or with leading/trailing blanks")
    if name in (".", "..") or len(name) > _MAX_FILENAME:
        raise UnsafeNameError(f"invalid file name {name!r}")
    bad = {c for c in name if c in _FORBIDDEN_IN_FILENAME or ord(c) < 32 or ord(c) == 127}
    if bad:
        raise UnsafeNameError(f"invalid file name {name!r}: contains {''.join(sorted(bad))!r}")
    return name


def _check_new_filename(name: str) -> str:
    """Like `_check_filename`, and not a name reserved for temporary or lock files."""
    _check_filename(name)
    if name.startswith(_IGNORED_PREFIXES) or name.endswith("."):
        raise UnsafeNameError(f"invalid file name {name!r}: must not start with '.' or '~$' or end with '.'")
    return name


def _is_submission_name(name: str) -> bool:
    """Whether an inbox entry named `name` can be a department's upload (not a lock/temp file)."""
    if name.startswith(_IGNORED_PREFIXES):
        return False
    try:
        _check_filename(name)
    except UnsafeNameError:
        log.warning("ignoring inbox file with an unusable name: %r", name)
        return False
    return True


def _is_city(name: str) -> bool:
    return bool(_CITY_RE.fullmatch(name))


def _is_department(name: str) -> bool:
    return bool(_DEPARTMENT_RE.fullmatch(name))


def _temp_name(filename: str) -> str:
    """A hidden, unique name beside the final one; listings skip it, a rename makes it final."""
    return f".{filename}.{uuid.uuid4().hex[:12]}.part"


def _sort_key(f: RemoteFile) -> tuple[str, str, str]:
    return (f.city, f.department, f.name)


# --------------------------------------------------------------------------- folder


class FolderShare:
    """A share that is a plain folder: local, or a mounted network drive (SMB, NFS).

    The root must exist: on a mount point that is not mounted, writing would silently fill
    the local disk instead of the share, so a missing root is an error, never created.
    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).expanduser()

    def __repr__(self) -> str:
        return f"FolderShare({str(self.root)!r})"

    def describe(self) -> str:
        return f"folder {self.root}"

    def close(self) -> None:
        """Nothing to release for a folder."""

    def ensure_department(self, city: str, department: str) -> None:
        base = self._department_dir(city, department)
        self._require_root()
        try:
            for box in (OUTBOX, INBOX):
                (base / box).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ShareError(
                f"cannot create department folder {base}: {exc.strerror or exc}", location=str(base)
            ) from exc

    def put_outbox(self, city: str, department: str, filename: str, data: bytes) -> Delivery:
        outbox = self._department_dir(city, department) / OUTBOX
        final = outbox / _check_new_filename(filename)
        self._require_inside(outbox)
        if not outbox.is_dir():
            raise ShareError(
                f"outbox folder {outbox} does not exist: run ensure_department({city!r}, {department!r}) first",
                location=str(outbox),
            )
        temp = outbox / _temp_name(filename)
        try:
            self._write_file(temp, data)
            os.replace(temp, final)
        except OSError as exc:
            temp.unlink(missing_ok=True)
            raise ShareError(f"cannot write {final}: {exc.strerror or exc}", location=str(final)) from exc
        return Delivery(
            city=city,
            department=department,
            name=filename,
            location=str(final),
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            when=datetime.now(UTC),
        )

    def list_inbox(self, city: str, department: str) -> list[RemoteFile]:
        inbox = self._department_dir(city, department) / INBOX
        if not inbox.is_dir():
            return []
        if not self._inside(inbox):
            log.warning("ignoring inbox %s: a link out of the share", inbox)
            return []
        try:
            files = [self._remote_file(city, department, entry) for entry in self._submissions(inbox)]
        except OSError as exc:
            raise ShareError(f"cannot list {inbox}: {exc.strerror or exc}", location=str(inbox)) from exc
        return sorted(files, key=_sort_key)

    def list_all_inboxes(self) -> list[RemoteFile]:
        self._require_root()
        files: list[RemoteFile] = []
        try:
            for city_dir in self._subfolders(self.root, _is_city):
                for dept_dir in self._subfolders(city_dir, _is_department):
                    files.extend(self.list_inbox(city_dir.name, dept_dir.name))
        except OSError as exc:
            raise ShareError(
                f"cannot list {self.root}: {exc.strerror or exc}", location=str(self.root)
            ) from exc
        return sorted(files, key=_sort_key)

    def read(self, remote_file: RemoteFile, *, max_bytes: int = DEFAULT_MAX_READ_BYTES) -> bytes:
        path = (
            self._department_dir(remote_file.city, remote_file.department)
            / INBOX
            / _check_filename(remote_file.name)
        )
        if path.is_symlink() or not self._inside(path.parent):
            raise ShareError(f"refusing to read {path}: it is a symbolic link or lies outside the share",
                             location=str(path))
        try:
            with os.fdopen(os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)), "rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                if size > max_bytes:
                    raise _too_large(str(path), size, max_bytes)
                # The file may grow between fstat and read: read one byte more than allowed to notice.
                data = handle.read(max_bytes + 1)
        except FileNotFoundError as exc:
            raise ShareError(f"{path} no longer exists", location=str(path)) from exc
        except OSError as exc:
            raise ShareError(f"cannot read {path}: {exc.strerror or exc}", location=str(path)) from exc
        if len(data) > max_bytes:
            raise _too_large(str(path), None, max_bytes)
        return data

    # ----------------------------------------------------------------- helpers

    def _inside(self, path: Path) -> bool:
        """Whether ``path`` (followed through any links) still lies inside the share's root."""
        return path.resolve().is_relative_to(self.root.resolve())

    def _require_inside(self, path: Path) -> None:
        if path.exists() and not self._inside(path):
            raise ShareError(f"refusing to use {path}: a link out of the share", location=str(path))

    def _department_dir(self, city: str, department: str) -> Path:
        return self.root / _check_city(city) / _check_department(department)

    def _require_root(self) -> None:
        if not self.root.is_dir():
            raise ShareError(
                f"share root {self.root} does not exist or is not a folder (is the network drive mounted?)",
                location=str(self.root),
            )

    @staticmethod
    def _write_file(path: Path, data: bytes) -> None:
        """Write and flush to disk, so the rename publishes complete content only."""
        with path.open("xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())

    @staticmethod
    def _submissions(inbox: Path) -> Iterator[os.DirEntry[str]]:
        """Regular files (not symlinks, folders, lock or temporary files) in an inbox."""
        with os.scandir(inbox) as entries:
            for entry in entries:
                if entry.is_file(follow_symlinks=False) and _is_submission_name(entry.name):
                    yield entry

    @staticmethod
    def _subfolders(parent: Path, accept: Callable[[str], bool]) -> list[Path]:
        """Sub-folders of `parent` whose names pass `accept`; skips `#recycle`, `.snapshot` and the like."""
        with os.scandir(parent) as entries:
            return sorted(
                Path(entry.path)
                for entry in entries
                if entry.is_dir(follow_symlinks=False) and accept(entry.name)
            )

    @staticmethod
    def _remote_file(city: str, department: str, entry: os.DirEntry[str]) -> RemoteFile:
        stat = entry.stat(follow_symlinks=False)
        return RemoteFile(
            city=city,
            department=department,
            name=entry.name,
            size=stat.st_size,
            modified=datetime.fromtimestamp(stat.st_mtime, tz=UTC),
            etag=None,
            location=entry.path,
        )


# --------------------------------------------------------------------------- WebDAV

_DAV = "{DAV:}"
_PROPFIND_BODY = (
    b'<?xml version="1.0" encoding="utf-8"?>'
    b'<d:propfind xmlns:d="DAV:"><d:prop>'
    b"<d:resourcetype/><d:getcontentlength/><d:getlastmodified/><d:getetag/>"
    b"</d:prop></d:propfind>"
)
_STATUS_HINTS = {
    401: "check the user name and password for the share",
    403: "the account lacks permission for this folder; ask the share's administrator",
    404: "check the share URL; the department folders may not exist yet (ensure_department)",
    405: "the server does not allow this method here; check that the URL points to a WebDAV folder",
    409: "a parent folder is missing; check the share URL or run ensure_department first",
    412: "the server refused to overwrite; check the target file",
    413: "the server refused the upload as too large",
    423: "the file is locked, probably open in someone's Excel; try again later",
    507: "the share is full; ask the share's administrator for more space",
}


@dataclass(frozen=True)
class _DavEntry:
    """One member of a WebDAV collection, as PROPFIND reports it."""

    name: str
    is_collection: bool
    size: int
    modified: datetime | None
    etag: str | None


def _secret_value(password: str | SecretStr | None) -> str | None:
    """The plain password from a str or a pydantic SecretStr (duck-typed: no pydantic import)."""
    if password is None:
        return None
    getter = getattr(password, "get_secret_value", None)
    return str(getter()) if callable(getter) else str(password)


def _split_credentials(url: str) -> tuple[str, str | None, str | None]:
    """`url` without user info, and the user and password that were in it."""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if ":" in netloc:  # IPv6 literal
        netloc = f"[{netloc}]"
    if parts.port is not None:
        netloc = f"{netloc}:{parts.port}"
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, "")), user, password


class WebDavShare:
    """A share on a WebDAV server, spoken to with plain HTTP through one requests Session.

    Every request carries `timeout`; connection errors, timeouts and 5xx answers are retried
    up to `attempts` times in all, waiting `backoff`, 2x`backoff`, ... in between; 4xx answers
    are never retried (a wrong password stays wrong). Redirects are not followed, because a
    redirected PUT or MOVE is not safe to replay: the error names the new URL instead.
    Not thread-safe: use one instance per thread.
    """

    def __init__(
        self,
        url: str,
        *,
        username: str | None = None,
        password: str | SecretStr | None = None,
        timeout: float = 30.0,
        attempts: int = 3,
        backoff: float = 0.5,
        session: requests.Session | None = None,
    ) -> None:
        clean_url, url_user, url_password = _split_credentials(url)
        if urlsplit(clean_url).scheme not in ("http", "https") or not urlsplit(clean_url).hostname:
            raise ShareError(f"not a WebDAV URL: {clean_url!r}", location=clean_url)
        if attempts < 1 or timeout <= 0:
            raise ValueError("attempts must be >= 1 and timeout > 0")
        self.base_url = clean_url.rstrip("/") + "/"
        self.username = username if username is not None else url_user
        self.timeout = timeout
        self.attempts = attempts
        self.backoff = backoff
        self._session = session or requests.Session()
        plain = _secret_value(password) if password is not None else url_password
        if plain is not None and self.username is None:
            raise ShareError(
                f"a password was given for {self.base_url} but no user name", location=self.base_url
            )
        if self.username is not None:
            self._session.auth = HTTPBasicAuth(self.username, plain or "")

    def __repr__(self) -> str:
        return f"WebDavShare({self.base_url!r}, username={self.username!r})"

    def describe(self) -> str:
        user = f" as {self.username}" if self.username else ""
        return f"WebDAV {self.base_url}{user}"

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> WebDavShare:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ----------------------------------------------------------------- Share

    def ensure_department(self, city: str, department: str) -> None:
        _check_city(city)
        _check_department(department)
        for segments in ((city,), (city, department), (city, department, OUTBOX), (city, department, INBOX)):
            # 405 Method Not Allowed is the RFC 4918 answer for "already exists".
            self._request(
                "MKCOL", self._url(*segments, folder=True), expected=(201, 405), action="create folder"
            )

    def put_outbox(self, city: str, department: str, filename: str, data: bytes) -> Delivery:
        final_url = self._url(
            _check_city(city), _check_department(department), OUTBOX, _check_new_filename(filename)
        )
        temp_url = self._url(city, department, OUTBOX, _temp_name(filename))
        try:
            self._request(
                "PUT",
                temp_url,
                expected=(200, 201, 204),
                action=f"upload {filename!r}",
                data=data,
                headers={"Content-Type": "application/octet-stream"},
            )
            self._request(
                "MOVE",
                temp_url,
                expected=(201, 204),
                action=f"rename the upload of {filename!r}",
                headers={"Destination": final_url, "Overwrite": "T"},
            )
        except ShareError:
            self._discard(temp_url)
            raise
        return Delivery(
            city=city,
            department=department,
            name=filename,
            location=final_url,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            when=datetime.now(UTC),
        )

    def list_inbox(self, city: str, department: str) -> list[RemoteFile]:
        entries = self._propfind(
            self._url(_check_city(city), _check_department(department), INBOX, folder=True)
        )
        if entries is None:
            return []
        files = [
            RemoteFile(
                city=city,
                department=department,
                name=entry.name,
                size=entry.size,
                modified=entry.modified,
                etag=entry.etag,
                location=self._url(city, department, INBOX, entry.name),
            )
            for entry in entries
            if not entry.is_collection and _is_submission_name(entry.name)
        ]
        return sorted(files, key=_sort_key)

    def list_all_inboxes(self) -> list[RemoteFile]:
        files: list[RemoteFile] = []
        for city in self._subfolders(self.base_url, _is_city, required=True):
            for department in self._subfolders(self._url(city, folder=True), _is_department):
                files.extend(self.list_inbox(city, department))
        return sorted(files, key=_sort_key)

    def read(self, remote_file: RemoteFile, *, max_bytes: int = DEFAULT_MAX_READ_BYTES) -> bytes:
        url = self._url(
            _check_city(remote_file.city),
            _check_department(remote_file.department),
            INBOX,
            _check_filename(remote_file.name),
        )
        if remote_file.size > max_bytes:
            raise _too_large(url, remote_file.size, max_bytes)
        response = self._request("GET", url, expected=(200,), action="download", stream=True)
        with response:
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise _too_large(url, int(declared), max_bytes)
            return self._read_body(response, url, max_bytes)

    # ----------------------------------------------------------------- HTTP

    def _url(self, *segments: str, folder: bool = False) -> str:
        path = "/".join(quote(segment, safe="") for segment in segments)
        return self.base_url + path + ("/" if folder and path else "")

    def _request(
        self,
        method: str,
        url: str,
        *,
        expected: Collection[int],
        action: str,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
        stream: bool = False,
    ) -> requests.Response:
        """Send one request with timeout and bounded retries; return the response if its status is expected."""

        def once() -> requests.Response:
            try:
                response = self._session.request(
                    method,
                    url,
                    data=data,
                    headers=headers,
                    timeout=self.timeout,
                    stream=stream,
                    allow_redirects=False,
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                raise _Retryable(_describe_connection_error(exc), None) from exc
            if response.status_code in expected:
                return response
            response.close()
            if response.status_code < 500:
                raise _status_error(method, url, action, response)
            raise _Retryable(f"{response.status_code} {response.reason}", response.status_code)

        def warn(attempt: int, failure: BaseException, delay: float) -> None:
            log.warning(
                "WebDAV %s %s failed (%s), attempt %d of %d; retrying in %.2fs",
                method,
                url,
                failure,
                attempt,
                self.attempts,
                delay,
            )

        try:
            return retry(once, Backoff(self.attempts, self.backoff, max_backoff=float("inf")),
                         retry_on=(_Retryable,), on_retry=warn)
        except RetriesExhausted as exc:
            last = exc.last
            status = last.status if isinstance(last, _Retryable) else None
            raise ShareError(
                f"cannot {action}: WebDAV {method} {url} failed after {self.attempts} attempts ({last}); "
                "check that the server is reachable and running",
                location=url,
                status=status,
            ) from None

    def _propfind(self, url: str) -> list[_DavEntry] | None:
        """Members of the collection at `url` (PROPFIND depth 1), or None if it does not exist."""
        response = self._request(
            "PROPFIND",
            url,
            expected=(207, 404),
            action="list folder",
            data=_PROPFIND_BODY,
            headers={"Depth": "1", "Content-Type": "application/xml; charset=utf-8"},
        )
        if response.status_code == 404:
            return None
        try:
            return _parse_multistatus(response.content, url)
        except (SafeElementTree.ParseError, ValueError) as exc:
            raise ShareError(
                f"cannot list folder: WebDAV PROPFIND {url} returned an unreadable answer ({exc}); "
                "check that the URL points to a WebDAV server",
                location=url,
            ) from exc

    def _subfolders(self, url: str, accept: Callable[[str], bool], *, required: bool = False) -> list[str]:
        """Names of sub-collections of `url` that pass `accept` (e.g. skips `#recycle`)."""
        entries = self._propfind(url)
        if entries is None:
            if required:
                raise ShareError(f"share root {url} does not exist (404); check the share URL", location=url)
            return []
        return sorted(entry.name for entry in entries if entry.is_collection and accept(entry.name))

    def _read_body(self, response: requests.Response, url: str, max_bytes: int) -> bytes:
        """Stream the body into memory, stopping as soon as it exceeds `max_bytes`."""
        body = bytearray()
        try:
            for chunk in response.iter_content(_CHUNK):
                body += chunk
                if len(body) > max_bytes:
                    raise _too_large(url, None, max_bytes)
        except requests.RequestException as exc:
            raise ShareError(
                f"cannot download: WebDAV GET {url} was interrupted ({_describe_connection_error(exc)}); try again",
                location=url,
            ) from exc
        return bytes(body)

    def _discard(self, url: str) -> None:
        """Best-effort removal of a temporary upload after a failure; never raises."""
        try:
            self._session.request("DELETE", url, timeout=self.timeout, allow_redirects=False).close()
        except requests.RequestException as exc:
            log.warning("could not remove temporary upload %s: %s", url, _describe_connection_error(exc))


class _Retryable(Exception):
    """A WebDAV failure worth another attempt (no connection, a timeout, a 5xx answer)."""

    def __init__(self, failure: str, status: int | None) -> None:
        super().__init__(failure)
        self.status = status


def _describe_connection_error(exc: requests.RequestException) -> str:
    """A short reason for a transport failure, e.g. ``ConnectionError: Connection refused``."""
    text = str(exc)
    errno_reason = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", text)
    if errno_reason:
        reason = errno_reason.group(1).strip()
    elif "timed out" in text.lower():
        reason = "timed out"
    else:
        reason = text[:200]
    return f"{type(exc).__name__}: {reason}"


def _status_error(method: str, url: str, action: str, response: requests.Response) -> ShareError:
    """An operator-readable error for an unexpected 3xx/4xx answer."""
    status = response.status_code
    if 300 <= status < 400:
        hint = f"the server redirects to {response.headers.get('Location', '?')}; use that URL for the share"
    else:
        hint = _STATUS_HINTS.get(status, "see the server's log for details")
    return ShareError(
        f"cannot {action}: WebDAV {method} {url} answered {status} {response.reason}; {hint}",
        location=url,
        status=status,
    )


def _too_large(location: str, size: int | None, limit: int) -> TooLargeError:
    actual = f"{size} bytes" if size is not None else "more"
    return TooLargeError(
        f"{location} is too large to read: {actual} over the limit of {limit} bytes", location=location
    )


def _parse_multistatus(body: bytes, collection_url: str) -> list[_DavEntry]:
    """Entries of a PROPFIND multistatus answer, without the collection itself."""
    root = SafeElementTree.fromstring(body)
    own_path = unquote(urlsplit(collection_url).path).rstrip("/")
    entries: list[_DavEntry] = []
    for response in root.iter(f"{_DAV}response"):
        href = response.findtext(f"{_DAV}href", default="").strip()
        path = unquote(urlsplit(href).path).rstrip("/")
        if not path or path == own_path:
            continue
        entries.append(_entry_from_props(path.rsplit("/", 1)[-1], _ok_props(response)))
    return entries


def _ok_props(response: Element) -> dict[str, Element]:
    """The properties a multistatus response reports with status 200, by local name."""
    props: dict[str, Element] = {}
    for propstat in response.iter(f"{_DAV}propstat"):
        status = propstat.findtext(f"{_DAV}status", default="")
        if " 200 " not in f"{status} ":
            continue
        for prop in propstat.iter(f"{_DAV}prop"):
            for child in prop:
                props[child.tag.removeprefix(_DAV)] = child
    return props


def _entry_from_props(name: str, props: dict[str, Element]) -> _DavEntry:
    resourcetype = props.get("resourcetype")
    is_collection = resourcetype is not None and resourcetype.find(f"{_DAV}collection") is not None
    length = (props["getcontentlength"].text or "").strip() if "getcontentlength" in props else ""
    modified_text = (props["getlastmodified"].text or "").strip() if "getlastmodified" in props else ""
    etag = (props["getetag"].text or "").strip() if "getetag" in props else ""
    return _DavEntry(
        name=name,
        is_collection=is_collection,
        size=int(length) if length.isdigit() else 0,
        modified=_parse_http_date(modified_text),
        etag=etag or None,
    )


def _parse_http_date(text: str) -> datetime | None:
    if not text:
        return None
    try:
        value = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# --------------------------------------------------------------------------- factory

_WEBDAV_SCHEMES = {
    "http": "http",
    "https": "https",
    "webdav": "http",
    "webdavs": "https",
    "dav": "http",
    "davs": "https",
}


def open_share(
    url_or_path: str,
    *,
    username: str | None = None,
    password: str | SecretStr | None = None,
    timeout: float = 30.0,
) -> Share:
    """The share at `url_or_path`: WebDAV for ``http(s)://`` (also ``webdav(s)://``, ``dav(s)://``),
    a folder for a path or ``file://`` URL.

    Credentials may also come inside the URL (``https://user:pw@host/...``); explicit
    `username`/`password` win. Any other scheme is a `ShareError`.
    """
    text = url_or_path.strip()
    match = re.match(r"([A-Za-z][A-Za-z0-9+.-]*)://", text)
    if match is None:
        return FolderShare(text)
    scheme = match.group(1).lower()
    if scheme == "file":
        return FolderShare(url2pathname(urlsplit(text).path))
    if scheme not in _WEBDAV_SCHEMES:
        clean, _, _ = _split_credentials(text)
        raise ShareError(
            f"unsupported share URL {clean!r}: use a folder path, file://, http(s):// or webdav(s)://",
            location=clean,
        )
    http_url = _WEBDAV_SCHEMES[scheme] + text[len(scheme) :]
    return WebDavShare(http_url, username=username, password=password, timeout=timeout)
