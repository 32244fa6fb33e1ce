"""Nothing lost across a restart: a running batch job, the whole service stopped and started again.

Each case runs `sunvai serve` (what `make run` runs) as its own process
with its own Ray instance, on a copy of configs/local.yaml with free ports and a fresh data
directory, twice over the same data directory.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from sunvai.batch.store import JobStore
from tests import speech
from tests.helpers import ROOT, free_port

pytestmark = pytest.mark.serve
LEASE_S = 8


class Service:
    """The launcher as a child process."""

    def __init__(self, config: Path, log: Path):
        self.config, self.log = config, log
        raw = yaml.safe_load(config.read_text())
        self.base = f"http://127.0.0.1:{raw['http_options']['port']}"
        self.process: subprocess.Popen | None = None

    def start(self, timeout_s: float = 600) -> None:
        env = {**os.environ, "RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}
        env.pop("RAY_ADDRESS", None)
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "sunvai.cli.main", "serve", str(self.config)],
                                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                if httpx.get(f"{self.base}/health", timeout=5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(1)
        raise TimeoutError(self.log.read_text()[-3000:])

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=180)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def batch_worker_pids() -> list[int]:
    found = subprocess.run(["pgrep", "-f", "ServeReplica:sunvai:batch"], capture_output=True, text=True).stdout
    return [int(p) for p in found.split()]


@pytest.fixture
def service(tmp_path):
    raw = yaml.safe_load((ROOT / "configs" / "local.yaml").read_text())
    raw["http_options"]["port"] = free_port()
    raw["grpc_options"]["port"] = free_port()
    # one file at a time, so the job is surely still running when the service stops
    raw["applications"][0]["args"]["batch"].update(data_dir=str(tmp_path / "data"), lease_s=LEASE_S,
                                                   workers_per_replica=1)
    config = tmp_path / "restart.yaml"
    config.write_text(yaml.safe_dump(raw))
    running = Service(config, tmp_path / "service.log")
    yield running
    running.stop()


def _job(base: str, files: list[Path]) -> str:
    parts = [("files", (p.name, p.read_bytes())) for p in files]
    response = httpx.post(f"{base}/stt/v3/batch/jobs", files=parts, data={"config": '{"language_code": "en-IN"}'},
                          timeout=120)
    assert response.status_code == 201, response.text
    job_id = response.json()["job_id"]
    assert httpx.post(f"{base}/stt/v3/batch/jobs/{job_id}/start", timeout=30).status_code == 200
    return job_id


def _wait(base: str, job_id: str, until, timeout_s: float = 600) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        body = httpx.get(f"{base}/stt/v3/batch/jobs/{job_id}", timeout=30).json()
        if until(body):
            return body
        time.sleep(0.3)
    raise TimeoutError(body)


@pytest.mark.parametrize("kill_workers", [False, True], ids=["sigterm", "sigkill-workers"])
def test_a_running_job_completes_after_a_restart(service, tmp_path, kill_workers):
    # Enough files that the job outlasts the seconds Serve takes to stop the worker: on tcmalloc a 15 s file
    # takes about 0.6 s here, and six files finished during a stop (the graceful check needs the job unfinished).
    sentences = len(speech.LONG_SENTENCES)
    said = {f"part{i}.wav": [speech.LONG_SENTENCES[(i * 5 + k) % sentences] for k in range(5)] for i in range(24)}
    files = [tmp_path / name for name in said]
    for path in files:
        speech.placed_recording(said[path.name], path, gap_s=1.0)
    service.start()
    job_id = _job(service.base, files)
    _wait(service.base, job_id, lambda b: b["progress"]["completed_files"] >= 1 and b["progress"]["processing_files"])
    if kill_workers:
        pids = batch_worker_pids()
        assert pids, "no batch worker process found"
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
    service.stop()

    store = JobStore(f"sqlite:///{tmp_path / 'data' / 'sunvai.db'}")
    between = store.job_files(job_id)[0]
    store.close()
    statuses = {f.status for f in between}
    assert "COMPLETED" in statuses and statuses & {"PENDING", "PROCESSING"}, statuses
    if kill_workers:  # the killed worker's claim stays until its lease runs out
        assert "PROCESSING" in statuses
    else:  # a graceful stop hands running files back at once
        assert "PROCESSING" not in statuses

    service.start()
    body = _wait(service.base, job_id, lambda b: b["status"] not in ("CREATED", "RUNNING"))
    assert body["status"] == "COMPLETED" and body["completed_files"] == len(files)
    transcripts = sorted((tmp_path / "data" / "storage" / "jobs" / job_id / "transcripts").iterdir())
    assert len(transcripts) == len(files) and all(t.suffix == ".json" for t in transcripts)
    listed = httpx.get(f"{service.base}/stt/v3/batch/jobs/{job_id}/files", timeout=30).json()["data"]
    assert sorted(e["original_path"] for e in listed) == sorted(said)
    for entry in listed:
        assert entry["status"] == "COMPLETED"
        heard = speech.normalise(httpx.get(entry["transcript_url"], timeout=30).json()["full_transcript"])
        positions = [heard.find(speech.normalise(sentence)) for sentence in said[entry["original_path"]]]
        assert sum(p >= 0 for p in positions) >= 3, heard  # whisper-base may miss a word or two
        assert [p for p in positions if p >= 0] == sorted(p for p in positions if p >= 0), "once each, in order"
