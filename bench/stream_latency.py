"""Realtime streaming: latency from end of speech to transcript, and streams per replica.

    .venv/bin/python -m bench.stream_latency [--url http://127.0.0.1:8000] [--streams 1 2 4 6 8]

Without --url it starts the local graph (configs/local.yaml: two ASR replicas of one
thread, fitted encoder windows for VAD segments) on a free port, and stops it after.

Each stream sends, at real-time pace in 1024-byte frames: 0.5 s silence, then four
English utterances each followed by 1 s of silence. For every transcript it records
the server's ``latency`` (segment closed by VAD -> transcript sent) and the client's
end-of-speech latency (wall time from sending the last speech sample to receiving the
transcript: the VAD's 500 ms silence wait included). The headline is the client's:
streams sustained with end-of-speech p95 <= --target-s (default 1.5 s: the VAD's
0.5 s wait plus 1 s). Prints a table and, last, one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import time

import numpy as np

from bench.servers import run_against_graph
from sunvai.audio import decode_audio

SENTENCES = ["Hello, how are you today?", "Please call me tomorrow morning.", "Where is the railway station?",
             "I would like to book a table for two people."]
RATE = 16_000
FRAME = 1024


def compose() -> tuple[bytes, list[float]]:
    """PCM of the whole stream and the time (s) where each utterance's speech ends."""
    parts, ends, t = [np.zeros(RATE // 2, np.float32)], [], 0.5
    for text in SENTENCES:
        wav = subprocess.run(["espeak-ng", "-v", "en-us", "--stdout", text], check=True, capture_output=True).stdout
        audio = decode_audio(wav).samples
        voiced = np.nonzero(np.abs(audio) > 0.01)[0]
        ends.append(t + (voiced[-1] + 1) / RATE)
        parts += [audio, np.zeros(RATE, np.float32)]
        t += len(audio) / RATE + 1.0
    pcm = (np.concatenate(parts) * 32767).astype("<i2").tobytes()
    return pcm, ends


async def one_stream(url: str, pcm: bytes, ends: list[float], key: str) -> tuple[list[float], list[float], int]:
    import websockets

    sent_at: dict[int, float] = {}
    server, client = [], []
    frame_s = FRAME / 2 / RATE
    # one API key per stream: the server caps streams per key (8 by default)
    async with websockets.connect(url, max_size=None, additional_headers={"x-api-key-id": key}) as ws:
        await ws.recv()  # connected

        async def send():
            started = time.monotonic()
            for n, i in enumerate(range(0, len(pcm), FRAME)):
                await ws.send(pcm[i:i + FRAME])
                position = (i + FRAME) / 2 / RATE
                for k, end in enumerate(ends):
                    if k not in sent_at and position >= end:
                        sent_at[k] = time.monotonic()
                await asyncio.sleep(max(0.0, started + (n + 1) * frame_s - time.monotonic()))
            await ws.send("EOS")

        async def receive():
            async for raw in ws:
                message = json.loads(raw)
                if message["type"] == "transcript":
                    server.append(message["latency"] / 1000)
                    k = message["segment_index"]
                    if k in sent_at:
                        client.append(time.monotonic() - sent_at[k])

        await asyncio.gather(send(), receive())
    return server, client, len(server)


def summary(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    return {"median_s": round(statistics.median(values), 3),
            "p95_s": round(values[min(len(values) - 1, int(0.95 * len(values)))], 3)}


async def main_async(options) -> None:
    pcm, ends = compose()
    url = options.url.replace("http://", "ws://").rstrip("/") + "/stt/v3/stream"
    results = {}
    for count in options.streams:
        runs = await asyncio.gather(*(one_stream(url, pcm, ends, f"bench-{i}") for i in range(count)))
        server = [v for r in runs for v in r[0]]
        client = [v for r in runs for v in r[1]]
        got = sum(r[2] for r in runs)
        results[count] = {"server": summary(server), "end_of_speech": summary(client),
                          "transcripts": got, "expected": count * len(SENTENCES)}
        row = results[count]
        print(f"{count:2d} streams: server latency median {row['server']['median_s']:.3f} s p95 "
              f"{row['server']['p95_s']:.3f} s | end of speech -> transcript median "
              f"{row['end_of_speech']['median_s']:.3f} s p95 {row['end_of_speech']['p95_s']:.3f} s | "
              f"{got}/{row['expected']} transcripts", flush=True)
    sustained = max((n for n, r in results.items() if r["end_of_speech"]["p95_s"] <= options.target_s
                     and r["transcripts"] == r["expected"]), default=0)
    print(f"streams sustained with end of speech -> transcript p95 <= {options.target_s} s at the client: "
          f"{sustained}")
    print(json.dumps({"bench": "stream_latency", "results": results, "target_s": options.target_s,
                      "sustained_streams": sustained}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default=None, help="a running server; default: start the local graph")
    parser.add_argument("--streams", type=int, nargs="+", default=[1, 2, 4, 6, 8])
    parser.add_argument("--target-s", type=float, default=1.5)
    run_against_graph(main_async, parser.parse_args())


if __name__ == "__main__":
    main()
