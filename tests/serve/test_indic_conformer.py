"""IndicConformer through the real graph: a tiny checkpoint in the release's layout
(tests/indic_conformer_checkpoint.py) loaded by the model store, on every surface.

A second application ("indic") beside the shared one, for this module, its models imported into a
model cache with ``sunvai models import`` and named by their library names: Hindi, Tamil and
Telugu route to the IndicConformer engine; English and Hinglish to a labelled stand-in (they
must stay on Whisper, which this module does not need); a tiny Whisper fine-tune (no timestamps)
serves Marathi (and Hindi through OpenAI's ``model`` field); a small VoxLingua107 ECAPA identifies
languages. The tiny model's weights are random, so its
words are arbitrary, but they must be in the language's script, timed, and the same on every
surface. A third application with a checkpoint that lacks a file must fail to deploy with the
file named, and leave the others serving.
"""

from __future__ import annotations

import asyncio
import json
import time

import grpc
import httpx
import pytest
from ray.serve.schema import ServeDeploySchema
from typer.testing import CliRunner

from sunvai.api.vakyansh.proto import speech_recognition_pb2 as pb
from sunvai.api.vakyansh.proto import speech_recognition_pb2_grpc as pb_grpc
from sunvai.deployments import launch
from tests import speech
from sunvai.cli.main import app as cli
from tests.ecapa_checkpoint import write_checkpoint as write_ecapa
from tests.indic_conformer_checkpoint import SCRIPT_START, write_checkpoint
from tests.whisper_finetune_checkpoint import write_finetune

pytestmark = pytest.mark.serve
APP, BROKEN = "indic", "indic-broken"
NO_CPU = {"num_cpus": 0}
ONE_REPLICA = {"min_replicas": 1, "max_replicas": 1}
ENGLISH = "this is the english stand in"
FINETUNE = "whisper-hindi-tiny"


def app_config(name: str, checkpoint, data_dir, cache=None) -> dict:
    """``checkpoint``: a folder, or a library name in ``cache`` (where the Whisper fine-tune is too)."""
    models = [
        {"name": "indic", "engine": "indic-conformer", "source": str(checkpoint), "cpu_threads": 1,
         "max_batch_size": 4, "batch_wait_timeout_s": 0.05},
        {"name": "english", "engine": "fixed-text", "stand_in": {"text": ENGLISH}, "max_batch_size": 1},
    ]
    if cache is not None:  # reached through OpenAI's `model` field
        models.append({"name": FINETUNE, "source": FINETUNE, "compute_type": "float32", "cpu_threads": 1,
                       "max_batch_size": 1, "language": "hi"})
    args = {
        "models": models,
        "model_cache_dir": str(cache) if cache is not None else None,
        "languages": {"hi-IN": "indic", "ta-IN": "indic", "te-IN": "indic", "en-IN": "english",
                      "en-hi-in-cm": "english", "en-hi-IN-latn": "english",
                      **({"mr-IN": FINETUNE} if cache is not None else {})},
        "fallback_model": "english",
        "lid": ({"engine": "ecapa", "source": "lang-id-voxlingua107-ecapa", "max_batch_size": 4, "text_check": False}
                if cache is not None else {"engine": "first-candidate", "max_batch_size": 1, "text_check": False}),
        "text_stages": "ingress",
        "batch": {"data_dir": str(data_dir), "workers_per_replica": 1},
        "limits": {"max_audio_duration_s": 60},
    }
    names = ["ingress", "asr-indic", "asr-english", "lid", "batch"] + ([f"asr-{FINETUNE}"] if cache else [])
    return {"name": name, "route_prefix": f"/{name}", "import_path": "sunvai.graph:build_app", "args": args,
            "deployments": [{"name": n, "ray_actor_options": NO_CPU, "autoscaling_config": ONE_REPLICA}
                            for n in names]}


@pytest.fixture(scope="module")
def indic(serve_instance, tmp_path_factory):
    from ray import serve

    folder = tmp_path_factory.mktemp("indic-app")
    cache = folder / "model-cache"  # both models pulled elsewhere and imported here, as on an air-gapped machine
    for source in (write_checkpoint(folder / "indic-conformer-600m-multilingual"),
                   write_finetune(folder / FINETUNE), write_ecapa(folder / "lang-id-voxlingua107-ecapa")):
        result = CliRunner().invoke(cli, ["models", "import", str(source), "--cache", str(cache)])
        assert result.exit_code == 0, result.output
    main = serve_instance.config.model_dump(mode="json", exclude_unset=True)
    apps = main["applications"] + [app_config(APP, "indic-conformer-600m-multilingual", folder / "data", cache)]
    launch.deploy_config(ServeDeploySchema.model_validate({**main, "applications": apps}))
    launch.wait_until_healthy(f"{serve_instance.base_url}/{APP}/health", timeout_s=300)
    yield f"{serve_instance.base_url}/{APP}", {**main, "applications": apps}, folder
    launch.deploy_config(serve_instance.config)
    deadline = time.monotonic() + 120
    while {APP, BROKEN} & set(serve.status().applications) and time.monotonic() < deadline:
        time.sleep(0.5)


@pytest.fixture(scope="module")
def url(indic):
    return indic[0]


def in_script(text: str, language: str) -> bool:
    """Every letter of ``text`` in the language's block (sentence marks and spaces aside)."""
    letters = [c for c in text if c.isalpha() or 0x0900 <= ord(c) < 0x0E00]
    letters = [c for c in letters if c not in "।॥"]
    start = SCRIPT_START[language]
    return bool(letters) and all(start <= ord(c) < start + 128 for c in letters)


def stt(url: str, clip, **fields) -> dict:
    response = httpx.post(f"{url}/stt/v3", files={"audio_file": ("clip.wav", clip.read_bytes())}, data=fields,
                          timeout=120)
    assert response.status_code == 200, response.text
    return response.json()


def test_rest_answers_in_the_script_with_word_times(url, clips):
    body = stt(url, clips.hindi, language_code="hi-IN", punctuation="false", word_timestamps="true")
    assert body["model"] == "indic" and in_script(body["transcript"], "hi"), body
    words = [w for s in body["segments"] for w in s["words"]]
    assert " ".join(w["word"] for w in words) == body["transcript"]
    assert all(0 <= w["start"] < w["end"] <= body["duration_s"] + 0.08 for w in words)
    tamil = stt(url, clips.tamil, language_code="ta-IN", punctuation="false")
    assert in_script(tamil["transcript"], "ta") and tamil["model"] == "indic"
    assert stt(url, clips.english["call"], language_code="en-IN")["transcript"].startswith("This is the english")
    # the Whisper fine-tune (routed mr-IN): no timestamp tokens, so one segment a window, words by alignment
    tuned = stt(url, clips.hindi, language_code="mr-IN", punctuation="false", word_timestamps="true")
    assert tuned["model"] == FINETUNE and in_script(tuned["transcript"], "mr"), tuned
    words = [w for s in tuned["segments"] for w in s["words"]]
    assert words and all(0 <= w["start"] <= w["end"] <= tuned["duration_s"] + 0.02 for w in words)


def test_ecapa_identifies_among_the_candidates(url, clips):
    """VoxLingua107 ECAPA (random weights here) in the lid deployment picks one of the candidates, and the
    transcript comes from the model that serves it."""
    body = stt(url, clips.tamil, language_code="hi-IN,ta-IN,te-IN", punctuation="false")
    assert body["language_code"] in ("hi-IN", "ta-IN", "te-IN") and body["language_confidence"] is not None
    assert set(body["language_candidates"]) == {"hi-IN", "ta-IN", "te-IN"}
    assert in_script(body["transcript"], body["language_code"][:2]) and body["model"] == "indic"


def test_concurrent_requests_batch_to_the_same_text(url, clips):
    alone = stt(url, clips.hindi, language_code="hi-IN", punctuation="false")["transcript"]

    async def together():
        async with httpx.AsyncClient(timeout=120) as client:
            return await asyncio.gather(*(client.post(
                f"{url}/stt/v3", files={"audio_file": ("c.wav", clips.hindi.read_bytes())},
                data={"language_code": "hi-IN", "punctuation": "false"}) for _ in range(4)))

    assert {r.json()["transcript"] for r in asyncio.run(together())} == {alone}


def test_audio_past_the_window_goes_through_long_form(url, clips, tmp_path):
    """40 s of speech: the model hears windows of at most 15 s, each a segment of its own."""
    long = speech.concat_with_silence([clips.hindi] * 8, tmp_path / "long-hindi.wav", gap_s=1.0)
    body = stt(url, long, language_code="hi-IN", punctuation="false")
    assert body["duration_s"] > 30 and len(body["segments"]) >= 3
    assert all(s["end"] - s["start"] <= 15.0 for s in body["segments"]), body["segments"]
    assert in_script(body["transcript"], "hi")


def test_openai_sdk_verbose_json_with_words(url, clips):
    import openai

    client = openai.OpenAI(base_url=f"{url}/v1", api_key="any-key", max_retries=0, timeout=120)
    with open(clips.hindi, "rb") as audio:
        result = client.audio.transcriptions.create(model="indic", file=audio, language="hi",
                                                    response_format="verbose_json",
                                                    timestamp_granularities=["word", "segment"])
    assert in_script(result.text, "hi") and result.words and result.words[0].start >= 0
    with open(clips.hindi, "rb") as audio:  # the Whisper fine-tune, by name: no timestamps, words by alignment
        tuned = client.audio.transcriptions.create(model=FINETUNE, file=audio, language="hi",
                                                   response_format="verbose_json",
                                                   timestamp_granularities=["word", "segment"])
    assert in_script(tuned.text, "hi"), tuned.text
    assert tuned.segments and all(s.start <= w.start <= w.end <= s.end + 0.01
                                  for s in tuned.segments for w in tuned.words if s.start <= w.start < s.end)


def test_vakyansh_grpc_and_rest(serve_instance, url, clips):
    channel = grpc.insecure_channel(serve_instance.grpc_target)
    stub = pb_grpc.SpeechRecognizerStub(channel)
    config = pb.RecognitionConfig(language=pb.Language(sourceLanguage=pb.Language.LanguageCode.Value("ta")),
                                  audioFormat=pb.RecognitionConfig.AudioFormat.Value("wav"))
    request = pb.SpeechRecognitionRequest(config=config, audio=[pb.RecognitionAudio(
        audioContent=clips.tamil.read_bytes())])
    result = stub.recognize(request, metadata=[("application", APP)], timeout=120)
    assert result.status == pb.SpeechRecognitionResult.SUCCESS and in_script(result.output[0].source, "ta")
    config.language.sourceLanguage = pb.Language.LanguageCode.Value("mr")  # the Whisper fine-tune
    request = pb.SpeechRecognitionRequest(config=config, audio=[pb.RecognitionAudio(
        audioContent=clips.hindi.read_bytes())])
    result = stub.recognize(request, metadata=[("application", APP)], timeout=120)
    assert result.status == pb.SpeechRecognitionResult.SUCCESS and in_script(result.output[0].source, "mr")
    channel.close()


async def stream_finals(url: str, pcm: bytes, language: str) -> list[str]:
    import websockets

    finals = []
    async with websockets.connect(url.replace("http://", "ws://") + "/stt/v3/stream", max_size=None,
                                  additional_headers={"lang_code": language, "x-sample-rate": "16000"}) as ws:
        assert json.loads(await ws.recv())["type"] == "connected"
        for frame in speech.frames(pcm):
            await ws.send(frame)
        await ws.send("EOS")
        async for message in ws:
            event = json.loads(message)
            if event["type"] == "transcript":
                finals.append(event["text"])
    return finals


async def test_realtime_stream_finals_in_the_script(url, clips):
    pcm = speech.two_utterances_pcm(clips.hindi, clips.hindi, 16000, tail_s=1.5)
    indic, tuned = await asyncio.gather(stream_finals(url, pcm, "hi-IN"), stream_finals(url, pcm, "mr-IN"))
    assert len(indic) == 2 and all(in_script(text, "hi") for text in indic), indic
    assert len(tuned) == 2 and all(in_script(text, "mr") for text in tuned), tuned


def test_batch_job_through_the_official_sdk(url, clips):
    from gnani.stt import GnaniSTTBatchClient

    client = GnaniSTTBatchClient(api_key="any-key", base_url=url)
    jobs = {"ta": client.create_job([str(clips.tamil)], language_code="ta-IN"),
            "mr": client.create_job([str(clips.hindi)], language_code="mr-IN")}  # the Whisper fine-tune
    for language, job in jobs.items():
        job.wait(timeout=120)
        assert job.status == "COMPLETED", job
        (entry,) = job.files()
        assert in_script(entry.text, language), entry


def test_a_checkpoint_lacking_a_file_fails_at_deploy_and_the_rest_serves(serve_instance, indic, clips):
    from ray import serve

    url, deployed, folder = indic
    lacking = write_checkpoint(folder / "lacking", preprocessor=False)
    (lacking / "assets" / "vocab.json").unlink()
    broken = app_config(BROKEN, lacking, folder / "broken-data")
    launch.deploy_config(ServeDeploySchema.model_validate({**deployed,
                                                           "applications": deployed["applications"] + [broken]}))
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        status = serve.status().applications.get(BROKEN)
        if status is not None and str(status.status).endswith("DEPLOY_FAILED"):
            break
        time.sleep(1)
    message = status.deployments["asr-indic"].message
    assert "lacks assets/vocab.json" in message and "sunvai models" in message, message
    assert stt(url, clips.hindi, language_code="hi-IN")["model"] == "indic"
    assert httpx.get(f"{serve_instance.base_url}/health", timeout=30).status_code == 200
