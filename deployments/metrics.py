"""Request metrics in Ray's metrics system, and ``/metrics`` relaying every node's Ray export.

Each replica records into ``ray.util.metrics``; Ray exports them (with its own ``ray_serve_*``
series: queue lengths, replica counts, latencies) on each node's metrics port. On one machine
``GET /metrics`` on the HTTP port relays them all, renaming ``ray_sunvai_*`` to ``sunvai_*``;
on a cluster, scrape each node's metrics port instead (docs/metrics.md).
"""

from __future__ import annotations

import asyncio
from typing import Callable

import httpx

from sunvai.service.observe import RequestRecord

LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128, 300, 600]
RTF_BUCKETS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 4]


class RayRecorder:
    """Requests into Ray's metrics; with ``load``, also this replica's queue depths, sampled at each record."""

    def __init__(self, load: Callable[[], dict[str, float]] | None = None):
        from ray.util import metrics

        self.load = load
        self.gauges = {
            "in_flight": metrics.Gauge("sunvai_in_flight_requests", "transcription requests admitted and not done "
                                                                    "(admission control's count)"),
            "open_streams": metrics.Gauge("sunvai_open_streams", "realtime WebSocket sessions open"),
        }

        self.requests = metrics.Counter("sunvai_requests_total", "requests by surface, HTTP status and language",
                                        tag_keys=("surface", "status", "language"))
        self.rejected = metrics.Counter("sunvai_rejected_requests_total", "requests refused for load: 429 and 503",
                                        tag_keys=("surface", "status"))
        self.latency = metrics.Histogram("sunvai_request_duration_seconds", "time from request to response",
                                         boundaries=LATENCY_BUCKETS, tag_keys=("surface",))
        self.rtf = metrics.Histogram("sunvai_real_time_factor", "processing time over audio duration",
                                     boundaries=RTF_BUCKETS, tag_keys=("surface",))
        self.audio = metrics.Counter("sunvai_audio_seconds_total", "seconds of audio transcribed",
                                     tag_keys=("surface", "language"))

    def record(self, record: RequestRecord) -> None:
        if self.load is not None:
            for name, value in self.load().items():
                self.gauges[name].set(value)
        status = str(record.status)
        self.requests.inc(1, {"surface": record.surface, "status": status, "language": record.language})
        self.latency.observe(record.duration_s, {"surface": record.surface})
        if record.status in (429, 503):
            self.rejected.inc(1, {"surface": record.surface, "status": status})
        if record.audio_s > 0 and record.status == 200:
            self.audio.inc(record.audio_s, {"surface": record.surface, "language": record.language})
            self.rtf.observe(record.duration_s / record.audio_s, {"surface": record.surface})


async def relay_cluster_metrics() -> str:
    """Every alive node's Prometheus export, concatenated; ``ray_sunvai_`` becomes ``sunvai_``."""
    import ray

    nodes = [n for n in ray.nodes() if n.get("Alive") and n.get("MetricsExportPort")]
    async with httpx.AsyncClient(timeout=5, trust_env=False) as client:
        responses = await asyncio.gather(*(client.get(f"http://{n['NodeManagerAddress']}:{n['MetricsExportPort']}/metrics")
                                           for n in nodes), return_exceptions=True)
    texts = [r.text for r in responses if isinstance(r, httpx.Response) and r.status_code == 200]
    return "".join(text.replace("ray_sunvai_", "sunvai_") for text in texts)
