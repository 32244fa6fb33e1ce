"""The Serve tier: configs/local.yaml on one local Ray instance for the whole session (marked ``serve``).

Tests here drive the real graph over loopback with the clients users have (gnani SDK, openai SDK,
gRPC stubs, the CLI, Chromium: tests/serve/browser.py).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

from tests import speech
from tests.helpers import ROOT, free_port, mark_tier


def pytest_collection_modifyitems(items):
    mark_tier(items, __file__, "serve")


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


@pytest.fixture(scope="session")
def microphone_clip(clips, tmp_path_factory):
    """What Chromium's fake microphone says: a sentence, then silence long enough for the VAD to close it."""
    folder = tmp_path_factory.mktemp("mic")
    silence = speech.silence_wav(folder / "silence.wav", 3.0)
    joined = speech.concat_with_silence([silence, clips.english["hello"], silence], folder / "mic-raw.wav", gap_s=0.5)
    return speech.convert(joined, folder / "mic.wav", "wav", "-ar", "16000", "-ac", "1")
