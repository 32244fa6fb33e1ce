"""Hostile input on the Serve tier: the shared local graph with real models takes fewer examples of what
tests/app/test_hostile.py sends, and what only a real server has: huge headers, broken WebSocket frames,
malformed protobuf on gRPC. Zero 500s, and the server healthy after.
"""

from __future__ import annotations

import json

import grpc
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hostile import assert_handled, audio_bodies, samples  # noqa: F401  (samples: the fixture)

pytestmark = pytest.mark.serve

SERVE_SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))


def healthy(base_url: str) -> None:
    assert httpx.get(f"{base_url}/health", timeout=30).status_code == 200


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
