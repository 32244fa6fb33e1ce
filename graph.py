"""The deployment graph: ``import_path: sunvai.graph:build_app`` in every Serve config.

    Ingress ──► asr-<model>   one deployment per configured model
            ├─► lid           audio language identification (comma-separated language lists);
            │                 or the ASR replicas of one Whisper model (args.lid.asr_model)
            ├─► punctuation   sentence ends and question marks (rules, or a token-classification model)
            ├─► itn           inverse text normalization (format=transcribe); both inside the
            │                 ingress instead with args.text_stages: ingress
            └─► limits        per-API-key rate counts shared by all ingress replicas (args.auth)
    batch  ─► asr, lid, punctuation, itn   the batch workers (args.batch): claim files from the job store
"""

from ray.serve import Application

from sunvai.deployments.asr import AsrDeployment
from sunvai.deployments.batch import BatchWorkerDeployment
from sunvai.deployments.ingress import Ingress
from sunvai.deployments.itn import ItnDeployment
from sunvai.deployments.lid import LidDeployment
from sunvai.deployments.limits import LimitsDeployment
from sunvai.deployments.punctuation import PunctuationDeployment
from sunvai.service.args import AppArgs


def asr_deployment_name(model: str) -> str:
    return f"asr-{model}"


def build_app(args: AppArgs) -> Application:
    """Serve calls this with the validated ``applications[].args``.

    (No ``from __future__ import annotations`` in this file: Serve reads the
    annotation at run time to validate the args into :class:`AppArgs`.)
    """
    args = AppArgs.model_validate(args) if isinstance(args, dict) else args
    languages = args.routing().served_languages()
    asr = {
        model.name: AsrDeployment.options(name=asr_deployment_name(model.name)).bind(
            model.model_dump(), args.model_cache_dir, languages.get(model.name, []),
            args.lid.model_dump() if args.lid.asr_model == model.name else None,
        )
        for model in args.models
    }
    lid = punctuation = itn = None  # stages the config runs elsewhere (build_service in deployments/backends.py)
    if args.lid.asr_model is None:
        lid = LidDeployment.options(name="lid").bind(args.lid.model_dump(), args.model_cache_dir)
    if args.text_stages == "deployments":
        punctuation = PunctuationDeployment.options(name="punctuation").bind(args.punctuation.model_dump(),
                                                                             args.background_niceness)
        itn = ItnDeployment.options(name="itn").bind(args.background_niceness)
    limits = None
    if args.auth.enabled:
        limits = LimitsDeployment.options(name="limits").bind(args.auth.stream_lease_s, args.background_niceness)
    batch = None
    if args.batch.enabled:  # not called by the ingress: bound here so the application deploys it
        batch = BatchWorkerDeployment.options(name="batch").bind(args.model_dump(), asr, lid, punctuation, itn,
                                                                 limits)
    return Ingress.options(name="ingress").bind(args.model_dump(), asr, lid, punctuation, itn, batch, limits)
