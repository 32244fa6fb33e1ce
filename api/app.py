"""Build the FastAPI app for a TranscriptionService: one router per surface."""

from __future__ import annotations

from fastapi import FastAPI

from sunvai.api import health, vachana, vachana_stream, vakyansh
from sunvai.api.context import RequestContextMiddleware
from sunvai.api.errors import install_error_handlers
from sunvai.service.transcription import TranscriptionService


def create_app(service: TranscriptionService) -> FastAPI:
    app = FastAPI(title="sunvai", summary="Self-hosted speech-to-text for Indian languages", version="0.1.0")
    app.state.service = service
    app.include_router(health.router)
    app.include_router(vachana.router)
    app.include_router(vakyansh.router)
    app.include_router(vachana_stream.router)
    limits = service.args.streaming
    app.state.stream_limiter = vachana_stream.StreamLimiter(limits.max_streams, limits.max_streams_per_key)
    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware, max_body_bytes=service.args.limits.max_upload_bytes)
    return app
