"""Per-key rate limits, counted in one place (deployments/limits.py runs one for all ingress replicas).

Sliding windows: requests in the last minute, audio seconds in the last hour. Streams are
leases that the stream renews while it is open, so a stream whose ingress replica died stops
counting after ``stream_lease_s`` instead of holding its slot for ever.
Plain Python with an injectable clock; the counts live in memory (a restart forgets them,
which errs on the caller's side for at most one window).
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

from sunvai.auth.keys import KeyLimits

MINUTE, HOUR = 60.0, 3600.0


@dataclass
class _KeyWindows:
    requests: deque = field(default_factory=deque)  # request times in the last minute
    audio: deque = field(default_factory=deque)  # (time, seconds) in the last hour
    audio_total: float = 0.0
    streams: dict[str, float] = field(default_factory=dict)  # lease id -> expiry


@dataclass(frozen=True)
class Refusal:
    message: str
    retry_after_s: int


class KeyLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic, stream_lease_s: float = 60.0):
        self.clock = clock
        self.stream_lease_s = stream_lease_s
        self.keys: dict[str, _KeyWindows] = {}

    def _windows(self, key_id: str, now: float) -> _KeyWindows:
        windows = self.keys.setdefault(key_id, _KeyWindows())
        while windows.requests and windows.requests[0] <= now - MINUTE:
            windows.requests.popleft()
        while windows.audio and windows.audio[0][0] <= now - HOUR:
            windows.audio_total -= windows.audio.popleft()[1]
        for lease, expiry in list(windows.streams.items()):
            if expiry <= now:
                del windows.streams[lease]
        return windows

    def admit_request(self, key_id: str, limits: KeyLimits) -> Refusal | None:
        """Count one request, or say why it is refused and when to retry."""
        now = self.clock()
        windows = self._windows(key_id, now)
        if limits.requests_per_minute is not None and len(windows.requests) >= limits.requests_per_minute:
            wait = windows.requests[0] + MINUTE - now
            return Refusal(f"this API key made {len(windows.requests)} requests in the last minute, its limit "
                           f"({limits.requests_per_minute} a minute); retry after {math.ceil(wait)} s",
                           _seconds(wait))
        if limits.audio_seconds_per_hour is not None and windows.audio_total >= limits.audio_seconds_per_hour:
            wait = self._audio_wait(windows, limits.audio_seconds_per_hour, now)
            return Refusal(f"this API key sent {windows.audio_total:.0f} s of audio in the last hour, its limit "
                           f"({limits.audio_seconds_per_hour:g} s an hour); retry after {math.ceil(wait)} s",
                           _seconds(wait))
        windows.requests.append(now)
        return None

    @staticmethod
    def _audio_wait(windows: _KeyWindows, limit: float, now: float) -> float:
        """Seconds until enough audio leaves the hour's window to bring the total under the limit."""
        total = windows.audio_total
        for moment, seconds in windows.audio:
            total -= seconds
            if total < limit:
                return moment + HOUR - now
        return HOUR

    def charge_audio(self, key_id: str, seconds: float) -> None:
        if seconds > 0:
            now = self.clock()
            windows = self._windows(key_id, now)
            windows.audio.append((now, seconds))
            windows.audio_total += seconds

    def open_stream(self, key_id: str, lease_id: str, limits: KeyLimits) -> Refusal | None:
        now = self.clock()
        windows = self._windows(key_id, now)
        if limits.max_streams is not None and len(windows.streams) >= limits.max_streams:
            return Refusal(f"this API key has {len(windows.streams)} open streams, its limit ({limits.max_streams}); "
                           "close one or retry later", 5)
        windows.streams[lease_id] = now + self.stream_lease_s
        return None

    def renew_stream(self, key_id: str, lease_id: str) -> None:
        now = self.clock()
        self._windows(key_id, now).streams[lease_id] = now + self.stream_lease_s

    def close_stream(self, key_id: str, lease_id: str) -> None:
        self._windows(key_id, self.clock()).streams.pop(lease_id, None)


def _seconds(wait: float) -> int:
    return max(1, math.ceil(wait))
