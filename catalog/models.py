"""The store's tables (SQLAlchemy 2): entries and every version of them, received files, findings,
review decisions, publications, deliveries and runs. Nothing is deleted: history is kept.

The schema is owned by the Alembic migrations in ``catalog/migrations``; these classes mirror it.

Text goes in through :class:`BoundedString` and :class:`SafeText`, so that SQLite and PostgreSQL keep the
same thing: a NUL character or a lone surrogate (which PostgreSQL, or the driver of either store, refuses)
is dropped, and a value longer than its column is cut to it (PostgreSQL refuses what SQLite would keep).
This is the last line only: normalisation removes control characters and cuts over-long values first,
with a finding (:mod:`catalog.normalise`).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

# What no store keeps alike: NUL (PostgreSQL refuses it in text) and lone surrogates (no UTF-8 for them).
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(value: Any, length: int | None = None) -> Any:
    """``value`` as text both stores keep alike: NUL and lone surrogates dropped, cut at ``length``."""
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    if UNSTORABLE.search(text):
        text = UNSTORABLE.sub("", text)
    if length is not None and len(text) > length:
        text = text[:length]
    return text


class BoundedString(TypeDecorator[str]):
    """``VARCHAR(length)`` that never fails on a value: see the module docstring."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        length: int | None = getattr(self.impl_instance, "length", None)
        return storable(value, length)


class SafeText(TypeDecorator[str]):
    """``TEXT`` without the characters a store refuses."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return storable(value)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class Run(Base):
    """One run of a pipeline step (collect, harvest, validate, publish, ...), with its summary."""

    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(BoundedString(40))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(BoundedString(20), default="running")
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Campaign(Base):
    __tablename__ = "campaigns"
    id: Mapped[str] = mapped_column(BoundedString(60), primary_key=True)
    title: Mapped[str | None] = mapped_column(BoundedString(200))
    deadline: Mapped[dt.date | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Delivery(Base):
    """A survey workbook put where its department finds it."""

    __tablename__ = "deliveries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign: Mapped[str] = mapped_column(BoundedString(60), index=True)
    city: Mapped[str] = mapped_column(BoundedString(20))
    department: Mapped[str] = mapped_column(BoundedString(10))
    file_name: Mapped[str] = mapped_column(BoundedString(255))
    location: Mapped[str] = mapped_column(SafeText)
    sha256: Mapped[str] = mapped_column(BoundedString(64))
    size: Mapped[int] = mapped_column(BigInteger)
    template_version: Mapped[str] = mapped_column(BoundedString(20))
    delivered_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    __table_args__ = (Index("ix_deliveries_city_department", "city", "department"),)


class ReceivedFile(Base):
    """A file a department sent (or a harvest fetched), kept as a stored copy with its checksum."""

    __tablename__ = "received_files"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(BoundedString(64), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    original_name: Mapped[str] = mapped_column(BoundedString(255))
    source: Mapped[str] = mapped_column(SafeText)  # path or URL it was taken from
    sender: Mapped[str | None] = mapped_column(BoundedString(255))  # who sent it, as far as known
    stored_path: Mapped[str] = mapped_column(SafeText)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    city: Mapped[str | None] = mapped_column(BoundedString(20))
    department: Mapped[str | None] = mapped_column(BoundedString(10))
    campaign: Mapped[str | None] = mapped_column(BoundedString(60))
    template_version: Mapped[str | None] = mapped_column(BoundedString(20))
    status: Mapped[str] = mapped_column(BoundedString(20), default="received")  # received, read, rejected
    rows: Mapped[int | None] = mapped_column(Integer)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))


class IdentifierCounter(Base):
    """The next free number per city and department: identifiers are never reused."""

    __tablename__ = "identifier_counters"
    city: Mapped[str] = mapped_column(BoundedString(20), primary_key=True)
    department: Mapped[str] = mapped_column(BoundedString(10), primary_key=True)
    next_value: Mapped[int] = mapped_column(Integer, default=1)


class Entry(Base):
    """The current state of one data holding. Every change is also kept as an :class:`EntryVersion`."""

    __tablename__ = "entries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    identifier: Mapped[str] = mapped_column(BoundedString(40), unique=True)
    city: Mapped[str] = mapped_column(BoundedString(20))
    department: Mapped[str] = mapped_column(BoundedString(10))
    title: Mapped[str | None] = mapped_column(BoundedString(400))
    description: Mapped[str | None] = mapped_column(SafeText)
    theme: Mapped[list[Any]] = mapped_column(JSON, default=list)
    keywords: Mapped[list[Any]] = mapped_column(JSON, default=list)
    data_kind: Mapped[str | None] = mapped_column(BoundedString(40))
    source_system: Mapped[str | None] = mapped_column(BoundedString(400))
    contact_name: Mapped[str | None] = mapped_column(BoundedString(400))
    contact_email: Mapped[str | None] = mapped_column(BoundedString(320))
    personal_data: Mapped[str | None] = mapped_column(BoundedString(20))
    third_party_rights: Mapped[str | None] = mapped_column(BoundedString(20))
    access_rights: Mapped[str | None] = mapped_column(BoundedString(200))
    restriction_reason: Mapped[str | None] = mapped_column(SafeText)
    license: Mapped[str | None] = mapped_column(BoundedString(200))
    attribution: Mapped[str | None] = mapped_column(SafeText)
    formats: Mapped[list[Any]] = mapped_column(JSON, default=list)
    access_url: Mapped[str | None] = mapped_column(SafeText)
    frequency: Mapped[str | None] = mapped_column(BoundedString(200))
    temporal_start: Mapped[str | None] = mapped_column(BoundedString(10))
    temporal_end: Mapped[str | None] = mapped_column(BoundedString(10))
    spatial_scope: Mapped[str | None] = mapped_column(BoundedString(20))
    spatial: Mapped[str | None] = mapped_column(BoundedString(200))
    last_updated: Mapped[str | None] = mapped_column(BoundedString(10))
    hvd_category: Mapped[str | None] = mapped_column(BoundedString(200))
    publish_proposal: Mapped[str | None] = mapped_column(BoundedString(10))
    remarks: Mapped[str | None] = mapped_column(SafeText)
    # survey 2026.2: bulk download and API (High-Value Datasets), the list of protected data (DGA Art. 8)
    download_url: Mapped[str | None] = mapped_column(SafeText)
    api_url: Mapped[str | None] = mapped_column(SafeText)
    api_type: Mapped[str | None] = mapped_column(BoundedString(20))
    api_documentation: Mapped[str | None] = mapped_column(SafeText)
    legal_basis: Mapped[str | None] = mapped_column(SafeText)
    reuse_conditions: Mapped[str | None] = mapped_column(SafeText)
    protected_listing: Mapped[str | None] = mapped_column(BoundedString(10))
    status: Mapped[str] = mapped_column(BoundedString(20), default="new")
    quality_score: Mapped[int | None] = mapped_column(Integer)
    origin: Mapped[str] = mapped_column(BoundedString(20), default="survey")  # survey, harvest, proposal
    remote_source: Mapped[str | None] = mapped_column(SafeText)
    remote_id: Mapped[str | None] = mapped_column(BoundedString(400))
    remote_modified: Mapped[str | None] = mapped_column(BoundedString(40))
    content_hash: Mapped[str] = mapped_column(BoundedString(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    gone_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    versions: Mapped[list[EntryVersion]] = relationship(
        back_populates="entry", order_by="EntryVersion.version", cascade="save-update, merge"
    )
    __table_args__ = (
        Index("ix_entries_city_department", "city", "department"),
        Index("ix_entries_status", "status"),
        Index("ix_entries_remote", "remote_source", "remote_id"),
    )


class EntryKey(Base):
    """A name by which sources know an entry's dataset beyond one source (its IRI, its dct:identifier, a CKAN
    package id): a second source naming it finds the same entry (one dataset, one entry across sources)."""

    __tablename__ = "entry_keys"
    city: Mapped[str] = mapped_column(String(20), primary_key=True)
    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"), index=True)


class EntryVersion(Base):
    """One state of an entry, with where it came from (file and row, harvest source, reviewer)."""

    __tablename__ = "entry_versions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"))
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)  # the normalised values
    raw: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the values as received
    content_hash: Mapped[str] = mapped_column(BoundedString(64))
    source_kind: Mapped[str] = mapped_column(BoundedString(20))  # survey, harvest, review, import
    source: Mapped[str | None] = mapped_column(SafeText)  # file name, harvest URL, reviewer
    file_id: Mapped[int | None] = mapped_column(ForeignKey("received_files.id"))
    sheet: Mapped[str | None] = mapped_column(BoundedString(100))
    row: Mapped[int | None] = mapped_column(Integer)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    entry: Mapped[Entry] = relationship(back_populates="versions")
    __table_args__ = (UniqueConstraint("entry_id", "version", name="uq_entry_versions_entry_version"),)


class FindingRow(Base):
    """A stored finding. ``is_open`` turns false when a newer version or run supersedes it."""

    __tablename__ = "findings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    stage: Mapped[str] = mapped_column(BoundedString(20))  # read, normalise, validate, harvest, publish
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("entries.id"))
    entry_version: Mapped[int | None] = mapped_column(Integer)
    file_id: Mapped[int | None] = mapped_column(ForeignKey("received_files.id"))
    code: Mapped[str] = mapped_column(BoundedString(60))
    severity: Mapped[str] = mapped_column(BoundedString(10))
    city: Mapped[str | None] = mapped_column(BoundedString(20))
    department: Mapped[str | None] = mapped_column(BoundedString(10))
    identifier: Mapped[str | None] = mapped_column(BoundedString(40))
    file: Mapped[str | None] = mapped_column(BoundedString(255))
    sheet: Mapped[str | None] = mapped_column(BoundedString(100))
    row: Mapped[int | None] = mapped_column(Integer)
    column: Mapped[str | None] = mapped_column(BoundedString(4))
    field: Mapped[str | None] = mapped_column(BoundedString(40))
    value: Mapped[str | None] = mapped_column(SafeText)
    message: Mapped[str] = mapped_column(SafeText)
    message_en: Mapped[str] = mapped_column(SafeText)
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    __table_args__ = (
        Index("ix_findings_entry", "entry_id", "is_open"),
        Index("ix_findings_city_severity", "city", "severity", "is_open"),
        Index("ix_findings_file", "file_id"),
    )


class ReviewDecision(Base):
    """A review decision on one version of an entry: who, when, from which state to which, and why."""

    __tablename__ = "review_decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"), index=True)
    entry_version: Mapped[int] = mapped_column(Integer)
    decision: Mapped[str] = mapped_column(BoundedString(30))
    state_from: Mapped[str] = mapped_column(BoundedString(20))
    state_to: Mapped[str] = mapped_column(BoundedString(20))
    reviewer: Mapped[str] = mapped_column(BoundedString(200))
    comment: Mapped[str | None] = mapped_column(SafeText)
    decided_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Publication(Base):
    """What a publish run did for one entry on one portal."""

    __tablename__ = "publications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"), index=True)
    entry_version: Mapped[int] = mapped_column(Integer)
    portal: Mapped[str] = mapped_column(SafeText)
    package_name: Mapped[str] = mapped_column(BoundedString(100))
    action: Mapped[str] = mapped_column(BoundedString(20))  # create, update, withdraw, restore, unchanged, failed
    content_hash: Mapped[str | None] = mapped_column(BoundedString(64))
    remote_id: Mapped[str | None] = mapped_column(BoundedString(100))
    ok: Mapped[bool] = mapped_column(Boolean, default=True)
    error: Mapped[str | None] = mapped_column(SafeText)
    published_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
