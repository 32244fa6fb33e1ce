"""OpenAI Realtime transcription sessions, app tier: the real route under uvicorn on loopback, real Silero VAD
and whisper-base in-process, driven by the official openai SDK's realtime client (and, where a browser's
handshake is the point, by a bare WebSocket client). Keys: the real key store (SQLite) and access check."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import subprocess
import threading
import time

import httpx
import openai
import pytest
import uvicorn
from websockets.asyncio.client import connect

from sunvai.api.app import create_app
from sunvai.asr.types import AsrRequest, AsrResult
from sunvai.auth.access import AccessControl
from sunvai.auth.keys import KeyLimits, KeyStore
from sunvai.service.args import AppArgs
from sunvai.language_router.whisper_lid import WhisperLanguageIdentifier
from sunvai.service.backend import InProcessAsrBackend, InProcessLidBackend
from sunvai.service.transcription import TranscriptionService
from tests import speech
from tests.helpers import free_port

EXPECTED = [speech.ENGLISH["hello"], speech.ENGLISH["call"]]
INTENT = {"intent": "transcription"}
ENGLISH = {"type": "transcription", "audio": {"input": {"transcription": {"language": "en", "model": "whisper-1"}}}}
MANUAL = {"type": "transcription", "audio": {"input": {"transcription": {"language": "en"}, "turn_detection": None}}}


class Server(uvicorn.Server):
    """uvicorn, keeping its event loop (to count the tasks left on it)."""

    async def serve(self, sockets=None):
        self.loop = asyncio.get_running_loop()
        await super().serve(sockets)

    def tasks(self) -> int:
        async def count():
            return len(asyncio.all_tasks())
        return asyncio.run_coroutine_threadsafe(count(), self.loop).result(10)


@contextlib.contextmanager
def serving(app):
    """``app`` under uvicorn on a free loopback port, in a thread; yields (address, server)."""
    server = Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"127.0.0.1:{server.config.port}", server
    finally:
        server.should_exit = True
        thread.join(10)


class GatedBackend:
    """The real engine behind a gate: a call waits until ``open`` is set (a turn whose ASR is still running)
    and counts as running meanwhile; ``cancelled`` counts calls dropped while waiting. (A threading event:
    the server's loop runs in another thread.)"""

    def __init__(self, inner):
        self.inner, self.open, self.running, self.cancelled = inner, threading.Event(), 0, 0

    async def transcribe(self, model: str, request: AsrRequest) -> AsrResult:
        self.running += 1
        try:
            if not self.open.is_set():
                await asyncio.to_thread(self.open.wait)
            return await self.inner.transcribe(model, request)
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        finally:
            self.running -= 1

    async def readiness(self):
        return await self.inner.readiness()


@pytest.fixture(scope="module")
def backend(ct2_engine):
    return GatedBackend(InProcessAsrBackend({"whisper-base": ct2_engine}))


@pytest.fixture(scope="module")
def server(backend, ct2_engine):
    lid = InProcessLidBackend(WhisperLanguageIdentifier(ct2_engine))
    app = create_app(TranscriptionService(AppArgs.model_validate({"streaming": {"idle_timeout_s": 20}}), backend,
                                          lid=lid))
    with serving(app) as (address, uvicorn_server):
        yield address, app, uvicorn_server


@pytest.fixture(autouse=True)
def asr_flows(backend):
    backend.open.set()
    yield
    backend.open.set()


def sdk(address: str, key: str = "none") -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(api_key=key, base_url=f"http://{address}/v1", websocket_base_url=f"ws://{address}/v1")


@pytest.fixture(scope="module")
def sentences(clips):
    return clips.english["hello"], clips.english["call"]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def append_all(conn, data: bytes, size: int = 9600) -> None:
    for at in range(0, len(data), size):
        await conn.input_audio_buffer.append(audio=b64(data[at:at + size]))


async def events_until(conn, done, timeout_s: float = 90.0) -> list[dict]:
    """Raw server events (JSON objects) until ``done(events)`` holds."""
    events: list[dict] = []

    async def read():
        while not done(events):
            events.append(json.loads(await conn.recv_bytes()))

    await asyncio.wait_for(read(), timeout_s)
    return events


def of_type(events: list[dict], kind: str) -> list[dict]:
    return [e for e in events if e["type"] == kind]


def completed(count: int):
    """Until ``count`` turns have ended (completed or failed: a failure must not wait for the timeout)."""
    return lambda events: len([e for e in events if e["type"] in (
        "conversation.item.input_audio_transcription.completed",
        "conversation.item.input_audio_transcription.failed")]) >= count


def error_seen(events) -> bool:
    return bool(of_type(events, "error"))


def check_turns(events: list[dict], expected: list[str]) -> None:
    """Each turn: committed, its item, deltas that concatenate to its transcript, completed; transcripts in order."""
    finals = of_type(events, "conversation.item.input_audio_transcription.completed")
    assert [speech.normalise(f["transcript"]) for f in finals] == [speech.normalise(t) for t in expected], finals
    committed = [e["item_id"] for e in of_type(events, "input_audio_buffer.committed")]
    assert [f["item_id"] for f in finals] == committed
    for final in finals:
        item = final["item_id"]
        positions = {e["type"]: i for i, e in enumerate(events) if e.get("item_id") == item or
                     e.get("item", {}).get("id") == item}
        assert positions["input_audio_buffer.committed"] < positions["conversation.item.input_audio_transcription.completed"]
        deltas = [e["delta"] for e in events if e["type"].endswith("transcription.delta") and e["item_id"] == item]
        assert "".join(deltas) == final["transcript"] and len(deltas) >= 3
        assert final["usage"]["type"] == "duration" and 1.0 < final["usage"]["seconds"] < 5.0


async def test_server_vad_two_sentences_at_24k(server, sentences):
    address, app, _ = server
    pcm = speech.two_utterances_pcm(*sentences, 24_000)
    async with sdk(address).realtime.connect(extra_query=INTENT) as conn:
        created = json.loads(await conn.recv_bytes())
        assert created["type"] == "session.created"
        assert created["session"]["audio"]["input"]["format"]["type"] == "audio/pcm"
        await conn.session.update(session=ENGLISH)
        await append_all(conn, pcm)
        events = await events_until(conn, completed(2))
    assert events[0]["type"] == "session.updated"
    assert events[0]["session"]["audio"]["input"]["transcription"]["language"] == "en"
    check_turns(events, EXPECTED)
    started, stopped = of_type(events, "input_audio_buffer.speech_started"), of_type(events, "input_audio_buffer.speech_stopped")
    assert [e["item_id"] for e in started] == [e["item_id"] for e in stopped] == [
        e["item_id"] for e in of_type(events, "input_audio_buffer.committed")]
    # the first sentence starts after 0.5 s of silence (less the VAD's padding); the second after the pause
    assert 0 <= started[0]["audio_start_ms"] < 500 < stopped[0]["audio_end_ms"] < started[1]["audio_start_ms"]
    assert of_type(events, "conversation.item.added")[1]["previous_item_id"] == started[0]["item_id"]
    for final in of_type(events, "conversation.item.input_audio_transcription.completed"):
        assert "logprobs" not in final and final["language_code"] == "en-IN"
    assert not [e for e in events if e["type"].endswith("delta") and "logprobs" in e]


async def test_manual_commit_clear_and_the_older_session_events(server, sentences):
    """turn_detection null: nothing is transcribed until a commit; clear drops what was appended; a commit
    of almost nothing is an error after which the session goes on."""
    address, _, _ = server
    first, second = (speech.pcm(s, 24_000) for s in sentences)
    async with sdk(address).realtime.connect(extra_query=INTENT) as conn:
        await conn.recv_bytes()
        await conn.send({"type": "transcription_session.update", "session": {
            "input_audio_format": "pcm16", "turn_detection": None,
            "input_audio_transcription": {"model": "whisper-1", "language": "en"}}})
        await append_all(conn, first)
        await conn.input_audio_buffer.commit()
        events = await events_until(conn, completed(1))
        await append_all(conn, second)  # cleared: never transcribed
        await conn.input_audio_buffer.clear()
        await conn.input_audio_buffer.commit()  # an empty buffer
        events += await events_until(conn, error_seen)
        await append_all(conn, second)
        await conn.input_audio_buffer.commit()
        events += await events_until(conn, completed(1))
    updated = events[0]
    assert updated["type"] == "transcription_session.updated" and updated["session"]["turn_detection"] is None
    assert not of_type(events, "input_audio_buffer.speech_started")  # no VAD
    check_turns(events, EXPECTED)
    assert len(of_type(events, "input_audio_buffer.cleared")) == 1
    error = of_type(events, "error")[0]["error"]
    assert error["code"] == "input_audio_buffer_commit_empty" and "at least 100 ms" in error["message"]
    assert len(of_type(events, "conversation.item.created")) == 2 and not of_type(events, "conversation.item.added")


async def test_logprobs_only_when_asked(server, sentences):
    address, _, _ = server
    first = speech.pcm(sentences[0], 24_000)
    async with sdk(address).realtime.connect(extra_query=INTENT) as conn:
        await conn.recv_bytes()
        await conn.session.update(session={**MANUAL, "include": ["item.input_audio_transcription.logprobs"]})
        await append_all(conn, first)
        await conn.input_audio_buffer.commit()
        events = await events_until(conn, completed(1))
    final = of_type(events, "conversation.item.input_audio_transcription.completed")[0]
    entries = final["logprobs"]
    assert entries and all(e["logprob"] <= 0 and bytes(e["bytes"]).decode("utf-8", "replace") == e["token"]
                           for e in entries)
    # the tokens spell the model's words; the deltas share them out in order
    assert speech.normalise(b"".join(bytes(e["bytes"]) for e in entries).decode()) == speech.normalise(EXPECTED[0])
    shared = [entry for e in of_type(events, "conversation.item.input_audio_transcription.delta") for entry in e["logprobs"]]
    assert shared == entries


@pytest.mark.parametrize("law, codec", [("audio/pcmu", "pcm_mulaw"), ("audio/pcma", "pcm_alaw")])
async def test_g711_input(server, sentences, law, codec):
    address, _, _ = server
    pcm8k = speech.two_utterances_pcm(*sentences, 8000)
    g711 = subprocess.run(["ffmpeg", "-loglevel", "error", "-f", "s16le", "-ar", "8000", "-ac", "1", "-i", "-",
                           "-f", codec.removeprefix("pcm_"), "-"], input=pcm8k, capture_output=True, check=True).stdout
    assert len(g711) * 2 == len(pcm8k)  # one byte a sample
    async with sdk(address).realtime.connect(extra_query=INTENT) as conn:
        await conn.recv_bytes()
        await conn.session.update(session={"type": "transcription", "audio": {"input": {
            "format": {"type": law}, "transcription": {"language": "en"}}}})
        await append_all(conn, g711, 3200)
        events = await events_until(conn, completed(2))
    assert events[0]["session"]["audio"]["input"]["format"]["type"] == law
    check_turns(events, EXPECTED)


async def test_bad_events_get_errors_and_the_session_goes_on(server, sentences):
    address, _, _ = server
    wav = sentences[0].read_bytes()
    bad = [
        ({"type": "no.such.event"}, "invalid_event", "unknown event type"),
        ({"type": "response.create"}, "invalid_event", "not available in a transcription session"),
        ({"type": "session.update", "session": {"type": "transcription", "audio": {"input": {
            "format": {"type": "audio/pcm", "rate": 16000}}}}}, "invalid_value", "24000 Hz only"),
        ({"type": "session.update", "session": {"type": "transcription", "audio": {"input": {
            "format": {"type": "audio/wav"}}}}}, "invalid_value", "accepted: audio/pcm"),
        ({"type": "session.update", "session": {"type": "realtime"}}, "invalid_value", "transcription sessions"),
        ({"type": "session.update", "session": {"type": "transcription", "audio": {"input": {
            "transcription": {"language": "fr"}}}}}, "invalid_language", "not served"),
        ({"type": "input_audio_buffer.append", "audio": b64(wav)}, "invalid_audio_format", "holds a file"),
        ({"type": "input_audio_buffer.append", "audio": "not base64!"}, "invalid_value", "not valid base64"),
        ({"type": "input_audio_buffer.append"}, "invalid_value", "needs `audio`"),
    ]
    async with sdk(address).realtime.connect(extra_query=INTENT) as conn:
        await conn.recv_bytes()
        for number, (payload, code, fragment) in enumerate(bad):
            await conn.send_raw(json.dumps({**payload, "event_id": f"client_{number}"}))
            error = (await events_until(conn, error_seen, 30))[-1]["error"]
            assert (error["code"], error["event_id"]) == (code, f"client_{number}") and fragment in error["message"], error
            assert error["type"] == "invalid_request_error"
        await conn.send_raw("{not json")
        assert (await events_until(conn, error_seen, 30))[-1]["error"]["code"] == "invalid_json"
        await conn.send_raw(b"\x00\x01")  # a binary frame
        assert "JSON text events" in (await events_until(conn, error_seen, 30))[-1]["error"]["message"]
        await conn.session.update(session=MANUAL)  # none of the above changed the session
        await append_all(conn, speech.pcm(sentences[0], 24_000))
        await conn.input_audio_buffer.commit()
        events = await events_until(conn, completed(1))
    assert events[0]["session"]["audio"]["input"]["format"] == {"type": "audio/pcm", "rate": None}
    check_turns(events, EXPECTED[:1])


async def test_a_client_gone_mid_utterance_leaves_nothing_behind(server, backend, sentences):
    """The turn is with ASR when the client goes: its call is cancelled, the stream's slot is free again and no
    session task is left running."""
    address, app, uvicorn_server = server
    backend.open.clear()
    tasks_before = uvicorn_server.tasks()
    async with sdk(address).realtime.connect(extra_query=INTENT) as conn:
        await conn.recv_bytes()
        await conn.session.update(session=MANUAL)
        await append_all(conn, speech.pcm(sentences[0], 24_000))
        await conn.input_audio_buffer.commit()
        await events_until(conn, lambda events: of_type(events, "input_audio_buffer.committed"))
        deadline = time.monotonic() + 30
        while backend.running == 0:  # the turn reached ASR
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)
        assert app.state.stream_limiter.total == 1
    deadline = time.monotonic() + 30
    while backend.running or app.state.stream_limiter.total:
        assert time.monotonic() < deadline, (backend.running, app.state.stream_limiter.total)
        await asyncio.sleep(0.01)
    assert backend.cancelled == 1
    assert uvicorn_server.tasks() == tasks_before


async def test_the_session_needs_the_transcription_intent(server):
    address, _, _ = server
    async with connect(f"ws://{address}/v1/realtime?model=gpt-realtime") as ws:
        error = json.loads(await ws.recv())
        assert error["type"] == "error" and "intent=transcription" in error["error"]["message"]
        with pytest.raises(Exception):
            await ws.recv()
    assert ws.close_code == 1008


# --- keys -------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def keyed(backend, tmp_path_factory):
    store = KeyStore(f"sqlite:///{tmp_path_factory.mktemp('realtime-keys') / 'keys.db'}")
    service = TranscriptionService(AppArgs(), backend, access=AccessControl(store, cache_ttl_s=0))
    with serving(create_app(service)) as (address, _):
        yield address, store
    store.close()


async def test_a_browser_key_in_the_subprotocol(keyed):
    address, store = keyed
    key, _ = store.create("browser")
    async with connect(f"ws://{address}/v1/realtime?intent=transcription",
                       subprotocols=["realtime", f"openai-insecure-api-key.{key}"]) as ws:
        assert ws.subprotocol == "realtime"
        assert json.loads(await ws.recv())["type"] == "session.created"
    async with connect(f"ws://{address}/v1/realtime?intent=transcription", subprotocols=["realtime"]) as ws:
        error = json.loads(await ws.recv())["error"]
        assert error["type"] == "authentication_error" and "needs an API key" in error["message"]


async def test_a_key_over_its_stream_limit_gets_an_error_event(keyed):
    address, store = keyed
    key, _ = store.create("one-stream", limits=KeyLimits(max_streams=1))
    async with sdk(address, key).realtime.connect(extra_query=INTENT) as first:
        assert json.loads(await first.recv_bytes())["type"] == "session.created"
        async with sdk(address, key).realtime.connect(extra_query=INTENT) as second:
            error = json.loads(await second.recv_bytes())
            assert error["type"] == "error" and error["error"]["code"] == "too_many_streams"
            assert error["error"]["type"] == "rate_limit_exceeded"
    async with sdk(address, key).realtime.connect(extra_query=INTENT) as again:  # the slot came back
        assert json.loads(await again.recv_bytes())["type"] == "session.created"


async def test_client_secrets_open_sessions_with_their_configuration(keyed, sentences):
    address, store = keyed
    key, record = store.create("server-side")
    minted = await sdk(address, key).realtime.client_secrets.create(
        session=MANUAL, expires_after={"anchor": "created_at", "seconds": 60})
    assert minted.value.startswith("ek_") and key not in minted.value and minted.expires_at > time.time()
    async with sdk(address, minted.value).realtime.connect(extra_query=INTENT) as conn:
        created = json.loads(await conn.recv_bytes())
        assert created["session"]["audio"]["input"]["turn_detection"] is None  # as minted
        await append_all(conn, speech.pcm(sentences[0], 24_000))
        await conn.input_audio_buffer.commit()
        check_turns(await events_until(conn, completed(1)), EXPECTED[:1])
    legacy = httpx.post(f"http://{address}/v1/realtime/transcription_sessions", headers={"Authorization": f"Bearer {key}"},
                        json={"input_audio_format": "g711_ulaw", "client_secret": {"expires_at": {"seconds": 30}}})
    assert legacy.status_code == 200 and legacy.json()["input_audio_format"] == "g711_ulaw"
    async with sdk(address, legacy.json()["client_secret"]["value"]).realtime.connect(extra_query=INTENT) as conn:
        assert json.loads(await conn.recv_bytes())["session"]["audio"]["input"]["format"]["type"] == "audio/pcmu"
    # a secret opens realtime sessions only, cannot mint more, and a tampered one is refused
    rest = httpx.post(f"http://{address}/v1/audio/transcriptions", headers={"Authorization": f"Bearer {minted.value}"},
                      data={"model": "whisper-1"}, files={"file": ("a.wav", sentences[0].read_bytes())})
    assert rest.status_code == 403 and "realtime sessions only" in rest.json()["error"]["message"]
    again = httpx.post(f"http://{address}/v1/realtime/client_secrets", headers={"Authorization": f"Bearer {minted.value}"},
                       json={})
    assert again.status_code == 403 and "cannot mint" in again.json()["error"]["message"]
    tampered = minted.value[:-3] + ("AAA" if not minted.value.endswith("AAA") else "BBB")
    async with sdk(address, tampered).realtime.connect(extra_query=INTENT) as conn:
        assert json.loads(await conn.recv_bytes())["error"]["code"] == "invalid_client_secret"
    store.revoke(record.id)  # revoking the key revokes its secrets
    async with sdk(address, minted.value).realtime.connect(extra_query=INTENT) as conn:
        assert "revoked" in json.loads(await conn.recv_bytes())["error"]["message"]


async def test_languages_identified_per_turn(server, sentences):
    """language "hi,en" (sunvai's extension): each turn identified among the two."""
    address, _, _ = server
    async with sdk(address).realtime.connect(extra_query=INTENT) as conn:
        await conn.recv_bytes()
        await conn.session.update(session={**MANUAL, "audio": {"input": {"transcription": {"language": "hi,en"},
                                                                          "turn_detection": None}}})
        await append_all(conn, speech.pcm(sentences[1], 24_000))
        await conn.input_audio_buffer.commit()
        events = await events_until(conn, completed(1))
    check_turns(events, EXPECTED[1:])
    assert of_type(events, "conversation.item.input_audio_transcription.completed")[0]["language_code"] == "en-IN"


async def test_itn_and_native_numerals_as_session_fields(sentences):
    """The ITN extension fields reach the same post-processing as /stt/v3 (a stand-in engine that always
    says a Hindi amount: the fields are under test, not the model)."""
    from sunvai.asr.standin import FixedTextEngine

    engine = FixedTextEngine("fixed", "मुझे पाँच हज़ार रुपये चाहिए")
    with serving(create_app(TranscriptionService(AppArgs(), InProcessAsrBackend({"whisper-base": engine})))) as (
            address, _):
        async with sdk(address).realtime.connect(extra_query=INTENT) as conn:
            await conn.recv_bytes()
            texts = []
            for fields in ({}, {"itn": True}, {"itn": True, "native_numerals": True, "punctuation": False}):
                await conn.session.update(session={"type": "transcription", "audio": {"input": {
                    "turn_detection": None, "transcription": {"language": "hi", **fields}}}})
                await append_all(conn, speech.pcm(sentences[0], 24_000))
                await conn.input_audio_buffer.commit()
                events = await events_until(conn, completed(1))
                texts.append(of_type(events, "conversation.item.input_audio_transcription.completed")[0]["transcript"])
    assert texts == ["मुझे पाँच हज़ार रुपये चाहिए।", "मुझे ₹5,000 चाहिए।", "मुझे ₹५,००० चाहिए"]
