"""Start a Serve config on a local Ray instance: the Ray side of ``sunvai serve`` (cli/serve.py) and of the tests.

It starts a local Ray instance (loopback, no dashboard), deploys the config exactly as
``serve run CONFIG`` does, and waits for ``GET /health`` to answer 200. The environment Ray reads
at start is set here, before Ray is imported.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from pathlib import Path

os.environ.setdefault("RAY_AUTH_MODE", "disabled")  # local runs: loopback only, no token
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
# Ray starts its workers (every Serve replica, ASR included) at nice 15, below its own raylet, GCS and the
# clients: on a small machine a 2-thread decode then waits whenever one of those runs (docs/benchmarks.md,
# levers). Read by the raylet when ray.init starts it.
os.environ.setdefault("RAY_worker_niceness", "0")
# An idle graph's CPU is mostly Serve's controller loop and each process's metrics export (every 0.1 s by
# default), and a decode beside it runs slower (docs/benchmarks.md, levers).
os.environ.setdefault("RAY_SERVE_CONTROL_LOOP_INTERVAL_S", "0.5")
os.environ.setdefault("RAY_SERVE_METRICS_EXPORT_INTERVAL_MS", "1000")
# gRPC messages (Vakyansh audioContent) up to 64 MiB; Ray's proxy default is 2 GiB. Read when Serve starts.
os.environ.setdefault("RAY_SERVE_GRPC_MAX_MESSAGE_SIZE", str(64 * 1024 * 1024))

import ray  # noqa: E402
import yaml  # noqa: E402
from ray import serve  # noqa: E402
from ray.serve.schema import ServeDeploySchema  # noqa: E402

from sunvai.service.args import AppArgs  # noqa: E402
from sunvai.settings import process_settings  # noqa: E402


PACKAGED_CONFIGS = Path(__file__).resolve().parent.parent / "configs"


def config_path(path: str | Path) -> Path:
    """``path`` itself, or the config of that name shipped in the package (``configs/local.yaml`` from a wheel)."""
    given = Path(path)
    if given.is_file():
        return given
    packaged = PACKAGED_CONFIGS / given.name
    if packaged.is_file():
        return packaged
    raise FileNotFoundError(f"no Serve config at {given} (packaged configs: "
                            f"{', '.join(p.name for p in sorted(PACKAGED_CONFIGS.glob('*.yaml')))})")


def load_config(path: str | Path, http_port: int | None = None, grpc_port: int | None = None,
                http_host: str | None = None, auth: bool | None = None) -> ServeDeploySchema:
    """Validate a Serve config file; optionally move its ports (tests use free ones) or its HTTP host, or turn
    API keys on or off in every application."""
    raw = yaml.safe_load(config_path(path).read_text(encoding="utf-8"))
    if auth is not None:
        for application in raw.get("applications", []):
            application.setdefault("args", {}).setdefault("auth", {})["enabled"] = auth
    if http_host is not None:
        raw.setdefault("http_options", {})["host"] = http_host
    if http_port is not None:
        raw.setdefault("http_options", {})["port"] = http_port
    if grpc_port is not None:
        raw.setdefault("grpc_options", {})["port"] = grpc_port
    return ServeDeploySchema.model_validate(raw)


def check_exposure(config: ServeDeploySchema) -> None:
    """Refuse to serve without API keys on an address other machines reach (unless a config says so)."""
    for application in config.applications:
        AppArgs.model_validate(application.args or {}).auth.check_exposure(config.http_options.host)


def start_ray(num_cpus: int | None = None) -> None:
    if not ray.is_initialized():
        ray.init(
            address="local",  # always this process's own instance, never a cluster found on the machine
            num_cpus=num_cpus,
            include_dashboard=False,
            namespace="serve",
            object_store_memory=512 * 1024 * 1024,
            log_to_driver=not process_settings().quiet_ray,
            configure_logging=True,
        )


# Ray's own processes that only keep the instance running (never on a request's path, never the parent of a
# worker): lowered to args.background_niceness once Serve is up. The raylet is not: workers inherit its nice.
RAY_BACKGROUND_PROCESSES = ("gcs_server", "ray::ServeController", "ray::DashboardAgent", "ray::RuntimeEnvAgent",
                            "dashboard/dashboard.py", "_private/log_monitor.py", "autoscaler/_private/monitor.py")


def background_niceness(config: ServeDeploySchema) -> int:
    """The config's ``args.background_niceness`` (the highest, if its applications differ)."""
    return max((AppArgs.model_validate(app.args or {}).background_niceness for app in config.applications),
               default=0)


def lower_ray_background(niceness: int) -> list[str]:
    """Lower the nice of the Ray processes this one started (:data:`RAY_BACKGROUND_PROCESSES`) to
    ``niceness``; returns their command lines. The replicas lower themselves (sunvai.deployments.priority)."""
    from sunvai.deployments.priority import lower_priority

    if niceness <= 0:
        return []
    lowered = []
    for pid, command in descendants(os.getpid()):
        if any(name in command for name in RAY_BACKGROUND_PROCESSES):
            lower_priority(niceness, pid)
            lowered.append(command)
    return lowered


def descendants(root: int) -> list[tuple[int, str]]:
    """(pid, command line) of every process below ``root``, from /proc (Linux; elsewhere none)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):  # a process that ended while we looked
            continue
    found, pending = [], list(children.get(root, []))
    while pending:
        pid = pending.pop()
        pending.extend(children.get(pid, []))
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        found.append((pid, command.decode(errors="replace")))
    return found


def deploy_config(config: ServeDeploySchema) -> None:
    """Start Serve with the config's HTTP/gRPC options and deploy its applications.

    This is what ``serve run CONFIG`` does in Ray 2.60 (ray/serve/scripts.py);
    Ray has no public Python call that deploys a config file.
    """
    from ray.serve._private.api import serve_start
    from ray.serve.config import gRPCOptions

    client = serve_start(
        http_options=config.http_options.model_dump(),
        grpc_options=gRPCOptions(**config.grpc_options.model_dump()),
        proxy_location=config.proxy_location,
    )
    client.deploy_apps(config, _blocking=False)


def _failed_apps() -> dict[str, str]:
    status = serve.status()
    return {name: app.message for name, app in status.applications.items() if str(app.status).endswith("DEPLOY_FAILED")}


def wait_until_healthy(url: str, timeout_s: float = 600.0) -> float:
    """Poll ``url`` until it answers 200; return seconds waited. Raises RuntimeError on a failed deploy and
    TimeoutError past ``timeout_s``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return time.monotonic() - started
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        failed = _failed_apps()
        if failed:
            raise RuntimeError(f"deployment failed: {json.dumps(failed, indent=2)}")
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer 200 within {timeout_s:.0f} s")


def health_url(config: ServeDeploySchema) -> str:
    host = config.http_options.host
    host = "127.0.0.1" if host in ("0.0.0.0", "") else host
    prefix = (config.applications[0].route_prefix or "/").rstrip("/")
    return f"http://{host}:{config.http_options.port}{prefix}/health"


def stop() -> None:
    """Stop Serve and the local Ray instance."""
    serve.shutdown()
    ray.shutdown()
