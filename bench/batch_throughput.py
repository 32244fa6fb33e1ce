"""Batch throughput on the local graph: a backlog of files through the official SDK's endpoints.

    .venv/bin/python -m bench.batch_throughput [--files 8] [--minutes 1.0]

``files`` recordings of ``minutes`` each (espeak-ng English sentences with 4 s pauses, as
bench.longform builds them) in one job on `make run`'s graph with a fresh data directory.
Reports audio hours transcribed per wall-clock hour (from start to the job's end), the time
from `start` to the first finished file, and the word error rate against the spoken text.
Prints a line and, last, one JSON line.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import httpx

from bench.longform import build_recording, wer
from bench.servers import sunvai_graph


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--minutes", type=float, default=1.0)
    parser.add_argument("--workers", type=int, default=2, help="args.batch.workers_per_replica")
    parser.add_argument("--no-words", action="store_true", help="args.batch.word_timestamps: false")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        recording = Path(folder) / "recording.wav"
        text = build_recording(options.minutes, recording)
        data = recording.read_bytes()
        audio_s = (len(data) - 44) / 32000 * options.files
        batch = {"data_dir": str(Path(folder) / "data"), "workers_per_replica": options.workers,
              "word_timestamps": not options.no_words,
                 "word_timestamps": not options.no_words}
        with sunvai_graph(args={"batch": batch}) as url:
            jobs = f"{url}/stt/v3/batch/jobs"
            files = [("files", (f"part{i}.wav", data)) for i in range(options.files)]
            created = httpx.post(jobs, files=files, data={"config": '{"language_code": "en-IN"}'}, timeout=600)
            job_id = created.json()["job_id"]
            started = time.perf_counter()
            httpx.post(f"{jobs}/{job_id}/start", timeout=60).raise_for_status()
            first = None
            while True:
                body = httpx.get(f"{jobs}/{job_id}", timeout=60).json()
                if first is None and body["progress"]["completed_files"] >= 1:
                    first = time.perf_counter() - started
                if body["status"] not in ("CREATED", "RUNNING"):
                    break
                time.sleep(0.2)
            wall = time.perf_counter() - started
            listed = httpx.get(f"{jobs}/{job_id}/files", timeout=60).json()["data"]
            errors = [wer(text, httpx.get(f["transcript_url"], timeout=60).json()["full_transcript"])
                      for f in listed if f["status"] == "COMPLETED"]
    result = {"bench": "batch_throughput", "files": options.files, "workers_per_replica": options.workers,
              "word_timestamps": not options.no_words, "audio_s": round(audio_s, 1),
              "status": body["status"], "wall_s": round(wall, 1), "first_file_s": round(first or 0.0, 1),
              "audio_hours_per_hour": round(audio_s / wall, 2), "wer_mean": round(sum(errors) / len(errors), 4)}
    print(f"{options.files} files, {audio_s / 60:.1f} min of audio: {wall:.1f} s "
          f"({result['audio_hours_per_hour']} audio-h/h), first file after {result['first_file_s']} s, "
          f"WER {result['wer_mean']:.1%}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
