"""App tier: the real FastAPI routes with real engines in-process, no Ray.

Every bad input gets its status, its error code and a message that says what
was wrong and what is accepted; the app keeps serving afterwards.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from sunvai.api.app import create_app
from sunvai.language_router.whisper_lid import WhisperLanguageIdentifier
from sunvai.service.args import AppArgs, Limits
from sunvai.service.backend import InProcessAsrBackend, InProcessLidBackend
from sunvai.service.transcription import TranscriptionService
from tests import speech

TIMESTAMP = re.compile(r"^\d{8}_\d{6}\.\d{3}$")


@pytest.fixture(scope="module")
def client(ct2_engine):
    args = AppArgs(limits=Limits(max_audio_duration_s=20, max_upload_bytes=2_000_000))
    service = TranscriptionService(args, InProcessAsrBackend({"whisper-base": ct2_engine}),
                                   lid=InProcessLidBackend(WhisperLanguageIdentifier(ct2_engine)))
    with TestClient(create_app(service)) as test_client:
        yield test_client


def post(client, data: bytes | None, filename="clip.bin", headers=None, **fields):
    files = {"audio_file": (filename, data, "application/octet-stream")} if data is not None else None
    return client.post("/stt/v3", files=files, data=fields, headers=headers or {})


def assert_error(response, status: int, code: str, *fragments: str):
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False and body["error"]["code"] == code
    assert body["request_id"] and TIMESTAMP.match(body["timestamp"])
    for fragment in fragments:
        assert fragment in body["error"]["message"], body["error"]["message"]
    return body


def test_success_body_has_every_field(client, clips):
    response = post(client, clips.english["hello"].read_bytes(), language_code="en-IN")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    assert body["request_id"].startswith("req_") and response.headers["x-api-request-id"] == body["request_id"]
    assert TIMESTAMP.match(body["timestamp"])
    assert speech.normalise(body["transcript"]) == speech.normalise(speech.ENGLISH["hello"])
    assert body["language_code"] == "en-IN" and body["model"] == "whisper-base"
    assert 1.0 < body["duration_s"] < 3.0 and body["processing_time_ms"] > 0


def test_request_id_is_echoed(client, clips):
    response = post(client, clips.english["call"].read_bytes(), headers={"X-API-Request-ID": "trace-42"},
                    language_code="en-IN")
    assert response.json()["request_id"] == "trace-42"
    assert response.headers["x-api-request-id"] == "trace-42"


def test_file_name_does_not_matter(client, clips):
    response = post(client, clips.english_as("call", "ogg").read_bytes(), filename="misnamed.wav",
                    language_code="en-IN")
    assert speech.normalise(response.json()["transcript"]) == speech.normalise(speech.ENGLISH["call"])


# A stand-in engine (not a model) that "hears" unpunctuated Hindi with an amount: the only way
# to show punctuation and ITN switches change the output, since whisper-base punctuates itself.
HINDI_AMOUNT = "मुझे पाँच हज़ार रुपये चाहिए"


@pytest.fixture(scope="module")
def standin_client():
    from sunvai.asr.standin import FixedTextEngine

    service = TranscriptionService(AppArgs(), InProcessAsrBackend({"whisper-base": FixedTextEngine("fixed",
                                                                                                  HINDI_AMOUNT)}))
    with TestClient(create_app(service)) as test_client:
        yield test_client


@pytest.mark.parametrize("fields, expected", [
    ({}, HINDI_AMOUNT + "।"),
    ({"punctuation": "false"}, HINDI_AMOUNT),
    ({"format": "transcribe"}, "मुझे ₹5,000 चाहिए।"),
    ({"format": "transcribe", "itn_native_numerals": "true"}, "मुझे ₹५,००० चाहिए।"),
    ({"format": "transcribe", "itn_native_numerals": "true", "punctuation": "false"}, "मुझे ₹५,००० चाहिए"),
    ({"itn_native_numerals": "true"}, HINDI_AMOUNT + "।"),  # numerals only with format=transcribe
])
def test_punctuation_and_itn_switches_change_the_transcript(standin_client, clips, fields, expected):
    response = post(standin_client, clips.hindi.read_bytes(), language_code="hi-IN", **fields)
    assert response.status_code == 200, response.text
    assert response.json()["transcript"] == expected


@pytest.fixture(scope="module")
def amount_clip(clips):
    return speech.speak("I need five thousand rupees.", "en", clips.dir / "amount.wav")


def test_transcribe_format_writes_amounts(client, amount_clip):
    verbatim = post(client, amount_clip.read_bytes(), language_code="en-IN").json()["transcript"]
    written = post(client, amount_clip.read_bytes(), language_code="en-IN", format="transcribe").json()["transcript"]
    assert "₹" not in verbatim and "rupees" in verbatim.lower()
    assert speech.normalise(written) == speech.normalise("I need ₹5,000") and "₹5,000" in written


def test_comma_list_identifies_the_language(client, clips):
    response = post(client, clips.english["station"].read_bytes(), language_code="hi-IN,en-IN")
    body = response.json()
    assert body["language_code"] == "en-IN" and body["language_confidence"] > 0.5
    assert body["language_runner_up"] == "hi-IN"
    assert set(body["language_candidates"]) == {"hi-IN", "en-IN"}


def test_preferred_language_overrides(client, clips):
    response = post(client, clips.hindi.read_bytes(), language_code="en-IN,hi-IN", preferred_language="hi-IN")
    body = response.json()
    assert body["language_code"] == "hi-IN" and "language_confidence" not in body


@pytest.mark.parametrize("fields, code, fragment", [
    ({"language_code": "xx-IN"}, "invalid_language", "accepted codes"),
    ({}, "invalid_language", "language_code is required"),
    ({"language_code": "en-IN,ta-IN", "preferred_language": "hi-IN"}, "invalid_language", "not among"),
    ({"language_code": "en-IN", "format": "fancy"}, "invalid_format", "verbatim, transcribe"),
    ({"language_code": "en-IN", "itn_native_numerals": "maybe"}, "invalid_itn_native_numerals", "true or false"),
])
def test_bad_parameters(client, clips, fields, code, fragment):
    assert_error(post(client, clips.english["hello"].read_bytes(), **fields), 400, code, fragment)


def test_missing_file(client):
    response = client.post("/stt/v3", data={"language_code": "hi-IN"}, files={"audio": ("a.wav", b"RIFF")})
    assert_error(response, 400, "missing_audio_file", "audio_file is required")


def test_urlencoded_form_is_refused_with_the_expected_shape(client):
    response = client.post("/stt/v3", data={"language_code": "hi-IN"})
    assert_error(response, 400, "invalid_content_type", "multipart/form-data", "audio_file")


def test_audio_file_as_text_field(client):
    response = client.post("/stt/v3", data={"audio_file": "not a file", "language_code": "hi-IN"},
                           files={"other": ("x", b"1")})
    assert_error(response, 400, "invalid_audio_file", "file part")


def test_not_multipart(client):
    response = client.post("/stt/v3", json={"language_code": "hi-IN"})
    assert_error(response, 400, "invalid_content_type", "multipart/form-data")


def test_empty_audio(client):
    assert_error(post(client, b"", language_code="hi-IN"), 400, "empty_audio", "empty", "WAV")


def test_non_audio(client):
    assert_error(post(client, b"%PDF-1.7 not audio" * 20, language_code="hi-IN"), 400, "undecodable_audio",
                 "accepted formats")


def test_truncated_audio(client, clips):
    data = clips.english["table"].read_bytes()
    assert_error(post(client, data[: len(data) // 3], language_code="en-IN"), 400, "truncated_audio", "truncated")


def test_too_long_audio(client, clips, tmp_path):
    long = speech.concat_with_silence([clips.english["table"]] * 9, tmp_path / "long.wav", gap_s=0.5)
    assert_error(post(client, long.read_bytes(), language_code="en-IN"), 400, "audio_too_long", "at most 20 s",
                 "batch")


def test_body_over_the_limit_by_content_length(client):
    response = post(client, b"\0" * 2_100_000, language_code="hi-IN")
    assert_error(response, 413, "payload_too_large", "limit is 2000000 bytes")


def test_body_over_the_limit_while_streaming(client):
    def chunks():
        for _ in range(30):
            yield b"\0" * 100_000

    boundary = "x"
    response = client.post("/stt/v3", content=chunks(),
                           headers={"content-type": f"multipart/form-data; boundary={boundary}"})
    assert_error(response, 413, "payload_too_large", "limit")


def test_bad_request_id(client, clips):
    response = post(client, clips.english["hello"].read_bytes(), headers={"X-API-Request-ID": "has space"},
                    language_code="en-IN")
    assert_error(response, 400, "invalid_request_id", "printable")


def test_silence_is_an_empty_transcript_not_an_error(client, tmp_path):
    response = post(client, speech.silence_wav(tmp_path / "s.wav", 2.0).read_bytes(), language_code="en-IN")
    assert response.status_code == 200 and response.json()["transcript"] == ""


def test_still_healthy_after_all_that(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "models": {"whisper-base": True, "punctuation": True, "itn": True,
                                                          "lid": True}}


# --- punctuation ---------------------------------------------------------------------------

@pytest.mark.parametrize("language, text, expected", [
    ("hi", "नमस्ते आप कैसे हैं", "नमस्ते आप कैसे हैं?"),
    ("hi", "मैं बाज़ार जा रहा हूँ", "मैं बाज़ार जा रहा हूँ।"),
    ("en", "how are you", "How are you?"),
    ("en", "i am going home", "I am going home."),
    ("hi-IN", "क्या आप आएंगे", "क्या आप आएंगे?"),
    ("ta", "நீங்கள் எப்படி இருக்கிறீர்கள்", "நீங்கள் எப்படி இருக்கிறீர்கள்?"),
])
def test_vakyansh_punctuate(client, language, text, expected):
    response = client.post(f"/v1/punctuate/{language}", json={"text": text, "language": language})
    assert response.status_code == 200 and response.json() == {"text": expected, "language": language}


def test_vakyansh_punctuate_with_itn(client):
    response = client.post("/v1/punctuate/hi", json={"text": "मुझे पाँच हज़ार रुपये चाहिए", "enabledItn": True})
    assert response.json()["text"] == "मुझे ₹5,000 चाहिए।"


@pytest.mark.parametrize("path, body, fragment", [
    ("/v1/punctuate/xx", {"text": "a"}, "not served"),
    ("/v1/punctuate/hi", {"language": "hi"}, "text: Field required"),
    ("/v1/punctuate/hi", {"text": "a" * 20_001}, "at most 20000"),
])
def test_vakyansh_punctuate_errors_in_grpc_json_shape(client, path, body, fragment):
    response = client.post(path, json=body)
    assert response.status_code == 400
    payload = response.json()
    assert payload["code"] == 3 and fragment in payload["message"] and payload["details"] == []
