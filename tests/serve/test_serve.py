"""Serve tier: configs/local.yaml on a real local Ray instance, driven over real HTTP.

One Ray instance serves the whole session (see conftest.serve_instance).
"""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest

from tests import speech

pytestmark = pytest.mark.serve
TIMEOUT = httpx.Timeout(120.0)


def transcribe(base_url: str, path, language_code: str | None = None, **fields) -> httpx.Response:
    with open(path, "rb") as handle:
        data = {"language_code": language_code, **fields} if language_code else fields
        return httpx.post(f"{base_url}/stt/v3", files={"audio_file": (path.name, handle)}, data=data,
                          timeout=TIMEOUT)


@pytest.mark.parametrize("key", sorted(speech.ENGLISH))
def test_english_word_for_word(serve_instance, clips, key):
    response = transcribe(serve_instance.base_url, clips.english[key], "en-IN")
    assert response.status_code == 200, response.text
    body = response.json()
    assert speech.normalise(body["transcript"]) == speech.normalise(speech.ENGLISH[key])
    assert body["language_code"] == "en-IN" and body["model"] == "whisper-base"


@pytest.mark.parametrize("language_code, clip, block", [
    ("hi-IN", "hindi", ("\u0900", "\u097f")),
    ("ta-IN", "tamil", ("\u0b80", "\u0bff")),
])
def test_indic_speech_comes_back_in_its_script(serve_instance, clips, language_code, clip, block):
    body = transcribe(serve_instance.base_url, getattr(clips, clip), language_code).json()
    assert body["language_code"] == language_code
    letters = [ch for ch in body["transcript"] if ch.isalpha()]
    assert letters and sum(block[0] <= ch <= block[1] for ch in letters) / len(letters) > 0.9, body["transcript"]


@pytest.mark.parametrize("fmt", ["wav", "mp3", "ogg", "flac", "m4a", "webm", "opus"])
def test_every_format_over_http(serve_instance, clips, fmt):
    response = transcribe(serve_instance.base_url, clips.english_as("call", fmt), "en-IN")
    assert response.status_code == 200, response.text
    words = speech.normalise(response.json()["transcript"]).split()
    expected = speech.normalise(speech.ENGLISH["call"]).split()
    # lossy codecs may cost a word on robotic speech; most words must survive
    assert len(set(words) & set(expected)) >= len(expected) - 1, words


def test_official_vachana_sdk_unchanged(serve_instance, clips):
    from gnani.stt import GnaniSTTClient

    client = GnaniSTTClient(api_key="any-key", base_url=serve_instance.base_url)
    result = client.transcribe(str(clips.english["station"]), language_code="en-IN", request_id="sdk-trace-1")
    assert result["success"] is True and result["request_id"] == "sdk-trace-1"
    assert speech.normalise(result["transcript"]) == speech.normalise(speech.ENGLISH["station"])
    result = client.transcribe_bytes(clips.english["hello"].read_bytes(), filename="hello.wav", language_code="en-IN")
    assert speech.normalise(result["transcript"]) == speech.normalise(speech.ENGLISH["hello"])


def test_python_handle(serve_instance, clips):
    from ray import serve

    handle = serve.get_app_handle(serve_instance.app_name)
    result = handle.transcribe.remote(clips.english["table"].read_bytes(), "en-IN").result(timeout_s=120)
    assert speech.normalise(result["transcript"]) == speech.normalise(speech.ENGLISH["table"])
    assert result["segments"] and result["segments"][0]["start"] == 0.0
    assert "words" not in result["segments"][0]


def test_segments_and_words_from_rest_and_handle_agree(serve_instance, clips):
    """/stt/v3 and the Python handle return segments (and words on request) from the same code."""
    from ray import serve

    response = transcribe(serve_instance.base_url, clips.english["table"], "en-IN", word_timestamps="true")
    assert response.status_code == 200, response.text
    rest = response.json()["segments"]
    words = [w["word"] for s in rest for w in s["words"]]
    assert speech.normalise(" ".join(words)) == speech.normalise(speech.ENGLISH["table"])
    assert all(s["start"] <= w["start"] <= w["end"] <= s["end"] for s in rest for w in s["words"])
    handle = serve.get_app_handle(serve_instance.app_name)
    result = handle.transcribe.remote(clips.english["table"].read_bytes(), "en-IN",
                                      word_timestamps=True).result(timeout_s=120)
    # the same fields and values; confidences within 0.02 (a replica's lanes run 1 or 2 threads: the last
    # digits of a float differ)
    assert _without_confidence(result["segments"]) == _without_confidence(rest)
    assert all(abs(a - b) <= 0.02 for a, b in zip(_confidences(result["segments"]), _confidences(rest)))
    assert all(0 < w["probability"] <= 1 for s in rest for w in s["words"]) and all(0 < s["confidence"] <= 1
                                                                                   for s in rest)
    plain = transcribe(serve_instance.base_url, clips.english["table"], "en-IN").json()["segments"]
    assert plain and all("words" not in s for s in plain)


CONFIDENCES = ("confidence", "probability")


def _without_confidence(segments: list[dict]) -> list[dict]:
    def other(item: dict) -> dict:
        return {k: v for k, v in item.items() if k not in CONFIDENCES}
    return [{**other(s), "words": [other(w) for w in s.get("words", [])]} for s in segments]


def _confidences(segments: list[dict]) -> list[float]:
    return [item[k] for s in segments for item in (s, *s.get("words", [])) for k in CONFIDENCES if k in item]


def test_an_english_call_with_a_card_and_a_phone_number_comes_back_redacted(serve_instance, tmp_path):
    """whisper-base hears espeak-ng's digits with a digit too many or too few at times, so which kind each
    number is tagged as varies (a card off by a digit fails Luhn and is an account); what holds is that both
    are replaced, the words around them kept, and no run of digits is left."""
    said = ("Hello, I want to block my card. My card number is 4111 1111 1111 1111. My phone number is "
            "98765 43210. Thank you.")
    clip = speech.speak(said, "en", tmp_path / "call.wav", rate_wpm=140)
    response = transcribe(serve_instance.base_url, clip, "en-IN", redact="pii", word_timestamps="true")
    assert response.status_code == 200, response.text
    body = response.json()
    words = speech.normalise(body["transcript"]).split()
    for kept in ("block my card", "my card number is", "my phone number is", "thank you"):
        assert kept in " ".join(words), body["transcript"]
    assert sum(body["redactions"].values()) == 2 and body["transcript"].count("[") == 2, body
    texts = [body["transcript"], *(s["text"] for s in body["segments"]),
             *(w["word"] for s in body["segments"] for w in s["words"])]
    assert not re.search(r"\d{4}", " ".join(texts)), texts
    timed = [w for s in body["segments"] for w in s["words"]]
    assert [w["word"].strip() for w in timed if w["word"].strip().startswith("[")] == [
        f"[{kind.upper()}]" for kind in sorted(body["redactions"], key=lambda k: body["transcript"].index(f"[{k.upper()}]"))
        for _ in range(body["redactions"][kind])]


def test_python_handle_reports_bad_input(serve_instance):
    from ray import serve

    from sunvai.errors import BadRequest

    handle = serve.get_app_handle(serve_instance.app_name)
    with pytest.raises(BadRequest, match="empty"):
        handle.transcribe.remote(b"", "en-IN").result(timeout_s=60)


def test_bad_inputs_then_still_healthy(serve_instance, clips):
    base = serve_instance.base_url
    data = clips.english["table"].read_bytes()
    cases = [
        ({"audio_file": ("e.wav", b"")}, {"language_code": "hi-IN"}, 400, "empty_audio"),
        ({"audio_file": ("t.wav", data[:5000])}, {"language_code": "hi-IN"}, 400, "truncated_audio"),
        ({"audio_file": ("x.wav", b"not audio" * 100)}, {"language_code": "hi-IN"}, 400, "undecodable_audio"),
        ({"audio_file": ("a.wav", data)}, {"language_code": "zz"}, 400, "invalid_language"),
        ({"audio_file": ("big.wav", b"\0" * (51 * 2**20))}, {"language_code": "hi-IN"}, 413, "payload_too_large"),
    ]
    for files, fields, status, code in cases:
        response = httpx.post(f"{base}/stt/v3", files=files, data=fields, timeout=TIMEOUT)
        assert response.status_code == status, (code, response.text)
        assert response.json()["error"]["code"] == code
    health = httpx.get(f"{base}/health", timeout=TIMEOUT)
    assert health.status_code == 200 and health.json()["models"] == {
        "whisper-base": True, "punctuation": True, "itn": True, "lid": True}
    assert transcribe(base, clips.english["hello"], "en-IN").status_code == 200


def test_transcribe_format_writes_the_amount(serve_instance, clips):
    clip = speech.speak("I need five thousand rupees.", "en", clips.dir / "amount-en.wav")
    verbatim = transcribe(serve_instance.base_url, clip, "en-IN").json()["transcript"]
    written = transcribe(serve_instance.base_url, clip, "en-IN", format="transcribe").json()["transcript"]
    assert "₹" not in verbatim and "rupees" in verbatim.lower()
    assert "₹5,000" in written and speech.normalise(written) == speech.normalise("I need ₹5,000")
    native = transcribe(serve_instance.base_url, clip, "en-IN", format="transcribe", itn_native_numerals="true")
    assert "₹5,000" in native.json()["transcript"], "English keeps Latin digits"


def test_other_languages_stay_verbatim_with_transcribe(serve_instance, clips):
    verbatim = transcribe(serve_instance.base_url, clips.tamil, "ta-IN").json()["transcript"]
    written = transcribe(serve_instance.base_url, clips.tamil, "ta-IN", format="transcribe").json()["transcript"]
    assert written == verbatim


ALL_TEN = "bn-IN,en-IN,gu-IN,hi-IN,kn-IN,ml-IN,mr-IN,pa-IN,ta-IN,te-IN"


def test_english_among_hindi_and_english(serve_instance, clips):
    body = transcribe(serve_instance.base_url, clips.english["station"], "hi-IN,en-IN").json()
    assert body["language_code"] == "en-IN" and body["language_runner_up"] == "hi-IN"
    assert body["language_confidence"] > 0.5
    assert speech.normalise(body["transcript"]) == speech.normalise(speech.ENGLISH["station"])


def test_hindi_among_hindi_and_english(serve_instance, clips):
    body = transcribe(serve_instance.base_url, clips.hindi, "hi-IN,en-IN").json()
    assert body["language_code"] == "hi-IN", body


def test_english_among_all_ten(serve_instance, clips):
    body = transcribe(serve_instance.base_url, clips.english["table"], ALL_TEN).json()
    assert body["language_code"] == "en-IN" and set(body["language_candidates"]) == set(ALL_TEN.split(","))
    assert speech.normalise(body["transcript"]) == speech.normalise(speech.ENGLISH["table"])


def test_preferred_language_overrides_detection(serve_instance, clips):
    body = transcribe(serve_instance.base_url, clips.english["hello"], "hi-IN,en-IN",
                      preferred_language="hi-IN").json()
    assert body["language_code"] == "hi-IN" and "language_confidence" not in body


@pytest.mark.parametrize("fields, fragment", [
    ({"language_code": "hi-IN,xx-IN"}, "unknown language code 'xx-IN'"),
    ({"language_code": "hi-IN,,en-IN"}, "empty entry"),
    ({"language_code": "hi-IN,en-IN", "preferred_language": "ta-IN"}, "not among language_code"),
])
def test_bad_language_lists(serve_instance, clips, fields, fragment):
    response = transcribe(serve_instance.base_url, clips.english["hello"], **fields)
    assert response.status_code == 400 and fragment in response.json()["error"]["message"]


def test_punctuate_endpoint_through_the_graph(serve_instance):
    base = serve_instance.base_url
    question = httpx.post(f"{base}/v1/punctuate/hi", json={"text": "नमस्ते आप कैसे हैं"}, timeout=TIMEOUT).json()
    statement = httpx.post(f"{base}/v1/punctuate/hi", json={"text": "मैं बाज़ार जा रहा हूँ"}, timeout=TIMEOUT).json()
    english = httpx.post(f"{base}/v1/punctuate/en", json={"text": "where is the station"}, timeout=TIMEOUT).json()
    assert question["text"].endswith("?") and statement["text"].endswith("।")
    assert english == {"text": "Where is the station?", "language": "en"}


@pytest.mark.parametrize("key, mark", [("station", "?"), ("hello", "?"), ("call", "."), ("table", ".")])
def test_english_transcripts_end_with_the_right_mark(serve_instance, clips, key, mark):
    assert transcribe(serve_instance.base_url, clips.english[key], "en-IN").json()["transcript"].endswith(mark)


@pytest.mark.parametrize("language, clip", [("hi-IN", "hindi"), ("ta-IN", "tamil")])
def test_indic_transcripts_end_with_a_sentence_mark(serve_instance, clips, language, clip):
    transcript = transcribe(serve_instance.base_url, getattr(clips, clip), language).json()["transcript"]
    allowed = ("।", "?", ".", "!") if language == "hi-IN" else (".", "?", "!")  # Whisper's own "!" is kept
    assert transcript.endswith(allowed), transcript


# --- realtime WebSocket through the Serve proxy -------------------------------------------------

async def stream_over_websocket(base_url: str, pcm: bytes, headers: dict, pace_s: float) -> tuple[list, int]:
    import json as json_module

    import websockets

    messages = []
    async with websockets.connect(base_url.replace("http://", "ws://") + "/stt/v3/stream",
                                  additional_headers=headers, max_size=None) as ws:
        messages.append(json_module.loads(await ws.recv()))

        async def send():
            for frame in speech.frames(pcm):
                await ws.send(frame)
                if pace_s:
                    await asyncio.sleep(pace_s)
            await ws.send("EOS")

        async def receive():
            async for message in ws:
                messages.append(json_module.loads(message))

        await asyncio.gather(send(), receive())
    return messages, ws.close_code


@pytest.mark.parametrize("pace_s", [0.032, 0.0], ids=["real-time", "as-fast-as-possible"])
async def test_stream_two_utterances(serve_instance, clips, pace_s):
    pcm = speech.two_utterances_pcm(clips.english["hello"], clips.english["call"], 16000)
    messages, close_code = await stream_over_websocket(
        serve_instance.base_url, pcm, {"lang_code": "en-IN", "x-sample-rate": "16000"}, pace_s)
    found = [m for m in messages if m["type"] == "transcript"]
    assert [speech.normalise(m["text"]) for m in found] == [speech.normalise(speech.ENGLISH["hello"]),
                                                           speech.normalise(speech.ENGLISH["call"])]
    assert [m["segment_index"] for m in found] == [0, 1] and close_code == 1000
    assert messages[0]["type"] == "connected"


@pytest.mark.parametrize("rate", [8000, 48000])
async def test_stream_other_rates(serve_instance, clips, rate):
    pcm = speech.two_utterances_pcm(clips.english["station"], clips.english["hello"], rate)
    messages, _ = await stream_over_websocket(serve_instance.base_url, pcm, {"x-sample-rate": str(rate)}, 0.0)
    texts = [speech.normalise(m["text"]) for m in messages if m["type"] == "transcript"]
    assert texts == [speech.normalise(speech.ENGLISH["station"]), speech.normalise(speech.ENGLISH["hello"])]


async def test_official_stream_sdk_unchanged(serve_instance, clips):
    import io

    from gnani.stt import GnaniSTTStreamClient
    from gnani.stt.client import StreamTranscriptEvent

    pcm = speech.two_utterances_pcm(clips.english["hello"], clips.english["call"], 16000, tail_s=1.5)
    client = GnaniSTTStreamClient(api_key="any-key", language_code="en-IN", base_url=serve_instance.base_url)
    connected = await client.connect(request_id="sdk-stream-1")
    assert connected.sample_rate == 16000 and connected.chunk_size == 512
    results = await client.stream_audio(io.BytesIO(pcm), realtime_pace=True)
    assert all(isinstance(r, StreamTranscriptEvent) for r in results)
    assert [speech.normalise(r.text) for r in results] == [speech.normalise(speech.ENGLISH["hello"]),
                                                         speech.normalise(speech.ENGLISH["call"])]
    assert [r.segment_id for r in results] == ["sdk-stream-1-0", "sdk-stream-1-1"]


async def test_stream_bad_header_refused_through_the_proxy(serve_instance):
    import json as json_module

    import websockets

    url = serve_instance.base_url.replace("http://", "ws://") + "/stt/v3/stream"
    async with websockets.connect(url, additional_headers={"x-sample-rate": "11025"}) as ws:
        message = json_module.loads(await ws.recv())
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
    assert message["type"] == "error" and message["code"] == "invalid_sample_rate"
    assert closed.value.rcvd.code == 1008 and "8000, 16000, 44100, 48000" in closed.value.rcvd.reason


def ray_processes() -> dict[str, set[int]]:
    """The Ray instance this test session started (its processes descend from this one): each process's
    name and the nice values of its threads."""
    import os
    from pathlib import Path

    from sunvai.deployments.launch import descendants

    def niceness_of_threads(pid: int) -> set[int]:
        return {os.getpriority(os.PRIO_PROCESS, int(task.name)) for task in Path(f"/proc/{pid}/task").iterdir()}

    processes = {}
    for pid, command in descendants(os.getpid()):
        if command.startswith("ray::") or "/ray/core/src/ray/" in command:
            name = command.split()[0].rsplit("/", 1)[-1].split(".")[0]  # ray::ServeController.<its current call>
            processes[name] = niceness_of_threads(pid)
    return processes


def test_decode_path_at_normal_priority_background_lowered(serve_instance):
    """Ray's default puts every worker at nice 15, below its own processes and every client; the launcher
    starts Ray with RAY_worker_niceness=0 so the replicas on a request's path (ASR, ingress) and the
    proxy run at 0. What only keeps the graph going runs at args.background_niceness (19 in local.yaml),
    every thread of it, so its wake-ups no longer pre-empt a decode (docs/benchmarks.md)."""
    processes = ray_processes()
    assert serve_instance.config.applications[0].args["background_niceness"] == 19
    for name in ("ray::ServeReplica:sunvai:asr-whisper-base", "ray::ServeReplica:sunvai:ingress", "ray::ProxyActor",
                 "raylet"):
        assert processes[name] == {0}, (name, processes)
    for name in ("ray::ServeReplica:sunvai:batch", "ray::ServeController", "gcs_server"):
        assert processes[name] == {19}, (name, processes)


def asr_replica_pid() -> int:
    import os

    from sunvai.deployments.launch import descendants

    pids = [pid for pid, command in descendants(os.getpid())
            if command.startswith("ray::ServeReplica:sunvai:asr-whisper-base")]
    assert len(pids) == 1, pids
    return pids[0]


def page_faults(pid: int) -> int:
    """Minor page faults of process ``pid`` so far, all threads (/proc/PID/stat, field 10)."""
    from pathlib import Path

    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[7])


def test_asr_replica_reuses_its_memory(serve_instance, clips):
    """local.yaml preloads tcmalloc into the ASR replica (runtime_env LD_PRELOAD). On glibc's malloc the
    encoder's attention buffers (72 MB a layer) are mapped and zeroed afresh on every call: about 110,000
    page faults for one 30 s window, a third of the encoder's time. tcmalloc keeps freed memory for reuse:
    a few hundred (docs/benchmarks.md, levers)."""
    from pathlib import Path

    pid = asr_replica_pid()
    assert "libtcmalloc" in Path(f"/proc/{pid}/maps").read_text()
    transcribe(serve_instance.base_url, clips.english["station"], "en-IN")  # buffers of this size exist now
    before = page_faults(pid)
    for _ in range(2):
        response = transcribe(serve_instance.base_url, clips.english["station"], "en-IN")
        assert response.status_code == 200 and response.json()["transcript"], response.text
    assert page_faults(pid) - before < 2 * 20_000


def test_local_graph_keeps_small_stages_out_of_their_own_replicas(serve_instance, clips):
    """local.yaml: LID from the ASR replica's weights (lid.asr_model), punctuation and ITN inside the ingress
    (text_stages: ingress), so no lid, punctuation or itn replica runs. Identification still works (here and
    in the language list tests above), as do punctuation and ITN (test_punctuate_endpoint_through_the_graph,
    test_transcribe_format_writes_the_amount)."""
    args = serve_instance.config.applications[0].args
    assert args["lid"]["asr_model"] == "whisper-base" and args["text_stages"] == "ingress"
    replicas = {name for name in ray_processes() if name.startswith("ray::ServeReplica:")}
    assert replicas == {"ray::ServeReplica:sunvai:asr-whisper-base", "ray::ServeReplica:sunvai:ingress",
                        "ray::ServeReplica:sunvai:batch"}, replicas
    body = transcribe(serve_instance.base_url, clips.english["station"], "hi-IN,en-IN").json()
    assert body["language_code"] == "en-IN" and set(body["language_candidates"]) == {"hi-IN", "en-IN"}
