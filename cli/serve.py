"""``sunvai serve`` (and ``make run``): run a Serve config on this machine, in the foreground.

Starts a local Ray instance, deploys the config, waits for ``GET /health`` to answer 200,
prints the time that took and serves until Ctrl-C or SIGTERM. The Ray side is
:mod:`sunvai.deployments.launch`.
"""

from __future__ import annotations

import signal
import sys
import threading
import time

EXIT_REFUSED, EXIT_FAILED = 2, 1


def run_service(config: str, host: str | None = None, port: int | None = None, auth: bool | None = None,
                num_cpus: int | None = None, timeout_s: float = 900.0) -> int:
    """Serve ``config`` until stopped; the process's exit status (2: the config is refused, 1: it failed to
    deploy)."""
    from sunvai.deployments import launch  # Ray's environment is set as it is imported

    started = time.monotonic()
    deploy_config = launch.load_config(config, http_port=port, http_host=host, auth=auth)
    try:
        launch.check_exposure(deploy_config)
    except ValueError as exc:
        print(f"sunvai will not start: {exc}", file=sys.stderr, flush=True)
        return EXIT_REFUSED
    launch.start_ray(num_cpus)
    launch.deploy_config(deploy_config)
    url = launch.health_url(deploy_config)
    try:
        launch.wait_until_healthy(url, timeout_s)
    except (RuntimeError, TimeoutError) as exc:
        print(f"sunvai failed to start: {exc}", file=sys.stderr, flush=True)
        launch.stop()
        return EXIT_FAILED
    launch.lower_ray_background(launch.background_niceness(deploy_config))
    base = url.rsplit("/health", 1)[0]
    print(
        f"\nsunvai is ready on {base} ({time.monotonic() - started:.1f} s after start).\n"
        f"  try: curl -F audio_file=@clip.wav -F language_code=hi-IN {base}/stt/v3\n"
        "  stop with Ctrl-C\n",
        flush=True,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    print("stopping sunvai…", flush=True)
    launch.stop()
    return 0
