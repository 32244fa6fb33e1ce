"""The key check every surface calls: who is asking, may they use this surface and language, are they
within their limits.

Surfaces take the key from their own place (HTTP headers, WebSocket upgrade headers, gRPC
metadata: :func:`presented_key`), call :meth:`AccessControl.authenticate` once per request or
stream, and set :data:`current_caller` for the request. The transcription service then checks
the caller's languages when it parses a language selection and charges decoded audio to the
caller, so no surface can forget either. Python handle callers set no caller and are not checked.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Protocol

from sunvai.auth import client_secrets
from sunvai.auth.keys import SURFACES, KeyLimits, KeyRecord, KeyStore, split_key
from sunvai.auth.limits import KeyLimiter, Refusal
from sunvai.errors import Forbidden, RateLimited, Unauthorized

log = logging.getLogger(__name__)
WHERE_TO_SEND = {
    "vachana": "the X-API-Key-ID header",
    "batch": "the X-API-Key-ID header",
    "realtime": "the X-API-Key-ID upgrade header or Authorization: Bearer <key> (from a browser: the x-api-key-id "
                "query parameter, or on /v1/realtime the openai-insecure-api-key.<key> subprotocol)",
    "openai": "the Authorization header as 'Bearer <key>'",
    "vakyansh": "x-api-key-id metadata (or authorization: Bearer <key>, or rpc-auth-header)",
}


@dataclass(frozen=True)
class Caller:
    """An authenticated key (``key_id`` None: auth is off, everything allowed)."""

    key_id: str | None
    name: str
    languages: tuple[str, ...] | None = None
    limits: KeyLimits = KeyLimits()

    def allows_language(self, code: str) -> bool:
        return self.languages is None or code in self.languages


ANONYMOUS = Caller(None, "")
current_caller: contextvars.ContextVar[Caller | None] = contextvars.ContextVar("sunvai_caller", default=None)


KEY_SUBPROTOCOL = "openai-insecure-api-key."  # a WebSocket subprotocol carrying the key (browsers set no headers)


def presented_key(headers: Mapping[str, str]) -> str | None:
    """The key from lower-cased headers or metadata: x-api-key-id, Authorization: Bearer, rpc-auth-header,
    or the ``openai-insecure-api-key.<key>`` WebSocket subprotocol."""
    for name in ("x-api-key-id", "rpc-auth-header"):
        value = headers.get(name)
        if value and value.strip():
            return value.strip()
    authorization = headers.get("authorization") or ""
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    for protocol in (headers.get("sec-websocket-protocol") or "").split(","):  # browsers: OpenAI's subprotocol
        if protocol.strip().startswith(KEY_SUBPROTOCOL):
            return protocol.strip()[len(KEY_SUBPROTOCOL):] or None
    return None


class LimiterBackend(Protocol):
    """Where the per-key counts live: in this process, or one Serve deployment for all replicas."""

    async def admit_request(self, key_id: str, limits: KeyLimits) -> Refusal | None: ...
    async def charge_audio(self, key_id: str, seconds: float) -> None: ...
    async def open_stream(self, key_id: str, lease_id: str, limits: KeyLimits) -> Refusal | None: ...
    async def renew_stream(self, key_id: str, lease_id: str) -> None: ...
    async def close_stream(self, key_id: str, lease_id: str) -> None: ...


class InProcessLimiter:
    """:class:`LimiterBackend` over a :class:`KeyLimiter` in this process (one ingress, tests)."""

    def __init__(self, limiter: KeyLimiter | None = None):
        self.limiter = limiter or KeyLimiter()

    async def admit_request(self, key_id, limits):
        return self.limiter.admit_request(key_id, limits)

    async def charge_audio(self, key_id, seconds):
        self.limiter.charge_audio(key_id, seconds)

    async def open_stream(self, key_id, lease_id, limits):
        return self.limiter.open_stream(key_id, lease_id, limits)

    async def renew_stream(self, key_id, lease_id):
        self.limiter.renew_stream(key_id, lease_id)

    async def close_stream(self, key_id, lease_id):
        self.limiter.close_stream(key_id, lease_id)


class AccessControl:
    """Keys from the store, cached for ``cache_ttl_s`` (a revocation reaches every replica within it)."""

    def __init__(self, store: KeyStore | None, limiter: LimiterBackend | None = None, cache_ttl_s: float = 5.0,
                 clock: Callable[[], float] = time.monotonic):
        self.store = store  # None: auth is off
        self.limiter = limiter or InProcessLimiter()
        self.cache_ttl_s = cache_ttl_s
        self.clock = clock
        self._cache: dict[str, tuple[float, KeyRecord | None]] = {}

    @property
    def enabled(self) -> bool:
        return self.store is not None

    async def _record(self, key_id: str) -> KeyRecord | None:
        now = self.clock()
        cached = self._cache.get(key_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        record = await asyncio.to_thread(self.store.get, key_id)
        if len(self._cache) > 10_000:  # random ids from a scanner must not grow it without bound
            self._cache.clear()
        self._cache[key_id] = (now + self.cache_ttl_s, record)
        return record

    async def authenticate(self, key: str | None, surface: str, sends_audio: bool = True) -> Caller:
        """The caller behind ``key`` on ``surface``; 401, 403 or 429 (with Retry-After) otherwise.

        ``sends_audio``: the request brings audio to transcribe (a key over its audio budget may still
        poll its batch jobs)."""
        assert surface in SURFACES, surface
        if not self.enabled:
            return ANONYMOUS
        if not key:
            raise Unauthorized(f"this server needs an API key: send it in {WHERE_TO_SEND[surface]}",
                               code="missing_api_key")
        record = await self._key_record(key, surface)
        if record.revoked_at is not None:
            raise Unauthorized(f"API key {record.id} ({record.name}) was revoked; ask the operator for a new one",
                               code="revoked_api_key")
        if record.surfaces is not None and surface not in record.surfaces:
            raise Forbidden(f"API key {record.name!r} may use {', '.join(record.surfaces)}, not {surface}",
                            code="surface_not_allowed")
        limits = record.limits if sends_audio else record.limits.model_copy(update={"audio_seconds_per_hour": None})
        refusal = await self.limiter.admit_request(record.id, limits)
        if refusal is not None:
            raise RateLimited(refusal.message, retry_after_s=refusal.retry_after_s)
        return Caller(record.id, record.name, record.languages, record.limits)

    async def _key_record(self, key: str, surface: str) -> KeyRecord:
        """The record of an API key, or of the key behind a client secret (realtime only); 401 otherwise."""
        if client_secrets.is_client_secret(key):
            if surface != "realtime":
                raise Forbidden("a client secret (ek_...) opens realtime sessions only; send the API key here",
                                code="surface_not_allowed")
            try:
                record = await self._record(client_secrets.key_id_of(key))
                if record is None:
                    raise client_secrets.ClientSecretError("the key this client secret was minted for does not exist")
                client_secrets.verify(key, record.secret_hash)
            except client_secrets.ClientSecretError as exc:
                raise Unauthorized(str(exc), code="invalid_client_secret") from None
            return record
        parts = split_key(key)
        record = await self._record(parts[0]) if parts else None
        if record is None or not record.matches(parts[1]):
            raise Unauthorized("unknown API key: check it was copied whole (sv_<id>_<secret>) and not mistyped",
                               code="invalid_api_key")
        return record

    async def mint_client_secret(self, caller: Caller | None, session: dict, ttl_s: int) -> tuple[str, int]:
        """A client secret for ``caller``'s key carrying ``session`` (unsigned with auth off)."""
        if not self.enabled or caller is None or caller.key_id is None:
            return client_secrets.mint(None, None, session, ttl_s)
        record = await self._record(caller.key_id)
        if record is None:
            raise Unauthorized("the API key is gone from the key store", code="invalid_api_key")
        return client_secrets.mint(record.id, record.secret_hash, session, ttl_s)

    async def enter(self, metadata: Mapping[str, str], surface: str) -> Caller:
        """:meth:`authenticate` the key in ``metadata`` (lower-cased headers) and make it this task's
        :data:`current_caller`, for surfaces that have no middleware (gRPC methods, WebSockets)."""
        caller = await self.authenticate(presented_key(metadata), surface)
        current_caller.set(caller)
        return caller

    @staticmethod
    def check_languages(caller: Caller | None, codes: Iterable[str]) -> None:
        """403 if the caller's key does not cover every language of the request."""
        if caller is None or caller.languages is None:
            return
        refused = [code for code in codes if not caller.allows_language(code)]
        if refused:
            raise Forbidden(f"API key {caller.name!r} is not allowed {', '.join(refused)}; it may use "
                            f"{', '.join(caller.languages)}", code="language_not_allowed")

    async def charge_audio(self, caller: Caller | None, seconds: float) -> None:
        if caller is not None and caller.key_id is not None and seconds > 0:
            await self.limiter.charge_audio(caller.key_id, seconds)

    async def open_stream(self, caller: Caller | None, renew_every_s: float = 20.0) -> StreamSlot:
        """A realtime stream's slot against the key's ``max_streams`` (429 when none is free), renewed
        while the stream is open so a replica that dies releases its slots within the lease."""
        if caller is None or caller.key_id is None:
            return StreamSlot(self, None, "", None)
        lease = uuid.uuid4().hex
        refusal = await self.limiter.open_stream(caller.key_id, lease, caller.limits)
        if refusal is not None:
            raise RateLimited(refusal.message, code="too_many_streams", retry_after_s=refusal.retry_after_s)

        async def renew():
            while True:
                await asyncio.sleep(renew_every_s)
                try:
                    await self.limiter.renew_stream(caller.key_id, lease)
                except Exception:  # the limiter is being replaced: the next renewal restores the slot
                    log.warning("could not renew stream slot %s of key %s", lease, caller.key_id)

        return StreamSlot(self, caller.key_id, lease, asyncio.create_task(renew()))


@dataclass
class StreamSlot:
    access: AccessControl
    key_id: str | None
    lease: str
    renewing: asyncio.Task | None

    async def close(self) -> None:
        if self.renewing is None:
            return
        self.renewing.cancel()
        try:
            await self.access.limiter.close_stream(self.key_id, self.lease)
        except Exception:  # the slot lapses with its lease
            log.warning("could not release stream slot %s of key %s", self.lease, self.key_id)
