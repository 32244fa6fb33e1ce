"""One ASR deployment per configured model; concurrent requests share a forward pass."""

from __future__ import annotations

import asyncio
import logging

import numpy as np
from ray import serve

from sunvai.asr.factory import ModelConfig, build_engine
from sunvai.asr.model_store import ModelStore
from sunvai.asr.types import AsrRequest, AsrResult
from sunvai.deployments.allocator import check_preloaded_allocator
from sunvai.deployments.calls import DRAIN_S
from sunvai.language_router.config import LidConfig
from sunvai.language_router.lid import LidResult
from sunvai.language_router.whisper_lid import WhisperLanguageIdentifier

log = logging.getLogger("ray.serve")


@serve.deployment(ray_actor_options={"num_cpus": 1}, max_ongoing_requests=16, max_queued_requests=64,
                  graceful_shutdown_timeout_s=DRAIN_S)
class AsrDeployment:
    def __init__(self, model: dict, model_cache_dir: str | None = None, languages: list[tuple[str, str]] = (),
                 lid: dict | None = None):
        """``languages``: the (ISO code, writing) pairs routed to this model; their script locks are built here.
        ``lid``: args.lid where it names this model (``asr_model``): its replicas also identify languages."""
        self.config = ModelConfig.model_validate(model)
        check_preloaded_allocator()  # the config's LD_PRELOAD (local.yaml: tcmalloc) or a warning with the fix
        self.engine = build_engine(self.config, ModelStore(model_cache_dir))
        self.engine.prepare_languages(list(languages))  # Whisper: script locks, not on a language's first request
        self._transcribe_batch.set_max_batch_size(self.config.max_batch_size)
        self._transcribe_batch.set_batch_wait_timeout_s(self.config.batch_wait_timeout_s)
        # parallel_requests > 1: requests decoded side by side, one engine call each (no batching).
        self.side_by_side = (asyncio.Semaphore(self.config.parallel_requests)
                             if self.config.parallel_requests > 1 else None)
        self.identifier = None  # args.lid.asr_model: language identification with the weights held here
        if lid is not None:
            lid_config = LidConfig.model_validate(lid)
            self.identifier = WhisperLanguageIdentifier(self.engine)
            self.identify.set_max_batch_size(lid_config.max_batch_size)
            self.identify.set_batch_wait_timeout_s(lid_config.batch_wait_timeout_s)
        # Warm up once so the first caller does not pay for lazy initialisation.
        warm_language = self.config.language or (languages[0][0] if languages else None)
        self.engine.transcribe_batch([AsrRequest(np.zeros(16_000, np.float32) + 0.01, warm_language)])
        log.info("ASR model %s ready (%s on %s)", self.config.name, self.config.engine, self.config.device)

    async def transcribe(self, request: AsrRequest) -> AsrResult:
        if self.side_by_side is None:
            return await self._transcribe_batch(request)
        # The slot is held until the decode thread ends, not until the caller stops waiting: a cancelled
        # request (the ingress drops ASR for audio its no-speech gate rejects) must not let a third decode in.
        await self.side_by_side.acquire()
        decode = asyncio.ensure_future(self._decode([request]))
        decode.add_done_callback(lambda _: self.side_by_side.release())
        return (await asyncio.shield(decode))[0]

    @serve.batch(max_batch_size=8, batch_wait_timeout_s=0.02)
    async def _transcribe_batch(self, requests: list[AsrRequest]) -> list[AsrResult]:
        return await self._decode(requests)

    async def _decode(self, requests: list[AsrRequest]) -> list[AsrResult]:
        # The engine call blocks; keep it off the replica's event loop.
        return await asyncio.to_thread(self.engine.transcribe_batch, requests)

    @serve.batch(max_batch_size=16, batch_wait_timeout_s=0.01)  # set from args.lid in __init__
    async def identify(self, items: list[tuple[np.ndarray, list[str]]]) -> list[LidResult]:
        """Language identification among each item's candidates (the lid deployment's call, args.lid.asr_model)."""
        if self.identifier is None:
            raise RuntimeError(f"{self.config.name} is not args.lid.asr_model; it does not identify languages")
        return await asyncio.to_thread(self.identifier.identify_batch, [audio for audio, _ in items],
                                       [codes for _, codes in items])

    def ready(self) -> bool:
        return True
