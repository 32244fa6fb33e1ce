"""Overload: 200 concurrent clients of short clips against `make run`'s graph on 2 cores.

    .venv/bin/python -m bench.overload [--clients 200] [--seconds 60]

Each client posts a 2 s espeak-ng clip to /stt/v3 in a loop for ``seconds``; on a 503 or 429 it
waits the Retry-After the server gave, then goes on. Counts every answer by status and every
connection error, the latency of the 200s (p50, p99), the time to a 503 (how fast load is
shed), the Retry-After values given, and goodput (audio seconds transcribed per wall second).
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

from bench.servers import sunvai_graph
from sunvai.audio import decode_audio


def _percentile(values: list[float], q: float) -> float:
    return round(statistics.quantiles(values, n=100)[q - 1], 3) if len(values) >= 2 else (values[0] if values else 0)


async def run(url: str, audio: bytes, clip_s: float, clients: int, seconds: float) -> dict:
    statuses: Counter = Counter()
    ok_latency, shed_latency, errors, retry_afters = [], [], [], []
    missing_retry_after = 0
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients + 8, max_keepalive_connections=clients + 8)
    async with httpx.AsyncClient(base_url=url, timeout=600, limits=limits) as http:
        async def client() -> None:
            nonlocal missing_retry_after
            while time.monotonic() < deadline:
                started = time.monotonic()
                try:
                    response = await http.post("/stt/v3", files={"audio_file": ("clip.wav", audio)},
                                               data={"language_code": "en-IN"})
                except httpx.HTTPError as exc:
                    errors.append(repr(exc))
                    continue
                elapsed = time.monotonic() - started
                statuses[response.status_code] += 1
                if response.status_code == 200:
                    ok_latency.append(elapsed)
                elif response.status_code in (429, 503):
                    shed_latency.append(elapsed)
                    retry = response.headers.get("retry-after")
                    missing_retry_after += retry is None
                    if retry is not None:
                        retry_afters.append(float(retry))
                    # as told, but not past the end of the run (a client told 60 s would stretch the wall time)
                    await asyncio.sleep(min(float(retry or 1), max(0.0, deadline - time.monotonic())))

        started = time.monotonic()
        await asyncio.gather(*(client() for _ in range(clients)))
        wall = time.monotonic() - started
    return {"clients": clients, "seconds": round(wall, 1), "statuses": dict(sorted(statuses.items())),
            "connection_errors": len(errors), "first_errors": errors[:3], "missing_retry_after": missing_retry_after,
            "ok_p50_s": _percentile(ok_latency, 50), "ok_p99_s": _percentile(ok_latency, 99),
            "shed_p50_s": _percentile(shed_latency, 50), "shed_p99_s": _percentile(shed_latency, 99),
            "retry_after_p50_s": _percentile(retry_afters, 50), "retry_after_max_s": max(retry_afters, default=0),
            "goodput_audio_s_per_s": round(statuses[200] * clip_s / wall, 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--max-concurrent", type=int, default=None,
                        help="limits.max_concurrent_requests instead of the config's")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        clip = Path(folder) / "clip.wav"
        subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(clip), "Please call me tomorrow morning."], check=True)
        audio = clip.read_bytes()
        clip_s = len(decode_audio(audio).samples) / 16000
        args = {"batch": {"data_dir": str(Path(folder) / "data")}}
        if options.max_concurrent:
            args["limits"] = {"max_concurrent_requests": options.max_concurrent}
        with sunvai_graph(args=args) as url:
            result = asyncio.run(run(url, audio, clip_s, options.clients, options.seconds))
    print(json.dumps({"bench": "overload", "clip_s": round(clip_s, 2), "max_concurrent": options.max_concurrent,
                      **result}))


if __name__ == "__main__":
    main()
