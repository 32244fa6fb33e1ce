"""How long the model store takes: a cached resolve, a cached conversion, and an unreachable hub.

    .venv/bin/python -m bench.model_store [--runs 5]

Moved here from tests/unit/test_model_store.py, which asserts behaviour only. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import tempfile
import time

from sunvai.asr.errors import ModelUnavailableError
from sunvai.asr.model_store import ModelStore


def timed(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def unreachable_hub(store_dir: str) -> None:
    with socket.socket() as probe:  # a closed loopback port: refused at once
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    os.environ["HF_ENDPOINT"] = f"http://127.0.0.1:{port}"
    try:
        ModelStore(store_dir, hub_timeout_s=2).resolve("openai/whisper-small")
    except ModelUnavailableError:
        return
    raise RuntimeError("the hub id resolved although no hub is reachable")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    store = ModelStore()
    store.resolve("packaged:whisper-base", "transformers")  # prepared once, as `make model` does
    results = {}
    for name, call in {
        "resolve_ct2_cached_s": lambda: store.resolve("packaged:whisper-base", "ctranslate2"),
        "resolve_transformers_cached_s": lambda: store.resolve("packaged:whisper-base", "transformers"),
    }.items():
        results[name] = round(statistics.median(timed(call) for _ in range(options.runs)), 4)
    with tempfile.TemporaryDirectory() as folder:
        os.environ["HF_HOME"] = os.path.join(folder, "hf")
        results["hub_unreachable_error_s"] = round(timed(lambda: unreachable_hub(folder)), 3)
    for name, value in results.items():
        print(f"{name:32s} {value}")
    print(json.dumps({"bench": "model_store", **results}))


if __name__ == "__main__":
    main()
