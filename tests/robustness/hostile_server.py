"""A local HTTP server that answers as hostile or broken servers do: slowly, too much, in loops.

Each route is a small function of the request; :func:`serve` runs the server in a thread for a test.
The bodies are built here, deterministically; nothing comes from the network.
"""

from __future__ import annotations

import contextlib
import gzip
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Route = Callable[["Handler"], None]


@dataclass
class Hostile:
    """The routes of one server and a log of the paths asked for."""

    routes: dict[str, Route] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)
    url: str = ""

    def route(self, path: str) -> Callable[[Route], Route]:
        def register(function: Route) -> Route:
            self.routes[path] = function
            return function

        return register


class Handler(BaseHTTPRequestHandler):
    server: Any
    protocol_version = "HTTP/1.1"

    def log_message(self, *_args: Any) -> None:  # quiet
        return None

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.path).query)

    def do_GET(self) -> None:
        hostile: Hostile = self.server.hostile
        path = urlsplit(self.path).path
        hostile.asked.append(self.path)
        route = hostile.routes.get(path)
        if route is None:
            self.send_bytes(b"not here", status=404, kind="text/plain")
            return
        with contextlib.suppress(OSError):  # the client gave up: that is what these routes are for
            route(self)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.do_GET()

    def send_bytes(self, body: bytes, *, status: int = 200, kind: str = "application/json",
                   headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, location: str, status: int = 302) -> None:
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def drip(self, body: bytes, *, every: float, kind: str = "application/json", headers_slowly: bool = False) -> None:
        """One byte every ``every`` seconds: each read succeeds, the answer never ends in time."""
        if headers_slowly:
            for byte in b"HTTP/1.1 200 OK\r\n":
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(every)
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        for byte in body:
            self.wfile.write(bytes([byte]))
            self.wfile.flush()
            time.sleep(every)

    def truncated(self, body: bytes, *, kind: str = "application/json") -> None:
        """Announces more than it sends, then closes the connection."""
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body) * 2))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        self.close_connection = True


def gzip_bomb(unpacked: int) -> bytes:
    """``unpacked`` zero bytes, gzip-compressed (about a thousandth of the size)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1 << 20)
    parts = [compressor.compress(block) for _ in range(unpacked >> 20)]
    parts.append(compressor.flush())
    return b"".join(parts)


def gzip_bytes(body: bytes) -> bytes:
    return gzip.compress(body, mtime=0)


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        return None  # a client that gives up mid-request is what these routes are for


@contextmanager
def serve(hostile: Hostile) -> Iterator[Hostile]:
    server = _Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.hostile = hostile  # type: ignore[attr-defined]
    hostile.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hostile
    finally:
        server.shutdown()
        server.server_close()
