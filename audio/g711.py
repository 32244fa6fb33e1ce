"""G.711 (ITU-T, 1972) mu-law and A-law bytes to 16-bit linear PCM: one byte a sample, 8 kHz on telephone lines.

Decoded through a 256-entry table per law, built once from the standard's expansion rules (the same
values as the C reference ``g711.c`` and FFmpeg's ``pcm_mulaw``/``pcm_alaw`` decoders).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

import numpy as np

Law = Literal["pcmu", "pcma"]  # mu-law (North America, Japan), A-law (Europe, India)
G711_RATE = 8000


def _mulaw(byte: int) -> int:
    value = ~byte & 0xFF
    magnitude = ((value & 0x0F) << 3) + 0x84
    magnitude <<= (value & 0x70) >> 4
    return 0x84 - magnitude if value & 0x80 else magnitude - 0x84


def _alaw(byte: int) -> int:
    value = byte ^ 0x55
    exponent = (value & 0x70) >> 4
    magnitude = (value & 0x0F) << 4
    magnitude = magnitude + 8 if exponent == 0 else (magnitude + 0x108) << (exponent - 1)
    return magnitude if value & 0x80 else -magnitude


@lru_cache(maxsize=2)
def _table(law: Law) -> np.ndarray:
    expand = _mulaw if law == "pcmu" else _alaw
    return np.array([expand(byte) for byte in range(256)], dtype="<i2")


def g711_to_pcm16(data: bytes, law: Law) -> bytes:
    """Each G.711 byte as one little-endian 16-bit sample at the same rate."""
    return _table(law)[np.frombuffer(data, dtype=np.uint8)].tobytes()
