"""lower_priority: every thread of a process, never upwards (plain Python, no Ray)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sunvai.deployments.priority import lower_priority

pytestmark = pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="per-thread nice is Linux's")

# A child with three threads besides its main one, at the nice it was started with.
CHILD = "import threading, time\n" \
        "for _ in range(3): threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n" \
        "print('ready', flush=True); time.sleep(60)\n"


def threads_niceness(pid: int) -> list[int]:
    return [os.getpriority(os.PRIO_PROCESS, int(task.name)) for task in Path(f"/proc/{pid}/task").iterdir()]


@pytest.fixture
def child():
    process = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "ready"
    yield process
    process.kill()
    process.wait()


def test_every_thread_lowered(child):
    assert threads_niceness(child.pid) == [0, 0, 0, 0]
    assert lower_priority(19, child.pid) == 4
    assert threads_niceness(child.pid) == [19, 19, 19, 19]


def test_never_raises_a_priority(child):
    lower_priority(19, child.pid)
    assert lower_priority(5, child.pid) == 0  # raising it back would need privileges; it is left alone
    assert threads_niceness(child.pid) == [19, 19, 19, 19]
    assert lower_priority(0, child.pid) == 0


def test_this_process_by_default():
    script = "import os, threading, time\n" \
             "from sunvai.deployments.priority import lower_priority\n" \
             "lower_priority(7)\n" \
             "seen = []\n" \
             "t = threading.Thread(target=lambda: seen.append(os.getpriority(os.PRIO_PROCESS, 0))); t.start(); t.join()\n" \
             "print(os.getpriority(os.PRIO_PROCESS, 0), seen[0])\n"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["7", "7"]  # the thread started afterwards inherits it
