"""API keys: ``sv_<id>_<secret>``, stored as a salted SHA-256 of the secret, never in the clear.

The secret is 32 random bytes (256 bits), so a fast salted hash is enough: there is no
dictionary to guess from, and a slow password hash would only cost every request time.
The id is public (logs, the CLI's list) and finds the row; the secret is compared in
constant time with :func:`hmac.compare_digest`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timezone

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select, update

from sunvai.database import Store
from sunvai.database.tables import ApiKeyRow

# The surfaces a key can be limited to.
SURFACES = ("vachana", "realtime", "batch", "openai", "vakyansh")
KEY_PATTERN = re.compile(r"^sv_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$")


class KeyLimits(BaseModel):
    """Per-key limits; None means no limit beyond the server's own."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    requests_per_minute: int | None = Field(None, ge=1)
    audio_seconds_per_hour: float | None = Field(None, gt=0)
    max_streams: int | None = Field(None, ge=1, description="concurrent realtime streams")
    max_batch_jobs: int | None = Field(None, ge=1, description="batch jobs not yet finished")


class KeyRecord(BaseModel):
    """What the store knows of a key (its hash included; never the key)."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    salt: str
    secret_hash: str
    languages: tuple[str, ...] | None = None
    surfaces: tuple[str, ...] | None = None
    limits: KeyLimits = KeyLimits()
    created_at: datetime
    revoked_at: datetime | None = None

    def matches(self, secret: str) -> bool:
        return hmac.compare_digest(hash_secret(self.salt, secret), self.secret_hash)


def hash_secret(salt: str, secret: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + secret.encode()).hexdigest()


def split_key(key: str) -> tuple[str, str] | None:
    """(id, secret) of a well-formed key, else None."""
    match = KEY_PATTERN.match(key.strip())
    return (match.group(1), match.group(2)) if match else None


def _utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class KeyStore(Store):
    """Keys in the shared database (blocking SQLAlchemy; async callers use ``asyncio.to_thread``)."""

    def create(self, name: str, languages: list[str] | None = None, surfaces: list[str] | None = None,
               limits: KeyLimits | None = None) -> tuple[str, KeyRecord]:
        """A new key: (the key, to show once; its record)."""
        unknown = sorted(set(surfaces or ()) - set(SURFACES))
        if unknown:
            raise ValueError(f"unknown surface(s) {', '.join(unknown)}; surfaces: {', '.join(SURFACES)}")
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        salt = secrets.token_hex(16)
        limits = limits or KeyLimits()
        row = ApiKeyRow(id=key_id, name=name, salt=salt, secret_hash=hash_secret(salt, secret),
                        languages=list(languages) if languages else None,
                        surfaces=list(surfaces) if surfaces else None, created_at=_utcnow(),
                        **limits.model_dump())
        with self._session.begin() as session:
            session.add(row)
        return f"sv_{key_id}_{secret}", _record(row)

    def get(self, key_id: str) -> KeyRecord | None:
        with self._session() as session:
            row = session.get(ApiKeyRow, key_id)
            return _record(row) if row is not None else None

    def list(self, include_revoked: bool = False) -> list[KeyRecord]:
        query = select(ApiKeyRow).order_by(ApiKeyRow.created_at)
        if not include_revoked:
            query = query.where(ApiKeyRow.revoked_at.is_(None))
        with self._session() as session:
            return [_record(row) for row in session.scalars(query)]

    def find(self, id_or_name: str) -> list[KeyRecord]:
        """Keys whose id or name is ``id_or_name`` (the CLI accepts either)."""
        query = select(ApiKeyRow).where((ApiKeyRow.id == id_or_name) | (ApiKeyRow.name == id_or_name))
        with self._session() as session:
            return [_record(row) for row in session.scalars(query)]

    def revoke(self, key_id: str) -> bool:
        """Revoke a key; False if there is no such key or it was revoked already."""
        with self._session.begin() as session:
            result = session.execute(update(ApiKeyRow).where(ApiKeyRow.id == key_id, ApiKeyRow.revoked_at.is_(None))
                                     .values(revoked_at=_utcnow()))
            return result.rowcount == 1


def _record(row: ApiKeyRow) -> KeyRecord:
    return KeyRecord(id=row.id, name=row.name, salt=row.salt, secret_hash=row.secret_hash,
                     languages=tuple(row.languages) if row.languages else None,
                     surfaces=tuple(row.surfaces) if row.surfaces else None,
                     limits=KeyLimits(requests_per_minute=row.requests_per_minute,
                                      audio_seconds_per_hour=row.audio_seconds_per_hour,
                                      max_streams=row.max_streams, max_batch_jobs=row.max_batch_jobs),
                     created_at=row.created_at, revoked_at=row.revoked_at)
