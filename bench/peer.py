"""sunvai vs faster-whisper-server on the same whisper-base weights, clips and concurrency.

    .venv/bin/pip install faster-whisper-server==0.0.3
    .venv/bin/python -m bench.peer [--clients 1 4 8] [--clip 5] [--seconds 30]

Both serve the packaged CTranslate2 weights at int8 with 2 CPU threads and greedy
decoding. Prints a table and, last, one JSON line with latency and throughput ratios.
"""

from __future__ import annotations

import argparse
import json

from sunvai.asr.model_store import ModelStore
from bench.clips import clip, wav_bytes
from bench.load import run
from bench.servers import peer_server, sunvai_graph


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--clip", type=float, default=5.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    options = parser.parse_args()
    audio = wav_bytes(clip(options.clip))
    model_dir = str(ModelStore().resolve("packaged:whisper-base", "ctranslate2"))
    results: dict[str, list] = {}
    targets = [
        ("sunvai", sunvai_graph, {}, "/stt/v3", "audio_file", {"language_code": "en-IN"}),
        ("faster-whisper-server", peer_server, {"model_dir": model_dir}, "/v1/audio/transcriptions", "file",
         {"model_name": "whisper-1", "language": "en"}),
    ]
    for name, start, kwargs, path, field, data in targets:
        rows = []
        with start(**kwargs) as url:
            run(url, path, field, data, audio, options.clip, 1, 5)  # warm up
            for clients in options.clients:
                row = run(url, path, field, data, audio, options.clip, clients, options.seconds)
                rows.append(row)
                print(f"{name:22s} {clients:2d} clients: {row['audio_s_per_wall_s']:6.2f} audio-s/s, median "
                      f"{row['median_s']} s, p95 {row['p95_s']} s, {row['errors']} errors", flush=True)
        results[name] = rows
    ratios = {}
    for ours, theirs in zip(results["sunvai"], results["faster-whisper-server"]):
        ratios[ours["clients"]] = {
            "throughput_ratio": round(ours["audio_s_per_wall_s"] / theirs["audio_s_per_wall_s"], 2),
            "median_latency_ratio": round(ours["median_s"] / theirs["median_s"], 2),
        }
        print(f"{ours['clients']:2d} clients: sunvai/peer throughput {ratios[ours['clients']]['throughput_ratio']}x, "
              f"median latency {ratios[ours['clients']]['median_latency_ratio']}x")
    print(json.dumps({"bench": "peer", "clip_s": options.clip, "results": results, "ratios": ratios}))


if __name__ == "__main__":
    main()
