"""Hostile input, generated with Hypothesis: zero 500s, zero crashes, the server healthy after.

Two tiers. The app tier (in process, real decoders and parsers, a stand-in ASR engine that
returns a fixed text so that hundreds of examples stay fast) takes the volume: mutated and
random audio containers, malformed multipart bodies, random JSON on every JSON surface. The
Serve tier (the shared local graph, real models) takes fewer examples of the same and what
only a real server has: huge headers, broken WebSocket frames, malformed protobuf on gRPC.
"""

from __future__ import annotations

import asyncio
import json

import grpc
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sunvai.api.app import create_app
from sunvai.asr.standin import FixedTextEngine
from sunvai.service.args import AppArgs
from sunvai.service.backend import InProcessAsrBackend
from sunvai.service.transcription import TranscriptionService
from tests import speech

CONTAINERS = ("wav", "mp3", "ogg", "opus", "flac", "m4a", "webm")
CLIENT_ERRORS = {400, 401, 403, 404, 405, 408, 409, 413, 415, 422, 429, 431}


SAMPLES: dict[str, bytes] = {}  # container -> a real clip in it (filled by the fixture; kept out of reprs)


@pytest.fixture(scope="module")
def samples(clips) -> dict[str, bytes]:
    SAMPLES.update({fmt: (clips.english_as("hello", fmt) if fmt != "wav" else clips.english["hello"]).read_bytes()
                    for fmt in CONTAINERS})
    return SAMPLES


@st.composite
def mutated(draw) -> bytes:
    """A real container, then bytes flipped, cut, repeated or inserted, often in its header."""
    data = bytearray(SAMPLES[draw(st.sampled_from(CONTAINERS))])
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        kind = draw(st.sampled_from(["flip", "cut", "insert", "repeat", "zero_header"]))
        at = draw(st.one_of(st.integers(0, min(64, len(data) - 1)), st.integers(0, max(0, len(data) - 1))))
        if kind == "flip" and data:
            data[at] ^= draw(st.integers(1, 255))
        elif kind == "cut":
            data = data[:at]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        elif kind == "repeat":
            data += data[at:at + draw(st.integers(1, 4096))]
        else:
            data[:at] = bytes(at)
    return bytes(data)


def audio_bodies(samples):
    return st.one_of(mutated(), st.binary(max_size=2048))


@pytest.fixture(scope="module")
def app_client():
    args = AppArgs.model_validate({"batch": {"enabled": False}})
    service = TranscriptionService(args, InProcessAsrBackend({"whisper-base": FixedTextEngine("whisper-base",
                                                                                              "hello")}))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(service)), base_url="http://test",
                             timeout=60)


def assert_handled(response: httpx.Response) -> None:
    assert response.status_code == 200 or response.status_code in CLIENT_ERRORS, (response.status_code,
                                                                                   response.text[:300])
    if response.status_code >= 400:
        assert response.text, "an error without a message"


# --- app tier ---------------------------------------------------------------------------------------------
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


# --- Serve tier -------------------------------------------------------------------------------------------
SERVE_SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))


def healthy(base_url: str) -> None:
    assert httpx.get(f"{base_url}/health", timeout=30).status_code == 200


@pytest.mark.serve
def test_serve_mutated_audio_and_huge_headers(serve_instance, samples, clips):
    url = serve_instance.base_url

    @SERVE_SETTINGS
    @given(body=audio_bodies(samples), header_kb=st.integers(0, 96), many=st.integers(0, 300))
    def check(body, header_kb, many):
        headers = {"x-filler": "a" * (header_kb * 1024), **{f"x-h{n}": "v" for n in range(many)}}
        try:
            response = httpx.post(f"{url}/stt/v3", files={"audio_file": ("a", body)},
                                  data={"language_code": "en-IN"}, headers=headers, timeout=120)
        except httpx.RemoteProtocolError:
            assert header_kb * 1024 + many * 8 > 16 * 1024  # the HTTP server drops oversized header blocks
            return
        assert_handled(response)

    check()
    healthy(url)
    with open(clips.english["hello"], "rb") as audio:
        good = httpx.post(f"{url}/stt/v3", files={"audio_file": ("a.wav", audio.read())},
                          data={"language_code": "en-IN"}, timeout=120)
    assert good.status_code == 200 and good.json()["transcript"]


@pytest.mark.serve
def test_serve_broken_websocket_frames(serve_instance):
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    url = serve_instance.base_url.replace("http://", "ws://") + "/stt/v3/stream"
    frame = st.one_of(st.binary(max_size=4096), st.binary(min_size=65_000, max_size=70_000), st.text(max_size=200),
                      st.sampled_from(["EOS", '{"type": "end"}', "{", "null", '{"type": 5}']))

    @SERVE_SETTINGS
    @given(frames=st.lists(frame, min_size=1, max_size=8))
    def check(frames):
        with connect(url, additional_headers={"lang_code": "en-IN"}, open_timeout=30) as socket:
            assert json.loads(socket.recv(timeout=30))["type"] == "connected"
            try:
                for data in frames:
                    socket.send(data)
                socket.send("EOS")
                while True:
                    message = json.loads(socket.recv(timeout=60))
                    assert message.get("code") != "internal_error", message
            except ConnectionClosed as closed:
                code = (closed.rcvd or closed.sent).code
                assert code in (1000, 1008, 1009), code  # never 1011 (internal error)

    check()
    healthy(serve_instance.base_url)


@pytest.mark.serve
def test_serve_malformed_protobuf(serve_instance):
    channel = grpc.insecure_channel(serve_instance.grpc_target)
    grpc.channel_ready_future(channel).result(timeout=60)
    methods = ["recognize", "punctuate"]

    @SERVE_SETTINGS
    @given(payload=st.binary(max_size=512), method=st.sampled_from(methods))
    def check(payload, method):
        call = channel.unary_unary(f"/ekstep.speech_recognition.SpeechRecognizer/{method}",
                                   request_serializer=None, response_deserializer=None)
        try:
            call(payload, timeout=60)
        except grpc.RpcError as error:
            assert error.code() not in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN), (error.code(),
                                                                                             error.details())

    try:
        check()
    finally:
        channel.close()
    healthy(serve_instance.base_url)
