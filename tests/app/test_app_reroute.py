"""App tier: the transcript overrules a wrong identification once, and the response says so.

The language identifier here is a deliberately wrong stand-in (the real one gets
these clips right, so it cannot show a re-route); the ASR engine is real, with the
``script+latin`` lock: under the default ``strict`` lock English speech decoded as Hindi comes
out in Devanagari, so the script no longer gives the wrong pick away (langid on text still can
where candidates share a script).
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from sunvai.api.app import create_app
from sunvai.language_router.lid import LidResult, rank_candidates
from sunvai.service.args import AppArgs
from sunvai.service.backend import InProcessAsrBackend
from sunvai.service.transcription import TranscriptionService
from tests import speech


class WrongFirstCandidate:
    """Stand-in LID that always answers the first candidate with high confidence."""

    async def identify(self, audio, candidates: list[str]) -> LidResult:
        return rank_candidates({"hi": 0.9, "mr": 0.9, "en": 0.1}, candidates)

    async def readiness(self) -> dict[str, bool]:
        return {"lid": True}


@pytest.fixture(scope="module")
def latin_allowed_engine(model_store):
    from sunvai.asr.factory import ModelConfig, build_engine

    return build_engine(ModelConfig(name="whisper-base", engine="whisper-ct2", compute_type="float32", cpu_threads=2,
                                    script_lock="script+latin"), model_store)


def _client(engine, text_check: bool) -> TestClient:
    args = AppArgs.model_validate({"lid": {"text_check": text_check, "method": "detector"}})  # the stand-in picks
    service = TranscriptionService(args, InProcessAsrBackend({"whisper-base": engine}), lid=WrongFirstCandidate())
    return TestClient(create_app(service))


@pytest.mark.parametrize("wrong", ["hi-IN", "mr-IN"])
def test_latin_transcript_reroutes_to_english(latin_allowed_engine, clips, wrong):
    with _client(latin_allowed_engine, text_check=True) as client:
        response = client.post("/stt/v3", files={"audio_file": ("a.wav", clips.english["call"].read_bytes())},
                               data={"language_code": f"{wrong},en-IN"})
    body = response.json()
    assert body["language_code"] == "en-IN"
    assert body["language_rerouted_from"] == wrong and "Latin" in body["language_reroute_reason"]
    assert speech.normalise(body["transcript"]) == speech.normalise(speech.ENGLISH["call"])


def test_text_check_can_be_turned_off(latin_allowed_engine, clips):
    with _client(latin_allowed_engine, text_check=False) as client:
        response = client.post("/stt/v3", files={"audio_file": ("a.wav", clips.english["call"].read_bytes())},
                               data={"language_code": "hi-IN,en-IN"})
    body = response.json()
    assert body["language_code"] == "hi-IN" and "language_rerouted_from" not in body


def test_single_language_requests_are_never_rerouted(ct2_engine, clips):
    with _client(ct2_engine, text_check=True) as client:
        response = client.post("/stt/v3", files={"audio_file": ("a.wav", clips.english["call"].read_bytes())},
                               data={"language_code": "hi-IN"})
    assert response.json()["language_code"] == "hi-IN"
