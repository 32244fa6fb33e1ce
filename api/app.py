"""Build the FastAPI app for a TranscriptionService: one router per surface."""

from __future__ import annotations

from fastapi import FastAPI

from sunvai.api import health, observe, page
from sunvai.api.admission import AdmissionControl, AdmissionMiddleware
from sunvai.api.context import RequestContextMiddleware
from sunvai.api.errors import install_error_handlers
from sunvai.api.keys import KeyMiddleware
from sunvai.api.openai import audio as openai_audio, client_secrets as openai_secrets, realtime as openai_realtime
from sunvai.api.vachana import batch, rest as vachana, stream as vachana_stream
from sunvai.api.vakyansh import rest as vakyansh
from sunvai.api.vakyansh.protocol import VakyanshApi
from sunvai.api.websocket import StreamLimiter
from sunvai.service.observe import NullRecorder, Recorder
from sunvai.service.transcription import TranscriptionService


def create_app(service: TranscriptionService, vakyansh_api: VakyanshApi | None = None,
               batch_api: batch.BatchApi | None = None, recorder: Recorder | None = None,
               metrics_source: observe.MetricsSource | None = None,
               admission: AdmissionControl | None = None) -> FastAPI:
    """The HTTP surfaces; ``vakyansh_api`` and ``admission`` are shared with the gRPC methods when the ingress
    has them (default: this app's own, at ``limits.max_concurrent_requests``).

    The batch routes answer 404 unless a ``batch_api`` (the job store) is given."""
    app = FastAPI(title="sunvai", summary="Self-hosted speech-to-text for Indian languages", version="0.1.0")
    app.state.service = service
    app.state.admission = admission = admission or AdmissionControl(service.args.limits.max_concurrent_requests)
    app.state.vakyansh = vakyansh_api or VakyanshApi(service, admission)
    app.include_router(health.router)
    app.include_router(vachana.router)
    app.include_router(vakyansh.router)
    app.include_router(openai_audio.router)
    app.include_router(openai_realtime.router)
    app.include_router(openai_secrets.router)
    app.include_router(vachana_stream.router)
    app.include_router(batch.router)
    app.include_router(observe.router)
    app.state.metrics_source = metrics_source
    app.state.recorder = recorder or NullRecorder()  # the WebSocket records its sessions here
    page.mount(app)
    app.state.batch = batch_api
    limits = service.args.streaming
    app.state.stream_limiter = StreamLimiter(limits.max_streams, limits.max_streams_per_key)
    install_error_handlers(app)
    app.add_middleware(AdmissionMiddleware, admission=admission)
    app.add_middleware(KeyMiddleware, access=service.access)  # runs before admission: no slot for a bad key
    app.add_middleware(observe.ObserveMiddleware, recorder=app.state.recorder)
    batch_body = service.args.batch.max_files * service.args.batch.max_file_bytes
    app.add_middleware(RequestContextMiddleware, max_body_bytes=service.args.limits.max_upload_bytes,
                       larger_bodies={batch.PREFIX: batch_body} if batch_api is not None else None)
    return app
