"""The API key table. Change it only together with a migration in database/migrations/versions.

A row never holds a key: only its public id, a random salt and SHA-256(salt + secret).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sunvai.database import Base


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
