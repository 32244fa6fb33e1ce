"""Hostile input on the app tier, generated with Hypothesis: zero 500s, zero crashes.

In process, real decoders and parsers, a stand-in ASR engine that returns a fixed text so that hundreds
of examples stay fast: mutated and random audio containers, malformed multipart bodies, random JSON on
every JSON surface. The Serve tier's share is tests/serve/test_hostile.py.
"""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sunvai.api.app import create_app
from sunvai.asr.standin import FixedTextEngine
from sunvai.service.args import AppArgs
from sunvai.service.backend import InProcessAsrBackend
from sunvai.service.transcription import TranscriptionService
from tests.hostile import assert_handled, audio_bodies, samples  # noqa: F401  (samples: the fixture)


@pytest.fixture(scope="module")
def app_client():
    args = AppArgs.model_validate({"batch": {"enabled": False}})
    service = TranscriptionService(args, InProcessAsrBackend({"whisper-base": FixedTextEngine("whisper-base",
                                                                                              "hello")}))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(service)), base_url="http://test",
                             timeout=60)


APP_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                                  HealthCheck.too_slow])


def test_mutated_audio_on_every_upload_surface(app_client, samples):
    @APP_SETTINGS
    @given(body=audio_bodies(samples), surface=st.sampled_from(["stt", "openai", "vakyansh"]))
    def check(body, surface):
        if surface == "stt":
            request = app_client.post("/stt/v3", files={"audio_file": ("a", body)}, data={"language_code": "en-IN"})
        elif surface == "openai":
            request = app_client.post("/v1/audio/transcriptions", files={"file": ("a", body)},
                                      data={"model": "whisper-1", "response_format": "verbose_json"})
        else:
            import base64

            request = app_client.post("/v1/recognize/en", json={
                "config": {"language": {"sourceLanguage": "en"}, "transcriptionFormat": {"value": "transcript"}},
                "audio": [{"audioContent": base64.b64encode(body).decode()}]})
        assert_handled(asyncio.run(request))

    check()


def test_malformed_multipart(app_client, samples):
    @APP_SETTINGS
    @given(prefix=st.binary(max_size=200), boundary=st.text(st.characters(min_codepoint=33, max_codepoint=126),
                                                           max_size=80), cut=st.integers(0, 400))
    def check(prefix, boundary, cut):
        good = (f"--b\r\nContent-Disposition: form-data; name=\"audio_file\"; filename=\"a.wav\"\r\n\r\n"
                ).encode() + samples["wav"][:200] + b"\r\n--b\r\nContent-Disposition: form-data; name=" \
                b"\"language_code\"\r\n\r\nen-IN\r\n--b--\r\n"
        body = prefix + good[:cut]
        response = asyncio.run(app_client.post("/stt/v3", content=body, headers={
            "content-type": f"multipart/form-data; boundary={boundary}"}))
        assert_handled(response)

    check()


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                                        max_size=4), max_leaves=12)


def test_random_json_on_every_json_surface(app_client):
    @APP_SETTINGS
    @given(body=st.one_of(json_values, st.dictionaries(st.sampled_from(["config", "audio", "text", "language"]),
                                                       json_values, max_size=3)),
           path=st.sampled_from(["/v1/recognize/hi", "/v1/punctuate/hi", "/v1/recognize/xx", "/stt/v3"]))
    def check(body, path):
        assert_handled(asyncio.run(app_client.post(path, content=json.dumps(body),
                                                   headers={"content-type": "application/json"})))

    check()
