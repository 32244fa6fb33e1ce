"""Redaction through every surface of the app, with a fixed-text stand-in engine (labelled; not a model) that
"hears" a Hindi sentence with a spoken Aadhaar number and a phone number: /stt/v3, the OpenAI SDK (REST and
Realtime), the Vachana stream, Vakyansh REST and batch jobs. The identifiers must not reach the responses, the
access log, the batch store, the transcript files or the callback."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from pathlib import Path

import openai
import pytest
from fastapi.testclient import TestClient

from sunvai.api.app import create_app
from sunvai.api.vachana.batch import BatchApi
from sunvai.asr.standin import FixedTextEngine
from sunvai.batch.store import NewFile
from sunvai.redaction.checksums import verhoeff_check_digit
from sunvai.service.args import AppArgs
from sunvai.service.backend import InProcessAsrBackend
from sunvai.service.batch_worker import BatchWorker
from sunvai.service.transcription import TranscriptionService
from tests import speech
from tests.app.test_openai_realtime import append_all, completed, events_until, of_type, sdk, serving
from tests.app.test_streaming import run_stream, transcripts
from tests.audio_server import AudioServer

HI = "शून्य एक दो तीन चार पाँच छह सात आठ नौ".split()
AADHAAR = "73412341234" + verhoeff_check_digit("73412341234")
PHONE = "9876543210"


def said(digits: str) -> str:
    return " ".join(HI[int(d)] for d in digits)


HEARD = f"मेरा आधार नंबर {said(AADHAAR)} है और फ़ोन {said(PHONE)} है"
REDACTED = "मेरा आधार नंबर [AADHAAR] है और फ़ोन [PHONE] है"
SECRETS = (AADHAAR, PHONE, said(AADHAAR), said(PHONE), AADHAAR[-6:], said(AADHAAR[-6:]))


def leaks(blob: str | bytes) -> list[str]:
    text = blob.decode("utf-8", "replace") if isinstance(blob, bytes) else blob
    return [s for s in SECRETS if s in text]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    args = AppArgs.model_validate({
        "models": [{"name": "whisper-base", "engine": "fixed-text", "stand_in": {"text": HEARD}}],
        "batch": {"data_dir": str(tmp_path_factory.mktemp("batch")), "lease_s": 3, "poll_s": 0.1},
        "fetch": {"allow_hosts": ["127.0.0.1"]}, "streaming": {"idle_timeout_s": 20},
    })
    return create_app(TranscriptionService(args, InProcessAsrBackend({"whisper-base": FixedTextEngine(
        "whisper-base", HEARD)})))


@pytest.fixture(scope="module")
def client(app):
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def access_lines(caplog):
    caplog.set_level(logging.INFO, logger="sunvai.access")
    return caplog


def test_stt_v3(client, clips, access_lines):
    audio = {"audio_file": ("a.wav", clips.english["hello"].read_bytes())}
    plain = client.post("/stt/v3", files=audio, data={"language_code": "hi-IN", "punctuation": "false"}).json()
    assert plain["transcript"] == HEARD and "redactions" not in plain  # nothing asked, nothing changed
    for fmt in ("verbatim", "transcribe"):
        response = client.post("/stt/v3", files=audio, data={"language_code": "hi-IN", "redact": "pii",
                                                             "format": fmt, "punctuation": "false"})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["transcript"] == REDACTED and body["segments"][0]["text"] == REDACTED
        assert body["redactions"] == {"aadhaar": 1, "phone": 1} and not leaks(response.text)
    masked = client.post("/stt/v3", files=audio, data={"language_code": "hi-IN", "redact": "aadhaar",
                                                       "redact_style": "mask", "punctuation": "false"}).json()
    assert masked["transcript"] == f"मेरा आधार नंबर ********{AADHAAR[-4:]} है और फ़ोन {said(PHONE)} है"
    assert not leaks("\n".join(r.getMessage() for r in access_lines.records))
    bad = client.post("/stt/v3", files=audio, data={"language_code": "hi-IN", "redact": "aadhar"})
    error = bad.json()["error"]
    assert bad.status_code == 400 and error["code"] == "invalid_redact"
    assert "unknown entity kind 'aadhar'" in error["message"] and "card, aadhaar, pan" in error["message"]


def test_openai_sdk(client, clips):
    sdk_client = openai.OpenAI(api_key="none", base_url=f"{client.base_url}/v1", http_client=client, max_retries=0)
    with open(clips.english["hello"], "rb") as audio:
        verbose = sdk_client.audio.transcriptions.create(
            model="whisper-1", file=audio, language="hi", response_format="verbose_json",
            extra_body={"redact": "pii"})
    assert verbose.text.rstrip("।") == REDACTED and verbose.redactions == {"aadhaar": 1, "phone": 1}
    assert not leaks(verbose.model_dump_json())
    with open(clips.english["hello"], "rb") as audio:
        srt = sdk_client.audio.transcriptions.create(model="whisper-1", file=audio, language="hi",
                                                     response_format="srt", extra_body={"redact": "pii"})
    assert "[AADHAAR]" in srt and not leaks(srt)
    with open(clips.english["hello"], "rb") as audio, pytest.raises(openai.BadRequestError) as refused:
        sdk_client.audio.transcriptions.create(model="whisper-1", file=audio, extra_body={"redact": "pii",
                                                                                          "redact_style": "x"})
    assert "redact_style must be one of tag, mask" in str(refused.value)


def test_vachana_stream(client, clips):
    pcm = speech.two_utterances_pcm(clips.english["hello"], clips.english["call"], 16000)
    messages = run_stream(client, pcm, {"lang_code": "hi-IN", "x-redact": "pii", "x-interim-results": "true"},
                          pace_s=0.002)
    finals = transcripts(messages)
    assert len(finals) == 2 and all(f.rstrip("।") == REDACTED for f in finals)
    assert not leaks(json.dumps(messages, ensure_ascii=False))  # partials too


def test_vakyansh_rest(client, clips):
    audio = base64.b64encode(speech.pcm(clips.english["hello"])).decode()
    body = {"config": {"detailed": True}, "audio": [{"audioContent": audio}]}
    response = client.post("/v1/recognize/hi", json=body, headers={"x-redact": "pii"})
    assert response.status_code == 200 and REDACTED in response.json()["output"][0]["source"]
    assert not leaks(response.text)
    assert said(AADHAAR) in client.post("/v1/recognize/hi", json=body).json()["output"][0]["source"]


async def test_openai_realtime(app, clips):
    session = {"type": "transcription", "audio": {"input": {"transcription": {"language": "hi", "redact": "pii"}}}}
    with serving(app) as (address, _):
        async with sdk(address).realtime.connect(extra_query={"intent": "transcription"}) as conn:
            await conn.recv_bytes()
            await conn.session.update(session=session)
            await append_all(conn, speech.two_utterances_pcm(clips.english["hello"], clips.english["call"], 24_000))
            events = await events_until(conn, completed(2))
    finals = of_type(events, "conversation.item.input_audio_transcription.completed")
    assert [f["transcript"].rstrip("।") for f in finals] == [REDACTED] * 2
    assert not leaks(json.dumps(events, ensure_ascii=False))


async def test_batch_store_files_and_callback(app, clips, access_lines):
    service = app.state.service
    api = BatchApi.open(service)
    worker = BatchWorker(api.store, api.storage, service, service.args.batch, owner="test", housekeeping_s=0.2)
    try:
        with AudioServer({"/a.wav": clips.english["hello"]}) as server:
            job_id, file_ids = api.store.create_job({"language_code": "hi-IN", "redact": ["pii"]},
                                                    [NewFile("a.wav", server.url("/a.wav"))],
                                                    callback_url=server.url("/hook"))
            api.store.start_job(job_id)
            stop = asyncio.Event()
            loop = asyncio.create_task(worker.run(stop))
            for _ in range(600):
                if api.store.get_job(job_id).callback_status in ("SENT", "FAILED"):
                    break
                await asyncio.sleep(0.1)
            stop.set()
            await loop
            hooks = [body for path, body in server.posts if path == "/hook"]
        document = json.loads(api.storage.read_transcript(job_id, file_ids[0]))
        assert document["full_transcript"].rstrip("।") == REDACTED
        assert document["redactions"] == {"aadhaar": 1, "phone": 1}
        assert hooks and not any(leaks(h) for h in hooks)
        # the store's database and every file beside it (the audio itself is fetched, never stored here)
        written = [p for p in Path(service.args.batch.data_dir).rglob("*") if p.is_file()]
        assert len(written) >= 2 and not [str(p) for p in written if leaks(p.read_bytes())]
        assert not leaks("\n".join(r.getMessage() for r in access_lines.records))
    finally:
        api.store.close()


# --- the profanity filter through the surfaces (a stand-in that "hears" Hinglish with profanity) ---------------
SWORE = "यह बहनचोद सिस्टम फिर से बंद है yaar, what the fuck"
MASKED = "यह ब**** सिस्टम फिर से बंद है yaar, what the f***"


@pytest.fixture(scope="module")
def swearing():
    args = AppArgs.model_validate({"models": [{"name": "whisper-base", "engine": "fixed-text",
                                               "stand_in": {"text": SWORE}}]})
    app = create_app(TranscriptionService(args, InProcessAsrBackend({"whisper-base": FixedTextEngine(
        "whisper-base", SWORE)})))
    with TestClient(app) as test_client:
        yield test_client


def test_profanity_filter_on_every_surface(swearing, clips):
    audio = {"audio_file": ("a.wav", clips.english["hello"].read_bytes())}
    fields = {"language_code": "hi-IN", "punctuation": "false"}
    assert swearing.post("/stt/v3", files=audio, data=fields).json()["transcript"] == SWORE
    body = swearing.post("/stt/v3", files=audio, data={**fields, "profanity_filter": "true"}).json()
    assert body["transcript"] == MASKED and body["segments"][0]["text"] == MASKED and "redactions" not in body
    sdk_client = openai.OpenAI(api_key="none", base_url=f"{swearing.base_url}/v1", http_client=swearing,
                               max_retries=0)
    with open(clips.english["hello"], "rb") as handle:
        text = sdk_client.audio.transcriptions.create(model="whisper-1", file=handle, language="hi",
                                                      response_format="text", extra_body={"profanity_filter": "true"})
    assert text.strip().rstrip("।") == MASKED
    pcm = base64.b64encode(speech.pcm(clips.english["hello"])).decode()
    for flag, expected in ((True, MASKED), (False, SWORE)):
        response = swearing.post("/v1/recognize/hi", json={"config": {"profanityFilter": flag},
                                                           "audio": [{"audioContent": pcm}]})
        assert response.status_code == 200 and response.json()["output"][0]["source"] == expected, response.text
    messages = run_stream(swearing, speech.two_utterances_pcm(clips.english["hello"], clips.english["call"], 16000),
                          {"lang_code": "hi-IN", "x-profanity-filter": "true"})
    assert [t.rstrip("।") for t in transcripts(messages)] == [MASKED, MASKED]


async def test_vakyansh_stream_with_metadata(app, clips):
    """recognize_audio (gRPC's bidirectional stream, driven here without the wire): x-redact and
    x-profanity-filter from the call's metadata reach every final."""
    from sunvai.api.vakyansh.proto import speech_recognition_pb2 as pb
    from sunvai.api.vakyansh.protocol import Extensions

    pcm = speech.pcm(clips.english["hello"])

    async def messages():
        yield pb.Message(audio=pcm, user="u1", language="hi", speaking=True)
        yield pb.Message(user="u1", language="hi", speaking=False)
        yield pb.Message(user="u1", language="hi", isEnd=True)

    extensions = Extensions.parse({"x-redact": "pii"})
    responses = [r async for r in app.state.vakyansh.recognize_audio(messages(), extensions=extensions)]
    final = json.loads(responses[-2].transcription)["transcription"]
    assert final.rstrip("।") == REDACTED and not leaks(final)
    with pytest.raises(Exception, match="x-audio-encoding must be one of"):
        Extensions.parse({"x-audio-encoding": "opus"})
