"""Telephony recordings made in the tests: AMR-NB (PyAV's libopencore-amrnb encoder), AMR-WB (Debian's
libvo-amrwbenc through ctypes: FFmpeg and sox here have no AMR-WB encoder), G.711 and GSM 6.10 WAV (FFmpeg)."""

from __future__ import annotations

import ctypes
import ctypes.util
import io
import subprocess
from pathlib import Path

import av
import numpy as np

from tests import speech

WAV_CODECS = {"mulaw": "pcm_mulaw", "alaw": "pcm_alaw", "gsm": "libgsm_ms"}


def samples(source: Path, rate: int) -> np.ndarray:
    return np.frombuffer(speech.pcm(source, rate), dtype="<i2")


def amr_nb(source: Path) -> bytes:
    """An AMR-NB file (12.2 kbit/s, 8 kHz), as phones and call recorders write them."""
    out = io.BytesIO()
    with av.open(out, "w", format="amr") as container:
        stream = container.add_stream("libopencore_amrnb", rate=8000, layout="mono")
        stream.bit_rate = 12200
        frame = av.AudioFrame.from_ndarray(samples(source, 8000)[None], format="s16", layout="mono")
        frame.sample_rate = 8000
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    return out.getvalue()


def amr_wb(source: Path, mode: int = 8) -> bytes:
    """An AMR-WB file (mode 8: 23.85 kbit/s, 16 kHz): 20 ms frames from vo-amrwbenc's E_IF_encode."""
    name = ctypes.util.find_library("vo-amrwbenc") or "libvo-amrwbenc.so.0"
    library = ctypes.CDLL(name)  # the Debian package libvo-amrwbenc0 (make test installs it)
    library.E_IF_init.restype = ctypes.c_void_p
    library.E_IF_encode.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(ctypes.c_short),
                                    ctypes.POINTER(ctypes.c_ubyte), ctypes.c_int]
    library.E_IF_exit.argtypes = [ctypes.c_void_p]
    pcm = samples(source, 16000)
    pcm = np.concatenate([pcm, np.zeros(-len(pcm) % 320, dtype="<i2")])
    state = library.E_IF_init()
    frames = [b"#!AMR-WB\n"]
    out = (ctypes.c_ubyte * 64)()
    try:
        for start in range(0, len(pcm), 320):
            block = np.ascontiguousarray(pcm[start:start + 320], dtype=np.int16)
            size = library.E_IF_encode(state, mode, block.ctypes.data_as(ctypes.POINTER(ctypes.c_short)), out, 0)
            frames.append(bytes(out[:size]))
    finally:
        library.E_IF_exit(state)
    return b"".join(frames)


def telephone_wav(source: Path, codec: str, out: Path) -> Path:
    """8 kHz mono WAV in G.711 mu-law or A-law, or GSM 6.10 (Microsoft's WAV framing)."""
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(source), "-ar", "8000", "-ac", "1",
                    "-c:a", WAV_CODECS[codec], str(out)], check=True, capture_output=True)
    return out


def raw_g711(source: Path, codec: str) -> bytes:
    """Headerless G.711 bytes at 8 kHz (what a telephony system hands over)."""
    fmt = {"mulaw": "mulaw", "alaw": "alaw"}[codec]
    return subprocess.run(["ffmpeg", "-loglevel", "error", "-i", str(source), "-ar", "8000", "-ac", "1", "-f", fmt,
                           "-"], check=True, capture_output=True).stdout
