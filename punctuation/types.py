"""The punctuation engine protocol."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class TimedText:
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class PunctuationRequest:
    text: str
    language: str  # a code such as "hi-IN"
    segments: tuple[TimedText, ...] = ()  # ASR segments, when the engine gave timings


class PunctuationEngine(Protocol):
    name: str

    def punctuate_batch(self, requests: list[PunctuationRequest]) -> list[str]: ...
