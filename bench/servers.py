"""Start the servers a benchmark compares, on free loopback ports, and stop them after.

- :func:`sunvai_graph`: ``sunvai serve`` on a copy of a Serve config,
  with the ASR model's args and deployment options overridden as asked.
- :func:`peer_server`: faster-whisper-server (PyPI) on the same CTranslate2 weights.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import yaml

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, timeout_s: float = 600) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout_s} s")


def _stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()


@contextlib.contextmanager
def _running(command: list[str], port: int, config_file: str, env: dict | None = None) -> Iterator[str]:
    """Run ``command`` until the block ends; yield its base URL once /health answers."""
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/health", process)
        _SERVERS[url] = process
        yield url
    finally:
        _SERVERS.pop(url, None)
        _stop(process)
        os.unlink(config_file)


_SERVERS: dict[str, subprocess.Popen] = {}


@contextlib.contextmanager
def paused(url: str, settle_s: float = 1.0) -> Iterator[int]:
    """Stop the server at ``url`` and every process it started (Ray's GCS, raylet, replicas) with SIGSTOP
    until the block ends, so a comparison run in between has the machine to itself; yields how many.
    After resuming, wait ``settle_s`` so the timers that came due during the stop (health checks,
    metrics, the controller's loop) do not land on the next timed request. Ray's health checks allow
    30 s: keep the block shorter.

    The block also starts ``settle_s`` after the stop, so what runs in it starts from an idle CPU as
    the server's next request does: on this machine a decode right after another ran 3-5% faster
    than one after a second idle (docs/benchmarks.md), which favoured whatever ran right after a request."""
    import psutil

    root = psutil.Process(_SERVERS[url].pid)
    tree = [root, *root.children(recursive=True)]
    for process in tree:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.suspend()
    time.sleep(settle_s)
    try:
        yield len(tree)
    finally:
        for process in reversed(tree):
            with contextlib.suppress(psutil.NoSuchProcess):
                process.resume()
        time.sleep(settle_s)


@contextlib.contextmanager
def sunvai_graph(config: str = "configs/local.yaml", model: dict | None = None,
                 asr_deployment: dict | None = None, grpc_port: int | None = None,
                 args: dict | None = None) -> Iterator[str]:
    """The local graph with ``model`` merged into the first ASR model's args, ``args`` into the app's."""
    raw = yaml.safe_load((ROOT / config).read_text())
    port = free_port()
    raw["http_options"]["port"] = port
    raw["grpc_options"]["port"] = grpc_port or free_port()
    app = raw["applications"][0]
    first = app["args"]["models"][0]
    first.update(model or {})
    for key, value in (args or {}).items():
        if isinstance(value, dict):
            app["args"].setdefault(key, {}).update(value)
        else:
            app["args"][key] = value
    for deployment in app["deployments"]:
        if deployment["name"] == f"asr-{first['name']}":
            deployment.update(asr_deployment or {})
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as handle:
        yaml.safe_dump(raw, handle)
    env = {**os.environ, "SUNVAI_QUIET_RAY": "1", "RAY_AUTH_MODE": "disabled"}
    with _running([sys.executable, "-m", "sunvai.cli.main", "serve", handle.name], port, handle.name, env) as url:
        yield url


@contextlib.contextmanager
def peer_server(model_dir: str, compute_type: str = "int8", cpu_threads: int = 1, workers: int = 2,
                batch_size: int = 1) -> Iterator[str]:
    """faster-whisper-server on ``model_dir``: ``workers`` uvicorn processes of ``cpu_threads`` each.

    Its handler runs inference inside ``async def``, so one worker serves one request at a
    time; workers are its way to run requests in parallel, as replicas are ours. Decoding
    matches sunvai's: greedy (beam 1), temperature 0 with no fallback, no conditioning on
    previous text, timestamps on.
    """
    port = free_port()
    config = {
        "batch_size": batch_size,
        "models": [{
            "name": "whisper-1",
            "path": model_dir,
            "model_options": {"device": "cpu", "compute_type": compute_type, "cpu_threads": cpu_threads},
            "transcribe_options": {"beam_size": 1, "temperature": 0.0, "condition_on_previous_text": False},
        }],
    }
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as handle:
        yaml.safe_dump(config, handle)
    command = [sys.executable, "-m", "faster_whisper_server", "--config", handle.name, "--host", "127.0.0.1",
               "--port", str(port), "--workers", str(workers)]
    with _running(command, port, handle.name) as url:
        yield url


def run_against_graph(main_async, options) -> None:
    """``asyncio.run(main_async(options))`` against ``options.url``, or, without one, against the local graph
    started for the run (and stopped after)."""
    import asyncio

    if options.url:
        asyncio.run(main_async(options))
        return
    with sunvai_graph() as url:
        options.url = url
        asyncio.run(main_async(options))
