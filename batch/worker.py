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
import logging
import os
import socket
import time

from sunvai.batch.config import BatchConfig
from sunvai.batch.job_config import BatchJobConfig
from sunvai.batch.storage import BatchStorage
from sunvai.batch.store import Claim, JobStore
from sunvai.service.errors import Overloaded, ServiceError
from sunvai.service.fetch import AudioFetcher
from sunvai.service.longform import Progress
from sunvai.service.transcription import Transcription, TranscriptionOptions, TranscriptionService

log = logging.getLogger(__name__)
HOUSEKEEPING_S = 10.0


def transcript_document(claim: Claim, result: Transcription) -> dict:
    """The transcript file a batch client downloads (the SDK reads full_transcript and segments)."""
    return {
        "job_id": claim.job_id,
        "file_id": claim.file_id,
        "name": claim.name,
        "language_code": result.language_code,
        "model": result.model,
        "duration_seconds": result.duration_s,
        "full_transcript": result.transcript,
        "segments": [
            {"start_time": s.start, "end_time": s.end, "text": s.text, "speaker_id": None,
             "words": [{"word": w.text, "start_time": w.start, "end_time": w.end} for w in s.words]}
            for s in result.segments
        ],
    }


class BatchWorker:
    def __init__(self, store: JobStore, storage: BatchStorage, service: TranscriptionService, config: BatchConfig,
                 fetcher: AudioFetcher | None = None, owner: str | None = None):
        self.store = store
        self.storage = storage
        self.service = service
        self.config = config
        self.fetcher = fetcher or AudioFetcher(service.args.fetch)
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}"
        self._progress: dict[str, int] = {}
        self._background: set[asyncio.Task] = set()
        self.files_done = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set; then cancel running files and hand their claims back."""
        running: dict[asyncio.Task, Claim] = {}
        next_housekeeping = 0.0
        while not stop.is_set():
            if time.monotonic() >= next_housekeeping:
                await self._housekeeping()
                next_housekeeping = time.monotonic() + HOUSEKEEPING_S
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

    async def _transcribe(self, claim: Claim) -> None:
        try:
            job_config = BatchJobConfig.model_validate(claim.config)
            await self._stage(claim, "fetching")
            if claim.source_url:
                data = (await self.fetcher.fetch(claim.source_url)).data
            else:
                data = await asyncio.to_thread(self.storage.read_audio, claim.job_id, claim.file_id)
            await self._stage(claim, "decoding")
            decoded = await self.service.decode_long(data)
            del data
            duration = len(decoded.samples) / 16_000
            await self._stage(claim, "transcribing", duration_s=duration)
            options = TranscriptionOptions(job_config.language_list(), model=job_config.model,
                                           prompt=job_config.prompt(), word_timestamps=True)
            result = await self.service.transcribe_any_length(decoded.samples, options, self._on_progress(claim))
            await self._stage(claim, "writing")
            document = transcript_document(claim, result)
            await asyncio.to_thread(self.storage.write_transcript, claim.job_id, claim.file_id, document)
            final = await asyncio.to_thread(self.store.complete, claim, duration)
            self.files_done += 1
        except asyncio.CancelledError:
            raise
        except Overloaded as exc:  # the ASR stage is full: back to the queue, another try later
            await asyncio.sleep(exc.retry_after_s or 1)
            await asyncio.to_thread(self.store.release, claim, f"overloaded: {exc.message}")
            return
        except ServiceError as exc:  # the file itself is bad: it fails with the reason
            final = await asyncio.to_thread(self.store.fail, claim, exc.message)
        except Exception as exc:  # noqa: BLE001 - a bug or a dead stage: retried up to max_attempts
            log.exception("batch file %s failed (attempt %d)", claim.file_id, claim.attempts)
            message = f"internal error on attempt {claim.attempts}: {type(exc).__name__}: {exc}"
            if claim.attempts >= self.config.max_attempts:
                final = await asyncio.to_thread(self.store.fail, claim, message)
            else:
                await asyncio.to_thread(self.store.release, claim, message)
                return
        if final:
            self._spawn(self.send_callback(claim.job_id))

    def _on_progress(self, claim: Claim):
        def update(progress: Progress) -> None:
            if progress.audio_s_total:
                self._progress[claim.file_id] = int(99 * progress.audio_s_done / progress.audio_s_total)
        return update

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
        body = {"job_id": job.id, "status": job.status, "cancel_reason": job.cancel_reason,
                "progress": {"percent": job.percent, "total_files": job.total_files,
                             "completed_files": job.counts.get("COMPLETED", 0),
                             "failed_files": job.counts.get("FAILED", 0)},
                "files": [{"file_id": f.id, "name": f.name, "status": f.status, "error_message": f.error}
                          for f in files]}
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
