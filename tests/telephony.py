"""Telephony recordings made in the tests: AMR-NB and AMR-WB through Debian's encoder libraries
(libopencore-amrnb, libvo-amrwbenc) by ctypes (FFmpeg and sox here have no AMR encoder, and PyAV's wheels
differ), G.711 and GSM 6.10 WAV (FFmpeg)."""

from __future__ import annotations

import ctypes
import ctypes.util
import subprocess
from pathlib import Path

import numpy as np

from tests import speech

WAV_CODECS = {"mulaw": "pcm_mulaw", "alaw": "pcm_alaw", "gsm": "libgsm_ms"}


def samples(source: Path, rate: int) -> np.ndarray:
    return np.frombuffer(speech.pcm(source, rate), dtype="<i2")


def amr_nb(source: Path, mode: int = 7) -> bytes:
    """An AMR-NB file (mode 7: 12.2 kbit/s, 8 kHz), as phones and call recorders write them: 20 ms frames from
    Debian's libopencore-amrnb (``Encoder_Interface_Encode``)."""
    return _amr(samples(source, 8000), "opencore-amrnb", "libopencore-amrnb.so.0", ("Encoder_Interface_init",
                "Encoder_Interface_Encode", "Encoder_Interface_exit"), 160, mode, b"#!AMR\n")


def amr_wb(source: Path, mode: int = 8) -> bytes:
    """An AMR-WB file (mode 8: 23.85 kbit/s, 16 kHz): 20 ms frames from vo-amrwbenc's ``E_IF_encode``."""
    return _amr(samples(source, 16000), "vo-amrwbenc", "libvo-amrwbenc.so.0", ("E_IF_init", "E_IF_encode", "E_IF_exit"),
                320, mode, b"#!AMR-WB\n")


def _amr(pcm: np.ndarray, name: str, soname: str, functions: tuple[str, str, str], frame: int, mode: int,
         header: bytes) -> bytes:
    """Frames of ``frame`` samples through an AMR encoder library (init, encode, exit), in the storage format."""
    library = ctypes.CDLL(ctypes.util.find_library(name) or soname)  # Debian packages; make test installs them
    init, encode, close = (getattr(library, f) for f in functions)
    init.restype = ctypes.c_void_p
    init.argtypes = [ctypes.c_int] if init.__name__.startswith("Encoder") else []
    encode.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.POINTER(ctypes.c_ubyte),
                       ctypes.c_int]
    close.argtypes = [ctypes.c_void_p]
    pcm = np.concatenate([pcm, np.zeros(-len(pcm) % frame, dtype="<i2")])
    state = init(0) if init.argtypes else init()
    frames, out = [header], (ctypes.c_ubyte * 64)()
    try:
        for start in range(0, len(pcm), frame):
            block = np.ascontiguousarray(pcm[start:start + frame], dtype=np.int16)
            size = encode(state, mode, block.ctypes.data_as(ctypes.POINTER(ctypes.c_short)), out, 0)
            frames.append(bytes(out[:size]))
    finally:
        close(state)
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
