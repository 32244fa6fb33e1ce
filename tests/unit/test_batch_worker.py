"""The batch worker without Ray: real engine in-process, real SQLite store, real HTTP for URLs and callbacks."""

from __future__ import annotations

import asyncio
import json

import pytest

from sunvai.api.vachana.batch import BatchApi
from sunvai.batch.store import NewFile
from sunvai.service.args import AppArgs
from sunvai.service.backend import InProcessAsrBackend
from sunvai.service.batch_worker import BatchWorker
from sunvai.service.transcription import TranscriptionService
from tests import speech
from tests.audio_server import AudioServer


@pytest.fixture
def batch(ct2_engine, tmp_path):
    args = AppArgs.model_validate({
        "batch": {"data_dir": str(tmp_path / "data"), "lease_s": 3, "poll_s": 0.1, "retention_s": 2},
        "fetch": {"allow_hosts": ["127.0.0.1"]},
    })
    service = TranscriptionService(args, InProcessAsrBackend({"whisper-base": ct2_engine}))
    api = BatchApi.open(service)
    worker = BatchWorker(api.store, api.storage, service, args.batch, owner="test-worker", housekeeping_s=0.2)
    yield api, worker
    api.store.close()


async def _run_until(worker: BatchWorker, done, timeout_s: float = 120) -> None:
    stop = asyncio.Event()
    loop = asyncio.create_task(worker.run(stop))
    try:
        for _ in range(int(timeout_s / 0.1)):
            if await asyncio.to_thread(done):
                return
            await asyncio.sleep(0.1)
        raise TimeoutError("the worker did not get there")
    finally:
        stop.set()
        await loop


async def test_url_files_are_fetched_and_callbacks_retried(batch, clips):
    api, worker = batch
    with AudioServer({"/hello.wav": clips.english["hello"]}) as server:
        job_id, _ = api.store.create_job({"language_code": "en-IN"},
                                         [NewFile("hello.wav", server.url("/hello.wav")),
                                          NewFile("missing.wav", server.url("/missing"))],
                                         callback_url=server.url("/flaky-hook"))
        api.store.start_job(job_id)
        await _run_until(worker, lambda: api.store.get_job(job_id).callback_status in ("SENT", "FAILED"))
        files = {f.name: f for f in api.store.job_files(job_id)[0]}
        assert files["hello.wav"].status == "COMPLETED"
        assert files["missing.wav"].status == "FAILED" and "404" in files["missing.wav"].error
        document = json.loads(api.storage.read_transcript(job_id, files["hello.wav"].id))
        assert speech.normalise(document["full_transcript"]) == speech.normalise(speech.ENGLISH["hello"])
        segment = document["segments"][0]  # confidence: the segment's and each word's
        assert 0 < segment["confidence"] <= 1 and all(0 < w["probability"] <= 1 for w in segment["words"])
        hooks = [json.loads(body) for path, body in server.posts if path == "/flaky-hook"]
        assert len(hooks) == 2 and api.store.get_job(job_id).callback_status == "SENT"  # a 500, then delivered
        assert hooks[-1]["status"] == "PARTIAL_FAILURE" and hooks[-1]["progress"]["completed_files"] == 1


async def test_callbacks_to_refused_addresses_are_not_sent(batch, clips):
    api, worker = batch
    job_id, file_ids = api.store.create_job({"language_code": "en-IN"}, [NewFile("hello.wav")],
                                            callback_url="http://169.254.169.254/latest/meta-data")
    with open(clips.english["hello"], "rb") as audio:
        api.storage.save_audio(job_id, file_ids[0], audio, 10**8)
    api.store.start_job(job_id)
    await _run_until(worker, lambda: api.store.get_job(job_id).callback_status in ("SENT", "FAILED"))
    assert api.store.get_job(job_id).callback_status == "FAILED"


async def test_finished_jobs_are_deleted_after_the_retention_time(batch, clips):
    api, worker = batch
    job_id, file_ids = api.store.create_job({"language_code": "en-IN"}, [NewFile("hello.wav")])
    with open(clips.english["hello"], "rb") as audio:
        api.storage.save_audio(job_id, file_ids[0], audio, 10**8)
    api.store.start_job(job_id)
    await _run_until(worker, lambda: api.store.get_job(job_id).status == "COMPLETED")
    assert api.storage.transcript_path(job_id, file_ids[0]).exists()
    await asyncio.sleep(2.2)  # past retention_s
    await _run_until(worker, lambda: not api.store.list_jobs()[0], 30)
    assert not (api.storage.root / "jobs" / job_id).exists()


async def test_cancel_interrupts_a_running_file(batch, clips, tmp_path):
    api, worker = batch
    long = speech.concat_with_silence([clips.english[k] for k in sorted(speech.ENGLISH)] * 8, tmp_path / "long.wav")
    job_id, file_ids = api.store.create_job({"language_code": "en-IN"}, [NewFile("long.wav")])
    with open(long, "rb") as audio:
        api.storage.save_audio(job_id, file_ids[0], audio, 10**9)
    api.store.start_job(job_id)
    stop = asyncio.Event()
    loop = asyncio.create_task(worker.run(stop))
    try:
        for _ in range(600):
            if api.store.job_files(job_id)[0][0].stage == "transcribing":
                break
            await asyncio.sleep(0.05)
        api.store.cancel_job(job_id, "stop it")
        cancelled_at = asyncio.get_running_loop().time()
        assert file_ids[0] in worker.active
        while file_ids[0] in worker.active:  # the file's task ends when its next renewal finds the claim gone
            await asyncio.sleep(0.05)
        assert asyncio.get_running_loop().time() - cancelled_at < 3  # lease_s 3: renewals every second
    finally:
        stop.set()
        await loop
    assert api.store.job_files(job_id)[0][0].status == "CANCELLED"
    assert not api.storage.transcript_path(job_id, file_ids[0]).exists() and worker.files_done == 0
