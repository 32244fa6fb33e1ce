"""Long audio: cut at speech pauses into chunks of at most ~30 s, transcribe them in parallel, stitch.

Plain Python: the ASR calls go through whatever :class:`~sunvai.service.backend.AsrBackend`
the service has (Serve handles in the graph), so only chunks of at most ``chunk_s``
seconds ever cross a handle. Chunks are planned from Silero VAD speech regions:
neighbouring regions are merged while the chunk stays within ``chunk_s``, and longer
speech is split at a pause inside it or cut. With ``fit_windows``, chunks that begin and
end at pauses go to ASR as VAD segments, so an engine configured with
``fit_encoder_window: vad_segments`` runs its encoder on the chunk's length. The chunks are sent
concurrently, at most ``max_parallel`` at a time, so every replica is busy; an
overloaded stage is retried after its ``Retry-After``. Segment times come back
absolute: each chunk's offset is added to its segments.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Awaitable, Callable

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from sunvai.asr.types import SAMPLE_RATE, AsrResult, Segment, Word
from sunvai.service.errors import Overloaded


class LongformConfig(BaseModel):
    """``args.longform``: how long audio is cut and spread over the ASR replicas."""

    model_config = ConfigDict(extra="forbid")

    max_duration_s: float = Field(3600.0, gt=0, description="longest audio the long-form path accepts")
    chunk_s: float = Field(28.0, ge=5, le=30, description="longest chunk sent to ASR (Whisper's window is 30 s)")
    min_silence_ms: int = Field(300, ge=100, description="a pause this long may end a chunk")
    merge_gap_s: float = Field(30.0, ge=0, description="speech regions this close join one chunk (up to chunk_s); "
                                                       "shorter chunks lost words on whisper-base (docs/benchmarks.md)")
    min_chunk_s: float = Field(5.0, ge=0, description="a chunk shorter than this takes its next region along")
    fit_windows: bool = Field(False, description="send chunks that start and end at pauses as VAD segments, so "
                                                 "fit_encoder_window: vad_segments trims their encoder window: "
                                                 "faster, but it cost words on whisper-base (docs/benchmarks.md)")
    pad_ms: int = Field(200, ge=0, le=1000, description="audio kept around each speech region")
    max_parallel: int = Field(4, ge=1, le=256, description="chunks of one request in flight at once")
    overload_retries: int = Field(20, ge=0, description="retries of a chunk whose ASR stage is overloaded")


@dataclass(frozen=True)
class Chunk:
    index: int
    start: int  # sample offsets in the whole audio
    end: int
    whole: bool = True  # starts and ends at pauses (no forced cut): a whole-utterance VAD segment

    @property
    def start_s(self) -> float:
        return self.start / SAMPLE_RATE


@dataclass(frozen=True)
class Progress:
    chunks_done: int
    chunks_total: int
    audio_s_done: float
    audio_s_total: float


Transcribe = Callable[[np.ndarray, bool], Awaitable[AsrResult]]  # (audio, whole utterances?)
ProgressCallback = Callable[[Progress], None]


def speech_regions(samples: np.ndarray, config: LongformConfig) -> list[tuple[int, int, bool]]:
    """(start, end, forced) sample offsets of speech, padded, each at most ``chunk_s`` long. Blocking.

    faster-whisper's Silero VAD (ONNX, windows scored in batches: about 10x the speed of
    feeding the streaming segmenter chunk by chunk). Speech longer than a chunk is split
    at a pause inside it where there is one, else cut; ``forced`` marks such cuts.
    """
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    longest_s = config.chunk_s - 2 * config.pad_ms / 1000
    options = VadOptions(min_silence_duration_ms=config.min_silence_ms, speech_pad_ms=config.pad_ms,
                         max_speech_duration_s=longest_s)
    regions = []
    for stamp in get_speech_timestamps(samples, options):
        start, end = int(stamp["start"]), min(int(stamp["end"]), len(samples))
        regions.append((start, end, end - start >= int(longest_s * SAMPLE_RATE) - 2 * 512))
    return regions


def plan_chunks(regions: list[tuple[int, int, bool]], chunk_s: float, merge_gap_s: float = 30.0,
                min_chunk_s: float = 5.0) -> list[Chunk]:
    """Merge speech regions into chunks of at most ``chunk_s`` seconds.

    A region joins the chunk before it when the pause between them is at most
    ``merge_gap_s``, or the chunk is still shorter than ``min_chunk_s``; otherwise it opens
    a new chunk. Short chunks keep encoder work on silence low (with fitted windows) and
    spread one request over more replicas.
    """
    limit = int(chunk_s * SAMPLE_RATE)
    chunks: list[Chunk] = []
    current: Chunk | None = None
    for start, end, forced in regions:
        joins = current is not None and (start - current.end <= merge_gap_s * SAMPLE_RATE
                                         or current.end - current.start < min_chunk_s * SAMPLE_RATE)
        if joins and end - current.start <= limit:
            current = Chunk(current.index, current.start, end, current.whole and not forced)
            continue
        if current is not None:
            chunks.append(current)
        current = Chunk(len(chunks), start, min(end, start + limit), not forced and end - start <= limit)
    if current is not None:
        chunks.append(current)
    return chunks


async def transcribe_chunks(samples: np.ndarray, chunks: list[Chunk], transcribe: Transcribe,
                            config: LongformConfig, progress: ProgressCallback | None = None) -> list[Segment]:
    """Transcribe every chunk (at most ``max_parallel`` at once); segments in order, times absolute."""
    slots = asyncio.Semaphore(config.max_parallel)
    total_s = sum(c.end - c.start for c in chunks) / SAMPLE_RATE
    done = {"chunks": 0, "audio": 0.0}

    async def one(chunk: Chunk) -> list[Segment]:
        async with slots:
            whole = chunk.whole and config.fit_windows
            result = await _with_retries(lambda: transcribe(samples[chunk.start:chunk.end], whole),
                                         config.overload_retries)
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

