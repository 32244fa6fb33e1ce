"""Client secrets for OpenAI Realtime sessions: ``POST /v1/realtime/client_secrets`` and the older
``POST /v1/realtime/transcription_sessions`` (auth/client_secrets.py says what a secret is).

A server holding an API key mints a secret for a browser or phone, which opens ``/v1/realtime`` with it; the
session starts with the configuration the secret was minted with.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from sunvai.api.openai import realtime_protocol as wire
from sunvai.api.openai.realtime_protocol import new_session_id, stream_settings
from sunvai.auth import client_secrets
from sunvai.auth.access import current_caller, presented_key
from sunvai.errors import BadRequest, Forbidden
from sunvai.service.transcription import TranscriptionService

router = APIRouter()


class ExpiresAfter(BaseModel):
    anchor: str = "created_at"
    seconds: int = Field(600, ge=10, le=7200, description="from 10 to 7200")


class ClientSecretRequest(BaseModel):
    expires_after: ExpiresAfter = Field(default_factory=ExpiresAfter)
    session: dict = Field(default_factory=lambda: {"type": "transcription"})


class LegacySessionRequest(BaseModel):
    """``POST /v1/realtime/transcription_sessions``: the older flat session with its secret's lifetime."""

    model_config = {"extra": "allow"}
    client_secret: dict | None = None


@router.post("/v1/realtime/client_secrets")
async def create_client_secret(request: Request) -> JSONResponse:
    body = ClientSecretRequest.model_validate(await _json_body(request))
    config = wire.updated(wire.RealtimeConfig(), body.session, legacy=False)
    value, expires = await _mint(request, config, body.expires_after.seconds)
    return JSONResponse({"value": value, "expires_at": expires, "session": config.wire(new_session_id())})


@router.post("/v1/realtime/transcription_sessions")
async def create_transcription_session(request: Request) -> JSONResponse:
    body = LegacySessionRequest.model_validate(await _json_body(request))
    ttl = ExpiresAfter.model_validate((body.client_secret or {}).get("expires_at") or {}).seconds
    config = wire.updated(wire.RealtimeConfig(), body.model_extra or {}, legacy=True)
    value, expires = await _mint(request, config, ttl)
    return JSONResponse({"client_secret": {"value": value, "expires_at": expires}, **config.legacy_wire(new_session_id())})


async def _json_body(request: Request) -> dict:
    try:
        body = await request.json() if await request.body() else {}
    except ValueError:
        raise BadRequest("send a JSON object (or no body) with `session` and `expires_after`",
                         code="invalid_json") from None
    if not isinstance(body, dict):
        raise BadRequest("send a JSON object with `session` and `expires_after`", code="invalid_json")
    return body


async def _mint(request: Request, config: wire.RealtimeConfig, ttl_s: int) -> tuple[str, int]:
    service: TranscriptionService = request.app.state.service
    presented = presented_key({k.lower(): v for k, v in request.headers.items()}) or ""
    if client_secrets.is_client_secret(presented):
        raise Forbidden("a client secret cannot mint client secrets; send the API key", code="surface_not_allowed")
    stream_settings(service, config, "check")  # a model or language that is not served fails here, not at connect
    return await service.access.mint_client_secret(current_caller.get(), config.model_dump(), ttl_s)
