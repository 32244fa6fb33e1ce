"""Streaming voice activity detection: Silero VAD probabilities turned into speech segments.

Silero scores 32 ms chunks (512 samples at 16 kHz). A segment opens when speech
has lasted ``min_speech_ms``, closes after ``min_silence_ms`` of silence or at
``max_segment_s``, and carries ``pad_ms`` of audio on both sides.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import numpy as np

CHUNK = 512
RATE = 16_000


@dataclass(frozen=True)
class VadSettings:
    threshold: float = 0.5  # speech when the probability reaches this
    release: float = 0.35  # silence when it falls below this (hysteresis)
    min_speech_ms: int = 160
    min_silence_ms: int = 500
    max_segment_s: float = 15.0
    pad_ms: int = 400  # measured: 120 ms made whisper-base mishear 8 kHz speech, 400 ms did not


@dataclass(frozen=True)
class SpeechStart:
    at_s: float


@dataclass(frozen=True)
class SpeechEnd:
    at_s: float
    audio: np.ndarray  # the segment, padded, 16 kHz float32
    forced: bool  # closed at the maximum length rather than by silence


@lru_cache(maxsize=1)
def _silero_path() -> str:
    from importlib.resources import files

    return str(files("silero_vad") / "data" / "silero_vad.jit")


@lru_cache(maxsize=1)
def _silero_prototype():
    import torch

    model = torch.jit.load(_silero_path(), map_location="cpu")
    return model.eval()


def silero_scorer() -> Callable[[np.ndarray], float]:
    """A fresh, stateful Silero model for one stream: 512 samples in, speech probability out.

    Each stream gets its own copy (about 5 ms) because the model carries state.
    """
    import copy

    import torch

    model = copy.deepcopy(_silero_prototype())

    def score(chunk: np.ndarray) -> float:
        with torch.inference_mode():
            return float(model(torch.from_numpy(chunk), RATE).item())

    return score


class SpeechSegmenter:
    """Feed 16 kHz audio of any length; get SpeechStart/SpeechEnd events in order."""

    def __init__(self, score: Callable[[np.ndarray], float], settings: VadSettings = VadSettings()):
        self.score = score
        self.settings = settings
        self._pending = np.zeros(0, np.float32)
        self._history: list[np.ndarray] = []  # recent chunks for the leading pad
        self._segment: list[np.ndarray] = []
        self._processed = 0  # samples scored so far
        self._in_speech = False
        self._speech_run = 0
        self._silence_run = 0
        s = settings
        self._pad_chunks = max(1, s.pad_ms * RATE // 1000 // CHUNK)
        self._onset_chunks = max(1, s.min_speech_ms * RATE // 1000 // CHUNK)
        self._offset_chunks = max(1, s.min_silence_ms * RATE // 1000 // CHUNK)
        self._max_chunks = int(s.max_segment_s * RATE) // CHUNK

    @property
    def in_speech(self) -> bool:
        return self._in_speech

    def open_audio(self) -> np.ndarray:
        """The audio of the open segment so far (for interim transcripts)."""
        return np.concatenate(self._segment) if self._segment else np.zeros(0, np.float32)

    def feed(self, samples: np.ndarray) -> list[SpeechStart | SpeechEnd]:
        events: list[SpeechStart | SpeechEnd] = []
        self._pending = np.concatenate([self._pending, samples.astype(np.float32, copy=False)])
        whole = len(self._pending) // CHUNK * CHUNK
        chunks, self._pending = self._pending[:whole].reshape(-1, CHUNK), self._pending[whole:]
        for chunk in chunks:
            events.extend(self._step(np.ascontiguousarray(chunk)))
        return events

    def finish(self) -> list[SpeechEnd]:
        """Close an open segment at the end of the stream."""
        if not self._in_speech:
            return []
        if len(self._pending):
            self._segment.append(self._pending)
            self._pending = np.zeros(0, np.float32)
        return [self._close(forced=False)]

    @property
    def elapsed_s(self) -> float:
        """Audio scored so far."""
        return self._now()

    def discard(self) -> None:
        """Drop the open segment without closing it (the client cleared its buffer); time goes on."""
        self._segment, self._history, self._in_speech, self._speech_run, self._silence_run = [], [], False, 0, 0

    def _now(self) -> float:
        return self._processed / RATE

    def _step(self, chunk: np.ndarray) -> list[SpeechStart | SpeechEnd]:
        probability = self.score(chunk)
        self._processed += CHUNK
        s = self.settings
        if not self._in_speech:
            self._history = (self._history + [chunk])[-(self._pad_chunks + self._onset_chunks):]
            self._speech_run = self._speech_run + 1 if probability >= s.threshold else 0
            if self._speech_run >= self._onset_chunks:
                self._in_speech = True
                self._segment = list(self._history)
                self._history = []
                self._silence_run = 0
                start = max(0.0, self._now() - len(self._segment) * CHUNK / RATE)
                return [SpeechStart(round(start, 3))]
            return []
        self._segment.append(chunk)
        self._silence_run = self._silence_run + 1 if probability < s.release else 0
        if self._silence_run >= self._offset_chunks:
            # keep the trailing pad, drop the rest of the silence
            keep = len(self._segment) - self._silence_run + self._pad_chunks
            self._segment = self._segment[:keep]
            return [self._close(forced=False)]
        if len(self._segment) >= self._max_chunks:
            return [self._close(forced=True)]
        return []

    def _close(self, forced: bool) -> SpeechEnd:
        audio = np.concatenate(self._segment) if self._segment else np.zeros(0, np.float32)
        self._segment, self._in_speech, self._speech_run, self._silence_run = [], False, 0, 0
        if forced:
            # speech continues: the next chunk may open the next segment at once
            self._speech_run = self._onset_chunks - 1
        return SpeechEnd(round(self._now(), 3), audio, forced)
