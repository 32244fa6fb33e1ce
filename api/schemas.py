"""Response bodies of the HTTP surfaces."""

from __future__ import annotations

from pydantic import BaseModel

from sunvai.asr.types import Segment


class WordOut(BaseModel):
    start: float  # seconds from the start of the audio
    end: float
    word: str


class SegmentOut(BaseModel):
    start: float
    end: float
    text: str
    words: list[WordOut] | None = None  # when word timestamps were asked for


def segments_out(segments: tuple[Segment, ...] | list[Segment], words: bool = False) -> list[SegmentOut]:
    """Segments (and their words on request) as every surface returns them."""
    return [SegmentOut(start=s.start, end=s.end, text=s.text,
                       words=[WordOut(start=w.start, end=w.end, word=w.text) for w in s.words] if words else None)
            for s in segments]


class SttResponse(BaseModel):
    """``POST /stt/v3`` success body: Vachana's fields plus what sunvai adds."""

    success: bool = True
    request_id: str
    timestamp: str
    transcript: str
    language_code: str
    duration_s: float
    model: str
    processing_time_ms: int
    language_confidence: float | None = None  # when identified among a comma list
    language_runner_up: str | None = None
    language_candidates: dict[str, float] | None = None
    language_rerouted_from: str | None = None  # identified language the transcript overruled
    language_reroute_reason: str | None = None
    segments: list[SegmentOut] = []  # times of the model's segments; words with word_timestamps=true
    no_speech: bool = False  # no speech was found (silence, noise, music): the transcript is empty


class HealthResponse(BaseModel):
    status: str
    models: dict[str, bool]
