"""The multi-node tier: a Ray head and two worker nodes on this machine, the graph deployed with `serve deploy`.

Run alone (it starts its own Ray cluster, so it cannot share a process with the serve tier):
    make test-cluster        (make test runs it too, in its own pytest process)

Custom resources stand in for GPUs (configs/cluster-test.yaml): `accel` on each worker node and
`indic` only on node A, so the Indic model lands on A and the English model's two replicas on
A and B. Each worker node has its own model cache directory (no shared disk assumed).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import yaml

from tests import speech
from tests.helpers import ROOT, free_port

pytestmark = pytest.mark.cluster
CONFIG = ROOT / "configs" / "cluster-test.yaml"
SENTENCES = {
    "bn": "আমি বাজারে যাচ্ছি।", "gu": "હું બજારમાં જાઉં છું.", "hi": "मैं बाज़ार जा रहा हूँ।",
    "kn": "ನಾನು ಮಾರುಕಟ್ಟೆಗೆ ಹೋಗುತ್ತಿದ್ದೇನೆ.", "ml": "ഞാൻ ചന്തയിലേക്ക് പോകുന്നു.", "mr": "मी बाजारात जात आहे.",
    "pa": "ਮੈਂ ਬਾਜ਼ਾਰ ਜਾ ਰਿਹਾ ਹਾਂ।", "ta": "நான் சந்தைக்கு செல்கிறேன்.", "te": "నేను మార్కెట్‌కి వెళ్తున్నాను.",
    "en": "I am going to the market today.",
}


@dataclass
class RayCluster:
    cluster: object
    base_url: str
    dashboard: str
    config_file: Path
    caches: dict[str, Path]
    nodes: dict[str, object] = field(default_factory=dict)

    def deploy(self, config: dict) -> None:
        self.config_file.write_text(yaml.safe_dump(config))
        env = {**os.environ, "RAY_AUTH_MODE": "disabled"}
        result = subprocess.run([str(Path(sys.executable).parent / "serve"), "deploy", str(self.config_file),
                                 "--address", self.dashboard], capture_output=True, text=True, env=env, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr

    def add_worker(self, name: str, resources: dict) -> None:
        self.caches[name] = self.caches["root"] / name
        self.nodes[name] = self.cluster.add_node(num_cpus=2, resources=resources,
                                                 env_vars={"SUNVAI_MODEL_CACHE": str(self.caches[name])})


def _config(http_port: int) -> dict:
    raw = yaml.safe_load(CONFIG.read_text())
    raw["http_options"]["port"] = http_port
    return raw


@pytest.fixture(scope="module")
def ray_cluster(tmp_path_factory):
    import ray
    from ray import serve
    from ray.cluster_utils import Cluster

    from sunvai.deployments import launch

    dashboard_port, http_port = free_port(), free_port()
    cluster = Cluster(initialize_head=True, head_node_args={
        "num_cpus": 2, "resources": {"head": 1}, "include_dashboard": True, "dashboard_host": "127.0.0.1",
        "dashboard_port": dashboard_port})
    root = tmp_path_factory.mktemp("node-caches")
    state = RayCluster(cluster, f"http://127.0.0.1:{http_port}", f"http://127.0.0.1:{dashboard_port}",
                       root / "cluster.yaml", {"root": root})
    state.add_worker("a", {"accel": 1, "indic": 1})
    state.add_worker("b", {"accel": 1})
    ray.init(address=cluster.address)
    try:
        started = time.monotonic()
        state.deploy(_config(http_port))
        launch.wait_until_healthy(f"{state.base_url}/health", timeout_s=900)
        print(f"\ncluster: head + 2 workers deployed with `serve deploy` and healthy in "
              f"{time.monotonic() - started:.1f} s")
        yield state
    finally:
        serve.shutdown()
        ray.shutdown()
        cluster.shutdown()


def _replica_nodes(deployment: str) -> list[str]:
    from ray.util.state import list_actors

    actors = list_actors(filters=[("class_name", "=", f"ServeReplica:sunvai:{deployment}"), ("state", "=", "ALIVE")])
    return [a.node_id for a in actors]


def _node_id(node) -> str:
    return node.node_id


def test_every_language_is_served_by_the_model_on_its_chosen_node(ray_cluster, tmp_path):
    for iso, sentence in SENTENCES.items():
        voice = {"en": "en-us"}.get(iso, iso)
        clip = tmp_path / f"{iso}.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-w", str(clip), sentence], check=True, capture_output=True)
        response = httpx.post(f"{ray_cluster.base_url}/stt/v3", data={"language_code": f"{iso}-IN"},
                              files={"audio_file": (clip.name, clip.read_bytes())}, timeout=120)
        assert response.status_code == 200, (iso, response.text)
        body = response.json()
        assert body["model"] == ("whisper-en" if iso == "en" else "whisper-indic") and body["transcript"], body
    # A language list: the lid deployment identifies (cluster-test.yaml gives it replicas of its own, as do
    # the punctuation and itn deployments that format=transcribe passes through)
    response = httpx.post(f"{ray_cluster.base_url}/stt/v3", data={"language_code": "hi-IN,en-IN", "format": "transcribe"},
                          files={"audio_file": ("en.wav", (tmp_path / "en.wav").read_bytes())}, timeout=120)
    assert response.status_code == 200, response.text
    assert set(response.json()["language_candidates"]) == {"hi-IN", "en-IN"} and _replica_nodes("lid")
    a, b = (_node_id(ray_cluster.nodes[n]) for n in "ab")
    assert _replica_nodes("asr-whisper-indic") == [a]
    assert sorted(_replica_nodes("asr-whisper-en")) == sorted([a, b])
    for name in "ab":  # each worker node prepared the packaged model in its own cache
        assert (ray_cluster.caches[name] / "packaged" / "whisper-base" / "ctranslate2" / "model.bin").is_file()


class Load:
    """Clients sending English clips in a loop; every answer and every connection error kept."""

    def __init__(self, base_url: str, audio: bytes, clients: int = 3):
        self.base_url, self.audio = base_url, audio
        self.statuses: list[tuple[float, int]] = []
        self.errors: list[str] = []
        self.failures: list[str] = []  # bodies of answers other than 200 and 503, for the assertion message
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._client) for _ in range(clients)]

    def _client(self) -> None:
        with httpx.Client(timeout=120) as http:
            while not self.stop.is_set():
                try:
                    response = http.post(f"{self.base_url}/stt/v3", data={"language_code": "en-IN"},
                                         files={"audio_file": ("clip.wav", self.audio)})
                    self.statuses.append((time.monotonic(), response.status_code))
                    if response.status_code not in (200, 503):
                        self.failures.append(f"{response.status_code}: {response.text[:500]}")
                    if response.status_code == 503:
                        assert response.headers.get("retry-after")
                        time.sleep(float(response.headers["retry-after"]))
                except Exception as exc:  # noqa: BLE001 - what this test looks for
                    self.errors.append(repr(exc))

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()

    def codes(self) -> set[int]:
        return {code for _, code in self.statuses}


def test_a_worker_node_killed_under_load(ray_cluster, clips):
    b = _node_id(ray_cluster.nodes["b"])
    assert b in _replica_nodes("asr-whisper-en")
    with Load(ray_cluster.base_url, clips.english["hello"].read_bytes()) as load:
        time.sleep(5)
        killed_at = time.monotonic()
        ray_cluster.cluster.remove_node(ray_cluster.nodes.pop("b"), allow_graceful=False)
        time.sleep(10)  # node B is gone; English runs on node A's replica alone
        ray_cluster.add_worker("c", {"accel": 1})  # a replacement node joins
        c = _node_id(ray_cluster.nodes["c"])
        deadline = time.monotonic() + 300
        while c not in _replica_nodes("asr-whisper-en") or len(_replica_nodes("asr-whisper-en")) < 2:
            assert time.monotonic() < deadline, "the English replica was not rescheduled onto node C"
            time.sleep(0.5)
        rescheduled_s = time.monotonic() - killed_at
        time.sleep(3)
    after_kill = [code for at, code in load.statuses if at >= killed_at]
    print(f"\nnode B killed under 3 clients: replica rescheduled onto node C {rescheduled_s:.1f} s after the kill "
          f"(node C joined after 10 s); answers after the kill: {sorted(set(after_kill))} x{len(after_kill)}")
    assert not load.errors, load.errors[:3]
    assert load.codes() <= {200, 503}, load.failures[:3]
    assert after_kill.count(200) >= 1
    assert (ray_cluster.caches["c"] / "packaged" / "whisper-base" / "ctranslate2" / "model.bin").is_file()


def test_serve_deploy_of_a_changed_config_rolls_out_without_a_failed_request(ray_cluster, clips):
    from ray import serve

    config = _config(int(ray_cluster.base_url.rsplit(":", 1)[1]))
    config["applications"][0]["args"]["limits"] = {"max_audio_duration_s": 59}  # changes the ingress's args
    ingress_before = set(_replica_nodes("ingress")), _ingress_replicas()
    with Load(ray_cluster.base_url, clips.english["hello"].read_bytes()) as load:
        time.sleep(3)
        started = time.monotonic()
        ray_cluster.deploy(config)
        deadline = time.monotonic() + 300
        while _ingress_replicas() & ingress_before[1] or serve.status().applications["sunvai"].status != "RUNNING":
            assert time.monotonic() < deadline, "the new ingress did not replace the old one"
            time.sleep(0.5)
        rolled_s = time.monotonic() - started
        time.sleep(3)
    print(f"\nserve deploy of a changed config: new ingress serving after {rolled_s:.1f} s; "
          f"answers during the rollout {sorted(load.codes())} x{len(load.statuses)}")
    assert not load.errors, load.errors[:3]
    assert load.codes() == {200}, load.failures[:3]
    clip = speech.concat_with_silence([clips.english["hello"]] * 30, Path(ray_cluster.config_file).parent / "long.wav")
    too_long = httpx.post(f"{ray_cluster.base_url}/stt/v3", data={"language_code": "en-IN"},
                          files={"audio_file": ("long.wav", clip.read_bytes())}, timeout=120)
    assert too_long.status_code == 400 and "at most 59 s" in too_long.json()["error"]["message"]


def _ingress_replicas() -> set[str]:
    import ray

    return {a["name"] for a in ray.util.list_named_actors(all_namespaces=True)
            if a["name"].startswith("SERVE_REPLICA::sunvai#ingress#")}
