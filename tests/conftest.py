"""Fixtures every tier shares: real speech and the packaged model's engines.

The tiers live in folders, each with its own conftest: unit/ (no Ray, no app), app/ (the FastAPI app over
in-process engines), serve/ (the shared local Ray Serve instance, marked ``serve``) and cluster/ (a
multi-node Ray cluster of its own, marked ``cluster``: run in its own pytest process, as make test does).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import speech

os.environ.setdefault("RAY_AUTH_MODE", "disabled")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")


@dataclass
class Clips:
    dir: Path
    english: dict[str, Path]  # key -> WAV
    hindi: Path
    tamil: Path

    def english_as(self, key: str, fmt: str) -> Path:
        out = self.dir / f"{key}.{fmt}"
        if not out.exists():
            speech.convert(self.english[key], out, fmt)
        return out


@pytest.fixture(scope="session")
def clips(tmp_path_factory) -> Clips:
    speech.require_tools()
    folder = tmp_path_factory.mktemp("speech")
    english = {key: speech.speak(text, "en", folder / f"{key}.wav") for key, text in speech.ENGLISH.items()}
    return Clips(
        dir=folder,
        english=english,
        hindi=speech.speak(speech.HINDI, "hi", folder / "hindi.wav"),
        tamil=speech.speak(speech.TAMIL, "ta", folder / "tamil.wav"),
    )


@pytest.fixture(scope="session")
def model_store():
    from sunvai.asr.model_store import ModelStore

    return ModelStore()


@pytest.fixture(scope="session")
def ct2_engine(model_store):
    """The packaged model on CTranslate2, float32 so it matches the transformers engine."""
    from sunvai.asr.factory import ModelConfig, build_engine

    return build_engine(ModelConfig(name="whisper-base", engine="whisper-ct2", compute_type="float32",
                                    cpu_threads=2), model_store)


@pytest.fixture(scope="session")
def hf_engine(model_store):
    from sunvai.asr.factory import ModelConfig, build_engine

    return build_engine(ModelConfig(name="whisper-base", engine="whisper-hf", cpu_threads=2), model_store)
