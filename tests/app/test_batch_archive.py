"""ZIP uploads to /stt/v3/batch/jobs: one job file per recording, and the archives that are refused (a zip bomb,
paths out of the archive, archives inside, too many entries, a damaged archive) with a 400 that says why and no
job left behind. The real routes, store (SQLite) and storage; no transcription here (tests/serve/test_batch.py
runs the gnani SDK's zip upload through the graph)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from fastapi.testclient import TestClient

from sunvai.api.app import create_app
from sunvai.api.vachana.batch import BatchApi
from sunvai.asr.standin import FixedTextEngine
from sunvai.service.args import AppArgs
from sunvai.service.backend import InProcessAsrBackend
from sunvai.service.transcription import TranscriptionService

LIMITS = {"max_files": 4, "max_file_bytes": 2_000_000, "max_archive_bytes": 3_000_000}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    args = AppArgs.model_validate({"batch": {"data_dir": str(tmp_path_factory.mktemp("batch")), **LIMITS}})
    service = TranscriptionService(args, InProcessAsrBackend({"whisper-base": FixedTextEngine("whisper-base", "x")}))
    api = BatchApi.open(service)
    with TestClient(create_app(service, batch_api=api)) as test_client:
        yield test_client
    api.store.close()


def zipped(entries: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def create(client, *parts: tuple[str, bytes]):
    return client.post("/stt/v3/batch/jobs", data={"config": json.dumps({"language_code": "en-IN"})},
                       files=[("files", part) for part in parts])


def jobs(client) -> int:
    return len(client.get("/stt/v3/batch/jobs", params={"limit": 100}).json()["data"])


def test_each_recording_becomes_a_job_file(client, clips):
    hello, call = clips.english["hello"].read_bytes(), clips.english["call"].read_bytes()
    archive = zipped({"calls/": b"", "calls/hello.wav": hello, "calls/call.wav": call,
                      "__MACOSX/calls/._hello.wav": b"junk", "calls/.DS_Store": b"junk"})
    response = create(client, ("calls.zip", archive), ("station.wav", hello))
    assert response.status_code == 201, response.text
    job_id = response.json()["job_id"]
    files = client.get(f"/stt/v3/batch/jobs/{job_id}/files").json()["data"]
    assert sorted(f["original_path"] for f in files) == ["calls.zip/calls/call.wav", "calls.zip/calls/hello.wav",
                                                         "station.wav"]
    storage = client.app.state.batch.storage
    stored = {f["original_path"]: storage.read_audio(job_id, f["file_id"]) for f in files}
    assert stored == {"calls.zip/calls/hello.wav": hello, "calls.zip/calls/call.wav": call, "station.wav": hello}


@pytest.mark.parametrize("entries, code, fragment", [
    # a bomb: 1.6 MB of zeros each, a few kilobytes packed; together over max_archive_bytes
    ({"a.wav": bytes(1_600_000), "b.wav": bytes(1_600_000)}, "archive_too_large", "unpacks to more than 3000000"),
    ({"a.wav": bytes(2_500_000)}, "file_too_large", "unpacks to 2500000 bytes"),
    ({"../evil.wav": b"RIFF"}, "unsafe_archive_path", "outside the archive"),
    ({"/etc/evil.wav": b"RIFF"}, "unsafe_archive_path", "outside the archive"),
    ({"inner.zip": zipped({"a.wav": b"RIFF"})}, "nested_archive", "archive inside the archive"),
    ({"looks-like.wav": zipped({"a.wav": b"RIFF"})}, "nested_archive", "archive inside the archive"),
    ({f"{n}.wav": b"RIFF" for n in range(5)}, "too_many_files", "more than 4 recordings"),
    ({"folder/": b""}, "missing_files", "no recordings"),
    ({"empty.wav": b""}, "empty_audio", "is empty"),
])
def test_refused_archives(client, entries, code, fragment):
    before = jobs(client)
    response = create(client, ("upload.zip", zipped(entries)))
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == code and fragment in error["message"] and "'upload.zip'" in error["message"]
    assert jobs(client) == before


def test_a_damaged_archive_is_refused_and_leaves_nothing(client, clips):
    data = bytearray(zipped({"hello.wav": clips.english["hello"].read_bytes()}))
    data[60:200] = bytes(140)  # inside the deflated data: the CRC check fails while it is unpacked
    before = jobs(client)
    response = create(client, ("broken.zip", bytes(data)))
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_archive", response.text
    assert jobs(client) == before
    response = create(client, ("cut.zip", bytes(data[:100])))
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_archive", response.text


def test_recordings_over_the_job_limit_across_parts(client, clips):
    hello = clips.english["hello"].read_bytes()
    response = create(client, ("a.zip", zipped({"1.wav": hello, "2.wav": hello, "3.wav": hello})),
                      ("b.zip", zipped({"4.wav": hello, "5.wav": hello})))
    assert response.status_code == 400 and response.json()["error"]["code"] == "too_many_files"
