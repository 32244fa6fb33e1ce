"""OpenAI's audio API bodies: the form fields of a transcription or translation request and the
``verbose_json`` answer (field names as in the openai SDK's ``TranscriptionVerbose``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sunvai.api.fields import RedactionFields
from sunvai.asr.types import TokenLogprob
from sunvai.language_router.codes import LANGUAGES
from sunvai.service.transcription import Transcription

ResponseFormat = Literal["json", "text", "srt", "verbose_json", "vtt"]


class ServerVadChunking(BaseModel):
    """``chunking_strategy`` server_vad: the long-form VAD's settings for this request."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["server_vad"]
    threshold: float | None = Field(None, gt=0, lt=1)
    prefix_padding_ms: int | None = Field(None, ge=0, le=1000)
    silence_duration_ms: int | None = Field(None, ge=100, le=10_000)

    def longform_vad(self) -> tuple[tuple[str, float], ...]:
        """As ``args.longform`` overrides."""
        mapped = {"vad_threshold": self.threshold, "pad_ms": self.prefix_padding_ms,
                  "min_silence_ms": self.silence_duration_ms}
        return tuple((name, value) for name, value in mapped.items() if value is not None)


class Logprob(BaseModel):
    token: str
    logprob: float
    bytes: list[int]

    @classmethod
    def of(cls, entry: TokenLogprob) -> Logprob:
        return cls(token=entry.token, logprob=entry.logprob, bytes=list(entry.bytes))


class TranscriptionFields(RedactionFields):
    """The form fields beside ``file`` (``model`` and ``language`` are checked against what is served)."""

    model: str | None = None
    language: str | None = None
    prompt: str | None = None
    response_format: ResponseFormat = Field("json", description="one of json, text, srt, verbose_json, vtt")
    temperature: float = Field(0.0, ge=0, le=1, description="from 0 to 1")
    timestamp_granularities: list[Literal["segment", "word"]] = Field(
        default_factory=list, description="a list of segment and word")
    stream: bool = Field(False, description="true: server-sent events, transcript.text.delta then .done")
    include: list[Literal["logprobs"]] = Field(default_factory=list, description="include[]: logprobs")
    chunking_strategy: Literal["auto"] | ServerVadChunking | None = Field(
        None, description="auto, or server_vad with threshold, prefix_padding_ms, silence_duration_ms")


class TextDelta(BaseModel):
    """``transcript.text.delta``: the next piece of the transcript (the pieces concatenate to the done text)."""

    type: Literal["transcript.text.delta"] = "transcript.text.delta"
    delta: str
    logprobs: list[Logprob] | None = None


class TextDone(BaseModel):
    type: Literal["transcript.text.done"] = "transcript.text.done"
    text: str
    logprobs: list[Logprob] | None = None


class StreamError(BaseModel):
    """An error after the stream began, in OpenAI's error shape with the event type."""

    type: Literal["error"] = "error"
    error: dict


class VerboseSegment(BaseModel):
    id: int
    seek: int = 0
    start: float
    end: float
    text: str
    tokens: list[int] = []
    temperature: float
    confidence: float | None = None  # sunvai: the model's confidence in the segment, 0-1


class VerboseWord(BaseModel):
    word: str
    start: float
    end: float
    probability: float | None = None  # sunvai (as faster-whisper's): the model's confidence in the word, 0-1


class VerboseTranscription(BaseModel):
    task: str
    language: str  # the language's English name, lower case, as OpenAI answers
    duration: float
    text: str
    no_speech: bool  # sunvai: no speech was found (silence, noise, music)
    redactions: dict[str, int] | None = None  # sunvai, with redact: the entities replaced, by kind
    warnings: list[str] | None = None  # sunvai: what of the audio was not used (a last frame that did not decode)
    segments: list[VerboseSegment] | None = None
    words: list[VerboseWord] | None = None

    @classmethod
    def of(cls, result: Transcription, task: str, temperature: float, granularities: set[str]):
        """Segments unless only words were asked for; words when asked for."""
        segments = words = None
        if "segment" in granularities or not granularities:
            segments = [VerboseSegment(id=i, start=s.start, end=s.end, text=s.text, temperature=temperature,
                                       confidence=s.confidence)
                        for i, s in enumerate(result.segments)]
        if "word" in granularities:
            words = [VerboseWord(word=w.text, start=w.start, end=w.end, probability=w.probability)
                     for s in result.segments for w in s.words]
        return cls(task=task, language=LANGUAGES[result.language_code].name.lower(), duration=result.duration_s,
                   text=result.transcript, no_speech=result.no_speech, redactions=result.redactions,
                   warnings=list(result.warnings) or None,
                   segments=segments, words=words)
