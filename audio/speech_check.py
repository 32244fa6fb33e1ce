"""Is there speech in this audio? Silero VAD over a whole clip (faster-whisper's ONNX build, batched)."""

from __future__ import annotations

import numpy as np

RATE = 16_000


def has_speech(samples: np.ndarray, threshold: float = 0.5, min_speech_ms: int = 250) -> bool:
    """Whether Silero finds at least ``min_speech_ms`` of speech in 16 kHz ``samples``. Blocking (~10 ms for a
    few seconds, ~0.2 s for a minute on one core)."""
    if len(samples) == 0:
        return False
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(threshold=threshold, min_speech_duration_ms=min_speech_ms, speech_pad_ms=0)
    regions = get_speech_timestamps(np.asarray(samples, dtype=np.float32), options)
    return sum(r["end"] - r["start"] for r in regions) >= min_speech_ms * RATE / 1000
