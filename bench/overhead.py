"""Graph overhead: the bare engine on a clip vs the same clip through POST /stt/v3.

    .venv/bin/python -m bench.overhead [--lengths 2 5 15 30] [--runs 10]

Starts the local graph (configs/local.yaml) itself, on a free port, and loads the bare
engine in this process with the same model settings (one thread, int8). The two are
measured interleaved, bare then HTTP, run after run, so a drift in the machine's speed
falls on both alike. Prints a table and, last, one JSON line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import httpx
import yaml

from sunvai.asr.factory import ModelConfig, build_engine
from sunvai.asr.types import AsrRequest
from bench.clips import clip, wav_bytes
from bench.servers import ROOT, sunvai_graph


def stats(times: list[float]) -> dict[str, float]:
    times = sorted(times)
    return {"median_s": round(statistics.median(times), 3),
            "p95_s": round(times[min(len(times) - 1, int(0.95 * len(times)))], 3)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lengths", type=float, nargs="+", default=[2, 5, 15, 30])
    parser.add_argument("--runs", type=int, default=10)
    options = parser.parse_args()
    config = yaml.safe_load((ROOT / "configs/local.yaml").read_text())["applications"][0]["args"]["models"][0]
    clips = {length: clip(length) for length in options.lengths}

    bare: dict[float, list[float]] = {length: [] for length in clips}
    served: dict[float, list[float]] = {length: [] for length in clips}
    engine = build_engine(ModelConfig.model_validate(config))
    with sunvai_graph() as url, httpx.Client(base_url=url, timeout=300) as client:
        for length, audio in clips.items():
            data = wav_bytes(audio)

            def over_http() -> None:
                client.post("/stt/v3", files={"audio_file": ("c.wav", data)},
                            data={"language_code": "en-IN"}).raise_for_status()

            def bare_engine() -> None:
                engine.transcribe_batch([AsrRequest(audio, "en")])

            bare_engine(), over_http()  # warm up both
            for _ in range(options.runs):
                for call, times in ((bare_engine, bare[length]), (over_http, served[length])):
                    started = time.perf_counter()
                    call()
                    times.append(time.perf_counter() - started)
    bare = {length: stats(times) for length, times in bare.items()}
    served = {length: stats(times) for length, times in served.items()}

    result = {}
    print(f"{'clip':>6s} {'bare median':>12s} {'bare p95':>9s} {'HTTP median':>12s} {'HTTP p95':>9s} {'ratio':>6s}")
    for length in options.lengths:
        ratio = round(served[length]["median_s"] / bare[length]["median_s"], 3)
        result[str(length)] = {"bare": bare[length], "http": served[length], "ratio": ratio}
        print(f"{length:5g}s {bare[length]['median_s']:11.3f}s {bare[length]['p95_s']:8.3f}s "
              f"{served[length]['median_s']:11.3f}s {served[length]['p95_s']:8.3f}s {ratio:6.3f}")
    print(json.dumps({"bench": "overhead", "model": config, "runs": options.runs, "results": result}))


if __name__ == "__main__":
    main()
