"""HTTP requests into metrics and access logs, and ``GET /metrics``.

A pure ASGI middleware: it sees the final status of every HTTP request (errors included);
handlers leave ``language`` and ``audio_s`` in the request state when they know them.
"""

from __future__ import annotations

import time
from typing import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse

from sunvai.api.context import route_path
from sunvai.errors import NotFound
from sunvai.service.observe import Recorder, RequestRecord, log_access, surface_of

router = APIRouter()
MetricsSource = Callable[[], Awaitable[str]]


class ObserveMiddleware:
    def __init__(self, app, recorder: Recorder):
        self.app = app
        self.recorder = recorder

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = {"code": 500}

        async def capture(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            state = scope.get("state", {})
            surface = surface_of(route_path(scope))
            if surface not in ("health", "metrics", "page"):
                record = RequestRecord(surface, status["code"], time.perf_counter() - started,
                                       str(state.get("language") or "none"), float(state.get("audio_s") or 0.0),
                                       str(state.get("request_id", "")), str(state.get("key_name", "")))
                self.recorder.record(record)
                log_access(record)


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> PlainTextResponse:
    """Prometheus text: every series of this Ray cluster's nodes, sunvai's named ``sunvai_...``."""
    source: MetricsSource | None = getattr(request.app.state, "metrics_source", None)
    if source is None:
        raise NotFound("metrics are served by the Serve graph (Ray's metrics export); none in this process",
                       code="metrics_unavailable")
    return PlainTextResponse(await source(), media_type="text/plain; version=0.0.4")
