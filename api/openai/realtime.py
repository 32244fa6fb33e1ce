"""OpenAI Realtime transcription sessions: WebSocket ``/v1/realtime?intent=transcription`` (API.md §5).

As the openai SDK's realtime client drives it: JSON events both ways, audio base64 in
``input_audio_buffer.append`` (``audio/pcm`` s16le at 24 kHz, ``audio/pcmu``, ``audio/pcma``).
Under server VAD each pause ends a turn: ``speech_started``, ``speech_stopped``, ``committed``,
the user item, then the transcript as ``...transcription.delta`` pieces (one word each, in
order, concatenating to the final text) and ``...transcription.completed``. Without turn
detection the client commits each turn. Turns go through the same flow as every surface (routing
or identification among a comma list, script lock, punctuation, ITN); their transcripts leave in
turn order.

Keys: ``Authorization: Bearer``, the ``openai-insecure-api-key.<key>`` subprotocol (browsers), or
a client secret (api/openai/client_secrets.py), whose session configuration the session starts with.
Errors are ``error`` events in OpenAI's shape; the session stays open after a bad event, and closes
(after the event) only when the key is refused, the server is full or the client went idle.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketState

from sunvai.api.openai import realtime_protocol as wire
from sunvai.api.websocket import CLOSE_FOR_STATUS, CLOSE_IDLE, CLOSE_INTERNAL, CLOSE_TRY_LATER, StreamLimiter, recorded
from sunvai.asr.types import TokenLogprob
from sunvai.auth import client_secrets
from sunvai.auth.access import presented_key
from sunvai.errors import BadRequest, Overloaded, ServiceError
from sunvai.service.streaming import (
    Final, Processing, SegmentFailed, SpeechEnded, SpeechStarted, StreamEvent, StreamingSession, StreamSettings)
from sunvai.service.transcription import TranscriptionService

router = APIRouter()
log = logging.getLogger(__name__)
MAX_APPEND_BYTES = 11 * 1024 * 1024  # base64 of it fits a 16 MiB WebSocket message (uvicorn's and Serve's limit)
SUBPROTOCOL = "realtime"
CLOSE_BAD_REQUEST = 1008
NOT_FOR_TRANSCRIPTION = ("response.", "conversation.item.", "output_audio_buffer.")


# --- the session ----------------------------------------------------------------------------------------------
@router.websocket("/v1/realtime")
async def realtime(websocket: WebSocket) -> None:
    """One transcription session; recorded like a request (surface ``openai_realtime``) when it ends."""
    async with recorded(websocket, "openai_realtime") as record:
        await _admit(websocket, record)


async def _admit(websocket: WebSocket, record: dict) -> None:
    """Key, session configuration and stream limits, then the session; each refusal an ``error`` event and a close."""
    service: TranscriptionService = websocket.app.state.service
    limiter: StreamLimiter = websocket.app.state.stream_limiter
    record["request_id"] = session_id = wire.new_session_id()

    async def refuse(error: ServiceError, close_code: int, param: str | None = None) -> None:
        record["status"] = error.status
        await _accept(websocket)
        await websocket.send_json(_error(error, param))
        await websocket.close(code=CLOSE_FOR_STATUS.get(error.status, close_code), reason=error.message[:120])

    if websocket.query_params.get("intent") != "transcription":
        return await refuse(BadRequest("sunvai serves transcription sessions: connect to /v1/realtime?intent="
                                       "transcription (the openai SDK: extra_query={'intent': 'transcription'})",
                                       code="invalid_intent"), CLOSE_BAD_REQUEST, "intent")
    try:
        caller = await service.access.enter(websocket.headers, "realtime")
        record["key_name"] = caller.name
        config = wire.RealtimeConfig()
        key = presented_key(websocket.headers) or ""
        if client_secrets.is_client_secret(key):  # start with the configuration it was minted with
            config = wire.updated(config, client_secrets.verify(key, None), legacy=False)
        settings = wire.stream_settings(service, config, session_id)
    except ServiceError as error:
        return await refuse(error, CLOSE_BAD_REQUEST)
    except client_secrets.ClientSecretError as exc:
        return await refuse(BadRequest(str(exc), code="invalid_client_secret"), CLOSE_BAD_REQUEST)
    record["language"] = settings.language_code
    stream_key = caller.key_id
    refusal = limiter.acquire(stream_key)
    if refusal:
        return await refuse(Overloaded(refusal, code="too_many_streams"), CLOSE_TRY_LATER)
    try:
        try:
            slot = await service.access.open_stream(caller)
        except ServiceError as error:  # the key's streams are all in use
            return await refuse(error, CLOSE_TRY_LATER)
        try:
            session = RealtimeSession(websocket, service, config, settings, session_id)
            record["audio_s"] = await session.run()
            await service.access.charge_audio(caller, record["audio_s"])
        finally:
            await slot.close()
    finally:
        limiter.release(stream_key)


async def _accept(websocket: WebSocket) -> None:
    if websocket.client_state != WebSocketState.CONNECTING:
        return
    offered = [p.strip() for p in websocket.headers.get("sec-websocket-protocol", "").split(",") if p.strip()]
    # a browser that offered subprotocols fails the connection unless one is chosen: "realtime" where offered
    await websocket.accept(subprotocol=SUBPROTOCOL if SUBPROTOCOL in offered else (offered[0] if offered else None))


def _error(error: ServiceError, param: str | None = None, client_event_id: str | None = None) -> dict:
    kinds = {401: "authentication_error", 403: "permission_error", 429: "rate_limit_exceeded",
             503: "rate_limit_exceeded"}
    kind = kinds.get(error.status, "invalid_request_error" if error.status < 500 else "server_error")
    return wire.error_event(error.message, error.code, kind, getattr(error, "param", None) or param, client_event_id)


class RealtimeSession:
    """One connected client: reads its events, feeds the streaming session, renders its events as OpenAI's."""

    def __init__(self, websocket: WebSocket, service: TranscriptionService, config: wire.RealtimeConfig,
                 settings: StreamSettings, session_id: str):
        self.websocket, self.service, self.config, self.session_id = websocket, service, config, session_id
        self.settings = settings
        self.legacy = False  # the client speaks the older transcription_session events
        self.previous_item: str | None = None
        self.send_lock = asyncio.Lock()
        self.stream: StreamingSession | None = None

    def item_id(self, index: int) -> str:
        return f"item_{self.session_id.removeprefix('sess_')}_{index}"

    async def send(self, *messages: dict) -> None:
        async with self.send_lock:
            for message in messages:
                if self.websocket.client_state == WebSocketState.CONNECTED:
                    await self.websocket.send_text(json.dumps(message, ensure_ascii=False, separators=(",", ":")))

    async def run(self) -> float:
        """Serve until the client leaves or idles out; the seconds of audio received."""
        idle_s = self.service.args.streaming.idle_timeout_s
        try:
            await _accept(self.websocket)
            self.stream = await StreamingSession.open(self.service, self.settings, self.service.args.streaming,
                                                      self.render)
            await self.send(wire.event("session.created", session=self.config.wire(self.session_id)))
            while True:
                try:
                    message = await asyncio.wait_for(self.websocket.receive(), idle_s)
                except asyncio.TimeoutError:
                    await self.send(wire.error_event(f"no events for {idle_s:g} s; closing the idle session",
                                                     "idle_timeout"))
                    await self.stream.finish()  # turns already committed are transcribed and sent first
                    await self.websocket.close(code=CLOSE_IDLE, reason="idle")
                    break
                if message["type"] == "websocket.disconnect":
                    break
                await self.handle(message.get("text"), message.get("bytes"))
        except WebSocketDisconnect:
            pass
        except Exception:
            log.exception("realtime session %s failed", self.session_id)
            if self.websocket.client_state == WebSocketState.CONNECTED:
                await self.send(wire.error_event(f"internal error; quote {self.session_id} when reporting it",
                                                 "internal_error", "server_error"))
                await self.websocket.close(code=CLOSE_INTERNAL, reason="internal error")
        finally:
            if self.stream is not None:
                self.stream.abort()  # a client gone mid-turn leaves no decode running
        return self.stream.received_s if self.stream is not None else 0.0

    # --- client events ---------------------------------------------------------------------------------------
    async def handle(self, text: str | None, data: bytes | None) -> None:
        client_event_id = None
        try:
            if text is None:
                raise wire.InvalidEvent("send JSON text events; audio goes base64 in input_audio_buffer.append",
                                        code="invalid_event")
            try:
                payload = json.loads(text)
            except ValueError:
                raise wire.InvalidEvent("the event is not valid JSON", code="invalid_json") from None
            if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
                raise wire.InvalidEvent("an event is a JSON object with a string `type`", code="invalid_event",
                                        param="type")
            client_event_id = payload.get("event_id") if isinstance(payload.get("event_id"), str) else None
            await self.dispatch(payload["type"], payload)
        except ServiceError as error:
            await self.send(_error(error, client_event_id=client_event_id))

    async def dispatch(self, kind: str, payload: dict) -> None:
        if kind in ("session.update", "transcription_session.update"):
            await self.update(payload.get("session"), legacy=kind == "transcription_session.update")
        elif kind == "input_audio_buffer.append":
            await self.stream.feed(self.audio_of(payload))
        elif kind == "input_audio_buffer.commit":
            await self.stream.commit()
        elif kind == "input_audio_buffer.clear":
            await self.stream.clear()
            await self.send(wire.event("input_audio_buffer.cleared"))
        elif kind.startswith(NOT_FOR_TRANSCRIPTION):
            raise wire.InvalidEvent(f"{kind} is not available in a transcription session; it takes session.update "
                                    "and input_audio_buffer.append, .commit and .clear", code="invalid_event",
                                    param="type")
        else:
            raise wire.InvalidEvent(f"unknown event type {kind!r}; a transcription session takes session.update, "
                                    "input_audio_buffer.append, input_audio_buffer.commit and input_audio_buffer.clear",
                                    code="invalid_event", param="type")

    async def update(self, session, legacy: bool) -> None:
        config = wire.updated(self.config, session, legacy)
        settings = wire.stream_settings(self.service, config, self.session_id)
        await self.stream.reconfigure(settings)
        self.config, self.settings, self.legacy = config, settings, legacy
        if legacy:
            await self.send(wire.event("transcription_session.updated", session=config.legacy_wire(self.session_id)))
        else:
            await self.send(wire.event("session.updated", session=config.wire(self.session_id)))

    def audio_of(self, payload: dict) -> bytes:
        audio = payload.get("audio")
        if not isinstance(audio, str):
            raise wire.InvalidEvent("input_audio_buffer.append needs `audio`: base64 of the session's audio format",
                                    param="audio")
        if len(audio) > MAX_APPEND_BYTES * 4 // 3 + 4:
            raise wire.InvalidEvent(f"one append may carry at most {MAX_APPEND_BYTES // (1024 * 1024)} MiB of audio; "
                                    "send it in smaller appends", code="audio_too_large", param="audio")
        try:
            data = base64.b64decode(audio, validate=True)
        except (binascii.Error, ValueError):
            raise wire.InvalidEvent("`audio` is not valid base64", param="audio") from None
        if data[:4] in (b"RIFF", b"fLaC", b"OggS", b"ID3\x03", b"ID3\x04"):
            kind = self.config.audio.input.format.type
            raise wire.InvalidEvent(f"`audio` holds a file (it starts {data[:4]!r}); this session takes raw {kind} "
                                    f"samples ({'s16le mono at 24 kHz' if kind == 'audio/pcm' else 'G.711 at 8 kHz'}): "
                                    "send the samples without the file's header", code="invalid_audio_format",
                                    param="audio")
        return data

    # --- server events -----------------------------------------------------------------------------------------
    async def render(self, event: StreamEvent) -> None:
        match event:
            case SpeechStarted():
                await self.send(wire.event("input_audio_buffer.speech_started", audio_start_ms=int(event.start_s * 1000),
                                           item_id=self.item_id(event.segment_index)))
            case SpeechEnded():
                await self.send(wire.event("input_audio_buffer.speech_stopped", audio_end_ms=int(event.end_s * 1000),
                                           item_id=self.item_id(event.segment_index)))
            case Processing():
                item_id = self.item_id(event.segment_index)
                previous, self.previous_item = self.previous_item, item_id
                item = wire.user_item(item_id)
                created = [wire.event("conversation.item.created", item=item, previous_item_id=previous)] \
                    if self.legacy else [wire.event(kind, item=item, previous_item_id=previous)
                                         for kind in ("conversation.item.added", "conversation.item.done")]
                await self.send(wire.event("input_audio_buffer.committed", item_id=item_id, previous_item_id=previous),
                                *created)
            case Final():
                await self.completed(event)
            case SegmentFailed():
                await self.send(wire.event("conversation.item.input_audio_transcription.failed",
                                           item_id=self.item_id(event.segment_index), content_index=0,
                                           error={"type": "server_error" if event.code == "internal_error"
                                                  else "invalid_request_error", "code": event.code,
                                                  "message": event.message}))

    async def completed(self, final: Final) -> None:
        """The turn's deltas and its completed event, sent back to back (nothing else in between)."""
        item_id = self.item_id(final.segment_index)
        pieces = wire.delta_pieces(final.text)
        shares = wire.logprob_shares(final.logprobs, len(pieces)) if self.config.logprobs else None
        messages = []
        for index, piece in enumerate(pieces):
            extra = {"logprobs": [_logprob(e) for e in shares[index]]} if shares is not None else {}
            messages.append(wire.event("conversation.item.input_audio_transcription.delta", item_id=item_id,
                                       content_index=0, delta=piece, **extra))
        extra = {"logprobs": [_logprob(e) for e in final.logprobs]} if self.config.logprobs else {}
        messages.append(wire.event("conversation.item.input_audio_transcription.completed", item_id=item_id,
                                   content_index=0, transcript=final.text, language_code=final.language_code,
                                   usage={"type": "duration", "seconds": round(final.audio_duration_ms / 1000, 3)},
                                   **extra))
        await self.send(*messages)


def _logprob(entry: TokenLogprob) -> dict:
    return {"token": entry.token, "bytes": list(entry.bytes), "logprob": entry.logprob}
