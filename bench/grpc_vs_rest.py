"""Vakyansh gRPC ``recognize`` against Vachana REST ``POST /stt/v3`` on the same 5 s clip.

    .venv/bin/python -m bench.grpc_vs_rest [--runs 30] [--clip 5]

Starts the local graph on free ports. One client, calls interleaved (REST, gRPC, REST, ...)
so drift falls on both. gRPC sends the clip as raw 16 kHz PCM (what Vakyansh clients send),
REST as a WAV upload. Prints the table and, last, one JSON line. Target: within 5%.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import grpc
import httpx
import numpy as np

from bench.clips import clip, wav_bytes
from bench.servers import free_port, sunvai_graph
from sunvai.api.vakyansh.proto import speech_recognition_pb2 as pb
from sunvai.api.vakyansh.proto import speech_recognition_pb2_grpc as pb_grpc


def stats(times: list[float]) -> dict[str, float]:
    times = sorted(times)
    return {"median_s": round(statistics.median(times), 3), "p95_s": round(times[int(0.95 * (len(times) - 1))], 3)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--clip", type=float, default=5.0)
    options = parser.parse_args()
    audio = clip(options.clip)
    wav = wav_bytes(audio)
    pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes()
    grpc_port = free_port()
    message = pb.SpeechRecognitionRequest(
        config=pb.RecognitionConfig(language=pb.Language(sourceLanguage=pb.Language.en)),
        audio=[pb.RecognitionAudio(audioContent=pcm)])
    times: dict[str, list[float]] = {"rest": [], "grpc": []}
    with sunvai_graph(grpc_port=grpc_port) as url, httpx.Client(base_url=url, timeout=300) as client, \
            grpc.insecure_channel(f"127.0.0.1:{grpc_port}") as channel:
        stub = pb_grpc.SpeechRecognizerStub(channel)

        def rest() -> str:
            response = client.post("/stt/v3", files={"audio_file": ("c.wav", wav)}, data={"language_code": "en-IN"})
            response.raise_for_status()
            return response.json()["transcript"]

        def over_grpc() -> str:
            return stub.recognize(message, timeout=300).output[0].source

        texts = {"rest": rest(), "grpc": over_grpc()}  # warm up both
        for _ in range(options.runs):
            for name, call in (("rest", rest), ("grpc", over_grpc)):
                started = time.perf_counter()
                call()
                times[name].append(time.perf_counter() - started)
    result = {name: stats(values) for name, values in times.items()}
    ratio = round(result["grpc"]["median_s"] / result["rest"]["median_s"], 3)
    for name in ("rest", "grpc"):
        print(f"{name:5s} median {result[name]['median_s']:.3f} s  p95 {result[name]['p95_s']:.3f} s  "
              f"text {texts[name][:50]!r}")
    print(f"gRPC / REST median latency: {ratio}")
    print(json.dumps({"bench": "grpc_vs_rest", "clip_s": options.clip, "runs": options.runs, "results": result,
                      "ratio": ratio}))


if __name__ == "__main__":
    main()
