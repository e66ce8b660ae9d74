"""Tables of the service. Schema changes go through Alembic (`migrations/versions`):
edit these classes, then add a revision; a test compares the two."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Float, ForeignKey, Index, Integer, String, Text, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on both backends: SQLite has no time zones and would hand
    back naive values, which then compare wrongly against aware ones."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class Video(Base):
    __tablename__ = "videos"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(1024))
    description: Mapped[str | None] = mapped_column(Text)
    privacy_mode: Mapped[str] = mapped_column(String(16), default="Private")
    external_id: Mapped[str | None] = mapped_column(String(1024))
    meta: Mapped[str | None] = mapped_column("metadata", Text)
    partition: Mapped[str | None] = mapped_column(String(1024))
    callback_url: Mapped[str | None] = mapped_column(Text)
    #: The language asked for at upload (Video Indexer's source language); the index is
    #: served in it unless a request names another.
    language: Mapped[str] = mapped_column(String(32), default="en-US")
    excluded_ai: Mapped[str | None] = mapped_column(Text)

    state: Mapped[str] = mapped_column(String(16), default="Uploaded")
    processing_progress: Mapped[int] = mapped_column(Integer, default=0)
    failure_code: Mapped[str] = mapped_column(String(64), default="None")
    failure_message: Mapped[str] = mapped_column(Text, default="")

    file_name: Mapped[str] = mapped_column(String(1024))
    media_file: Mapped[str] = mapped_column(String(1024), doc="relative to the data dir")
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    thumbnail_id: Mapped[str | None] = mapped_column(String(64))
    index_doc: Mapped[dict | None] = mapped_column(JSON)

    created: Mapped[datetime] = mapped_column(UTCDateTime())
    last_modified: Mapped[datetime] = mapped_column(UTCDateTime())
    last_indexed: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_videos_account_created", "account_id", "created"),)


class Job(Base):
    """One indexing run of one video. Finished rows stay as history."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    video_id: Mapped[str] = mapped_column(String(32), ForeignKey("videos.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(128))
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str | None] = mapped_column(Text)


class SearchTerm(Base):
    """A label name of a processed video in one language, for Search. Rows exist for the
    source language and for each language whose name differs from it."""

    __tablename__ = "search_terms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    video_id: Mapped[str] = mapped_column(String(32), ForeignKey("videos.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    language: Mapped[str] = mapped_column(String(32))
    label_id: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(512))
    norm: Mapped[str] = mapped_column(String(512), doc="search.normalize(text)")
