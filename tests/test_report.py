"""The campaign report: figures, HTML page (rendered in headless Chromium) and xlsx workbook, checked
against the store.

A store of two campaigns of the three cities is built through the library (deliveries, returned and
rejected files, versioned entries, findings, review decisions, a quality run); every number the
report shows is compared with an independent SQL query of that store. The page is rendered by
Debian's ``chromium``: its DOM must hold the charts with their data, the screenshot must show them
(pixels of the chart colours, counted in the browser itself), and the network log must show that the
page requested nothing. Without Chromium these tests skip; under ``INVENTUR_REQUIRE_CHROMIUM=1`` (CI)
they fail instead. The screenshots are kept under ``tests/artifacts/`` (ignored by git).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import shutil
import subprocess
import sys
import time
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from catalog.findings import finding
from catalog.inventory import Source, add_findings, close_findings, save_entry
from catalog.models import Campaign, Delivery, Entry, ReceivedFile
from catalog.organisation import load_organisation
from catalog.publish.rules import hard_blockers
from catalog.report import (
    MISSING,
    PRESENT,
    SCORE_BINS,
    kinds_across_cities,
    report_figures,
)
from catalog.store import Store
from tests.conftest import chromium_or_skip
from tests.factories import chromium, sample

ORG = load_organisation()
ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
EU = "http://publications.europa.eu/resource/authority/"
PUBLIC = EU + "access-right/PUBLIC"
NON_PUBLIC = EU + "access-right/NON_PUBLIC"
THEME = EU + "data-theme/"
CLOSED_LICENCE = "http://dcat-ap.de/def/licenses/other-closed"
BY_LICENCE = "http://dcat-ap.de/def/licenses/cc-by/4.0"
C1, C2 = "2026-fruehjahr", "2026-herbst"
REVIEWER = "Erika Muster"
INJECTION = '=HYPERLINK("http://example.org/x","klick")'
MARKUP = "<script>alert(1)</script> Haltestellen & Linien"
CITIES = ("muenchen", "augsburg", "nuernberg")


# --------------------------------------------------------------------------- the store


@dataclass
class Scenario:
    """The store of two campaigns and what the test knows about it."""

    url: str
    ids: dict[str, str] = field(default_factory=dict)


def _codes(city: str, count: int) -> list[str]:
    return [d.code for d in ORG.departments_of(city)[:count]]


M, A, N = _codes("muenchen", 4), _codes("augsburg", 3), _codes("nuernberg", 2)


def build_scenario(store: Store) -> dict[str, str]:
    """Two campaigns of the three cities; returns the identifiers by role."""
    from catalog.quality.store import assess_inventory
    from catalog.review.decisions import approve, clear_rights, mark_published, reject

    ids: dict[str, str] = {}
    counter = Counter[str]()

    def deliver(s: Any, campaign: str, city: str, dept: str) -> None:
        name = f"{city}_{dept}_{campaign}.xlsx"
        s.add(Delivery(campaign=campaign, city=city, department=dept, file_name=name, location=f"/share/{name}",
                       sha256=hashlib.sha256(name.encode()).hexdigest(), size=1000, template_version="1"))

    def receive(s: Any, campaign: str, city: str, dept: str, status: str = "read") -> ReceivedFile:
        counter["file"] += 1
        name = f"{city}_{dept}_{campaign}_{counter['file']}.xlsx"
        received = ReceivedFile(sha256=hashlib.sha256(name.encode()).hexdigest(), size=2000, original_name=name,
                                source=f"/share/{name}", stored_path=f"/kept/{name}", city=city, department=dept,
                                campaign=campaign, template_version="1", status=status, rows=3)
        s.add(received)
        s.flush()
        return received

    def put(s: Any, role: str, city: str, dept: str, file: ReceivedFile, status: str = "ready", **over: Any) -> Entry:
        over.setdefault("access_url", f"https://daten.example.org/{city}/{role}")
        values = sample(spatial=ORG.city(city).geocoding_uri, **over)
        result = save_entry(s, values, city=city, department=dept, organisation=ORG, identifier=ids.get(role),
                            source=Source("survey", file.original_name, file_id=file.id, row=2))
        s.flush()
        result.entry.status = status
        ids[role] = result.entry.identifier
        return result.entry

    # ---- campaign 1: spring
    with store.session() as s:
        s.add(Campaign(id=C1, title="Frühjahr 2026"))
        for city, depts in (("muenchen", M[:3]), ("augsburg", A[:2]), ("nuernberg", N[:1])):
            for dept in depts:
                deliver(s, C1, city, dept)
    with store.session() as s:
        m0 = receive(s, C1, "muenchen", M[0])
        receive(s, C1, "muenchen", M[1], "rejected")
        a0 = receive(s, C1, "augsburg", A[0])
        put(s, "m_ok", "muenchen", M[0], m0, title="Baumkataster")
        m_err = put(s, "m_err", "muenchen", M[0], m0, "needs_changes", title="Haushaltsplan 2025", data_kind="finance",
                    theme=[THEME + "ECON"])
        add_findings(s, [finding("missing-required", label="Kontakt").at(city="muenchen", department=M[0])],
                     stage="validate", entry=m_err)
        put(s, "m_personal", "muenchen", M[0], m0, "needs_changes", title="Melderegister", personal_data="yes",
            access_rights=NON_PUBLIC, restriction_reason="Personenbezug", theme=[THEME + "SOCI"])
        put(s, "a_ok", "augsburg", A[0], a0, title="Baumkataster")
        a_closed = put(s, "a_closed", "augsburg", A[0], a0, "needs_changes", title="Schulen", data_kind="register",
                       access_rights=NON_PUBLIC, restriction_reason="intern", theme=[THEME + "EDUC"])
        add_findings(s, [finding("invalid-email", value="x@").at(city="augsburg", department=A[0])],
                     stage="validate", entry=a_closed)
    with store.session() as s:
        approve(s, ids["m_ok"], REVIEWER, "passt")
    time.sleep(0.05)

    # ---- campaign 2: autumn
    with store.session() as s:
        s.add(Campaign(id=C2, title="Herbst 2026"))
        for city, depts in (("muenchen", M), ("augsburg", A), ("nuernberg", N)):
            for dept in depts:
                deliver(s, C2, city, dept)
    with store.session() as s:
        m0b = receive(s, C2, "muenchen", M[0])
        m2 = receive(s, C2, "muenchen", M[2])
        m3 = receive(s, C2, "muenchen", M[3])
        a1 = receive(s, C2, "augsburg", A[1])
        n0 = receive(s, C2, "nuernberg", N[0])
        receive(s, C2, "nuernberg", N[1], "rejected")
        # corrected entries: a new version each
        fixed = put(s, "m_err", "muenchen", M[0], m0b, title="Haushaltsplan 2025", data_kind="finance",
                    theme=[THEME + "ECON"], description="Der Haushaltsplan der Stadt mit allen Teilhaushalten.")
        close_findings(s, entry_ids=[fixed.id], stages=("validate",))
        put(s, "m_personal", "muenchen", M[0], m0b, title="Melderegister", theme=[THEME + "SOCI"],
            description="Zahl der gemeldeten Einwohner je Stadtbezirk, ohne Personenbezug.")
        put(s, "m_schools", "muenchen", M[2], m2, title="Schulen", data_kind="register",
            theme=[THEME + "EDUC", THEME + "SOCI"])
        put(s, "m_rights", "muenchen", M[3], m3, "needs_changes", title="Parkhäuser Belegung", data_kind="sensor",
            third_party_rights="yes", theme=[THEME + "TRAN"])
        put(s, "m_cleared", "muenchen", M[3], m3, title="Parkscheinautomaten", data_kind="register",
            third_party_rights="unclear", theme=[THEME + "TRAN"])
        put(s, "a_licence", "augsburg", A[1], a1, title="Wahlergebnisse", data_kind="statistics",
            license=CLOSED_LICENCE, theme=[THEME + "GOVE"])
        put(s, "a_attrib", "augsburg", A[1], a1, title="Luftmessstationen", data_kind="sensor", license=BY_LICENCE,
            attribution=None, theme=[THEME + "ENVI"])
        put(s, "n_ok", "nuernberg", N[0], n0, title="Baumkataster", access_url=None)  # approved: waits for a URL
        put(s, "n_injection", "nuernberg", N[0], n0, title=INJECTION, data_kind="documents")
        put(s, "n_markup", "nuernberg", N[0], n0, title=MARKUP, data_kind="traffic", theme=[THEME + "TRAN"])
        put(s, "n_play", "nuernberg", N[0], n0, title="Spielplätze", data_kind="geodata")
        put(s, "n_none", "nuernberg", N[0], n0, title="Verschiedenes", theme=[])
        gone = put(s, "n_gone", "nuernberg", N[0], n0, title="Altdaten Archiv")
        gone.gone_at = dt.datetime.now(dt.UTC)
        entries = {role: s.query(Entry).filter_by(identifier=ident).one() for role, ident in ids.items()}
        add_findings(s, [finding("description-short", length=10, limit=40).at(city="augsburg", department=A[1])],
                     stage="validate", entry=entries["a_licence"])
        add_findings(s, [finding("description-short", length=12, limit=40).at(city="nuernberg", department=N[0])],
                     stage="validate", entry=entries["n_play"])
        for role in ("n_ok", "n_play", "m_schools"):
            city, dept = entries[role].city, entries[role].department
            add_findings(s, [finding("value-corrected", before="taeglich", after="täglich")
                             .at(city=city, department=dept)], stage="normalise", entry=entries[role])
        add_findings(s, [finding("invalid-date", value="31.02.2026").at(city="nuernberg", department=N[0])],
                     stage="validate", entry=entries["n_none"])
        entries["n_none"].status = "needs_changes"
        add_findings(s, [finding("file-unreadable", reason_de="kein Excel", reason="not a workbook")
                         .at(file="kaputt.xlsx")], stage="read")
    with store.session() as s:
        approve(s, ids["m_personal"], REVIEWER, "ohne Personenbezug")
        approve(s, ids["n_ok"], REVIEWER, "passt, sobald die URL da ist")
        mark_published(s, ids["m_personal"], "publish run 1")
        clear_rights(s, ids["m_cleared"], REVIEWER, "Vertrag liegt vor")
        reject(s, ids["n_play"], REVIEWER, "Daten veraltet")
    with store.session() as s:
        assess_inventory(s, ORG)  # offline: URL and shape indicators not checked
    with store.session() as s:
        late = s.get(ReceivedFile, n0.id)
        assert late is not None
        put(s, "n_late", "nuernberg", N[0], late, "new", title="Nachzügler Radwege", data_kind="geodata",
            theme=[THEME + "TRAN"])
    return ids


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    folder = tmp_path_factory.mktemp("report-store")
    url = f"sqlite:///{folder / 'inventur.db'}"
    store = Store.open(url)
    ids = build_scenario(store)
    store.close()
    yield Scenario(url, ids)


@pytest.fixture(scope="module")
def written(scenario: Scenario, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The report of the scenario written as :func:`flows.steps.report.report_step` writes it."""
    from flows.services import Services
    from flows.settings import Settings
    from flows.steps.report import report_step

    out = tmp_path_factory.mktemp("report-out")
    services = Services(Settings(database_url=scenario.url, data_dir=out / "data"))
    try:
        yield report_step(services, out / "bericht", now=dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC))
    finally:
        services.close()


# --------------------------------------------------------------------------- what the store says


def _sql(url: str, query: str, **params: Any) -> list[Any]:
    store = Store.open(url, migrate_schema=False)
    try:
        with store.engine.connect() as conn:
            return list(conn.execute(text(query), params))
    finally:
        store.close()


def _scope(city: str | None) -> tuple[str, dict[str, Any]]:
    if city is None:
        return "", {}
    return " AND city = :city", {"city": city}


def expected_entries(url: str, city: str | None) -> int:
    where, params = _scope(city)
    return int(_sql(url, f"SELECT count(*) FROM entries WHERE gone_at IS NULL{where}", **params)[0][0])


def expected_themes(url: str, city: str | None) -> dict[str, int]:
    from catalog.vocabulary import vocabularies

    where, params = _scope(city)
    counts: Counter[str] = Counter()
    for (raw,) in _sql(url, f"SELECT theme FROM entries WHERE gone_at IS NULL{where}", **params):
        themes = json.loads(raw) if isinstance(raw, str) else raw
        if not themes:
            counts["ohne Thema"] += 1
        for theme in set(themes or []):
            counts[vocabularies().label("theme", theme) or theme] += 1
    return dict(counts)


def expected_publication(url: str, city: str | None) -> tuple[Counter[str], Counter[str]]:
    """Categories and reasons, from the entries' columns, open error findings and clearances."""
    where, params = _scope(city)
    errors = Counter({row[0]: row[1] for row in _sql(
        url, "SELECT entry_id, count(*) FROM findings WHERE is_open AND severity = 'error' AND entry_id IS NOT NULL "
             "GROUP BY entry_id")})
    cleared = {row[0] for row in _sql(
        url, "SELECT d.entry_id FROM review_decisions d JOIN entries e ON e.id = d.entry_id "
             "WHERE d.decision = 'clear-rights' AND d.entry_version = e.version")}
    categories: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for entry_id, status, personal, access, licence, attribution, third, url_given in _sql(
        url, "SELECT id, status, personal_data, access_rights, license, attribution, third_party_rights, "
             f"access_url IS NOT NULL AND access_url != '' FROM entries WHERE gone_at IS NULL{where}", **params):
        record = {"personal_data": personal, "access_rights": access, "license": licence, "attribution": attribution,
                  "third_party_rights": third}
        why = hard_blockers(record, open_errors=errors[entry_id], rights_cleared=entry_id in cleared)
        if status in ("rejected", "withdrawn"):
            why.append("review-rejected")
        reasons.update(why)
        if why:
            categories["rejected" if why == ["review-rejected"] else "blocked"] += 1
        elif not url_given and status != "published":
            categories["waiting"] += 1
            reasons["no-access-url"] += 1
        else:
            categories[{"published": "published", "approved": "approved"}.get(status, "pending")] += 1
    return categories, reasons


def expected_findings(url: str, city: str | None) -> dict[str, int]:
    where, params = _scope(city)
    return {f"{code}/{severity}": n for code, severity, n in _sql(
        url, f"SELECT code, severity, count(*) FROM findings WHERE is_open{where} GROUP BY code, severity", **params)}


def expected_scores(url: str, city: str | None) -> tuple[dict[str, int], int]:
    where, params = _scope(city)
    scores = [row[0] for row in _sql(url, f"SELECT quality_score FROM entries WHERE gone_at IS NULL{where}", **params)]
    bins = {f"{low}–{high}": sum(1 for s in scores if s is not None and low <= s <= high) for low, high in SCORE_BINS}
    return bins, sum(1 for s in scores if s is None)


def expected_weakest(url: str, city: str) -> list[tuple[str, float]]:
    raw = _sql(url, "SELECT summary FROM runs WHERE kind = 'quality' AND status = 'ok' ORDER BY id DESC")[0][0]
    summary = json.loads(raw) if isinstance(raw, str) else raw
    return [(w["indicator"], w["missed_share"]) for w in summary["cities"][city]["weakest"]]


def expected_campaign(url: str, campaign: str, city: str | None) -> tuple[int, int]:
    """Departments surveyed and departments that answered (read or rejected file) in a campaign."""
    where, params = _scope(city)
    sent = _sql(url, "SELECT count(*) FROM (SELECT DISTINCT city, department FROM deliveries "
                     f"WHERE campaign = :campaign{where}) AS t", campaign=campaign, **params)[0][0]
    returned = _sql(url, "SELECT count(*) FROM (SELECT DISTINCT city, department FROM received_files "
                         f"WHERE campaign = :campaign AND status IN ('read', 'rejected'){where}) AS t",
                    campaign=campaign, **params)[0][0]
    return int(sent), int(returned)


# --------------------------------------------------------------------------- reading a page


class Page(HTMLParser):
    """What a test needs of a report page: tables by figure, chart bars, key figures, and every tag with
    its attributes (to find references to the network)."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, dict[str, dict[str, tuple[str, float | None]]]] = defaultdict(dict)
        self.charts: list[tuple[str, list[tuple[str, float]]]] = []
        self.kpis: dict[str, float | None] = {}
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._table: str | None = None
        self._row: str | None = None
        self._cell: tuple[str, float | None] | None = None
        self._text: list[str] = []
        self.feed(source)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "table" and a.get("data-figure"):
            self._table = a["data-figure"]
        elif tag == "tr" and self._table and a.get("data-key") is not None:
            row = a.get("data-key") or ""
            self._row = row
            self.tables[self._table][row] = {}
        elif tag == "td" and self._row is not None:
            value = a.get("data-value")
            self._cell = (a.get("data-col") or "", float(value) if value is not None else None)
            self._text = []
        elif tag == "svg" and "chart" in (a.get("class") or ""):
            self.charts.append((a.get("data-figure") or "", []))
        elif tag == "rect" and a.get("class") == "bar" and self.charts:
            self.charts[-1][1].append((a.get("data-key") or "", float(a.get("data-value") or "nan")))
        elif tag == "div" and a.get("data-kpi"):
            value = a.get("data-value")
            self.kpis[a["data-kpi"] or ""] = float(value) if value is not None else None

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None and self._table and self._row is not None:
            col, value = self._cell
            self.tables[self._table][self._row][col] = ("".join(self._text).strip(), value)
            self._cell = None
        elif tag == "tr":
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._text.append(data)

    def values(self, figure: str, col: str) -> dict[str, float | None]:
        return {key: cells[col][1] for key, cells in self.tables[figure].items()}

    def texts(self, figure: str, col: str) -> dict[str, str]:
        return {key: cells[col][0] for key, cells in self.tables[figure].items()}

    def bars(self, figure: str) -> list[tuple[str, float]]:
        return [bar for name, bars in self.charts if name == figure for bar in bars]


def network_references(page: Page) -> list[str]:
    """Attributes that would make a browser fetch something: any URL outside a plain ``<a href>``
    link, and any element that loads by itself (script, link, img, iframe, ...)."""
    found = []
    loaders = {"script", "link", "img", "iframe", "frame", "object", "embed", "audio", "video", "source", "track",
               "image", "use", "feimage", "base", "form", "input"}
    for tag, attrs in page.tags:
        if tag in loaders:
            found.append(f"<{tag}>")
        for name, value in attrs.items():
            if value and ("://" in value or "url(" in value or "@import" in value) and not (tag == "a" and name == "href"):
                if tag == "meta" and name == "content" and "://" not in value:
                    continue
                found.append(f"<{tag} {name}={value!r}>")
    return found


# --------------------------------------------------------------------------- Chromium


def page_requests(netlog: Path) -> list[str]:
    """The URLs the page itself asked the network for (Chromium's own background requests left out:
    they start from no origin, a page's from its own)."""
    log = json.loads(netlog.read_text(encoding="utf-8"))
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    urls = []
    for event in log["events"]:
        params = event.get("params") or {}
        if event.get("type") != start or "url" not in params:
            continue
        if params.get("initiator") == "not an origin":
            continue
        urls.append(str(params["url"]))
    return urls


def dump(binary: str, work: Path, page: Path) -> tuple[str, list[str]]:
    """The page's DOM as Chromium built it, and the network requests it made."""
    netlog = work / f"net-{page.stem}.json"
    done = chromium(binary, work, page.as_uri(), "--dump-dom", f"--log-net-log={netlog}")
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, page_requests(netlog)


def screenshot(binary: str, work: Path, page: Path, name: str, size: str = "1200,3600") -> Path:
    """A screenshot of the page (kept in ``work`` and under ``tests/artifacts/``)."""
    shot = work / name
    done = chromium(binary, work, page.as_uri(), f"--screenshot={shot}", f"--window-size={size}", "--hide-scrollbars")
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    ignore = ARTIFACTS / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# screenshots of the report tests\n*\n", encoding="utf-8")
    shutil.copy(shot, ARTIFACTS / name)
    return shot


def pixel_counts(binary: str, work: Path, png: Path, colours: dict[str, str]) -> dict[str, int]:
    """How many pixels of the screenshot have each colour (and how many are not white): counted by
    Chromium itself, drawing the PNG (a data: URL, so the canvas stays readable) onto a canvas."""
    wanted = {name: [int(hex_[i:i + 2], 16) for i in (1, 3, 5)] for name, hex_ in colours.items()}
    data = base64.b64encode(png.read_bytes()).decode("ascii")
    harness = work / "pixels.html"
    harness.write_text(f"""<!DOCTYPE html><html><body><pre id="out">pending</pre><script>
const wanted = {json.dumps(wanted)};
const img = new Image();
img.onload = () => {{
  const canvas = document.createElement("canvas");
  canvas.width = img.width; canvas.height = img.height;
  const ctx = canvas.getContext("2d"); ctx.drawImage(img, 0, 0);
  const d = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  const counts = {{"not-white": 0}};
  for (const name in wanted) counts[name] = 0;
  for (let i = 0; i < d.length; i += 4) {{
    if (d[i] < 245 || d[i + 1] < 245 || d[i + 2] < 245) counts["not-white"]++;
    for (const name in wanted) {{
      const w = wanted[name];
      if (Math.abs(d[i] - w[0]) < 6 && Math.abs(d[i + 1] - w[1]) < 6 && Math.abs(d[i + 2] - w[2]) < 6) counts[name]++;
    }}
  }}
  document.getElementById("out").textContent = JSON.stringify(counts);
}};
img.src = "data:image/png;base64,{data}";
</script></body></html>""", encoding="utf-8")
    done = chromium(binary, work, harness.as_uri(), "--dump-dom", "--virtual-time-budget=10000")
    assert done.returncode == 0, done.stderr[-2000:]
    start = done.stdout.index('<pre id="out">') + len('<pre id="out">')
    result: dict[str, int] = json.loads(done.stdout[start:done.stdout.index("</pre>", start)])
    return result


# --------------------------------------------------------------------------- tests: figures


def test_figures_match_the_store(scenario: Scenario) -> None:
    from survey.campaign import campaign_progress

    store = Store.open(scenario.url)
    try:
        with store.session() as s:
            kinds = kinds_across_cities(s, ORG)
            for city in (None, *CITIES):
                f = report_figures(s, ORG, city=city, kinds=kinds)
                assert f.campaign == C2
                assert f.entries == expected_entries(scenario.url, city)
                assert {t.label: t.count for t in f.themes} == expected_themes(scenario.url, city)
                categories, reasons = expected_publication(scenario.url, city)
                assert {c.key: c.count for c in f.publication.categories if c.count} == dict(categories)
                assert {r.key: r.count for r in f.publication.reasons} == dict(reasons)
                assert {f"{x.code}/{x.severity}": x.count for x in f.findings} == expected_findings(scenario.url, city)
                bins, unscored = expected_scores(scenario.url, city)
                assert {b.label: b.count for b in f.quality.bins} == bins
                assert f.quality.unscored == unscored
                assert (f.sent, f.returned) == expected_campaign(scenario.url, C2, city)
                # the departments as the campaign status sees them
                progress = {(d.city, d.department): d for c in campaign_progress(s, ORG, city=city, campaign=C2)
                            for d in c.departments}
                assert len(f.departments) == len(progress)
                for dept in f.departments:
                    theirs = progress[(dept.city, dept.department)]
                    assert (dept.state, dept.sent, dept.returned, dept.rejected, dept.entries, dept.open_errors) == (
                        theirs.state, theirs.sent, theirs.returned, theirs.rejected, theirs.entries, theirs.open_errors)
            for city in CITIES:
                f = report_figures(s, ORG, city=city, kinds=kinds)
                assert [(w.indicator, w.missed_share) for w in f.quality.weakest] == expected_weakest(scenario.url, city)
    finally:
        store.close()


def test_what_the_scenario_makes_of_publication(scenario: Scenario) -> None:
    """The categories as the scenario was built: one published, two approved, one rejected by review."""
    store = Store.open(scenario.url)
    try:
        with store.session() as s:
            f = report_figures(s, ORG)
    finally:
        store.close()
    categories = {c.key: c.count for c in f.publication.categories}
    reasons = {r.key: r.count for r in f.publication.reasons}
    assert categories["published"] == 1  # the Melderegister, corrected in the autumn
    assert categories["approved"] == 1  # the Baumkataster of München
    assert categories["rejected"] == 1  # the Spielplätze of Nürnberg
    assert categories["waiting"] == 1 and reasons["no-access-url"] == 1  # the Baumkataster of Nürnberg: approved, no URL
    assert reasons["third-party-rights"] == 1  # only the Parkhäuser: the Parkscheinautomaten were cleared
    assert reasons["licence-not-open"] == 1 and reasons["attribution-missing"] == 1
    assert reasons["not-public"] == 1 and reasons["open-errors"] == 2  # Schulen (Augsburg); and Verschiedenes
    assert f.entries == 16


def test_the_trend_rebuilds_the_end_of_earlier_campaigns(scenario: Scenario) -> None:
    store = Store.open(scenario.url)
    try:
        with store.session() as s:
            trend = {c: report_figures(s, ORG, city=c).trend for c in (None, *CITIES)}
            current = {c: report_figures(s, ORG, city=c).publication for c in (None, *CITIES)}
    finally:
        store.close()
    # at the end of the spring: München's Baumkataster (approved) and Augsburg's Baumkataster were
    # publishable; the Haushaltsplan had an open error, the Melderegister personal data, Augsburg's
    # Schulen no public access
    spring = {c: points[0] for c, points in trend.items()}
    assert [(p.campaign, p.entries, p.publishable, p.current) for p in trend[None]] == [
        (C1, 5, 2, False), (C2, current[None].entries, current[None].publishable, True)]
    assert (spring["muenchen"].entries, spring["muenchen"].publishable) == (3, 1)
    assert (spring["augsburg"].entries, spring["augsburg"].publishable) == (2, 1)
    assert (spring["nuernberg"].entries, spring["nuernberg"].publishable) == (0, 0)
    for city, points in trend.items():
        for point in points:
            assert (point.sent, point.returned) == expected_campaign(scenario.url, point.campaign, city)
        assert points[-1].publishable == current[city].publishable
    assert (trend[None][0].sent, trend[None][0].returned) == (6, 3)
    assert (trend[None][1].sent, trend[None][1].returned) == (9, 6)


def test_kinds_one_city_has_and_others_have_not(scenario: Scenario) -> None:
    store = Store.open(scenario.url)
    try:
        with store.session() as s:
            kinds = kinds_across_cities(s, ORG)
    finally:
        store.close()
    by_title = {k.title: {c: p.status for c, p in k.presence.items()} for k in kinds}
    assert "Baumkataster" not in by_title  # all three cities have it
    assert by_title["Haushaltsplan 2025"] == {"muenchen": PRESENT, "augsburg": MISSING, "nuernberg": MISSING}
    assert by_title["Schulen"] == {"muenchen": PRESENT, "augsburg": PRESENT, "nuernberg": MISSING}
    assert by_title[INJECTION]["nuernberg"] == PRESENT
    assert "Altdaten Archiv" not in by_title  # gone from its source
    counts = {k.title: k.presence["muenchen"].entries for k in kinds}
    assert counts["Schulen"] == 1
    # those present in one city only come first
    sizes = [len(k.present_in) + len(k.similar_in) for k in kinds]
    assert sizes == sorted(sizes)


def test_empty_store_renders(tmp_path: Path) -> None:
    from reports.html import render_page
    from reports.xlsx import build_workbook

    store = Store.open(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        with store.session() as s:
            f = report_figures(s, ORG)
    finally:
        store.close()
    assert (f.campaign, f.entries, f.trend, f.kinds) == (None, 0, [], [])
    page = render_page(f)
    assert "Keine Daten." in page and "Noch keine Kampagne." in page
    assert build_workbook(f)[:2] == b"PK"


def test_unknown_campaign_is_refused(scenario: Scenario) -> None:
    from catalog.report import UnknownCampaign

    store = Store.open(scenario.url)
    try:
        with store.session() as s, pytest.raises(UnknownCampaign):
            report_figures(s, ORG, campaign="1999-nie")
        with store.session() as s:
            spring = report_figures(s, ORG, city="muenchen", campaign=C1)
    finally:
        store.close()
    assert spring.campaign == C1
    assert (spring.sent, spring.returned) == expected_campaign(scenario.url, C1, "muenchen") == (3, 2)


@pytest.mark.postgres
def test_trend_on_postgresql(postgres_url: str) -> None:
    """Time stamps come back with their time zone from PostgreSQL: the same trend as on SQLite."""
    from tests.conftest import _reset_postgres

    _reset_postgres(postgres_url)
    store = Store.open(postgres_url)
    try:
        build_scenario(store)
        with store.session() as s:
            f = report_figures(s, ORG)
    finally:
        store.close()
    assert [(p.campaign, p.sent, p.returned, p.entries, p.publishable) for p in f.trend] == [
        (C1, 6, 3, 5, 2), (C2, 9, 6, 16, f.publication.publishable)]
    assert f.entries == expected_entries(postgres_url, None)


# --------------------------------------------------------------------------- tests: the page in Chromium


@pytest.mark.slow
def test_page_in_chromium_shows_the_store(scenario: Scenario, written: Any, tmp_path: Path) -> None:
    from survey.campaign import campaign_progress

    binary = chromium_or_skip()
    for city in (None, "muenchen"):
        dom, requests = dump(binary, tmp_path, written.pages[city])
        assert requests == [], f"the page asked the network for {requests}"
        page = Page(dom)
        assert network_references(page) == []
        assert not [t for t, _a in page.tags if t == "script"]  # the department's <script> title stays text

        # every chart is drawn, with its data
        drawn = {name for name, bars in page.charts if any(v > 0 for _k, v in bars)}
        assert {"department-response", "themes", "publication", "reasons", "quality-bins", "weakest", "findings",
                "trend-returned", "trend-entries", "trend-publishable"} <= drawn
        if city is None:
            assert "city-response" in drawn

        # the numbers are the store's
        assert page.kpis["entries"] == expected_entries(scenario.url, city)
        sent, returned = expected_campaign(scenario.url, C2, city)
        assert page.kpis["response"] == pytest.approx(returned / sent, abs=1e-6)
        themes = expected_themes(scenario.url, city)
        assert {page.texts("themes", "theme")[k]: v for k, v in page.values("themes", "entries").items()} == themes
        assert sorted(v for _k, v in page.bars("themes")) == sorted(themes.values())
        categories, reasons = expected_publication(scenario.url, city)
        assert {k: v for k, v in page.values("publication", "entries").items() if v} == dict(categories)
        assert page.values("reasons", "entries") == dict(reasons)
        assert dict(page.bars("publication")) == {k: categories.get(k, 0) for k in page.values("publication", "entries")}
        assert page.kpis["publishable"] == pytest.approx(
            sum(categories[k] for k in ("published", "approved", "pending")) / expected_entries(scenario.url, city),
            abs=1e-6)
        assert page.values("findings", "count") == expected_findings(scenario.url, city)
        assert page.kpis["open-errors"] == sum(
            n for k, n in expected_findings(scenario.url, city).items() if k.endswith("/error"))
        bins, unscored = expected_scores(scenario.url, city)
        assert page.values("quality-bins", "entries") == bins
        assert dict(page.bars("quality-bins")) == {**bins, **({"unscored": unscored} if unscored else {})}
        departments = page.tables["departments"]
        store = Store.open(scenario.url)
        try:
            with store.session() as s:
                progress = campaign_progress(s, ORG, city=city, campaign=C2)
        finally:
            store.close()
        for c in progress:
            for d in c.departments:
                row = departments[f"{d.city}/{d.department}"]
                assert (row["state"][0], row["sent"][1], row["returned"][1], row["rejected"][1], row["entries"][1],
                        row["open_errors"][1]) == (d.state, d.sent, d.returned, d.rejected, d.entries, d.open_errors)
        trend = page.tables["trend"]
        for campaign in (C1, C2):
            assert (trend[campaign]["sent"][1], trend[campaign]["returned"][1]) == expected_campaign(
                scenario.url, campaign, city)
        # German numbers on the page
        assert trend[C2]["entries"][0] == str(expected_entries(scenario.url, city))
        assert "%" in trend[C2]["share"][0] and "," not in trend[C2]["share"][0]

    gesamt, _requests = dump(binary, tmp_path, written.pages[None])
    page = Page(gesamt)
    kinds = page.tables["kinds"]
    titles = {cells["title"][0]: cells for cells in kinds.values()}
    assert MARKUP in titles and INJECTION in titles  # shown as the department wrote them, as text
    assert titles["Haushaltsplan 2025"]["augsburg"][0] == "fehlt"
    assert titles["Schulen"]["nuernberg"][0] == "fehlt"
    assert titles["Schulen"]["muenchen"][0] == "vorhanden (1)"
    assert "Baumkataster" not in titles
    weakest = {k: v for k, v in page.values("weakest", "missed").items()}
    for city in CITIES:
        for indicator, share in expected_weakest(scenario.url, city):
            assert weakest[f"{city}/{indicator}"] == pytest.approx(share, abs=1e-4)


@pytest.mark.slow
def test_screenshot_shows_the_charts(written: Any, tmp_path: Path) -> None:
    from reports.html import BLUE, GREEN, RED

    binary = chromium_or_skip()
    shot = screenshot(binary, tmp_path, written.pages[None], "report-gesamt.png", size="1200,6400")
    counts = pixel_counts(binary, tmp_path, shot, {"blue": BLUE, "green": GREEN, "red": RED})
    total = 1200 * 6400
    assert counts["not-white"] > total * 0.05, counts  # not a blank page
    # bars of every chart colour are on the screen: response and themes (blue), answered departments
    # (green), reasons and blocked entries (red)
    assert counts["blue"] > 2000 and counts["green"] > 2000 and counts["red"] > 2000, counts
    city = screenshot(binary, tmp_path, written.pages["augsburg"], "report-augsburg.png")
    assert pixel_counts(binary, tmp_path, city, {"blue": BLUE})["blue"] > 2000


@pytest.mark.slow
def test_the_network_check_sees_a_request(tmp_path: Path) -> None:
    """The check of the tests above is not blind: a page that loads an image is caught."""
    binary = chromium_or_skip()
    page = tmp_path / "leaky.html"
    page.write_text('<!DOCTYPE html><html><body><p>x</p><img src="http://example.org/pixel.png"></body></html>',
                    encoding="utf-8")
    dom, requests = dump(binary, tmp_path, page)
    assert requests == ["http://example.org/pixel.png"]
    assert network_references(Page(dom)) != []


# --------------------------------------------------------------------------- tests: the workbook


def test_workbook_matches_the_store(scenario: Scenario, written: Any) -> None:
    from openpyxl import load_workbook

    from reports.xlsx import SHEET_NAMES

    for city in (None, "nuernberg"):
        path = written.workbooks[city]
        book = load_workbook(path)
        assert tuple(book.sheetnames) == SHEET_NAMES
        for sheet in book.worksheets:
            assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A1:"), sheet.title
            assert sheet.freeze_panes == "A2"

        def rows(name: str) -> list[tuple[Any, ...]]:
            return [tuple(r) for r in book[name].iter_rows(min_row=2, values_only=True)]  # noqa: B023

        assert dict((r[0], r[1]) for r in rows("Einträge je Thema")) == expected_themes(scenario.url, city)
        categories, reasons = expected_publication(scenario.url, city)
        from catalog.report import PUBLICATION_CATEGORIES, REASON_LABELS

        labels = {label: key for key, label in PUBLICATION_CATEGORIES.items()}
        assert {labels[r[0]]: r[2] for r in rows("Veröffentlichung") if r[2]} == dict(categories)
        reason_keys = {label: key for key, label in REASON_LABELS.items()}
        assert {reason_keys[r[0]]: r[1] for r in rows("Hinderungsgründe")} == dict(reasons)
        assert {f"{r[0]}/{ {'Fehler': 'error', 'Warnung': 'warning', 'Hinweis': 'info'}[r[2]] }": r[3]
                for r in rows("Befunde")} == expected_findings(scenario.url, city)
        bins, _unscored = expected_scores(scenario.url, city)
        assert {f"{r[0]}–{r[1]}": r[3] for r in rows("Qualität Verteilung")} == bins
        trend = {r[0]: r for r in rows("Entwicklung")}
        for campaign in (C1, C2):
            assert (trend[campaign][3], trend[campaign][4]) == expected_campaign(scenario.url, campaign, city)
        assert trend[C2][6] == expected_entries(scenario.url, city)
        assert book["Entwicklung"]["I2"].number_format == "0%"
        overview = {r[0]: r[1] for r in rows("Übersicht")}
        assert overview["Einträge"] == expected_entries(scenario.url, city)
        departments = {(r[1]): r for r in rows("Rücklauf je Dienststelle")}
        for dept in ORG.departments_of(city) if city else ORG.departments:
            assert dept.code in departments

        # text from departments stays text: a string cell, and no formula anywhere in the file
        comparison = book["Städtevergleich"]
        cells = [c for row in comparison.iter_rows(min_row=2) for c in row if c.value == INJECTION]
        assert cells and all(c.data_type == "s" for c in cells)
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if name.startswith("xl/worksheets/"):
                    assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name), name


# --------------------------------------------------------------------------- tests: command line and flows


def test_report_command(scenario: Scenario, tmp_path: Path, cli_env: dict[str, str]) -> None:
    env = {**cli_env, "INVENTUR_DATABASE_URL": scenario.url}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "flows", "report", *args], capture_output=True, text=True,
                              env=env, timeout=180, cwd=ROOT)

    out = tmp_path / "alle"
    done = run("--out", str(out), "--format", "json")
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)
    assert [item["scope"] for item in listed] == ["all", *CITIES]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"bericht-{s}.{ext}" for s in ("gesamt", *CITIES) for ext in ("html", "xlsx"))
    assert listed[0]["entries"] == expected_entries(scenario.url, None)

    one = tmp_path / "augsburg"
    done = run("--city", "augsburg", "--out", str(one))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in one.iterdir()) == ["bericht-augsburg.html", "bericht-augsburg.xlsx"]
    assert "<nav>" not in (one / "bericht-augsburg.html").read_text(encoding="utf-8")  # no sibling pages to link

    done = run("--out", str(tmp_path / "x"), "--campaign", "1999-nie")
    assert done.returncode == 2 and "1999-nie" in done.stderr
    done = run("--out", str(tmp_path / "y"), "--city", "hamburg")
    assert done.returncode == 2


def test_report_step_gives_paths_and_a_summary(scenario: Scenario, written: Any) -> None:
    assert [p.name for p in written.paths] == [
        *(f"bericht-{s}.html" for s in ("gesamt", *CITIES)), *(f"bericht-{s}.xlsx" for s in ("gesamt", *CITIES))]
    assert all(p.exists() for p in written.paths)
    markdown = written.markdown
    assert markdown.startswith("# Bericht zur Bestandsaufnahme")
    assert f"| München, Augsburg und Nürnberg | 6 von 9 (67\u202f%) | {expected_entries(scenario.url, None)} |" in markdown
    assert str(written.pages["augsburg"]) in markdown and str(written.workbooks[None]) in markdown
    page = written.pages["muenchen"].read_text(encoding="utf-8")
    for sibling in ("bericht-gesamt.html", "bericht-augsburg.html", "bericht-nuernberg.html"):
        assert f'href="{sibling}"' in page


def test_report_step_writes_into_the_data_folder_by_default(scenario: Scenario, tmp_path: Path) -> None:
    from flows.services import Services
    from flows.settings import Settings
    from flows.steps.report import report_step

    services = Services(Settings(database_url=scenario.url, data_dir=tmp_path / "data"))
    try:
        written = report_step(services, city="augsburg", campaign=C1)
    finally:
        services.close()
    assert [p.relative_to(tmp_path) for p in written.paths] == [
        Path("data/reports/bericht-augsburg.html"), Path("data/reports/bericht-augsburg.xlsx")]
    assert written.figures["augsburg"].campaign == C1
    assert "Stadt Augsburg | 1 von 2 (50\u202f%)" in written.markdown
