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
