"""The small protocol every ASR engine implements: a batch in, a batch out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

SAMPLE_RATE = 16_000


@dataclass(frozen=True)
class AsrRequest:
    """One clip to transcribe: 16 kHz mono float32 audio and the language to use.

    ``language`` is an ISO 639-1 code as the model knows it ("hi", "en"), or None
    to let a multilingual model pick.
    """

    audio: np.ndarray
    language: str | None = None
    vad_segment: bool = False  # a whole utterance cut by VAD, with silence on both sides
    alternatives: int = 0  # n-best by beam search instead of the greedy pass (engines that can); text = the best
    task: str = "transcribe"  # or "translate": Whisper's speech-to-English task
    prompt: str | None = None  # Whisper's initial prompt: earlier text, spellings, names (previous-text slot)
    temperature: float = 0.0  # 0: greedy; above 0: sampled at that temperature
    word_timestamps: bool = False  # segments carry words with times (engines that can)
    writing: str = "native"  # the script lock: native script only, mixed (+ Latin, Hinglish), latin
    # with language None: identify by decoding among these (language, writing) pairs (Whisper engines)
    candidates: tuple[tuple[str, str], ...] = ()
    logprobs: bool = False  # segments carry their tokens' log-probabilities (engines that can)
    confidence: bool = False  # segments (and words) carry the model's confidence (Whisper: an alignment pass)

    @property
    def duration_s(self) -> float:
        return len(self.audio) / SAMPLE_RATE


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    text: str
    speaker: int | None = None  # set by diarization (batch jobs)
    probability: float | None = None  # the model's confidence in the word, 0-1 (mean of its tokens or frames)


@dataclass(frozen=True)
class TokenLogprob:
    """One output token of the model with its log-probability (OpenAI's ``logprobs`` entries): ``token`` may be
    part of a character (byte-level tokens), ``bytes`` are its exact UTF-8 bytes."""

    token: str
    bytes: tuple[int, ...]
    logprob: float


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()
    speaker: int | None = None
    logprobs: tuple[TokenLogprob, ...] = ()  # the model's tokens for this segment's text, before post-processing
    confidence: float | None = None  # the model's confidence in the segment, 0-1 (mean of its tokens or words)


def frame_confidence(best: np.ndarray, start: int, end: int) -> float | None:
    """CTC: a word's confidence, the mean of the best posterior over its output frames [start, end)."""
    span = best[max(start, 0):max(end, start + 1)]
    return round(float(span.mean()), 4) if len(span) else None


def mean_confidence(words) -> float | None:
    """A segment's confidence from its words' probabilities (None where none has one)."""
    known = [w.probability for w in words if w.probability is not None]
    return round(sum(known) / len(known), 4) if known else None


@dataclass(frozen=True)
class AsrResult:
    text: str
    language: str | None
    segments: tuple[Segment, ...] = field(default_factory=tuple)
    model: str = ""
    alternatives: tuple[str, ...] = ()  # n-best transcripts when the request asked for them
    language_scores: dict[str, float] = field(default_factory=dict)  # identified by decoding: each candidate's share
    writing: str = "native"  # the writing of the chosen candidate (identification by decoding)


@runtime_checkable
class AsrEngine(Protocol):
    """What the ASR deployment needs from an engine."""

    name: str

    def transcribe_batch(self, requests: list[AsrRequest]) -> list[AsrResult]:
        """Transcribe every request; the result list matches the input order."""
        ...

    def prepare_languages(self, languages: list[tuple[str, str]]) -> None:
        """Build per-language state for these (ISO code, writing) pairs before the first request."""
        ...
