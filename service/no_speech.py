"""The no-speech gate: audio in which Silero VAD finds no speech is not sent to ASR.

Whisper invents text for silence, noise and music ("Thank you.", loops of one syllable);
a clip without speech gets an empty transcript and ``no_speech: true`` instead. The ASR
engines make the same decision per window from Whisper's own no-speech probability
(asr/whisper_decoding.py), dropping a window only where Silero agrees; this gate catches what the
model is too sure about. It runs beside the ASR call, not before it, so speech does not wait for it;
without speech the ASR call is cancelled and its answer dropped (service/transcription.py).
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from sunvai.audio import speech_check


class NoSpeechConfig(BaseModel):
    """``args.no_speech``."""

    model_config = ConfigDict(extra="forbid")

    vad_gate: bool = Field(True, description="skip ASR for audio in which Silero VAD finds no speech")
    threshold: float = Field(0.5, gt=0, lt=1, description="Silero's speech probability threshold")
    min_speech_ms: int = Field(96, ge=0, description="less speech than this in all counts as none")
    confident_threshold: float = Field(0.7, gt=0, lt=1, description="the probability of speech's confident core")
    min_confident_ms: int = Field(64, ge=0, description="less confident speech than this counts as none")


def has_speech(samples: np.ndarray, config: NoSpeechConfig) -> bool:
    """Whether Silero VAD finds speech in ``samples``. Blocking."""
    return speech_check.has_speech(samples, config.threshold, config.min_speech_ms, config.confident_threshold,
                                   config.min_confident_ms)
