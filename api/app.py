"""Build the FastAPI app for a TranscriptionService: one router per surface."""

from __future__ import annotations

from fastapi import FastAPI

from api import health, vachana, vakyansh
from api.context import RequestContextMiddleware
from api.errors import install_error_handlers
from service.transcription import TranscriptionService


def create_app(service: TranscriptionService) -> FastAPI:
    app = FastAPI(title="sunvai", summary="Self-hosted speech-to-text for Indian languages", version="0.1.0")
    app.state.service = service
    app.include_router(health.router)
    app.include_router(vachana.router)
    app.include_router(vakyansh.router)
    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware, max_body_bytes=service.args.limits.max_upload_bytes)
    return app
