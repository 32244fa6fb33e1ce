"""Per-key limits shared by every ingress replica: one small replica holding the counts in memory.

Why a Serve deployment rather than the database: a request costs one in-cluster call (well
under a millisecond of work) instead of a write transaction, and Serve restarts the replica
if it dies. What a restart costs: the counts of the current minute and hour are forgotten,
which lets a key through early at most once per window; streams re-register at their next
renewal. Scale it to one replica only: the counts are the replica's.
"""

from __future__ import annotations

from ray import serve
from ray.serve.handle import DeploymentHandle

from sunvai.auth.keys import KeyLimits
from sunvai.auth.limits import KeyLimiter, Refusal
from sunvai.deployments.calls import call_stage
from sunvai.deployments.priority import lower_priority

STAGE = "the key limits deployment"


@serve.deployment(ray_actor_options={"num_cpus": 0.05}, max_ongoing_requests=1000, num_replicas=1)
class LimitsDeployment:
    def __init__(self, stream_lease_s: float = 60.0, niceness: int = 0):
        lower_priority(niceness)  # args.background_niceness: its wake-ups yield to a decode
        self.limiter = KeyLimiter(stream_lease_s=stream_lease_s)

    def admit_request(self, key_id: str, limits: dict) -> Refusal | None:
        return self.limiter.admit_request(key_id, KeyLimits.model_validate(limits))

    def charge_audio(self, key_id: str, seconds: float) -> None:
        self.limiter.charge_audio(key_id, seconds)

    def open_stream(self, key_id: str, lease_id: str, limits: dict) -> Refusal | None:
        return self.limiter.open_stream(key_id, lease_id, KeyLimits.model_validate(limits))

    def renew_stream(self, key_id: str, lease_id: str) -> None:
        self.limiter.renew_stream(key_id, lease_id)

    def close_stream(self, key_id: str, lease_id: str) -> None:
        self.limiter.close_stream(key_id, lease_id)

    def ready(self) -> bool:
        return True


class ServeLimiter:
    """:class:`auth.access.LimiterBackend` over the limits deployment."""

    def __init__(self, handle: DeploymentHandle):
        self.handle = handle

    async def admit_request(self, key_id, limits):
        return await call_stage(STAGE, lambda: self.handle.admit_request.remote(key_id, limits.model_dump()))

    async def charge_audio(self, key_id, seconds):
        await call_stage(STAGE, lambda: self.handle.charge_audio.remote(key_id, seconds))

    async def open_stream(self, key_id, lease_id, limits):
        return await call_stage(STAGE, lambda: self.handle.open_stream.remote(key_id, lease_id, limits.model_dump()))

    async def renew_stream(self, key_id, lease_id):
        await call_stage(STAGE, lambda: self.handle.renew_stream.remote(key_id, lease_id))

    async def close_stream(self, key_id, lease_id):
        await call_stage(STAGE, lambda: self.handle.close_stream.remote(key_id, lease_id))
