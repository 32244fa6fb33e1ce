"""Headerless PCM: how to tell it from a container, and how to turn it into 16 kHz mono float32."""

from __future__ import annotations

import numpy as np

from sunvai.audio.decode import AudioDecodeError
from sunvai.audio.g711 import Law, g711_to_pcm16
from sunvai.audio.resample import StreamResampler

TARGET_RATE = 16_000
MIN_RATE, MAX_RATE = 8_000, 96_000

# First bytes of the containers decode_audio accepts (ftyp sits at offset 4 in MP4/M4A).
_MAGIC = (b"RIFF", b"ID3", b"fLaC", b"OggS", b"\x1a\x45\xdf\xa3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2",
          b"\xff\xf1", b"\xff\xf9", b"FORM", b"#!AMR")


def looks_like_container(data: bytes) -> bool:
    return data.startswith(_MAGIC) or data[4:8] == b"ftyp"


def pcm_to_float(data: bytes, rate: int = TARGET_RATE, bits: int = 16, channels: int = 1,
                 law: Law | None = None) -> np.ndarray:
    """PCM (16-bit signed little-endian or 8-bit unsigned, interleaved channels) -> 16 kHz mono. ``law``: the
    8-bit samples are G.711 (``pcmu`` mu-law, ``pcma`` A-law), not linear."""
    if law is not None:
        if bits != 8:
            raise AudioDecodeError("invalid_pcm", f"G.711 ({law}) audio has 8 bits per sample, not {bits}")
        data, bits = g711_to_pcm16(data, law), 16
    if not MIN_RATE <= rate <= MAX_RATE:
        raise AudioDecodeError("invalid_sample_rate", f"the sampling rate must be {MIN_RATE} to {MAX_RATE} Hz, "
                                                      f"got {rate}")
    if bits not in (8, 16) or channels not in (1, 2):
        raise AudioDecodeError("invalid_pcm", "raw PCM must be 8 or 16 bits per sample, mono or stereo")
    frame = bits // 8 * channels
    if not data:
        raise AudioDecodeError("empty_audio", "the audio is empty (0 bytes)")
    if len(data) % frame:
        raise AudioDecodeError("invalid_pcm", f"raw PCM of {bits}-bit {'stereo' if channels == 2 else 'mono'} "
                                              f"comes in {frame}-byte frames; got {len(data)} bytes")
    if bits == 16:
        samples = np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0
    else:
        samples = (np.frombuffer(data, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    if channels == 2:
        samples = samples.reshape(-1, 2).mean(axis=1)
    return samples if rate == TARGET_RATE else resample(samples, rate)


def resample(samples: np.ndarray, rate: int) -> np.ndarray:
    """Mono float32 at ``rate`` -> 16 kHz, through the realtime stream's resampler (16-bit in)."""
    resampler = StreamResampler(rate)
    pcm = (np.clip(samples, -1.0, 32767 / 32768) * 32768).astype("<i2").tobytes()
    return np.concatenate([resampler.feed(pcm), resampler.flush()])
