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
