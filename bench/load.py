"""Closed-loop load: N clients, each posting clips back to back for a fixed time."""

from __future__ import annotations

import asyncio
import statistics
import time

import httpx


async def closed_loop(url: str, path: str, files_field: str, data: dict, audio: bytes, clip_s: float,
                      clients: int, duration_s: float) -> dict:
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + duration_s
    async with httpx.AsyncClient(base_url=url, timeout=600, limits=httpx.Limits(max_connections=clients + 4)) as http:
        async def client():
            nonlocal errors
            while time.monotonic() < deadline:
                started = time.monotonic()
                response = await http.post(path, files={files_field: ("clip.wav", audio)}, data=data)
                if response.status_code == 200:
                    latencies.append(time.monotonic() - started)
                else:
                    errors += 1

        started = time.monotonic()
        await asyncio.gather(*(client() for _ in range(clients)))
        wall = time.monotonic() - started
    latencies.sort()
    return {
        "clients": clients,
        "requests": len(latencies),
        "errors": errors,
        "audio_s_per_wall_s": round(len(latencies) * clip_s / wall, 2),
        "median_s": round(statistics.median(latencies), 3) if latencies else None,
        "p95_s": round(latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))], 3) if latencies else None,
    }


def run(*args, **kwargs) -> dict:
    return asyncio.run(closed_loop(*args, **kwargs))
