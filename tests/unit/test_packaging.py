"""The wheel: one top-level package, `sunvai`, and `serve run` works from a fresh venv with it.

The fresh venv reaches the already-installed dependencies (torch, Ray, ...) through a
.pth line pointing at this venv's site-packages, which adds the folder without running
its .pth files, so the editable install of this checkout is not visible there. Only
the wheel provides `sunvai`. `serve run --address local` starts its own Ray instance,
apart from the session's, and serves a stand-in app (no model weights to load).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import httpx
import pytest
import yaml

from tests.helpers import ROOT, free_port

GENERIC = {"api", "asr", "audio", "service", "deployments", "itn", "punctuation", "language_router", "graph"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(out), str(ROOT)], check=True, capture_output=True)
    (built,) = out.glob("sunvai-*.whl")
    return built


@pytest.fixture(scope="module")
def fresh_venv(wheel, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    Path(purelib, "_sunvai_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
                    str(wheel)], check=True, capture_output=True)
    return python


def test_the_wheel_installs_only_sunvai(wheel):
    with zipfile.ZipFile(wheel) as archive:
        top = {name.split("/", 1)[0] for name in archive.namelist()}
        names = archive.namelist()
    assert top == {"sunvai", wheel.name.split("-")[0] + "-" + wheel.name.split("-")[1] + ".dist-info"}
    assert "sunvai/graph.py" in names and "sunvai/configs/local.yaml" in names
    assert "sunvai/deployments/ingress.py" in names and not any(n.startswith("sunvai/tests/") for n in names)


def test_fresh_venv_imports_sunvai_from_the_wheel_and_no_generic_names(fresh_venv, tmp_path):
    probe = ("import importlib.util, json, sunvai.graph; "
             f"print(json.dumps({{'graph': sunvai.graph.__file__, "
             f"'generic': [n for n in {sorted(GENERIC)!r} if importlib.util.find_spec(n)]}}))")
    result = subprocess.run([str(fresh_venv), "-c", probe], cwd=tmp_path, check=True, capture_output=True,
                            text=True)
    found = json.loads(result.stdout)
    assert found["generic"] == []
    assert str(fresh_venv.parent.parent) in found["graph"], "sunvai comes from the wheel, not the checkout"


def test_serve_run_from_the_fresh_venv(fresh_venv, tmp_path, clips):
    port = free_port()
    config = {
        "proxy_location": "HeadOnly",
        "http_options": {"host": "127.0.0.1", "port": port},
        "grpc_options": {"port": free_port(), "grpc_servicer_functions": []},
        "applications": [{
            "name": "sunvai", "route_prefix": "/", "import_path": "sunvai.graph:build_app",
            "args": {"models": [{"name": "fixed", "engine": "fixed-text", "stand_in": {"text": "wheel works"}}],
                     "fallback_model": "fixed", "lid": {"engine": "first-candidate"}},
            "deployments": [{"name": name, "ray_actor_options": {"num_cpus": 0},
                             "autoscaling_config": {"min_replicas": 1, "max_replicas": 1}}
                            for name in ("ingress", "asr-fixed", "lid", "punctuation", "itn")],
        }],
    }
    path = tmp_path / "serve.yaml"
    path.write_text(yaml.safe_dump(config))
    env = {k: v for k, v in os.environ.items() if k not in ("RAY_ADDRESS", "PYTHONPATH")}
    env.update(RAY_AUTH_MODE="disabled", RAY_USAGE_STATS_ENABLED="0")
    command = [str(fresh_venv), "-c", "from ray.serve.scripts import cli; cli()", "run", "--address", "local",
               str(path)]
    log = open(tmp_path / "serve-run.log", "wb")
    process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(1)
        assert process.poll() is None, (tmp_path / "serve-run.log").read_text()[-3000:]
        response = httpx.post(f"http://127.0.0.1:{port}/stt/v3", timeout=60, data={"language_code": "en-IN"},
                              files={"audio_file": ("c.wav", clips.english["hello"].read_bytes())})
        assert response.status_code == 200, response.text
        assert response.json()["transcript"] == "Wheel works."
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


# Imported by the package but not needed at run time by the default install, with the reason.
OPTIONAL_IMPORTS = {
    "pyctcdecode": "lm extra (CTC with a KenLM model); without it a configured lm fails at load with the install line",
    "kenlm": "lm extra, as pyctcdecode",
    "speechbrain": "optional LID engine (README: needs a torchaudio that loads next to torch)",
    "grpc_tools": "api/vakyansh/proto/generate.py, `make protos` only (test extra)",
    "librosa": "diarization extra (make run installs it); a job asking for diarization without it gets a 400",
    "sklearn": "diarization extra, as librosa",
    "pyannote": "optional diarization engine for operators with its weights",
    "sounddevice": "sunvai stream --mic only; the command says to install it when missing",
}


def _runtime_distributions() -> set[str]:
    """sunvai's requirements without extras, and theirs, transitively (normalised names)."""
    import re
    from importlib.metadata import PackageNotFoundError, requires

    from packaging.requirements import Requirement

    def norm(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    seen: set[str] = set()
    todo = ["sunvai"]
    while todo:
        name = todo.pop()
        try:
            requirements = requires(name) or []
        except PackageNotFoundError:
            continue
        for text in requirements:
            requirement = Requirement(text)
            if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
                continue
            key = norm(requirement.name)
            if key not in seen:
                seen.add(key)
                todo.append(requirement.name)
    return seen


def test_every_import_of_the_package_is_a_runtime_dependency():
    """The serve-only install (make run) must have what the code imports: a fresh clone's
    make run once failed because httpx came only with the test extra."""
    import ast
    import re
    from importlib.metadata import packages_distributions

    runtime = _runtime_distributions()
    providers = packages_distributions()
    files = [ROOT / "graph.py"] + [p for folder in ("api", "asr", "audio", "batch", "cli", "deployments", "diarization",
                                                    "itn", "language_router", "punctuation", "service") for p in (ROOT / folder).rglob("*.py")]
    missing = {}
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
                     else [])
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top in ("sunvai", "__future__") or top in OPTIONAL_IMPORTS:
                    continue
                dists = {re.sub(r"[-_.]+", "-", d).lower() for d in providers.get(top, [])}
                if not dists & runtime:
                    missing.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    assert not missing, f"imported but not a runtime dependency of sunvai: {missing}"
