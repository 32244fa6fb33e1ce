"""Throughput: audio seconds transcribed per wall second with 1..16 concurrent clients,
on the local config (two ASR replicas of one thread) with @serve.batch at batch size 1
(the config's default: no batching) and at --batch-size.

    .venv/bin/python -m bench.throughput [--clients 1 2 4 8 16] [--clip 5] [--seconds 30]

Starts the local graph once per batch size on free ports. Each client posts the same
clip back to back for --seconds. Prints a table and, last, one JSON line.
"""

from __future__ import annotations

import argparse
import json

from bench.clips import clip, wav_bytes
from bench.load import run
from bench.servers import sunvai_graph


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 2, 4, 8, 16])
    parser.add_argument("--clip", type=float, default=5.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--batch-size", type=int, default=8)
    options = parser.parse_args()
    audio = wav_bytes(clip(options.clip))
    results = {}
    for label, batch in (("batch 1 (default)", 1), (f"batch {options.batch_size}", options.batch_size)):
        rows = []
        with sunvai_graph(model={"max_batch_size": batch}) as url:
            run(url, "/stt/v3", "audio_file", {"language_code": "en-IN"}, audio, options.clip, 1, 5)  # warm up
            for clients in options.clients:
                row = run(url, "/stt/v3", "audio_file", {"language_code": "en-IN"}, audio, options.clip, clients,
                          options.seconds)
                rows.append(row)
                print(f"{label:17s} {clients:2d} clients: {row['audio_s_per_wall_s']:6.2f} audio-s/s, median "
                      f"{row['median_s']} s, p95 {row['p95_s']} s, {row['requests']} ok, {row['errors']} errors",
                      flush=True)
        results[label] = rows
    for label, rows in results.items():
        by_clients = {r["clients"]: r["audio_s_per_wall_s"] for r in rows}
        if 1 in by_clients and 8 in by_clients:
            print(f"8 clients vs 1, {label}: {by_clients[8] / by_clients[1]:.2f}x")
    print(json.dumps({"bench": "throughput", "clip_s": options.clip, "seconds": options.seconds,
                      "batch_size": options.batch_size, "results": results}))


if __name__ == "__main__":
    main()
