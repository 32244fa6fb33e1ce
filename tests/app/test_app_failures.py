"""App tier: what callers see when the machinery itself fails.

The engines here are deliberately broken stand-ins (a real engine cannot be
made to crash or stay unready on demand); everything else is real.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from sunvai.api.app import create_app
from sunvai.asr.types import AsrRequest, AsrResult
from sunvai.service.args import AppArgs
from sunvai.service.backend import InProcessAsrBackend
from sunvai.service.transcription import TranscriptionService


class CrashingEngine:
    """Stand-in for an engine that fails mid-inference (e.g. a CUDA error)."""

    name = "whisper-base"

    def transcribe_batch(self, requests: list[AsrRequest]) -> list[AsrResult]:
        raise RuntimeError("simulated device failure with secret internals")


class NotReadyBackend(InProcessAsrBackend):
    async def readiness(self) -> dict[str, bool]:
        return {"whisper-base": False}


def test_engine_crash_is_a_500_with_the_error_shape_and_no_internals(clips):
    service = TranscriptionService(AppArgs(), InProcessAsrBackend({"whisper-base": CrashingEngine()}))
    with TestClient(create_app(service), raise_server_exceptions=False) as client:
        response = client.post("/stt/v3", files={"audio_file": ("a.wav", clips.english["hello"].read_bytes())},
                               data={"language_code": "en-IN"}, headers={"X-API-Request-ID": "crash-1"})
        assert response.status_code == 500
        body = response.json()
        assert body["success"] is False and body["request_id"] == "crash-1"
        assert body["error"]["code"] == "internal_error" and "crash-1" in body["error"]["message"]
        assert "secret internals" not in response.text
        # validation still works and the app still answers after the crash
        bad = client.post("/stt/v3", files={"audio_file": ("a.wav", b"")}, data={"language_code": "en-IN"})
        assert bad.status_code == 400


def test_health_is_503_until_every_model_is_ready():
    service = TranscriptionService(AppArgs(), NotReadyBackend({"whisper-base": CrashingEngine()}))
    with TestClient(create_app(service)) as client:
        response = client.get("/health")
        assert response.status_code == 503 and response.headers["retry-after"] == "5"
        assert response.json() == {"status": "starting", "models": {"whisper-base": False, "punctuation": True,
                                                                   "itn": True}}


async def test_admission_control_refuses_at_once_beyond_the_limit(clips):
    """Stand-in engine that holds each call 1 s (not a model): 2 admitted, the rest 503 before the hold ends."""
    import asyncio
    import time

    import httpx

    from sunvai.asr.standin import FixedTextEngine

    args = AppArgs.model_validate({"limits": {"max_concurrent_requests": 2}, "batch": {"enabled": False}})
    engine = FixedTextEngine("whisper-base", "hello", hold_s=1.0)
    service = TranscriptionService(args, InProcessAsrBackend({"whisper-base": engine}))
    audio = clips.english["hello"].read_bytes()
    app = create_app(service)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=60) as client:
        async def one():
            started = time.monotonic()
            response = await client.post("/stt/v3", files={"audio_file": ("a.wav", audio)},
                                         data={"language_code": "en-IN"})
            return response, time.monotonic() - started

        answers = await asyncio.gather(*(one() for _ in range(6)))
    codes = sorted(r.status_code for r, _ in answers)
    assert codes == [200, 200, 503, 503, 503, 503], codes
    for response, elapsed in answers:
        if response.status_code == 503:
            assert 1 <= int(response.headers["retry-after"]) <= 60 and elapsed < 0.9
            assert "max_concurrent_requests" in response.json()["error"]["message"]
    assert app.state.admission.in_flight == 0
