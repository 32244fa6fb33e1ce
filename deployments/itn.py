"""Inverse text normalization as its own deployment (CPU, tiny, scales apart from ASR)."""

from __future__ import annotations

from ray import serve

from sunvai import itn
from sunvai.deployments.priority import lower_priority


@serve.deployment(ray_actor_options={"num_cpus": 0.1}, max_ongoing_requests=128)
class ItnDeployment:
    def __init__(self, niceness: int = 0):
        lower_priority(niceness)  # args.background_niceness: its wake-ups yield to a decode
        itn.build_grammars()

    @serve.batch(max_batch_size=32, batch_wait_timeout_s=0.002)
    async def normalize(self, items: list[tuple[str, str, bool]]) -> list[str]:
        return [itn.normalize(text, language, native) for text, language, native in items]

    def ready(self) -> bool:
        return True
