"""Benchmark audio: espeak-ng English read continuously, cut to the lengths asked for."""

from __future__ import annotations

import io
import subprocess
import wave

import numpy as np

from sunvai.audio import decode_audio

PASSAGE = ("Please call me tomorrow morning. I would like to book a table for two people. "
           "Where is the railway station? Thank you very much for your help. Hello, how are you today? ") * 6


def clip(seconds: float) -> np.ndarray:
    wav = subprocess.run(["espeak-ng", "-v", "en-us", "--stdout", PASSAGE], check=True, capture_output=True).stdout
    audio = decode_audio(wav).samples
    if len(audio) < seconds * 16000:
        raise ValueError(f"the passage is only {len(audio) / 16000:.1f} s")
    return audio[: int(seconds * 16000)]


def wav_bytes(audio: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())
    return buffer.getvalue()
