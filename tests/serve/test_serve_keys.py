"""API keys on every surface, through a real Serve application with ``args.auth.enabled``.

A second application ("keyed") beside the shared one, for this module: the real ingress, the
limits deployment, punctuation, ITN and the batch store, with stand-in ASR engines
(``engine: fixed-text``, labelled stand-ins, not models) so that a second set of Whisper replicas
does not have to fit on two cores; the keys are what is under test. Keys are created in the
application's database by this process, as ``sunvai keys create`` does.
"""

from __future__ import annotations

import json
import time

import grpc
import httpx
import openai
import pytest
from ray.serve.schema import ServeDeploySchema
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from sunvai.api.vakyansh.proto import speech_recognition_pb2 as pb
from sunvai.api.vakyansh.proto import speech_recognition_pb2_grpc as pb_grpc
from sunvai.auth.keys import KeyLimits, KeyStore, split_key
from sunvai.deployments import launch
from tests import speech
from tests.serve.browser import launched_chromium, open_page

pytestmark = pytest.mark.serve
APP = "keyed"
HINDI = "मुझे पाँच हज़ार रुपये चाहिए"
NO_CPU = {"num_cpus": 0}
ONE_REPLICA = {"min_replicas": 1, "max_replicas": 1}
CACHE_S = 2.0


def app_config(data_dir: str) -> dict:
    args = {
        "models": [{"name": "fixed", "engine": "fixed-text", "stand_in": {"text": HINDI}, "max_batch_size": 1}],
        "fallback_model": "fixed",
        "lid": {"engine": "first-candidate", "max_batch_size": 1, "text_check": False},
        "batch": {"data_dir": data_dir, "workers_per_replica": 1},
        "auth": {"enabled": True, "cache_s": CACHE_S},
    }
    names = ["ingress", "punctuation", "itn", "asr-fixed", "lid", "batch", "limits"]
    deployments = [{"name": n, "ray_actor_options": NO_CPU} | ({} if n == "limits" else
                                                               {"autoscaling_config": ONE_REPLICA}) for n in names]
    return {"name": APP, "route_prefix": f"/{APP}", "import_path": "sunvai.graph:build_app", "args": args,
            "deployments": deployments}


class Keys:
    """The keys this module uses, and every key string it was given (none may be stored)."""

    def __init__(self, store: KeyStore):
        self.store = store
        self.issued: list[str] = []

    def new(self, name: str, languages=None, surfaces=None, **limits) -> str:
        key, _ = self.store.create(name, languages, surfaces, KeyLimits(**limits))
        self.issued.append(key)
        return key

    def revoked(self, name: str) -> str:
        key = self.new(name)
        self.store.revoke(self.store.find(name)[0].id)
        return key


@pytest.fixture(scope="module")
def keyed(serve_instance, tmp_path_factory):
    from ray import serve

    data_dir = tmp_path_factory.mktemp("keyed-data")
    main = serve_instance.config.model_dump(mode="json", exclude_unset=True)
    launch.deploy_config(ServeDeploySchema.model_validate(
        {**main, "applications": main["applications"] + [app_config(str(data_dir))]}))
    launch.wait_until_healthy(f"{serve_instance.base_url}/{APP}/health", timeout_s=300)
    store = KeyStore(f"sqlite:///{data_dir / 'sunvai.db'}")
    yield f"{serve_instance.base_url}/{APP}", Keys(store), data_dir
    store.close()
    launch.deploy_config(serve_instance.config)
    deadline = time.monotonic() + 120
    while APP in serve.status().applications and time.monotonic() < deadline:
        time.sleep(0.5)


@pytest.fixture(scope="module")
def cases(keyed):
    """For each surface: no key, an unknown key, a revoked key, a key without the language, a key over its rate."""
    _, keys, _ = keyed
    return {
        "missing": None,
        "unknown": "sv_0123456789ab_" + "A" * 43,
        "revoked": keys.revoked("revoked"),
        "english_only": keys.new("english-only", languages=["en-IN"]),
    }


EXPECTED = {"missing": (401, "needs an API key"), "unknown": (401, "unknown API key"), "revoked": (401, "revoked"),
            "english_only": (403, "not allowed hi-IN")}


# --- Vachana REST -------------------------------------------------------------------------------------
def stt(url: str, clip, key: str | None, **fields) -> httpx.Response:
    headers = {"X-API-Key-ID": key} if key else {}
    return httpx.post(f"{url}/stt/v3", files={"audio_file": ("clip.wav", clip.read_bytes())},
                      data={"language_code": "hi-IN", **fields}, headers=headers, timeout=60)


@pytest.mark.parametrize("case", list(EXPECTED))
def test_rest_refusals(keyed, cases, clips, case):
    url, _, _ = keyed
    response = stt(url, clips.hindi, cases[case])
    status, fragment = EXPECTED[case]
    assert response.status_code == status and fragment in response.json()["error"]["message"], response.text


def test_rest_rate_limit_and_a_good_key(keyed, clips):
    url, keys, _ = keyed
    key = keys.new("rest-slow", requests_per_minute=1)
    first = stt(url, clips.hindi, key)
    assert first.status_code == 200 and first.json()["transcript"], first.text
    second = stt(url, clips.hindi, key)
    assert second.status_code == 429 and "1 a minute" in second.json()["error"]["message"]
    assert 1 <= int(second.headers["Retry-After"]) <= 60


def test_rest_key_for_other_surfaces_only(keyed, clips):
    url, keys, _ = keyed
    response = stt(url, clips.hindi, keys.new("openai-only", surfaces=["openai"]))
    assert response.status_code == 403 and "not vachana" in response.json()["error"]["message"]


def test_audio_seconds_per_hour(keyed, clips):
    url, keys, _ = keyed
    key = keys.new("audio-capped", audio_seconds_per_hour=1)
    assert stt(url, clips.hindi, key).status_code == 200  # a few seconds of audio: over the hour's 1 s
    refused = stt(url, clips.hindi, key)
    assert refused.status_code == 429 and "s of audio in the last hour" in refused.json()["error"]["message"]
    assert int(refused.headers["Retry-After"]) > 3000


def test_revocation_reaches_the_ingress_within_its_cache_time(keyed, clips):
    url, keys, _ = keyed
    key = keys.new("revoked-later")
    assert stt(url, clips.hindi, key).status_code == 200
    keys.store.revoke(keys.store.find("revoked-later")[0].id)
    revoked_at = time.monotonic()
    while (status := stt(url, clips.hindi, key).status_code) == 200:
        assert time.monotonic() - revoked_at < CACHE_S + 3, "a revoked key still works past the cache time"
    assert status == 401


def test_vakyansh_rest_refusal_in_its_shape(keyed, clips):
    url, _, _ = keyed
    body = {"config": {"language": {"sourceLanguage": "hi"}}, "audio": [{"audioContent": ""}]}
    response = httpx.post(f"{url}/v1/recognize/hi", json=body, timeout=30)
    assert response.status_code == 401 and response.json()["code"] == 16  # gRPC-JSON UNAUTHENTICATED


def test_health_and_page_need_no_key(keyed):
    url, _, _ = keyed
    assert httpx.get(f"{url}/health", timeout=10).status_code == 200
    assert httpx.get(f"{url}/", timeout=10).status_code == 200
    moved = httpx.get(f"{url}/index.html", timeout=10, follow_redirects=True)  # back to this application's page
    assert moved.status_code == 200 and str(moved.url) == f"{url}/", moved.url


# --- the try-it page, under the application's route prefix, with keys on --------------------------------
@pytest.fixture
def keyed_page(microphone_clip, keyed):
    """A browser for this test only (its asyncio loop would break the Serve handle test below)."""
    url, _, _ = keyed
    with launched_chromium(microphone_clip) as browser:
        context, page = open_page(browser, url)  # no trailing slash: the page must still call its own application
        yield page
        context.close()


def test_page_under_a_prefix_asks_for_a_key_then_transcribes(keyed_page, keyed, clips):
    url, keys, _ = keyed
    page = keyed_page
    assert page.url == f"{url}/", page.url  # redirected, so the page's relative paths resolve under /keyed/
    page.select_option("#language", "hi-IN")
    page.set_input_files("#file", str(clips.hindi))
    page.click("#transcribe")
    page.wait_for_selector("#error:not([hidden])", timeout=60_000)
    # A 401 comes only from this application: the one at / has no keys, so the page called /keyed/stt/v3.
    assert page.text_content("#error").startswith("This server needs a valid API key: "), page.text_content("#error")
    page.fill("#api-key", keys.new("page-upload"))
    page.click("#transcribe")
    page.wait_for_function("document.querySelector('#transcript').textContent.length > 0", timeout=120_000)
    assert "चाहिए" in page.text_content("#transcript")
    assert page.is_hidden("#error")


def test_page_records_only_with_a_key(keyed_page, keyed):
    _, keys, _ = keyed
    page = keyed_page
    # The audio worklet loads slowly, as on a busy machine: the refusal then closes the socket before it has
    # loaded, and the page must still give back the microphone and the Record button (it once stayed on Stop).
    page.add_init_script("""const load = AudioWorklet.prototype.addModule;
        AudioWorklet.prototype.addModule = function (...args) {
          return new Promise((done) => setTimeout(done, 2000)).then(() => load.apply(this, args))
            .then(() => { window.workletLoaded = true; }); };""")
    page.reload()
    page.select_option("#language", "hi-IN")
    page.click("#record")
    page.wait_for_selector("#error:not([hidden])", timeout=60_000)
    assert "The server stopped the stream: " in page.text_content("#error") and "API key" in page.text_content("#error")
    page.wait_for_function("window.workletLoaded === true", timeout=30_000)
    assert page.text_content("#record") == "Record" and page.text_content("#status") == "Recording ended."
    page.fill("#api-key", keys.new("page-record"))
    page.click("#record")
    page.wait_for_selector("#finals li", timeout=120_000)
    assert "चाहिए" in page.text_content("#finals")
    page.click("#record")
    page.wait_for_function("document.querySelector('#record').textContent === 'Record'", timeout=60_000)


def test_page_streams_through_openai_realtime_with_a_minted_secret(keyed_page, keyed):
    """The page mints a client secret with the typed key and streams through /v1/realtime with it: the key
    itself never goes into the socket (the subprotocol carries the secret)."""
    _, keys, _ = keyed
    page = keyed_page
    page.select_option("#language", "hi-IN")
    page.select_option("#protocol", "openai")
    page.click("#record")  # no key: minting is refused, in words
    page.wait_for_selector("#error:not([hidden])", timeout=60_000)
    assert page.text_content("#error").startswith("This server needs a valid API key"), page.text_content("#error")
    assert page.text_content("#record") == "Record"
    key = keys.new("page-openai")
    page.fill("#api-key", key)
    sockets = []
    page.on("websocket", lambda socket: sockets.append(socket.url))
    with page.expect_response("**/keyed/v1/realtime/client_secrets") as minted:
        page.click("#record")
    assert minted.value.status == 200 and minted.value.json()["value"].startswith("ek_")
    page.wait_for_selector("#finals li", timeout=120_000)
    assert "चाहिए" in page.text_content("#finals") and page.is_hidden("#error")
    assert len(sockets) == 1 and sockets[0].endswith("/keyed/v1/realtime?intent=transcription") and key not in sockets[0]
    page.click("#record")  # stop: the open turn is committed, the socket closes once it is transcribed
    page.wait_for_function("document.querySelector('#record').textContent === 'Record'", timeout=60_000)


# --- realtime WebSocket -------------------------------------------------------------------------------
def ws_url(url: str) -> str:
    return url.replace("http://", "ws://") + "/stt/v3/stream"


def open_stream(url: str, key: str | None, language: str = "hi-IN"):
    headers = {"lang_code": language, **({"x-api-key-id": key} if key else {})}
    return connect(ws_url(url), additional_headers=headers, open_timeout=30)


CLOSE = {401: 4401, 403: 4403, 429: 4429}


@pytest.mark.parametrize("case", list(EXPECTED))
def test_stream_refusals(keyed, cases, case):
    url, _, _ = keyed
    status, fragment = EXPECTED[case]
    with open_stream(url, cases[case]) as socket:
        message = json.loads(socket.recv(timeout=30))
        assert message["type"] == "error" and fragment in message["message"], message
        with pytest.raises(ConnectionClosed) as closed:
            socket.recv(timeout=30)
    assert closed.value.rcvd.code == CLOSE[status]


def test_stream_with_a_key_in_the_query_and_stream_limit(keyed, clips):
    url, keys, _ = keyed
    key = keys.new("one-stream", max_streams=1)
    with connect(f"{ws_url(url)}?x-api-key-id={key}&lang_code=hi-IN", open_timeout=30) as first:
        assert json.loads(first.recv(timeout=30))["type"] == "connected"
        with open_stream(url, key) as second:
            message = json.loads(second.recv(timeout=30))
            assert message["code"] == "too_many_streams" and "open streams" in message["message"]
            with pytest.raises(ConnectionClosed) as closed:
                second.recv(timeout=30)
            assert closed.value.rcvd.code == 4429
        for frame in speech.frames(speech.pcm(clips.hindi)):
            first.send(frame)
        first.send("EOS")
        finals = []
        with pytest.raises(ConnectionClosed):
            while True:
                message = json.loads(first.recv(timeout=60))
                if message["type"] == "transcript" and message.get("is_final", True):
                    finals.append(message["text"])
        assert finals
    with open_stream(url, key) as again:  # the slot was given back when the first stream closed
        assert json.loads(again.recv(timeout=30))["type"] == "connected"


# --- batch --------------------------------------------------------------------------------------------
def create_job(url: str, clip, key: str | None, language: str = "hi-IN") -> httpx.Response:
    headers = {"X-API-Key-ID": key} if key else {}
    return httpx.post(f"{url}/stt/v3/batch/jobs", files=[("files", ("a.wav", clip.read_bytes()))],
                      data={"config": json.dumps({"language_code": language})}, headers=headers, timeout=60)


@pytest.mark.parametrize("case", list(EXPECTED))
def test_batch_refusals(keyed, cases, clips, case):
    url, _, _ = keyed
    response = create_job(url, clips.hindi, cases[case])
    status, fragment = EXPECTED[case]
    assert response.status_code == status and fragment in response.json()["error"]["message"], response.text


def test_batch_job_limit_and_ownership(keyed, clips):
    url, keys, _ = keyed
    key, other = keys.new("one-job", max_batch_jobs=1), keys.new("someone-else")
    created = create_job(url, clips.hindi, key)
    assert created.status_code == 201, created.text
    job_id = created.json()["job_id"]
    refused = create_job(url, clips.hindi, key)
    assert refused.status_code == 429 and "unfinished batch jobs" in refused.json()["error"]["message"]
    assert int(refused.headers["Retry-After"]) > 0
    assert httpx.get(f"{url}/stt/v3/batch/jobs/{job_id}", headers={"X-API-Key-ID": other}).status_code == 404
    listed = httpx.get(f"{url}/stt/v3/batch/jobs", headers={"X-API-Key-ID": other}).json()["data"]
    assert job_id not in [job["job_id"] for job in listed]
    mine = httpx.get(f"{url}/stt/v3/batch/jobs", headers={"X-API-Key-ID": key}).json()["data"]
    assert [job["job_id"] for job in mine] == [job_id]
    assert httpx.post(f"{url}/stt/v3/batch/jobs/{job_id}/cancel", headers={"X-API-Key-ID": key}).status_code == 200
    assert create_job(url, clips.hindi, key).status_code == 201  # the cancelled job no longer counts


def test_official_batch_sdk_with_a_key_under_a_prefix(keyed, clips):
    """The gnani SDK's batch client, unchanged, against the keyed application: its key on every API call, the
    transcript fetched with no key from the signed link (as the SDK fetches Vachana's presigned links)."""
    from gnani.stt import GnaniSTTBatchClient
    from gnani.stt.exceptions import APIError

    url, keys, _ = keyed
    result = GnaniSTTBatchClient(api_key=keys.new("sdk-batch"), base_url=url).transcribe(
        [str(clips.hindi)], language_code="hi-IN", progress=False, timeout=300)
    assert result.job.status == "COMPLETED"
    (only,) = result.files
    assert only.transcript_url.startswith(f"{url}/stt/v3/batch/jobs/"), only.transcript_url
    assert "चाहिए" in only.text
    with pytest.raises(APIError, match="HTTP 401.*unknown API key"):  # the SDK's error for any refused batch call
        GnaniSTTBatchClient(api_key="sv_nosuchkey_0000", base_url=url).transcribe(
            [str(clips.hindi)], language_code="hi-IN", progress=False, timeout=60)


def test_batch_audio_is_charged_to_the_jobs_key(keyed, clips):
    url, keys, _ = keyed
    key = keys.new("batch-audio", audio_seconds_per_hour=1)
    headers = {"X-API-Key-ID": key}
    job_id = create_job(url, clips.hindi, key).json()["job_id"]
    assert httpx.post(f"{url}/stt/v3/batch/jobs/{job_id}/start", headers=headers).status_code == 200
    deadline = time.monotonic() + 120
    while (status := httpx.get(f"{url}/stt/v3/batch/jobs/{job_id}", headers=headers).json()["status"]) != "COMPLETED":
        assert status in ("CREATED", "RUNNING") and time.monotonic() < deadline, status
        time.sleep(0.5)
    refused = stt(url, clips.hindi, key)
    assert refused.status_code == 429 and "s of audio in the last hour" in refused.json()["error"]["message"]


# --- OpenAI -------------------------------------------------------------------------------------------
def openai_client(url: str, key: str | None) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}/v1", api_key=key or "placeholder", max_retries=0, timeout=60)


def no_key(key: str | None) -> dict:
    """The SDK always sends its key: omit the header to send none."""
    return {"extra_headers": {"Authorization": openai.Omit()}} if key is None else {}


OPENAI_ERRORS = {401: openai.AuthenticationError, 403: openai.PermissionDeniedError, 429: openai.RateLimitError}


@pytest.mark.parametrize("case", list(EXPECTED))
def test_openai_refusals(keyed, cases, clips, case):
    url, _, _ = keyed
    status, fragment = EXPECTED[case]
    with pytest.raises(OPENAI_ERRORS[status]) as error, open(clips.hindi, "rb") as audio:
        openai_client(url, cases[case]).audio.transcriptions.create(model="whisper-1", file=audio, language="hi",
                                                                    **no_key(cases[case]))
    assert fragment in error.value.body["message"], error.value.body


def test_openai_rate_limit_with_a_good_key(keyed, clips):
    url, keys, _ = keyed
    client = openai_client(url, keys.new("openai-slow", requests_per_minute=1))
    with open(clips.hindi, "rb") as audio:
        assert client.audio.transcriptions.create(model="whisper-1", file=audio, language="hi").text
    with pytest.raises(openai.RateLimitError) as error, open(clips.hindi, "rb") as audio:
        client.audio.transcriptions.create(model="whisper-1", file=audio, language="hi")
    assert int(error.value.response.headers["retry-after"]) >= 1


# --- Vakyansh gRPC ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def stub(serve_instance, keyed):
    channel = grpc.insecure_channel(serve_instance.grpc_target)
    grpc.channel_ready_future(channel).result(timeout=60)
    yield pb_grpc.SpeechRecognizerStub(channel)
    channel.close()


def recognize(stub, clip, metadata: list[tuple[str, str]]):
    request = pb.SpeechRecognitionRequest(
        config=pb.RecognitionConfig(language=pb.Language(sourceLanguage=pb.Language.LanguageCode.Value("hi"))),
        audio=[pb.RecognitionAudio(audioContent=clip.read_bytes())])
    return stub.recognize(request, metadata=[("application", APP), *metadata], timeout=60)


GRPC = {401: grpc.StatusCode.UNAUTHENTICATED, 403: grpc.StatusCode.PERMISSION_DENIED,
        429: grpc.StatusCode.RESOURCE_EXHAUSTED}


@pytest.mark.parametrize("case", list(EXPECTED))
def test_grpc_refusals(stub, cases, clips, case):
    status, fragment = EXPECTED[case]
    with pytest.raises(grpc.RpcError) as error:
        recognize(stub, clips.hindi, [("x-api-key-id", cases[case])] if cases[case] else [])
    assert error.value.code() == GRPC[status] and fragment in error.value.details(), error.value.details()


@pytest.mark.parametrize("header", ["x-api-key-id", "authorization", "rpc-auth-header"])
def test_grpc_key_in_each_metadata_name_and_rate(stub, keyed, clips, header):
    _, keys, _ = keyed
    key = keys.new(f"grpc-{header}", requests_per_minute=1)
    value = f"Bearer {key}" if header == "authorization" else key
    assert recognize(stub, clips.hindi, [(header, value)]).status == pb.SpeechRecognitionResult.SUCCESS
    with pytest.raises(grpc.RpcError) as error:
        recognize(stub, clips.hindi, [(header, value)])
    assert error.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


# --- Python handle, and what the database holds ----------------------------------------------------------
def test_python_handle_callers_need_no_key(keyed, clips):
    from ray import serve

    result = serve.get_app_handle(APP).transcribe.remote(clips.hindi.read_bytes(), "hi-IN").result(timeout_s=60)
    assert result["transcript"]


def test_the_database_never_holds_a_key(keyed):
    _, keys, data_dir = keyed
    assert len(keys.issued) >= 10
    keys.store.engine.dispose()
    stored = b"".join(p.read_bytes() for p in data_dir.glob("sunvai.db*"))
    for key in keys.issued:
        assert key.encode() not in stored and split_key(key)[1].encode() not in stored


# --- the sunvai keys command ------------------------------------------------------------------------------
def test_keys_command_creates_lists_and_revokes_a_key_that_the_server_honours(keyed, clips):
    import os
    import subprocess
    import sys
    from pathlib import Path

    url, keys, data_dir = keyed
    sunvai = str(Path(sys.executable).parent / "sunvai")
    env = {**os.environ, "SUNVAI_DATABASE_URL": f"sqlite:///{data_dir / 'sunvai.db'}", "COLUMNS": "200"}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sunvai, *args], capture_output=True, text=True, env=env, timeout=300)

    created = run("keys", "create", "--name", "cli-made", "--languages", "hi-IN", "--rate", "30")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    keys.issued.append(key)
    assert split_key(key) and "shown once" in created.stderr
    listed = [json.loads(line) for line in run("keys", "list", "--json").stdout.splitlines()]
    mine = next(k for k in listed if k["name"] == "cli-made")
    assert mine["languages"] == ["hi-IN"] and mine["requests_per_minute"] == 30 and key not in json.dumps(listed)

    done = run("transcribe", str(clips.hindi), "-l", "hi-IN", "--url", url, "--api-key", key)
    assert done.returncode == 0 and done.stdout.strip(), done.stderr
    refused = run("transcribe", str(clips.hindi), "-l", "hi-IN", "--url", url)
    assert refused.returncode == 1 and "needs an API key" in refused.stderr

    assert run("keys", "revoke", "cli-made").returncode == 0
    assert run("keys", "revoke", "cli-made").returncode == 1  # nothing left to revoke
    revoked_at = time.monotonic()
    while (after := stt(url, clips.hindi, key)).status_code == 200:
        assert time.monotonic() - revoked_at < CACHE_S + 3
    assert after.status_code == 401
