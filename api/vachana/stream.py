"""Vachana realtime: WebSocket ``/stt/v3/stream`` (API.md §2).

Settings come in the upgrade headers (or, for browsers, which cannot set them, as query
parameters of the same names). Audio arrives as binary frames of PCM
s16le mono at the announced rate, any frame size. A text frame ``EOS`` (or
``{"type": "end"}``) ends the audio: the open segment is transcribed, every
transcript is sent, and the server closes with 1000.

Close codes: 1008 bad settings, 1009 frame too large, 1013 too many streams
(try again later), 4408 idle timeout, 1011 internal error, 1000 after EOS; with API keys on,
4401 missing, unknown or revoked key, 4403 key not allowed this language or surface, 4429 over
its rate or streams (each after an ``error`` message).
"""

from __future__ import annotations

import asyncio
import json
import logging

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, Field
from starlette.websockets import WebSocketState

from sunvai.api.context import new_request_id, valid_request_id
from sunvai.api.fields import Format, RedactionFields, TrueFalse, parse_fields
from sunvai.api.vachana.events import Connected, ErrorMessage, StreamConfig, render
from sunvai.api.websocket import (
    CLOSE_BAD_SETTINGS, CLOSE_FOR_STATUS, CLOSE_IDLE, CLOSE_INTERNAL, CLOSE_TOO_BIG, CLOSE_TRY_LATER, StreamLimiter,
    recorded)
from sunvai.audio.resample import STREAM_RATES
from sunvai.auth.access import Caller
from sunvai.errors import BadRequest, Overloaded, ServiceError
from sunvai.redaction import Redaction
from sunvai.service.streaming import StreamEvent, StreamingSession, StreamSettings
from sunvai.service.transcription import TranscriptionService

router = APIRouter()
log = logging.getLogger(__name__)
END_MESSAGES = {"eos", "end", "close", "stop"}

class _Settings:
    """Upgrade headers, then query parameters of the same names: browsers cannot set WebSocket headers."""

    def __init__(self, websocket: WebSocket):
        self.headers, self.query = websocket.headers, websocket.query_params

    def get(self, name: str, default: str | None = None) -> str | None:
        value = self.headers.get(name)
        return value if value is not None else self.query.get(name, default)


class StreamFields(BaseModel):
    """The stream's settings that are plain values (the language, rate and request id have checks of their own)."""

    format: Format = Field("verbatim", alias="x-format")
    itn_native_numerals: TrueFalse = False
    interim_results: TrueFalse = Field(False, alias="x-interim-results")
    redact: str | None = Field(None, alias="x-redact", description=RedactionFields.model_fields["redact"].description)
    redact_style: str | None = Field(None, alias="x-redact-style",
                                     description=RedactionFields.model_fields["redact_style"].description)
    profanity_filter: TrueFalse = Field(False, alias="x-profanity-filter")
    confidence: TrueFalse = Field(False, alias="x-confidence")


STREAM_FIELD_NAMES = [field.alias or name for name, field in StreamFields.model_fields.items()]


def parse_settings(websocket: WebSocket, service: TranscriptionService) -> StreamSettings:
    headers = _Settings(websocket)
    # raises BadRequest naming the accepted codes; a comma list is kept for per-segment identification
    selection = service.selection_for(headers.get("lang_code") or headers.get("lang-code") or "en-IN")
    rate_text = headers.get("x-sample-rate", "16000")
    if not rate_text.isdigit() or int(rate_text) not in STREAM_RATES:
        raise BadRequest(f"x-sample-rate must be one of {', '.join(map(str, STREAM_RATES))}, got {rate_text!r}",
                         code="invalid_sample_rate")
    request_id = headers.get("x-api-request-id") or new_request_id()
    if not valid_request_id(request_id):
        raise BadRequest("x-api-request-id must be 1 to 128 printable ASCII characters", code="invalid_request_id")
    fields = parse_fields(StreamFields, {name: headers.get(name) for name in STREAM_FIELD_NAMES})
    return StreamSettings(
        language_code=",".join(selection.candidates),
        sample_rate=int(rate_text),
        format=fields.format,
        itn_native_numerals=fields.itn_native_numerals,
        request_id=request_id,
        api_key=headers.get("x-api-key-id", ""),
        interim_results=fields.interim_results,
        redact=Redaction.parse(fields.redact, fields.redact_style),
        profanity_filter=fields.profanity_filter,
        confidence=fields.confidence,
    )


async def _refuse(websocket: WebSocket, code: str, message: str, close_code: int) -> None:
    await websocket.accept()
    await websocket.send_json(ErrorMessage(code=code, message=message).wire())
    await websocket.close(code=close_code, reason=message[:120])


@router.websocket("/stt/v3/stream")
async def stream(websocket: WebSocket) -> None:
    """One realtime session; recorded like a request (surface ``stream``) when it ends."""
    async with recorded(websocket, "stream") as record:
        await _stream(websocket, record)


async def _stream(websocket: WebSocket, record: dict) -> None:
    service: TranscriptionService = websocket.app.state.service
    limiter: StreamLimiter = websocket.app.state.stream_limiter

    async def refuse(error: ServiceError, close_code: int) -> None:
        record["status"] = error.status
        await _refuse(websocket, error.code, error.message, CLOSE_FOR_STATUS.get(error.status, close_code))

    try:
        caller = await service.access.enter(_Settings(websocket), "realtime")
    except ServiceError as error:
        return await refuse(error, CLOSE_TRY_LATER)
    record["key_name"] = caller.name
    try:
        settings = parse_settings(websocket, service)
    except ServiceError as error:
        return await refuse(error, CLOSE_BAD_SETTINGS)
    record.update(language=settings.language_code, request_id=settings.request_id)
    stream_key = caller.key_id or settings.api_key or None  # authenticated: the key's id, however it was sent
    refusal = limiter.acquire(stream_key)
    if refusal:
        return await refuse(Overloaded(refusal, code="too_many_streams"), CLOSE_TRY_LATER)
    try:
        try:
            slot = await service.access.open_stream(caller)
        except ServiceError as error:  # the key's streams are all in use
            return await refuse(error, CLOSE_TRY_LATER)
        try:
            record["audio_s"] = await _serve_stream(websocket, service, settings, caller)
        finally:
            await slot.close()
    finally:
        limiter.release(stream_key)


async def _serve_stream(websocket: WebSocket, service: TranscriptionService, settings: StreamSettings,
                        caller: Caller) -> float:
    """Run the session to its end; the seconds of audio received."""
    config = service.args.streaming

    send_lock = asyncio.Lock()

    async def send(message: dict) -> None:
        async with send_lock:
            if websocket.client_state == WebSocketState.CONNECTED:
                await websocket.send_json(message)

    async def emit(event: StreamEvent) -> None:
        await send(render(event))

    async def error(code: str, message: str) -> None:
        await send(ErrorMessage(code=code, message=message).wire())

    session = None
    try:
        await websocket.accept()
        session = await StreamingSession.open(service, settings, config, emit)
        await send(Connected(request_id=settings.request_id, config=StreamConfig(
            sample_rate=settings.sample_rate, language_code=settings.language_code, format=settings.format,
            interim_results=settings.interim_results)).wire())
        while True:
            try:
                message = await asyncio.wait_for(websocket.receive(), config.idle_timeout_s)
            except asyncio.TimeoutError:
                reason = f"no audio for {config.idle_timeout_s:g} s; closing the idle stream"
                await error("idle_timeout", reason)
                await session.finish()  # the speech already received is transcribed and sent first
                await websocket.close(code=CLOSE_IDLE, reason=reason)
                break
            if message["type"] == "websocket.disconnect":
                break
            data, text = message.get("bytes"), message.get("text")
            if data is not None:
                if len(data) > config.max_frame_bytes:
                    reason = f"audio frame of {len(data)} bytes exceeds {config.max_frame_bytes}; send smaller frames"
                    await error("frame_too_large", reason)
                    await session.finish()  # the speech already received is transcribed and sent first
                    await websocket.close(code=CLOSE_TOO_BIG, reason=reason[:120])
                    break
                if data:
                    await session.feed(data)
                    continue
                text = "eos"  # an empty binary frame also ends the audio
            if _is_end(text):
                await session.finish()
                await websocket.close(code=1000, reason="end of stream")
                break
            await error("unknown_message", "send audio as binary PCM frames; a text frame may only be EOS")
    except WebSocketDisconnect:
        pass
    except Exception:
        log.exception("stream %s failed", settings.request_id)
        if websocket.client_state == WebSocketState.CONNECTED:
            reason = f"internal error; quote request_id {settings.request_id} when reporting it"
            await error("internal_error", reason)
            await websocket.close(code=CLOSE_INTERNAL, reason="internal error")
    finally:
        if session is not None:
            session.abort()
            await service.access.charge_audio(caller, session.received_s)
    return session.received_s if session is not None else 0.0


def _is_end(text: str | None) -> bool:
    if text is None:
        return False
    value = text.strip().lower()
    if value in END_MESSAGES:
        return True
    try:
        payload = json.loads(text)
    except ValueError:
        return False
    return isinstance(payload, dict) and str(payload.get("type", "")).lower() in END_MESSAGES
