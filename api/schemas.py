"""Response bodies of the HTTP surfaces."""

from __future__ import annotations

from pydantic import BaseModel, model_serializer

from sunvai.asr.types import Segment
from sunvai.service.transcription import Transcription


class WordOut(BaseModel):
    start: float  # seconds from the start of the audio
    end: float
    word: str
    probability: float | None = None  # the model's confidence in the word, 0-1


class SegmentOut(BaseModel):
    start: float
    end: float
    text: str
    confidence: float | None = None  # the model's confidence in the segment, 0-1 (with confidence or words)
    words: list[WordOut] | None = None  # when word timestamps were asked for


def segments_out(segments: tuple[Segment, ...] | list[Segment], words: bool = False) -> list[SegmentOut]:
    """Segments (and their words on request) as every surface returns them."""
    return [SegmentOut(start=s.start, end=s.end, text=s.text, confidence=s.confidence,
                       words=[WordOut(start=w.start, end=w.end, word=w.text, probability=w.probability)
                              for w in s.words] if words else None)
            for s in segments]


class TranscriptionBody(BaseModel):
    """A transcription as ``/stt/v3`` carries it and the Python handle returns it: Vachana's fields plus
    sunvai's."""

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
    confidence: float | None = None  # the transcript's confidence, 0-1 (with confidence=true or word timestamps)
    segments: list[SegmentOut] = []  # times of the model's segments; words with word_timestamps=true
    no_speech: bool = False  # no speech was found (silence, noise, music): the transcript is empty
    redactions: dict[str, int] | None = None  # with redact: the entities replaced, by kind
    warnings: list[str] | None = None  # what of the audio was not used (a last frame that did not decode)

    @classmethod
    def of(cls, result: Transcription, words: bool = False, **envelope):
        """The body of ``result`` (segments with their words when ``words``); ``envelope``: a subclass's fields."""
        return cls(transcript=result.transcript, language_code=result.language_code, duration_s=result.duration_s,
                   model=result.model, processing_time_ms=result.processing_time_ms,
                   language_confidence=result.language_confidence, language_runner_up=result.language_runner_up,
                   language_candidates=result.language_candidates or None,
                   language_rerouted_from=result.rerouted_from, language_reroute_reason=result.reroute_reason,
                   segments=segments_out(result.segments, words), no_speech=result.no_speech,
                   redactions=result.redactions, warnings=list(result.warnings) or None,
                   confidence=result.confidence, **envelope)


class SttResponse(TranscriptionBody):
    """``POST /stt/v3`` success body: Vachana's envelope first, then the transcription."""

    success: bool = True
    request_id: str
    timestamp: str

    @model_serializer(mode="wrap")
    def _envelope_first(self, handler):
        body = handler(self)
        return {key: body.pop(key) for key in ("success", "request_id", "timestamp") if key in body} | body


class HealthResponse(BaseModel):
    status: str
    models: dict[str, bool]
