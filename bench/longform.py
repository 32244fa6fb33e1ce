"""Long audio through the graph: speed and word error against bare faster-whisper, and an hour's memory.

    .venv/bin/python -m bench.longform --minutes 3 --compare     # sunvai vs faster-whisper, same file
    .venv/bin/python -m bench.longform --minutes 59               # RTF and peak memory (the cap is 1 h)

The recording is espeak-ng English: 30 known sentences, 4 s of silence after each,
repeated until it is long enough, so the expected text is known. sunvai gets it over
the Vakyansh REST call (``/v1/recognize/en``) as an ``audioUri`` served from
127.0.0.1 (the bench's config allows loopback for the fetch), so the long-form path
runs: Silero VAD chunks of at most 28 s on the local config's two ASR replicas of one
thread. faster-whisper runs ``transcribe`` on the same CTranslate2 weights in this
process, greedy (beam 1, temperature 0, no conditioning on previous text), at 1 and 2
threads; the best is reported. Word error rate by jiwer on lower-cased words without
punctuation. Peak resident memory of the ingress and ASR replica processes is sampled
every 0.25 s while the request runs (psutil). Prints a table and, last, one JSON line.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import threading
import time
import wave
from pathlib import Path

import httpx
import numpy as np
import yaml

from bench import bare_whisper
from bench.servers import ROOT, sunvai_graph
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
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
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


def run_sunvai(path: Path, duration_s: float, longform: dict) -> dict:
    config = yaml.safe_load((ROOT / "configs/local.yaml").read_text())
    config["applications"][0]["args"]["fetch"] = {"allow_networks": ["127.0.0.0/8"]}
    config["applications"][0]["args"]["longform"] = longform
    config["http_options"]["request_timeout_s"] = 3600  # an hour of audio may take longer than the default
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False, ) as handle:
        yaml.safe_dump(config, handle)
    try:
        with AudioServer({"/long.wav": path}) as server, sunvai_graph(handle.name) as url:
            body = {"config": {}, "audio": [{"audioUri": server.url("/long.wav")}]}
            # no warm-up call: the replicas warm up in their constructors, before /health answers
            with PeakMemory() as memory:
                started = time.perf_counter()
                response = httpx.post(f"{url}/v1/recognize/en", json=body, timeout=7200)
                elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise SystemExit(f"sunvai answered {response.status_code}: {response.text[:500]}")
            text = response.json()["output"][0]["source"]
    finally:
        Path(handle.name).unlink()
    return {"seconds": round(elapsed, 2), "rtf": round(elapsed / duration_s, 4), "text": text,
            "peak_rss_mb": {k: round(v / 2**20) for k, v in sorted(memory.peak.items())}}


def run_faster_whisper(path: Path, duration_s: float, threads: int) -> dict:
    model = bare_whisper.load(threads)
    started = time.perf_counter()
    text = bare_whisper.transcribe(model, str(path))
    elapsed = time.perf_counter() - started
    return {"threads": threads, "seconds": round(elapsed, 2), "rtf": round(elapsed / duration_s, 4), "text": text}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--compare", action="store_true", help="also run bare faster-whisper on the same file")
    parser.add_argument("--fit-windows", action="store_true", help="args.longform.fit_windows: true")
    parser.add_argument("--merge-gap-s", type=float, default=None, help="args.longform.merge_gap_s")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "long.wav"
        reference = build_recording(options.minutes, path)
        duration_s = path.stat().st_size / 32000
        result = {"minutes": round(duration_s / 60, 2)}
        longform = {"fit_windows": options.fit_windows}
        if options.merge_gap_s is not None:
            longform["merge_gap_s"] = options.merge_gap_s
        ours = run_sunvai(path, duration_s, longform)
        ours["longform_args"] = longform
        ours["wer"] = wer(reference, ours.pop("text"))
        result["sunvai"] = ours
        print(f"sunvai long-form: {ours['seconds']} s for {duration_s:.0f} s of audio (RTF {ours['rtf']}), "
              f"WER {ours['wer']}, peak RSS MB {ours['peak_rss_mb']}", flush=True)
        if options.compare:
            runs = []
            for threads in (1, 2):
                run = run_faster_whisper(path, duration_s, threads)
                run["wer"] = wer(reference, run.pop("text"))
                runs.append(run)
                print(f"faster-whisper, {threads} thread(s): {run['seconds']} s (RTF {run['rtf']}), WER {run['wer']}",
                      flush=True)
            best = min(runs, key=lambda r: r["seconds"])
            result["faster_whisper"] = runs
            result["speedup"] = round(best["seconds"] / ours["seconds"], 2)
            print(f"sunvai is {result['speedup']}x the speed of faster-whisper at its best thread count "
                  f"({best['threads']}); WER {ours['wer']} vs {best['wer']}")
    print(json.dumps({"bench": "longform", **result}))


if __name__ == "__main__":
    main()
