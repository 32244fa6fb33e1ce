"""One realtime stream: PCM in, VAD segments through the same ASR/punctuation/ITN flow, events out.

No HTTP here: the WebSocket route feeds frames and forwards events. Resampling
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
from datetime import datetime, timezone
from typing import Awaitable, Callable

import numpy as np

from sunvai.audio.resample import StreamResampler
from sunvai.audio.vad import SpeechEnd, SpeechSegmenter, SpeechStart, VadSettings, silero_scorer
from sunvai.service.args import StreamingConfig
from sunvai.errors import ServiceError
from sunvai.service.transcription import OutputFormat, TranscriptionOptions, TranscriptionService

log = logging.getLogger(__name__)
Emit = Callable[[dict], Awaitable[None]]


def iso_timestamp() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


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
        self._results: dict[int, dict] = {}
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
                await self.emit({"type": "speech_start", "timestamp": iso_timestamp(),
                                 "segment_id": self.segment_id(index), "segment_index": index,
                                 "start_s": event.at_s})
            elif isinstance(event, SpeechEnd):
                ended = time.monotonic()
                self._segment_index += 1
                await self.emit({"type": "speech_end", "timestamp": iso_timestamp(),
                                 "segment_id": self.segment_id(index), "segment_index": index,
                                 "end_s": event.at_s, "forced": event.forced})
                await self._slots.acquire()  # backpressure: wait while too many segments are in flight
                await self.emit({"type": "processing", "timestamp": iso_timestamp(),
                                 "segment_id": self.segment_id(index), "segment_index": index})
                task = asyncio.create_task(self._transcribe(index, event.audio, ended))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    # --- transcription -------------------------------------------------------
    async def _transcribe(self, index: int, audio: np.ndarray, ended: float) -> None:
        try:
            result = await self.service.transcribe_samples(audio, self.settings.options())
            message = {"type": "transcript", "text": result.transcript, "segment_id": self.segment_id(index),
                       "segment_index": index, "audio_duration_ms": int(len(audio) / 16),
                       "language_code": result.language_code}
        except ServiceError as error:
            message = {"type": "error", "code": error.code, "message": error.message,
                       "segment_id": self.segment_id(index), "segment_index": index}
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("stream %s segment %d failed", self.settings.request_id, index)
            message = {"type": "error", "code": "internal_error", "segment_id": self.segment_id(index),
                       "segment_index": index, "message": "transcription of this segment failed"}
        finally:
            self._slots.release()
        await self._deliver(index, message, ended)

    async def _deliver(self, index: int, message: dict, ended: float) -> None:
        async with self._emit_lock:
            self._results[index] = (message, ended)
            while self._next_to_emit in self._results:
                message, ended = self._results.pop(self._next_to_emit)
                message["timestamp"] = iso_timestamp()
                if message["type"] == "transcript":
                    message["latency"] = int((time.monotonic() - ended) * 1000)
                await self.emit(message)
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
            await self.emit({"type": "partial", "timestamp": iso_timestamp(), "text": result.transcript,
                             "segment_id": self.segment_id(index), "segment_index": index,
                             "audio_duration_ms": int(len(audio) / 16)})
