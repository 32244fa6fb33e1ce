"""One realtime stream: PCM in, VAD segments through the same ASR/punctuation/ITN flow, events out.

No protocol here: a surface feeds frames and renders the typed events (:data:`StreamEvent`) in its own
wire shape (the Vachana WebSocket: api/vachana/events.py). Resampling
and VAD run off the event loop; transcripts leave in segment order even when a
later segment finishes first; at most ``max_inflight_segments`` wait for ASR
before :meth:`StreamingSession.feed` stops returning, which stops the route
reading the socket (backpressure instead of unbounded buffers).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Awaitable, Callable, Union

import numpy as np

from sunvai.audio.resample import StreamResampler
from sunvai.audio.vad import SpeechEnd, SpeechSegmenter, SpeechStart, VadSettings, silero_scorer
from sunvai.errors import ServiceError
from sunvai.service.args import StreamingConfig
from sunvai.service.transcription import OutputFormat, Transcription, TranscriptionOptions, TranscriptionService

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SpeechStarted:
    segment_id: str
    segment_index: int
    start_s: float  # from the start of the stream


@dataclass(frozen=True)
class SpeechEnded:
    segment_id: str
    segment_index: int
    end_s: float
    forced: bool  # closed at max_segment_s, not at a pause


@dataclass(frozen=True)
class Processing:
    """The segment went to ASR (after waiting for a slot when ``max_inflight_segments`` were in flight)."""

    segment_id: str
    segment_index: int


@dataclass(frozen=True)
class Partial:
    """Interim text of the open segment (unpunctuated, may change)."""

    segment_id: str
    segment_index: int
    text: str
    audio_duration_ms: int


@dataclass(frozen=True)
class Final:
    """A segment's transcript, in segment order."""

    segment_id: str
    segment_index: int
    text: str
    audio_duration_ms: int
    language_code: str
    latency_ms: int  # from the VAD closing the segment to this event


@dataclass(frozen=True)
class SegmentFailed:
    segment_id: str
    segment_index: int
    code: str
    message: str


StreamEvent = Union[SpeechStarted, SpeechEnded, Processing, Partial, Final, SegmentFailed]
Emit = Callable[[StreamEvent], Awaitable[None]]


@dataclass(frozen=True)
class StreamSettings:
    language_code: str
    sample_rate: int
    format: OutputFormat
    itn_native_numerals: bool
    request_id: str
    api_key: str
    interim_results: bool

    def options(self) -> TranscriptionOptions:
        return TranscriptionOptions(self.language_code, format=self.format,
                                    itn_native_numerals=self.itn_native_numerals, vad_segment=True)


class StreamingSession:
    @classmethod
    async def open(cls, service: TranscriptionService, settings: StreamSettings, config: StreamingConfig,
                   emit: Emit) -> StreamingSession:
        """A session with its own VAD model, copied off the event loop (the first copy loads it)."""
        return cls(service, settings, config, emit, await asyncio.to_thread(silero_scorer))

    def __init__(self, service: TranscriptionService, settings: StreamSettings, config: StreamingConfig,
                 emit: Emit, scorer: Callable[[np.ndarray], float]):
        self.service = service
        self.settings = settings
        self.config = config
        self.emit = emit
        self.resampler = StreamResampler(settings.sample_rate)
        vad = VadSettings(threshold=config.vad_threshold, release=max(0.05, config.vad_threshold - 0.15),
                          min_silence_ms=config.min_silence_ms, max_segment_s=config.max_segment_s,
                          pad_ms=config.pad_ms)
        self.segmenter = SpeechSegmenter(scorer, vad)
        self._slots = asyncio.Semaphore(config.max_inflight_segments)
        self._tasks: set[asyncio.Task] = set()
        self._results: dict[int, tuple] = {}  # finished segments waiting for those before them
        self._next_to_emit = 0
        self._emit_lock = asyncio.Lock()
        self._segment_index = 0  # index of the open (or next) segment
        self._last_partial = 0.0
        self._partial_task: asyncio.Task | None = None
        self._vad_lock = asyncio.Lock()
        self.received_s = 0.0  # audio received so far (charged to the stream's API key)

    def segment_id(self, index: int) -> str:
        return f"{self.settings.request_id}-{index}"

    # --- input --------------------------------------------------------------
    async def feed(self, pcm: bytes) -> None:
        self.received_s += len(pcm) / 2 / self.settings.sample_rate
        async with self._vad_lock:
            events = await asyncio.to_thread(self._vad_step, pcm)
        await self._handle(events)
        if self.settings.interim_results:
            self._maybe_partial()

    async def finish(self) -> None:
        """End of audio: close the open segment and wait for every transcript to be sent."""
        async with self._vad_lock:
            events = await asyncio.to_thread(self._vad_finish)
        await self._handle(events)
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def abort(self) -> None:
        """The client is gone: cancel all work for this stream.

        Synchronous on purpose: it runs in the route's ``finally``, which may itself
        be running under cancellation when the connection drops.
        """
        for task in list(self._tasks) + ([self._partial_task] if self._partial_task else []):
            task.cancel()

    def _vad_step(self, pcm: bytes):
        return self.segmenter.feed(self.resampler.feed(pcm))

    def _vad_finish(self):
        tail = self.resampler.flush()
        return self.segmenter.feed(tail) + self.segmenter.finish()

    async def _handle(self, events) -> None:
        for event in events:
            index = self._segment_index
            if isinstance(event, SpeechStart):
                await self.emit(SpeechStarted(self.segment_id(index), index, event.at_s))
            elif isinstance(event, SpeechEnd):
                ended = time.monotonic()
                self._segment_index += 1
                await self.emit(SpeechEnded(self.segment_id(index), index, event.at_s, event.forced))
                await self._slots.acquire()  # backpressure: wait while too many segments are in flight
                await self.emit(Processing(self.segment_id(index), index))
                task = asyncio.create_task(self._transcribe(index, event.audio, ended))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    # --- transcription -------------------------------------------------------
    async def _transcribe(self, index: int, audio: np.ndarray, ended: float) -> None:
        outcome: Transcription | SegmentFailed
        try:
            outcome = await self.service.transcribe_samples(audio, self.settings.options())
        except ServiceError as error:
            outcome = SegmentFailed(self.segment_id(index), index, error.code, error.message)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("stream %s segment %d failed", self.settings.request_id, index)
            outcome = SegmentFailed(self.segment_id(index), index, "internal_error",
                                    "transcription of this segment failed")
        finally:
            self._slots.release()
        await self._deliver(index, outcome, int(len(audio) / 16), ended)

    async def _deliver(self, index: int, outcome: Transcription | SegmentFailed, duration_ms: int,
                       ended: float) -> None:
        """Emit segments in order: a segment waits for those before it."""
        async with self._emit_lock:
            self._results[index] = (outcome, duration_ms, ended)
            while self._next_to_emit in self._results:
                outcome, duration_ms, ended = self._results.pop(self._next_to_emit)
                if isinstance(outcome, Transcription):
                    outcome = Final(self.segment_id(self._next_to_emit), self._next_to_emit, outcome.transcript,
                                    duration_ms, outcome.language_code, int((time.monotonic() - ended) * 1000))
                await self.emit(outcome)
                self._next_to_emit += 1

    # --- interim results ---------------------------------------------------------
    def _maybe_partial(self) -> None:
        now = time.monotonic()
        if (not self.segmenter.in_speech or now - self._last_partial < self.config.interim_interval_s
                or (self._partial_task and not self._partial_task.done())):
            return
        audio = self.segmenter.open_audio()
        if len(audio) < 16_000 * 0.5:
            return
        self._last_partial = now
        self._partial_task = asyncio.create_task(self._partial(self._segment_index, audio))

    async def _partial(self, index: int, audio: np.ndarray) -> None:
        try:
            options = TranscriptionOptions(self.settings.language_code, punctuation=False)
            result = await self.service.transcribe_samples(audio, options)
        except Exception:
            return  # interim results are best effort
        if index == self._segment_index:  # still the open segment
            await self.emit(Partial(self.segment_id(index), index, result.transcript, int(len(audio) / 16)))
