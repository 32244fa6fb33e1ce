"""OpenAI's streaming surfaces against sunvai's own, on the same graph in one run.

    .venv/bin/python -m bench.openai_realtime [--url http://127.0.0.1:8000] [--rounds 6] [--long-s 180]

1. End of speech -> transcript at the client: the Vachana stream (``transcript``) and an OpenAI Realtime
   session under server VAD (``...transcription.completed``), the same four utterances (bench.stream_latency's
   audio: 16 kHz PCM to Vachana, the same samples at 24 kHz to OpenAI), one stream at a time, the two
   surfaces interleaved round by round (order alternating), sent at real-time pace.
2. ``stream=true`` on a long recording (espeak-ng sentences with pauses, about --long-s seconds): the time to
   the first ``transcript.text.delta`` and to ``transcript.text.done``, against the same request unstreamed,
   interleaved.

Without --url it starts the local graph (configs/local.yaml) on a free port and stops it after. Prints a table
and, last, one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.servers import run_against_graph
from bench.stream_latency import FRAME, RATE, SENTENCES, compose, summary

OPENAI_RATE = 24_000


def resample(pcm: bytes, rate: int) -> bytes:
    return subprocess.run(["ffmpeg", "-loglevel", "error", "-f", "s16le", "-ar", str(RATE), "-ac", "1", "-i", "-",
                           "-f", "s16le", "-ar", str(rate), "-"], input=pcm, capture_output=True, check=True).stdout


async def paced(chunks: list[bytes], seconds_each: float, send, on_position) -> None:
    started = time.monotonic()
    for n, chunk in enumerate(chunks):
        await send(chunk)
        on_position((n + 1) * seconds_each)
        await asyncio.sleep(max(0.0, started + (n + 1) * seconds_each - time.monotonic()))


async def vachana_round(url: str, pcm: bytes, ends: list[float]) -> list[float]:
    import websockets

    sent_at: dict[int, float] = {}
    latencies: list[float] = []

    def position(seconds: float) -> None:
        for k, end in enumerate(ends):
            if k not in sent_at and seconds >= end:
                sent_at[k] = time.monotonic()

    async with websockets.connect(url.replace("http", "ws", 1) + "/stt/v3/stream", max_size=None,
                                  additional_headers={"lang_code": "en-IN"}) as ws:
        await ws.recv()

        async def send():
            await paced([pcm[i:i + FRAME] for i in range(0, len(pcm), FRAME)], FRAME / 2 / RATE, ws.send, position)
            await ws.send("EOS")

        async def receive():
            async for raw in ws:
                message = json.loads(raw)
                if message["type"] == "transcript" and message["segment_index"] in sent_at:
                    latencies.append(time.monotonic() - sent_at[message["segment_index"]])

        await asyncio.gather(send(), receive())
    return latencies


async def openai_round(url: str, pcm24: bytes, ends: list[float]) -> list[float]:
    import openai

    address = url.removeprefix("http://")
    client = openai.AsyncOpenAI(api_key="bench", base_url=f"{url}/v1", websocket_base_url=f"ws://{address}/v1")
    sent_at: dict[int, float] = {}
    latencies: list[float] = []
    frame = FRAME * OPENAI_RATE // RATE  # the same 32 ms frames

    def position(seconds: float) -> None:
        for k, end in enumerate(ends):
            if k not in sent_at and seconds >= end:
                sent_at[k] = time.monotonic()

    async with client.realtime.connect(extra_query={"intent": "transcription"}) as conn:
        await conn.session.update(session={"type": "transcription", "audio": {"input": {
            "transcription": {"language": "en-IN"}}}})

        async def append(chunk: bytes) -> None:
            await conn.input_audio_buffer.append(audio=base64.b64encode(chunk).decode())

        async def send():
            await paced([pcm24[i:i + frame] for i in range(0, len(pcm24), frame)], frame / 2 / OPENAI_RATE, append,
                        position)

        async def receive():  # raw events (json.loads), as a latency-minded client reads them
            turn = 0
            while True:
                event = json.loads(await conn.recv_bytes())
                if event["type"] == "conversation.item.input_audio_transcription.completed":
                    if turn in sent_at:
                        latencies.append(time.monotonic() - sent_at[turn])
                    turn += 1
                    if turn == len(ends):
                        return

        await asyncio.gather(send(), asyncio.wait_for(receive(), 120))
    return latencies


def long_recording(seconds: float, folder: Path) -> Path:
    """espeak-ng sentences with pauses of 0.6 to 2 s until about ``seconds`` long."""
    from bench.sentences import SENTENCES as BY_LANGUAGE

    LONG = BY_LANGUAGE["en-IN"]

    rng = np.random.default_rng(3)
    parts, total, n = [], 0.0, 0
    while total < seconds:
        wav = folder / f"s{n}.wav"
        subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(wav), LONG[n % len(LONG)]], check=True)
        pause = float(rng.uniform(0.6, 2.0))
        parts.append((wav, pause))
        total += float(subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                                       str(wav)], capture_output=True, text=True, check=True).stdout) + pause
        n += 1
    listing = folder / "parts.txt"
    silence = {}
    lines = []
    for wav, pause in parts:
        key = round(pause, 1)
        if key not in silence:
            silence[key] = folder / f"pause{key}.wav"
            subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "anullsrc=r=22050:cl=mono",
                            "-t", str(key), str(silence[key])], check=True)
        lines += [f"file '{wav}'", f"file '{silence[key]}'"]
    listing.write_text("\n".join(lines))
    out = folder / "long.wav"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing),
                    "-ar", "16000", "-ac", "1", str(out)], check=True)
    return out


def streamed_once(url: str, recording: Path, stream: bool) -> dict[str, float]:
    import openai

    client = openai.OpenAI(api_key="bench", base_url=f"{url}/v1", timeout=900, max_retries=0)
    started = time.monotonic()
    with open(recording, "rb") as audio:
        if not stream:
            client.audio.transcriptions.create(model="whisper-1", file=audio, language="en")
            return {"done_s": time.monotonic() - started}
        first = None
        for event in client.audio.transcriptions.create(model="whisper-1", file=audio, language="en", stream=True):
            if first is None and event.type == "transcript.text.delta":
                first = time.monotonic() - started
    return {"first_delta_s": first, "done_s": time.monotonic() - started}


async def main_async(options) -> dict:
    pcm, ends = compose()
    pcm24 = resample(pcm, OPENAI_RATE)
    latency: dict[str, list[float]] = {"vachana": [], "openai": []}
    for round_number in range(options.rounds):
        order = ["vachana", "openai"] if round_number % 2 == 0 else ["openai", "vachana"]
        for surface in order:
            if surface == "vachana":
                latency[surface] += await vachana_round(options.url, pcm, ends)
            else:
                latency[surface] += await openai_round(options.url, pcm24, ends)
    rows = {surface: {**summary(values), "turns": len(values)} for surface, values in latency.items()}
    difference = round(statistics.median(latency["openai"]) - statistics.median(latency["vachana"]), 3)
    print(f"end of speech -> transcript, {options.rounds} rounds x {len(SENTENCES)} utterances, one stream at a time")
    for surface, row in rows.items():
        print(f"  {surface:8s} median {row['median_s']:.3f} s  p95 {row['p95_s']:.3f} s  ({row['turns']} turns)")
    print(f"  OpenAI Realtime - Vachana stream, median: {difference * 1000:+.0f} ms", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        recording = long_recording(options.long_s, Path(folder))
        duration = float(subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of",
                                         "csv=p=0", str(recording)], capture_output=True, text=True).stdout)
        runs: dict[str, list[dict]] = {"streamed": [], "plain": []}
        for n in range(options.long_rounds):
            for stream in ([True, False] if n % 2 == 0 else [False, True]):
                runs["streamed" if stream else "plain"].append(
                    await asyncio.to_thread(streamed_once, options.url, recording, stream))
    long = {"audio_s": round(duration, 1),
            "first_delta_s": round(statistics.median(r["first_delta_s"] for r in runs["streamed"]), 2),
            "streamed_done_s": round(statistics.median(r["done_s"] for r in runs["streamed"]), 2),
            "plain_done_s": round(statistics.median(r["done_s"] for r in runs["plain"]), 2)}
    print(f"stream=true on {long['audio_s']} s of audio ({options.long_rounds} runs each, interleaved): first delta "
          f"{long['first_delta_s']} s, done {long['streamed_done_s']} s; unstreamed {long['plain_done_s']} s")
    report = {"bench": "openai_realtime", "end_of_speech": rows, "openai_minus_vachana_median_s": difference,
              "long": long}
    print(json.dumps(report))
    return report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default=None, help="a running server; default: start the local graph")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--long-s", type=float, default=180.0)
    parser.add_argument("--long-rounds", type=int, default=2)
    run_against_graph(main_async, parser.parse_args())


if __name__ == "__main__":
    main()
