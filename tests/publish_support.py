"""What the publishing tests share: a world of one's own (a store, fresh departments, the services that
publish them), the two portals they run on (the in-memory twin and the real local CKAN) behind one small
:class:`Backend`, and a counting proxy that counts the calls on the wire in front of the real CKAN.
"""

from __future__ import annotations

import http.server
import secrets
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import yaml
from pydantic import SecretStr
from sqlalchemy import select

from catalog.inventory import Source, save_entry
from catalog.models import Entry, Publication
from catalog.organisation import Organisation, load_organisation
from catalog.publish.portal import CkanPortal, is_write
from catalog.publish.run import PortalTarget
from catalog.publish.summary import PublishedItem, PublishSummary
from catalog.review.decisions import approve
from connectors.ckan import CkanTwin, twin_portal
from flows.services import Services
from flows.settings import Settings
from flows.steps.publish import publish

EU = "http://publications.europa.eu/resource/authority/"
LICENCE = "http://dcat-ap.de/def/licenses/dl-zero-de/2.0"
TIMEOUT = 60
REVIEWER = "Erika Muster"


# --------------------------------------------------------------------------- a counting proxy


class CountingProxy:
    """A reverse proxy in front of CKAN that counts the action calls passing through it."""

    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.calls: Counter[str] = Counter()
        self.lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if "/api/" in self.path:
                    with proxy.lock:
                        proxy.calls[self.path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]] += 1
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                try:
                    answer = requests.request(self.command, proxy.target + self.path, data=body, headers=headers,
                                              timeout=TIMEOUT, allow_redirects=False)
                    status_code, content = answer.status_code, answer.content
                    content_type = answer.headers.get("Content-Type", "application/json")
                except requests.RequestException:
                    status_code, content, content_type = 502, b'{"success": false}', "application/json"
                self.send_response(status_code)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = _forward

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def writes(self) -> int:
        with self.lock:
            return sum(n for action, n in self.calls.items() if is_write(action))

    def reset(self) -> None:
        with self.lock:
            self.calls.clear()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --------------------------------------------------------------------------- a world of one's own



@dataclass
class World:
    """A store, an organisation of fresh departments, and the services that publish them."""

    services: Services
    organisation: Organisation
    codes: dict[str, str]  # city -> department code
    word: str
    connect: Callable[[PortalTarget, Settings], CkanPortal] | None = None

    @property
    def store(self) -> Any:
        return self.services.store

    def publish(self, **options: Any) -> PublishSummary:
        """A publish run of this world's services on its backend."""
        return publish(self.services, connect_portal=self.connect, **options)

    def org_name(self, city: str = "muenchen") -> str:
        return f"{city}-{self.codes[city].lower()}"

    def add(self, n: int = 1, *, city: str = "muenchen", approved: bool = True, **over: Any) -> list[str]:
        """``n`` entries of one department, approved unless told otherwise."""
        idents = []
        with self.store.session() as session:
            for _ in range(n):
                word = unique_word()
                values = sample(word, **over)
                saved = save_entry(session, values, city=city, department=self.codes[city],
                                   source=Source("survey", "test.xlsx"), organisation=self.organisation)
                saved.entry.status = "ready"
                session.flush()
                idents.append(saved.entry.identifier)
                if approved:
                    approve(session, saved.entry.identifier, REVIEWER)
        return idents

    def change(self, identifier: str, *, reapprove: bool = False, **over: Any) -> None:
        """A new version of the entry (back to review), approved again when told."""
        with self.store.session() as session:
            entry = session.scalars(select(Entry).where(Entry.identifier == identifier)).one()
            values = {k: getattr(entry, k) for k in ("title", "description", "theme", "keywords", "contact_email",
                                                      "personal_data", "third_party_rights", "access_rights",
                                                      "license", "formats", "access_url", "frequency",
                                                      "temporal_start", "publish_proposal", "spatial_scope",
                                                      "spatial", "attribution")}
            values.update(over)
            save_entry(session, values, identifier=identifier, city=entry.city, department=entry.department,
                       source=Source("survey", "test-2.xlsx"), organisation=self.organisation)
            assert entry.status == "new"
            entry.status = "ready"
            session.flush()
            if reapprove:
                approve(session, identifier, REVIEWER)

    def status(self, identifier: str) -> str:
        with self.store.session() as session:
            return str(session.scalars(select(Entry.status).where(Entry.identifier == identifier)).one())


def unique_word(length: int = 10) -> str:
    alphabet = "bcdfghjklmnpqrstvwxz"
    return "".join(secrets.choice(alphabet) for _ in range(length))


def sample(word: str, **over: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "title": f"Baumkataster {word.capitalize()}",
        "description": f"Alle städtischen Bäume mit Art, Pflanzjahr und Standort ({word}).",
        "theme": [EU + "data-theme/ENVI"],
        "keywords": ["Bäume", f"tag-{word}", "Grün/Flächen"],
        "contact_email": "gruen@muenchen.de",
        "personal_data": "no",
        "third_party_rights": "no",
        "access_rights": EU + "access-right/PUBLIC",
        "license": LICENCE,
        "formats": [EU + "file-type/CSV", EU + "file-type/JSON"],
        "access_url": f"https://opendata.example.org/{word}.csv",
        "frequency": EU + "frequency/ANNUAL",
        "temporal_start": "2020-01-01",
        "publish_proposal": "yes",
        "spatial_scope": "city",
    }
    values.update(over)
    return values


def departments_yaml(path: Path, codes: dict[str, str]) -> Path:
    doc = {
        "opendata_contacts": {},
        "departments": [
            {"city": city, "code": code, "name": f"Referat für Tests {code}", "kind": "Referat",
             "email": f"{code.lower()}@{city}.example.org"}
            for city, code in codes.items()
        ],
    }
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def settings_for(tmp_path: Path, url: str, token: str, departments: Path, **over: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": f"sqlite:///{tmp_path / 'inventur.db'}",
        "data_dir": tmp_path / "data",
        "departments_file": departments,
        "ckan_url": url,
        "ckan_token": SecretStr(token),
        "ckan_url_muenchen": None, "ckan_url_augsburg": None, "ckan_url_nuernberg": None,
        "ckan_token_muenchen": None, "ckan_token_augsburg": None, "ckan_token_nuernberg": None,
        "http_timeout": 30.0,
        "publish_concurrency": 4,
    }
    values.update(over)
    return Settings(**values)


def make_world(tmp_path: Path, url: str, token: str, *,
               connect: Callable[[PortalTarget, Settings], CkanPortal] | None = None, **over: Any) -> World:
    """A world publishing to ``url`` (through ``connect``; default: the real client)."""
    codes = {city: "P" + secrets.token_hex(4).upper()[:7] for city in ("muenchen", "augsburg")}
    departments = departments_yaml(tmp_path / "departments.yaml", codes)
    services = Services(settings_for(tmp_path, url, token, departments, **over))
    return World(services, load_organisation(departments), codes, unique_word(), connect)


@dataclass
class Backend:
    """A portal the publishing cases run on: ``kind`` is ``twin`` or ``portal``. ``ckan`` calls an action as
    the sysadmin (past any fault of the twin); ``writes_seen`` counts the writes that reached the portal (the
    twin counts them itself, the real portal through a counting proxy in front of it)."""

    kind: str
    url: str
    token: str
    ckan: Callable[..., Any]
    writes_seen: Callable[[], int]
    calls_seen: Callable[[], Counter[str]]
    reset: Callable[[], None]
    connect: Callable[[PortalTarget, Settings], CkanPortal] | None = None
    twins: dict[str, CkanTwin] = field(default_factory=dict)

    def world(self, tmp_path: Path, **over: Any) -> World:
        return make_world(tmp_path, self.url, self.token, connect=self.connect, **over)

    def dataset_page(self, link: str) -> bool:
        """Whether the dataset's page answers (the twin has no pages: its package is looked up instead)."""
        if self.kind == "twin":
            return self.twins[self.url].package(link.rsplit("/", 1)[-1]) is not None
        return requests.get(link, timeout=TIMEOUT).status_code == 200


def twin_backend(concurrency: int = 4) -> Backend:
    """The in-memory twin as a backend (further twins come up for other URLs, one per portal)."""
    twins: dict[str, CkanTwin] = {}
    main = CkanTwin("http://ckan.twin")
    twins[main.url] = main

    def connect(target: PortalTarget, settings: Settings) -> CkanPortal:
        twin = twins.setdefault(target.url, CkanTwin(target.url, main.token))
        return twin_portal(twin, concurrency=settings.publish_concurrency)

    def ckan(action: str, **data: Any) -> Any:
        return main.sysadmin(action, **data)

    def reset() -> None:
        main.calls.clear()

    return Backend("twin", main.url, main.token, ckan, lambda: main.writes, lambda: main.calls, reset, connect, twins)


def names(result: dict[str, Any]) -> list[str]:
    return sorted(p["name"] for p in result["results"])


def publications(world: World) -> list[tuple[str, str, bool]]:
    with world.store.session() as session:
        rows = session.execute(
            select(Entry.identifier, Publication.action, Publication.ok)
            .join(Entry, Entry.id == Publication.entry_id).order_by(Publication.id)
        ).all()
    return [(str(i), str(a), bool(ok)) for i, a, ok in rows]




def watch_created(after: int, then: Callable[[], None]) -> Callable[[PublishedItem], None]:
    """An ``on_result`` that calls ``then`` once ``after`` packages were created."""
    count = 0

    def watch(item: PublishedItem) -> None:
        nonlocal count
        if item.result == "created":
            count += 1
            if count == after:
                then()

    return watch
