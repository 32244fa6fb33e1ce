"""Long audio through the graph: speed and word error against bare faster-whisper, and an hour's memory.

    .venv/bin/python -m bench.longform --minutes 3 --compare     # sunvai vs faster-whisper, same file
    .venv/bin/python -m bench.longform --minutes 59 --repeats 1   # RTF and peak memory (the cap is 1 h)
    .venv/bin/python -m bench.longform --set /tmp/lfset           # the quality set (bench.longform_set)

The recording is espeak-ng English: 30 known sentences, 4 s of silence after each,
repeated until it is long enough, so the expected text is known. sunvai gets it over
the Vakyansh REST call (``/v1/recognize/en``) as an ``audioUri`` served from
127.0.0.1 (the bench's config allows loopback for the fetch), so the long-form path
runs: Silero VAD chunks of at most 28 s of speech (pauses dropped unless ``--keep-pauses``)
on the local config's ASR replica, ``--repeats`` requests on one graph (the median counts).
faster-whisper runs ``transcribe`` on the same CTranslate2 weights in this process, greedy
(beam 1, temperature 0, no conditioning on previous text): once at 1 thread, and at 2
threads (its best) with and without its ``vad_filter`` after each sunvai request, because
this machine's speed drifts by tens of percent over minutes. While faster-whisper runs, every
process of the graph is stopped (SIGSTOP, ``bench.servers.paused``): an idle graph beside it
slowed its decode by a fifth here.
The target's baseline is the default ``transcribe`` (no VAD filter); the filtered run is
shown beside it. Word error rate by jiwer on lower-cased words without punctuation.
Peak resident memory of the ingress and ASR replica processes is sampled every 0.25 s
while the requests run (psutil). Prints the runs and, last, one JSON line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import threading
import time
import wave
from pathlib import Path
from typing import Callable

import httpx
import numpy as np
import yaml

from bench import bare_whisper
from bench.servers import ROOT, paused, sunvai_graph
from sunvai.audio import decode_audio
from tests.audio_server import AudioServer
from tests.speech import LONG_SENTENCES, normalise

GAP_S = 4.0


def build_recording(minutes: float, out: Path) -> str:
    """Write the recording; return the text it speaks."""
    spoken = []
    for sentence in LONG_SENTENCES:
        wav = subprocess.run(["espeak-ng", "-v", "en-us", "--stdout", sentence], check=True, capture_output=True).stdout
        spoken.append(decode_audio(wav).samples)
    gap = np.zeros(int(GAP_S * 16000), np.float32)
    pieces, texts, total = [], [], 0
    while total < minutes * 60 * 16000:
        for audio, sentence in zip(spoken, LONG_SENTENCES):
            pieces += [audio, gap]
            texts.append(sentence)
            total += len(audio) + len(gap)
            if total >= minutes * 60 * 16000:
                break
    pcm = (np.clip(np.concatenate(pieces), -1, 1) * 32767).astype("<i2")
    with wave.open(str(out), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(16000)
        handle.writeframes(pcm.tobytes())
    return " ".join(texts)


def wer(reference: str, hypothesis: str) -> float:
    import jiwer

    return round(jiwer.wer(normalise(reference), normalise(hypothesis) or "<empty>"), 4)


class PeakMemory:
    """Peak RSS of the Serve replica processes whose title names a deployment."""

    def __init__(self, names: tuple[str, ...] = ("ingress", "asr-")):
        self.names = names
        self.peak: dict[str, int] = {}
        self.paused = False  # not sampled (and not loading the CPU) while faster-whisper runs
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
            if self.paused:
                self._stop.wait(0.25)
                continue
            for process in psutil.process_iter(["cmdline", "memory_info"]):
                title = " ".join(process.info["cmdline"] or [])
                for name in self.names:
                    if "ServeReplica:" in title and f":{name}" in title:
                        key = title.split("ServeReplica:")[1].split()[0].split(".")[0]
                        rss = process.info["memory_info"].rss if process.info["memory_info"] else 0
                        self.peak[key] = max(self.peak.get(key, 0), rss)
            self._stop.wait(0.25)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def run_sunvai(path: Path, duration_s: float, longform: dict, repeats: int = 1,
               between: Callable[[str], None] | None = None) -> dict:
    """``repeats`` requests for the file, one after another, on one graph; seconds of each.
    ``between(url)`` runs after each request (the interleaved faster-whisper runs)."""
    config = yaml.safe_load((ROOT / "configs/local.yaml").read_text())
    config["applications"][0]["args"]["fetch"] = {"allow_networks": ["127.0.0.0/8"]}
    config["applications"][0]["args"]["longform"] = longform
    config["http_options"]["request_timeout_s"] = 3600  # an hour of audio may take longer than the default
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False, ) as handle:
        yaml.safe_dump(config, handle)
    seconds, texts = [], []
    try:
        with AudioServer({"/long.wav": path}) as server, sunvai_graph(handle.name) as url:
            body = {"config": {}, "audio": [{"audioUri": server.url("/long.wav")}]}
            # no warm-up call: the replicas warm up in their constructors, before /health answers
            with PeakMemory() as memory:
                for _ in range(repeats):
                    started = time.perf_counter()
                    response = httpx.post(f"{url}/v1/recognize/en", json=body, timeout=7200)
                    seconds.append(round(time.perf_counter() - started, 2))
                    if response.status_code != 200:
                        raise SystemExit(f"sunvai answered {response.status_code}: {response.text[:500]}")
                    texts.append(response.json()["output"][0]["source"])
                    print(f"  sunvai request: {seconds[-1]} s", flush=True)
                    if between is not None:
                        memory.paused = True
                        between(url)
                        memory.paused = False
    finally:
        Path(handle.name).unlink()
    median = statistics.median(seconds)
    return {"seconds": round(median, 2), "runs_s": seconds, "rtf": round(median / duration_s, 4), "texts": texts,
            "peak_rss_mb": {k: round(v / 2**20) for k, v in sorted(memory.peak.items())}}


def run_faster_whisper(model, path: Path, threads: int, vad_filter: bool = False) -> dict:
    started = time.perf_counter()
    text = bare_whisper.transcribe(model, str(path), vad_filter=vad_filter)
    elapsed = time.perf_counter() - started
    print(f"  faster-whisper, {threads} thread(s){', vad_filter' if vad_filter else ''}: {elapsed:.2f} s", flush=True)
    return {"seconds": round(elapsed, 2), "text": text}


def summary(runs: list[dict], reference: str, duration_s: float, **labels) -> dict:
    median = statistics.median(r["seconds"] for r in runs)
    return {**labels, "seconds": round(median, 2), "runs_s": [r["seconds"] for r in runs],
            "rtf": round(median / duration_s, 4), "wer": sorted({wer(reference, r["text"]) for r in runs})}


def run_set(folder: Path, threads: int = 2, longform: dict | None = None) -> list[dict]:
    """Each recording of the quality set (bench.longform_set, built into ``folder`` first) once through one graph
    and once through faster-whisper at ``threads`` threads (the graph stopped meanwhile), in turn. WER against the
    known text for both, and sunvai's against faster-whisper's own output (where they disagree)."""
    from bench import longform_set

    recordings = [r.name for r in longform_set.SET]
    for name in recordings:
        if not (folder / f"{name}.wav").exists():
            longform_set.main_into(folder)
            break
    config = yaml.safe_load((ROOT / "configs/local.yaml").read_text())
    config["applications"][0]["args"]["fetch"] = {"allow_networks": ["127.0.0.0/8"]}
    config["http_options"]["request_timeout_s"] = 3600
    if longform:
        config["applications"][0]["args"]["longform"] = longform
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as handle:
        yaml.safe_dump(config, handle)
    model = bare_whisper.load(threads)
    rows = []
    try:
        files = {f"/{name}.wav": folder / f"{name}.wav" for name in recordings}
        with AudioServer(files) as server, sunvai_graph(handle.name) as url:
            for name in recordings:
                path, reference = folder / f"{name}.wav", (folder / f"{name}.txt").read_text().strip()
                duration_s = path.stat().st_size / 32000
                body = {"config": {}, "audio": [{"audioUri": server.url(f"/{name}.wav")}]}
                started = time.perf_counter()
                response = httpx.post(f"{url}/v1/recognize/en", json=body, timeout=7200)
                ours_s = time.perf_counter() - started
                if response.status_code != 200:
                    raise SystemExit(f"sunvai answered {response.status_code}: {response.text[:500]}")
                ours = response.json()["output"][0]["source"]
                with paused(url):
                    bare = run_faster_whisper(model, path, threads)
                row = {"recording": name, "minutes": round(duration_s / 60, 2), "sunvai_s": round(ours_s, 1),
                       "faster_whisper_s": bare["seconds"], "speedup": round(bare["seconds"] / ours_s, 2),
                       "sunvai_wer": wer(reference, ours), "faster_whisper_wer": wer(reference, bare["text"]),
                       "sunvai_vs_faster_whisper_wer": wer(bare["text"], ours)}
                rows.append(row)
                print(f"{name}: {row['minutes']} min | sunvai {row['sunvai_s']} s WER {row['sunvai_wer']:.2%} | "
                      f"faster-whisper ({threads} threads) {row['faster_whisper_s']} s WER "
                      f"{row['faster_whisper_wer']:.2%} | speedup {row['speedup']}x | sunvai vs faster-whisper "
                      f"{row['sunvai_vs_faster_whisper_wer']:.2%}", flush=True)
                (folder / f"{name}.sunvai.txt").write_text(ours + "\n")
                (folder / f"{name}.faster-whisper.txt").write_text(bare["text"] + "\n")
    finally:
        Path(handle.name).unlink()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--set", type=Path, default=None, help="run the quality set (built into this folder)")
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--compare", action="store_true", help="also run bare faster-whisper on the same file")
    parser.add_argument("--repeats", type=int, default=3, help="sunvai requests and faster-whisper runs (medians)")
    parser.add_argument("--fit-windows", action="store_true", help="args.longform.fit_windows: true")
    parser.add_argument("--keep-pauses", action="store_true", help="args.longform.drop_pauses: false")
    parser.add_argument("--merge-gap-s", type=float, default=None, help="args.longform.merge_gap_s")
    parser.add_argument("--pad-ms", type=int, default=None, help="args.longform.pad_ms")
    options = parser.parse_args()
    if options.set is not None:
        overrides = {"drop_pauses": False} if options.keep_pauses else {}
        if options.merge_gap_s is not None:
            overrides["merge_gap_s"] = options.merge_gap_s
        if options.pad_ms is not None:
            overrides["pad_ms"] = options.pad_ms
        print(json.dumps({"bench": "longform_set", "longform_args": overrides,
                          "rows": run_set(options.set, longform=overrides)}))
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "long.wav"
        reference = build_recording(options.minutes, path)
        duration_s = path.stat().st_size / 32000
        result = {"minutes": round(duration_s / 60, 2)}
        longform = {"fit_windows": options.fit_windows, "drop_pauses": not options.keep_pauses}
        if options.merge_gap_s is not None:
            longform["merge_gap_s"] = options.merge_gap_s
        bare: dict[tuple[int, bool], list[dict]] = {}
        models = {}

        def faster_whisper_once(url: str) -> None:
            """One run of each faster-whisper setting, between two sunvai requests (the machine drifts), with
            the graph's processes stopped while each runs, so faster-whisper has the machine to itself."""
            for threads, vad in ((2, False), (2, True)) + (((1, False),) if (1, False) not in bare else ()):
                if threads not in models:
                    models[threads] = bare_whisper.load(threads)
                with paused(url):
                    run = run_faster_whisper(models[threads], path, threads, vad)
                bare.setdefault((threads, vad), []).append(run)

        ours = run_sunvai(path, duration_s, longform, options.repeats, faster_whisper_once if options.compare else None)
        ours["longform_args"] = longform
        ours["wer"] = sorted({wer(reference, text) for text in ours.pop("texts")})
        result["sunvai"] = ours
        print(f"sunvai long-form: median {ours['seconds']} s {ours['runs_s']} for {duration_s:.0f} s of audio "
              f"(RTF {ours['rtf']}), WER {ours['wer']}, peak RSS MB {ours['peak_rss_mb']}", flush=True)
        if options.compare:
            rows = [summary(runs, reference, duration_s, threads=threads, vad_filter=vad)
                    for (threads, vad), runs in bare.items()]
            for row in rows:
                print(f"faster-whisper, {row['threads']} thread(s){', vad_filter' if row['vad_filter'] else ''}: "
                      f"median {row['seconds']} s {row['runs_s']} (RTF {row['rtf']}), WER {row['wer']}", flush=True)
            # the target's baseline: faster-whisper's default transcribe (no VAD filter) at its best thread count
            best = min((r for r in rows if not r["vad_filter"]), key=lambda r: r["seconds"])
            filtered = next(r for r in rows if r["vad_filter"])
            result["faster_whisper"] = rows
            result["speedup"] = round(best["seconds"] / ours["seconds"], 2)
            result["speedup_vs_vad_filter"] = round(filtered["seconds"] / ours["seconds"], 2)
            print(f"sunvai is {result['speedup']}x the speed of faster-whisper at its best thread count "
                  f"({best['threads']}); WER {ours['wer']} vs {best['wer']}. With its vad_filter on, faster-whisper "
                  f"takes {filtered['seconds']} s: sunvai is {result['speedup_vs_vad_filter']}x that")
    print(json.dumps({"bench": "longform", **result}))


if __name__ == "__main__":
    main()
