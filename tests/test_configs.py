"""Both Serve configs validate: Serve's schema, our app args, and the graph they build."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ray.serve.schema import ServeDeploySchema

from sunvai import graph
from sunvai.service.args import AppArgs

CONFIGS = sorted((Path(__file__).resolve().parent.parent / "configs").glob("*.yaml"))


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_config_validates_and_builds(path):
    schema = ServeDeploySchema.model_validate(yaml.safe_load(path.read_text()))
    for app in schema.applications:
        assert app.import_path == "sunvai.graph:build_app"
        args = AppArgs.model_validate(app.args)
        built = graph.build_app(args)  # binding only: no model is loaded
        assert built is not None
        expected = {"ingress", "itn", "lid", "punctuation"} | {graph.asr_deployment_name(m.name) for m in args.models}
        assert {d.name for d in app.deployments} == expected, "every deployment has its own options"
        for deployment in app.deployments:
            assert deployment.autoscaling_config, f"{deployment.name} scales on its own"


def test_cluster_config_puts_asr_on_gpus():
    schema = ServeDeploySchema.model_validate(yaml.safe_load((CONFIGS[0].parent / "cluster-gpu.yaml").read_text()))
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
