"""The diarization protocol and its configuration (``args.diarization``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field


@dataclass(frozen=True)
class SpeakerTurn:
    start: float  # seconds
    end: float
    speaker: int  # 0, 1, ... in order of first appearance


class Diarizer(Protocol):
    def diarize(self, samples: np.ndarray, speech: list[tuple[float, float]],
                max_speakers: int | None = None) -> list[SpeakerTurn]:
        """Speaker turns over the ``speech`` spans (seconds) of 16 kHz mono audio. Blocking."""
        ...


class DiarizationConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    engine: Literal["resemblyzer", "pyannote"] = Field(
        "resemblyzer", description="resemblyzer: its speaker encoder ships in its PyPI package (works offline); "
                                   "pyannote: a pyannote.audio pipeline from `source` (install pyannote.audio and "
                                   "its weights yourself)")
    source: str | None = Field(None, description="pyannote: a local pipeline directory or hub id")
    window_s: float = Field(1.6, ge=0.5, le=5, description="speech window embedded at a time")
    hop_s: float = Field(0.4, ge=0.1, le=5, description="step between windows")
    threshold: float = Field(0.3, gt=0, lt=2, description="cosine distance above which windows are different "
                                                          "speakers, when the number of speakers is not given")


def speaker_at(turns: list[SpeakerTurn], start: float, end: float) -> int | None:
    """The speaker who talks most between ``start`` and ``end`` (nearest turn when none overlaps)."""
    if not turns:
        return None
    overlap: dict[int, float] = {}
    for turn in turns:
        shared = min(end, turn.end) - max(start, turn.start)
        if shared > 0:
            overlap[turn.speaker] = overlap.get(turn.speaker, 0.0) + shared
    if overlap:
        return max(overlap, key=overlap.get)
    middle = (start + end) / 2
    return min(turns, key=lambda t: min(abs(t.start - middle), abs(t.end - middle))).speaker
