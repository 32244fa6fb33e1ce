"""The shared database's tables: batch jobs and their files, and API keys (SQLAlchemy).

Change a table only together with a migration in database/migrations/versions (a test compares
them). Times are naive UTC (SQLite has no time zones; PostgreSQL stores the same values). A key's
row never holds the key: only its public id, a random salt and SHA-256(salt + secret).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sunvai.database.engine import Base


class JobRow(Base):
    __tablename__ = "batch_jobs"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)  # creation order, for cursors
    id: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, index=True)
    config: Mapped[dict] = mapped_column(JSON, nullable=False)
    callback_url: Mapped[str | None] = mapped_column(Text)
    callback_status: Mapped[str | None] = mapped_column(String(20))  # PENDING, SENT, FAILED
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(128))
    key_id: Mapped[str | None] = mapped_column(String(40), index=True)  # the API key that created it (auth on)
    created_at: Mapped[datetime] = mapped_column(DateTime(), nullable=False)
    started_at: Mapped[datetime | None] = mapped_column(DateTime())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime())


class FileRow(Base):
    __tablename__ = "batch_files"
    __table_args__ = (Index("ix_batch_files_claimable", "status", "lease_until"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("batch_jobs.id"), nullable=False, index=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    source_url: Mapped[str | None] = mapped_column(Text)  # fetched by the worker; else the upload is in storage
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime())
    duration_s: Mapped[float | None] = mapped_column(Float)
    progress_percent: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    stage: Mapped[str | None] = mapped_column(String(40))
    error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime())


class ApiKeyRow(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # public: the key's first part
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    salt: Mapped[str] = mapped_column(String(64), nullable=False)  # hex
    secret_hash: Mapped[str] = mapped_column(String(64), nullable=False)  # hex SHA-256(salt + secret)
    languages: Mapped[list | None] = mapped_column(JSON)  # None: every language
    surfaces: Mapped[list | None] = mapped_column(JSON)  # None: every surface
    requests_per_minute: Mapped[int | None] = mapped_column(Integer)  # None: no limit
    audio_seconds_per_hour: Mapped[float | None] = mapped_column(Float)
    max_streams: Mapped[int | None] = mapped_column(Integer)
    max_batch_jobs: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(), nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime())
