"""A real WebDAV server for the tests (wsgidav behind cheroot on 127.0.0.1), with a recorder in front."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from cheroot import wsgi
from wsgidav.wsgidav_app import WsgiDAVApp

USER = "opendata-muc"
PASSWORD = "Geheim-Passwort-42"

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class Recorder:
    """WSGI middleware in front of wsgidav: records every request, can answer with injected statuses.

    `faults[method]` is a list of statuses returned (in order) instead of passing the request on;
    `strip_length` removes Content-Length from GET answers, so the body arrives chunked.
    """

    def __init__(self, app: WsgiApp) -> None:
        self.app = app
        self.calls: list[tuple[str, str]] = []
        self.faults: dict[str, list[int]] = {}
        self.strip_length = False

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        self.calls.append((method, environ.get("PATH_INFO", "")))
        pending = self.faults.get(method)
        if pending:
            start_response(f"{pending.pop(0)} Injected", [("Content-Length", "0")])
            return [b""]
        if method == "GET" and self.strip_length:
            return self.app(environ, self._without_length(start_response))
        return self.app(environ, start_response)

    @staticmethod
    def _without_length(start_response: StartResponse) -> StartResponse:
        def patched(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            kept = [(k, v) for k, v in headers if k.lower() != "content-length"]
            return start_response(status, kept, *args)

        return patched

    def count(self, method: str) -> int:
        return sum(1 for m, _ in self.calls if m == method)


class DavServer:
    """A wsgidav server with basic auth on 127.0.0.1 and a free port, serving `folder`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        (folder / "survey").mkdir(parents=True)
        config = {
            "host": "127.0.0.1",
            "port": 0,
            "provider_mapping": {"/": str(folder)},
            "verbose": 0,
            "logging": {"enable": False},
            "http_authenticator": {
                "domain_controller": None,
                "accept_basic": True,
                "accept_digest": False,
                "default_to_digest": False,
            },
            "simple_dc": {"user_mapping": {"*": {USER: {"password": PASSWORD, "roles": []}}}},
            "dir_browser": {"enable": False},
        }
        self.recorder = Recorder(WsgiDAVApp(config))
        self.server = wsgi.Server(("127.0.0.1", 0), self.recorder, numthreads=4)
        self.server.expiration_interval = 0.05  # the serve loop's tick: lets stop() return quickly
        self.server.prepare()
        self.port = self.server.bind_addr[1]
        self.thread = threading.Thread(target=self.server.serve, daemon=True)
        self.thread.start()
        self.running = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/survey"

    @property
    def root(self) -> Path:
        """The share root as seen on the server's disk."""
        return self.folder / "survey"

    def stop(self) -> None:
        if self.running:
            self.server.stop()
            self.thread.join(timeout=5)
            self.running = False
