"""Audio language identification as its own deployment, with its own replicas and batching."""

from __future__ import annotations

import asyncio
import logging

import numpy as np
from ray import serve

from sunvai.asr.model_store import ModelStore
from sunvai.deployments.calls import DRAIN_S
from sunvai.language_router.config import LidConfig
from sunvai.language_router.factory import build_identifier
from sunvai.language_router.lid import LidResult

log = logging.getLogger("ray.serve")


@serve.deployment(ray_actor_options={"num_cpus": 0.5}, max_ongoing_requests=32, max_queued_requests=64,
                  graceful_shutdown_timeout_s=DRAIN_S)
class LidDeployment:
    def __init__(self, config: dict, model_cache_dir: str | None = None):
        self.config = LidConfig.model_validate(config)
        self.identifier = build_identifier(self.config.engine, self.config.source, self.config.device,
                                           self.config.compute_type, self.config.cpu_threads,
                                           ModelStore(model_cache_dir), self.config.stand_in_hold_s)
        self.identify.set_max_batch_size(self.config.max_batch_size)
        self.identify.set_batch_wait_timeout_s(self.config.batch_wait_timeout_s)
        self.identifier.identify_batch([np.zeros(16_000, np.float32) + 0.01], [["hi-IN", "en-IN"]])
        log.info("language identification ready (%s)", self.identifier.name)

    @serve.batch(max_batch_size=16, batch_wait_timeout_s=0.01)
    async def identify(self, items: list[tuple[np.ndarray, list[str]]]) -> list[LidResult]:
        audios = [audio for audio, _ in items]
        candidates = [codes for _, codes in items]
        return await asyncio.to_thread(self.identifier.identify_batch, audios, candidates)

    def ready(self) -> bool:
        return True
