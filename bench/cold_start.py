"""Cold start: a fresh clone, `make run`, until it says it is ready (GET /health answered 200).

    .venv/bin/python -m bench.cold_start [--keep-venv]

Clones this repository's HEAD into a temporary folder and runs `make run` there with an
empty model cache. The pip cache of the machine is used as it is (say so when you report).
Uses port 8000 (configs/local.yaml), so stop any other sunvai first. Prints, last, one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--timeout", type=float, default=1800)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        clone = Path(folder) / "sunvai"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        env = {**os.environ, "SUNVAI_MODEL_CACHE": str(Path(folder) / "models")}
        started = time.monotonic()
        process = subprocess.Popen(["make", "run"], cwd=clone, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, start_new_session=True)
        serve_s = None
        tail: list[str] = []
        try:
            for line in process.stdout:
                tail = (tail + [line])[-40:]
                match = re.search(r"ready on .*\((\d+\.\d) s after start\)", line)
                if match:
                    serve_s = float(match.group(1))
                    break
                if time.monotonic() - started > options.timeout:
                    break
        finally:
            total = time.monotonic() - started
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=120)
    if serve_s is None:
        raise SystemExit("make run did not become ready; its last lines:\n" + "".join(tail))
    print(f"fresh clone -> make run -> ready: {total:.1f} s (of which Ray + Serve + model load: {serve_s:.1f} s)")
    print(json.dumps({"bench": "cold_start", "total_s": round(total, 1), "serve_s": serve_s}))


if __name__ == "__main__":
    main()
