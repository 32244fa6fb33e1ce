"""The batch worker loop: claim a file, transcribe it on the long-form path, write its transcript.

Plain asyncio over a :class:`~sunvai.batch.store.JobStore`, a
:class:`~sunvai.batch.storage.BatchStorage` and the shared
:class:`~sunvai.service.transcription.TranscriptionService`; the Serve deployment in
:mod:`deployments.batch` runs one per replica. While a file is being transcribed its lease
is renewed every third of ``lease_s``; when a renewal fails (the job was cancelled, or the
lease ran out and another worker took the file) the transcription is cancelled. A worker
that dies simply stops renewing: its files are claimed again once their leases expire.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import logging
import os
import socket
import time
from collections import Counter

from sunvai.asr.types import SAMPLE_RATE, Segment, mean_confidence
from sunvai.auth.access import Caller
from sunvai.batch.config import BatchConfig
from sunvai.batch.job_config import BatchJobConfig
from sunvai.batch.schemas import CallbackBody, TranscriptDocument, TranscriptSegment, TranscriptWord
from sunvai.batch.storage import BatchStorage
from sunvai.batch.store import Claim, JobStore
from sunvai.diarization.factory import build_diarizer
from sunvai.diarization.types import SpeakerTurn, speaker_at
from sunvai.errors import Overloaded, ServiceError
from sunvai.service.fetch import AudioFetcher
from sunvai.service.longform import Progress, speech_regions
from sunvai.service.observe import NullRecorder, Recorder, RequestRecord, log_access
from sunvai.service.transcription import Transcription, TranscriptionOptions, TranscriptionService

log = logging.getLogger(__name__)
HOUSEKEEPING_S = 10.0
BACKLOG_S = 3.0


def transcript_document(claim: Claim, results: list[Transcription], channels: bool = False,
                        warnings: tuple[str, ...] = ()) -> TranscriptDocument:
    """The transcript file of one batch file.

    With several channels each segment carries its ``channel`` (and the channel as ``speaker_id``),
    and segments of all channels are interleaved by start time."""
    segments = sorted(((index, s) for index, result in enumerate(results) for s in result.segments),
                      key=lambda item: (item[1].start, item[0]))
    first = results[0]
    return TranscriptDocument(
        job_id=claim.job_id, file_id=claim.file_id, name=claim.name, language_code=first.language_code,
        model=first.model, duration_seconds=first.duration_s, channels=len(results),
        full_transcript=" ".join(s.text for _, s in segments) if channels else first.transcript,
        segments=[TranscriptSegment(start_time=s.start, end_time=s.end, text=s.text, speaker_id=s.speaker,
                                    **({"channel": index} if channels else {}), confidence=s.confidence,
                                    words=[TranscriptWord(word=w.text, start_time=w.start, end_time=w.end,
                                                          speaker_id=w.speaker, probability=w.probability)
                                           for w in s.words])
                  for index, s in segments],
        **({"redactions": dict(sum((Counter(r.redactions) for r in results), Counter()))}
           if first.redactions is not None else {}),
        **({"warnings": list(warnings)} if warnings else {}))


def label_speakers(segments: tuple[Segment, ...], turns: list[SpeakerTurn]) -> tuple[Segment, ...]:
    """Each word gets the speaker talking most during it; a segment whose words change speaker is split."""
    labelled: list[Segment] = []
    for segment in segments:
        if not segment.words:
            labelled.append(dataclasses.replace(segment, speaker=speaker_at(turns, segment.start, segment.end)))
            continue
        words = [dataclasses.replace(w, speaker=speaker_at(turns, w.start, w.end)) for w in segment.words]
        runs = [list(group) for _, group in itertools.groupby(words, key=lambda w: w.speaker)]
        if len(runs) == 1:
            labelled.append(dataclasses.replace(segment, words=tuple(words), speaker=words[0].speaker))
            continue
        for run in runs:
            labelled.append(Segment(run[0].start, run[-1].end, " ".join(w.text for w in run), tuple(run),
                                    run[0].speaker, confidence=mean_confidence(run)))
    return tuple(labelled)


class BatchWorker:
    def __init__(self, store: JobStore, storage: BatchStorage, service: TranscriptionService, config: BatchConfig,
                 fetcher: AudioFetcher | None = None, owner: str | None = None,
                 housekeeping_s: float = HOUSEKEEPING_S, recorder: Recorder | None = None):
        self.store = store
        self.storage = storage
        self.service = service
        self.config = config
        self.fetcher = fetcher or AudioFetcher(service.args.fetch)
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}"
        self._progress: dict[str, int] = {}
        self._background: set[asyncio.Task] = set()
        self._diarizer = None
        self.housekeeping_s = housekeeping_s  # failed-out files, left-over callbacks, retention
        self.recorder = recorder or NullRecorder()  # one record per finished file (surface batch_file)
        self.files_done = 0
        self.active: set[str] = set()  # ids of the files being transcribed now
        self.backlog = 0  # files of running jobs left to do, from the store (the autoscaling signal)

    async def run(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set; then cancel running files and hand their claims back."""
        running: dict[asyncio.Task, Claim] = {}
        next_housekeeping = next_backlog = 0.0
        while not stop.is_set():
            if time.monotonic() >= next_housekeeping:
                await self._housekeeping()
                next_housekeeping = time.monotonic() + self.housekeeping_s
            if time.monotonic() >= next_backlog:
                self.backlog = await asyncio.to_thread(self.store.backlog)
                next_backlog = time.monotonic() + BACKLOG_S
            while len(running) < self.config.workers_per_replica:
                claim = await asyncio.to_thread(self.store.claim, self.owner, self.config.lease_s,
                                                self.config.max_attempts)
                if claim is None:
                    break
                running[asyncio.create_task(self.process(claim))] = claim
            waiters = [*running, asyncio.create_task(stop.wait())]
            done, _ = await asyncio.wait(waiters, timeout=self.config.poll_s, return_when=asyncio.FIRST_COMPLETED)
            waiters[-1].cancel()
            for task in [t for t in running if t.done()]:
                running.pop(task)
        for task, claim in running.items():
            task.cancel()
        for task, claim in running.items():
            try:
                await task
            except asyncio.CancelledError:
                pass
            await asyncio.to_thread(self.store.release, claim, "the worker was stopped; the file is queued again")

    async def process(self, claim: Claim) -> None:
        """Transcribe one claimed file while renewing its lease."""
        work = asyncio.create_task(self._transcribe(claim))
        self.active.add(claim.file_id)
        every = self.config.lease_s / 3
        try:
            while True:
                done, _ = await asyncio.wait([work], timeout=every)
                if done:
                    break
                ours = await asyncio.to_thread(self.store.renew, claim, self.config.lease_s,
                                               percent=self._progress.get(claim.file_id))
                if not ours:
                    log.info("batch file %s: claim lost (cancelled or taken over); stopping", claim.file_id)
                    work.cancel()
                    break
            await work
        except asyncio.CancelledError:
            if not work.done():
                work.cancel()
            if asyncio.current_task().cancelling():
                raise
        finally:
            self._progress.pop(claim.file_id, None)
            self.active.discard(claim.file_id)

    async def _transcribe(self, claim: Claim) -> None:
        started, status, duration, language = time.monotonic(), 500, 0.0, "none"
        try:
            job_config = BatchJobConfig.model_validate(claim.config)
            await self._stage(claim, "fetching")
            if claim.source_url:
                data = (await self.fetcher.fetch(claim.source_url)).data
            else:
                data = await asyncio.to_thread(self.storage.read_audio, claim.job_id, claim.file_id)
            await self._stage(claim, "decoding")
            decoded = await self.service.decode_long(data, keep_channels=job_config.is_multi_channel)
            del data
            channels = list(decoded.samples) if job_config.is_multi_channel else [decoded.samples]
            duration = len(channels[0]) / SAMPLE_RATE
            await self._stage(claim, "transcribing", duration_s=duration)
            options = TranscriptionOptions(job_config.language_list(), model=job_config.model, format=job_config.format,
                                           prompt=job_config.prompt(), prompt_is_hint=True,
                                           word_timestamps=self.config.word_timestamps or job_config.diarize,
                                           redact=job_config.redaction(),
                                           profanity_filter=job_config.profanity_filter, confidence=True)
            results = []
            for index, samples in enumerate(channels):
                result = await self.service.transcribe_any_length(samples, options,
                                                                  self._on_progress(claim, index, len(channels)))
                if job_config.is_multi_channel:  # a channel is a speaker
                    labelled = tuple(dataclasses.replace(s, speaker=index, words=tuple(
                        dataclasses.replace(w, speaker=index) for w in s.words)) for s in result.segments)
                    result = dataclasses.replace(result, segments=labelled)
                elif job_config.diarize:
                    await self._stage(claim, "diarizing")
                    result = await self._diarized(samples, result, job_config.num_speakers)
                results.append(result)
            await self._stage(claim, "writing")
            document = transcript_document(claim, results, job_config.is_multi_channel, decoded.warnings)
            await asyncio.to_thread(self.storage.write_transcript, claim.job_id, claim.file_id, document.wire())
            final = await asyncio.to_thread(self.store.complete, claim, duration)
            self.files_done += 1
            await self.service.access.charge_audio(Caller(claim.key_id, ""), duration)  # no-op without a key
            status, language = 200, results[0].language_code if results else "none"
        except asyncio.CancelledError:
            raise
        except Overloaded as exc:  # the ASR stage is full: back to the queue, another try later
            await asyncio.sleep(exc.retry_after_s or 1)
            await asyncio.to_thread(self.store.release, claim, f"overloaded: {exc.message}")
            return
        except ServiceError as exc:  # the file itself is bad: it fails with the reason
            status = exc.status
            final = await asyncio.to_thread(self.store.fail, claim, exc.message)
        except Exception as exc:  # noqa: BLE001 - a bug or a dead stage: retried up to max_attempts
            log.exception("batch file %s failed (attempt %d)", claim.file_id, claim.attempts)
            message = f"internal error on attempt {claim.attempts}: {type(exc).__name__}: {exc}"
            if claim.attempts >= self.config.max_attempts:
                final = await asyncio.to_thread(self.store.fail, claim, message)
            else:
                await asyncio.to_thread(self.store.release, claim, message)
                return
        record = RequestRecord("batch_file", status, time.monotonic() - started, language, duration,
                               claim.file_id)
        self.recorder.record(record)
        log_access(record)
        if final:
            self._spawn(self.send_callback(claim.job_id))

    def _on_progress(self, claim: Claim, channel: int = 0, channels: int = 1):
        def update(progress: Progress) -> None:
            if progress.audio_s_total:
                done = (channel + progress.audio_s_done / progress.audio_s_total) / channels
                self._progress[claim.file_id] = int(99 * done)
        return update

    async def _diarized(self, samples, result: Transcription, max_speakers: int | None) -> Transcription:
        """Speaker labels on the result's segments and words (the diarizer loads on first use)."""
        if self._diarizer is None:
            self._diarizer = await asyncio.to_thread(build_diarizer, self.service.args.diarization)
        regions = await asyncio.to_thread(speech_regions, samples, self.service.args.longform)
        speech = [(start / SAMPLE_RATE, end / SAMPLE_RATE) for start, end, _ in regions]
        turns = await asyncio.to_thread(self._diarizer.diarize, samples, speech, max_speakers)
        segments = label_speakers(result.segments, turns)
        return dataclasses.replace(result, segments=segments)

    async def _stage(self, claim: Claim, stage: str, duration_s: float | None = None) -> None:
        ours = await asyncio.to_thread(self.store.renew, claim, self.config.lease_s, stage=stage,
                                       duration_s=duration_s)
        if not ours:
            raise asyncio.CancelledError

    # --- callbacks and housekeeping ------------------------------------------------
    async def send_callback(self, job_id: str) -> bool:
        """POST the job summary to its callback_url (once across replicas), retried with backoff."""
        if not await asyncio.to_thread(self.store.take_callback, job_id):
            return False
        job = await asyncio.to_thread(self.store.get_job, job_id)
        files, _ = await asyncio.to_thread(self.store.job_files, job_id, None, self.config.max_files)
        body = CallbackBody.of(job, files).model_dump()
        for attempt in range(self.config.callback_attempts):
            try:
                status = await self.fetcher.post_json(job.callback_url, body)
                if 200 <= status < 300:
                    await asyncio.to_thread(self.store.callback_done, job_id, True)
                    return True
                log.warning("callback for %s answered %d (attempt %d)", job_id, status, attempt + 1)
            except ServiceError as exc:
                log.warning("callback for %s refused: %s", job_id, exc.message)
                break  # the address rules refuse it: retrying will not help
            except Exception as exc:  # noqa: BLE001
                log.warning("callback for %s failed: %s (attempt %d)", job_id, exc, attempt + 1)
            await asyncio.sleep(2 ** attempt)
        await asyncio.to_thread(self.store.callback_done, job_id, False)
        return False

    async def _housekeeping(self) -> None:
        """Fail files out of attempts, send callbacks a stopped worker left, delete expired jobs."""
        try:
            for job_id in await asyncio.to_thread(self.store.fail_exhausted, self.config.max_attempts):
                self._spawn(self.send_callback(job_id))
            for job_id in await asyncio.to_thread(self.store.pending_callbacks):
                self._spawn(self.send_callback(job_id))
            if self.config.retention_s:
                for job_id in await asyncio.to_thread(self.store.expired_jobs, self.config.retention_s):
                    await asyncio.to_thread(self.store.delete_job, job_id)
                    await asyncio.to_thread(self.storage.delete_job, job_id)
        except Exception:  # noqa: BLE001 - housekeeping must never stop the worker
            log.exception("batch housekeeping failed")

    def _spawn(self, coroutine) -> None:
        task = asyncio.create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
