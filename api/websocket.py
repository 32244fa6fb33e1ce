"""What the WebSocket surfaces share (the Vachana stream, OpenAI Realtime): close codes, the per-replica stream
limiter, and recording a session like a request when it ends."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field

from fastapi import WebSocket

from sunvai.service.observe import NullRecorder, RequestRecord, log_access

CLOSE_BAD_SETTINGS = 1008
CLOSE_TOO_BIG = 1009
CLOSE_TRY_LATER = 1013
CLOSE_IDLE = 4408
CLOSE_INTERNAL = 1011
CLOSE_FOR_STATUS = {401: 4401, 403: 4403, 429: 4429}  # key refusals (API.md, "Keys on every surface")


@dataclass
class StreamLimiter:
    """Concurrent streams per server (this replica) and per API key. Streams without a key count only
    against the server's limit: with auth off they would otherwise all share one key's."""

    max_streams: int
    max_per_key: int
    active: dict[str | None, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.active.values())

    def acquire(self, key: str | None) -> str | None:
        """None when admitted, else why not. ``key`` None: no key."""
        if self.total >= self.max_streams:
            return f"this server already has {self.total} open streams (limit {self.max_streams}); retry later"
        if key is not None and self.active.get(key, 0) >= self.max_per_key:
            return f"this API key already has {self.active[key]} open streams (limit {self.max_per_key})"
        self.active[key] = self.active.get(key, 0) + 1
        return None

    def release(self, key: str | None) -> None:
        self.active[key] -= 1
        if not self.active[key]:
            del self.active[key]


@contextlib.asynccontextmanager
async def recorded(websocket: WebSocket, surface: str):
    """Yields the session's record for the route to fill (status, language, audio_s, request_id, key_name); when
    the session ends it goes to the app's recorder (metrics) and the access log."""
    started = time.perf_counter()
    record = {"status": 200, "language": "none", "audio_s": 0.0, "request_id": "", "key_name": ""}
    try:
        yield record
    finally:
        entry = RequestRecord(surface, record["status"], time.perf_counter() - started, record["language"],
                              record["audio_s"], record["request_id"], record["key_name"])
        getattr(websocket.app.state, "recorder", NullRecorder()).record(entry)
        log_access(entry)
