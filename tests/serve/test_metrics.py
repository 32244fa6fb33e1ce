"""Metrics and access logs from the real graph: GET /metrics relays Ray's export with sunvai_ series."""

from __future__ import annotations

import glob
import time

import httpx
import pytest

pytestmark = pytest.mark.serve


def _samples(text: str) -> list:
    from prometheus_client.parser import text_string_to_metric_families

    return [s for family in text_string_to_metric_families(text) for s in family.samples]


def _value(samples, name: str, **labels) -> float:
    return sum(s.value for s in samples if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()))


def test_requests_show_up_in_metrics_and_access_logs(serve_instance, clips):
    url = serve_instance.base_url

    def metric_text() -> str:
        response = httpx.get(f"{url}/metrics", timeout=30)
        assert response.status_code == 200
        return response.text

    before = _samples(metric_text())
    base_ok = _value(before, "sunvai_requests_total", surface="stt_v3", status="200", language="en-IN")
    base_bad = _value(before, "sunvai_requests_total", surface="stt_v3", status="400")
    for n in range(2):
        response = httpx.post(f"{url}/stt/v3", data={"language_code": "en-IN"},
                              headers={"X-API-Request-ID": f"metrics-test-{n}"},
                              files={"audio_file": ("hello.wav", clips.english["hello"].read_bytes())}, timeout=120)
        assert response.status_code == 200
    assert httpx.post(f"{url}/stt/v3", data={"language_code": "en-IN"},
                      files={"audio_file": ("x.wav", b"nope" * 100)}, timeout=60).status_code == 400
    deadline = time.monotonic() + 90  # Ray exports metrics every few seconds
    while True:
        samples = _samples(metric_text())
        ok = _value(samples, "sunvai_requests_total", surface="stt_v3", status="200", language="en-IN") - base_ok
        bad = _value(samples, "sunvai_requests_total", surface="stt_v3", status="400") - base_bad
        if ok >= 2 and bad >= 1:
            break
        assert time.monotonic() < deadline, f"metrics did not arrive: ok {ok}, bad {bad}"
        time.sleep(1)
    assert _value(samples, "sunvai_request_duration_seconds_count", surface="stt_v3") >= 3
    assert _value(samples, "sunvai_audio_seconds_total", surface="stt_v3", language="en-IN") > 0
    assert _value(samples, "sunvai_real_time_factor_count", surface="stt_v3") >= 2
    assert any(s.name.startswith("ray_serve_") for s in samples), "Ray Serve's own series are relayed too"
    deadline = time.monotonic() + 30
    while True:  # the ingress replica's Serve log, in whichever Ray session dir this instance has
        logs = [line for path in glob.glob("/tmp/ray/session_*/logs/serve/replica_*ingress*.log")
                for line in open(path, errors="replace")
                if "metrics-test-1" in line and '"surface": "stt_v3"' in line]
        if logs or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert logs and '"status": 200' in logs[0] and '"language": "en-IN"' in logs[0], logs[:1]


def test_stream_sessions_and_batch_files_are_counted_too(serve_instance, clips):
    import json as jsonlib

    from websockets.sync.client import connect

    from tests import speech

    url = serve_instance.base_url

    def samples():
        return _samples(httpx.get(f"{url}/metrics", timeout=30).text)

    before = samples()
    base_stream = _value(before, "sunvai_requests_total", surface="stream", status="200")
    base_batch = _value(before, "sunvai_requests_total", surface="batch_file", status="200")
    with connect(url.replace("http://", "ws://") + "/stt/v3/stream", additional_headers={"lang_code": "en-IN"},
                 open_timeout=30) as socket:
        for frame in speech.frames(speech.pcm(clips.english["hello"])):
            socket.send(frame)
        socket.send("EOS")
        try:
            while True:
                jsonlib.loads(socket.recv(timeout=60))
        except Exception:  # noqa: BLE001 - the server closes after the last transcript
            pass
    job = httpx.post(f"{url}/stt/v3/batch/jobs", files=[("files", ("a.wav", clips.english["hello"].read_bytes()))],
                     data={"config": jsonlib.dumps({"language_code": "en-IN"})}, timeout=60).json()["job_id"]
    assert httpx.post(f"{url}/stt/v3/batch/jobs/{job}/start", timeout=30).status_code == 200
    deadline = time.monotonic() + 180
    while True:
        now = samples()
        streams = _value(now, "sunvai_requests_total", surface="stream", status="200") - base_stream
        files = _value(now, "sunvai_requests_total", surface="batch_file", status="200") - base_batch
        if streams >= 1 and files >= 1:
            break
        assert time.monotonic() < deadline, f"stream {streams}, batch file {files}"
        time.sleep(1)
    assert _value(now, "sunvai_audio_seconds_total", surface="stream", language="en-IN") > 0
    assert any(s.name == "sunvai_in_flight_requests" for s in now)
    assert any(s.name == "sunvai_open_streams" for s in now)
