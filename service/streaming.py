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
from typing import Awaitable, Callable, Literal, Union

import numpy as np

from sunvai.asr.types import TokenLogprob
from sunvai.audio.g711 import g711_to_pcm16
from sunvai.audio.resample import StreamResampler
from sunvai.audio.vad import SpeechEnd, SpeechSegmenter, SpeechStart, VadSettings, silero_scorer
from sunvai.errors import BadRequest, ServiceError
from sunvai.redaction import Redaction
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
    logprobs: tuple[TokenLogprob, ...] = ()  # when the settings ask for them
    confidence: float | None = None  # when the settings ask for it


@dataclass(frozen=True)
class SegmentFailed:
    segment_id: str
    segment_index: int
    code: str
    message: str


StreamEvent = Union[SpeechStarted, SpeechEnded, Processing, Partial, Final, SegmentFailed]
Emit = Callable[[StreamEvent], Awaitable[None]]


Encoding = Literal["pcm16", "pcmu", "pcma"]  # s16le PCM, G.711 mu-law, G.711 A-law (one byte a sample)
MIN_COMMIT_S = 0.1  # a manual commit of less audio is refused (OpenAI's rule)


@dataclass(frozen=True)
class TurnDetection:
    """The stream's own server VAD settings; None: the server's (``args.streaming``)."""

    threshold: float | None = None
    prefix_padding_ms: int | None = None
    silence_duration_ms: int | None = None


@dataclass(frozen=True)
class StreamSettings:
    language_code: str
    sample_rate: int
    format: OutputFormat
    itn_native_numerals: bool
    request_id: str
    api_key: str
    interim_results: bool
    encoding: Encoding = "pcm16"
    turn_detection: TurnDetection | None = TurnDetection()  # None: no VAD, the client commits each turn
    prompt: str | None = None
    model: str | None = None  # a configured model by name instead of the routing policy's choice
    punctuation: bool | None = None
    logprobs: bool = False  # finals carry the model's token log-probabilities
    redact: Redaction | None = None  # identifiers replaced in partials and finals
    profanity_filter: bool = False  # listed profanity masked in partials and finals
    confidence: bool = False  # finals carry the model's confidence

    def options(self) -> TranscriptionOptions:
        return TranscriptionOptions(self.language_code, format=self.format,
                                    itn_native_numerals=self.itn_native_numerals,
                                    vad_segment=self.turn_detection is not None, prompt=self.prompt, model=self.model,
                                    punctuation=self.punctuation, logprobs=self.logprobs, redact=self.redact,
                                    profanity_filter=self.profanity_filter, confidence=self.confidence)


def vad_settings(config: StreamingConfig, turn: TurnDetection) -> VadSettings:
    threshold = turn.threshold if turn.threshold is not None else config.vad_threshold
    return VadSettings(threshold=threshold, release=max(0.05, threshold - 0.15),
                       min_silence_ms=turn.silence_duration_ms or config.min_silence_ms,
                       max_segment_s=config.max_segment_s,
                       pad_ms=config.pad_ms if turn.prefix_padding_ms is None else turn.prefix_padding_ms)


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
        self._scorer = scorer
        self._time_base = 0.0  # stream time at which the current segmenter started
        self._build_pipeline()
        self._buffer: list[np.ndarray] = []  # without VAD: the audio since the last commit or clear
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

    def _build_pipeline(self) -> None:
        self.resampler = StreamResampler(self.settings.sample_rate)
        turn = self.settings.turn_detection
        self.segmenter = SpeechSegmenter(self._scorer, vad_settings(self.config, turn)) if turn is not None else None

    async def reconfigure(self, settings: StreamSettings) -> None:
        """Take new settings: language, prompt, model and output options apply from the next turn; a new audio
        encoding, rate or turn detection only while no audio waits uncommitted (400 otherwise)."""
        async with self._vad_lock:
            old = self.settings
            rebuild = (settings.encoding, settings.sample_rate, settings.turn_detection) != (
                old.encoding, old.sample_rate, old.turn_detection)
            if rebuild and (any(len(b) for b in self._buffer) or (self.segmenter and self.segmenter.in_speech)):
                raise BadRequest("the audio format and turn detection can change only between turns: commit or clear "
                                 "the audio buffer first", code="audio_buffer_not_empty")
            self.settings = settings
            if rebuild:
                if self.segmenter is not None:
                    self._time_base += self.segmenter.elapsed_s
                self._build_pipeline()

    def segment_id(self, index: int) -> str:
        return f"{self.settings.request_id}-{index}"

    # --- input --------------------------------------------------------------
    async def feed(self, data: bytes) -> None:
        pcm = data if self.settings.encoding == "pcm16" else g711_to_pcm16(data, self.settings.encoding)
        self.received_s += len(pcm) / 2 / self.settings.sample_rate
        async with self._vad_lock:
            events = await asyncio.to_thread(self._vad_step, pcm)
        await self._handle(events)
        if self.settings.interim_results and self.segmenter is not None:
            self._maybe_partial()

    async def commit(self) -> None:
        """End the turn now: the audio since the last commit (without VAD) or the open segment (with VAD)
        goes to ASR. 400 when there is less than ``MIN_COMMIT_S`` of it (nothing to transcribe)."""
        async with self._vad_lock:
            if self.segmenter is None:
                audio = np.concatenate(self._buffer) if self._buffer else np.zeros(0, np.float32)
                self._buffer = []
            else:
                events = self.segmenter.finish()
                audio = events[0].audio if events else np.zeros(0, np.float32)
        if len(audio) < MIN_COMMIT_S * 16_000:
            raise BadRequest(f"buffer too small: expected at least {MIN_COMMIT_S * 1000:.0f} ms of audio, have "
                             f"{len(audio) / 16:.0f} ms" + ("" if self.segmenter is None else " of speech"),
                             code="input_audio_buffer_commit_empty")
        if self.segmenter is not None:
            await self._handle(events)
        else:
            index, self._segment_index = self._segment_index, self._segment_index + 1
            await self._start(index, audio)

    async def clear(self) -> None:
        """Drop the audio not yet committed (the open segment, with VAD)."""
        async with self._vad_lock:
            self._buffer = []
            if self.segmenter is not None:
                self.segmenter.discard()

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
        samples = self.resampler.feed(pcm)
        if self.segmenter is None:
            self._buffer.append(samples)
            return []
        return self.segmenter.feed(samples)

    def _vad_finish(self):
        tail = self.resampler.flush()
        if self.segmenter is None:
            return []  # without VAD, audio not committed is not transcribed (as OpenAI's sessions)
        return self.segmenter.feed(tail) + self.segmenter.finish()

    async def _handle(self, events) -> None:
        for event in events:
            index = self._segment_index
            if isinstance(event, SpeechStart):
                await self.emit(SpeechStarted(self.segment_id(index), index, self._time_base + event.at_s))
            elif isinstance(event, SpeechEnd):
                ended = time.monotonic()
                self._segment_index += 1
                await self.emit(SpeechEnded(self.segment_id(index), index, self._time_base + event.at_s, event.forced))
                await self._start(index, event.audio, ended)

    async def _start(self, index: int, audio: np.ndarray, ended: float | None = None) -> None:
        """Send a closed segment to ASR (waiting while too many are in flight: backpressure)."""
        ended = time.monotonic() if ended is None else ended
        await self._slots.acquire()
        await self.emit(Processing(self.segment_id(index), index))
        task = asyncio.create_task(self._transcribe(index, audio, ended))
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
                                    duration_ms, outcome.language_code, int((time.monotonic() - ended) * 1000),
                                    outcome.logprobs, outcome.confidence)
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
            options = TranscriptionOptions(self.settings.language_code, punctuation=False, redact=self.settings.redact,
                                           profanity_filter=self.settings.profanity_filter)
            result = await self.service.transcribe_samples(audio, options)
        except Exception:
            return  # interim results are best effort
        if index == self._segment_index:  # still the open segment
            await self.emit(Partial(self.segment_id(index), index, result.transcript, int(len(audio) / 16)))
