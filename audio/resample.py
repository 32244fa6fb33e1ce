"""Streaming PCM s16le -> 16 kHz float32, keeping resampler state across frames of any size."""

from __future__ import annotations

import av
import numpy as np

TARGET_RATE = 16_000
STREAM_RATES = (8000, 16000, 44100, 48000)


class StreamResampler:
    def __init__(self, source_rate: int):
        self.source_rate = source_rate
        self._carry = b""  # an odd byte left over from the previous frame
        self._resampler = None if source_rate == TARGET_RATE else av.AudioResampler(
            format="flt", layout="mono", rate=TARGET_RATE)
        self._pts = 0

    def feed(self, pcm: bytes) -> np.ndarray:
        data = self._carry + pcm
        whole = len(data) - (len(data) % 2)
        self._carry = data[whole:]
        samples = np.frombuffer(data[:whole], dtype="<i2")
        if samples.size == 0:
            return np.zeros(0, np.float32)
        if self._resampler is None:
            return samples.astype(np.float32) / 32768.0
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = self.source_rate
        frame.pts = self._pts
        self._pts += samples.size
        return self._collect(self._resampler.resample(frame))

    def flush(self) -> np.ndarray:
        if self._resampler is None:
            return np.zeros(0, np.float32)
        return self._collect(self._resampler.resample(None))

    @staticmethod
    def _collect(frames) -> np.ndarray:
        if not frames:
            return np.zeros(0, np.float32)
        return np.concatenate([f.to_ndarray().reshape(-1) for f in frames]).astype(np.float32, copy=False)
