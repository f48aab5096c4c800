"""The figures of the campaign report, computed from the store: pure queries, no rendering.

The open-data teams and their department heads look at these figures as an HTML page and an xlsx
workbook (``reports/html.py``, ``reports/xlsx.py``); the Prefect flows summarise them.
Every figure is a small dataclass with German labels already resolved, so that each renderer shows
the same numbers and words. A figure is computed for one city (``city``) or the three together
(``city=None``).

- **Response** per department: the state in the report's campaign (in the words of the campaign
  status: ``versandt``, ``zurück``, ...) and over all campaigns: of the campaigns the survey was sent
  in, how many the department answered (a read or a rejected file counts as an answer). Both come from
  the campaign model, :mod:`catalog.campaign`, which the campaign status reads too.
- **Entries per theme**: current entries (not gone from their source); an entry with two themes counts
  for both; entries without a theme are counted as ``ohne Thema``.
- **Publication**: an entry is *publishable* when no hard rule of :mod:`catalog.publish.rules` blocks it,
  the review did not reject or withdraw it, and the portal has something to link to (an access URL);
  publishable entries are split into published, approved, and those still waiting for a review
  decision. Entries that only lack the URL *wait for it* ("wartet auf URL"), approved or not. The
  reasons why the others are not publishable are counted per entry (one entry may have several).
- **Quality**: the distribution of the stored MQA scores in bins inside the four bands, and the
  weakest indicators of each city from its latest quality run (the run's stored summary).
- **Findings** by code and severity: the open ones.
- **Kinds across cities**: datasets are grouped into *kinds* by their kind of data and the topic of
  their title (the normalised title tokens without numbers, as the cross-city check of
  :mod:`catalog.validation.similarity` compares them). A kind counts as present in a city when the
  city has an entry of the same kind of data with the same topic, as *similar* when the city's
  topic is at least :data:`catalog.validation.similarity.SIMILAR_IN_OTHER_CITY` similar, and as
  missing otherwise. Listed are the kinds missing in at least one city.
- **High-Value Datasets** (``catalog.hvd``): per HVD category the entries that meet everything
  Regulation (EU) 2023/138 asks (open, machine-readable, bulk download, API, HVD metadata, contact),
  those that do not and which requirements they miss, and each entry that is not ready with why.
- **Trend** across campaigns, in the order they started: departments surveyed and answering, entries
  in the inventory and the publishable share at the end of each campaign (when the next one started;
  the latest campaign shows the current inventory). Earlier states are rebuilt from the stored
  versions, findings and review decisions as they were at that time.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from catalog.campaign import campaign_progress, response_state, responses
from catalog.errors import UsageError
from catalog.findings import LABELS
from catalog.hvd import HvdFigures, hvd_figures
from catalog.models import (
    Campaign,
    Delivery,
    Entry,
    EntryVersion,
    FindingRow,
    ReceivedFile,
    ReviewDecision,
    Run,
)
from catalog.organisation import Organisation
from catalog.publish.rules import BLOCKERS, hard_blockers, waiting_for
from catalog.quality.score import BAND_DE, BANDS, DIMENSIONS, INDICATORS, MAX_POINTS, band
from catalog.vocabulary import vocabularies

# --------------------------------------------------------------------------- German words

ALL_CITIES_NAME = "München, Augsburg und Nürnberg"

SEVERITY_LABELS: dict[str, str] = {"error": "Fehler", "warning": "Warnung", "info": "Hinweis"}

PUBLICATION_CATEGORIES: dict[str, str] = {
    "published": "veröffentlicht",
    "approved": "freigegeben, noch nicht veröffentlicht",
    "pending": "veröffentlichungsfähig, Freigabe ausstehend",
    "waiting": "wartet auf URL (freigegeben oder freigabefähig, aber ohne Zugangs-URL)",
    "rejected": "bei der Prüfung abgelehnt oder zurückgezogen",
    "blocked": "durch eine feste Regel ausgeschlossen",
}
PUBLISHABLE_CATEGORIES: tuple[str, ...] = ("published", "approved", "pending")

REVIEW_REJECTED = "review-rejected"
"""The reason code of entries a reviewer rejected or withdrew (beside the hard-rule codes of BLOCKERS)."""

REASON_LABELS: dict[str, str] = {
    **{code: german for code, (german, _english) in BLOCKERS.items()},
    REVIEW_REJECTED: "bei der Prüfung abgelehnt oder zurückgezogen",
    "no-access-url": "wartet auf URL: keine Zugangs-URL angegeben",
}

_REJECTED_STATES = frozenset({"rejected", "withdrawn"})

DIMENSION_LABELS: dict[str, str] = {
    "findability": "Auffindbarkeit",
    "accessibility": "Zugänglichkeit",
    "interoperability": "Interoperabilität",
    "reusability": "Wiederverwendbarkeit",
    "contextuality": "Kontext",
}

INDICATOR_LABELS: dict[str, str] = {
    "keywords": "Schlagwörter angegeben",
    "themes": "Thema angegeben",
    "spatial": "räumliche Abdeckung angegeben",
    "temporal": "zeitliche Abdeckung angegeben",
    "access_url_answers": "Zugangsadresse erreichbar",
    "download_url": "Download-Adresse vorhanden",
    "download_url_answers": "Download-Adresse erreichbar",
    "format": "Dateiformat angegeben",
    "media_type": "Medientyp angegeben",
    "format_from_vocabulary": "Dateiformat aus dem Vokabular",
    "non_proprietary": "offenes (nicht proprietäres) Format",
    "machine_readable": "maschinenlesbares Format",
    "dcat_ap_shapes": "erfüllt die DCAT-AP.de-Prüfregeln",
    "licence": "Lizenz angegeben",
    "known_licence": "bekannte Lizenz",
    "access_rights": "Zugangsrecht angegeben",
    "access_rights_from_vocabulary": "Zugangsrecht aus dem Vokabular",
    "contact_point": "Kontaktstelle angegeben",
    "publisher": "herausgebende Stelle angegeben",
    "rights": "Rechtehinweis angegeben",
    "byte_size": "Dateigröße bekannt",
    "issued": "Veröffentlichungsdatum angegeben",
    "modified": "Änderungsdatum angegeben",
}

FINDING_LABELS: dict[str, str] = LABELS
"""Short German label of each finding code (declared in :data:`catalog.findings.REGISTRY`)."""

NO_THEME = "ohne Thema"
NO_DATA_KIND = "ohne Angabe"
PRESENT, SIMILAR, MISSING = "vorhanden", "ähnlich", "fehlt"

SCORE_BINS: tuple[tuple[int, int], ...] = (
    (0, 60), (61, 120), (121, 170), (171, 220), (221, 285), (286, 350), (351, MAX_POINTS),
)
"""Bins of the score histogram: two or three per MQA band, never across a band's limits."""


# --------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class LabelledCount:
    """A count with its stable key and German label (a theme, a category, a reason, a band)."""

    key: str
    label: str
    count: int


@dataclass(frozen=True)
class CityResponse:
    """How many departments of a city the report's campaign reached and how many answered."""

    city: str
    name: str
    sent: int
    returned: int

    @property
    def response_rate(self) -> float:
        """Answering departments of those the survey was sent to (0.0 when none was sent)."""
        return self.returned / self.sent if self.sent else 0.0


@dataclass(frozen=True)
class DepartmentResponse:
    """One department: its state in the report's campaign, and how often it answered over all campaigns."""

    city: str
    department: str
    name: str
    state: str
    sent: int
    returned: int
    rejected: int
    entries: int
    open_errors: int
    campaigns_sent: int
    campaigns_answered: int

    @property
    def response_rate(self) -> float | None:
        """Answered campaigns of those sent to the department (None when it was never surveyed)."""
        return self.campaigns_answered / self.campaigns_sent if self.campaigns_sent else None


@dataclass(frozen=True)
class Publication:
    """Publishable or not, and why: categories add up to ``entries``; reasons may overlap."""

    entries: int
    categories: list[LabelledCount]
    reasons: list[LabelledCount]

    @property
    def publishable(self) -> int:
        """Entries no hard rule and no review decision keeps off the portal."""
        return sum(c.count for c in self.categories if c.key in PUBLISHABLE_CATEGORIES)

    @property
    def not_publishable(self) -> int:
        return self.entries - self.publishable

    @property
    def share(self) -> float:
        return self.publishable / self.entries if self.entries else 0.0


@dataclass(frozen=True)
class ScoreBin:
    """Entries whose stored score lies in ``low``..``high`` (both included)."""

    low: int
    high: int
    band: str
    count: int

    @property
    def label(self) -> str:
        return f"{self.low}–{self.high}"

    @property
    def band_label(self) -> str:
        return BAND_DE[self.band]


@dataclass(frozen=True)
class WeakIndicator:
    """An indicator many entries of a city miss, from the city's latest quality run."""

    city: str
    indicator: str
    label: str
    dimension: str
    points: int
    missed_share: float
    assessed_at: dt.datetime | None


@dataclass(frozen=True)
class QualityFigures:
    """The distribution of the stored quality scores and the weakest indicators per city."""

    scored: int
    unscored: int
    mean: float | None
    bands: list[LabelledCount]
    bins: list[ScoreBin]
    weakest: list[WeakIndicator]


@dataclass(frozen=True)
class FindingCount:
    """Open findings of one code and severity."""

    code: str
    label: str
    severity: str
    count: int

    @property
    def severity_label(self) -> str:
        return SEVERITY_LABELS.get(self.severity, self.severity)


@dataclass(frozen=True)
class Presence:
    """A kind of dataset in one city: entries of exactly this topic, and entries of a similar one."""

    entries: int = 0
    similar: int = 0

    @property
    def status(self) -> str:
        """``vorhanden``, ``ähnlich`` or ``fehlt``."""
        if self.entries:
            return PRESENT
        return SIMILAR if self.similar else MISSING


@dataclass(frozen=True)
class KindPresence:
    """A kind of dataset that at least one city has and at least one other has not inventoried."""

    data_kind: str | None
    data_kind_label: str
    theme_label: str
    title: str
    topic: tuple[str, ...]
    presence: dict[str, Presence]

    @property
    def present_in(self) -> list[str]:
        return [c for c, p in self.presence.items() if p.status == PRESENT]

    @property
    def similar_in(self) -> list[str]:
        return [c for c, p in self.presence.items() if p.status == SIMILAR]

    @property
    def missing_in(self) -> list[str]:
        return [c for c, p in self.presence.items() if p.status == MISSING]


@dataclass(frozen=True)
class CampaignPoint:
    """One campaign of the trend: departments surveyed and answering, entries and publishable ones
    at the campaign's end (``current``: the latest campaign, showing the inventory as it is now)."""

    campaign: str
    started_at: dt.datetime | None
    sent: int
    returned: int
    entries: int
    publishable: int
    current: bool

    @property
    def response_rate(self) -> float:
        return self.returned / self.sent if self.sent else 0.0

    @property
    def publishable_share(self) -> float:
        return self.publishable / self.entries if self.entries else 0.0


@dataclass(frozen=True)
class ReportFigures:
    """Every figure of the report of one city (``city``) or of the three together (``city is None``)."""

    city: str | None
    scope_name: str
    cities: tuple[str, ...]
    city_names: dict[str, str]
    campaign: str | None
    generated_at: dt.datetime
    responses: list[CityResponse]
    departments: list[DepartmentResponse]
    themes: list[LabelledCount]
    publication: Publication
    quality: QualityFigures
    findings: list[FindingCount]
    kinds: list[KindPresence]
    trend: list[CampaignPoint]
    campaigns: list[str] = field(default_factory=list)
    hvd: HvdFigures | None = None

    @property
    def entries(self) -> int:
        """Current entries in scope."""
        return self.publication.entries

    @property
    def open_errors(self) -> int:
        return sum(f.count for f in self.findings if f.severity == "error")

    @property
    def sent(self) -> int:
        return sum(r.sent for r in self.responses)

    @property
    def returned(self) -> int:
        return sum(r.returned for r in self.responses)

    @property
    def response_rate(self) -> float:
        return self.returned / self.sent if self.sent else 0.0


# --------------------------------------------------------------------------- helpers


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """A time stamp with a time zone (SQLite hands back naive UTC times, PostgreSQL aware ones)."""
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _scope(organisation: Organisation, city: str | None) -> tuple[str, ...]:
    if city is not None:
        return (organisation.city(city).key,)
    return tuple(c.key for c in organisation.cities)


def _in_scope(column: Any, cities: Sequence[str]) -> Any:
    return column.in_(list(cities))


def _known_departments(organisation: Organisation, cities: Sequence[str]) -> set[tuple[str, str]]:
    return {(d.city, d.code) for c in cities for d in organisation.departments_of(c)}


# --------------------------------------------------------------------------- campaigns


@dataclass(frozen=True)
class CampaignSpan:
    """A campaign and when it started (its first delivery, return or record, whichever came first)."""

    campaign: str
    started_at: dt.datetime | None


def campaign_spans(session: Session, cities: Sequence[str] | None = None) -> list[CampaignSpan]:
    """The campaigns with deliveries or returns (in ``cities``), oldest first; a campaign that is only
    recorded (no delivery, no return) counts when no city filter is given."""
    starts: dict[str, dt.datetime | None] = {}

    def note(name: str | None, when: dt.datetime | None) -> None:
        if not name:
            return
        when = _aware(when)
        known = starts.get(name)
        if name not in starts or (when is not None and (known is None or when < known)):
            starts[name] = when

    deliveries = select(Delivery.campaign, func.min(Delivery.delivered_at)).group_by(Delivery.campaign)
    files = (select(ReceivedFile.campaign, func.min(ReceivedFile.received_at))
             .where(ReceivedFile.campaign.is_not(None)).group_by(ReceivedFile.campaign))
    if cities is not None:
        deliveries = deliveries.where(_in_scope(Delivery.city, cities))
        files = files.where(_in_scope(ReceivedFile.city, cities))
    for name, when in session.execute(deliveries):
        note(name, when)
    for file_campaign, when in session.execute(files):
        note(file_campaign, when)
    for recorded, created in session.execute(select(Campaign.id, Campaign.created_at)):
        if recorded in starts or cities is None:
            note(recorded, created)
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    ordered = sorted(starts.items(), key=lambda kv: (kv[1] or far, kv[0]))
    return [CampaignSpan(name, when) for name, when in ordered]


class UnknownCampaign(UsageError, LookupError):
    """A campaign the store knows nothing of (no delivery, no return, no record)."""


# --------------------------------------------------------------------------- response


def department_responses(
    session: Session, organisation: Organisation, *, city: str | None = None, campaign: str | None = None
) -> tuple[list[CityResponse], list[DepartmentResponse]]:
    """Per city and department: surveyed and answering in ``campaign`` (all campaigns together when
    None), current entries and open errors, and the campaigns each department was sent and answered
    (the campaign model's figures, :mod:`catalog.campaign`)."""
    progress = campaign_progress(session, organisation, cities=_scope(organisation, city), campaign=campaign)
    departments = [
        DepartmentResponse(
            city=d.city, department=d.department, name=d.name, state=d.state, sent=d.sent, returned=d.returned,
            rejected=d.rejected, entries=d.entries, open_errors=d.open_errors, campaigns_sent=d.campaigns_sent,
            campaigns_answered=d.campaigns_answered,
        )
        for c in progress for d in c.departments
    ]
    responses = [CityResponse(city=c.city, name=organisation.city(c.city).short_name, sent=c.sent, returned=c.returned)
                 for c in progress]
    return responses, departments


# --------------------------------------------------------------------------- themes


def entries_per_theme(session: Session, organisation: Organisation, *, city: str | None = None) -> list[LabelledCount]:
    """Current entries per EU data theme (German label), most first; ``ohne Thema`` last."""
    cities = _scope(organisation, city)
    counts: Counter[str] = Counter()
    without = 0
    for themes in session.scalars(select(Entry.theme).where(Entry.gone_at.is_(None), _in_scope(Entry.city, cities))):
        values = [str(t) for t in (themes or []) if t]
        if not values:
            without += 1
        counts.update(set(values))
    vocab = vocabularies()
    out = [LabelledCount(value, vocab.label("theme", value) or value, count) for value, count in counts.items()]
    out.sort(key=lambda c: (-c.count, c.label))
    if without:
        out.append(LabelledCount("", NO_THEME, without))
    return out


# --------------------------------------------------------------------------- publication


def publication_category(
    record: Mapping[str, Any], status: str, *, open_errors: int = 0, rights_cleared: bool = False
) -> tuple[str, list[str]]:
    """The publication category of an entry (a key of :data:`PUBLICATION_CATEGORIES`) and the reasons
    it is not publishable (hard-rule codes, :data:`REVIEW_REJECTED`, and what the portal waits for)."""
    reasons = hard_blockers(record, open_errors=open_errors, rights_cleared=rights_cleared)
    if status in _REJECTED_STATES:
        reasons.append(REVIEW_REJECTED)
    if reasons:
        return ("rejected" if reasons == [REVIEW_REJECTED] else "blocked"), reasons
    if status == "published":
        return "published", []
    waiting = waiting_for(record)
    if waiting:  # approvable, even approved, but the portal has nothing to link to
        return "waiting", waiting
    if status == "approved":
        return "approved", []
    return "pending", []


def _publication(facts: Iterable[tuple[str, list[str]]]) -> Publication:
    categories: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    entries = 0
    for category, why in facts:
        entries += 1
        categories[category] += 1
        reasons.update(why)
    return Publication(
        entries=entries,
        categories=[LabelledCount(k, label, categories[k]) for k, label in PUBLICATION_CATEGORIES.items()],
        reasons=sorted((LabelledCount(k, REASON_LABELS.get(k, k), n) for k, n in reasons.items()),
                       key=lambda c: (-c.count, c.label)),
    )


_RECORD_COLUMNS = (Entry.personal_data, Entry.access_rights, Entry.license, Entry.attribution, Entry.third_party_rights,
                   Entry.access_url)
_RECORD_KEYS = ("personal_data", "access_rights", "license", "attribution", "third_party_rights", "access_url")


def publication_figure(session: Session, organisation: Organisation, *, city: str | None = None) -> Publication:
    """Current entries publishable or not, and why (see :func:`publication_category`)."""
    from catalog.review.decisions import publication_facts

    cities = _scope(organisation, city)
    facts = publication_facts(session)
    rows = session.execute(
        select(Entry.id, Entry.status, *_RECORD_COLUMNS).where(Entry.gone_at.is_(None), _in_scope(Entry.city, cities))
    )

    def classify() -> Iterable[tuple[str, list[str]]]:
        for entry_id, status, *values in rows:
            errors, cleared = facts.get(entry_id, (0, False))
            yield publication_category(dict(zip(_RECORD_KEYS, values, strict=True)), status,
                                       open_errors=errors, rights_cleared=cleared)

    return _publication(classify())


def publication_at(session: Session, organisation: Organisation, cutoff: dt.datetime, *,
                   city: str | None = None) -> Publication:
    """The publication figure of the inventory as it stood just before ``cutoff``: each entry's latest
    version of then, the error findings recorded on that version by then, rights cleared for it by
    then, and the last review decision taken by then (a rejection holds for the version it was on)."""
    from catalog.review.decisions import CLEAR_RIGHTS

    cities = _scope(organisation, city)
    latest = (select(EntryVersion.entry_id, func.max(EntryVersion.version).label("version"))
              .where(EntryVersion.created_at < cutoff).group_by(EntryVersion.entry_id).subquery())
    scoped = select(Entry.id).where(_in_scope(Entry.city, cities))
    errors = {(e, v) for e, v in session.execute(
        select(FindingRow.entry_id, FindingRow.entry_version)
        .where(FindingRow.severity == "error", FindingRow.created_at < cutoff, FindingRow.entry_id.in_(scoped))
        .distinct()
    )}
    cleared = {(e, v) for e, v in session.execute(
        select(ReviewDecision.entry_id, ReviewDecision.entry_version)
        .where(ReviewDecision.decision == CLEAR_RIGHTS, ReviewDecision.decided_at < cutoff,
               ReviewDecision.entry_id.in_(scoped))
    )}
    last_decision: dict[int, tuple[int, str]] = {}
    for entry_id, version, state_to in session.execute(
        select(ReviewDecision.entry_id, ReviewDecision.entry_version, ReviewDecision.state_to)
        .where(ReviewDecision.decided_at < cutoff, ReviewDecision.entry_id.in_(scoped))
        .order_by(ReviewDecision.decided_at, ReviewDecision.id)
    ):
        last_decision[entry_id] = (version, state_to)

    # the versions of then are streamed (a chunk at a time): their content is the largest part of the store
    versions = session.execute(
        select(EntryVersion.entry_id, EntryVersion.version, EntryVersion.data)
        .join(latest, and_(latest.c.entry_id == EntryVersion.entry_id, latest.c.version == EntryVersion.version))
        .join(Entry, Entry.id == EntryVersion.entry_id)
        .where(_in_scope(Entry.city, cities), or_(Entry.gone_at.is_(None), Entry.gone_at >= cutoff))
        .execution_options(yield_per=2000)
    )

    def classify() -> Iterable[tuple[str, list[str]]]:
        for entry_id, version, data in versions:
            decided = last_decision.get(entry_id)
            status = decided[1] if decided is not None and decided[0] == version else "new"
            yield publication_category(data or {}, status, open_errors=int((entry_id, version) in errors),
                                       rights_cleared=(entry_id, version) in cleared)

    return _publication(classify())


# --------------------------------------------------------------------------- quality


def quality_figures(session: Session, organisation: Organisation, *, city: str | None = None) -> QualityFigures:
    """The stored scores of the current entries in bins and bands, and the weakest indicators of each
    city from its latest finished quality run."""
    cities = _scope(organisation, city)
    scores = list(session.scalars(
        select(Entry.quality_score).where(Entry.gone_at.is_(None), _in_scope(Entry.city, cities))
    ))
    scored = [int(s) for s in scores if s is not None]
    bins = [ScoreBin(low, high, band(low), sum(1 for s in scored if low <= s <= high)) for low, high in SCORE_BINS]
    band_counts = Counter(band(s) for s in scored)
    bands = [LabelledCount(name, BAND_DE[name], band_counts[name]) for _floor, name in reversed(BANDS)]

    weakest: list[WeakIndicator] = []
    wanted = set(cities)
    runs = session.execute(
        select(Run.summary, Run.finished_at, Run.started_at)
        .where(Run.kind == "quality", Run.status == "ok").order_by(Run.id.desc())
    )
    for summary, finished, started in runs:
        if not wanted:
            break
        per_city = (summary or {}).get("cities") or {}
        for key in [c for c in cities if c in wanted and c in per_city]:
            wanted.discard(key)
            for item in per_city[key].get("weakest") or []:
                name = str(item.get("indicator"))
                dimension = INDICATORS.get(name, ("", 0))[0]
                weakest.append(WeakIndicator(
                    city=key, indicator=name, label=INDICATOR_LABELS.get(name, name),
                    dimension=DIMENSION_LABELS.get(dimension, dimension),
                    points=int(item.get("points") or INDICATORS.get(name, ("", 0))[1]),
                    missed_share=float(item.get("missed_share") or 0.0), assessed_at=_aware(finished or started),
                ))
    order = {c: i for i, c in enumerate(cities)}
    weakest.sort(key=lambda w: (order[w.city], -w.missed_share * w.points, w.indicator))
    return QualityFigures(
        scored=len(scored), unscored=len(scores) - len(scored),
        mean=sum(scored) / len(scored) if scored else None, bands=bands, bins=bins, weakest=weakest,
    )


# --------------------------------------------------------------------------- findings


def findings_by_code(session: Session, organisation: Organisation, *, city: str | None = None) -> list[FindingCount]:
    """Open findings per code and severity, errors first, then by count. For the three cities together
    the findings of files no city could be told for (e.g. an unreadable file) count too."""
    query = (select(FindingRow.code, FindingRow.severity, func.count())
             .where(FindingRow.is_open.is_(True)).group_by(FindingRow.code, FindingRow.severity))
    if city is not None:
        query = query.where(FindingRow.city == organisation.city(city).key)
    counts = [FindingCount(code, FINDING_LABELS.get(code, code), severity, n)
              for code, severity, n in session.execute(query)]
    rank = {"error": 0, "warning": 1, "info": 2}
    counts.sort(key=lambda f: (rank.get(f.severity, 9), -f.count, f.code))
    return counts


# --------------------------------------------------------------------------- kinds across cities


@dataclass
class _Bucket:
    cities: Counter[str] = field(default_factory=Counter)
    titles: Counter[str] = field(default_factory=Counter)
    themes: Counter[str] = field(default_factory=Counter)


def _most_common(counter: Counter[str]) -> str:
    return min(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0] if counter else ""


def kinds_across_cities(session: Session, organisation: Organisation) -> list[KindPresence]:
    """The kinds of dataset at least one city has inventoried and at least one other has not, with the
    presence in each city; those present in the fewest cities first."""
    from catalog.validation.similarity import SIMILAR_IN_OTHER_CITY, similar_pairs, title_tokens, topic_tokens

    cities = tuple(c.key for c in organisation.cities)
    groups: dict[str | None, dict[frozenset[str], _Bucket]] = defaultdict(dict)
    for key, kind, themes, title in session.execute(
        select(Entry.city, Entry.data_kind, Entry.theme, Entry.title)
        .where(Entry.gone_at.is_(None), Entry.title.is_not(None), _in_scope(Entry.city, cities))
    ):
        topic = topic_tokens(title_tokens(title or ""))
        if not topic:
            continue
        bucket = groups[kind].setdefault(topic, _Bucket())
        bucket.cities[key] += 1
        bucket.titles[" ".join((title or "").split())] += 1
        if themes:
            bucket.themes[str(themes[0])] += 1

    vocab = vocabularies()
    rows: list[KindPresence] = []
    for kind, buckets in groups.items():
        topics = list(buckets)
        neighbours: dict[int, list[int]] = defaultdict(list)
        for i, j, _similarity in similar_pairs(topics, SIMILAR_IN_OTHER_CITY):
            neighbours[i].append(j)
            neighbours[j].append(i)
        for i, topic in enumerate(topics):
            bucket = buckets[topic]
            similar: Counter[str] = Counter()
            for j in neighbours[i]:
                similar.update(buckets[topics[j]].cities)
            presence = {c: Presence(bucket.cities.get(c, 0), similar.get(c, 0)) for c in cities}
            if all(p.status != MISSING for p in presence.values()):
                continue
            theme = _most_common(bucket.themes)
            rows.append(KindPresence(
                data_kind=kind,
                data_kind_label=(vocab.label("data_kind", kind) or kind) if kind else NO_DATA_KIND,
                theme_label=(vocab.label("theme", theme) or theme) if theme else NO_THEME,
                title=_most_common(bucket.titles), topic=tuple(sorted(topic)), presence=presence,
            ))
    rows.sort(key=lambda r: (len(r.present_in) + len(r.similar_in), r.data_kind_label, r.title.casefold(), r.topic))
    return rows


# --------------------------------------------------------------------------- trend


def campaign_trend(
    session: Session, organisation: Organisation, *, city: str | None = None, current: Publication | None = None
) -> list[CampaignPoint]:
    """Per campaign, oldest first: departments surveyed and answering, entries and publishable entries
    at its end (when the next campaign started; the latest campaign shows the inventory as it is now,
    ``current`` when the caller has it already)."""
    cities = _scope(organisation, city)
    known = _known_departments(organisation, cities)
    spans = campaign_spans(session, cities)
    surveyed: dict[str, set[tuple[str, str]]] = defaultdict(set)
    answered: dict[str, set[tuple[str, str]]] = defaultdict(set)
    sent_to, answered_by = responses(session, cities)
    for c, d, sent_in in sent_to:
        if (c, d) in known:
            surveyed[sent_in].add((c, d))
    for c, d, answered_in in answered_by:
        if answered_in and (c, d) in known:
            answered[answered_in].add((c, d))
    points = []
    for index, span in enumerate(spans):
        following = spans[index + 1] if index + 1 < len(spans) else None
        is_current = following is None or following.started_at is None
        if is_current:
            figure = current if current is not None else publication_figure(session, organisation, city=city)
        else:
            assert following is not None and following.started_at is not None
            figure = publication_at(session, organisation, following.started_at, city=city)
        points.append(CampaignPoint(
            campaign=span.campaign, started_at=span.started_at, sent=len(surveyed[span.campaign]),
            returned=len(answered[span.campaign]), entries=figure.entries, publishable=figure.publishable,
            current=is_current,
        ))
    return points


# --------------------------------------------------------------------------- all together


def report_figures(
    session: Session,
    organisation: Organisation,
    *,
    city: str | None = None,
    campaign: str | None = None,
    now: dt.datetime | None = None,
    kinds: list[KindPresence] | None = None,
) -> ReportFigures:
    """Every figure of the report of ``city`` (None: the three cities together).

    ``campaign`` is the campaign whose response the report shows (default: the latest of the scope);
    ``kinds`` spares recomputing the cross-city comparison, which is the same for every scope.
    :class:`UnknownCampaign` when the store knows nothing of ``campaign``.
    """
    cities = _scope(organisation, city)
    spans = campaign_spans(session, cities)
    names = [s.campaign for s in spans]
    if campaign is not None and campaign not in names and campaign not in [s.campaign for s in campaign_spans(session)]:
        raise UnknownCampaign(f"no campaign {campaign!r} in the store; known: {', '.join(names) or 'none'}")
    chosen = campaign if campaign is not None else (names[-1] if names else None)
    responses, departments = department_responses(session, organisation, city=city, campaign=chosen)
    publication = publication_figure(session, organisation, city=city)
    return ReportFigures(
        city=city,
        scope_name=organisation.city(city).name if city else ALL_CITIES_NAME,
        cities=cities,
        city_names={c.key: c.short_name for c in organisation.cities},
        campaign=chosen,
        generated_at=now or dt.datetime.now(dt.UTC),
        responses=responses,
        departments=departments,
        themes=entries_per_theme(session, organisation, city=city),
        publication=publication,
        quality=quality_figures(session, organisation, city=city),
        findings=findings_by_code(session, organisation, city=city),
        kinds=kinds if kinds is not None else kinds_across_cities(session, organisation),
        trend=campaign_trend(session, organisation, city=city, current=publication),
        campaigns=names,
        hvd=hvd_figures(session, city=city),
    )


__all__ = [
    "ALL_CITIES_NAME", "DIMENSIONS", "FINDING_LABELS", "INDICATOR_LABELS", "PUBLICATION_CATEGORIES", "SCORE_BINS",
    "CampaignPoint", "CampaignSpan", "CityResponse", "DepartmentResponse", "FindingCount", "KindPresence",
    "LabelledCount", "Presence", "Publication", "QualityFigures", "ReportFigures", "ScoreBin", "UnknownCampaign",
    "WeakIndicator", "campaign_spans", "campaign_trend", "department_responses", "entries_per_theme",
    "findings_by_code", "kinds_across_cities", "publication_at", "publication_category", "publication_figure",
    "quality_figures", "report_figures", "response_state",
]
