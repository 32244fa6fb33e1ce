"""Long audio: cut at speech pauses into chunks of at most ~30 s, transcribe them in parallel, stitch.

Plain Python: the ASR calls go through whatever :class:`~sunvai.service.backend.AsrBackend`
the service has (Serve handles in the graph), so only chunks of at most ``chunk_s``
seconds ever cross a handle. Chunks are planned from Silero VAD speech regions:
neighbouring regions are merged while the chunk stays within ``chunk_s``, and longer
speech is split at a pause inside it or cut. With ``drop_pauses`` (the default) a chunk
holds only its speech regions, each with ``pad_ms`` around it, joined without the pauses
between them (as faster-whisper's ``vad_filter`` does), so no encoder window is spent on
silence. With ``fit_windows``, chunks that begin and end at pauses go to ASR as VAD
segments, so an engine configured with ``fit_encoder_window: vad_segments`` runs its
encoder on the chunk's length. The chunks are sent concurrently, at most ``max_parallel``
at a time, so every replica is busy; an overloaded stage is retried after its
``Retry-After``. Segment and word times come back in the whole audio, mapped through the
chunk's pieces; a segment whose words lie on both sides of a dropped pause is split there.
"""

from __future__ import annotations

import asyncio
import bisect
import dataclasses
import functools
import itertools
from dataclasses import dataclass
from typing import Awaitable, Callable

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from sunvai.asr.types import SAMPLE_RATE, AsrResult, Segment, Word, mean_confidence
from sunvai.errors import Overloaded


class LongformConfig(BaseModel):
    """``args.longform``: how long audio is cut and spread over the ASR replicas."""

    model_config = ConfigDict(extra="forbid")

    max_duration_s: float = Field(3600.0, gt=0, description="longest audio the long-form path accepts")
    chunk_s: float = Field(28.0, ge=5, le=30, description="longest chunk sent to ASR (Whisper's window is 30 s)")
    min_silence_ms: int = Field(300, ge=100, description="a pause this long may end a chunk")
    merge_gap_s: float = Field(30.0, ge=0, description="speech regions this close join one chunk (up to chunk_s); "
                                                       "shorter chunks lost words on whisper-base")
    min_chunk_s: float = Field(5.0, ge=0, description="a chunk shorter than this takes its next region along")
    drop_pauses: bool = Field(True, description="join a chunk's speech regions without the pauses between them "
                                                "(each keeps pad_ms): fewer encoder windows on audio with pauses "
                                                "(docs/benchmarks.md, longform_compare)")
    fit_windows: bool = Field(False, description="send chunks that start and end at pauses as VAD segments, so "
                                                 "fit_encoder_window: vad_segments trims their encoder window: "
                                                 "faster, but it cost words on whisper-base")
    pad_ms: int = Field(200, ge=0, le=1000, description="audio kept around each speech region")
    vad_threshold: float = Field(0.5, gt=0, lt=1, description="Silero's speech probability that counts as speech")
    max_parallel: int = Field(4, ge=1, le=256, description="chunks of one request in flight at once")
    overlap_s: float = Field(1.5, ge=0, le=5, description="where a run of speech is cut between two chunks, each "
                                                          "hears this much of the other's side; the cut splits the "
                                                          "words (word timing is asked for such requests)")
    overload_retries: int = Field(20, ge=0, description="retries of a chunk whose ASR stage is overloaded")


@dataclass(frozen=True)
class Chunk:
    """Audio sent to ASR in one call: ``start:end`` of the whole audio, or only its ``pieces``."""

    index: int
    start: int  # sample offsets in the whole audio
    end: int
    whole: bool = True  # starts and ends at pauses (no forced cut): a whole-utterance VAD segment
    pieces: tuple[tuple[int, int], ...] = ()  # speech regions joined without the pauses; () = start:end

    def audio(self, samples: np.ndarray) -> np.ndarray:
        """The samples ASR hears for this chunk."""
        if not self.pieces:
            return samples[self.start:self.end]
        return np.concatenate([samples[a:b] for a, b in self.pieces])

    def _spans(self) -> tuple[tuple[int, int], ...]:
        return self.pieces or ((self.start, self.end),)

    @functools.cached_property
    def _piece_starts(self) -> list[float]:
        """Where each piece begins in :meth:`audio`, in seconds (computed once: every word placed asks)."""
        return list(itertools.accumulate(((b - a) / SAMPLE_RATE for a, b in self._spans()[:-1]), initial=0.0))

    @property
    def heard_s(self) -> float:
        """Length of :meth:`audio`, in seconds."""
        return sum(b - a for a, b in self._spans()) / SAMPLE_RATE

    def piece_at(self, t: float) -> int:
        """Index of the piece heard at ``t`` seconds into :meth:`audio`."""
        return max(0, bisect.bisect_right(self._piece_starts, t) - 1)

    def absolute(self, t: float, is_end: bool = False, seam_s: float = 0.0, piece: int | None = None) -> float:
        """A time in the chunk's audio as seconds in the whole audio.

        ``seam_s``: the silence kept on each side of a dropped pause. A start that falls
        within it before a seam belongs to the piece after the seam, an end within it after
        a seam to the piece before, so a segment neither starts nor ends on the wrong side of
        a pause. ``piece`` maps ``t`` within that piece (clamped to it).
        """
        spans, starts = self._spans(), self._piece_starts
        t = min(max(t, 0.0), self.heard_s)
        number = self.piece_at(t) if piece is None else piece
        if piece is None:
            a, b = spans[number]
            if is_end and number > 0 and t - starts[number] <= seam_s:
                return spans[number - 1][1] / SAMPLE_RATE
            if not is_end and number < len(spans) - 1 and starts[number] + (b - a) / SAMPLE_RATE - t <= seam_s:
                return spans[number + 1][0] / SAMPLE_RATE
        a, b = spans[number]
        return min(max(a / SAMPLE_RATE + t - starts[number], a / SAMPLE_RATE), b / SAMPLE_RATE)


@dataclass(frozen=True)
class Progress:
    """How far a long transcription is; audio seconds count what ASR hears (dropped pauses do not)."""

    chunks_done: int
    chunks_total: int
    audio_s_done: float
    audio_s_total: float


Transcribe = Callable[[np.ndarray, bool], Awaitable[AsrResult]]  # (audio, whole utterances?)
ProgressCallback = Callable[[Progress], None]
ChunkCallback = Callable[[int, list[Segment]], Awaitable[list[Segment]]]  # (chunk index, its segments) -> final


def speech_regions(samples: np.ndarray, config: LongformConfig) -> list[tuple[int, int, bool]]:
    """(start, end, forced) sample offsets of speech, padded, each at most ``chunk_s`` long. Blocking.

    faster-whisper's Silero VAD (ONNX, windows scored in batches: about 10x the speed of
    feeding the streaming segmenter chunk by chunk). Speech longer than a chunk is split
    at a pause inside it where there is one, else cut; ``forced`` marks such cuts.
    """
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    longest_s = config.chunk_s - 2 * config.pad_ms / 1000
    options = VadOptions(threshold=config.vad_threshold, min_silence_duration_ms=config.min_silence_ms,
                         speech_pad_ms=config.pad_ms, max_speech_duration_s=longest_s)
    regions = []
    for stamp in get_speech_timestamps(samples, options):
        start, end = int(stamp["start"]), min(int(stamp["end"]), len(samples))
        regions.append((start, end, end - start >= int(longest_s * SAMPLE_RATE) - 2 * 512))
    return regions


def plan_chunks(regions: list[tuple[int, int, bool]], chunk_s: float, merge_gap_s: float = 30.0,
                min_chunk_s: float = 5.0, drop_pauses: bool = False) -> list[Chunk]:
    """Merge speech regions into chunks of at most ``chunk_s`` seconds of audio heard.

    A region joins the chunk before it when the pause between them is at most
    ``merge_gap_s``, or the chunk is still shorter than ``min_chunk_s``; otherwise it opens
    a new chunk. Short chunks keep encoder work on silence low (with fitted windows) and
    spread one request over more replicas. With ``drop_pauses`` a chunk keeps its regions
    as pieces and only they count towards ``chunk_s``; otherwise it spans them, pauses
    and all.
    """
    limit = int(chunk_s * SAMPLE_RATE)
    chunks: list[Chunk] = []
    current: Chunk | None = None

    def heard(chunk: Chunk, end: int, start: int) -> int:
        if not drop_pauses:
            return end - chunk.start
        return sum(b - a for a, b in chunk.pieces) + end - max(start, chunk.end)

    for start, end, forced in regions:
        joins = current is not None and (start - current.end <= merge_gap_s * SAMPLE_RATE
                                         or current.end - current.start < min_chunk_s * SAMPLE_RATE)
        if joins and heard(current, end, start) <= limit:
            pieces = current.pieces
            if drop_pauses:
                a, b = pieces[-1]
                pieces = pieces[:-1] + ((a, end),) if start <= b else pieces + ((start, end),)
            current = Chunk(current.index, current.start, end, current.whole and not forced, pieces)
            continue
        if current is not None:
            chunks.append(current)
        whole = not forced and end - start <= limit
        end = min(end, start + limit)
        current = Chunk(len(chunks), start, end, whole, ((start, end),) if drop_pauses else ())
    if current is not None:
        chunks.append(current)
    return chunks


async def transcribe_chunks(samples: np.ndarray, chunks: list[Chunk], transcribe: Transcribe,
                            config: LongformConfig, progress: ProgressCallback | None = None,
                            finish: ChunkCallback | None = None) -> list[Segment]:
    """Transcribe every chunk (at most ``max_parallel`` at once); segments in order, times absolute.

    ``finish`` turns each chunk's segments into its final ones (post-processing) as soon as the chunk is done."""
    slots = asyncio.Semaphore(config.max_parallel)
    seam_s = config.pad_ms / 1000  # the silence kept on each side of a dropped pause
    total_s = sum(c.heard_s for c in chunks)
    done = {"chunks": 0, "audio": 0.0}
    heard = overlapped(chunks, int(config.overlap_s * SAMPLE_RATE), len(samples))

    async def one(chunk: Chunk) -> list[Segment]:
        wide, keep = heard[chunk.index]
        async with slots:
            whole = chunk.whole and config.fit_windows
            result = await _with_retries(lambda: transcribe(wide.audio(samples), whole), config.overload_retries)
        done["chunks"] += 1
        done["audio"] += chunk.heard_s
        if progress is not None:
            progress(Progress(done["chunks"], len(chunks), round(done["audio"], 3), round(total_s, 3)))
        placed = [piece for segment in _segments_of(result, wide) for piece in _placed(segment, wide, seam_s)]
        placed = [kept for segment in placed if (kept := _within(segment, *keep)) is not None]
        return placed if finish is None else await finish(chunk.index, placed)

    per_chunk = await asyncio.gather(*(one(chunk) for chunk in chunks))
    return [segment for segments in per_chunk for segment in segments]


def cut_in_speech(chunks: list[Chunk]) -> list[bool]:
    """For each chunk after the first: whether it begins where the one before ends (the VAD cut a run of speech
    there, not at a pause)."""
    return [a.end >= b.start for a, b in zip(chunks, chunks[1:])]


def overlapped(chunks: list[Chunk], overlap: int, total: int) -> list[tuple[Chunk, tuple[float, float]]]:
    """Each chunk as ASR hears it, and the stretch of the whole audio (seconds) whose words it keeps. Where a run
    of speech was cut between two chunks, each hears ``overlap`` samples of the other's side, so the words at the
    cut are decoded with context on both sides; the cut itself splits the words between them."""
    out = []
    cuts = cut_in_speech(chunks)
    for index, chunk in enumerate(chunks):
        before = index > 0 and cuts[index - 1]
        after = index < len(chunks) - 1 and cuts[index]
        keep_from = chunk.start / SAMPLE_RATE if before else float("-inf")
        keep_until = chunk.end / SAMPLE_RATE if after else float("inf")
        if not (before or after) or overlap <= 0:
            out.append((chunk, (keep_from, keep_until)))
            continue
        start = max(0, chunk.start - overlap) if before else chunk.start
        end = min(total, chunk.end + overlap) if after else chunk.end
        pieces = chunk.pieces
        if pieces:
            pieces = ((start, pieces[0][1]),) + pieces[1:] if len(pieces) > 1 else ((start, pieces[0][1]),)
            pieces = pieces[:-1] + ((pieces[-1][0], end),)
        out.append((dataclasses.replace(chunk, start=start, end=end, whole=False, pieces=pieces),
                    (keep_from, keep_until)))
    return out


def _within(segment: Segment, keep_from: float, keep_until: float) -> Segment | None:
    """The segment's part whose words (without words: the segment, by its middle) lie in [keep_from, keep_until)."""
    if not segment.words:
        return segment if keep_from <= (segment.start + segment.end) / 2 < keep_until else None
    kept = [w for w in segment.words if keep_from <= (w.start + w.end) / 2 < keep_until]
    if len(kept) == len(segment.words):
        return segment
    if not kept:
        return None
    return dataclasses.replace(segment, start=kept[0].start, end=kept[-1].end, words=tuple(kept),
                               text=" ".join(w.text.strip() for w in kept), logprobs=(),
                               confidence=mean_confidence(kept) or segment.confidence)


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
        return (Segment(0.0, chunk.heard_s, result.text),)
    return ()


def _placed(segment: Segment, chunk: Chunk, seam_s: float) -> list[Segment]:
    """The segment with times in the whole audio; where its words lie on both sides of a dropped pause, one
    segment per side. Each word is placed within the piece that holds its middle (as faster-whisper restores
    times after its VAD filter); a segment without words by its own start and end."""
    if not segment.words:
        start = chunk.absolute(segment.start, seam_s=seam_s)
        end = max(chunk.absolute(max(segment.end, segment.start), is_end=True, seam_s=seam_s), start)
        return [dataclasses.replace(segment, start=round(start, 3), end=round(end, 3))]
    sides: list[tuple[int, list[Word]]] = []
    for word in segment.words:
        piece = chunk.piece_at((word.start + word.end) / 2)
        start = chunk.absolute(word.start, piece=piece)
        placed = dataclasses.replace(word, start=round(start, 3),
                                     end=round(max(chunk.absolute(word.end, piece=piece), start), 3))
        if sides and sides[-1][0] == piece:
            sides[-1][1].append(placed)
        else:
            sides.append((piece, [placed]))
    if len(sides) == 1:
        words = sides[0][1]
        return [dataclasses.replace(segment, start=words[0].start, end=words[-1].end, words=tuple(words))]
    # split at the pause; the model's token log-probabilities stay whole, with the first part
    return [dataclasses.replace(segment, start=words[0].start, end=words[-1].end, words=tuple(words),
                                text=" ".join(w.text.strip() for w in words), logprobs=segment.logprobs if not n else (),
                                confidence=mean_confidence(words) or segment.confidence)
            for n, (_, words) in enumerate(sides)]

