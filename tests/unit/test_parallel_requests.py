"""parallel_requests: one CTranslate2 replica that gives a lone request every thread and
decodes requests side by side on a shared copy when they overlap (real weights, real threads)."""

from __future__ import annotations

import threading

import pytest
from pydantic import ValidationError

from sunvai.asr.factory import ModelConfig, build_engine
from sunvai.asr.types import AsrRequest
from sunvai.audio import decode_audio


class Watched:
    """Delegates to a real CTranslate2 model and records which model each call ran on."""

    def __init__(self, model, name: str, log: list[tuple[str, str]]):
        self._model, self._name, self._log = model, name, log

    def __getattr__(self, attribute):
        target = getattr(self._model, attribute)
        if not callable(target):
            return target

        def call(*args, **kwargs):
            self._log.append((self._name, attribute))
            return target(*args, **kwargs)
        return call


@pytest.fixture(scope="module")
def parallel_engine(model_store):
    return build_engine(ModelConfig(name="whisper-base", engine="whisper-ct2", compute_type="int8", cpu_threads=2,
                                    parallel_requests=2, max_batch_size=1), model_store)


def _watch(engine) -> list[tuple[str, str]]:
    log: list[tuple[str, str]] = []
    backend = engine.backend
    for name in ("model", "shared"):
        current = getattr(backend, name)
        setattr(backend, name, Watched(getattr(current, "_model", current), name, log))
    return log


def test_a_lone_request_runs_on_all_threads(parallel_engine, clips):
    log = _watch(parallel_engine)
    audio = decode_audio(clips.english["hello"].read_bytes()).samples
    result = parallel_engine.transcribe_batch([AsrRequest(audio, "en")])[0]
    assert "hello" in result.text.lower()
    assert log and {model for model, _ in log} == {"model"}, log


def test_overlapping_requests_share_the_second_copy_and_match_sequential_text(parallel_engine, clips):
    keys = sorted(clips.english)[:4]
    audio = {key: decode_audio(clips.english[key].read_bytes()).samples for key in keys}
    alone = {key: parallel_engine.transcribe_batch([AsrRequest(audio[key], "en")])[0].text for key in keys}
    log = _watch(parallel_engine)
    together: dict[str, str] = {}
    start = threading.Barrier(len(keys))

    def transcribe(key: str) -> None:
        start.wait()
        together[key] = parallel_engine.transcribe_batch([AsrRequest(audio[key], "en")])[0].text

    threads = [threading.Thread(target=transcribe, args=(key,)) for key in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert together == alone  # int8 with the same weights: same greedy text on one thread or two
    assert any(model == "shared" for model, _ in log), log


@pytest.mark.parametrize("settings, message", [
    ({"engine": "whisper-hf", "cpu_threads": 2}, "only with engine whisper-ct2 on device cpu"),
    ({"cpu_threads": 2, "device": "cuda"}, "only with engine whisper-ct2 on device cpu"),
    ({"cpu_threads": 2, "max_batch_size": 8}, "set max_batch_size: 1"),
    ({"cpu_threads": 1, "max_batch_size": 1}, "needs cpu_threads of at least as many"),
])
def test_settings_it_cannot_honour_are_refused(settings, message):
    with pytest.raises(ValidationError, match=message):
        ModelConfig.model_validate({"name": "m", "parallel_requests": 2, "max_batch_size": 1, **settings})


def test_a_cancelled_request_keeps_its_slot_until_its_decode_ends():
    """The replica's side-by-side slots count decodes, not waiting callers: the ingress cancels the ASR call of
    audio its no-speech gate rejects, and the decode thread it started runs on. The deployment class runs here
    without Serve and with a stand-in decode that waits for the test (the slot logic is what is tested)."""
    import asyncio

    from sunvai.deployments.asr import AsrDeployment

    replica = AsrDeployment.func_or_class.__new__(AsrDeployment.func_or_class)
    replica.side_by_side = asyncio.Semaphore(2)
    finish = {name: threading.Event() for name in "abc"}
    started: dict[str, asyncio.Event] = {}

    async def decode(requests):
        name = requests[0]
        started[name].set()
        await asyncio.to_thread(finish[name].wait, 30)
        return [name]

    replica._decode = decode

    async def scenario():
        started.update({name: asyncio.Event() for name in "abc"})
        a, b = (asyncio.ensure_future(replica.transcribe(name)) for name in "ab")
        await asyncio.wait_for(asyncio.gather(started["a"].wait(), started["b"].wait()), 10)
        a.cancel()
        await asyncio.gather(a, return_exceptions=True)
        assert a.cancelled()
        assert replica.side_by_side.locked()  # a's decode still runs: both slots are taken
        c = asyncio.ensure_future(replica.transcribe("c"))
        finish["a"].set()
        await asyncio.wait_for(started["c"].wait(), 10)  # a's thread ended: its slot went to c
        finish["b"].set()
        finish["c"].set()
        assert await b == "b" and await c == "c"

    asyncio.run(scenario())
