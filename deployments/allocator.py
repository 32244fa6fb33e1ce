"""Which memory allocator this replica runs on, and a warning where the config asked for one it did not get.

A config preloads an allocator into a deployment's processes with
``ray_actor_options.runtime_env.env_vars.LD_PRELOAD`` (configs/local.yaml: tcmalloc for the ASR replica,
docs/benchmarks.md). The dynamic loader only prints to the worker's stderr when the library is missing;
this says so in the replica's log, with the fix.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger("ray.serve")
KNOWN = ("tcmalloc", "jemalloc")
INSTALL_HINT = {"tcmalloc": "apt-get install libtcmalloc-minimal4 (Debian/Ubuntu)",
                "jemalloc": "apt-get install libjemalloc2 (Debian/Ubuntu)"}


def loaded_allocator() -> str | None:
    """``tcmalloc`` or ``jemalloc`` where one is mapped into this process; None for the C library's malloc."""
    try:
        text = Path("/proc/self/maps").read_text()
    except OSError:  # not Linux
        return None
    return next((name for name in KNOWN if f"lib{name}" in text), None)


def check_preloaded_allocator() -> str | None:
    """Log the allocator this process runs on; warn where ``LD_PRELOAD`` names one that did not load."""
    asked = next((name for name in KNOWN if name in os.environ.get("LD_PRELOAD", "")), None)
    running = loaded_allocator()
    if asked and running != asked:
        log.warning("LD_PRELOAD names %s but it is not loaded (%s); this replica runs on the C library's malloc, "
                    "about a third slower for CPU decoding (docs/benchmarks.md)", asked, INSTALL_HINT[asked])
    elif running:
        log.info("memory allocator: %s", running)
    return running
