"""DEVELOPMENT STAND-IN for Apache Solr, serving the local CKAN development portal of inventur.

This is NOT Apache Solr. Solr cannot be installed on the project's machines, yet CKAN 2.11 indexes
every dataset in Solr and fails without it, so this small server answers the part of Solr's HTTP
API that CKAN uses: ``admin/ping``, the schema check (``schema?wt=schema.xml`` and
``admin/file?file=schema.xml``, answered with CKAN's own ``schema.xml``), ``update`` (JSON and XML:
add, delete by id and by query, commit) and ``select`` (``q``, repeated ``fq``, ``fl``, ``rows``,
``start``, ``sort``, facets, ``defType`` lucene/dismax/edismax with ``qf``, ``mm``, ``q.op``;
``wt=json``). Queries follow Lucene syntax; fields are indexed as CKAN's schema.xml declares them.
Data lives in one SQLite file per core in the data directory.

Production portals run CKAN's official Solr (the ``ckan/ckan-solr`` images); nothing here is meant
to replace it.

Run it with ``python -m portal.solr --port 8983 --data DIR [--schema FILE] [--host 127.0.0.1]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from portal.core import CoreRegistry
from portal.datemath import DateError
from portal.documents import DocumentError
from portal.lucene import QuerySyntaxError
from portal.query import QueryError
from portal.schema import Schema, SchemaError
from portal.update import UpdateError, parse_update

log = logging.getLogger("portal.solr")

NOTICE = (
    "DEVELOPMENT STAND-IN for Apache Solr (inventur local CKAN portal); this is not Apache Solr. "
    "Production portals use CKAN's official Solr."
)
JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "application/xml; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"
MAX_BODY = 256 * 1024 * 1024

Reply = tuple[int, str, bytes]


class HttpError(Exception):
    """An error answered with a Solr-shaped JSON error body."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def find_ckan_schema() -> Path | None:
    """CKAN's ``ckan/config/solr/schema.xml`` when CKAN is importable in this interpreter."""
    spec = importlib.util.find_spec("ckan")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "config" / "solr" / "schema.xml"
        if candidate.is_file():
            return candidate
    return None


def _json(body: Any, code: int = 200) -> Reply:
    return code, JSON_TYPE, json.dumps(body, ensure_ascii=False).encode("utf-8")


def _error(code: int, message: str) -> Reply:
    return _json(
        {
            "responseHeader": {"status": code, "QTime": 0},
            "error": {"metadata": ["error-class", "portal.solr.HttpError"], "msg": message, "code": code},
        },
        code,
    )


class StandIn:
    """The HTTP-independent application: routes requests to cores and handlers."""

    def __init__(self, data_dir: Path, schema: Schema) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir = data_dir
        self.schema = schema
        self.cores = CoreRegistry(data_dir, schema)
        self.started = time.time()

    def close(self) -> None:
        """Close all cores."""
        self.cores.close()

    def handle(self, method: str, target: str, body: bytes, content_type: str) -> Reply:
        """Answer one request; never raises."""
        url = urlsplit(target)
        params = parse_qs(url.query, keep_blank_values=True)
        if method == "POST" and content_type.startswith("application/x-www-form-urlencoded"):
            for key, values in parse_qs(body.decode("utf-8"), keep_blank_values=True).items():
                params.setdefault(key, []).extend(values)
            body = b""
        parts = [p for p in url.path.split("/") if p]
        try:
            return self._route(method, parts, params, body, content_type)
        except HttpError as exc:
            return _error(exc.code, exc.message)
        except (QueryError, QuerySyntaxError, DocumentError, UpdateError, DateError) as exc:
            return _error(400, str(exc))
        except Exception as exc:  # a bug in the stand-in must not kill the server thread
            log.exception("error answering %s %s", method, target)
            return _error(500, f"{type(exc).__name__}: {exc}")

    def _route(
        self, method: str, parts: list[str], params: dict[str, list[str]], body: bytes, content_type: str
    ) -> Reply:
        if not parts or parts == ["solr"]:
            return 200, TEXT_TYPE, (NOTICE + "\nCores: " + ", ".join(self.cores.names()) + "\n").encode()
        if parts[0] != "solr" or len(parts) < 2:
            raise HttpError(404, f"no handler for /{'/'.join(parts)}")
        if parts[1] == "admin":
            return self._admin(parts[2:], params)
        try:
            core = self.cores.get(parts[1])
        except KeyError as exc:
            raise HttpError(404, f"invalid core name: {parts[1]}") from exc
        handler = "/".join(parts[2:])
        if handler == "admin/ping":
            return _json(
                {
                    "responseHeader": {"status": 0, "QTime": 0, "params": _echo(params)},
                    "status": "OK",
                    "notice": NOTICE,
                }
            )
        if handler in ("select", "query"):
            return _json(core.select(params))
        if handler in ("update", "update/json", "update/json/docs", "update/xml"):
            commands = parse_update(body, content_type, handler.removeprefix("update").strip("/"))
            return _json(core.update(commands, params))
        if handler == "schema" or handler.startswith("schema/"):
            return self._schema(handler, params)
        if handler == "admin/file":
            name = (params.get("file") or [""])[0]
            if name not in ("schema.xml", "managed-schema", "managed-schema.xml"):
                raise HttpError(404, f"file {name!r} is not served by the development stand-in")
            return 200, XML_TYPE, self.schema.text
        raise HttpError(404, f"no handler for /{'/'.join(parts)}")

    def _schema(self, handler: str, params: dict[str, list[str]]) -> Reply:
        writer = (params.get("wt") or ["json"])[0]
        if writer == "schema.xml":
            return 200, XML_TYPE, self.schema.text
        header = {"status": 0, "QTime": 0}
        schema = self.schema
        if handler == "schema/name":
            return _json({"responseHeader": header, "name": schema.name})
        if handler == "schema/version":
            return _json({"responseHeader": header, "version": float(schema.version or 0)})
        if handler == "schema/uniquekey":
            return _json({"responseHeader": header, "uniqueKey": schema.unique_key})
        if handler != "schema":
            raise HttpError(404, f"no handler for /{handler}")

        def describe(field_def: Any) -> dict[str, Any]:
            return {
                "name": field_def.name,
                "type": field_def.type.name,
                "indexed": field_def.indexed,
                "stored": field_def.stored,
                "multiValued": field_def.multi_valued,
            }

        return _json(
            {
                "responseHeader": header,
                "schema": {
                    "name": schema.name,
                    "version": float(schema.version or 0),
                    "uniqueKey": schema.unique_key,
                    "fieldTypes": [{"name": t.name, "kind": t.kind.value} for t in schema.types.values()],
                    "fields": [describe(f) for f in schema.fields.values()],
                    "dynamicFields": [describe(f) for f in schema.dynamic],
                    "copyFields": [{"source": s, "dest": d} for s, d in schema.copy_fields],
                },
                "notice": NOTICE,
            }
        )

    def _admin(self, parts: list[str], params: dict[str, list[str]]) -> Reply:
        header = {"status": 0, "QTime": 0}
        if parts == ["cores"]:
            status = {name: {"name": name, "dataDir": str(self.data_dir)} for name in self.cores.names()}
            return _json({"responseHeader": header, "status": status, "notice": NOTICE})
        if parts == ["info", "system"]:
            return _json(
                {
                    "responseHeader": header,
                    "mode": "std",
                    "lucene": {"solr-spec-version": "development stand-in"},
                    "uptime_seconds": int(time.time() - self.started),
                    "notice": NOTICE,
                }
            )
        raise HttpError(404, f"no admin handler for /{'/'.join(parts)}")


def _echo(params: dict[str, list[str]]) -> dict[str, Any]:
    return {k: v[0] if len(v) == 1 else v for k, v in params.items()}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "inventur-solr-stand-in/1"
    disable_nagle_algorithm = True  # headers and body go out in two writes; do not wait for ACKs
    server: StandInServer

    def _read_body(self) -> bytes | None:
        """The request body (plain or chunked); None if it exceeds MAX_BODY."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts: list[bytes] = []
            total = 0
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailer headers
                    return b"".join(parts)
                total += size
                if total > MAX_BODY:
                    return None
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            return None
        return self.rfile.read(length) if length else b""

    def _serve(self, method: str) -> None:
        body = self._read_body()
        if body is None:
            self.close_connection = True
            self.send_error(413, "request body too large")
            return
        started = time.perf_counter()
        code, content_type, payload = self.server.app.handle(
            method, self.path, body, self.headers.get("Content-Type", "")
        )
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("X-Solr-Stand-In", "development stand-in, not Apache Solr")
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(payload)
        log.info(
            "%s %s -> %d (%.1f ms)", method, self.path[:200], code, (time.perf_counter() - started) * 1000
        )

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_HEAD(self) -> None:
        self._serve("HEAD")

    def log_message(self, format: str, *args: Any) -> None:
        log.debug(format, *args)


class StandInServer(ThreadingHTTPServer):
    """A threading HTTP server bound to one ``StandIn`` application."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: StandIn) -> None:
        super().__init__(address, _Handler)
        self.app = app

    @property
    def url(self) -> str:
        """Base URL of the server, e.g. ``http://127.0.0.1:8983/solr``."""
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/solr"


def make_server(host: str, port: int, data_dir: Path, schema_path: Path) -> StandInServer:
    """Create (not start) a stand-in server; port 0 picks a free port."""
    return StandInServer((host, port), StandIn(data_dir, Schema.load(schema_path)))


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: serve until SIGTERM or Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m portal.solr", description=NOTICE)
    parser.add_argument("--port", type=int, default=8983, help="TCP port (default 8983)")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--data", type=Path, required=True, help="directory for the index files")
    parser.add_argument("--schema", type=Path, help="schema.xml to serve (default: CKAN's, if importable)")
    parser.add_argument("--log-level", default="INFO", help="logging level (default INFO)")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    schema_path = args.schema or find_ckan_schema()
    if schema_path is None:
        parser.error("no schema: pass --schema (CKAN's ckan/config/solr/schema.xml)")
    try:
        server = make_server(args.host, args.port, args.data, schema_path)
    except (SchemaError, OSError) as exc:
        print(f"cannot start the Solr stand-in: {exc}", file=sys.stderr)
        return 1

    def stop(signum: int, frame: object) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    log.warning("%s", NOTICE)
    log.info("listening on %s (schema %s from %s)", server.url, server.app.schema.name, schema_path)
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        server.app.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
