"""solo_priority: a model call alone in the replica runs under SCHED_FIFO, calls side by side normally.

Real kernel calls, each case in a child process so this one's threads are never touched. Whether
realtime scheduling is allowed depends on the machine (CAP_SYS_NICE: root outside a container):
where it is, the switching is checked; where it is not, the fallback (a warning, normal priority).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from sunvai.asr.factory import ModelConfig

pytestmark = pytest.mark.skipif(not Path("/proc/self/task").is_dir() or not hasattr(os, "sched_setscheduler"),
                                reason="realtime scheduling per thread is Linux's")

PROBE = "import os; os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1)); print('allowed')"

# Three threads more than the interpreter's; after each update(running): how many are realtime, of how many.
SWITCHING = """
import json, os, threading, time
from sunvai.asr.solo_priority import SoloPriority, threads_in_realtime
for _ in range(3): threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
solo = SoloPriority()
seen = []
for running in (1, 2, 1, 0, 1, 1, 0):
    solo.update(running)
    seen.append(threads_in_realtime())
print(json.dumps({"realtime": seen, "threads": len(os.listdir("/proc/self/task"))}))
"""


def run_child(script: str, drop_capability: bool = False) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", script]
    if drop_capability:  # root without CAP_SYS_NICE, as in a default Docker container
        command = [shutil.which("setpriv"), "--bounding-set=-sys_nice", *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=True)


def realtime_allowed() -> bool:
    return subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True).stdout.strip() == "allowed"


def test_realtime_only_while_exactly_one_call_runs():
    done = run_child(SWITCHING)
    seen, every = json.loads(done.stdout).values()
    assert every >= 4
    if realtime_allowed():
        assert seen == [every, 0, every, 0, every, every, 0]
        assert "solo_priority" not in done.stderr
    else:
        assert seen == [0] * 7
        assert done.stderr.count("no permission for realtime scheduling") == 1


# A busy stretch runs realtime for max_s at most (the watchdog ends it in the middle of a call); a new
# one starts only after rest_s idle.
BOUNDED = """
import json, time
from sunvai.asr.solo_priority import SoloPriority, threads_in_realtime
solo = SoloPriority(max_s=0.5, rest_s=0.5)
seen = {}
solo.update(1); seen["first"] = threads_in_realtime() > 0
deadline = time.monotonic() + 10
while threads_in_realtime() and time.monotonic() < deadline: time.sleep(0.01)
seen["ended_by_watchdog"] = threads_in_realtime() == 0 and solo.raised is False
solo.update(0); solo.update(1); seen["no_rest"] = threads_in_realtime() > 0
solo.update(0); time.sleep(0.6); solo.update(1); seen["rested"] = threads_in_realtime() > 0
solo.update(0)
print(json.dumps(seen))
"""


def test_realtime_ends_after_max_s_and_returns_after_a_rest():
    seen = json.loads(run_child(BOUNDED).stdout)
    allowed = realtime_allowed()
    assert seen == {"first": allowed, "ended_by_watchdog": True, "no_rest": False, "rested": allowed}


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"),
                    reason="dropping a capability from a child needs root and util-linux's setpriv")
def test_without_the_capability_it_warns_once_and_stays_normal():
    done = run_child(SWITCHING, drop_capability=True)
    assert json.loads(done.stdout)["realtime"] == [0] * 7
    assert done.stderr.count("no permission for realtime scheduling (needs CAP_SYS_NICE") == 1


# The real engine (packaged weights, int8, 2 threads, 2 side by side) with its two models wrapped to
# record, at the moment each call runs, how many threads of the process are realtime. A first call
# holds until a second one has run beside it.
ENGINE = """
import json, os, threading
import numpy as np
from sunvai.asr.factory import ModelConfig, build_engine
from sunvai.asr.solo_priority import SoloPriority, threads_in_realtime
from sunvai.asr.types import AsrRequest
from sunvai.audio import decode_audio

engine = build_engine(ModelConfig(name="whisper-base", compute_type="int8", cpu_threads=2, parallel_requests=2,
                                  max_batch_size=1, solo_priority="realtime"))
backend = engine.backend
seen, first_runs, second_ran = [], threading.Event(), threading.Event()

def state():  # realtime threads, all threads
    return threads_in_realtime(), len(os.listdir("/proc/self/task"))

class Recorder:
    def __init__(self, model, name): self.model, self.name = model, name
    def __getattr__(self, attribute):
        target = getattr(self.model, attribute)
        if not callable(target): return target
        def call(*args, **kwargs):
            seen.append((self.name, attribute, state()))
            return target(*args, **kwargs)
        return call

audio = decode_audio(open(CLIP, "rb").read()).samples
text = engine.transcribe_batch([AsrRequest(audio, "en")])[0].text
after_alone = threads_in_realtime()
backend.model, backend.shared = Recorder(backend.model, "model"), Recorder(backend.shared, "shared")
backend._solo = SoloPriority(max_s=600, rest_s=0)  # the stretch's bound is tested apart; a slow CI must not hit it
features = np.zeros((1, backend.n_mels, 3000), np.float32)

def first():
    with backend._pick():          # a call running alone...
        seen.append(("first", "alone", state()))
        first_runs.set()
        second_ran.wait(120)       # ...until the second has run beside it
        seen.append(("first", "alone again", state()))

thread = threading.Thread(target=first); thread.start()
first_runs.wait(120)
backend.encode(features)           # the second call, side by side
second_ran.set(); thread.join()
print(json.dumps({"text": text, "after_alone": after_alone, "seen": seen, "after": state()}))
"""


def test_the_engine_runs_a_lone_call_in_realtime_and_calls_side_by_side_normally(clips):
    done = run_child(f"CLIP = {str(clips.english['hello'])!r}\n{ENGINE}")
    result = json.loads(done.stdout)
    assert "hello" in result["text"].lower()
    assert result["after_alone"] == 0 and result["after"][0] == 0  # nothing stays realtime after a call
    (_, _, alone), (second_model, method, beside), (_, _, alone_again) = result["seen"]
    assert (second_model, method, beside[0]) == ("shared", "encode", 0)  # two calls: every thread normal
    if realtime_allowed():
        # alone, before and after the second call: every thread of the process
        assert alone[0] == alone[1] and alone_again[0] == alone_again[1]
    else:
        assert alone[0] == alone_again[0] == 0


def test_realtime_is_refused_where_it_cannot_apply():
    with pytest.raises(ValidationError, match="solo_priority realtime works only with engine whisper-ct2 on"):
        ModelConfig(name="m", engine="whisper-hf", solo_priority="realtime")
    with pytest.raises(ValidationError, match="solo_priority realtime works only"):
        ModelConfig(name="m", device="cuda", solo_priority="realtime")
