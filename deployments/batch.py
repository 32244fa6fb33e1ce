"""The batch worker deployment: each replica runs a :class:`~sunvai.service.batch_worker.BatchWorker` loop.

It calls the same ASR, LID, punctuation and ITN deployments as the ingress, so batch files
share the ASR replicas with live traffic (bounded by ``longform.max_parallel`` per file).
"""

from __future__ import annotations

import asyncio
import logging
import math

from ray import serve
from ray.serve.handle import DeploymentHandle

from sunvai.batch.storage import BatchStorage
from sunvai.batch.store import JobStore
from sunvai.deployments.backends import build_service
from sunvai.deployments.metrics import RayRecorder
from sunvai.deployments.priority import lower_priority
from sunvai.service.args import AppArgs
from sunvai.service.batch_worker import BatchWorker

log = logging.getLogger("ray.serve")


@serve.deployment(ray_actor_options={"num_cpus": 0.05}, max_ongoing_requests=4)
class BatchWorkerDeployment:
    async def __init__(self, args: dict, asr: dict[str, DeploymentHandle], lid: DeploymentHandle | None,
                       punctuation: DeploymentHandle | None, itn: DeploymentHandle | None,
                       limits: DeploymentHandle | None = None):
        self.args = AppArgs.model_validate(args)
        lower_priority(self.args.background_niceness)  # files wait; live requests and their decodes do not
        config = self.args.batch
        # With API keys on, each finished file's audio is charged to its job's key (limits deployment).
        service = build_service(self.args, asr, lid, punctuation, itn, limits)
        store = await asyncio.to_thread(JobStore, config.url())
        replica = serve.get_replica_context().replica_id.unique_id
        self.worker = BatchWorker(store, BatchStorage(config.storage_path()), service, config,
                                  owner=f"batch-{replica}", recorder=RayRecorder())
        self._stop = asyncio.Event()
        self._loop = asyncio.create_task(self.worker.run(self._stop))
        log.info("batch worker %s started (store %s)", self.worker.owner, store.engine.url.render_as_string())

    async def check_health(self) -> None:
        if self._loop.done():
            raise RuntimeError(f"the batch worker loop ended: {self._loop.exception()!r}")

    def files_done(self) -> int:
        return self.worker.files_done

    def record_autoscaling_stats(self) -> dict[str, float]:
        """Serve's custom autoscaling metric: replicas the backlog asks for (read by batch_backlog_policy)."""
        per_replica = self.worker.config.workers_per_replica
        return {"batch_replicas_wanted": float(math.ceil(self.worker.backlog / per_replica))}

    async def __del__(self):
        """Graceful stop: running files are handed back to the queue at once (no lease wait)."""
        self._stop.set()
        await self._loop


SCALE_DOWN_AFTER_S = 60.0


def batch_backlog_policy(ctx) -> tuple[int, dict]:
    """Autoscaling on the batch backlog (``autoscaling_config.policy.policy_function``).

    Every replica reports how many replicas the store's backlog asks for (files waiting or
    running, over ``workers_per_replica``); the policy takes the largest report, scales up at
    once and down only after the backlog has been lower for ``SCALE_DOWN_AFTER_S``, within the
    deployment's min and max replicas.
    """
    reports = (ctx.aggregated_metrics or {}).get("batch_replicas_wanted") or {}
    wanted = int(max(reports.values(), default=0))
    wanted = max(ctx.capacity_adjusted_min_replicas, min(ctx.capacity_adjusted_max_replicas, wanted))
    state = dict(ctx.policy_state or {})
    now = ctx.current_time if ctx.current_time is not None else 0.0
    if wanted >= ctx.current_num_replicas:
        state["busy_at"] = now
        return wanted, state
    if now - state.get("busy_at", now) < SCALE_DOWN_AFTER_S:
        return ctx.current_num_replicas, state
    return wanted, state
