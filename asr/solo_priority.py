"""A model call that runs alone goes ahead of every other process on the machine (Linux, optional).

On a small CPU a lone request's 2-thread decode shares both cores with a dozen processes that wake
up often (every Ray worker checks for signals every 10 ms; Serve's controller, the proxy, the GCS).
Each wake-up takes a core from one decode thread for a moment, and the other waits at the next
barrier: beside the idle graph one client ran 15-20% slower than faster-whisper alone. Under
``SCHED_FIFO`` the decode's threads are never pre-empted by them; the wake-ups run in the gaps
where a decode thread waits at a barrier (docs/benchmarks.md, "A lone call ahead of the rest").

Only while exactly one call runs: as soon as a second starts beside it, every thread is back to
the normal policy, so requests side by side, the ingress and Serve share the cores as before. The
kernel keeps some CPU for normal processes even under a realtime one (RT throttling, or the
fair-server on newer kernels), so a long lone job cannot lock the machine up.

Needs ``CAP_SYS_NICE`` (root outside a container, or a raised ``RLIMIT_RTPRIO``); without it, or off
Linux, it warns once and changes nothing.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from pathlib import Path

log = logging.getLogger(__name__)
TASKS = Path("/proc/self/task")


class SoloPriority:
    """Call :meth:`update` with the number of model calls running; it switches this process's threads."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled and hasattr(os, "sched_setscheduler") and TASKS.is_dir()
        if enabled and not self.enabled:
            log.warning("solo_priority: realtime scheduling is Linux only; calls run at normal priority")
        self.raised = False
        self._lock = threading.Lock()

    def update(self, running: int) -> None:
        """Realtime while exactly one call runs, normal otherwise."""
        want = running == 1
        with self._lock:
            if not self.enabled or want == self.raised:
                return
            try:
                self._apply(want)
                self.raised = want
            except PermissionError:
                self.enabled = False
                self._apply(False)
                log.warning("solo_priority: no permission for realtime scheduling (needs CAP_SYS_NICE or "
                            "RLIMIT_RTPRIO); calls run at normal priority")

    @staticmethod
    def _apply(realtime: bool) -> None:
        policy, param = (os.SCHED_FIFO, os.sched_param(1)) if realtime else (os.SCHED_OTHER, os.sched_param(0))
        for task in TASKS.iterdir():
            with contextlib.suppress(ProcessLookupError):  # a thread that ended meanwhile
                os.sched_setscheduler(int(task.name), policy, param)


def threads_in_realtime() -> int:
    """How many of this process's threads run under SCHED_FIFO (tests, diagnostics)."""
    count = 0
    for task in TASKS.iterdir():
        with contextlib.suppress(ProcessLookupError):
            count += os.sched_getscheduler(int(task.name)) == os.SCHED_FIFO
    return count
