"""OpenAI's REST transcriptions, app tier, through the official openai SDK (over Starlette's test client):
``include[]=logprobs`` on json and streamed answers, and ``chunking_strategy`` reaching the long-form VAD."""

from __future__ import annotations

import openai
import pytest
from fastapi.testclient import TestClient

from sunvai.api.app import create_app
from sunvai.asr.types import AsrRequest, AsrResult, Segment
from sunvai.service.args import AppArgs
from sunvai.service.backend import InProcessAsrBackend
from sunvai.service.transcription import TranscriptionService
from tests import speech


@pytest.fixture(scope="module")
def client(ct2_engine):
    service = TranscriptionService(AppArgs(), InProcessAsrBackend({"whisper-base": ct2_engine}))
    with TestClient(create_app(service)) as test_client:
        yield openai.OpenAI(api_key="none", base_url=f"{test_client.base_url}/v1", http_client=test_client,
                            max_retries=0)


@pytest.fixture(scope="module")
def recording(clips):
    """Six sentences 4 s apart (about 40 s): the long-form path, two chunks."""
    path = clips.dir / "openai-rest-recording.wav"
    speech.placed_recording(speech.LONG_SENTENCES[:6], path, gap_s=4.0)
    return path


def test_logprobs_in_json_and_streamed_alike(client, recording):
    with open(recording, "rb") as audio:
        plain = client.audio.transcriptions.create(model="whisper-1", file=audio, language="en",
                                                   include=["logprobs"])
    entries = [(e.token, e.logprob, tuple(e.bytes)) for e in plain.logprobs]
    assert len(entries) > 20 and all(logprob <= 0 and bytes(map(int, raw)).decode("utf-8", "replace") == token
                                     for token, logprob, raw in entries)
    spelled = b"".join(bytes(map(int, raw)) for *_, raw in entries).decode()
    assert speech.normalise(spelled) == speech.normalise(plain.text)
    with open(recording, "rb") as audio:
        events = list(client.audio.transcriptions.create(model="whisper-1", file=audio, language="en", stream=True,
                                                         include=["logprobs"]))
    deltas = [e for e in events if e.type == "transcript.text.delta"]
    assert len(deltas) >= 3 and all(d.logprobs for d in deltas)
    streamed = [(e.token, e.logprob, tuple(e.bytes)) for d in deltas for e in d.logprobs]
    assert streamed == [(e.token, e.logprob, tuple(e.bytes)) for e in events[-1].logprobs] == entries
    with open(recording, "rb") as audio:  # not asked: none
        assert client.audio.transcriptions.create(model="whisper-1", file=audio, language="en").logprobs is None


@pytest.mark.parametrize("extra, fragment", [
    ({"include": ["logprobs"], "response_format": "verbose_json"}, "response_format json"),
    ({"include": ["everything"]}, "include must be"),
    ({"chunking_strategy": {"type": "server_vad", "threshold": 3}}, "chunking_strategy must be"),
    ({"chunking_strategy": "manual"}, "chunking_strategy must be"),
])
def test_refusals(client, clips, extra, fragment):
    with open(clips.english["hello"], "rb") as audio, pytest.raises(openai.BadRequestError) as info:
        client.audio.transcriptions.create(model="whisper-1", file=audio, language="en", **extra)
    assert fragment in info.value.message


class HeardBackend:
    """A stand-in ASR stage that transcribes nothing and sums the audio it was sent."""

    def __init__(self):
        self.heard_s = 0.0

    async def transcribe(self, model: str, request: AsrRequest) -> AsrResult:
        self.heard_s += request.duration_s
        return AsrResult("words", "en", (Segment(0.0, request.duration_s, "words"),))

    async def readiness(self):
        return {"whisper-base": True}


def test_chunking_strategy_sets_the_long_form_vad(clips, recording):
    """Pauses are dropped from chunks (args.longform.drop_pauses): with silence_duration_ms longer than the
    recording's 4 s pauses no pause ends speech and all of it is sent; with server_vad's defaults (the server's
    own settings, as "auto") the pauses are left out."""
    backend = HeardBackend()
    with TestClient(create_app(TranscriptionService(AppArgs(), backend))) as test_client:
        client = openai.OpenAI(api_key="none", base_url=f"{test_client.base_url}/v1", http_client=test_client,
                               max_retries=0)
        heard = {}
        for name, strategy in [("auto", "auto"), ("server_vad", {"type": "server_vad"}),
                               ("long_silence", {"type": "server_vad", "silence_duration_ms": 10_000})]:
            backend.heard_s = 0.0
            with open(recording, "rb") as audio:
                client.audio.transcriptions.create(model="whisper-1", file=audio, language="en",
                                                   chunking_strategy=strategy)
            heard[name] = backend.heard_s
    assert heard["auto"] == heard["server_vad"] < heard["long_silence"] - 15, heard
