"""Shared fixtures: real speech, real engines, and one local Ray Serve instance per session."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import speech

os.environ.setdefault("RAY_AUTH_MODE", "disabled")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Clips:
    dir: Path
    english: dict[str, Path]  # key -> WAV
    hindi: Path
    tamil: Path

    def english_as(self, key: str, fmt: str) -> Path:
        out = self.dir / f"{key}.{fmt}"
        if not out.exists():
            speech.convert(self.english[key], out, fmt)
        return out


@pytest.fixture(scope="session")
def clips(tmp_path_factory) -> Clips:
    speech.require_tools()
    folder = tmp_path_factory.mktemp("speech")
    english = {key: speech.speak(text, "en", folder / f"{key}.wav") for key, text in speech.ENGLISH.items()}
    return Clips(
        dir=folder,
        english=english,
        hindi=speech.speak(speech.HINDI, "hi", folder / "hindi.wav"),
        tamil=speech.speak(speech.TAMIL, "ta", folder / "tamil.wav"),
    )


@pytest.fixture(scope="session")
def model_store():
    from sunvai.asr.model_store import ModelStore

    return ModelStore()


@pytest.fixture(scope="session")
def ct2_engine(model_store):
    """The packaged model on CTranslate2, float32 so it matches the transformers engine."""
    from sunvai.asr.factory import ModelConfig, build_engine

    return build_engine(ModelConfig(name="whisper-base", engine="whisper-ct2", compute_type="float32",
                                    cpu_threads=2), model_store)


@pytest.fixture(scope="session")
def hf_engine(model_store):
    from sunvai.asr.factory import ModelConfig, build_engine

    return build_engine(ModelConfig(name="whisper-base", engine="whisper-hf", cpu_threads=2), model_store)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ServeInstance:
    base_url: str
    app_name: str
    config: object  # the ServeDeploySchema deployed (tests that add an app redeploy it with theirs)
    grpc_target: str = ""  # host:port of Serve's gRPC proxy


@pytest.fixture(scope="session")
def serve_instance(tmp_path_factory) -> ServeInstance:
    """configs/local.yaml deployed on one local Ray instance for the whole session.

    Ray gets the CPUs ``make run`` gives it (all of this machine's: 2 on CI), so a
    graph that cannot be placed under ``make run`` cannot pass here either. The batch
    job store lives in a fresh data directory for the session.
    """
    from sunvai.deployments import launch

    config = launch.load_config(ROOT / "configs" / "local.yaml", http_port=free_port(), grpc_port=free_port())
    config.applications[0].args.setdefault("batch", {})["data_dir"] = str(tmp_path_factory.mktemp("batch-data"))
    os.environ["SUNVAI_QUIET_RAY"] = "1"
    launch.start_ray()  # as make run: Ray sees this machine's CPUs
    try:
        launch.deploy_config(config)
        launch.wait_until_healthy(launch.health_url(config), timeout_s=600)
        launch.lower_ray_background(launch.background_niceness(config))  # as make run
        yield ServeInstance(base_url=f"http://127.0.0.1:{config.http_options.port}",
                            app_name=config.applications[0].name, config=config,
                            grpc_target=f"127.0.0.1:{config.grpc_options.port}")
    finally:
        import ray
        from ray import serve

        serve.shutdown()
        ray.shutdown()


# --- the try-it page in a real browser ------------------------------------------------------------------
def chromium_path() -> str:
    """Debian's Chromium (Playwright's own browser download cannot run here); skip where it is missing."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("Chromium is not installed (make test-setup installs Debian's chromium)")
    try:
        import playwright  # noqa: F401
    except ImportError:
        pytest.skip("playwright is not installed (the test extra has it)")
    return path


@pytest.fixture(scope="session")
def microphone_clip(clips, tmp_path_factory):
    """What Chromium's fake microphone says: a sentence, then silence long enough for the VAD to close it."""
    folder = tmp_path_factory.mktemp("mic")
    silence = speech.silence_wav(folder / "silence.wav", 3.0)
    joined = speech.concat_with_silence([silence, clips.english["hello"], silence], folder / "mic-raw.wav", gap_s=0.5)
    return speech.convert(joined, folder / "mic.wav", "wav", "-ar", "16000", "-ac", "1")


@contextlib.contextmanager
def launched_chromium(microphone: Path):
    """Headless Chromium driven by Playwright's Python API, its microphone the WAV file ``microphone``.

    While it runs, Playwright's sync API holds an asyncio loop on this thread, and code that refuses to
    block inside a running loop (a Serve handle's ``.result()``) fails: keep it to the tests that drive
    the page."""
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=[
            "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={microphone}", "--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


def open_page(browser, url: str):
    """A fresh browser context (microphone allowed, downloads accepted) and a page at ``url``."""
    context = browser.new_context(viewport={"width": 1100, "height": 900}, accept_downloads=True,
                                  permissions=["microphone"])
    page = context.new_page()
    page.goto(url)
    return context, page
