"""A model call that runs alone goes ahead of every other process on the machine (Linux, optional).

On a small CPU a lone request's 2-thread decode shares both cores with a dozen processes that wake
up often (every Ray worker checks for signals every 10 ms; Serve's controller, the proxy, the GCS).
Each wake-up takes a core from one decode thread for a moment, and the other waits at the next
barrier: beside the idle graph one client ran 15-20% slower than faster-whisper alone. Under
``SCHED_FIFO`` the decode's threads are never pre-empted by them; the wake-ups run in the gaps
where a decode thread waits at a barrier (docs/benchmarks.md, levers).

Only while exactly one call runs: as soon as a second starts beside it, every thread is back to
the normal policy, so requests side by side, the ingress and Serve share the cores as before. And
only for the first ``MAX_S`` of a busy stretch (one that began after at least ``REST_S`` idle): the
rest of the machine waits for the decode's barrier gaps meanwhile, so a lone job that runs on
(a long file, a batch with one worker, back-to-back requests) must not keep Serve's controller,
the proxy and a shutdown waiting (a restart once let a whole batch job finish first). A watchdog
thread ends the realtime stretch on time even in the middle of a call.

Needs ``CAP_SYS_NICE`` (root outside a container, or a raised ``RLIMIT_RTPRIO``); without it, or off
Linux, it warns once and changes nothing.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)
TASKS = Path("/proc/self/task")
MAX_S = 2.0   # realtime at most this long per busy stretch: one short request's whole decode (about 1 s here)
REST_S = 1.0  # idle this long before a new stretch may run realtime again


class SoloPriority:
    """Call :meth:`update` with the number of model calls running; it switches this process's threads."""

    def __init__(self, enabled: bool = True, max_s: float = MAX_S, rest_s: float = REST_S):
        self.enabled = enabled and hasattr(os, "sched_setscheduler") and TASKS.is_dir()
        if enabled and not self.enabled:
            log.warning("solo_priority: realtime scheduling is Linux only; calls run at normal priority")
        self.max_s, self.rest_s = max_s, rest_s
        self.raised = False
        self.idle_since: float | None = time.monotonic() - rest_s  # rested: the first call may run realtime
        self.stretch_start = -max_s
        self._changed = threading.Condition()
        self._watchdog: threading.Thread | None = None

    def update(self, running: int) -> None:
        """Realtime while exactly one call runs, within the first ``max_s`` of a busy stretch."""
        now = time.monotonic()
        with self._changed:
            if running == 0:
                if self.idle_since is None:
                    self.idle_since = now
            elif self.idle_since is not None:
                if now - self.idle_since >= self.rest_s:
                    self.stretch_start = now
                self.idle_since = None
            self._set(running == 1 and now - self.stretch_start < self.max_s)

    def _set(self, want: bool) -> None:
        if not self.enabled or want == self.raised:
            return
        if want and self._watchdog is None:
            self._watchdog = threading.Thread(target=self._watch, name="solo-priority-watchdog", daemon=True)
            self._watchdog.start()
        try:
            self._apply(want)
            self.raised = want
            self._changed.notify()
        except PermissionError:
            self.enabled = False
            self._apply(False)
            log.warning("solo_priority: no permission for realtime scheduling (needs CAP_SYS_NICE or "
                        "RLIMIT_RTPRIO); calls run at normal priority")

    def _watch(self) -> None:
        """Back to normal when the stretch's ``max_s`` is up, even in the middle of a call."""
        with self._changed:
            while True:
                left = self.stretch_start + self.max_s - time.monotonic()
                if self.raised and left <= 0:
                    self._set(False)
                self._changed.wait(left if self.raised and left > 0 else None)

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
