"""The service's stages over Serve deployment handles, and the one place a TranscriptionService is wired.

The ingress and the batch deployment both call :func:`build_service`, so the two share one
configuration of keys, limits and stages (the protocols are in :mod:`service.backend`).
"""

from __future__ import annotations

import asyncio

import numpy as np
from ray.serve.handle import DeploymentHandle

from sunvai.asr.types import AsrRequest, AsrResult
from sunvai.auth.access import AccessControl
from sunvai.auth.keys import KeyStore
from sunvai.deployments.calls import call_stage
from sunvai.deployments.limits import ServeLimiter
from sunvai.language_router.lid import LidResult
from sunvai.punctuation.types import PunctuationRequest
from sunvai.service.args import AppArgs
from sunvai.service.backend import InProcessTextBackend, TextBackend
from sunvai.service.transcription import TranscriptionService

READY_TIMEOUT_S = 2.0


async def _ready(handle: DeploymentHandle) -> bool:
    try:
        return await asyncio.wait_for(handle.ready.remote(), READY_TIMEOUT_S)
    except Exception:
        return False


class ServeAsrBackend:
    """:class:`service.backend.AsrBackend` over Serve deployment handles."""

    def __init__(self, handles: dict[str, DeploymentHandle]):
        self.handles = handles

    async def transcribe(self, model: str, request: AsrRequest) -> AsrResult:
        return await call_stage(f"the ASR model {model}", lambda: self.handles[model].transcribe.remote(request))

    async def readiness(self) -> dict[str, bool]:
        names = list(self.handles)
        results = await asyncio.gather(*(_ready(self.handles[n]) for n in names))
        return dict(zip(names, results))


class ServeLidBackend:
    """:class:`service.backend.LidBackend` over the language-ID deployment."""

    def __init__(self, lid: DeploymentHandle):
        self.lid = lid

    async def identify(self, audio: np.ndarray, candidates: list[str]) -> LidResult:
        return await call_stage("language identification", lambda: self.lid.identify.remote((audio, candidates)))

    async def readiness(self) -> dict[str, bool]:
        return {"lid": await _ready(self.lid)}


class ServeTextBackend:
    """:class:`service.backend.TextBackend` over the punctuation and ITN deployments."""

    def __init__(self, punctuation: DeploymentHandle, itn: DeploymentHandle):
        self.punctuation = punctuation
        self.itn = itn

    async def punctuate(self, request: PunctuationRequest) -> str:
        return await call_stage("punctuation", lambda: self.punctuation.punctuate.remote(request))

    async def inverse_normalize(self, text: str, language_code: str, native_numerals: bool) -> str:
        return await call_stage("inverse text normalization",
                                lambda: self.itn.normalize.remote((text, language_code, native_numerals)))

    async def readiness(self) -> dict[str, bool]:
        punctuation, itn = await asyncio.gather(_ready(self.punctuation), _ready(self.itn))
        return {"punctuation": punctuation, "itn": itn}


def build_service(args: AppArgs, asr: dict[str, DeploymentHandle], lid: DeploymentHandle | None,
                  punctuation: DeploymentHandle | None, itn: DeploymentHandle | None,
                  limits: DeploymentHandle | None) -> TranscriptionService:
    """The transcription service over the graph's handles.

    Stages the config keeps out of deployments of their own have no handle: ``text_stages: ingress`` runs
    punctuation and ITN in this replica, and ``lid.asr_model`` asks that model's ASR replicas to identify
    languages. With ``auth.enabled`` keys come from the shared database and their counts from the limits
    deployment."""
    text: TextBackend
    if args.text_stages == "ingress":
        text = InProcessTextBackend.warmed(args.punctuation.build())
    else:
        text = ServeTextBackend(punctuation, itn)
    access = AccessControl(None)
    if args.auth.enabled:
        access = AccessControl(KeyStore(args.database_url()), ServeLimiter(limits), args.auth.cache_s)
    lid_backend = ServeLidBackend(asr[args.lid.asr_model] if args.lid.asr_model else lid)
    return TranscriptionService(args, ServeAsrBackend(asr), text, lid_backend, access)
