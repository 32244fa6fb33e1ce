"""The Vachana realtime WebSocket's messages (API.md §2): one pydantic model each, and the rendering of the
stream session's typed events (service/streaming.py) into them."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Literal

from pydantic import BaseModel, Field

from sunvai.service.streaming import (Final, Partial, Processing, SegmentFailed, SpeechEnded, SpeechStarted,
                                      StreamEvent)


def iso_timestamp() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Message(BaseModel):
    timestamp: str = Field(default_factory=iso_timestamp)  # when the server sent it

    def wire(self) -> dict:
        return self.model_dump(exclude_none=True)


class StreamConfig(BaseModel):
    sample_rate: int
    chunk_size: int = 512
    language_code: str
    format: str
    interim_results: bool


class Connected(Message):
    type: Literal["connected"] = "connected"
    message: str = "connected to sunvai"
    request_id: str
    config: StreamConfig


class SegmentMessage(Message):
    segment_id: str
    segment_index: int


class SpeechStart(SegmentMessage):
    type: Literal["speech_start"] = "speech_start"
    start_s: float


class SpeechEnd(SegmentMessage):
    type: Literal["speech_end"] = "speech_end"
    end_s: float
    forced: bool


class ProcessingMessage(SegmentMessage):
    type: Literal["processing"] = "processing"


class PartialTranscript(SegmentMessage):
    type: Literal["partial"] = "partial"
    text: str
    audio_duration_ms: int


class Transcript(SegmentMessage):
    type: Literal["transcript"] = "transcript"
    text: str
    audio_duration_ms: int
    language_code: str
    latency: int  # ms from the VAD closing the segment to this message
    confidence: float | None = None  # sunvai, with x-confidence: the model's confidence, 0-1


class ErrorMessage(Message):
    """A refusal or a failure; with a segment's id when one segment failed and the stream goes on."""

    type: Literal["error"] = "error"
    code: str
    message: str
    segment_id: str | None = None
    segment_index: int | None = None


def render(event: StreamEvent) -> dict:
    """A session event as the Vachana stream sends it."""
    segment = {"segment_id": event.segment_id, "segment_index": event.segment_index}
    match event:
        case SpeechStarted():
            message: Message = SpeechStart(**segment, start_s=event.start_s)
        case SpeechEnded():
            message = SpeechEnd(**segment, end_s=event.end_s, forced=event.forced)
        case Processing():
            message = ProcessingMessage(**segment)
        case Partial():
            message = PartialTranscript(**segment, text=event.text, audio_duration_ms=event.audio_duration_ms)
        case Final():
            message = Transcript(**segment, text=event.text, audio_duration_ms=event.audio_duration_ms,
                                 language_code=event.language_code, latency=event.latency_ms,
                                 confidence=event.confidence)
        case SegmentFailed():
            message = ErrorMessage(**segment, code=event.code, message=event.message)
    return message.wire()
