"""Calls from one deployment to another, made safe: a lost replica is retried once, a full queue is a 503."""

from __future__ import annotations

import logging
from typing import Awaitable, Callable

from ray.exceptions import ActorUnavailableError, RayActorError
from ray.serve.exceptions import BackPressureError, DeploymentUnavailableError

from sunvai.errors import Overloaded

log = logging.getLogger("ray.serve")
RETRY_AFTER_S = 2
# How long a replica being replaced (serve deploy, scale-down) may finish the requests it holds
# before Serve kills it. Serve's default, 20 s, is shorter than one queued ASR request on a busy
# CPU: a rollout under load force-killed the old ingress with a request inside (a 500 at the
# proxy). As long as the longest request the proxy waits for (configs/local.yaml's request_timeout_s).
DRAIN_S = 600


# A replica that died mid-call (its node lost, its process killed): the call never completed.
REPLICA_LOST = (RayActorError, ActorUnavailableError)


async def call_stage(stage: str, call: Callable[[], Awaitable]):
    """One call to a stage's deployment, retried once if its replica died (every stage's work is
    idempotent); a full queue or a second loss is a 503 with Retry-After, never a 500."""
    for attempt in (1, 2):
        try:
            return await call()
        except BackPressureError as exc:
            raise Overloaded(f"{stage} has too many queued requests; retry after {RETRY_AFTER_S} s",
                             retry_after_s=RETRY_AFTER_S) from exc
        except DeploymentUnavailableError as exc:  # no healthy replica (failed to deploy, or being replaced)
            raise Overloaded(f"{stage} has no healthy replica right now; retry after {RETRY_AFTER_S} s",
                             retry_after_s=RETRY_AFTER_S) from exc
        except REPLICA_LOST as exc:
            if attempt == 2:
                raise Overloaded(f"{stage} lost its replica twice while handling this request; retry after "
                                 f"{RETRY_AFTER_S} s", retry_after_s=RETRY_AFTER_S) from exc
            log.warning("%s: replica lost mid-call (%s); retrying once", stage, type(exc).__name__)
    raise AssertionError("unreachable")
