"""Every shipped Serve config validates, builds, and fits the machine it is written for."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from ray.serve.schema import ServeDeploySchema

from sunvai import graph
from sunvai.service.args import AppArgs
from tests.helpers import ROOT

CONFIGS = sorted((ROOT / "configs").glob("*.yaml"))
WRITTEN_FOR = re.compile(r"^# written-for: nodes=(\d+) cpus=(\d+) gpus=(\d+)", re.M)


def load(path: Path) -> ServeDeploySchema:
    return ServeDeploySchema.model_validate(yaml.safe_load(path.read_text()))


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_config_validates_and_builds(path):
    schema = load(path)
    for app in schema.applications:
        assert app.import_path == "sunvai.graph:build_app"
        args = AppArgs.model_validate(app.args)
        built = graph.build_app(args)  # binding only: no model is loaded
        assert built is not None
        expected = {"ingress"} | {graph.asr_deployment_name(m.name) for m in args.models}
        if args.batch.enabled:
            expected.add("batch")
        if args.lid.asr_model is None:  # else the ASR replicas of that model identify languages
            expected.add("lid")
        if args.text_stages == "deployments":  # else both run inside the ingress
            expected |= {"punctuation", "itn"}
        assert {d.name for d in app.deployments} == expected, "every deployment has its own options"
        for deployment in app.deployments:
            assert deployment.autoscaling_config, f"{deployment.name} scales on its own"


def replicas_at_max(schema: ServeDeploySchema) -> list[tuple[str, float, float]]:
    """(deployment, cpus, gpus) for every replica each deployment may scale to."""
    replicas = []
    for app in schema.applications:
        for deployment in app.deployments:
            options = deployment.ray_actor_options
            cpus = 1.0 if options is None or options.num_cpus is None else options.num_cpus  # Serve's default
            gpus = 0.0 if options is None else options.num_gpus or 0.0
            count = deployment.autoscaling_config["max_replicas"]
            replicas += [(deployment.name, cpus, gpus)] * count
    return replicas


def place(replicas, nodes: int, cpus: int, gpus: int) -> list[str]:
    """First-fit decreasing, as Ray places actors: the replicas that found no node."""
    free = [[float(cpus), float(gpus)] for _ in range(nodes)]
    unplaced = []
    for name, cpu, gpu in sorted(replicas, key=lambda r: (-r[2], -r[1])):
        node = next((n for n in free if n[0] + 1e-9 >= cpu and n[1] + 1e-9 >= gpu), None)
        if node is None:
            unplaced.append(name)
        else:
            node[0] -= cpu
            node[1] -= gpu
    return unplaced


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_every_replica_fits_the_machine_the_config_is_written_for(path):
    """Ray must place every deployment at max_replicas, or a deployment waits forever unplaced.

    (The local graph once asked for more CPUs than the 2 Ray sees here: the ingress
    was never placed and nothing answered, while tests that gave Ray 4 CPUs passed.)
    """
    match = WRITTEN_FOR.search(path.read_text())
    assert match, f"{path.name} needs a '# written-for: nodes=N cpus=N gpus=N' line"
    nodes, cpus, gpus = map(int, match.groups())
    assert place(replicas_at_max(load(path)), nodes, cpus, gpus) == []


def test_the_placement_check_can_fail():
    local = load(CONFIGS[0].parent / "local.yaml")
    assert place(replicas_at_max(local), 1, 1, 0), "the local graph does not fit one CPU"
    assert place([("asr", 1, 1)], 1, 16, 0) == ["asr"]


def test_cluster_config_puts_asr_on_gpus():
    schema = load(CONFIGS[0].parent / "cluster-gpu.yaml")
    asr = [d for d in schema.applications[0].deployments if d.name.startswith("asr-")]
    assert asr and all(d.ray_actor_options.num_gpus > 0 for d in asr)
    assert any(0 < d.ray_actor_options.num_gpus < 1 for d in asr), "fractional GPUs are used"


def test_bad_args_are_refused_with_reasons():
    with pytest.raises(ValueError, match="routes to unknown model"):
        AppArgs.model_validate({"languages": {"hi-IN": "missing"}})
    with pytest.raises(ValueError, match="unknown language code"):
        AppArgs.model_validate({"languages": {"xx-IN": "whisper-base"}})
    with pytest.raises(ValueError, match="no model for"):
        AppArgs.model_validate({"fallback_model": None, "languages": {"hi-IN": "whisper-base"}})
    with pytest.raises(ValueError, match="lid.asr_model 'whisper-small' is not among models"):
        AppArgs.model_validate({"lid": {"asr_model": "whisper-small"}})
    wav2vec2 = {"name": "hindi", "engine": "ctc", "source": "some/checkpoint", "language": "hi"}
    with pytest.raises(ValueError, match="lid.asr_model 'hindi' must be a Whisper model"):
        AppArgs.model_validate({"models": [{"name": "whisper-base"}, wav2vec2], "lid": {"asr_model": "hindi"}})
    with pytest.raises(ValueError, match="text_stages: ingress runs rules punctuation only"):
        AppArgs.model_validate({"text_stages": "ingress", "punctuation": {"engine": "transformers", "source": "x"}})


def test_each_asr_replica_is_told_the_languages_routed_to_it():
    """RoutingPolicy.served_languages: what each ASR deployment builds script locks for at start."""
    cluster = load(next(path for path in CONFIGS if path.name == "cluster-gpu.yaml"))
    served = AppArgs.model_validate(cluster.applications[0].args).routing().served_languages()
    assert served["hindi-wav2vec2"] == [("hi", "native"), ("hi", "mixed"), ("hi", "latin")]  # Hinglish follows Hindi
    assert served["tamil-wav2vec2"] == [("ta", "native")]
    assert ("hi", "native") not in served["whisper-large-v3"] and ("en", "native") in served["whisper-large-v3"]
    one_model = AppArgs.model_validate({"languages": {}, "fallback_model": "whisper-base"}).routing().served_languages()
    assert len(one_model["whisper-base"]) == 12  # ten languages, Hinglish mixed and in Latin letters


def test_indic_gpu_config_routes_indic_to_indic_conformer_and_english_to_whisper():
    schema = load(CONFIGS[0].parent / "indic-gpu.yaml")
    args = AppArgs.model_validate(schema.applications[0].args)
    routing = args.routing()
    indic = ("bn-IN", "gu-IN", "hi-IN", "kn-IN", "ml-IN", "mr-IN", "pa-IN", "ta-IN", "te-IN")
    assert {routing.route(code).model for code in indic} == {"indic-conformer"}
    assert {routing.route(code).model for code in ("en-IN", "en-hi-in-cm", "en-hi-IN-latn")} == {"whisper-large-v3"}
    assert args.model("indic-conformer").engine == "indic-conformer" and args.lid.engine == "ecapa"
    gpus = {d.name: d.ray_actor_options.num_gpus for d in schema.applications[0].deployments}
    assert gpus["asr-indic-conformer"] > 0 and gpus["asr-whisper-large-v3"] > 0 and gpus["lid"] > 0
