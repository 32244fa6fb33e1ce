"""Latency of one clip through ``POST /stt/v3`` on a running server.

    make run &   # or any running sunvai
    .venv/bin/python bench/stt_latency.py --url http://127.0.0.1:8000 [--seconds 5] [--runs 10]

Prints a line and, last, one JSON line with the figures.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import time
import wave

import httpx
import numpy as np

from bench.engine_latency import clip


def wav_bytes(audio: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes((audio * 32767).astype("<i2").tobytes())
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--language", default="en-IN")
    options = parser.parse_args()
    data = wav_bytes(clip(options.seconds))
    times, server_ms = [], []
    with httpx.Client(base_url=options.url, timeout=120) as client:
        for i in range(options.runs + 1):
            started = time.perf_counter()
            response = client.post("/stt/v3", files={"audio_file": ("clip.wav", data)},
                                   data={"language_code": options.language})
            elapsed = time.perf_counter() - started
            response.raise_for_status()
            if i:  # the first request warms connections
                times.append(elapsed)
                server_ms.append(response.json()["processing_time_ms"])
    times.sort()
    figures = {"median_s": round(statistics.median(times), 3),
               "p95_s": round(times[min(len(times) - 1, int(0.95 * len(times)))], 3),
               "server_processing_median_ms": statistics.median(server_ms)}
    print(f"POST /stt/v3 {options.seconds:g} s clip: median {figures['median_s']} s, p95 {figures['p95_s']} s")
    print(json.dumps({"bench": "stt_latency", "clip_s": options.seconds, "runs": options.runs, **figures}))


if __name__ == "__main__":
    main()
