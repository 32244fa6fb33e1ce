"""Realtime WebSocket /stt/v3/stream, app tier: the real route, real VAD and a real ASR engine
in-process (Starlette's WebSocket test client). Where a test needs ASR to be slow or out of
order, it uses a stand-in backend around the real engine and says so."""

from __future__ import annotations

import asyncio
import time

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from sunvai.api.app import create_app
from sunvai.asr.types import AsrRequest, AsrResult
from sunvai.service.args import AppArgs
from sunvai.service.backend import InProcessAsrBackend
from sunvai.service.transcription import TranscriptionService
from tests import speech

EXPECTED = [speech.ENGLISH["hello"], speech.ENGLISH["call"]]


def make_client(backend, lid=None, **streaming) -> TestClient:
    args = AppArgs.model_validate({"streaming": streaming})
    return TestClient(create_app(TranscriptionService(args, backend, lid=lid)))


@pytest.fixture(scope="module")
def client(ct2_engine):
    with make_client(InProcessAsrBackend({"whisper-base": ct2_engine}), idle_timeout_s=2.0) as test_client:
        yield test_client


def run_stream(client, pcm: bytes, headers: dict, frame_bytes=1024, pace_s: float = 0.0) -> list[dict]:
    messages = []
    with client.websocket_connect("/stt/v3/stream", headers=headers) as ws:
        messages.append(ws.receive_json())
        for frame in speech.frames(pcm, frame_bytes):
            ws.send_bytes(frame)
            if pace_s:
                time.sleep(pace_s)
        ws.send_text("EOS")
        try:
            while True:
                messages.append(ws.receive_json())
        except WebSocketDisconnect as closed:
            messages.append({"type": "closed", "code": closed.code})
    return messages


def transcripts(messages) -> list[str]:
    return [m["text"] for m in messages if m["type"] == "transcript"]


def check_two_utterances(messages, language="en-IN"):
    assert messages[0]["type"] == "connected" and messages[0]["config"]["chunk_size"] == 512
    texts = transcripts(messages)
    assert [speech.normalise(t) for t in texts] == [speech.normalise(e) for e in EXPECTED], texts
    found = [m for m in messages if m["type"] == "transcript"]
    assert [m["segment_index"] for m in found] == [0, 1]
    for m in found:
        assert m["language_code"] == language and m["latency"] >= 0 and 1000 < m["audio_duration_ms"] < 4000
        assert m["segment_id"].endswith(f"-{m['segment_index']}") and m["timestamp"].endswith("Z")
    kinds = [m["type"] for m in messages]
    for kind in ("speech_start", "speech_end", "processing"):
        assert kinds.count(kind) == 2, kinds
    assert kinds.index("speech_start") < kinds.index("speech_end") < kinds.index("processing")
    assert messages[-1] == {"type": "closed", "code": 1000}


@pytest.mark.parametrize("rate", [16000, 8000, 44100, 48000])
def test_two_utterances_as_fast_as_possible(client, clips, rate):
    pcm = speech.two_utterances_pcm(clips.english["hello"], clips.english["call"], rate)
    check_two_utterances(run_stream(client, pcm, {"lang_code": "en-IN", "x-sample-rate": str(rate)}))


def test_frames_of_any_size(client, clips):
    pcm = speech.two_utterances_pcm(clips.english["hello"], clips.english["call"], 16000)
    check_two_utterances(run_stream(client, pcm, {"x-sample-rate": "16000"}, frame_bytes=777))


def test_request_id_header(client, clips):
    pcm = speech.two_utterances_pcm(clips.english["hello"], clips.english["call"], 16000)
    messages = run_stream(client, pcm, {"x-api-request-id": "stream-7"})
    assert messages[0]["request_id"] == "stream-7"
    assert all(m["segment_id"].startswith("stream-7-") for m in messages if "segment_id" in m)


@pytest.mark.parametrize("headers, expected", [
    ({}, "I need five thousand rupees."),
    ({"x-format": "verbatim"}, "I need five thousand rupees."),
    ({"x-format": "transcribe"}, "I need ₹5,000."),
    ({"x-format": "transcribe", "itn_native_numerals": "true"}, "I need ₹5,000."),  # English keeps Latin digits
])
def test_format_header_changes_the_transcripts(clips, headers, expected):
    """Stand-in engine (not a model): every segment "hears" an unpunctuated amount."""
    from sunvai.asr.standin import FixedTextEngine

    backend = InProcessAsrBackend({"whisper-base": FixedTextEngine("fixed", "I need five thousand rupees")})
    pcm = speech.two_utterances_pcm(clips.english["hello"], clips.english["call"], 16000)
    with make_client(backend) as standin:
        messages = run_stream(standin, pcm, {"lang_code": "en-IN", **headers})
    assert messages[0]["config"]["format"] == headers.get("x-format", "verbatim")
    assert transcripts(messages) == [expected, expected]


def test_hindi_native_numerals_in_the_stream(clips):
    from sunvai.asr.standin import FixedTextEngine

    backend = InProcessAsrBackend({"whisper-base": FixedTextEngine("fixed", "मुझे पाँच हज़ार रुपये चाहिए")})
    pcm = speech.two_utterances_pcm(clips.english["hello"], clips.english["call"], 16000)
    with make_client(backend) as standin:
        messages = run_stream(standin, pcm, {"lang_code": "hi-IN", "x-format": "transcribe",
                                             "itn_native_numerals": "true"})
    assert transcripts(messages) == ["मुझे ₹५,००० चाहिए।"] * 2


class RecordingBackend(InProcessAsrBackend):
    """The real engine; every request that reaches it is recorded (not a stand-in for ASR)."""

    def __init__(self, engines):
        super().__init__(engines)
        self.requests: list[AsrRequest] = []

    async def transcribe(self, model: str, request: AsrRequest) -> AsrResult:
        self.requests.append(request)
        return await super().transcribe(model, request)


def test_segments_reach_the_engine_as_vad_segments(ct2_engine, clips):
    """fit_encoder_window: vad_segments trims Whisper's window only for these; uploads keep 30 s."""
    backend = RecordingBackend({"whisper-base": ct2_engine})
    pcm = speech.two_utterances_pcm(clips.english["hello"], clips.english["call"], 16000)
    with make_client(backend) as recording:
        check_two_utterances(run_stream(recording, pcm, {}))
        streamed = list(backend.requests)
        upload = recording.post("/stt/v3", files={"audio_file": ("a.wav", clips.english["hello"].read_bytes())},
                                data={"language_code": "en-IN"})
    assert upload.status_code == 200
    assert len(streamed) == 2 and all(r.vad_segment for r in streamed)
    assert backend.requests[-1].vad_segment is False


def test_eos_without_trailing_silence_transcribes_the_open_segment(client, clips):
    pcm = speech.two_utterances_pcm(clips.english["hello"], clips.english["call"], 16000, tail_s=0.0)
    messages = run_stream(client, pcm, {})
    check_two_utterances(messages)


def test_long_speech_is_cut_at_max_segment_s_and_nothing_is_lost(ct2_engine, clips, tmp_path):
    backend = RecordingBackend({"whisper-base": ct2_engine})
    # two sentences with a 0.2 s gap: one stretch of speech (the VAD needs 0.5 s of silence)
    joined = speech.concat_with_silence([clips.english["table"], clips.english["station"]], tmp_path / "j.wav", 0.2)
    pcm = speech.two_utterances_pcm(joined, clips.english["hello"], 16000)
    with make_client(backend, max_segment_s=2.0) as capped:
        messages = run_stream(capped, pcm, {})
    ends = [m for m in messages if m["type"] == "speech_end"]
    assert any(m["forced"] for m in ends), ends
    assert all(len(r.audio) <= 2.0 * 16000 + 512 for r in backend.requests), "no segment over max_segment_s"
    texts = transcripts(messages)
    assert len(texts) == len(ends) >= 4 and messages[-1] == {"type": "closed", "code": 1000}
    heard = set(speech.normalise(" ".join(texts)).split())
    said = speech.normalise(" ".join(speech.ENGLISH[k] for k in ("table", "station", "hello"))).split()
    assert len(heard & set(said)) >= 0.7 * len(set(said)), texts  # cuts may clip a word at each join


def test_comma_list_identifies_each_segment(ct2_engine, clips):
    from sunvai.language_router.whisper_lid import WhisperLanguageIdentifier
    from sunvai.service.backend import InProcessLidBackend

    lid = InProcessLidBackend(WhisperLanguageIdentifier(ct2_engine))
    pcm = speech.two_utterances_pcm(clips.english["hello"], clips.english["call"], 16000)
    with make_client(InProcessAsrBackend({"whisper-base": ct2_engine}), lid=lid) as identifying:
        messages = run_stream(identifying, pcm, {"lang_code": "hi-IN,en-IN"})
    assert messages[0]["config"]["language_code"] == "hi-IN,en-IN"
    check_two_utterances(messages, language="en-IN")


def test_internal_failure_closes_with_1011_after_an_error_message(ct2_engine, clips, monkeypatch):
    """Fault injection: the VAD scorer raises after the first second of audio."""
    from sunvai.service import streaming

    def failing_scorer():
        calls = []

        def score(chunk):
            calls.append(1)
            if len(calls) > 31:
                raise RuntimeError("injected VAD failure")
            return 0.0
        return score

    monkeypatch.setattr(streaming, "silero_scorer", failing_scorer)
    pcm = speech.two_utterances_pcm(clips.english["hello"], clips.english["call"], 16000)
    with make_client(InProcessAsrBackend({"whisper-base": ct2_engine})) as failing:
        messages = run_stream(failing, pcm, {})
        assert failing.get("/health").status_code == 200
        assert failing.app.state.stream_limiter.total == 0
    assert messages[-2]["type"] == "error" and messages[-2]["code"] == "internal_error"
    assert messages[-1] == {"type": "closed", "code": 1011}


def test_interim_partials(client, clips, tmp_path):
    long = speech.concat_with_silence([clips.english["table"], clips.english["station"]], tmp_path / "l.wav", 0.2)
    pcm = speech.two_utterances_pcm(long, clips.english["hello"], 16000)
    messages = run_stream(client, pcm, {"x-interim-results": "true"}, pace_s=0.032)
    partials = [m for m in messages if m["type"] == "partial"]
    assert partials and all(m["segment_index"] in (0, 1) for m in partials)
    first_final = next(i for i, m in enumerate(messages) if m["type"] == "transcript")
    assert any(messages.index(p) < first_final for p in partials)


# --- refusals and limits -----------------------------------------------------------------------

def refused(client, headers) -> tuple[dict, int]:
    with client.websocket_connect("/stt/v3/stream", headers=headers) as ws:
        message = ws.receive_json()
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    return message, closed.value.code


@pytest.mark.parametrize("headers, code, fragment", [
    ({"x-sample-rate": "22050"}, "invalid_sample_rate", "8000, 16000, 44100, 48000"),
    ({"x-sample-rate": "fast"}, "invalid_sample_rate", "8000"),
    ({"lang_code": "xx-IN"}, "invalid_language", "accepted codes"),
    ({"x-format": "poetry"}, "invalid_format", "verbatim, transcribe"),
    ({"itn_native_numerals": "perhaps"}, "invalid_itn_native_numerals", "true or false"),
    ({"x-api-request-id": "has space"}, "invalid_request_id", "printable"),
])
def test_bad_headers_get_an_error_and_a_close(client, headers, code, fragment):
    message, close_code = refused(client, headers)
    assert message["type"] == "error" and message["code"] == code and fragment in message["message"]
    assert close_code == 1008


def test_idle_stream_times_out(client):
    with client.websocket_connect("/stt/v3/stream") as ws:
        assert ws.receive_json()["type"] == "connected"
        started = time.monotonic()
        message = ws.receive_json()
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert message["code"] == "idle_timeout" and closed.value.code == 4408
    assert 1.5 < time.monotonic() - started < 10


def test_frame_too_large(client):
    with client.websocket_connect("/stt/v3/stream") as ws:
        ws.receive_json()
        ws.send_bytes(b"\0" * (64 * 1024 + 2))
        message = ws.receive_json()
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert message["code"] == "frame_too_large" and closed.value.code == 1009


def test_a_protocol_error_still_delivers_the_speech_already_sent(client, clips):
    """An oversized frame after two sentences: both transcripts arrive before the 1009 close."""
    pcm = speech.two_utterances_pcm(clips.english["hello"], clips.english["call"], 16000)
    messages = []
    with client.websocket_connect("/stt/v3/stream") as ws:
        messages.append(ws.receive_json())
        for frame in speech.frames(pcm, 1024):
            ws.send_bytes(frame)
        ws.send_bytes(b"\0" * (64 * 1024 + 2))
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                messages.append(ws.receive_json())
    assert closed.value.code == 1009
    assert any(m.get("code") == "frame_too_large" for m in messages)
    assert [speech.normalise(t) for t in transcripts(messages)] == [speech.normalise(e) for e in EXPECTED]


def test_unknown_text_message_is_answered_and_the_stream_continues(client):
    with client.websocket_connect("/stt/v3/stream") as ws:
        ws.receive_json()
        ws.send_text("hello?")
        assert ws.receive_json()["code"] == "unknown_message"
        ws.send_text('{"type": "end"}')
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 1000


def test_stream_caps_per_server_and_per_key(ct2_engine):
    backend = InProcessAsrBackend({"whisper-base": ct2_engine})
    with make_client(backend, max_streams=2, max_streams_per_key=1) as capped:
        with capped.websocket_connect("/stt/v3/stream", headers={"x-api-key-id": "a"}) as first:
            first.receive_json()
            message, code = refused(capped, {"x-api-key-id": "a"})
            assert code == 1013 and message["code"] == "too_many_streams" and "API key" in message["message"]
            with capped.websocket_connect("/stt/v3/stream", headers={"x-api-key-id": "b"}) as second:
                second.receive_json()
                message, code = refused(capped, {"x-api-key-id": "c"})
                assert code == 1013 and "server" in message["message"]
        assert capped.app.state.stream_limiter.total == 0
        with capped.websocket_connect("/stt/v3/stream", headers={"x-api-key-id": "a"}) as again:
            assert again.receive_json()["type"] == "connected"


def test_streams_without_a_key_count_only_against_the_server(ct2_engine):
    # Auth off: streams that send no key once all shared one key's limit, so the server took 8, not 32.
    backend = InProcessAsrBackend({"whisper-base": ct2_engine})
    with make_client(backend, max_streams=3, max_streams_per_key=1) as capped:
        with capped.websocket_connect("/stt/v3/stream") as first, capped.websocket_connect("/stt/v3/stream") as second:
            assert first.receive_json()["type"] == second.receive_json()["type"] == "connected"
            with capped.websocket_connect("/stt/v3/stream", headers={"x-api-key-id": "a"}) as third:
                third.receive_json()
                message, code = refused(capped, {})
                assert code == 1013 and "this server already has 3 open streams" in message["message"]
        assert capped.app.state.stream_limiter.total == 0


# --- stand-in backends around the real engine ------------------------------------------------------

class SlowFirstBackend(InProcessAsrBackend):
    """Stand-in: the real engine, but the first segment takes 1.5 s longer, and concurrency is recorded."""

    def __init__(self, engines):
        super().__init__(engines)
        self.calls = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.cancelled = 0

    async def transcribe(self, model: str, request: AsrRequest) -> AsrResult:
        self.calls += 1
        call = self.calls
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(1.5 if call == 1 else 0.2)
            return (await asyncio.to_thread(self.engines[model].transcribe_batch, [request]))[0]
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        finally:
            self.in_flight -= 1

    async def readiness(self):
        return {"whisper-base": True}


def test_order_holds_when_a_later_segment_finishes_first(ct2_engine, clips):
    backend = SlowFirstBackend({"whisper-base": ct2_engine})
    pcm = speech.two_utterances_pcm(clips.english["hello"], clips.english["call"], 16000)
    with make_client(backend) as slow:
        messages = run_stream(slow, pcm, {})
    check_two_utterances(messages)
    assert backend.max_in_flight == 2, "both segments were in flight together"


def test_backpressure_bounds_segments_in_flight(ct2_engine, clips, tmp_path):
    backend = SlowFirstBackend({"whisper-base": ct2_engine})
    parts = [clips.english[k] for k in ("hello", "call", "station", "table")]
    four = speech.concat_with_silence(parts, tmp_path / "four.wav", gap_s=1.0)
    pcm = speech.two_utterances_pcm(four, clips.english["hello"], 16000)
    with make_client(backend, max_inflight_segments=1) as slow:
        messages = run_stream(slow, pcm, {})
    assert backend.max_in_flight == 1
    assert len(transcripts(messages)) == 5


def test_disconnect_mid_segment_frees_everything(ct2_engine, clips):
    backend = SlowFirstBackend({"whisper-base": ct2_engine})
    pcm = speech.two_utterances_pcm(clips.english["hello"], clips.english["call"], 16000)
    with make_client(backend) as slow:
        with slow.websocket_connect("/stt/v3/stream") as ws:
            ws.receive_json()
            for frame in speech.frames(pcm[: len(pcm) // 2]):  # first segment closed, second open
                ws.send_bytes(frame)
            while ws.receive_json()["type"] != "processing":
                pass
        deadline = time.monotonic() + 10
        while (slow.app.state.stream_limiter.total or backend.in_flight) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert slow.app.state.stream_limiter.total == 0 and backend.in_flight == 0
        assert backend.cancelled == 1, "the pending transcription was cancelled, not left running"
        assert slow.get("/health").status_code == 200
