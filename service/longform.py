"""Long audio: cut at speech pauses into chunks of at most ~30 s, transcribe them in parallel, stitch.

Plain Python: the ASR calls go through whatever :class:`~sunvai.service.backend.AsrBackend`
the service has (Serve handles in the graph), so only chunks of at most ``chunk_s``
seconds ever cross a handle. Chunks are planned from Silero VAD speech regions:
neighbouring regions are merged while the chunk stays within ``chunk_s``, and a region
longer than that is cut at ``chunk_s`` (the VAD's forced cut). The chunks are sent
concurrently, at most ``max_parallel`` at a time, so every replica is busy; an
overloaded stage is retried after its ``Retry-After``. Segment times come back
absolute: each chunk's offset is added to its segments.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Awaitable, Callable

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from sunvai.asr.types import SAMPLE_RATE, AsrResult, Segment, Word
from sunvai.audio.vad import SpeechEnd, SpeechSegmenter, SpeechStart, VadSettings, silero_scorer
from sunvai.service.errors import Overloaded


class LongformConfig(BaseModel):
    """``args.longform``: how long audio is cut and spread over the ASR replicas."""

    model_config = ConfigDict(extra="forbid")

    max_duration_s: float = Field(3600.0, gt=0, description="longest audio the long-form path accepts")
    chunk_s: float = Field(28.0, ge=5, le=30, description="longest chunk sent to ASR (Whisper's window is 30 s)")
    min_silence_ms: int = Field(300, ge=100, description="a pause this long may end a chunk")
    pad_ms: int = Field(200, ge=0, le=1000, description="audio kept around each speech region")
    max_parallel: int = Field(4, ge=1, le=256, description="chunks of one request in flight at once")
    overload_retries: int = Field(20, ge=0, description="retries of a chunk whose ASR stage is overloaded")


@dataclass(frozen=True)
class Chunk:
    index: int
    start: int  # sample offsets in the whole audio
    end: int

    @property
    def start_s(self) -> float:
        return self.start / SAMPLE_RATE


@dataclass(frozen=True)
class Progress:
    chunks_done: int
    chunks_total: int
    audio_s_done: float
    audio_s_total: float


Transcribe = Callable[[np.ndarray], Awaitable[AsrResult]]
ProgressCallback = Callable[[Progress], None]


def speech_regions(samples: np.ndarray, config: LongformConfig,
                   scorer: Callable[[np.ndarray], float] | None = None) -> list[tuple[int, int]]:
    """(start, end) sample offsets of speech, padded, each at most ``chunk_s`` long. Blocking."""
    settings = VadSettings(min_silence_ms=config.min_silence_ms, max_segment_s=config.chunk_s - 2 * config.pad_ms / 1000,
                           pad_ms=config.pad_ms)
    segmenter = SpeechSegmenter(scorer or silero_scorer(), settings)
    regions: list[tuple[int, int]] = []
    start = None
    step = SAMPLE_RATE * 10
    events = []
    for offset in range(0, len(samples), step):
        events += segmenter.feed(samples[offset:offset + step])
    events += segmenter.finish()
    for event in events:
        if isinstance(event, SpeechStart):
            start = int(event.at_s * SAMPLE_RATE)
        elif isinstance(event, SpeechEnd) and start is not None:
            end = min(len(samples), start + len(event.audio))
            regions.append((start, end))
            start = None
    return regions


def plan_chunks(regions: list[tuple[int, int]], chunk_s: float) -> list[Chunk]:
    """Merge neighbouring speech regions into chunks of at most ``chunk_s`` seconds."""
    limit = int(chunk_s * SAMPLE_RATE)
    chunks: list[Chunk] = []
    current: tuple[int, int] | None = None
    for start, end in regions:
        if current is not None and end - current[0] <= limit:
            current = (current[0], end)
            continue
        if current is not None:
            chunks.append(Chunk(len(chunks), *current))
        current = (start, min(end, start + limit))
    if current is not None:
        chunks.append(Chunk(len(chunks), *current))
    return chunks


async def transcribe_chunks(samples: np.ndarray, chunks: list[Chunk], transcribe: Transcribe,
                            config: LongformConfig, progress: ProgressCallback | None = None) -> list[Segment]:
    """Transcribe every chunk (at most ``max_parallel`` at once); segments in order, times absolute."""
    slots = asyncio.Semaphore(config.max_parallel)
    total_s = sum(c.end - c.start for c in chunks) / SAMPLE_RATE
    done = {"chunks": 0, "audio": 0.0}

    async def one(chunk: Chunk) -> list[Segment]:
        async with slots:
            result = await _with_retries(lambda: transcribe(samples[chunk.start:chunk.end]), config.overload_retries)
        done["chunks"] += 1
        done["audio"] += (chunk.end - chunk.start) / SAMPLE_RATE
        if progress is not None:
            progress(Progress(done["chunks"], len(chunks), round(done["audio"], 3), round(total_s, 3)))
        return [_shifted(segment, chunk) for segment in _segments_of(result, chunk)]

    per_chunk = await asyncio.gather(*(one(chunk) for chunk in chunks))
    return [segment for segments in per_chunk for segment in segments]


async def _with_retries(call: Callable[[], Awaitable[AsrResult]], retries: int) -> AsrResult:
    for attempt in range(retries + 1):
        try:
            return await call()
        except Overloaded as exc:
            if attempt == retries:
                raise
            await asyncio.sleep(exc.retry_after_s or 1)
    raise AssertionError("unreachable")


def _segments_of(result: AsrResult, chunk: Chunk) -> tuple[Segment, ...]:
    if result.segments:
        return result.segments
    if result.text:  # an engine without timings: the chunk is one segment
        return (Segment(0.0, (chunk.end - chunk.start) / SAMPLE_RATE, result.text),)
    return ()


def _shifted(segment: Segment, chunk: Chunk) -> Segment:
    offset = chunk.start_s
    chunk_s = (chunk.end - chunk.start) / SAMPLE_RATE
    start = min(segment.start, chunk_s)
    end = min(max(segment.end, start), chunk_s)
    words = tuple(Word(round(w.start + offset, 3), round(w.end + offset, 3), w.text) for w in segment.words)
    return Segment(round(start + offset, 3), round(end + offset, 3), segment.text, words)


def elapsed_ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
