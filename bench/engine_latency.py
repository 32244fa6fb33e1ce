"""Latency of one clip per ASR engine (bare engine, no server).

    .venv/bin/python -m bench.engine_latency [--seconds 5] [--runs 10]

Prints a table and, last, one JSON line with the figures.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from sunvai.asr.factory import ModelConfig, build_engine
from sunvai.asr.types import AsrRequest
from sunvai.audio import decode_audio

TEXT = ("Please call me tomorrow morning. I would like to book a table for two people. "
        "Where is the railway station? Thank you very much for your help.")

ENGINES = {
    # one thread: what each of the local config's two ASR replicas runs
    "whisper-ct2/int8 1 thread": ModelConfig(name="whisper-base", engine="whisper-ct2", compute_type="int8",
                                             cpu_threads=1),
    "whisper-ct2/int8 2 threads": ModelConfig(name="whisper-base", engine="whisper-ct2", compute_type="int8",
                                              cpu_threads=2),
    "whisper-ct2/float32 2 threads": ModelConfig(name="whisper-base", engine="whisper-ct2", compute_type="float32",
                                                 cpu_threads=2),
    "whisper-hf/float32 2 threads": ModelConfig(name="whisper-base", engine="whisper-hf", dtype="float32",
                                                cpu_threads=2),
}


def clip(seconds: float) -> np.ndarray:
    with tempfile.TemporaryDirectory() as folder:
        wav = Path(folder) / "clip.wav"
        subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(wav), TEXT], check=True)
        audio = decode_audio(wav.read_bytes()).samples
    return audio[: int(seconds * 16000)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--runs", type=int, default=10)
    options = parser.parse_args()
    audio = clip(options.seconds)
    figures = {}
    for label, config in ENGINES.items():
        engine = build_engine(config)
        request = AsrRequest(audio, "en")
        engine.transcribe_batch([request])  # warm-up
        times = []
        for _ in range(options.runs):
            started = time.perf_counter()
            text = engine.transcribe_batch([request])[0].text
            times.append(time.perf_counter() - started)
        times.sort()
        figures[label] = {
            "median_s": round(statistics.median(times), 3),
            "p95_s": round(times[min(len(times) - 1, int(0.95 * len(times)))], 3),
            "rtf": round(statistics.median(times) / options.seconds, 3),
        }
        print(f"{label:30s} median {figures[label]['median_s']:.3f} s  p95 {figures[label]['p95_s']:.3f} s  "
              f"RTF {figures[label]['rtf']:.3f}  {text[:60]!r}", flush=True)
    print(json.dumps({"bench": "engine_latency", "clip_s": options.seconds, "runs": options.runs,
                      "cpu": platform.processor() or platform.machine(), "engines": figures}))


if __name__ == "__main__":
    main()
