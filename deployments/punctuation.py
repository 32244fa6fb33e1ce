"""Punctuation as its own deployment: rules on a CPU sliver, or a model on its own replicas."""

from __future__ import annotations

import asyncio
import logging

from ray import serve

from sunvai.deployments.priority import lower_priority
from sunvai.punctuation.config import PunctuationConfig
from sunvai.punctuation.types import PunctuationRequest

log = logging.getLogger("ray.serve")


@serve.deployment(ray_actor_options={"num_cpus": 0.1}, max_ongoing_requests=128)
class PunctuationDeployment:
    def __init__(self, config: dict, niceness: int = 0):
        lower_priority(niceness)  # args.background_niceness: its wake-ups yield to a decode
        self.config = PunctuationConfig.model_validate(config)
        self.engine = self.config.build()
        self.punctuate.set_max_batch_size(self.config.max_batch_size)
        self.punctuate.set_batch_wait_timeout_s(self.config.batch_wait_timeout_s)
        log.info("punctuation ready (%s)", self.engine.name)

    @serve.batch(max_batch_size=32, batch_wait_timeout_s=0.005)
    async def punctuate(self, requests: list[PunctuationRequest]) -> list[str]:
        return await asyncio.to_thread(self.engine.punctuate_batch, requests)

    def ready(self) -> bool:
        return True
