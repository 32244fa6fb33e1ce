"""OpenAI Realtime transcription sessions on the wire: the client's session configuration (and the streaming
settings it makes) and the server's events.

Names and fields follow the openai SDK's ``openai/types/realtime/`` (GA: ``session.update`` with
``session.type: "transcription"``) and ``openai/types/beta/realtime/`` (the older
``transcription_session.update``). Both shapes are read into one :class:`RealtimeConfig`; the
session keeps the GA shape and answers an older client in its own.

sunvai extensions in ``audio.input.transcription`` (``input_audio_transcription`` in the older
shape): ``itn`` (written-out numbers, amounts, dates: Vachana's ``format=transcribe``),
``native_numerals`` (digits in the language's own script) and ``punctuation`` (false: off).
``language`` takes an ISO 639-1 code, one of sunvai's codes, or a comma list of either to
identify among per utterance.
"""

from __future__ import annotations

import itertools
import re
import secrets
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sunvai.api.context import new_request_id
from sunvai.api.openai.common import language_selection, served_model
from sunvai.errors import BadRequest
from sunvai.redaction import Redaction
from sunvai.service import streaming
from sunvai.service.transcription import TranscriptionService

LOGPROBS = "item.input_audio_transcription.logprobs"
LEGACY_FORMATS = {"pcm16": "audio/pcm", "g711_ulaw": "audio/pcmu", "g711_alaw": "audio/pcma"}
PCM_RATE = 24_000  # OpenAI's only PCM rate
_event_ids = itertools.count()


class _Open(BaseModel):
    """Fields OpenAI defines that sunvai does not use are accepted and ignored."""

    model_config = ConfigDict(extra="allow")


class AudioFormat(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["audio/pcm", "audio/pcmu", "audio/pcma"] = "audio/pcm"
    rate: Literal[24000] | None = Field(None, description="audio/pcm is 24 kHz only")


class Transcription(_Open):
    model: str | None = None
    language: str | None = None
    prompt: str | None = None
    itn: bool = False  # sunvai
    native_numerals: bool = False  # sunvai
    punctuation: bool | None = None  # sunvai; None: the server's default
    redact: str | None = None  # sunvai: pii or a comma list of entity kinds
    redact_style: Literal["tag", "mask"] | None = None  # sunvai
    profanity_filter: bool = False  # sunvai


class TurnDetection(_Open):
    type: Literal["server_vad"] = Field("server_vad", description="server_vad (semantic_vad is not available)")
    threshold: float | None = Field(None, ge=0, le=1)
    prefix_padding_ms: int | None = Field(None, ge=0, le=1000)
    silence_duration_ms: int | None = Field(None, ge=100, le=10_000)


class AudioInput(_Open):
    format: AudioFormat = Field(default_factory=AudioFormat)
    transcription: Transcription = Field(default_factory=Transcription)
    turn_detection: TurnDetection | None = Field(default_factory=TurnDetection)
    noise_reduction: dict | None = None  # accepted; sunvai does not filter audio


class Audio(_Open):
    input: AudioInput = Field(default_factory=AudioInput)


class RealtimeConfig(_Open):
    """A transcription session's configuration in the GA shape (what ``session.updated`` echoes)."""

    type: Literal["transcription"] = "transcription"
    audio: Audio = Field(default_factory=Audio)
    include: list[Literal["item.input_audio_transcription.logprobs"]] = Field(default_factory=list)

    @property
    def logprobs(self) -> bool:
        return LOGPROBS in self.include

    def wire(self, session_id: str) -> dict:
        return {"id": session_id, "object": "realtime.transcription_session", **self.model_dump()}

    def legacy_wire(self, session_id: str) -> dict:
        """The older ``transcription_session`` shape."""
        audio = self.audio.input
        legacy_format = {v: k for k, v in LEGACY_FORMATS.items()}[audio.format.type]
        return {"id": session_id, "object": "realtime.transcription_session", "input_audio_format": legacy_format,
                "input_audio_transcription": audio.transcription.model_dump(exclude_none=True),
                "turn_detection": audio.turn_detection.model_dump(exclude_none=True) if audio.turn_detection else None,
                "input_audio_noise_reduction": audio.noise_reduction, "include": self.include}


class InvalidEvent(BadRequest):
    """A client event OpenAI would refuse; ``param`` names the field."""

    code = "invalid_value"

    def __init__(self, message: str, *, code: str | None = None, param: str | None = None):
        super().__init__(message, code=code)
        self.param = param


def updated(config: RealtimeConfig, update: dict, legacy: bool) -> RealtimeConfig:
    """``config`` with a ``session.update`` (or, ``legacy``, ``transcription_session.update``) applied: fields
    sent replace those held, an explicit null turns a setting off, fields not sent stay. 400 naming the
    field when the result is not a valid configuration."""
    if not isinstance(update, dict):
        raise InvalidEvent("`session` must be an object", param="session")
    if legacy:
        update = _from_legacy(update)
    elif update.get("type", "transcription") != "transcription":
        raise InvalidEvent(f"this endpoint runs transcription sessions: session.type must be \"transcription\", got "
                           f"{update.get('type')!r}", param="session.type")
    merged = _merge(config.model_dump(), update)
    try:
        return RealtimeConfig.model_validate(merged)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = "session." + ".".join(str(part) for part in error["loc"])
        accepted = {"session.audio.input.format.type": "; accepted: audio/pcm (24 kHz s16le), audio/pcmu, audio/pcma",
                    "session.audio.input.format.rate": "; audio/pcm is 24000 Hz only (resample, or use audio/pcmu "
                                                       "or audio/pcma at 8 kHz)"}
        raise InvalidEvent(f"{where}: {error['msg']}{accepted.get(where, '')}", param=where) from None


def _from_legacy(update: dict) -> dict:
    """``transcription_session.update``'s flat shape as the GA shape."""
    audio_input: dict = {}
    if "input_audio_format" in update:
        value = update["input_audio_format"]
        if value not in LEGACY_FORMATS:
            raise InvalidEvent(f"session.input_audio_format must be one of {', '.join(LEGACY_FORMATS)}, got "
                               f"{value!r}", param="session.input_audio_format")
        audio_input["format"] = {"type": LEGACY_FORMATS[value]}
    for old, new in (("input_audio_transcription", "transcription"), ("turn_detection", "turn_detection"),
                     ("input_audio_noise_reduction", "noise_reduction")):
        if old in update:
            audio_input[new] = update[old]
    ga: dict = {"audio": {"input": audio_input}}
    if "include" in update:
        ga["include"] = update["include"]
    return ga


def _merge(held: dict, update: dict) -> dict:
    merged = dict(held)
    for name, value in update.items():
        if isinstance(value, dict) and isinstance(merged.get(name), dict):
            merged[name] = _merge(merged[name], value)
        else:
            merged[name] = value
    return merged


def new_session_id() -> str:
    return f"sess_{new_request_id().removeprefix('req_')}"


def stream_settings(service: TranscriptionService, config: RealtimeConfig, request_id: str) -> streaming.StreamSettings:
    """The streaming session's settings for a session configuration; 400/403/404 for a language or model
    that is not served or not allowed to the caller's key."""
    audio = config.audio.input
    transcription, turn = audio.transcription, audio.turn_detection
    encoding = {"audio/pcm": "pcm16", "audio/pcmu": "pcmu", "audio/pcma": "pcma"}[audio.format.type]
    language = language_selection(transcription.language)
    service.selection_for(language)  # the key's languages: 403 now, not at the first turn
    return streaming.StreamSettings(
        language_code=language, sample_rate=PCM_RATE if encoding == "pcm16" else 8000,
        format="transcribe" if transcription.itn else "verbatim", itn_native_numerals=transcription.native_numerals,
        request_id=request_id, api_key="", interim_results=False, encoding=encoding,
        turn_detection=None if turn is None else streaming.TurnDetection(
            turn.threshold, turn.prefix_padding_ms, turn.silence_duration_ms),
        prompt=(transcription.prompt or "").strip() or None,
        model=served_model(service, transcription.model, required=False), punctuation=transcription.punctuation,
        logprobs=config.logprobs, redact=Redaction.parse(transcription.redact, transcription.redact_style),
        profanity_filter=transcription.profanity_filter)


# --- server events ------------------------------------------------------------------------------------------
def event(kind: str, **fields) -> dict:
    """A server event with a fresh ``event_id``."""
    return {"type": kind, "event_id": f"event_{next(_event_ids):x}{secrets.token_hex(4)}", **fields}


def error_event(message: str, code: str, kind: str = "invalid_request_error", param: str | None = None,
                client_event_id: str | None = None) -> dict:
    return event("error", error={"type": kind, "code": code, "message": message, "param": param,
                                 "event_id": client_event_id})


def user_item(item_id: str) -> dict:
    """The user message a committed turn becomes (its transcript arrives in the transcription events)."""
    return {"id": item_id, "object": "realtime.item", "type": "message", "role": "user", "status": "completed",
            "content": [{"type": "input_audio", "transcript": None}]}


_PIECES = re.compile(r"^\s+|\S+\s*")


def delta_pieces(text: str) -> list[str]:
    """``text`` in pieces of one word with the spaces after it; the pieces concatenate to ``text`` exactly."""
    return _PIECES.findall(text)


def logprob_shares(entries, count: int) -> list[list]:
    """The model's tokens shared among ``count`` delta pieces: a word's tokens (a token that starts with a space
    starts a word) to its piece where the model's words and the pieces are as many; otherwise (punctuation or
    ITN joined or split words) all on the last piece. Concatenated, the shares are ``entries`` in order."""
    words: list[list] = []
    for entry in entries:
        if not words or entry.bytes[:1] == (32,):
            words.append([])
        words[-1].append(entry)
    if len(words) == count:
        return words
    return [[] for _ in range(count - 1)] + [list(entries)] if count else []
