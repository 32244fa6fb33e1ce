"""CPU priority (Unix nice) for the processes that should yield the cores to a decode.

On a small CPU machine the ASR replica's decode shares its cores with a dozen processes that
wake up often (every Ray worker's main thread checks for signals every 10 ms; Serve's controller,
Ray's GCS, metrics and health checks). A 2-thread decode that loses one core to them for a
moment waits at its next barrier: beside the idle graph it ran 10-20% slower than alone. At
nice 19 those processes still get every idle moment, but rarely pre-empt the decode
(docs/benchmarks.md, levers).

Linux keeps a nice value per thread, and a new thread inherits its creator's, so a whole
process is lowered by lowering each of its threads.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def lower_priority(niceness: int, pid: int = 0) -> int:
    """Raise the nice value of every thread of process ``pid`` (0: this one) to at least ``niceness``.

    Never raises a priority (that needs privileges): a thread already nicer keeps its value.
    Returns how many threads were changed.
    """
    if niceness <= 0:
        return 0
    pid = pid or os.getpid()
    tasks = Path(f"/proc/{pid}/task")
    ids = [int(task.name) for task in tasks.iterdir()] if tasks.is_dir() else [pid]
    changed = 0
    for thread_id in ids:
        with contextlib.suppress(ProcessLookupError):  # a thread that ended meanwhile
            if os.getpriority(os.PRIO_PROCESS, thread_id) < niceness:
                os.setpriority(os.PRIO_PROCESS, thread_id, niceness)
                changed += 1
    return changed
