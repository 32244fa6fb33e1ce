"""Admission control: a bounded number of requests in flight, and a Retry-After that spreads the rest out.

One :class:`AdmissionControl` per ingress replica counts the transcription requests of every
surface: :class:`AdmissionMiddleware` admits HTTP requests before their bodies are parsed, and
the surfaces that pass no HTTP middleware (Vakyansh gRPC) use :meth:`AdmissionControl.admitted`.

A refusal that says "retry after 2 s" to 200 waiting clients brings all of them back every
2 s: the server then spends its cores receiving and refusing uploads. Here the Retry-After
follows Little's law instead: the clients now waiting are estimated as (refusals in the last
window) x (the Retry-After they were given) / window, and they are told to come back when the
server will have finished that many requests at its measured completion rate, with jitter
so they do not return together. A lone refused client still hears about 1-2 s.
"""

from __future__ import annotations

import contextlib
import math
import random
import time
from collections import deque
from typing import Callable

from sunvai.api.context import drain, route_path, send_error
from sunvai.errors import Overloaded

WINDOW_S = 10.0
MIN_RETRY_S, MAX_RETRY_S = 1, 60


class AdmissionControl:
    def __init__(self, limit: int, clock: Callable[[], float] = time.monotonic, rng: random.Random | None = None):
        self.limit = limit
        self.in_flight = 0
        self.clock = clock
        self.rng = rng or random.Random()
        self._done: deque[float] = deque()  # completion times in the window
        self._refused: deque[tuple[float, int]] = deque()  # (time, Retry-After given) in the window

    def _trim(self, now: float) -> None:
        while self._done and self._done[0] <= now - WINDOW_S:
            self._done.popleft()
        while self._refused and self._refused[0][0] <= now - WINDOW_S:
            self._refused.popleft()

    def retry_after_s(self) -> int:
        """Seconds until the server is likely to have room for the clients waiting now."""
        now = self.clock()
        self._trim(now)
        waiting = self.in_flight + sum(given for _, given in self._refused) / WINDOW_S
        rate = max(len(self._done) / WINDOW_S, 0.5)  # requests finished per second (never below one per 2 s)
        wait = min(MAX_RETRY_S, waiting / rate) * self.rng.uniform(0.6, 1.0)  # jitter: not all back at once
        return max(MIN_RETRY_S, math.ceil(wait))

    def admit(self) -> None:
        """Take a slot or raise :class:`Overloaded` with the Retry-After to give."""
        if self.in_flight >= self.limit:
            retry = self.retry_after_s()
            self._refused.append((self.clock(), retry))
            raise Overloaded(f"this server is working on {self.in_flight} requests, its limit "
                             f"(limits.max_concurrent_requests); retry after {retry} s",
                             code="overloaded", retry_after_s=retry)
        self.in_flight += 1

    def release(self) -> None:
        self.in_flight -= 1
        self._done.append(self.clock())

    @contextlib.asynccontextmanager
    async def admitted(self):
        """:meth:`admit` for the length of a block."""
        self.admit()
        try:
            yield
        finally:
            self.release()


ADMITTED_PATHS = ("/stt/v3", "/v1/audio/")  # request/response transcription; /v1/recognize admits in its protocol


class AdmissionMiddleware:
    """Refuse transcription requests beyond the limit before parsing their bodies.

    The check costs nothing per refused request but draining its body (no multipart parsing,
    no decoding), so a flood of clients cannot starve the requests already admitted.
    """

    def __init__(self, app, admission: AdmissionControl):
        self.app = app
        self.admission = admission

    async def __call__(self, scope, receive, send):
        path = route_path(scope)
        if scope["type"] != "http" or scope.get("method") != "POST" or not (
                path == ADMITTED_PATHS[0] or path.startswith(ADMITTED_PATHS[1])):
            return await self.app(scope, receive, send)
        try:
            self.admission.admit()
        except Overloaded as refused:
            await drain(receive)
            return await send_error(send, scope, refused)
        try:
            await self.app(scope, receive, send)
        finally:
            self.admission.release()
